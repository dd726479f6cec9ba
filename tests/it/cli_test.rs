//! `monc test` on the reference alert tests (all pass), on deliberately wrong expectations (exit 1
//! with the difference shown) and on mistakes in a test file (diagnostics with positions).

use assert_cmd::Command;
use serde_json::Value;

fn monc_test(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("monc")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .arg("test")
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn reference_alert_tests_pass_and_report_outage_reduction() {
    let (code, stdout, stderr) = monc_test(&[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("8 scenarios: 8 passed, 0 failed"),
        "{stdout}"
    );
    assert!(!stdout.contains('✗'), "{stdout}");
    assert!(
        stdout.contains("cluster:prod-tokyo-1: 7 pages without suppression, 3 with"),
        "{stdout}"
    );
}

#[test]
fn wrong_expectations_fail_and_the_table_shows_the_difference() {
    let (code, stdout, _) = monc_test(&["tests/fixtures/alert-tests/wrong.hcl"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("2 scenarios: 0 passed, 2 failed"),
        "{stdout}"
    );
    let row = stdout
        .lines()
        .find(|l| l.contains("expects the L3 page although the cluster is down"))
        .expect("table row");
    assert!(row.starts_with('✗'), "{row}");
    assert!(row.contains("l3/api/acme"), "{row}");
    assert!(row.contains("l2/alb_5xx/prod-tokyo-1/composite"), "{row}");
    assert!(stdout.contains("- expected l3/api/acme to page; it stays silent"));
    assert!(stdout.contains(
        "~ l3/login_check/umbrella/composite notifies @slack-umbrella-oncall instead of @slack-acme-oncall"
    ));
}

#[test]
fn json_lists_every_verdict_with_actual_pages() {
    let (code, stdout, _) = monc_test(&["--format", "json"]);
    assert_eq!(code, Some(0));
    let document: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(document["passed"], true);
    let scenarios = document["scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 8);
    let l2 = scenarios
        .iter()
        .find(|s| s["scenario"] == "an L2 outage pages once and silences the cluster's tenants")
        .expect("scenario");
    assert_eq!(l2["actual"][0]["key"], "l2/alb_5xx/prod-tokyo-1/composite");
    assert_eq!(l2["actual"][0]["notify"][0], "@pagerduty-infra-apac");
}

#[test]
fn matrix_checks_every_edge_and_calls_out_no_data_risks() {
    let (code, stdout, _) = monc_test(&["--matrix", "--format", "json"]);
    assert_eq!(code, Some(0), "{stdout}");
    let document: Value = serde_json::from_str(&stdout).expect("JSON");
    let matrix = document["matrix"].as_array().expect("matrix");
    assert_eq!(matrix.len(), 44, "one check per suppression edge");
    for check in matrix {
        assert_eq!(check["pages_when_ok"], true, "{check}");
        assert_eq!(check["silent_when_alert"], true, "{check}");
        assert_eq!(
            check["pages_when_no_data"], false,
            "Datadog: !NoData is No Data"
        );
    }
    // The heartbeat sets notify_no_data: its missing data pages the platform, so no risk there.
    let heartbeat = matrix
        .iter()
        .find(|c| c["suppressor"] == "l0/pipeline_heartbeat")
        .expect("heartbeat edge");
    assert_eq!(heartbeat["no_data_told"][0], "@pagerduty-platform");

    let (_, human, _) = monc_test(&["--matrix"]);
    assert!(human.contains("44 edges: 88 checked (0 failed); 38 where a suppressor's No Data silences the target unnoticed"), "{human}");
    assert!(human.contains(
        "l2/alb_5xx/prod-tokyo-1 → l3/api_error_rate/acme (through l3/api/acme): pages / silent / silent, nobody told (risk)"
    ));
}

#[test]
fn outage_of_one_monitor_counts_pages_with_and_without_suppression() {
    let (code, stdout, _) = monc_test(&["--outage", "l2/alb_5xx/prod-tokyo-1"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains(
        "l2/alb_5xx/prod-tokyo-1: 5 pages without suppression, 1 with (l2/alb_5xx/prod-tokyo-1/composite)"
    ), "{stdout}");
    let (code, _, stderr) = monc_test(&["--outage", "cluster:nowhere"]);
    assert_eq!(code, Some(1), "an error, never the changes-pending 2");
    assert!(stderr.contains("names no cluster or monitor"), "{stderr}");
}

#[test]
fn mistakes_in_a_test_file_are_diagnostics_with_positions() {
    let (code, _, stderr) = monc_test(&["tests/fixtures/alert-tests/mistakes.hcl"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("no monitor has the key `l3/api_eror_rate/acme`"),
        "{stderr}"
    );
    assert!(stderr.contains("mistakes.hcl:2:12"), "{stderr}");
    assert!(
        stderr.contains("did you mean `l3/api_error_rate/acme`?"),
        "{stderr}"
    );
    assert!(stderr.contains("monc::not-a-pager"), "{stderr}");
    assert!(
        stderr.contains("expect `page \"l3/login_check/acme/composite\"`"),
        "{stderr}"
    );
}

const USER_COMPOSITE: &str = "tests/fixtures/alert-tests/user-composite";

/// A composite the user wrote (the migrated Terraform pattern `(errors || latency) && !db`)
/// takes its state from its members: it used to be treated as a plain monitor that never
/// alerts, while its members (which notify nobody) were counted as pages.
#[test]
fn a_composite_the_user_wrote_pages_from_its_members_and_is_silenced_by_its_negations() {
    let (code, stdout, stderr) = monc_test(&["-C", USER_COMPOSITE]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("3 scenarios: 3 passed"), "{stdout}");
    assert!(
        stdout.contains("cluster:c1: 3 pages without suppression, 1 with (l2/db_down/c1)"),
        "{stdout}"
    );
    let (code, stdout, _) = monc_test(&["-C", USER_COMPOSITE, "--matrix"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("✓ l2/db_down/c1 → l3/degraded/acme: pages / silent / silent"),
        "{stdout}"
    );
    assert!(stdout.contains("2 edges: 4 checked (0 failed)"), "{stdout}");
}

/// `groups = [...]` on a page: it must page for exactly those groups.
#[test]
fn a_page_expected_for_other_groups_fails_and_names_them() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-test-wrong-groups");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("wrong-groups.hcl");
    std::fs::write(
        &file,
        "scenario \"the wrong host\" {\n  group \"host:a\" {\n    alert = [monitor.errors[\"acme\"]]\n  }\n  page \"l3/degraded/acme\" {\n    groups = [\"host:b\"]\n  }\n}\n",
    )
    .expect("write");
    let (code, stdout, _) = monc_test(&["-C", USER_COMPOSITE, file.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("~ l3/degraded/acme pages for groups host:a instead of host:b"),
        "{stdout}"
    );
}

/// The matrix checks the suppression logic, not the handles: tenants without `notify` (their
/// composites page nobody) still have every edge checked and passing.
#[test]
fn the_matrix_checks_suppression_whatever_the_handles() {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(USER_COMPOSITE);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-test-no-handles");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::copy(from.join("monitors.hcl"), dir.join("monitors.hcl")).expect("copy");
    let tenants = std::fs::read_to_string(from.join("tenants.hcl")).expect("read");
    let silent: String = tenants
        .lines()
        .filter(|line| !line.trim_start().starts_with("notify"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(dir.join("tenants.hcl"), silent).expect("write");
    std::fs::create_dir_all(dir.join("alert-tests")).expect("mkdir");
    let dir = dir.to_str().expect("utf-8");
    let (code, stdout, stderr) = monc_test(&["--matrix", "-C", dir]);
    assert!(
        stdout.contains("2 edges: 4 checked (0 failed)"),
        "{code:?} {stdout}{stderr}"
    );
}

/// Handles left in a message page (issue 22): Datadog notifies every `@` mention, so a monitor
/// with `notify = []` whose message names `@pagerduty-critical` pages it.
#[test]
fn handles_left_in_a_message_page() {
    let (code, stdout, stderr) =
        monc_test(&["-C", "tests/fixtures/alert-tests/handles-in-message"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("3 scenarios: 3 passed, 0 failed"),
        "{stdout}"
    );
    let (_, matrix, _) = monc_test(&[
        "-C",
        "tests/fixtures/alert-tests/handles-in-message",
        "--matrix",
        "--format",
        "json",
    ]);
    let document: Value = serde_json::from_str(&matrix).expect("json");
    assert!(!document.to_string().contains("nobody"), "{document:#}");
}
