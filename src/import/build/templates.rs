//! The templates themselves: one per monitor or per folded group, their names (from the
//! monitors' names, unique in the project) and tiers, and the file's header.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map as JsonMap, Value as Json};

use super::composites::Suppression;
use super::tenants::TenantGroup;
use crate::datadog::Monitor;
use crate::diagnostic::Code;
use crate::handles::in_message as handles;
use crate::import::{Adoption, ImportedTemplate, Settings, Text};
use crate::model::MonitorKey;
use crate::plan::normalize::normalize_options;

pub(super) fn single_template(m: &Monitor, name: &str, tier: &str) -> ImportedTemplate {
    let (thresholds, options) = split_thresholds(&m.body.options);
    ImportedTemplate {
        name: name.to_string(),
        tier: tier.to_string(),
        per_tenant: false,
        display_name: Text::literal(&m.body.name),
        monitor_type: m.body.monitor_type.clone(),
        query: Text::literal(&m.body.query),
        message: Text::literal(&m.body.message),
        tags: m.body.tags.iter().map(|t| Text::literal(t)).collect(),
        thresholds,
        options,
        priority: m.body.priority,
        // The handles the message mentions: they page, so `notify` says so (for `monc graph`,
        // `monc test` and suppression); they stay in the text too, and monc appends only
        // handles a message does not mention, so the message is unchanged.
        notify: handles(&m.body.message)
            .iter()
            .map(|h| Text::literal(h))
            .collect(),
        suppressed_by: Vec::new(),
        composite_name: None,
        composite_message: None,
        composite_options: None,
        comments: Vec::new(),
        ignore: Vec::new(),
        enabled_for: None,
        adopts: Adoption::of(m, MonitorKey::new(tier, name, None).into())
            .into_iter()
            .collect(),
    }
}

/// One template for a group of monitors equal but for the tenant; `enabled` for the group's
/// tenants when not every tenant (of `universe`) has such a monitor.
pub(super) fn tenant_template(
    raw: &[&Monitor],
    group: &TenantGroup,
    name: &str,
    tier: &str,
    universe: &BTreeSet<String>,
) -> ImportedTemplate {
    let (first, tenant) = &group.members[0];
    let m = raw[*first];
    let text = |s: &str| Text::with_tenant(s, tenant);
    let mut template = single_template(m, name, tier);
    template.per_tenant = true;
    template.display_name = text(&m.body.name);
    template.query = text(&m.body.query);
    template.message = text(&m.body.message);
    template.notify = handles(&m.body.message).iter().map(|h| text(h)).collect();
    template.tags = m.body.tags.iter().map(|t| text(t)).collect();
    template.adopts = group
        .members
        .iter()
        .filter_map(|(i, t)| Adoption::of(raw[*i], MonitorKey::new(tier, name, Some(t)).into()))
        .collect();
    let ids: Vec<String> = group
        .members
        .iter()
        .map(|(i, t)| {
            format!(
                "{t}: {}",
                raw[*i].id.map_or("no id".into(), |id| id.to_string())
            )
        })
        .collect();
    template.comments.push(format!(
        "One template for {} monitors that differ only in the tenant ({}).",
        group.members.len(),
        ids.join(", ")
    ));
    let tenants: Vec<String> = group.tenants().into_iter().map(String::from).collect();
    if tenants.len() < universe.len() {
        let others: Vec<&str> = universe
            .iter()
            .map(String::as_str)
            .filter(|t| !tenants.iter().any(|have| have == t))
            .collect();
        template.comments.push(format!(
            "Only {} have this monitor: `enabled` turns it off for the other tenants ({}).",
            tenants.join(", "),
            others.join(", ")
        ));
        template.enabled_for = Some(tenants);
    }
    if template.display_name.0.len() == 1 {
        template.ignore.push(Code::DuplicateName.to_string());
        template.comments.push(
            "Every tenant's monitor has this same name, as in the org; people on call tell monitors apart by name, so consider adding ${tenant.name} to it (and removing `ignore`).".into(),
        );
    }
    template
}

/// `options.thresholds` goes to the top-level `thresholds` attribute, as the README writes it.
/// Options equal to what Datadog fills in anyway (`notify_audit = false`, `silenced = {}`, …)
/// are left out: they compare equal either way and only clutter the file.
pub(super) fn split_thresholds(
    options: &JsonMap<String, Json>,
) -> (Option<Json>, JsonMap<String, Json>) {
    let mut options: JsonMap<String, Json> = options
        .iter()
        .filter(|(k, v)| !is_server_default(k, v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match options.get("thresholds") {
        Some(Json::Object(_)) => (options.remove("thresholds"), options),
        _ => (None, options),
    }
}

fn is_server_default(key: &str, value: &Json) -> bool {
    let single = JsonMap::from_iter([(key.to_string(), value.clone())]);
    normalize_options(&single).is_empty()
}

// ---- names and tiers ----

/// ImportedTemplate names: from the monitor's name, unique among the project's and each other.
pub(super) struct Names {
    pub(super) raw: Vec<String>,
    pub(super) composites: Vec<String>,
}

impl Names {
    pub(super) fn assign(
        raw: &[&Monitor],
        composites: &[&Monitor],
        groups: &[TenantGroup],
        composite_groups: &[TenantGroup],
        settings: &Settings,
    ) -> Names {
        let mut used: HashSet<String> = settings.existing_templates.iter().cloned().collect();
        let mut fresh = |wanted: &str| {
            let base = slug(wanted);
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            name
        };
        let mut name_all = |monitors: &[&Monitor], groups: &[TenantGroup]| -> Vec<String> {
            let mut names: Vec<Option<String>> = vec![None; monitors.len()];
            for (i, m) in monitors.iter().enumerate() {
                if names[i].is_some() {
                    continue;
                }
                match groups.iter().find(|g| g.has(i)) {
                    Some(g) => {
                        let tenant = g.tenant_of(i).unwrap_or_default();
                        let name = fresh(&Text::with_tenant(&m.body.name, tenant).0.join(" "));
                        for (member, _) in &g.members {
                            names[*member] = Some(name.clone());
                        }
                    }
                    None => names[i] = Some(fresh(&m.body.name)),
                }
            }
            names.into_iter().map(Option::unwrap_or_default).collect()
        };
        Names {
            raw: name_all(raw, groups),
            composites: name_all(composites, composite_groups),
        }
    }
}

/// `[Algorithmia] Excessive Runtime` → `algorithmia_excessive_runtime`.
pub(super) fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    let slug: String = slug.trim_matches('_').chars().take(60).collect();
    let slug = slug.trim_end_matches('_');
    if slug.is_empty() {
        "monitor".into()
    } else {
        slug.to_string()
    }
}

pub(super) struct Tiers {
    pub(super) top: String,
    lower: String,
    suppressors: HashSet<usize>,
}

impl Tiers {
    /// Suppressors of `A && !B` composites, and `negated` (see [`negated_in_kept`]), go one
    /// tier lower.
    pub(super) fn new(
        settings: &Settings,
        suppressions: &[Suppression],
        negated: &HashSet<usize>,
    ) -> Tiers {
        let tier = |i: usize| settings.tiers.get(i).cloned().unwrap_or_default();
        let mut suppressors: HashSet<usize> = suppressions
            .iter()
            .flat_map(|s| s.suppressors.iter().copied())
            .collect();
        suppressors.extend(negated);
        Tiers {
            top: tier(settings.tier),
            lower: tier(settings.tier.saturating_sub(1)),
            suppressors,
        }
    }

    pub(super) fn of(&self, raw: usize) -> &str {
        if self.suppressors.contains(&raw) {
            &self.lower
        } else {
            &self.top
        }
    }
}

pub(super) fn header(
    settings: &Settings,
    templates: &[ImportedTemplate],
    tiers: &Tiers,
) -> Vec<String> {
    let monitors: usize = templates.iter().map(|t| t.adopts.len().max(1)).sum();
    let mut lines = vec![
        format!(
            "Imported by `monc import` from {}: {}.",
            settings.source,
            crate::english::counted(templates.len(), "template")
        ),
        format!(
            "Tiers: imported monitors are in {} (the top tier unless --tier says otherwise).",
            tiers.top
        ),
    ];
    if !tiers.suppressors.is_empty() {
        lines.push(format!(
            "Monitors that silence others through a composite (`A && !B`, or under `!` in one kept as written) are in {}, one tier lower: a suppressor must sit in a strictly lower tier.",
            tiers.lower
        ));
    }
    lines.push(
        "Options equal to what Datadog fills in anyway (notify_audit = false, silenced = {}, ...) are left out.".into(),
    );
    lines.push(
        "`notify` lists the handles each message mentions, which page: they stay in the message too (monc appends only handles a message does not mention), and `notify = []` means the project's `notify` is not added.".into(),
    );
    lines.push(format!(
        "monc adds tier:/tenant:/cluster: tags, the project's default_tags and its ownership tags to the {monitors} monitors on the next sync."
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check_name;

    #[test]
    fn slugs_are_valid_template_names() {
        assert_eq!(
            slug("[Algorithmia] Excessive Runtime!"),
            "algorithmia_excessive_runtime"
        );
        assert_eq!(slug("日本"), "monitor");
        assert!(check_name(&slug("  --Über CPU--  ")).is_ok());
    }
}
