//! Finding a project's configuration files: which are read, which are skipped (and said so),
//! and why a file that cannot be read is an error, never an absent file.

use std::path::{Path, PathBuf};

use super::{LoadError, LoadOptions};

/// Every configuration file of a project, in the order `load` reads them: `monc.hcl` (if
/// present), then the tenants' and the monitors' files.
pub fn project_files(options: &LoadOptions) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    if is_present(&options.project_file) && is_config_file(&options.project_file)? {
        files.push(options.project_file.clone());
    }
    files.extend(project_hcl_files(&options.tenants, "tenants")?);
    files.extend(project_hcl_files(&options.monitors, "monitors")?);
    Ok(files)
}

/// `tenants/` beside `tenants.hcl`: monc would read the directory and silently ignore the
/// file, and the tenants in it would look deleted.
pub(super) fn refuse_both_layouts(dir: &Path, what: &str) -> Result<(), LoadError> {
    let file = dir.with_extension("hcl");
    if !(dir.is_dir() && is_present(&file)) {
        return Ok(());
    }
    Err(LoadError {
        path: file.clone(),
        message: format!(
            "both `{}` and `{}` exist; monc reads {what} from one place",
            dir.display(),
            file.display()
        ),
        help: format!(
            "move what `{}` holds into a file in `{}/` (any name ending in .hcl), or remove the directory to keep the single-file layout",
            file.display(),
            dir.display()
        ),
    })
}

/// [`hcl_files`] of the project's `tenants` or `monitors`.
pub(super) fn project_hcl_files(path: &Path, what: &str) -> Result<Vec<PathBuf>, LoadError> {
    project_listing(path, what).map(|listing| listing.read)
}

/// [`hcl_listing`] of the project's `tenants` or `monitors`.
pub(super) fn project_listing(path: &Path, what: &str) -> Result<HclListing, LoadError> {
    let help = format!(
        "run monc in a project directory that has `{what}/` (or point at one with `-C DIR`), start a project with `monc init`, or pass --{what} PATH"
    );
    hcl_listing(path, what, &help)
}

/// What a directory of configuration files holds, from one listing of it.
#[derive(Debug, Default)]
pub struct HclListing {
    /// The `*.hcl` files directly in it, in name order: what monc reads.
    pub read: Vec<PathBuf>,
    /// Everything else in it (other names, subdirectories), in name order, except names
    /// starting with `.`: monc skips these, and says so, since definitions in them would
    /// silently be missing.
    pub not_read: Vec<PathBuf>,
}

/// `*.hcl` files of a directory in name order, or the path itself if it is not a directory;
/// `help` says what to do when the directory cannot be listed.
pub fn hcl_files(path: &Path, what: &str, help: &str) -> Result<Vec<PathBuf>, LoadError> {
    hcl_listing(path, what, help).map(|listing| listing.read)
}

/// [`hcl_files`], with the entries of the directory that are not read.
pub fn hcl_listing(path: &Path, what: &str, help: &str) -> Result<HclListing, LoadError> {
    if is_present(path) && !path.is_dir() {
        is_config_file(path)?;
        return Ok(HclListing {
            read: vec![path.to_path_buf()],
            not_read: Vec::new(),
        });
    }
    let unlistable = |e: std::io::Error| LoadError {
        path: path.to_path_buf(),
        message: format!("cannot read the {what} directory: {e}"),
        help: help.to_string(),
    };
    let mut listing = HclListing::default();
    for entry in std::fs::read_dir(path).map_err(unlistable)? {
        let entry = entry.map_err(unlistable)?.path();
        if entry.extension().is_some_and(|ext| ext == "hcl") && is_config_file(&entry)? {
            listing.read.push(entry);
        } else if !is_dotfile(&entry) {
            listing.not_read.push(entry);
        }
    }
    listing.read.sort();
    listing.not_read.sort();
    Ok(listing)
}

/// `.git`, `.x.hcl.swp`, `.DS_Store`: hidden on purpose, and left alone.
pub(super) fn is_dotfile(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.as_encoded_bytes().starts_with(b"."))
}

/// Whether anything at all (even a dangling symbolic link) has this name.
pub(super) fn is_present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether a configuration file found by name is to be read: a file, or a link to one. A
/// directory named `x.hcl` is skipped. Anything else (a dangling or looping link, a path that
/// may not be searched, a device) is an error, never an absent file: the monitors it defines
/// would look deleted, and `sync --prune` would delete them.
pub(super) fn is_config_file(path: &Path) -> Result<bool, LoadError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(false),
        Ok(meta) if meta.is_file() => Ok(true),
        Ok(_) => Err(unreadable_file(path, "not a regular file".into())),
        Err(error) => Err(unreadable_file(path, unresolvable(path, &error))),
    }
}

/// Why `path` cannot be opened, naming the link target when it is a symbolic link.
pub(super) fn unresolvable(path: &Path, error: &std::io::Error) -> String {
    match std::fs::read_link(path) {
        Ok(target) => format!(
            "it is a symbolic link to `{}` that cannot be followed: {error}",
            target.display()
        ),
        Err(_) => error.to_string(),
    }
}

pub(super) fn unreadable_file(path: &Path, why: String) -> LoadError {
    LoadError {
        path: path.to_path_buf(),
        message: format!("cannot read this configuration file: {why}"),
        help: "fix the link or remove the file: monc never treats an unreadable configuration \
               file as absent, since its monitors would look deleted"
            .into(),
    }
}
