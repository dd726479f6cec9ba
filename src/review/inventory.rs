//! The inventory half of the review: duplicates (owned among themselves, and foreign monitors
//! that look like an owned one), long mutes, monitors that notify nobody, templates whose
//! instances never fired, composites whose constituent is gone, and live monitors on a crawled
//! cloud metric without `evaluation_delay`. Every entry says its tier and tenant ([`Place`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::Checked;
use crate::datadog::Monitor;
use crate::handles::notifies_nobody;
use crate::model::{FanOut, is_composite};
use crate::query::{Operand, parse_composite_query, parse_monitor_query};
use crate::validate::crawled_without_delay;

use super::Place;

/// A week: a mute longer than this (or without an end) is listed.
pub const LONG_MUTE_MS: i64 = 7 * 86_400 * 1000;

/// Monitors of one type and query (normalised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    pub monitor_type: String,
    pub query: String,
    /// Owned monitors, by key.
    pub keys: Vec<String>,
    /// Monitors of the org monc does not own, as `id name`.
    pub foreign: Vec<String>,
    /// The first owned monitor's.
    #[serde(flatten)]
    pub place: Place,
}

/// An owned monitor muted for long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LongMute {
    pub key: String,
    /// The scopes muted.
    pub scopes: Vec<String>,
    /// When the longest mute ends (milliseconds); `None`: never.
    pub until_ms: Option<i64>,
    #[serde(flatten)]
    pub place: Place,
}

/// An owned monitor, where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub key: String,
    #[serde(flatten)]
    pub place: Place,
}

/// A template none of whose instances triggered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeverFired {
    pub template: String,
    /// Tenant `(each tenant)` for a template stamped out per tenant.
    #[serde(flatten)]
    pub place: Place,
}

/// An owned monitor in Alert or Warn at the window's end since long ([`super::STUCK_MS`]) or
/// since before the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stuck {
    pub key: String,
    /// When its alert began (the window's start for one alerting since before it).
    pub since: String,
    #[serde(flatten)]
    pub place: Place,
}

/// A composite of the org whose query names a monitor id the org no longer has: Datadog
/// evaluates it without that constituent (or not at all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenComposite {
    pub id: i64,
    pub name: String,
    /// Its key when monc owns it; `None` for a foreign composite (tier and tenant then `None`).
    pub key: Option<String>,
    /// The ids it names that are gone.
    pub missing: Vec<u64>,
    #[serde(flatten)]
    pub place: Place,
}

/// A live owned monitor on a crawled cloud metric without `evaluation_delay` (a hand edit
/// removed it, or the configuration never set it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undelayed {
    pub key: String,
    pub metric: String,
    #[serde(flatten)]
    pub place: Place,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub duplicates: Vec<Duplicate>,
    pub long_mutes: Vec<LongMute>,
    /// Owned monitors whose alert (or its composite's) names no handle.
    pub notify_nobody: Vec<Listed>,
    /// Templates none of whose instances triggered in the window.
    pub templates_never_fired: Vec<NeverFired>,
    /// Filled by the history (see [`Stuck`]).
    pub stuck_in_alert: Vec<Stuck>,
    pub broken_composites: Vec<BrokenComposite>,
    pub cloud_metric_no_delay: Vec<Undelayed>,
}

/// The monitors the inventory is about: every one, or the slices of the `--tenant`s (their
/// monitors and the shared ones they need, [`crate::graph::MonitorGraph::tenant_slice`]).
pub struct View<'a> {
    checked: &'a Checked,
    slice: Option<BTreeSet<usize>>,
}

impl<'a> View<'a> {
    /// `tenants`: names of the model's tenants (checked before); empty for the whole org.
    pub fn of(checked: &'a Checked, tenants: &[String]) -> View<'a> {
        let slice = (!tenants.is_empty()).then(|| {
            checked
                .model
                .tenants
                .iter()
                .enumerate()
                .filter(|(_, t)| tenants.contains(&t.name.value))
                .flat_map(|(index, _)| checked.graph.tenant_slice(index))
                .collect()
        });
        View { checked, slice }
    }

    pub fn shows(&self, index: usize) -> bool {
        self.slice
            .as_ref()
            .is_none_or(|slice| slice.contains(&index))
    }

    /// A monitor's key, or a generated composite's (its monitor's); a key the configuration
    /// does not define is in no tenant's slice.
    pub fn shows_key(&self, key: &str) -> bool {
        let graph = &self.checked.graph;
        let index = || {
            graph.index_of(key).or_else(|| {
                let composite = graph.composites.iter().find(|c| c.key.as_str() == key)?;
                Some(composite.target)
            })
        };
        self.slice.is_none() || index().is_some_and(|index| self.shows(index))
    }
}

/// `org`: every monitor of the org; `owned_key`: the key of each owned one, by id;
/// `triggers`: triggers in the window by key; `view`: the monitors to list entries of.
pub fn inventory(
    checked: &Checked,
    org: &[Monitor],
    owned_key: &HashMap<i64, String>,
    triggers: &HashMap<String, u64>,
    now_ms: i64,
    view: &View,
) -> Inventory {
    let place = |key: &str| Place::of_key(checked, key);
    let shown = |key: &String| view.shows_key(key);
    let shown_keys: HashMap<i64, String> = owned_key
        .iter()
        .filter(|(_, key)| shown(key))
        .map(|(id, key)| (*id, key.clone()))
        .collect();
    let mut duplicates = duplicates(org, owned_key, &place);
    duplicates.retain(|d| d.keys.iter().any(shown));
    Inventory {
        duplicates,
        long_mutes: long_mutes(org, &shown_keys, now_ms, &place),
        notify_nobody: notify_nobody(checked, view, &place),
        templates_never_fired: templates_never_fired(checked, triggers, view),
        stuck_in_alert: Vec::new(),
        broken_composites: broken_composites(org, owned_key, &shown_keys, &place),
        cloud_metric_no_delay: cloud_metric_no_delay(org, &shown_keys, &place),
    }
}

/// Composites naming a monitor id that is not in the org, owned or not: an owned one when it
/// is in view (`shown_keys`), a foreign one when it names a monitor in view.
fn broken_composites(
    org: &[Monitor],
    owned_key: &HashMap<i64, String>,
    shown_keys: &HashMap<i64, String>,
    place: &dyn Fn(&str) -> Place,
) -> Vec<BrokenComposite> {
    let ids: HashSet<i64> = org.iter().filter_map(|m| m.id).collect();
    let mut broken: Vec<BrokenComposite> = org
        .iter()
        .filter(|m| is_composite(&m.body.monitor_type))
        .filter_map(|monitor| {
            let id = monitor.id?;
            // A query that does not parse is Datadog's to reject, not a missing constituent.
            let parsed = parse_composite_query(&monitor.body.query).ok()?;
            let named: Vec<u64> = parsed
                .operands()
                .into_iter()
                .filter_map(|(operand, _)| match operand {
                    Operand::Id(id) => Some(*id),
                    _ => None,
                })
                .collect();
            let key = owned_key.get(&id).cloned();
            let in_view = match &key {
                Some(_) => shown_keys.contains_key(&id),
                None => named
                    .iter()
                    .any(|n| i64::try_from(*n).is_ok_and(|n| shown_keys.contains_key(&n))),
            };
            let mut missing: Vec<u64> = named
                .into_iter()
                .filter(|id| i64::try_from(*id).map_or(true, |id| !ids.contains(&id)))
                .collect();
            missing.sort_unstable();
            missing.dedup();
            if missing.is_empty() || !in_view {
                return None;
            }
            Some(BrokenComposite {
                id,
                name: monitor.body.name.clone(),
                place: key.as_deref().map_or_else(Place::foreign, place),
                key,
                missing,
            })
        })
        .collect();
    broken.sort_by_key(|b| b.id);
    broken
}

/// Live owned monitors on a crawled cloud metric with no `evaluation_delay`.
fn cloud_metric_no_delay(
    org: &[Monitor],
    owned_key: &HashMap<i64, String>,
    place: &dyn Fn(&str) -> Place,
) -> Vec<Undelayed> {
    let mut undelayed: Vec<Undelayed> = org
        .iter()
        .filter_map(|monitor| {
            let key = owned_key.get(&monitor.id?)?;
            let body = &monitor.body;
            let parsed = parse_monitor_query(&body.monitor_type, &body.query).ok()??;
            let metric = crawled_without_delay(parsed.metric()?, &body.options)?;
            Some(Undelayed {
                key: key.clone(),
                metric: metric.to_owned(),
                place: place(key),
            })
        })
        .collect();
    undelayed.sort_by(|a, b| a.key.cmp(&b.key));
    undelayed
}

/// Type and query as Datadog compares them: `metric alert` comes back as `query alert`
/// (recorded, tests/fixtures/cassettes), and spacing and case do not matter.
fn normalised(monitor: &Monitor) -> (String, String) {
    let monitor_type = match monitor.body.monitor_type.as_str() {
        "metric alert" => "query alert".to_owned(),
        other => other.to_owned(),
    };
    let query: String = monitor
        .body
        .query
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    (monitor_type, query)
}

fn duplicates(
    org: &[Monitor],
    owned_key: &HashMap<i64, String>,
    place: &dyn Fn(&str) -> Place,
) -> Vec<Duplicate> {
    let mut same: BTreeMap<(String, String), Duplicate> = BTreeMap::new();
    for monitor in org.iter().filter(|m| !is_composite(&m.body.monitor_type)) {
        let (monitor_type, query) = normalised(monitor);
        let entry = same
            .entry((monitor_type.clone(), query.clone()))
            .or_insert_with(|| Duplicate {
                monitor_type,
                query: monitor.body.query.clone(),
                keys: Vec::new(),
                foreign: Vec::new(),
                place: Place::foreign(),
            });
        match monitor.id.and_then(|id| owned_key.get(&id)) {
            Some(key) => entry.keys.push(key.clone()),
            None => entry.foreign.push(format!(
                "{} {}",
                monitor.id.unwrap_or_default(),
                monitor.body.name
            )),
        }
    }
    same.into_values()
        .filter(|d| !d.keys.is_empty() && d.keys.len() + d.foreign.len() > 1)
        .map(|mut d| {
            d.keys.sort();
            d.foreign.sort();
            d.place = place(&d.keys[0]);
            d
        })
        .collect()
}

/// `options.silenced`: `{scope: end}`, the end in seconds or `null` for never.
fn long_mutes(
    org: &[Monitor],
    owned_key: &HashMap<i64, String>,
    now_ms: i64,
    place: &dyn Fn(&str) -> Place,
) -> Vec<LongMute> {
    let mut mutes: Vec<LongMute> = org
        .iter()
        .filter_map(|monitor| {
            let key = owned_key.get(&monitor.id?)?;
            let silenced = monitor.body.options.get("silenced")?.as_object()?;
            if silenced.is_empty() {
                return None;
            }
            let ends: Vec<Option<i64>> = silenced
                .values()
                .map(|end| end.as_i64().map(|s| s.saturating_mul(1000)))
                .collect();
            let until_ms = match ends.iter().any(Option::is_none) {
                true => None,
                false => ends.iter().flatten().max().copied(),
            };
            let long = until_ms.is_none_or(|until| until - now_ms > LONG_MUTE_MS);
            long.then(|| LongMute {
                key: key.clone(),
                scopes: silenced.keys().cloned().collect(),
                until_ms,
                place: place(key),
            })
        })
        .collect();
    mutes.sort_by(|a, b| a.key.cmp(&b.key));
    mutes
}

/// Monitors whose alert reaches nobody: no handle on the monitor that pages for them.
fn notify_nobody(checked: &Checked, view: &View, place: &dyn Fn(&str) -> Place) -> Vec<Listed> {
    let graph = &checked.graph;
    let mut keys: Vec<Listed> = graph
        .monitors
        .iter()
        .enumerate()
        .filter(|(index, _)| view.shows(*index) && notifies_nobody(graph, *index))
        .map(|(_, monitor)| Listed {
            key: monitor.key.to_string(),
            place: place(&monitor.key),
        })
        .collect();
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    keys
}

/// Judged on the instances in view.
fn templates_never_fired(
    checked: &Checked,
    triggers: &HashMap<String, u64>,
    view: &View,
) -> Vec<NeverFired> {
    let mut fired: BTreeMap<&str, (bool, usize)> = BTreeMap::new();
    let monitors = checked.graph.monitors.iter().enumerate();
    for (_, monitor) in monitors.filter(|(index, _)| view.shows(*index)) {
        let Some(template) = checked.model.templates.get(monitor.template) else {
            continue;
        };
        let entry = fired
            .entry(template.name.value.as_str())
            .or_insert((false, monitor.template));
        entry.0 |= triggers.get(monitor.key.as_str()).copied().unwrap_or(0) > 0;
    }
    fired
        .into_iter()
        .filter(|(_, (fired, _))| !fired)
        .map(|(name, (_, index))| {
            let template = &checked.model.templates[index];
            let tenant = match template.fan_out.value {
                FanOut::PerTenant => "(each tenant)",
                _ => super::replay::SHARED,
            };
            NeverFired {
                template: name.to_owned(),
                place: Place {
                    tier: checked
                        .model
                        .project
                        .tiers
                        .get(template.tier.value)
                        .cloned(),
                    tenant: Some(tenant.to_owned()),
                },
            }
        })
        .collect()
}
