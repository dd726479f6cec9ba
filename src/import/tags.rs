//! The old tool's tags on imported monitors. Tags under a key monc writes itself would sit
//! beside monc's (`managed-by:terraform` next to `managed-by:monc`, `tier:critical` next to
//! `tier:l3`) and make a search by that key find two values (`monc::monc-tag-key`). So, unless
//! `--rename-tag`/`--drop-tag` say otherwise:
//! - the ownership tag's key (`managed-by:terraform`): dropped, the old tool's ownership is what
//!   the import ends;
//! - `tier:x`: renamed `severity:x` (what other tools' tiers mostly are);
//! - `tenant:x`, `cluster:x`: renamed `imported-tenant:x`, `imported-cluster:x`.
//!
//! A tag exactly as monc writes it (`tier:l3` on an L3 template, `tenant:${tenant.name}` on a
//! per-tenant one) is kept. Each change is said, with how many monitors it touched.

use std::collections::BTreeMap;

use super::write_hcl::TENANT_NAME;
use super::{ImportedTemplate, Settings, Text};
use crate::english::counted;

/// What happens to a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Drop(String),
    Rename(String, String),
}

/// Applies the rules to every template's tags; returns one line per change made, with the
/// number of monitors it touched.
pub(super) fn apply(templates: &mut [ImportedTemplate], settings: &Settings) -> Vec<String> {
    let mut changes: BTreeMap<String, usize> = BTreeMap::new();
    for template in templates.iter_mut() {
        let monitors = template.adopts.len().max(1);
        let mut kept = Vec::new();
        for tag in std::mem::take(&mut template.tags) {
            let shown = tag.0.join(TENANT_NAME);
            match rule(&tag, template, settings) {
                None => kept.push(tag),
                Some(Rule::Drop(why)) => {
                    *changes
                        .entry(format!("dropped tag `{shown}`{{n}}{why}"))
                        .or_default() += monitors;
                }
                Some(Rule::Rename(key, why)) => {
                    let mut renamed = tag.clone();
                    let rest = &tag.0[0][tag_key(&tag).map_or(0, str::len)..];
                    renamed.0[0] = format!("{key}{rest}");
                    let line = format!(
                        "renamed tag `{shown}` to `{}`{{n}}{why}",
                        renamed.0.join(TENANT_NAME)
                    );
                    *changes.entry(line).or_default() += monitors;
                    kept.push(renamed);
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        kept.retain(|tag| seen.insert(tag.clone()));
        template.tags = kept;
    }
    changes
        .into_iter()
        .map(|(line, n)| line.replace("{n}", &format!(" ({})", counted(n, "monitor"))))
        .collect()
}

/// The key of a tag whose key does not hold the tenant's name: `tier` of `tier:critical`,
/// `terraform` of the bare tag `terraform`.
fn tag_key(tag: &Text) -> Option<&str> {
    match tag.0[0].split_once(':') {
        Some((key, _)) => Some(key),
        None => (tag.0.len() == 1).then_some(tag.0[0].as_str()),
    }
}

fn rule(tag: &Text, template: &ImportedTemplate, settings: &Settings) -> Option<Rule> {
    let key = tag_key(tag)?;
    if let Some((_, new)) = settings.rename_tags.iter().find(|(old, _)| old == key) {
        return (new != key).then(|| Rule::Rename(new.clone(), " (--rename-tag)".into()));
    }
    if settings.drop_tags.iter().any(|k| k == key) {
        return Some(Rule::Drop(" (--drop-tag)".into()));
    }
    let [tier, tenant, cluster, owner] = crate::load::monc_written_keys(&settings.owner_tag);
    let as_monc_writes =
        |value: &[&str]| tag.0.iter().map(String::as_str).eq(value.iter().copied());
    let own_tier = format!("tier:{}", template.tier.to_lowercase());
    let why_renamed = format!(": monc writes `{key}:` itself (--rename-tag {key}=KEY to choose)");
    match key {
        k if k == owner => Some(Rule::Drop(format!(
            ": the old tool's ownership, monc writes its own (--rename-tag {k}={k} keeps it)"
        ))),
        k if k == tier && !as_monc_writes(&[&own_tier]) => {
            Some(Rule::Rename("severity".into(), why_renamed))
        }
        k if (k == tenant && !(template.per_tenant && as_monc_writes(&["tenant:", ""])))
            || k == cluster =>
        {
            Some(Rule::Rename(format!("imported-{k}"), why_renamed))
        }
        _ => None,
    }
}
