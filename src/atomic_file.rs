//! Writing a file so that readers (and a crash) see either the old content or the new, never a
//! part: a temporary file beside the target, flushed to disk, renamed over it, and the
//! directory flushed so that the rename itself survives a crash.

use std::fs::Permissions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Links followed at most this deep, as the kernel does (Linux's `MAXSYMLINKS`).
const MAX_LINK_DEPTH: usize = 40;

/// Writes `bytes` to `path` atomically. On any error the target is untouched and the temporary
/// file is removed. The temporary file gets an unpredictable name and is created exclusively,
/// so nothing planted beside the target (a link to another file) can receive the bytes; a file
/// that is replaced keeps its permissions. When `path` itself is a symbolic link, the file it
/// leads to is written (atomically, in that file's directory) and the link stays, as editors
/// do: renaming over the link would replace it with a copy.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = follow_links(path)?;
    let permissions = permissions_for(&target);
    replace(&target, bytes, permissions)
}

/// Like [`write`], for a file that holds the org's data (a drift report): it ends up readable
/// and writable by its owner only (0600), whether it is new or replaced.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(&follow_links(path)?, bytes, private_permissions())
}

/// The file `path` leads to once symbolic links are followed (a link to a link too); `path`
/// itself when it is not a link. A dangling link gives the file it points at, which the
/// write creates.
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINK_DEPTH {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                // A relative target is relative to the link's directory.
                current = match current.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(format!(
        "{}: more than {MAX_LINK_DEPTH} symbolic links to follow (a loop?)",
        path.display()
    )))
}

/// The atomic replacement of `path`, which is not a link, ending with `permissions`.
fn replace(path: &Path, bytes: &[u8], permissions: Option<Permissions>) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    if let Some(permissions) = &permissions {
        builder.permissions(permissions.clone());
    }
    // Dropped on any error below, which removes it.
    let mut temporary = builder.tempfile_in(dir)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    sync_directory(dir)
}

/// Writes `bytes` to a new file at `path`, atomically, readable and writable by the owner only
/// (0600): for files that hold the org's data. Never replaces anything: if `path` exists the
/// error is `AlreadyExists` and both files are left as they were.
pub fn create_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".monc-new.").suffix(".tmp");
    if let Some(permissions) = private_permissions() {
        builder.permissions(permissions);
    }
    let mut temporary = builder.tempfile_in(dir)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist_noclobber(path).map_err(|e| e.error)?;
    sync_directory(dir)
}

/// Creates `dir` (and missing parents) and makes it private to its owner (0700): it is where
/// monc keeps the org's data (backups, the local org).
pub fn private_dir_all(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Makes the rename durable (POSIX needs an fsync of the directory itself): a backup that
/// `sync` reported written is still there after a power loss.
#[cfg(unix)]
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Windows cannot open a directory to fsync it; its rename is as durable as it gets.
#[cfg(not(unix))]
fn sync_directory(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The permissions of the file being replaced; for a new file, what `File::create` would give
/// (0666 less the umask) rather than the temporary file's private 0600.
#[cfg(unix)]
fn permissions_for(path: &Path) -> Option<Permissions> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(existing) => Some(existing.permissions()),
        Err(_) => Some(Permissions::from_mode(0o666)),
    }
}

/// Owner only (0600).
#[cfg(unix)]
fn private_permissions() -> Option<Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(Permissions::from_mode(0o600))
}

/// Windows: what the directory gives (its ACLs decide who reads the file).
#[cfg(not(unix))]
fn private_permissions() -> Option<Permissions> {
    None
}

#[cfg(not(unix))]
fn permissions_for(path: &Path) -> Option<Permissions> {
    std::fs::metadata(path).ok().map(|m| m.permissions())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("monc-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("out.json");
        write(&path, b"first").expect("write");
        write(&path, b"second").expect("rewrite");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.json")]);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    /// A link planted where the temporary file would go must not redirect the write: the
    /// file it points at stays as it was, and the target becomes a plain file.
    #[cfg(unix)]
    #[test]
    fn a_planted_link_at_a_predictable_name_is_not_followed() {
        let dir = std::env::temp_dir().join(format!("monc-atomic-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let victim = dir.join("victim");
        std::fs::write(&victim, b"keep me").expect("victim");
        let path = dir.join("out.json");
        for planted in [
            format!(".out.json.{}.tmp", std::process::id()),
            ".out.json.tmp".to_string(),
        ] {
            std::os::unix::fs::symlink(&victim, dir.join(planted)).expect("link");
        }
        write(&path, b"new").expect("write");
        assert_eq!(std::fs::read(&victim).expect("read"), b"keep me");
        let target = std::fs::symlink_metadata(&path).expect("target");
        assert!(target.file_type().is_file(), "{target:?}");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    /// A link is written through, whether it points at a file, at another link or at nothing
    /// yet: the links stay, and the file at the end of them gets the bytes. A loop is an
    /// error that leaves everything as it was.
    #[cfg(unix)]
    #[test]
    fn a_link_is_written_through_and_kept() {
        use std::os::unix::fs::symlink;
        let dir = std::env::temp_dir().join(format!("monc-atomic-through-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("shared")).expect("mkdir");
        std::fs::write(dir.join("shared/real.hcl"), b"old").expect("write");
        symlink("shared/real.hcl", dir.join("first.hcl")).expect("link");
        symlink(dir.join("first.hcl"), dir.join("second.hcl")).expect("link");
        write(&dir.join("second.hcl"), b"new").expect("write");
        assert_eq!(
            std::fs::read(dir.join("shared/real.hcl")).expect("read"),
            b"new"
        );
        for link in ["first.hcl", "second.hcl"] {
            let meta = std::fs::symlink_metadata(dir.join(link)).expect("still there");
            assert!(meta.file_type().is_symlink(), "{link} replaced");
        }

        symlink("shared/later.hcl", dir.join("dangling.hcl")).expect("link");
        write(&dir.join("dangling.hcl"), b"made").expect("write");
        assert_eq!(
            std::fs::read(dir.join("shared/later.hcl")).expect("read"),
            b"made"
        );

        symlink("loop-b", dir.join("loop-a")).expect("link");
        symlink("loop-a", dir.join("loop-b")).expect("link");
        assert!(write(&dir.join("loop-a"), b"x").is_err());
        assert!(
            std::fs::symlink_metadata(dir.join("loop-a"))
                .expect("kept")
                .is_symlink()
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    /// A replaced file keeps its mode (a formatted `tenants.hcl` stays group-readable, a
    /// private one stays private); a new file gets what `File::create` gives (0666 less the
    /// umask), not the temporary file's 0600.
    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("monc-atomic-mode-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("tenants.hcl");
        std::fs::write(&path, b"old").expect("write");
        std::fs::set_permissions(&path, Permissions::from_mode(0o640)).expect("chmod");
        write(&path, b"new").expect("write");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let fresh = dir.join("fresh.hcl");
        write(&fresh, b"new").expect("write");
        let created = dir.join("created.hcl");
        std::fs::write(&created, b"new").expect("write");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode();
        assert_eq!(
            mode(&fresh),
            mode(&created),
            "as File::create under this umask"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    /// A report holds the org's data: private whether it is new or replaces a readable file.
    #[cfg(unix)]
    #[test]
    fn a_private_file_is_the_owners_only_new_or_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("monc-atomic-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        let fresh = dir.join("drift.md");
        write_private(&fresh, b"report").expect("write");
        assert_eq!(mode(&fresh), 0o600);
        let old = dir.join("old.md");
        std::fs::write(&old, b"old").expect("write");
        std::fs::set_permissions(&old, Permissions::from_mode(0o644)).expect("chmod");
        write_private(&old, b"report").expect("write");
        assert_eq!(mode(&old), 0o600);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
