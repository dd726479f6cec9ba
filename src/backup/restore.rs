//! `restore`: putting a backup back. Each backed-up monitor is matched by its key with the
//! live monitor that is monc's own for that key (owner tag, key tag, and a marker naming that
//! key), so a second run changes nothing and a copy carrying monc's tags is never written to.
//! Composites are compared and written with their monitors resolved by key, never by the ids
//! the backup holds: those may have been reused by other monitors since.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::Backup;
use crate::datadog::{ApiError, Client, Monitor};
use crate::model::is_composite;
use crate::plan::live::live_from_wire;
use crate::plan::{Definition, FieldChange, Ownership, parse_marker};
use crate::query::{Operand, parse_composite_query};

/// What restore will do with one backed-up monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum Step {
    /// monc's live monitor with this key already matches the backup.
    Unchanged { id: i64 },
    /// Put the backed-up fields back on monc's live monitor with this key.
    Update { id: i64 },
    /// No live monitor has this key: create it.
    Create,
    /// Left alone, and why.
    Refuse { reason: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreItem {
    pub key: String,
    pub name: String,
    pub step: Step,
    /// For an update: what differs, from the live monitor to the backup.
    pub fields: Vec<FieldChange>,
    #[serde(skip)]
    monitor: Monitor,
    #[serde(skip)]
    live: Option<Monitor>,
}

/// The restore plan: what each backed-up monitor needs, and how composites find their
/// monitors.
#[derive(Debug, Default, Serialize)]
pub struct RestorePlan {
    pub items: Vec<RestoreItem>,
    /// Key → id of monc's own live monitors.
    #[serde(skip)]
    live_ids: HashMap<String, i64>,
    /// Id in the backup → key: the backed-up monitors and those their composites name.
    #[serde(skip)]
    backup_keys: HashMap<i64, String>,
}

impl RestorePlan {
    pub fn writes(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.step, Step::Update { .. } | Step::Create))
            .count()
    }

    pub fn count(&self, wanted: fn(&Step) -> bool) -> usize {
        self.items.iter().filter(|i| wanted(&i.step)).count()
    }
}

/// The value of the key tag (`monc-key:<key>`).
pub(super) fn key_of<'a>(monitor: &'a Monitor, key_tag: &str) -> Option<&'a str> {
    monitor
        .body
        .tags
        .iter()
        .find_map(|t| t.strip_prefix(key_tag)?.strip_prefix(':'))
}

/// The key `monitor` is monc's own monitor of: it carries the owner tag and a key tag, and
/// its marker (the last line monc writes into every message) names that same key. A copy of a
/// monc monitor made in the UI carries the tags too, but not a marker of its own key.
fn own_key<'a>(monitor: &'a Monitor, ownership: &Ownership) -> Option<&'a str> {
    if !ownership.owns(&monitor.body.tags) {
        return None;
    }
    let key = key_of(monitor, &ownership.key_tag)?;
    let (marked, _) = parse_marker(&monitor.body.message)?;
    (marked == key).then_some(key)
}

/// The monitor ids a composite query names (none if it does not parse).
pub(super) fn composite_ids(query: &str) -> Vec<i64> {
    parse_composite_query(query)
        .map(|expr| {
            expr.operands()
                .into_iter()
                .filter_map(|(operand, _)| match operand {
                    Operand::Id(id) => i64::try_from(*id).ok(),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The live org as restore sees it.
struct LiveOrg<'a> {
    /// monc's own monitor of each key (the oldest, if there are several).
    own: HashMap<&'a str, &'a Monitor>,
    /// Monitors that carry monc's tags for a key without being monc's own monitor of it.
    claimed: HashMap<&'a str, Vec<i64>>,
}

impl<'a> LiveOrg<'a> {
    fn read(live: &'a [Monitor], ownership: &Ownership) -> LiveOrg<'a> {
        let mut sorted: Vec<&Monitor> = live.iter().collect();
        sorted.sort_by_key(|m| m.id);
        let mut org = LiveOrg {
            own: HashMap::new(),
            claimed: HashMap::new(),
        };
        for monitor in sorted {
            match own_key(monitor, ownership) {
                Some(key) => {
                    org.own.entry(key).or_insert(monitor);
                }
                None if ownership.owns(&monitor.body.tags) => {
                    if let (Some(key), Some(id)) = (key_of(monitor, &ownership.key_tag), monitor.id)
                    {
                        org.claimed.entry(key).or_default().push(id);
                    }
                }
                None => {}
            }
        }
        org
    }

    /// Id → key of monc's own monitors.
    fn keys_by_id(&self) -> HashMap<i64, &'a str> {
        self.own
            .iter()
            .filter_map(|(key, m)| Some((m.id?, *key)))
            .collect()
    }
}

/// Decides, for each backed-up monitor, what restore does. `live` is the owned listing.
pub fn plan_restore(backup: &Backup, live: &[Monitor]) -> RestorePlan {
    let ownership = backup.ownership();
    let org = LiveOrg::read(live, &ownership);
    let backup_keys = backup_keys(backup, &ownership);
    let live_keys = org.keys_by_id();
    let backup_key_refs: HashMap<i64, &str> = backup_keys
        .iter()
        .map(|(id, k)| (*id, k.as_str()))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut entries: Vec<&Monitor> = backup.monitors.iter().collect();
    // The oldest monitor of a key is the one kept; a later one is a duplicate.
    entries.sort_by_key(|m| m.id);
    let items = entries
        .into_iter()
        .map(|monitor| {
            let key = key_of(monitor, &ownership.key_tag).unwrap_or_default();
            let live = org.own.get(key).copied();
            let mut step = step_for(monitor, key, &org, &ownership);
            if !key.is_empty() && !seen.insert(key) && !matches!(step, Step::Refuse { .. }) {
                step = Step::Refuse {
                    reason: format!(
                        "the backup holds another monitor with the key {key} (a duplicate, which \
                         would page twice)"
                    ),
                };
            }
            let mut fields = Vec::new();
            if let (Step::Unchanged { id } | Step::Update { id }, Some(live)) = (&step, live) {
                fields = differences(monitor, &backup_key_refs, live, &live_keys);
                step = if fields.is_empty() {
                    Step::Unchanged { id: *id }
                } else {
                    Step::Update { id: *id }
                };
            }
            RestoreItem {
                key: key.to_string(),
                name: monitor.body.name.clone(),
                step,
                fields,
                monitor: monitor.clone(),
                live: live.cloned(),
            }
        })
        .collect();
    RestorePlan {
        items,
        live_ids: org
            .own
            .iter()
            .filter_map(|(key, m)| Some((key.to_string(), m.id?)))
            .collect(),
        backup_keys,
    }
}

/// Id → key for every id the backup knows: its monitors' and those its composites name.
fn backup_keys(backup: &Backup, ownership: &Ownership) -> HashMap<i64, String> {
    let mut keys: HashMap<i64, String> = backup
        .operand_keys
        .iter()
        .map(|(id, key)| (*id, key.clone()))
        .collect();
    for monitor in &backup.monitors {
        if let (Some(id), Some(key)) = (monitor.id, key_of(monitor, &ownership.key_tag)) {
            keys.insert(id, key.to_string());
        }
    }
    keys
}

fn step_for(monitor: &Monitor, key: &str, org: &LiveOrg, ownership: &Ownership) -> Step {
    let refuse = |reason: String| Step::Refuse { reason };
    if !monitor.body.tags.contains(&ownership.owner_tag) {
        return refuse(format!(
            "it does not carry `{}`: restore puts back only monc's monitors",
            ownership.owner_tag
        ));
    }
    if key.is_empty() {
        return refuse(format!("it has no `{}:` tag", ownership.key_tag));
    }
    if let Some((marked, _)) = parse_marker(&monitor.body.message)
        && marked != key
    {
        return refuse(format!(
            "its marker names {marked}, not its key tag {key}: a copy of another monitor, not \
             monc's own"
        ));
    }
    if let Some(live) = org.own.get(key) {
        // Compared field by field by the caller.
        return Step::Update {
            id: live.id.unwrap_or_default(),
        };
    }
    match org.claimed.get(key) {
        Some(ids) => refuse(format!(
            "monitor {} carries monc's tags for this key but is not monc's monitor of it (its \
             marker does not name the key): a copy, left alone and not duplicated. Delete it, \
             or remove its `{}` tag, and run restore again",
            ids.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            ownership.owner_tag
        )),
        None => Step::Create,
    }
}

/// The comparable form of a monitor (as `diff` compares): composites' ids as keys.
fn definition(monitor: &Monitor, key_of_id: &HashMap<i64, &str>) -> Option<Definition> {
    let mut with_id = monitor.clone();
    with_id.id = Some(monitor.id.unwrap_or_default());
    live_from_wire(&with_id).map(|live| Definition::of_live(&live, key_of_id))
}

/// What differs from `live` to the backed-up `monitor`: empty when they are alike.
fn differences(
    monitor: &Monitor,
    backup_keys: &HashMap<i64, &str>,
    live: &Monitor,
    live_keys: &HashMap<i64, &str>,
) -> Vec<FieldChange> {
    match (
        definition(monitor, backup_keys),
        definition(live, live_keys),
    ) {
        (Some(wanted), Some(current)) => wanted.fields_against(Some(&current)),
        _ => not_comparable(monitor),
    }
}

/// A monitor that cannot be compared (no id to read it as live) is rewritten.
fn not_comparable(monitor: &Monitor) -> Vec<FieldChange> {
    vec![FieldChange {
        field: "name".into(),
        live: None,
        desired: Some(monitor.body.name.clone().into()),
    }]
}

/// The fields restore writes, without what the server owns or fills: mute state (`silenced`)
/// is not configuration.
fn restorable(monitor: &Monitor) -> Monitor {
    let mut body = monitor.body.clone();
    body.options.remove(crate::plan::normalize::MUTE_STATE);
    Monitor {
        body,
        ..Monitor::default()
    }
}

/// What happened to one item.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreOutcome {
    pub key: String,
    pub id: Option<i64>,
    pub error: Option<String>,
}

/// Carries out `plan`: raw monitors first, then composites, whose monitors are looked up by
/// key among monc's live monitors and those just restored. Every update is preceded by a
/// fresh read: a monitor changed since the plan was made, or no longer monc's own, is left
/// alone.
pub async fn restore(
    client: &Client,
    plan: &RestorePlan,
    ownership: &Ownership,
) -> Vec<RestoreOutcome> {
    let mut current_ids = plan.live_ids.clone();
    let (composites, raws): (Vec<&RestoreItem>, Vec<&RestoreItem>) = plan
        .items
        .iter()
        .filter(|i| matches!(i.step, Step::Update { .. } | Step::Create))
        .partition(|i| is_composite(&i.monitor.body.monitor_type));
    let mut outcomes = Vec::new();
    for item in raws.into_iter().chain(composites) {
        let mut body = restorable(&item.monitor);
        let result = if is_composite(&body.body.monitor_type) {
            resolve_operands(&body.body.query, &plan.backup_keys, &current_ids)
        } else {
            Ok(body.body.query.clone())
        };
        let result = match result {
            Ok(query) => {
                body.body.query = query;
                restore_one(client, item, &body, ownership).await
            }
            Err(error) => Err(error),
        };
        if let Ok(id) = &result {
            current_ids.insert(item.key.clone(), *id);
        }
        let (id, error) = match result {
            Ok(id) => (Some(id), None),
            Err(error) => (None, Some(error)),
        };
        outcomes.push(RestoreOutcome {
            key: item.key.clone(),
            id,
            error,
        });
    }
    outcomes
}

/// The composite `query` of the backup with each monitor id replaced by the id the monitor
/// of the same key has now (text otherwise as written). Refused when a monitor cannot be
/// identified or is not in the org, or when two operands are the same monitor: a composite
/// pointing at the wrong monitors (`X && !X` never alerts) is worse than none.
fn resolve_operands(
    query: &str,
    backup_keys: &HashMap<i64, String>,
    current_ids: &HashMap<String, i64>,
) -> Result<String, String> {
    let expr = parse_composite_query(query)
        .map_err(|e| format!("its query does not parse ({e}); not restored"))?;
    let mut resolved: HashMap<u64, i64> = HashMap::new();
    let mut keys_seen: BTreeSet<&str> = BTreeSet::new();
    for (operand, _) in expr.operands() {
        let Operand::Id(old) = operand else {
            return Err(format!(
                "it names `{operand}`, not a monitor id; not restored"
            ));
        };
        let key = i64::try_from(*old)
            .ok()
            .and_then(|id| backup_keys.get(&id))
            .ok_or_else(|| {
                format!(
                    "it names monitor {old}, which the backup does not identify by key (backups \
                     written before format 2 record only the monitors they hold); run `monc \
                     sync` to recreate it from the config"
                )
            })?;
        let id = current_ids.get(key).ok_or_else(|| {
            format!("it names {key}, which is not in the org; sync or restore {key} first")
        })?;
        if !keys_seen.insert(key) || resolved.values().any(|seen| seen == id) {
            return Err(format!("it would name {key} (id {id}) twice; not restored"));
        }
        resolved.insert(*old, *id);
    }
    Ok(expr.replace_operands_in(query, &|operand| match operand {
        Operand::Id(old) => resolved
            .get(old)
            .map_or_else(|| old.to_string(), i64::to_string),
        other => other.to_string(),
    }))
}

async fn restore_one(
    client: &Client,
    item: &RestoreItem,
    body: &Monitor,
    ownership: &Ownership,
) -> Result<i64, String> {
    let describe = |e: ApiError| e.to_string();
    match (&item.step, &item.live) {
        (Step::Update { id }, Some(planned)) => {
            let current = client.get_monitor(*id).await.map_err(describe)?;
            if own_key(&current, ownership) != Some(item.key.as_str()) {
                return Err(format!(
                    "monitor {id} is no longer monc's monitor of {} (its tags or marker \
                     changed); left alone",
                    item.key
                ));
            }
            if current.modified != planned.modified {
                return Err("changed in Datadog since the plan was made; run restore again".into());
            }
            client.update_monitor(*id, body).await.map_err(describe)?;
            Ok(*id)
        }
        (Step::Create, _) => {
            let created = client.create_monitor(body).await.map_err(describe)?;
            created
                .id
                .ok_or_else(|| "the API answered without an id".to_string())
        }
        _ => Err("nothing to do".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pairs: &[(i64, &str)]) -> HashMap<i64, String> {
        pairs.iter().map(|(id, k)| (*id, k.to_string())).collect()
    }

    fn ids(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(k, id)| (k.to_string(), *id)).collect()
    }

    #[test]
    fn operands_are_resolved_by_key_and_the_text_kept_as_written() {
        let backup = keys(&[(1, "l3/a"), (2, "l2/b"), (3, "l0/c")]);
        let now = ids(&[("l3/a", 11), ("l2/b", 12), ("l0/c", 13)]);
        assert_eq!(
            resolve_operands("1 && !(2 || 3)", &backup, &now).as_deref(),
            Ok("11 && !(12 || 13)")
        );
    }

    /// The ids of the backup may belong to other monitors now (an org that lost its state):
    /// an operand resolves by its key or the composite is not restored.
    #[test]
    fn an_operand_unknown_missing_or_named_twice_is_refused() {
        let backup = keys(&[(1, "l3/a"), (2, "l2/b")]);
        let now = ids(&[("l3/a", 2), ("l2/b", 1)]);
        assert_eq!(
            resolve_operands("1 && !2", &backup, &now).as_deref(),
            Ok("2 && !1")
        );
        let unknown = resolve_operands("1 && !9", &backup, &now).expect_err("unknown");
        assert!(unknown.contains("monitor 9"), "{unknown}");
        let missing = resolve_operands("1 && !2", &backup, &ids(&[("l3/a", 5)])).expect_err("");
        assert!(missing.contains("l2/b"), "{missing}");
        let twice = keys(&[(1, "l3/a"), (2, "l3/a")]);
        let error = resolve_operands("1 && !2", &twice, &now).expect_err("twice");
        assert!(error.contains("twice"), "{error}");
    }
}
