//! Deciding what to write: which monitors become single templates, which collapse into one
//! per-tenant template, which composites become `suppressed_by`, and in which tiers. Three
//! analyses, one file each: [`composites`] (which composites monc can generate from
//! `suppressed_by`, and how the others are written), [`tenants`] (which monitors fold into one
//! per-tenant template), [`templates`] (the templates, their names and tiers).

mod composites;
mod templates;
mod tenants;

use std::collections::{HashMap, HashSet};

use super::{Import, Settings, Text};
use crate::datadog::Monitor;
use crate::model::is_composite;
use composites::{find_suppressions, negated_in_kept, suppress, suppress_group, symbolic_query};
use templates::{Names, Tiers, header, single_template, tenant_template};
use tenants::{
    TenantGroup, all_tenants, detect_tenant_composites, detect_tenants, placement, stamps_out_each,
};

/// The cluster detected tenants are put on when the project has none.
pub(super) const PLACEHOLDER_CLUSTER: &str = "imported";

/// Decides the templates for `monitors`. Never fails: what cannot be imported is listed in
/// [`Import::skipped`].
pub fn build(monitors: &[Monitor], settings: &Settings) -> Import {
    let mut import = Import::default();
    let mut raw = Vec::new();
    let mut composites = Vec::new();
    for m in monitors {
        if m.body.tags.contains(&settings.owner_tag) {
            import.skipped.push(format!(
                "{}: already managed by monc (tagged `{}`)",
                describe(m),
                settings.owner_tag
            ));
        } else if crate::load::not_creatable_help(&m.body.monitor_type).is_some() {
            import.skipped.push(format!(
                "{}: a `{}`, which Datadog creates only with its Synthetic test (Synthetics \
                 API), never through the Monitor API that monc writes with",
                describe(m),
                m.body.monitor_type
            ));
        } else if is_composite(&m.body.monitor_type) {
            composites.push(m);
        } else {
            raw.push(m);
        }
    }
    let ids = raw_ids(&raw);
    let suppressions = find_suppressions(&raw, &composites, settings);
    let (groups, mut not_folded) = detect_tenants(&raw, &composites, &suppressions, settings);
    let universe = all_tenants(&groups, settings);
    let converted: HashSet<usize> = suppressions.iter().map(|s| s.composite).collect();
    let (candidates, composites_not_folded) =
        detect_tenant_composites(&ids, &composites, &converted, &groups, &universe, settings);
    not_folded.extend(composites_not_folded);
    let mut names = Names::assign(&raw, &composites, &groups, &candidates, settings);
    // A template name holding a tenant's name (`acme_wide_db`) would be rewritten with it.
    let (composite_groups, unclean): (Vec<TenantGroup>, Vec<TenantGroup>) = candidates
        .into_iter()
        .partition(|g| stamps_out_each(g, &composites, &ids, &names.raw, &groups));
    for group in &unclean {
        not_folded.push(format!(
            "{} ({}): not folded into one per-tenant template: a monitor it names has the tenant's name in its own name",
            describe(composites[group.members[0].0]),
            group.tenants().join(", ")
        ));
    }
    if !unclean.is_empty() {
        names = Names::assign(&raw, &composites, &groups, &composite_groups, settings);
    }
    import.not_folded = not_folded;
    let tiers = Tiers::new(
        settings,
        &suppressions,
        &negated_in_kept(&ids, &composites, &suppressions),
    );
    let mut templates = Vec::new();
    let mut grouped = HashSet::new();
    for (i, m) in raw.iter().enumerate() {
        if let Some(g) = groups.iter().position(|g| g.has(i)) {
            if grouped.insert(g) {
                let mut template =
                    tenant_template(&raw, &groups[g], &names.raw[i], &tiers.top, &universe);
                suppress_group(
                    &mut template,
                    &groups[g],
                    &suppressions,
                    &composites,
                    &names.raw,
                );
                templates.push(template);
            }
            continue;
        }
        let tier = tiers.of(i);
        let mut template = single_template(m, &names.raw[i], tier);
        if let Some(s) = suppressions.iter().find(|s| s.target == i) {
            suppress(&mut template, s, composites[s.composite], &names.raw);
        }
        templates.push(template);
    }
    let mut grouped_composites = HashSet::new();
    for (c, composite) in composites.iter().enumerate() {
        if converted.contains(&c) {
            continue;
        }
        let query = |c: usize| symbolic_query(&composites[c].body.query, &ids, &names.raw, &groups);
        if let Some(g) = composite_groups.iter().position(|g| g.has(c)) {
            if grouped_composites.insert(g) {
                let group = &composite_groups[g];
                let (first, tenant) = &group.members[0];
                let mut template = tenant_template(
                    &composites,
                    group,
                    &names.composites[c],
                    &tiers.top,
                    &universe,
                );
                template.query = Text::with_tenant(&query(*first), tenant);
                template.comments.push(format!(
                    "Composites kept as written (`{}` for {tenant}), their monitors named symbolically; monc resolves them to IDs when it syncs.",
                    composites[*first].body.query.trim()
                ));
                templates.push(template);
            }
            continue;
        }
        let mut template = single_template(composite, &names.composites[c], &tiers.top);
        template.query = Text::literal(&query(c));
        template.comments.push(format!(
            "Composite kept as written (`{}`), its monitors named symbolically; monc resolves them to IDs when it syncs.",
            composite.body.query.trim()
        ));
        templates.push(template);
    }
    import.tag_changes = super::tags::apply(&mut templates, settings);
    import.header = header(settings, &templates, &tiers);
    import
        .header
        .extend(import.tag_changes.iter().map(|c| format!("Tags: {c}.")));
    import.tenants = (!groups.is_empty()).then(|| placement(&universe, settings));
    import.templates = templates;
    import
}

/// Raw monitors by Datadog id (as composite queries name them): index into the raw monitors.
pub(super) type RawIds = HashMap<u64, usize>;

fn raw_ids(raw: &[&Monitor]) -> RawIds {
    raw.iter()
        .enumerate()
        .filter_map(|(i, m)| Some((u64::try_from(m.id?).ok()?, i)))
        .collect()
}

pub(super) fn describe(m: &Monitor) -> String {
    match m.id {
        Some(id) => format!("monitor {id} \"{}\"", m.body.name),
        None => format!("monitor \"{}\"", m.body.name),
    }
}
