//! Applying a plan to the org: constituents before composites, composites deleted before what
//! they reference, a backup before anything is changed, and no duplicate when an answer is lost.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinSet;

use crate::datadog::{ApiError, Client, Monitor};
use crate::plan::{
    Action, Change, Definition, DesiredMonitor, LiveMonitor, Ownership, Plan, apply_order,
    apply_rank, marker_line,
};

/// Reads every monitor carrying the ownership tag: one paginated, tag-filtered listing.
pub async fn read_owned(client: &Client, ownership: &Ownership) -> Result<Vec<Monitor>, ApiError> {
    client
        .list_monitors(std::slice::from_ref(&ownership.owner_tag))
        .await
}

/// The parts of a wire monitor that plans compare.
pub fn live_from_wire(monitor: &Monitor) -> Option<LiveMonitor> {
    let creator = monitor.extra.get("creator").and_then(|c| {
        c.get("handle")
            .or_else(|| c.get("email"))
            .and_then(|h| h.as_str())
            .map(String::from)
    });
    Some(LiveMonitor {
        id: monitor.id?,
        name: monitor.name.clone(),
        monitor_type: monitor.monitor_type.clone(),
        query: monitor.query.clone(),
        message: monitor.message.clone(),
        tags: monitor.tags.clone(),
        options: monitor.options.clone(),
        priority: monitor.priority,
        modified: monitor.modified.clone(),
        creator,
    })
}

/// Keeps the changes of a staged rollout: the named tenants' monitors, the shared monitors their
/// composites need, and orphans that belonged to those tenants.
pub fn restrict_to_tenants(plan: Plan, desired: &[DesiredMonitor], tenants: &[String]) -> Plan {
    let by_key: HashMap<&str, &DesiredMonitor> =
        desired.iter().map(|d| (d.key.as_str(), d)).collect();
    let mut keep: HashSet<String> = HashSet::new();
    let mut queue: Vec<&DesiredMonitor> = desired
        .iter()
        .filter(|d| d.tenant.as_ref().is_some_and(|t| tenants.contains(t)))
        .collect();
    while let Some(d) = queue.pop() {
        if !keep.insert(d.key.clone()) {
            continue;
        }
        queue.extend(
            d.query
                .dependencies()
                .into_iter()
                .filter_map(|k| by_key.get(k).copied()),
        );
    }
    let orphan_of_tenant = |c: &Change| {
        c.action == Action::Delete
            && c.live
                .as_ref()
                .and_then(|l| l.tag_value("tenant"))
                .is_some_and(|t| tenants.iter().any(|n| n == t))
    };
    Plan {
        changes: plan
            .changes
            .into_iter()
            .filter(|c| keep.contains(&c.key) || orphan_of_tenant(c))
            .collect(),
        owned_without_key: plan.owned_without_key,
    }
}

/// Called after every write with (done, total, key).
pub type Progress = Arc<dyn Fn(usize, usize, &str) + Send + Sync>;

/// What `apply` needs besides the plan.
pub struct ApplyOptions {
    pub ownership: Ownership,
    /// Delete orphans; without it they are reported and left alone.
    pub prune: bool,
    /// Where to write the snapshot of monitors about to be changed or deleted.
    pub backup_dir: PathBuf,
    pub progress: Progress,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub key: String,
    pub action: Action,
    pub id: Option<i64>,
    /// None when it worked.
    pub error: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub backup: Option<PathBuf>,
    /// Orphans left in place because --prune was not given.
    pub orphans_kept: Vec<String>,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.error.is_some())
    }

    pub fn succeeded(&self, action: Action) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.action == action && o.error.is_none())
            .count()
    }
}

/// Applies the plan. Independent work goes on when something fails; every failure is reported.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    live_wire: &[Monitor],
    options: &ApplyOptions,
) -> Report {
    let mut report = Report::default();
    let ordered: Vec<&Change> = apply_order(plan)
        .into_iter()
        .filter(|c| {
            let keep = c.action != Action::Delete
                || options.prune
                || c.drift == Some(crate::plan::Drift::Duplicate);
            if !keep {
                report.orphans_kept.push(c.key.clone());
            }
            keep
        })
        .collect();
    if ordered.is_empty() {
        return report;
    }
    match write_backup(&options.backup_dir, &ordered, live_wire) {
        Ok(path) => report.backup = path,
        Err(error) => {
            report.outcomes.push(Outcome {
                key: "(backup)".into(),
                action: Action::Unchanged,
                id: None,
                error: Some(format!(
                    "could not write the backup, so nothing was changed: {error}"
                )),
            });
            return report;
        }
    }
    // What composites may point at: never a monitor about to be deleted (a duplicate shares
    // its key with the monitor that is kept).
    let mut ids: HashMap<String, i64> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Delete)
        .filter_map(|c| Some((c.key.clone(), c.live.as_ref()?.id)))
        .collect();
    let total = ordered.len();
    let mut done = 0;
    for phase in phases(&ordered) {
        let outcomes = run_phase(client, &phase, &ids, options, &mut done, total).await;
        for outcome in &outcomes {
            match (outcome.action, outcome.id, &outcome.error) {
                // A deleted duplicate shares its key with the monitor that is kept.
                (Action::Delete, id, None) if ids.get(&outcome.key) == id.as_ref() => {
                    ids.remove(&outcome.key);
                }
                (Action::Delete, _, None) => {}
                (_, Some(id), None) => {
                    ids.insert(outcome.key.clone(), id);
                }
                _ => {}
            }
        }
        report.outcomes.extend(outcomes);
    }
    report
}

/// Consecutive changes of the same rank can run in parallel; ranks run one after another.
fn phases<'a>(ordered: &[&'a Change]) -> Vec<Vec<&'a Change>> {
    let mut phases: Vec<Vec<&Change>> = Vec::new();
    for change in ordered {
        match phases.last_mut() {
            Some(phase) if apply_rank(phase[0]) == apply_rank(change) => phase.push(change),
            _ => phases.push(vec![change]),
        }
    }
    phases
}

async fn run_phase(
    client: &Client,
    phase: &[&Change],
    ids: &HashMap<String, i64>,
    options: &ApplyOptions,
    done: &mut usize,
    total: usize,
) -> Vec<Outcome> {
    let mut tasks = JoinSet::new();
    for change in phase {
        let client = client.clone();
        let change = (*change).clone();
        let ids = ids.clone();
        let ownership = options.ownership.clone();
        tasks.spawn(async move { apply_one(&client, &change, &ids, &ownership).await });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.unwrap_or_else(|e| Outcome {
            key: "(task)".into(),
            action: Action::Unchanged,
            id: None,
            error: Some(format!("internal error: {e}")),
        });
        *done += 1;
        (options.progress)(*done, total, &outcome.key);
        outcomes.push(outcome);
    }
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    outcomes
}

async fn apply_one(
    client: &Client,
    change: &Change,
    ids: &HashMap<String, i64>,
    ownership: &Ownership,
) -> Outcome {
    let result = match change.action {
        Action::Create => create(client, change, ids, ownership).await,
        Action::Update => update(client, change, ids).await,
        Action::Delete => delete(client, change).await,
        Action::Unchanged => Ok(change.live.as_ref().map(|l| l.id)),
    };
    let (id, error) = match result {
        Ok(id) => (id, None),
        Err(error) => (change.live.as_ref().map(|l| l.id), Some(error)),
    };
    Outcome {
        key: change.key.clone(),
        action: change.action,
        id,
        error,
    }
}

/// The wire body for a desired monitor, composite constituents turned into IDs.
pub fn wire_body(desired: &DesiredMonitor, ids: &HashMap<String, i64>) -> Result<Monitor, String> {
    let missing: Vec<&str> = desired
        .query
        .dependencies()
        .into_iter()
        .filter(|k| !ids.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "skipped: it needs {} which could not be created",
            missing.join(", ")
        ));
    }
    let query = desired
        .query
        .render(|k| ids.get(k).map(i64::to_string).unwrap_or_default());
    let revision = Definition::of_desired(desired).revision();
    let message = format!(
        "{}\n\n{}",
        desired.message.trim_end(),
        marker_line(&desired.key, &revision)
    );
    let mut monitor = Monitor::new(
        &desired.name,
        &desired.monitor_type,
        &query,
        message.trim_start(),
    );
    monitor.tags = desired.tags.clone();
    monitor.options = desired.options.clone();
    monitor.priority = desired.priority;
    Ok(monitor)
}

/// Creates a monitor; if the answer was lost, looks the key up before trying again, so a lost
/// answer never becomes a duplicate.
async fn create(
    client: &Client,
    change: &Change,
    ids: &HashMap<String, i64>,
    ownership: &Ownership,
) -> Result<Option<i64>, String> {
    let desired = change.desired.as_ref().ok_or("nothing to create")?;
    let body = wire_body(desired, ids)?;
    let key_tag = format!("{}:{}", ownership.key_tag, desired.key);
    for _ in 0..3 {
        match client.create_monitor(&body).await {
            Ok(created) => return Ok(created.id),
            Err(ApiError::ResponseLost { .. }) => {
                let tags = [ownership.owner_tag.clone(), key_tag.clone()];
                let found = client
                    .list_monitors(&tags)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some(existing) = found.first() {
                    return Ok(existing.id);
                }
            }
            Err(error) => return Err(error.to_string()),
        }
    }
    Err("the API kept dropping its answer; run `monc sync` again".into())
}

/// Updates a monitor unless it changed since the plan was made: a newer edit is never overwritten.
async fn update(
    client: &Client,
    change: &Change,
    ids: &HashMap<String, i64>,
) -> Result<Option<i64>, String> {
    let (Some(desired), Some(live)) = (&change.desired, &change.live) else {
        return Err("nothing to update".into());
    };
    let current = client
        .get_monitor(live.id)
        .await
        .map_err(|e| e.to_string())?;
    if current.modified != live.modified {
        return Err(format!(
            "changed in Datadog since the plan was made (modified {}); run `monc diff` again and review",
            current.modified.as_deref().unwrap_or("at an unknown time")
        ));
    }
    let body = wire_body(desired, ids)?;
    client
        .update_monitor(live.id, &body)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(live.id))
}

async fn delete(client: &Client, change: &Change) -> Result<Option<i64>, String> {
    let live = change.live.as_ref().ok_or("nothing to delete")?;
    // Never forced: a composite monc does not own may still use this monitor.
    match client.delete_monitor(live.id, false).await {
        Ok(()) => Ok(Some(live.id)),
        Err(error) if error.is_not_found() => Ok(Some(live.id)),
        Err(error) => Err(error.to_string()),
    }
}

/// Writes the full wire form of every monitor about to be updated or deleted.
fn write_backup(
    dir: &Path,
    ordered: &[&Change],
    live_wire: &[Monitor],
) -> std::io::Result<Option<PathBuf>> {
    let touched: HashSet<i64> = ordered
        .iter()
        .filter(|c| matches!(c.action, Action::Update | Action::Delete))
        .filter_map(|c| c.live.as_ref().map(|l| l.id))
        .collect();
    if touched.is_empty() {
        return Ok(None);
    }
    let monitors: Vec<&Monitor> = live_wire
        .iter()
        .filter(|m| m.id.is_some_and(|id| touched.contains(&id)))
        .collect();
    std::fs::create_dir_all(dir)?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let path = dir.join(format!("{stamp}.json"));
    let text = serde_json::to_string_pretty(&monitors).map_err(std::io::Error::other)?;
    std::fs::write(&path, text)?;
    Ok(Some(path))
}

/// Puts backed-up monitors back: updates those that still exist, recreates the others (raw
/// monitors first, then composites with their constituents' new IDs).
pub async fn restore(client: &Client, backup: &[Monitor]) -> Vec<Outcome> {
    let mut new_ids: HashMap<i64, i64> = HashMap::new();
    let mut outcomes = Vec::new();
    let (composites, raws): (Vec<&Monitor>, Vec<&Monitor>) =
        backup.iter().partition(|m| m.monitor_type == "composite");
    for monitor in raws.into_iter().chain(composites) {
        let mut body = monitor.clone();
        if monitor.monitor_type == "composite" {
            body.query = remap_ids(&monitor.query, &new_ids);
        }
        let key = monitor.name.clone();
        let old_id = monitor.id.unwrap_or_default();
        let result = match client.get_monitor(old_id).await {
            Ok(_) => client.update_monitor(old_id, &body).await,
            Err(e) if e.is_not_found() => client.create_monitor(&body).await,
            Err(e) => Err(e),
        };
        let (id, error) = match result {
            Ok(written) => (written.id, None),
            Err(e) => (None, Some(e.to_string())),
        };
        if let Some(id) = id {
            new_ids.insert(old_id, id);
        }
        outcomes.push(Outcome {
            key,
            action: Action::Update,
            id,
            error,
        });
    }
    outcomes
}

fn remap_ids(query: &str, new_ids: &HashMap<i64, i64>) -> String {
    let Ok(expr) = crate::query::parse_composite_query(query) else {
        return query.to_string();
    };
    expr.render(&|operand| match operand {
        crate::query::Operand::Id(id) => {
            let id = i64::try_from(*id).unwrap_or_default();
            new_ids.get(&id).copied().unwrap_or(id).to_string()
        }
        other => format!("{other:?}"),
    })
}
