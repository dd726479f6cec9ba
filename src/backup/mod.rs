//! Backups that `sync` writes before changing anything, and `restore`, which puts them back.
//!
//! A backup records which org it came from: the API origin and the org's id (`org_id`, which
//! the Monitor API shows on every monitor and nowhere else), the tags that mark monc's
//! monitors, and the key of every monitor a backed-up composite names, so that restore can
//! point composites at the right monitors even when ids have changed. Restore itself is in
//! [`restore`].

pub mod restore;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::datadog::Monitor;
use crate::model::is_composite;
use crate::plan::Ownership;

pub use restore::{RestoreItem, RestoreOutcome, RestorePlan, Step, plan_restore, restore};

/// Version of the backup format written by this monc (2: `org_id` and `operand_keys`).
const FORMAT: u32 = 2;

/// What a backup file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Backup {
    pub monc_backup: u32,
    /// The API the monitors were read from (scheme, host and port).
    pub api: String,
    /// The org the monitors belong to (their `org_id`); none if they do not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<i64>,
    pub owner_tag: String,
    pub key_tag: String,
    /// The project that wrote the monitors (`project` in monc.hcl), if it has a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub monitors: Vec<Monitor>,
    /// The key of every monitor a backed-up composite names, by the id it had when the backup
    /// was taken (most are not in the backup: only what the sync changed is).
    #[serde(default)]
    pub operand_keys: BTreeMap<i64, String>,
}

impl Backup {
    /// A backup of `monitors`, read from `api` together with `org` (every owned monitor as
    /// read then: it gives the keys of the monitors the backed-up composites name).
    pub fn new(
        api: &str,
        ownership: &Ownership,
        monitors: Vec<Monitor>,
        org: &[Monitor],
    ) -> Backup {
        let operand_keys = operand_keys(&monitors, org, ownership);
        Backup {
            monc_backup: FORMAT,
            api: api.to_string(),
            org_id: org_id_of(monitors.iter().chain(org)),
            owner_tag: ownership.owner_tag.clone(),
            key_tag: ownership.key_tag.clone(),
            project: ownership.project.clone(),
            monitors,
            operand_keys,
        }
    }

    pub fn ownership(&self) -> Ownership {
        Ownership {
            owner_tag: self.owner_tag.clone(),
            key_tag: self.key_tag.clone(),
            project: self.project.clone(),
            claim_unnamed: false,
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

    /// Reads a backup; a bare list of monitors (written by the first versions) is taken with
    /// `ownership` and an unknown origin. A backup that does not record its org (format 1)
    /// takes the `org_id` its monitors carry.
    pub fn read(path: &Path, ownership: &Ownership) -> Result<Backup, ReadError> {
        let text = std::fs::read_to_string(path)?;
        let value: Value = serde_json::from_str(&text).map_err(ReadError::Json)?;
        let mut backup = if value.is_array() {
            let monitors = serde_json::from_value(value).map_err(ReadError::Json)?;
            Backup::new("", ownership, monitors, &[])
        } else {
            serde_json::from_value(value).map_err(ReadError::NotABackup)?
        };
        if backup.org_id.is_none() {
            backup.org_id = org_id_of(backup.monitors.iter());
        }
        Ok(backup)
    }

    /// The org the backup names, in words: `org 321813 at https://api.datadoghq.com/`.
    pub fn describe_org(&self) -> String {
        let org = self.org_id.map_or_else(
            || "an org of unknown id".to_string(),
            |id| format!("org {id}"),
        );
        if self.api.is_empty() {
            org
        } else {
            format!("{org} at {}", self.api)
        }
    }
}

/// Why a backup file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not JSON, or a bare list that is not a list of monitors.
    #[error("{0}")]
    Json(serde_json::Error),
    #[error("not a monc backup: {0}")]
    NotABackup(serde_json::Error),
}

/// Why a backup may not be restored into an org: it is not the org the backup came from, or
/// monc cannot tell (which `--allow-unidentified-org` accepts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WrongOrg {
    #[error(
        "the backup was taken from {backup} and this is {api}; restore it into the org it came from"
    )]
    OtherApi { backup: String, api: String },
    #[error(
        "the backup holds monitors of org {theirs} and this is org {ours}; restore it into the \
         org it came from"
    )]
    OtherOrg { theirs: i64, ours: i64 },
    #[error(
        "the backup does not record which org it came from (none of its monitors carries an \
         `org_id`), so monc cannot check that this is that org; if you are sure it is, pass \
         --allow-unidentified-org"
    )]
    BackupUnidentified,
    #[error(
        "cannot tell which org this is: it has no monitors, and the Monitor API names an org \
         only on its monitors (`org_id`); the backup is of org {theirs}. If you are sure this \
         is that org, pass --allow-unidentified-org"
    )]
    OrgUnidentified { theirs: i64 },
}

/// The one `org_id` the monitors carry; none if they carry none, or several.
pub fn org_id_of<'a>(monitors: impl Iterator<Item = &'a Monitor>) -> Option<i64> {
    org_id_in(monitors.map(|m| &m.extra))
}

/// The one `org_id` in the server's fields of monitors (their `extra`); none if none, or several.
pub fn org_id_in<'a>(
    fields: impl Iterator<Item = &'a serde_json::Map<String, Value>>,
) -> Option<i64> {
    let ids: BTreeSet<i64> = fields
        .filter_map(|extra| extra.get("org_id").and_then(Value::as_i64))
        .collect();
    match ids.len() {
        1 => ids.first().copied(),
        _ => None,
    }
}

/// Id → key of every monitor of `org` that a composite of `monitors` names.
fn operand_keys(
    monitors: &[Monitor],
    org: &[Monitor],
    ownership: &Ownership,
) -> BTreeMap<i64, String> {
    let named: BTreeSet<i64> = monitors
        .iter()
        .filter(|m| is_composite(&m.body.monitor_type))
        .flat_map(|m| restore::composite_ids(&m.body.query))
        .collect();
    org.iter()
        .filter(|m| m.id.is_some_and(|id| named.contains(&id)))
        .filter(|m| ownership.owns(&m.body.tags))
        .filter_map(|m| Some((m.id?, restore::key_of(m, &ownership.key_tag)?.to_string())))
        .collect()
}

/// Whether a backup may be restored into the org at `api` whose id is `org_id` (`None`: it
/// cannot be told, because the org has no monitor to read it from).
///
/// The API origin must be the backup's (the same host for every org of a site, so this alone
/// cannot tell two orgs apart) and the org id must be the backup's. An org whose id cannot be
/// established, or a backup that does not record one, is refused unless `allow_unidentified`:
/// monc cannot rule out writing a whole org's monitors into the wrong one.
pub fn check_org(
    backup: &Backup,
    api: &str,
    org_id: Option<i64>,
    allow_unidentified: bool,
) -> Result<(), WrongOrg> {
    if !backup.api.is_empty() && !crate::datadog::same_origin(&backup.api, api) {
        return Err(WrongOrg::OtherApi {
            backup: backup.api.clone(),
            api: api.to_string(),
        });
    }
    match (backup.org_id, org_id) {
        (Some(theirs), Some(ours)) if theirs != ours => Err(WrongOrg::OtherOrg { theirs, ours }),
        (Some(_), Some(_)) => Ok(()),
        _ if allow_unidentified => Ok(()),
        (None, _) => Err(WrongOrg::BackupUnidentified),
        (Some(theirs), None) => Err(WrongOrg::OrgUnidentified { theirs }),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ownership() -> Ownership {
        Ownership::of(&crate::model::Project::default())
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
                    let backup =
                        Backup::new("http://127.0.0.1:1", &ownership(), vec![monitor], &[]);
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
                    .body
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
        let path = Backup::new("http://127.0.0.1:1", &ownership(), Vec::new(), &[])
            .write(&state.join("backups"))
            .expect("written");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        assert_eq!(mode(&state.join("backups")), 0o700);
        assert_eq!(mode(&state), 0o700);
        std::fs::remove_dir_all(&root).expect("clean up");
    }
}
