//! End-to-end: the `monc` binary on the reference setup and the broken examples.

use crate::common;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn monc() -> Command {
    let mut cmd = Command::cargo_bin("monc").expect("binary");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    cmd
}

fn json_codes(output: &[u8]) -> Vec<String> {
    let document: Value = serde_json::from_slice(output).expect("valid JSON");
    document["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn reference_setup_validates_with_a_one_line_summary() {
    let output = monc().arg("validate").output().expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.trim(),
        "ok: 4 tenants on 2 clusters → 20 monitors (L0 2, L2 6, L3 12), 14 composites (4 of them pages), 44 suppression edges"
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn reference_setup_json_summary_counts_every_tier() {
    let output = monc()
        .args(["validate", "--format", "json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document["ok"], true);
    assert_eq!(document["summary"]["composites"], 14);
    assert_eq!(document["summary"]["pages"], 4);
    assert_eq!(
        document["summary"]["tiers"],
        serde_json::json!([["L0", 2], ["L2", 6], ["L3", 12]])
    );
}

#[test]
fn broken_references_example_fails_with_each_mistake_located() {
    let output = monc()
        .args([
            "validate",
            "-C",
            "examples/broken-references",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let diagnostics = document["diagnostics"].as_array().expect("array");
    let unknown = diagnostics
        .iter()
        .find(|d| d["code"] == "monc::unknown-monitor")
        .expect("unknown-monitor reported");
    assert_eq!(unknown["file"], "examples/broken-references/monitors.hcl");
    assert_eq!(
        (unknown["line"].as_u64(), unknown["column"].as_u64()),
        (Some(17), Some(28))
    );
    assert_eq!(unknown["help"], "did you mean `region_health`?");
    let mut codes = json_codes(&output.stdout);
    codes.sort();
    assert_eq!(
        codes,
        [
            "monc::missing-index",
            "monc::unknown-cluster",
            "monc::unknown-monitor"
        ]
    );
}

#[test]
fn broken_suppression_example_reports_tier_order_group_by_and_no_data() {
    let output = monc()
        .args([
            "validate",
            "-C",
            "examples/broken-suppression",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let mut codes = json_codes(&output.stdout);
    codes.sort();
    assert_eq!(
        codes,
        [
            "monc::group-by-mismatch",
            "monc::no-data-suppressor",
            "monc::tier-order"
        ]
    );
}

#[test]
fn broken_queries_example_reports_query_threshold_and_message_problems() {
    let output = monc()
        .args([
            "validate",
            "-C",
            "examples/broken-queries",
            "--format",
            "short",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "examples/broken-queries/monitors.hcl:8:16: error[monc::threshold-mismatch]",
        "examples/broken-queries/monitors.hcl:8:16: error[monc::threshold-order]",
        "examples/broken-queries/monitors.hcl:10:50: warning[monc::message-variable]",
        "error[monc::query-syntax]: invalid metric query for `l3/api_errors/acme`: unclosed `{`",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn human_output_quotes_the_source_without_colour_when_no_color_is_set() {
    let output = monc()
        .args(["validate", "-C", "examples/broken-references"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("suppressed_by = [monitor.region_helth]"),
        "{stderr}"
    );
    assert!(stderr.contains("monc::unknown-monitor"));
    assert!(!stderr.contains('\u{1b}'), "no ANSI escapes expected");
    assert!(stderr.trim_end().ends_with("monc: 3 errors found"));
}

#[test]
fn warnings_fail_only_with_strict() {
    let dir = crate::diagnostics_fixtures::copy_project(
        "no-data-suppressor",
        &std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("warnings-fail-only-with-strict"),
    );
    let dir = dir.to_str().expect("a UTF-8 path");
    let lenient = monc().args(["validate", "-C", dir]).output().expect("runs");
    assert!(lenient.status.success());
    let strict = monc()
        .args(["validate", "-C", dir, "--strict"])
        .output()
        .expect("runs");
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn a_missing_monitors_directory_is_exit_1_with_a_hint() {
    let output = monc()
        .args(["validate", "-C", "no/such/dir"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read the tenants directory"),
        "{stderr}"
    );
    assert!(stderr.contains("help:"), "{stderr}");
}

/// Runs `monc validate` in a copy of the reference setup where `link` is a symlink to `target`.
fn validate_with_symlink(name: &str, link: &str, target: &str) -> std::process::Output {
    let dir = common::reference_copy("cli-validate", name);
    std::os::unix::fs::symlink(target, dir.join(link)).expect("symlink");
    monc()
        .args(["validate", "-C"])
        .arg(&dir)
        .output()
        .expect("runs")
}

#[test]
fn a_dangling_hcl_symlink_is_an_error_naming_the_file_not_an_absent_file() {
    let output = validate_with_symlink("dangling", "tenants/moved.hcl", "../elsewhere/moved.hcl");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tenants/moved.hcl"), "{stderr}");
    assert!(stderr.contains("../elsewhere/moved.hcl"), "{stderr}");
    assert!(stderr.contains("No such file"), "{stderr}");
    assert!(output.stdout.is_empty(), "no `ok:` summary");
}

#[test]
fn a_looping_hcl_symlink_is_an_error_naming_the_file() {
    let output = validate_with_symlink("loop", "monitors/loop.hcl", "loop.hcl");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("monitors/loop.hcl"), "{stderr}");
    assert!(stderr.contains("symbolic links"), "{stderr}");
}

#[test]
fn a_dangling_monc_hcl_is_an_error_not_the_default_settings() {
    let dir = common::reference_copy("cli-validate", "dangling-project-file");
    std::fs::remove_file(dir.join("monc.hcl")).expect("rm");
    std::os::unix::fs::symlink("shared/monc.hcl", dir.join("monc.hcl")).expect("symlink");
    let output = monc()
        .args(["validate", "-C"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("monc.hcl"), "{stderr}");
}

/// Skipped, and said so (`monc::file-not-read`): a warning, not an unreadable file.
#[test]
fn a_directory_named_like_a_config_file_is_skipped() {
    let dir = common::reference_copy("cli-validate", "directory-named-hcl");
    std::fs::create_dir_all(dir.join("monitors/archive.hcl")).expect("mkdir");
    let output = monc()
        .args(["validate", "-C"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(Path::new(&dir.join("monitors/archive.hcl")).is_dir());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`archive.hcl/` is not read"), "{stderr}");
}

/// A file in `tenants/` or `monitors/` that monc does not read was skipped without a word:
/// `validate --strict` said ok, and the tenants in it looked deleted to the next plan. Each is
/// a warning naming it (an error with --strict); dotfiles stay quiet.
#[test]
fn files_not_read_in_tenants_or_monitors_are_reported_and_fail_strict() {
    let dir = common::reference_copy("cli-validate", "files-not-read");
    let acme = std::fs::read_to_string(dir.join("tenants/acme.hcl")).expect("read");
    std::fs::create_dir_all(dir.join("tenants/us")).expect("mkdir");
    for name in [
        "tenants/x.tf",
        "tenants/x.HCL",
        "tenants/us/x.hcl",
        "monitors/y.hcl~",
    ] {
        std::fs::write(dir.join(name), acme.replace("acme", "hidden")).expect("write");
    }
    std::fs::write(dir.join("tenants/.x.hcl.swp"), "editor state").expect("write");
    let output = monc()
        .args(["validate", "--format", "short", "-C"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert!(output.status.success(), "warnings only: {output:?}");
    let short = String::from_utf8_lossy(&output.stdout);
    let reported: Vec<&str> = short
        .lines()
        .filter(|line| line.contains("warning[monc::file-not-read]"))
        .collect();
    for name in [
        "tenants/x.tf",
        "tenants/x.HCL",
        "tenants/us",
        "monitors/y.hcl~",
    ] {
        assert!(
            reported.iter().any(|line| line.contains(name)),
            "{name} not reported:\n{short}"
        );
    }
    assert_eq!(reported.len(), 4, "one warning each, no dotfile:\n{short}");
    assert!(
        short.contains("in name order"),
        "help says how monc reads:\n{short}"
    );
    assert!(
        short.contains("ok: 4 tenants"),
        "the hidden tenant is not read: {short}"
    );

    let strict = monc()
        .args(["validate", "--strict", "-C"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(strict.status.code(), Some(1), "{strict:?}");
    let human = String::from_utf8_lossy(&strict.stderr);
    assert!(human.contains("monc::file-not-read"), "{human}");
}

#[test]
fn monc_own_tags_written_in_a_template_are_a_located_error() {
    let dir = common::reference_copy("cli-validate", "reserved-tags");
    std::fs::write(
        dir.join("monitors/extra.hcl"),
        r#"monitor "disk" {
  tier  = "L0"
  name  = "[platform] Disk full"
  type  = "metric alert"
  query = "avg(last_5m):avg:system.disk.in_use{env:prod} > 0.9"
  tags  = ["managed-by:monc", "monc-key:l0/disk"]
}
"#,
    )
    .expect("write");
    let output = monc()
        .args(["validate", "--format", "json", "-C"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let reserved: Vec<(u64, u64)> = document["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| d["code"] == "monc::reserved-tag")
        .map(|d| {
            assert!(
                d["file"]
                    .as_str()
                    .is_some_and(|f| f.ends_with("monitors/extra.hcl"))
            );
            assert!(d["help"].as_str().is_some_and(|h| h.contains("remove it")));
            (
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(reserved, vec![(6, 13), (6, 32)], "{document:#}");
}

/// `monc validate --format short -C dir`.
fn validate_short(dir: &std::path::Path) -> std::process::Output {
    monc()
        .args(["validate", "--format", "short", "-C"])
        .arg(dir)
        .output()
        .expect("runs")
}

/// A copy of the reference setup with `edit` applied to one monitors file.
fn reference_with(name: &str, file: &str, edit: impl Fn(&str) -> String) -> std::path::PathBuf {
    let dir = common::reference_copy("cli-validate", name);
    let path = dir.join("monitors").join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, edit(&text)).expect("write");
    dir
}

#[test]
fn a_file_that_does_not_parse_is_one_error_not_one_per_reference_to_it() {
    // The L0 file loses a closing brace; the L2 and L3 files reference its templates.
    let dir = reference_with("missing-brace", "l0_platform.hcl", |text| {
        let last = text.rfind('}').expect("a closing brace");
        format!("{}{}", &text[..last], &text[last + 1..])
    });
    let output = validate_short(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let errors: Vec<&str> = stdout.lines().filter(|l| l.contains(": error[")).collect();
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(errors[0].contains("monc::syntax"), "{stdout}");
}

#[test]
fn a_byte_order_mark_at_the_start_of_a_file_is_accepted() {
    let dir = reference_with("bom", "l3_tenant.hcl", |text| format!("\u{feff}{text}"));
    let output = monc()
        .args(["validate", "-C"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_owner_tag_or_key_tag_that_is_no_valid_tag_is_an_error() {
    let dir = common::reference_copy("cli-validate", "ownership-tags");
    let project = dir.join("monc.hcl");
    let text = std::fs::read_to_string(&project).expect("read");
    std::fs::write(
        &project,
        text.replace(
            "owner_tag = \"managed-by:monc\"",
            "owner_tag = \"Managed By:monc\"\nkey_tag = \"monc:key\"",
        ),
    )
    .expect("write");
    let output = validate_short(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("invalid `owner_tag`"), "{stdout}");
    assert!(stdout.contains("invalid `key_tag`"), "{stdout}");
}

#[test]
fn a_tenant_missing_a_var_is_one_error_at_the_tenant_never_suggesting_the_missing_name() {
    // The reference setup declares its tenant vars: the declaration says what is missing.
    let typed = tenant_without_hostname("tenant-missing-declared");
    assert!(
        typed.contains("error[monc::missing-var]") && typed.contains("does not set var `hostname`"),
        "{typed}"
    );
    // Without the declaration, the template that uses it does.
    let untyped = tenant_without_hostname("tenant-missing-var");
    assert!(untyped.contains("has no `hostname`"), "{untyped}");
}

/// `monc validate --format short` of the reference setup with `hostname` removed from acme
/// (and, for a `name` ending in `-var`, the `tenant_vars` declaration removed from monc.hcl),
/// after checking that it is one error, at the tenant, never suggesting the missing name.
fn tenant_without_hostname(name: &str) -> String {
    let dir = common::reference_copy("cli-validate", name);
    if name.ends_with("-var") {
        let project = dir.join("monc.hcl");
        let text = std::fs::read_to_string(&project).expect("read");
        let start = text.find("tenant_vars {").expect("a declaration");
        let end = text.find("cluster_vars {").expect("cluster vars");
        std::fs::write(&project, format!("{}{}", &text[..start], &text[end..])).expect("write");
    }
    let tenant = dir.join("tenants/acme.hcl");
    let text = std::fs::read_to_string(&tenant).expect("read");
    let without: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("hostname"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&tenant, without).expect("write");
    let output = validate_short(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let errors: Vec<&str> = stdout.lines().filter(|l| l.contains(": error[")).collect();
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(errors[0].contains("tenants/acme.hcl"), "{stdout}");
    assert!(!stdout.contains("did you mean `hostname`"), "{stdout}");
    stdout.into_owned()
}

#[test]
fn short_diagnostics_go_to_stdout_and_json_is_printed_even_for_unreadable_files() {
    let output = monc()
        .args([
            "validate",
            "-C",
            "examples/broken-queries",
            "--format",
            "short",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("error[monc::threshold-mismatch]"),
        "{stdout}"
    );
    let missing = monc()
        .args(["validate", "-C", "does/not/exist", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(1));
    let document: Value = serde_json::from_slice(&missing.stdout).expect("a JSON document");
    assert_eq!(document["ok"], false);
    assert!(document["error"]["message"].is_string(), "{document}");
}

#[test]
fn a_list_interpolated_into_a_name_is_an_error() {
    let dir = reference_with("list-in-name", "l3_tenant.hcl", |text| {
        text.replace(
            "\"[${tenant.name}] API error rate high\"",
            "\"[${tenant.name}] API error rate high ${tenant.notify}\"",
        )
    });
    let output = validate_short(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("error[monc::wrong-type]: a list is interpolated into `name`"),
        "{stdout}"
    );
}
