//! The newcomer's path through the binary: `monc init`, `monc fmt`, and the layout rules.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::common;

fn monc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("monc").expect("binary");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

fn empty_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-project")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every file under `dir`, with its contents, to show that a command changed nothing.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).expect("read")));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn init_writes_a_project_that_validates_and_passes_its_alert_tests() {
    let dir = empty_dir("init");
    let output = monc(&dir)
        .args(["init", "-C", "new"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(stdout_of(&output).contains("monc validate -C new"));
    let project = dir.join("new");
    for file in [
        "monc.hcl",
        "tenants/clusters.hcl",
        "monitors/monitors.hcl",
        "alert-tests/example.hcl",
    ] {
        assert!(project.join(file).is_file(), "{file} missing");
    }
    // `git add -A` must not stage the local org and the backups (the org's data).
    let ignored = std::fs::read_to_string(project.join(".gitignore")).expect(".gitignore");
    assert!(ignored.lines().any(|l| l == ".monc/"), "{ignored}");
    let validate = monc(&project)
        .args(["validate", "--strict"])
        .output()
        .expect("runs");
    assert!(validate.status.success(), "{}", stderr_of(&validate));
    let test = monc(&project).arg("test").output().expect("runs");
    assert!(
        test.status.success(),
        "{}{}",
        stdout_of(&test),
        stderr_of(&test)
    );
    let fmt = monc(&project)
        .args(["fmt", "--check"])
        .output()
        .expect("runs");
    assert!(
        fmt.status.success(),
        "init writes formatted files: {}",
        stdout_of(&fmt)
    );
}

#[test]
fn init_refuses_a_directory_that_holds_a_project_and_changes_nothing() {
    let dir = empty_dir("init-refuses");
    std::fs::write(dir.join("tenants.hcl"), "# mine\n").expect("write");
    let before = snapshot(&dir);
    let output = monc(&dir).arg("init").output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("tenants.hcl"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn fmt_lays_out_a_messy_file_and_check_reports_it_without_writing() {
    let dir = empty_dir("fmt");
    monc(&dir).arg("init").assert().success();
    let monitors = dir.join("monitors/monitors.hcl");
    let tidy = std::fs::read_to_string(&monitors).expect("read");
    let messy = tidy
        .replace("  tier    = \"L0\"", "      tier=\"L0\"   ")
        .replace(
            "  type          = \"metric alert\"",
            "type =  \"metric alert\"",
        );
    assert_ne!(messy, tidy);
    std::fs::write(&monitors, &messy).expect("write");

    let check = monc(&dir)
        .args(["fmt", "--check", "--diff"])
        .output()
        .expect("runs");
    assert_eq!(check.status.code(), Some(1));
    let listed = stdout_of(&check);
    assert!(listed.contains("monitors.hcl"), "{listed}");
    assert!(listed.contains("+  tier    = \"L0\""), "{listed}");
    assert_eq!(std::fs::read_to_string(&monitors).expect("read"), messy);

    monc(&dir).arg("fmt").assert().success();
    assert_eq!(std::fs::read_to_string(&monitors).expect("read"), tidy);
    monc(&dir).args(["fmt", "--check"]).assert().success();
}

/// `monc fmt` on the reference setup and every example changes only layout: the files still
/// compile to the same monitors, and a second run changes nothing.
#[test]
fn fmt_keeps_the_meaning_of_the_reference_setup_and_is_idempotent() {
    let dir = common::reference_copy("cli-project", "fmt-reference");
    let before = monc(&dir)
        .args(["graph", "--format", "dot"])
        .output()
        .expect("runs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let first = monc(&dir).arg("fmt").output().expect("runs");
    assert!(first.status.success(), "{}", stderr_of(&first));
    let after = monc(&dir)
        .args(["graph", "--format", "dot"])
        .output()
        .expect("runs");
    assert_eq!(stdout_of(&before), stdout_of(&after));
    monc(&dir).args(["fmt", "--check"]).assert().success();
    for example in ["broken-queries", "broken-references", "broken-suppression"] {
        let path = root.join("examples").join(example);
        let fmt = monc(&dir)
            .args(["fmt", "--check"])
            .arg(path.join("monitors.hcl"))
            .arg(path.join("tenants.hcl"))
            .output()
            .expect("runs");
        assert!(
            !stderr_of(&fmt).contains("change what the file means"),
            "{example}: {}",
            stderr_of(&fmt)
        );
    }
}

/// A configuration file that is a link (into a shared directory, say) is formatted where it
/// lives: the link stays a link, as editors keep it. It was replaced by a formatted copy,
/// leaving the shared file unformatted and the project cut off from it.
#[cfg(unix)]
#[test]
fn fmt_writes_through_a_linked_file_and_keeps_the_link() {
    let dir = empty_dir("fmt-link");
    monc(&dir).arg("init").assert().success();
    let monitors = dir.join("monitors/monitors.hcl");
    let tidy = std::fs::read_to_string(&monitors).expect("read");
    let messy = tidy.replace("  tier    = \"L0\"", "      tier=\"L0\"   ");
    assert_ne!(messy, tidy);
    std::fs::create_dir_all(dir.join("shared")).expect("mkdir");
    let shared = dir.join("shared/monitors.hcl");
    std::fs::write(&shared, &messy).expect("write");
    std::fs::remove_file(&monitors).expect("remove");
    std::os::unix::fs::symlink("../shared/monitors.hcl", &monitors).expect("link");

    let output = monc(&dir).arg("fmt").output().expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let kept = std::fs::symlink_metadata(&monitors).expect("still there");
    assert!(
        kept.file_type().is_symlink(),
        "the link was replaced by a copy"
    );
    assert_eq!(std::fs::read_to_string(&shared).expect("read"), tidy);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("shared"))
        .expect("list")
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert_eq!(leftovers, ["monitors.hcl"], "no temporary file left");
    monc(&dir).args(["fmt", "--check"]).assert().success();
}

#[test]
fn fmt_refuses_a_file_with_a_syntax_error_and_leaves_it() {
    let dir = empty_dir("fmt-syntax");
    monc(&dir).arg("init").assert().success();
    let monitors = dir.join("monitors/monitors.hcl");
    std::fs::write(&monitors, "monitor \"a\" {\n  tier=\"L0\"\n").expect("write");
    let output = monc(&dir).arg("fmt").output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("syntax error"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(
        std::fs::read_to_string(&monitors).expect("read"),
        "monitor \"a\" {\n  tier=\"L0\"\n"
    );
}

/// `tenants.hcl` beside `tenants/` used to be ignored without a word: its tenants looked
/// deleted.
#[test]
fn a_tenants_file_beside_a_tenants_directory_is_an_error_naming_both() {
    let dir = empty_dir("both-layouts");
    monc(&dir).arg("init").assert().success();
    std::fs::write(
        dir.join("tenants.hcl"),
        "tenant \"other\" {\n  cluster = \"prod-eu-1\"\n  vars = { service = \"x\" }\n}\n",
    )
    .expect("write");
    let output = monc(&dir).arg("validate").output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("tenants.hcl") && stderr.contains("tenants`"),
        "{stderr}"
    );
}

/// In a directory without a project, every command that needs one says how to get one.
#[test]
fn every_command_in_an_empty_directory_points_at_init_and_dash_c() {
    let dir = empty_dir("empty");
    for args in [
        &["validate"][..],
        &["diff", "--org", "local"],
        &["sync", "--org", "local", "--dry-run"],
        &["graph"],
        &["test"],
        &["fmt"],
    ] {
        let output = monc(&dir).args(args).output().expect("runs");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("monc init") && stderr.contains("-C DIR"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(
        snapshot(&dir),
        Vec::new(),
        "a command wrote into the empty directory"
    );
}

/// A project in the single-file layout (tenants.hcl, monitors.hcl): `import` used to write its
/// monitors and then fail half-way on `tenants.hcl`. It now stops before writing anything.
#[test]
fn import_into_a_single_file_project_stops_before_writing_anything() {
    let dir = empty_dir("import-single-file");
    crate::diagnostics_fixtures::copy_project("_valid", &dir);
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recommended-monitors");
    let before = snapshot(&dir);
    let output = monc(&dir)
        .args(["import", "--from"])
        .arg(&export)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("monitors.hcl") && stderr.contains("monitors/"),
        "{stderr}"
    );
    assert_eq!(snapshot(&dir), before);
}

/// `--output FILE` names the file the templates go to, as it does for `diff`.
#[test]
fn import_output_names_the_file_written() {
    let dir = empty_dir("import-output");
    monc(&dir).arg("init").assert().success();
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recommended-monitors");
    let output = monc(&dir)
        .args(["import", "--output", "monitors/published.hcl", "--from"])
        .arg(&export)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(dir.join("monitors/published.hcl").is_file());
    let outside = monc(&dir)
        .args(["import", "--output", "elsewhere.hcl", "--from"])
        .arg(&export)
        .output()
        .expect("runs");
    assert_eq!(outside.status.code(), Some(1));
    assert!(
        stderr_of(&outside).contains("monitors"),
        "{}",
        stderr_of(&outside)
    );
    assert!(!dir.join("elsewhere.hcl").exists());
}

/// The reference setup is laid out as `monc fmt` writes it, so the project follows its own
/// pre-commit hook.
#[test]
fn the_reference_setup_is_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = monc(root)
        .args(["fmt", "--check", "--diff"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stdout_of(&output));
}

/// An import where every monitor is skipped (here: all already monc's) writes no empty file
/// and does not say "monc sync creates these monitors": it is an error naming why.
#[test]
fn an_import_with_nothing_to_import_writes_nothing() {
    let dir = empty_dir("import-nothing");
    monc(&dir).arg("init").assert().success();
    let export = dir.join("export.json");
    std::fs::write(
        &export,
        r#"[{"id": 1, "name": "ours", "type": "metric alert", "query": "avg(last_5m):avg:a{*} > 1",
            "message": "", "tags": ["managed-by:monc", "monc-key:l0/ours"], "options": {}}]"#,
    )
    .expect("export");
    let before = snapshot(&dir);
    let output = monc(&dir)
        .args(["import", "--from"])
        .arg(&export)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("already managed by monc"), "{stderr}");
    assert!(
        stderr.contains("nothing to import: the 1 monitor found was skipped"),
        "{stderr}"
    );
    assert_eq!(snapshot(&dir), before, "no empty imported.hcl");
}

#[test]
fn init_keeps_a_repositorys_gitignore_and_adds_the_local_state() {
    let dir = empty_dir("init-gitignore");
    std::fs::write(dir.join(".gitignore"), "target/").expect("write");
    let output = monc(&dir).arg("init").output().expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let ignored = std::fs::read_to_string(dir.join(".gitignore")).expect("read");
    assert_eq!(ignored, "target/\n.monc/\n");
    assert!(
        stdout_of(&output).contains("updated ./.gitignore"),
        "{}",
        stdout_of(&output)
    );
}
