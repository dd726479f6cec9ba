//! One writer per state file: `monc emulator --state FILE` and `--org local` on the same file
//! used to overwrite each other's changes.
//!
//! The lock is an advisory lock (`flock` on Unix) on `FILE.lock` (FILE once links are
//! followed, so that every name of the state file finds the same lock), which names its holder
//! ("monc emulator (pid 1234)") for the error the next writer gets. The operating system
//! releases the lock when the holder ends, even on SIGKILL, so there are no stale locks to
//! detect. The lock file itself stays (emptied): deleting it while others may have it open
//! would let two processes lock two different files of the same name.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Held while an emulator uses a state file; released when dropped.
#[derive(Debug)]
pub(super) struct StateLock {
    file: File,
}

/// Why a state file could not be locked.
#[derive(Debug)]
pub(super) enum LockFailure {
    /// Another process (or another emulator in this one) holds it; `holder` as it wrote.
    InUse { holder: Option<String> },
    /// The lock file cannot be created, opened or locked.
    Io(std::io::Error),
}

impl StateLock {
    pub(super) fn acquire(lock_file: &Path) -> Result<StateLock, LockFailure> {
        if let Some(directory) = lock_file
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(directory).map_err(LockFailure::Io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_file)
            .map_err(LockFailure::Io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockFailure::InUse {
                    holder: read_holder(&mut file),
                });
            }
            Err(TryLockError::Error(error)) => return Err(LockFailure::Io(error)),
        }
        // Naming the holder is a courtesy to the next writer: the lock holds without it.
        let _ = write_holder(&mut file, &this_process());
        Ok(StateLock { file })
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Emptied first, so the file never names a process that no longer holds it.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// `FILE.lock` next to `FILE`.
pub(super) fn lock_file_for(state_file: &Path) -> PathBuf {
    let mut name = state_file.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

fn write_holder(file: &mut File, holder: &str) -> std::io::Result<()> {
    file.set_len(0)?;
    file.write_all(holder.as_bytes())?;
    file.flush()
}

/// What the holder wrote; None when it wrote nothing yet (or, on Windows, where a locked
/// file cannot be read).
fn read_holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    let holder = text.trim();
    (!holder.is_empty()).then(|| holder.to_owned())
}

/// "monc emulator (pid 1234)": the program and its subcommand, never further arguments
/// (they could be anything the user typed).
fn this_process() -> String {
    let mut arguments = std::env::args_os();
    let program = arguments
        .next()
        .and_then(|path| {
            Path::new(&path)
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "monc".into());
    let subcommand = arguments
        .next()
        .map(|argument| argument.to_string_lossy().into_owned())
        .filter(|argument| !argument.starts_with('-'));
    let command = match subcommand {
        Some(subcommand) => format!("{program} {subcommand}"),
        None => program,
    };
    format!("{command} (pid {})", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_file(label: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("monc-state-lock-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("nested").join("org.json.lock")
    }

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_until_the_first_is_dropped() {
        let path = lock_file("second");
        let first = StateLock::acquire(&path).expect("first lock");
        match StateLock::acquire(&path) {
            Err(LockFailure::InUse {
                holder: Some(holder),
            }) => {
                assert!(
                    holder.ends_with(&format!("(pid {})", std::process::id())),
                    "{holder}"
                );
            }
            other => panic!("expected InUse with a holder, got {other:?}"),
        }
        drop(first);
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), "");
        StateLock::acquire(&path).expect("free again once dropped");
        let _ = std::fs::remove_dir_all(path.parent().and_then(Path::parent).expect("dir"));
    }

    #[test]
    fn the_lock_file_sits_next_to_the_state_file() {
        assert_eq!(
            lock_file_for(Path::new(".monc/local-org.json")),
            PathBuf::from(".monc/local-org.json.lock")
        );
    }
}
