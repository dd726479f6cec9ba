//! The diagnostic fixture projects (tests/fixtures/diagnostics/<name>/: `monitors.hcl`, an
//! `expect` file, optionally `monc.hcl`): shared by the `diagnostics` harness and `tests/it`.
//! Most fixtures need only some tenants: one without its own `tenants.hcl` uses
//! `_shared/tenants.hcl`, and one without its own `monc.hcl` uses `_shared/monc.hcl`.

use std::path::{Path, PathBuf};

use monc::load::LoadOptions;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics")
}

/// The tenants of the fixture in `dir`: its own, or the shared ones.
pub(crate) fn tenants_file(dir: &Path) -> PathBuf {
    let own = dir.join("tenants.hcl");
    if own.exists() {
        own
    } else {
        root().join("_shared/tenants.hcl")
    }
}

/// The project file of the fixture in `dir`: its own, or the shared one.
pub(crate) fn project_file(dir: &Path) -> PathBuf {
    let own = dir.join("monc.hcl");
    if own.exists() {
        own
    } else {
        root().join("_shared/monc.hcl")
    }
}

pub(crate) fn load_options(dir: &Path) -> LoadOptions {
    LoadOptions {
        project_file: project_file(dir),
        tenants: tenants_file(dir),
        monitors: dir.join("monitors.hcl"),
        overlay: Default::default(),
    }
}

/// A copy of the fixture `name` in `to` (emptied first), its tenants beside it, for commands
/// that take a project directory.
pub(crate) fn copy_project(name: &str, to: &Path) -> PathBuf {
    let from = root().join(name);
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("create the copy's directory");
    for entry in std::fs::read_dir(&from)
        .expect("fixture directory")
        .flatten()
    {
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy a fixture file");
    }
    std::fs::copy(tenants_file(&from), to.join("tenants.hcl")).expect("copy the tenants");
    std::fs::copy(project_file(&from), to.join("monc.hcl")).expect("copy the project file");
    to.to_path_buf()
}

/// Every fixture directory, by name (`_shared` holds inputs, not a fixture).
pub(crate) fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root())
        .expect("fixtures directory")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.is_dir() && !path.ends_with("_shared"))
        .collect();
    dirs.sort();
    dirs
}
