//! Backups that `sync` writes before changing anything, and `restore`, which puts them back.
//!
//! A backup records which org it came from (the API's host and the monitors' `org_id`) and
//! which tags mark monc's monitors. Restore puts back only monitors that carry the ownership
//! tag, finds each by its key (so running it twice changes nothing the second time), never
//! writes to a live monitor monc does not own, and shows its plan before it writes.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::datadog::{ApiError, Client, Monitor};
use crate::model::is_composite;
use crate::plan::Ownership;

/// Version of the backup format written by this monc.
const FORMAT: u32 = 1;

/// What a backup file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Backup {
    pub monc_backup: u32,
    /// The API the monitors were read from (scheme, host and port).
    pub api: String,
    pub owner_tag: String,
    pub key_tag: String,
    pub monitors: Vec<Monitor>,
}

impl Backup {
    pub fn new(api: &str, ownership: &Ownership, monitors: Vec<Monitor>) -> Backup {
        Backup {
            monc_backup: FORMAT,
            api: api.to_string(),
            owner_tag: ownership.owner_tag.clone(),
            key_tag: ownership.key_tag.clone(),
            monitors,
        }
    }

    pub fn ownership(&self) -> Ownership {
        Ownership {
            owner_tag: self.owner_tag.clone(),
            key_tag: self.key_tag.clone(),
        }
    }

    /// Writes the backup to a new file in `dir`, named by when it was taken (UTC, e.g.
    /// `2025-05-12T094621.924878Z-4242-1.json`, so that names sort by time) and made unique by
    /// the process and a counter. The file is created exclusively (never replacing another
    /// backup, even one written in the same microsecond), atomically (a crash or a full disk
    /// leaves no partial file) and private to its owner, like `dir` and `.monc/` above it.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        make_private_dirs(dir)?;
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let stamp = file_stamp(std::time::SystemTime::now());
        loop {
            let attempt = WRITE_ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!("{stamp}-{}-{attempt}.json", std::process::id());
            let path = dir.join(name);
            match crate::atomic_file::create_new_private(&path, text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                written => return written.map(|()| path),
            }
        }
    }

    /// Reads a backup; a bare list of monitors (written by earlier versions) is taken with
    /// `ownership` and an unknown origin.
    pub fn read(path: &Path, ownership: &Ownership) -> Result<Backup, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if value.is_array() {
            let monitors = serde_json::from_value(value).map_err(|e| e.to_string())?;
            return Ok(Backup::new("", ownership, monitors));
        }
        serde_json::from_value(value).map_err(|e| format!("not a monc backup: {e}"))
    }
}

/// Backups this process has named so far: the unique part of the next backup's name.
static WRITE_ATTEMPTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// `2025-05-12T094621.924878Z`: ISO 8601 UTC, without the colons some file systems refuse.
fn file_stamp(now: std::time::SystemTime) -> String {
    let micros = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    let text = monc_emulator::format_micros(micros);
    let stamp = text.strip_suffix("+00:00").unwrap_or(&text);
    format!("{}Z", stamp.replace(':', ""))
}

/// `dir` and, when it is monc's state directory's subdirectory (`.monc/backups`), `.monc`
/// too: private to the owner (they hold the org's data).
fn make_private_dirs(dir: &Path) -> std::io::Result<()> {
    crate::atomic_file::private_dir_all(dir)?;
    match dir.parent() {
        Some(state) if state.file_name().is_some_and(|n| n == ".monc") => {
            crate::atomic_file::private_dir_all(state)
        }
        _ => Ok(()),
    }
}

/// What restore will do with one backed-up monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum Step {
    /// The live monitor with this key already matches the backup.
    Unchanged { id: i64 },
    /// Put the backed-up fields back on the live monitor with this key.
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
    #[serde(skip)]
    monitor: Monitor,
    #[serde(skip)]
    live: Option<Monitor>,
}

/// The restore plan: what each backed-up monitor needs.
#[derive(Debug, Default, Serialize)]
pub struct RestorePlan {
    pub items: Vec<RestoreItem>,
}

impl RestorePlan {
    pub fn writes(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.step, Step::Update { .. } | Step::Create))
            .count()
    }
}

/// Refuses a backup of another org: another API host, or monitors of another `org_id` than
/// the live ones.
pub fn check_origin(backup: &Backup, api: &str, live: &[Monitor]) -> Result<(), String> {
    if !backup.api.is_empty() && !same_origin(&backup.api, api) {
        return Err(format!(
            "the backup was taken from {} and this is {api}; restore it into the org it came from",
            backup.api
        ));
    }
    let org_ids = |monitors: &[Monitor]| -> BTreeSet<i64> {
        monitors
            .iter()
            .filter_map(|m| m.extra.get("org_id").and_then(Value::as_i64))
            .collect()
    };
    let (theirs, ours) = (org_ids(&backup.monitors), org_ids(live));
    if !theirs.is_empty() && !ours.is_empty() && theirs.is_disjoint(&ours) {
        return Err(format!(
            "the backup holds monitors of org {theirs:?} and this org is {ours:?}"
        ));
    }
    Ok(())
}

/// Same host (and, off loopback, same scheme and port). The local emulator gets a new port
/// every run, so on loopback the host decides.
fn same_origin(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (reqwest::Url::parse(a), reqwest::Url::parse(b)) else {
        return a == b;
    };
    let loopback = |u: &reqwest::Url| {
        matches!(
            u.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        )
    };
    if loopback(&a) && loopback(&b) {
        return true;
    }
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port() == b.port()
}

/// Decides, for each backed-up monitor, what restore does. `live` is the owned listing.
pub fn plan_restore(backup: &Backup, live: &[Monitor]) -> RestorePlan {
    let ownership = backup.ownership();
    let live_by_key: HashMap<&str, &Monitor> = live
        .iter()
        .filter(|m| m.tags.contains(&ownership.owner_tag))
        .filter_map(|m| Some((key_of(m, &ownership.key_tag)?, m)))
        .collect();
    let items = backup
        .monitors
        .iter()
        .map(|monitor| {
            let key = key_of(monitor, &ownership.key_tag).unwrap_or_default();
            let live = live_by_key.get(key).copied();
            RestoreItem {
                key: key.to_string(),
                name: monitor.name.clone(),
                step: step_for(monitor, key, live, &ownership),
                monitor: monitor.clone(),
                live: live.cloned(),
            }
        })
        .collect();
    RestorePlan { items }
}

fn step_for(monitor: &Monitor, key: &str, live: Option<&Monitor>, ownership: &Ownership) -> Step {
    if !monitor.tags.contains(&ownership.owner_tag) {
        return Step::Refuse {
            reason: format!(
                "it does not carry `{}`: restore puts back only monc's monitors",
                ownership.owner_tag
            ),
        };
    }
    if key.is_empty() {
        return Step::Refuse {
            reason: format!("it has no `{}:` tag", ownership.key_tag),
        };
    }
    match live {
        Some(live) if same_content(monitor, live) => Step::Unchanged {
            id: live.id.unwrap_or_default(),
        },
        Some(live) => Step::Update {
            id: live.id.unwrap_or_default(),
        },
        None => Step::Create,
    }
}

fn key_of<'a>(monitor: &'a Monitor, key_tag: &str) -> Option<&'a str> {
    monitor
        .tags
        .iter()
        .find_map(|t| t.strip_prefix(key_tag)?.strip_prefix(':'))
}

/// The fields restore writes, without what the server owns or fills: mute state (`silenced`)
/// is not configuration, and composite IDs are compared after remapping.
fn restorable(monitor: &Monitor) -> Monitor {
    let mut body = Monitor::new(
        &monitor.name,
        &monitor.monitor_type,
        &monitor.query,
        &monitor.message,
    );
    body.tags = monitor.tags.clone();
    body.options = monitor.options.clone();
    body.options.remove(crate::plan::normalize::MUTE_STATE);
    body.priority = monitor.priority;
    body
}

fn same_content(backup: &Monitor, live: &Monitor) -> bool {
    let (a, b) = (restorable(backup), restorable(live));
    let mut tags_a = a.tags.clone();
    let mut tags_b = b.tags.clone();
    tags_a.sort();
    tags_b.sort();
    a.name == b.name
        && a.query == b.query
        && a.message.trim_end() == b.message.trim_end()
        && tags_a == tags_b
        && a.options == b.options
        && a.priority == b.priority
}

/// What happened to one item.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreOutcome {
    pub key: String,
    pub id: Option<i64>,
    pub error: Option<String>,
}

/// Carries out `plan`: raw monitors first, then composites with their constituents' current
/// IDs. Every write is preceded by a fresh read: a monitor changed since the plan was made, or
/// one that is no longer monc's, is left alone.
pub async fn restore(
    client: &Client,
    plan: &RestorePlan,
    ownership: &Ownership,
) -> Vec<RestoreOutcome> {
    // Backed-up ID → the ID the monitor of that key has now.
    let mut current_ids: HashMap<i64, i64> = plan
        .items
        .iter()
        .filter_map(|item| match item.step {
            Step::Unchanged { id } | Step::Update { id } => Some((item.monitor.id?, id)),
            _ => None,
        })
        .collect();
    let (composites, raws): (Vec<&RestoreItem>, Vec<&RestoreItem>) = plan
        .items
        .iter()
        .filter(|i| matches!(i.step, Step::Update { .. } | Step::Create))
        .partition(|i| is_composite(&i.monitor.monitor_type));
    let mut outcomes = Vec::new();
    for item in raws.into_iter().chain(composites) {
        let mut body = restorable(&item.monitor);
        if is_composite(&body.monitor_type) {
            body.query = remap_ids(&body.query, &current_ids);
        }
        let result = restore_one(client, item, &body, ownership).await;
        if let (Ok(id), Some(old)) = (&result, item.monitor.id) {
            current_ids.insert(old, *id);
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
            if !current.tags.contains(&ownership.owner_tag) {
                return Err(format!("it no longer carries `{}`", ownership.owner_tag));
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

fn remap_ids(query: &str, current: &HashMap<i64, i64>) -> String {
    let Ok(expr) = crate::query::parse_composite_query(query) else {
        return query.to_string();
    };
    expr.render(&|operand| match operand {
        crate::query::Operand::Id(id) => {
            let id = i64::try_from(*id).unwrap_or_default();
            current.get(&id).copied().unwrap_or(id).to_string()
        }
        other => format!("{other:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ownership() -> Ownership {
        Ownership {
            owner_tag: "managed-by:monc".into(),
            key_tag: "monc-key".into(),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("monc-backup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Two syncs in the same millisecond each keep their own backup: none replaces another.
    #[test]
    fn backups_written_at_the_same_moment_are_distinct_files() {
        let root = scratch("same-moment");
        let dir = root.join(".monc").join("backups");
        let writers = 16;
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(writers));
        let handles: Vec<_> = (0..writers)
            .map(|n| {
                let (dir, barrier) = (dir.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let monitor = Monitor::new(&format!("m{n}"), "query alert", "q", "");
                    let backup = Backup::new("http://127.0.0.1:1", &ownership(), vec![monitor]);
                    barrier.wait();
                    backup.write(&dir).expect("written")
                })
            })
            .collect();
        let paths: BTreeSet<PathBuf> = handles
            .into_iter()
            .map(|h| h.join().expect("joined"))
            .collect();
        assert_eq!(paths.len(), writers, "{paths:?}");
        let on_disk = std::fs::read_dir(&dir).expect("list").flatten().count();
        assert_eq!(on_disk, writers, "every backup is on disk");
        let names: BTreeSet<String> = paths
            .iter()
            .map(|p| {
                Backup::read(p, &ownership()).expect("reads").monitors[0]
                    .name
                    .clone()
            })
            .collect();
        assert_eq!(names.len(), writers, "each file holds its own backup");
        std::fs::remove_dir_all(&root).expect("clean up");
    }

    /// A backup holds the org's monitors: only its owner may read it.
    #[cfg(unix)]
    #[test]
    fn backups_are_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let root = scratch("private");
        let state = root.join(".monc");
        let path = Backup::new("http://127.0.0.1:1", &ownership(), Vec::new())
            .write(&state.join("backups"))
            .expect("written");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        assert_eq!(mode(&state.join("backups")), 0o700);
        assert_eq!(mode(&state), 0o700);
        std::fs::remove_dir_all(&root).expect("clean up");
    }
}
