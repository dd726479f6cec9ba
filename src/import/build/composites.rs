//! Composites over imported monitors: `A && !B && !C` becomes `suppressed_by` on `A` (monc
//! generates the same composite and adopts the live one); any other composite is kept as
//! written, its monitors named symbolically.

use std::collections::{HashMap, HashSet};

use serde_json::{Map as JsonMap, Value as Json};

use super::templates::split_thresholds;
use super::tenants::TenantGroup;
use super::{RawIds, describe};
use crate::datadog::Monitor;
use crate::handles::in_message as handles;
use crate::import::{Adoption, ImportedTemplate, Settings, Text};
use crate::model::MonitorKey;
use crate::plan::normalize::normalize_options;
use crate::query::{CompositeExpr, Operand, parse_composite_query};

/// Datadog's limit on the monitors one composite may reference.
use crate::limits::MAX_COMPOSITE_CONSTITUENTS as MAX_CONSTITUENTS;

/// A composite that monc can generate from `suppressed_by`: indexes into the raw monitors.
pub(super) struct Suppression {
    pub(super) composite: usize,
    pub(super) target: usize,
    pub(super) suppressors: Vec<usize>,
}

/// Composites `A && !B && !C ...` over imported monitors, kept only where monc would generate
/// exactly the same composite: no monitor both suppressed and suppressing (monc flattens chains),
/// one composite per target, and a tier below the import tier for the suppressors.
pub(super) fn find_suppressions(
    raw: &[&Monitor],
    composites: &[&Monitor],
    settings: &Settings,
) -> Vec<Suppression> {
    if settings.tier == 0 {
        return Vec::new();
    }
    let by_id: HashMap<i64, usize> = raw
        .iter()
        .enumerate()
        .filter_map(|(i, m)| Some((m.id?, i)))
        .collect();
    let index = |id: u64| {
        i64::try_from(id)
            .ok()
            .and_then(|id| by_id.get(&id).copied())
    };
    let mut targets = HashSet::new();
    let mut suppressors = HashSet::new();
    let mut found = Vec::new();
    for (c, composite) in composites.iter().enumerate() {
        let Some((a, bs)) = parse_composite_query(&composite.body.query)
            .ok()
            .and_then(|e| suppression_shape(&e))
        else {
            continue;
        };
        let Some(target) = index(a) else { continue };
        let Some(supp) = bs.into_iter().map(index).collect::<Option<Vec<usize>>>() else {
            continue;
        };
        let distinct: HashSet<usize> = supp.iter().copied().collect();
        let fits = distinct.len() == supp.len()
            && supp.len() < MAX_CONSTITUENTS
            && !distinct.contains(&target)
            && !targets.contains(&target)
            && !suppressors.contains(&target)
            && !supp.iter().any(|s| targets.contains(s));
        if fits {
            targets.insert(target);
            suppressors.extend(supp.iter().copied());
            found.push(Suppression {
                composite: c,
                target,
                suppressors: supp,
            });
        }
    }
    found
}

/// Imported monitors under `!` in a composite kept as written (`(a || b) && !c`): they
/// suppress its other members, as the suppressors of an `A && !B` composite do. A monitor that
/// pages through such a composite itself stays where it is (its suppressors must stay below).
pub(super) fn negated_in_kept(
    ids: &RawIds,
    composites: &[&Monitor],
    suppressions: &[Suppression],
) -> HashSet<usize> {
    let converted: HashSet<usize> = suppressions.iter().map(|s| s.composite).collect();
    let targets: HashSet<usize> = suppressions.iter().map(|s| s.target).collect();
    let index_of = |id: u64| ids.get(&id).copied();
    composites
        .iter()
        .enumerate()
        .filter(|(c, _)| !converted.contains(c))
        .filter_map(|(_, composite)| parse_composite_query(&composite.body.query).ok())
        .flat_map(|expr| {
            expr.operands_with_polarity()
                .into_iter()
                .filter_map(|(operand, positive)| match operand {
                    Operand::Id(id) if !positive => index_of(*id),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .filter(|i| !targets.contains(i))
        .collect()
}

/// `A && !B && !C` over monitor IDs → `(A, [B, C])`.
fn suppression_shape(expr: &CompositeExpr) -> Option<(u64, Vec<u64>)> {
    let (target, suppressors) = expr.as_suppression()?;
    let id = |operand: &Operand| match operand {
        Operand::Id(id) => Some(*id),
        Operand::Ref { .. } | Operand::Key(_) => None,
    };
    let suppressors = suppressors
        .into_iter()
        .map(id)
        .collect::<Option<Vec<u64>>>()?;
    Some((id(target)?, suppressors))
}

pub(super) fn suppress(
    template: &mut ImportedTemplate,
    s: &Suppression,
    composite: &Monitor,
    names: &[String],
) {
    template.suppressed_by = s.suppressors.iter().map(|&b| names[b].clone()).collect();
    template.notify = handles(&composite.body.message)
        .iter()
        .map(|h| Text::literal(h))
        .collect();
    keep_composite_text(template, composite, None);
    template.comments.push(format!(
        "Adopts {} (`{}`): monc generates it from `suppressed_by`; it pages with its own name and message (`composite`, where they differ from this monitor's), this monitor's options, and the handles in `notify`.",
        describe(composite),
        composite.body.query.trim()
    ));
    if let Some(adopt) = template.adopts.first().cloned() {
        template.adopts.extend(Adoption::of(
            composite,
            MonitorKey::from(adopt.key.as_str()).composite().into(),
        ));
    }
}

/// A folded group whose members page through composites `A && !B` (all over the same
/// monitors, see [`detect_tenants`]): one `suppressed_by`, and each member's composite
/// adopted as the composite monc generates for that tenant.
pub(super) fn suppress_group(
    template: &mut ImportedTemplate,
    group: &TenantGroup,
    suppressions: &[Suppression],
    composites: &[&Monitor],
    names: &[String],
) {
    let (first, tenant) = &group.members[0];
    let Some(s) = suppressions.iter().find(|s| s.target == *first) else {
        return;
    };
    template.suppressed_by = s.suppressors.iter().map(|&b| names[b].clone()).collect();
    template.notify = handles(&composites[s.composite].body.message)
        .iter()
        .map(|h| Text::with_tenant(h, tenant))
        .collect();
    keep_composite_text(template, composites[s.composite], Some(tenant));
    for s in suppressions.iter().filter(|s| group.has(s.target)) {
        let member = group.tenant_of(s.target);
        let key = MonitorKey::new(&template.tier, &template.name, member);
        template.adopts.extend(Adoption::of(
            composites[s.composite],
            key.composite().into(),
        ));
    }
    template.comments.push(format!(
        "Each tenant's monitor paged through its own composite `A && !B`; monc generates them from `suppressed_by` and adopts them ({}).",
        suppressions
            .iter()
            .filter(|s| group.has(s.target))
            .filter_map(|s| composites[s.composite].id.map(|id| id.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

/// `composite = { name, message }` for the composite's own name and message where they differ
/// from the monitor's, which the generated composite would take instead. Its message keeps the
/// handles where they were: monc appends only handles a message does not mention.
fn keep_composite_text(template: &mut ImportedTemplate, composite: &Monitor, tenant: Option<&str>) {
    let text = |s: &str| match tenant {
        Some(t) => Text::with_tenant(s, t),
        None => Text::literal(s),
    };
    let name = text(composite.body.name.trim());
    if name != template.display_name {
        template.composite_name = Some(name);
    }
    let message = text(composite.body.message.trim_end());
    if message != trimmed(&template.message) {
        template.composite_message = Some(message);
    }
    // What monc would give the composite: a few options copied from the monitor.
    let copied: JsonMap<String, Json> = [
        "renotify_interval",
        "escalation_message",
        "notify_no_data",
        "include_tags",
    ]
    .into_iter()
    .filter_map(|k| Some((k.to_string(), template.options.get(k)?.clone())))
    .collect();
    let (_, own) = split_thresholds(&composite.body.options);
    if normalize_options(&own) != normalize_options(&copied) {
        template.composite_options = Some(own);
    }
}

/// `text` without trailing white space.
fn trimmed(text: &Text) -> Text {
    let mut parts = text.0.clone();
    if let Some(last) = parts.last_mut() {
        *last = last.trim_end().to_string();
    }
    Text(parts)
}

/// A composite's query with imported monitors named `monitor.<name>` (`["tenant"]` for
/// per-tenant ones); IDs of monitors not imported stay as they are.
pub(super) fn symbolic_query(
    query: &str,
    ids: &RawIds,
    names: &[String],
    groups: &[TenantGroup],
) -> String {
    let query = query.trim();
    let Ok(expr) = parse_composite_query(query) else {
        return query.to_string();
    };
    let reference = |id: u64| {
        let &i = ids.get(&id)?;
        let tenant = groups.iter().find_map(|g| g.tenant_of(i));
        Some(match tenant {
            Some(t) => format!("monitor.{}[\"{t}\"]", names[i]),
            None => format!("monitor.{}", names[i]),
        })
    };
    // As written: Datadog does not document `&&` over `||`, so no parenthesis is added or lost.
    expr.replace_operands_in(query, &|operand: &Operand| match operand {
        Operand::Id(id) => reference(*id).unwrap_or_else(|| id.to_string()),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_the_suppression_shape() {
        let shape = |q: &str| suppression_shape(&parse_composite_query(q).unwrap());
        assert_eq!(shape("1 && !2 && !3"), Some((1, vec![2, 3])));
        assert_eq!(shape("1 && 2"), None);
        assert_eq!(shape("1 || !2"), None);
        assert_eq!(shape("!2 && 1"), None);
    }
}
