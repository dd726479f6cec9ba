//! The inventory half of the review: duplicates (owned among themselves, and foreign monitors
//! that look like an owned one), long mutes, monitors that notify nobody, and templates whose
//! instances never fired.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::Checked;
use crate::datadog::Monitor;
use crate::handles::paged_by;
use crate::model::is_composite;

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
}

/// An owned monitor muted for long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LongMute {
    pub key: String,
    /// The scopes muted.
    pub scopes: Vec<String>,
    /// When the longest mute ends (milliseconds); `None`: never.
    pub until_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub duplicates: Vec<Duplicate>,
    pub long_mutes: Vec<LongMute>,
    /// Owned monitors whose alert (or its composite's) names no handle.
    pub notify_nobody: Vec<String>,
    /// Templates none of whose instances triggered in the window.
    pub templates_never_fired: Vec<String>,
}

/// `org`: every monitor of the org; `owned_key`: the key of each owned one, by id;
/// `triggers`: triggers in the window by key.
pub fn inventory(
    checked: &Checked,
    org: &[Monitor],
    owned_key: &HashMap<i64, String>,
    triggers: &HashMap<String, u64>,
    now_ms: i64,
) -> Inventory {
    Inventory {
        duplicates: duplicates(org, owned_key),
        long_mutes: long_mutes(org, owned_key, now_ms),
        notify_nobody: notify_nobody(checked),
        templates_never_fired: templates_never_fired(checked, triggers),
    }
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

fn duplicates(org: &[Monitor], owned_key: &HashMap<i64, String>) -> Vec<Duplicate> {
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
            d
        })
        .collect()
}

/// `options.silenced`: `{scope: end}`, the end in seconds or `null` for never.
fn long_mutes(org: &[Monitor], owned_key: &HashMap<i64, String>, now_ms: i64) -> Vec<LongMute> {
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
            })
        })
        .collect();
    mutes.sort_by(|a, b| a.key.cmp(&b.key));
    mutes
}

/// Monitors whose alert reaches nobody: no handle on the monitor that pages for them.
fn notify_nobody(checked: &Checked) -> Vec<String> {
    let graph = &checked.graph;
    let mut keys: Vec<String> = graph
        .monitors
        .iter()
        .enumerate()
        .filter(|(index, _)| graph.page_for(*index).is_none())
        .filter(|(_, monitor)| paged_by(&monitor.notify, &monitor.body.message).is_empty())
        .filter(|(_, monitor)| monitor.pages().is_empty())
        .map(|(_, monitor)| monitor.key.to_string())
        .collect();
    keys.sort();
    keys
}

fn templates_never_fired(checked: &Checked, triggers: &HashMap<String, u64>) -> Vec<String> {
    let mut fired: BTreeMap<&str, bool> = BTreeMap::new();
    for monitor in &checked.graph.monitors {
        let Some(template) = checked.model.templates.get(monitor.template) else {
            continue;
        };
        let entry = fired.entry(template.name.value.as_str()).or_default();
        *entry |= triggers.get(monitor.key.as_str()).copied().unwrap_or(0) > 0;
    }
    fired
        .into_iter()
        .filter(|(_, fired)| !fired)
        .map(|(name, _)| name.to_owned())
        .collect()
}
