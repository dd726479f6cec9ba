//! The `--state` file: loading it, saving it durably, and telling each writer when its change
//! is in the file.
//!
//! A change made through the API is answered only once a save that contains it is on disk:
//! with `--state`, "acknowledged" means "in the state file", so a crash (even SIGKILL) never
//! loses an answered write, and never hands out an answered id again. Saves are group commits:
//! the changes made while one save runs share the next one. The file's text is kept per
//! monitor, so a save re-renders only what changed since the previous one.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::{Notify, watch};

use super::store::Store;

/// Reads the state file; a missing file is an empty org.
pub(super) fn load(path: &Path) -> std::io::Result<Store> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not an emulator state file: {error}"),
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
        Err(error) => Err(error),
    }
}

/// Links followed at most this deep, as the kernel does (Linux's `MAXSYMLINKS`).
const MAX_LINK_DEPTH: usize = 40;

/// The file `path` names once symbolic links are followed (a link to a link too); the path
/// itself when it is not a link. A dangling link gives the file it points at, which the first
/// save creates. Only the last component matters: a linked directory holds the same lock file
/// and the same state file under every name, but `FILE.lock` is derived from the file's name,
/// and a save that renamed over a link would replace the link instead of the file.
pub(super) fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINK_DEPTH {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                // A relative target is relative to the link's directory.
                current = match current.parent() {
                    Some(directory) => directory.join(target),
                    None => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINK_DEPTH} symbolic links to follow (a loop?)"
    )))
}

/// Saving to one state file, and who is waiting for which change.
pub(super) struct Persistence {
    path: PathBuf,
    /// Changes applied to the store so far. Counted while the store is locked, so a snapshot
    /// taken under that lock contains exactly the first `applied` changes.
    applied: AtomicU64,
    /// Wakes the background saver.
    pub(super) changed: Notify,
    /// The file's text; its lock also serialises writers of the temporary file.
    rendered: Mutex<RenderedState>,
    status: watch::Sender<SaveStatus>,
}

impl Persistence {
    pub(super) fn new(path: PathBuf) -> Self {
        Persistence {
            path,
            applied: AtomicU64::new(0),
            changed: Notify::new(),
            rendered: Mutex::new(RenderedState::default()),
            status: watch::Sender::new(SaveStatus::default()),
        }
    }

    /// Numbers a change just applied. Call while holding the store lock.
    pub(super) fn count_change(&self) -> u64 {
        self.applied.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Why the last save failed, while no later save has succeeded.
    pub(super) fn failure(&self) -> Option<String> {
        let status = self.status.borrow();
        status
            .failure
            .as_ref()
            .map(|failure| failure.message.clone())
    }

    /// Waits until change `number` is in the state file, or a save meant to contain it failed.
    pub(super) async fn saved(&self, number: u64) -> Result<(), String> {
        let mut status = self.status.subscribe();
        let settled = status
            .wait_for(|status| status.outcome(number).is_some())
            .await
            .map_err(|_| "emulator stopped before saving the change".to_owned())?;
        settled.outcome(number).unwrap_or(Ok(()))
    }

    /// Writes the state file if anything changed since the last successful save, and tells
    /// the writers waiting for it.
    pub(super) fn save(&self, store: &Mutex<Store>) -> Result<(), String> {
        let mut rendered = lock(&self.rendered);
        let (covered, header) = {
            let mut store = lock(store);
            let covered = self.applied.load(Ordering::SeqCst);
            if covered <= self.status.borrow().saved {
                return Ok(());
            }
            rendered.refresh(&mut store);
            (covered, (store.next_id(), store.org_id()))
        };
        let outcome = save_atomically(&self.path, &rendered.file_bytes(header)).map_err(|error| {
            format!(
                "emulator could not save its state to {}: {error}",
                self.path.display()
            )
        });
        self.record(covered, &outcome);
        outcome
    }

    fn record(&self, covered: u64, outcome: &Result<(), String>) {
        self.status.send_modify(|status| match outcome {
            Ok(()) => {
                status.saved = status.saved.max(covered);
                status.failure = None;
            }
            Err(message) => {
                status.failure = Some(SaveFailure {
                    covered,
                    message: message.clone(),
                });
            }
        });
    }
}

/// What the state file holds, as far as waiting writers are concerned.
#[derive(Debug, Clone, Default)]
struct SaveStatus {
    /// Changes `1..=saved` are in the state file.
    saved: u64,
    /// The last save failed: the changes up to `covered` it tried to write, and why.
    failure: Option<SaveFailure>,
}

#[derive(Debug, Clone)]
struct SaveFailure {
    covered: u64,
    message: String,
}

impl SaveStatus {
    /// Whether change `number` is saved, failed to save, or (None) still waits for a save.
    fn outcome(&self, number: u64) -> Option<Result<(), String>> {
        if self.saved >= number {
            return Some(Ok(()));
        }
        self.failure
            .as_ref()
            .filter(|failure| failure.covered >= number)
            .map(|failure| Err(failure.message.clone()))
    }
}

/// The state file's text, kept monitor by monitor: rendering every monitor on every
/// acknowledged write made sequential creates quadratic in CPU (2000 creates: 120 s).
#[derive(Debug, Default)]
struct RenderedState {
    /// Each monitor's entry in the file's `monitors` object, indented as it appears there.
    entries: BTreeMap<i64, String>,
    /// The `events` array's entries, re-rendered whole when the log grew (a drill may log out
    /// of time order, which inserts in the middle).
    events: Vec<String>,
}

impl RenderedState {
    /// Re-renders the monitors changed since the last refresh.
    fn refresh(&mut self, store: &mut Store) {
        if store.events().len() != self.events.len() {
            self.events = store
                .events()
                .records()
                .iter()
                .map(|record| {
                    let value = serde_json::to_value(record).unwrap_or(Value::Null);
                    format!("    {}", format!("{value:#}").replace('\n', "\n    "))
                })
                .collect();
        }
        let changed: BTreeSet<i64> = store.take_changed();
        for id in changed {
            match store.monitor(id) {
                Some(monitor) => {
                    // `{:#}` is serde_json's pretty printer, and cannot fail.
                    let pretty = format!("{:#}", Value::Object(monitor.clone()));
                    let entry = format!("    \"{id}\": {}", pretty.replace('\n', "\n    "));
                    self.entries.insert(id, entry);
                }
                None => {
                    self.entries.remove(&id);
                }
            }
        }
    }

    /// The whole file, byte for byte what `serde_json::to_vec_pretty(&store)` would write.
    /// `(next_id, org_id)` are the store's fields before `monitors`.
    fn file_bytes(&self, (next_id, org_id): (i64, i64)) -> Vec<u8> {
        let size: usize = self.entries.values().map(|entry| entry.len() + 2).sum();
        let mut out = String::with_capacity(size + 64);
        out.push_str(&format!(
            "{{\n  \"next_id\": {next_id},\n  \"org_id\": {org_id},\n  \"monitors\": {{"
        ));
        for (index, entry) in self.entries.values().enumerate() {
            out.push_str(if index == 0 { "\n" } else { ",\n" });
            out.push_str(entry);
        }
        if !self.entries.is_empty() {
            out.push_str("\n  ");
        }
        out.push('}');
        if !self.events.is_empty() {
            out.push_str(",\n  \"events\": [\n");
            out.push_str(&self.events.join(",\n"));
            out.push_str("\n  ]");
        }
        out.push_str("\n}");
        out.into_bytes()
    }
}

/// Write, fsync, rename, fsync the directory: a crash (or power loss) leaves either the old
/// or the new state file, never a half-written one, and once this returns the new one stays.
fn save_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory)?;
    // Same directory as the state file, so the rename cannot cross file systems; an
    // unpredictable name created exclusively, so a link planted there cannot take the bytes.
    let mut temporary = tempfile::Builder::new()
        .prefix(".monc-emulator-state.")
        .suffix(".tmp")
        .tempfile_in(directory)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    sync_directory(directory)
}

/// Makes a rename in `directory` durable (POSIX needs an fsync of the directory itself).
#[cfg(unix)]
fn sync_directory(directory: &Path) -> std::io::Result<()> {
    std::fs::File::open(directory)?.sync_all()
}

/// Windows cannot open a directory to fsync it; its rename is as durable as it gets.
#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> std::io::Result<()> {
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing is left half-changed while these locks are held: recover from poison.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store_with(names: &[&str]) -> Store {
        let mut store = Store::default();
        for name in names {
            let body = json!({"name": name, "type": "query alert",
                              "query": "avg(last_5m):avg:x{*} > 1", "tags": ["a:b"]});
            store.create(&body).expect("created");
        }
        store
    }

    fn rendered_file(rendered: &mut RenderedState, store: &mut Store) -> String {
        rendered.refresh(store);
        String::from_utf8(rendered.file_bytes((store.next_id(), store.org_id()))).expect("utf-8")
    }

    /// The old temporary name, `<state>.tmp`, as a link to another file: the write must not
    /// go through it.
    #[cfg(unix)]
    #[test]
    fn a_link_planted_beside_the_state_file_is_not_followed() {
        let dir = std::env::temp_dir().join(format!("monc-emulator-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let victim = dir.join("victim");
        std::fs::write(&victim, b"keep me").expect("victim");
        std::os::unix::fs::symlink(&victim, dir.join("org.json.tmp")).expect("link");
        save_atomically(&dir.join("org.json"), b"{}").expect("saved");
        assert_eq!(std::fs::read(&victim).expect("read"), b"keep me");
        assert_eq!(std::fs::read(dir.join("org.json")).expect("read"), b"{}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_to_the_file_even_a_missing_one_and_a_loop_is_an_error() {
        use std::os::unix::fs::symlink;
        let dir = std::env::temp_dir().join(format!("monc-emulator-follow-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("real")).expect("mkdir");
        symlink("real/org.json", dir.join("first")).expect("link");
        symlink(dir.join("first"), dir.join("second")).expect("link");
        assert_eq!(
            follow_links(&dir.join("second")).expect("followed"),
            dir.join("real/org.json")
        );
        assert_eq!(
            follow_links(&dir.join("plain.json")).expect("not a link"),
            dir.join("plain.json")
        );
        symlink("loop-b", dir.join("loop-a")).expect("link");
        symlink("loop-a", dir.join("loop-b")).expect("link");
        assert!(follow_links(&dir.join("loop-a")).is_err());
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn the_rendered_file_is_what_serde_would_write() {
        let mut rendered = RenderedState::default();
        let mut store = store_with(&[]);
        let expected = serde_json::to_string_pretty(&store).expect("json");
        assert_eq!(rendered_file(&mut rendered, &mut store), expected);

        let mut store = store_with(&["one", "two", "three"]);
        let expected = serde_json::to_string_pretty(&store).expect("json");
        assert_eq!(rendered_file(&mut rendered, &mut store), expected);
    }

    #[test]
    fn only_changes_are_re_rendered_and_deletes_drop_out() {
        let mut rendered = RenderedState::default();
        let mut store = store_with(&["one", "two"]);
        rendered_file(&mut rendered, &mut store);
        let ids: Vec<i64> = store
            .all()
            .iter()
            .filter_map(|m| m["id"].as_i64())
            .collect();
        store.delete(ids[0], false).expect("deleted");
        store
            .update(ids[1], &json!({"name": "renamed"}))
            .expect("updated");
        let text = rendered_file(&mut rendered, &mut store);
        assert_eq!(text, serde_json::to_string_pretty(&store).expect("json"));
        assert!(
            text.contains("renamed") && !text.contains("\"one\""),
            "{text}"
        );
    }

    #[test]
    fn the_event_log_is_saved_and_loads_back() {
        use crate::store::StateChange;
        let mut rendered = RenderedState::default();
        let mut store = store_with(&["one"]);
        let id = store.next_id() - 1;
        let alert = StateChange {
            monitor_id: id,
            group: Some("host:a".into()),
            status: crate::states::Status::Alert,
        };
        store.set_states_at(&[alert], Some(1_000_000)).expect("set");
        assert_eq!(store.events().len(), 1);
        let text = rendered_file(&mut rendered, &mut store);
        assert_eq!(text, serde_json::to_string_pretty(&store).expect("json"));
        let loaded: Store = serde_json::from_str(&text).expect("loads");
        assert_eq!(loaded.events(), store.events());
    }

    #[test]
    fn a_loaded_store_renders_every_monitor() {
        let original = store_with(&["one", "two"]);
        let bytes = serde_json::to_vec(&original).expect("json");
        let mut loaded: Store = serde_json::from_slice(&bytes).expect("loads");
        let mut rendered = RenderedState::default();
        let text = rendered_file(&mut rendered, &mut loaded);
        assert_eq!(text, serde_json::to_string_pretty(&original).expect("json"));
    }

    #[test]
    fn a_save_failure_is_reported_only_to_the_changes_it_covered() {
        let status = SaveStatus {
            saved: 3,
            failure: Some(SaveFailure {
                covered: 5,
                message: "disk full".into(),
            }),
        };
        assert_eq!(status.outcome(3), Some(Ok(())));
        assert_eq!(status.outcome(5), Some(Err("disk full".into())));
        assert_eq!(status.outcome(6), None);
    }
}
