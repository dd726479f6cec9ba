//! Where monc's checks and the emulator must agree with what Datadog documents or records: a
//! monitor Datadog accepts must sync to the local org and diff clean; one it refuses must be an
//! error in `monc validate`, refused by the emulator too.

use std::path::{Path, PathBuf};

use crate::common::{monc_in, output_text};
use crate::diagnostics_fixtures;

/// A copy of the fixture project `name` (under tests/fixtures/diagnostics) in a fresh directory.
fn project_copy(name: &str, copy: &str) -> PathBuf {
    diagnostics_fixtures::copy_project(
        name,
        &Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("datadog_rules")
            .join(copy),
    )
}

/// The query forms of Datadog's published monitors (tests/fixtures/diagnostics/_published-forms),
/// among them the legacy `avg(last_15m):avg:postgresql.percent_usage_connections{*} > 0.9 by
/// {host}` of DataDog/integrations-core's postgres/assets/monitors/percent_usage_connections.json:
/// `monc validate` accepts them, so the local org must take them and read them back unchanged.
#[test]
fn published_query_forms_sync_to_the_local_org_and_diff_clean() {
    let dir = project_copy("_published-forms", "published_forms_sync");
    let synced = monc_in(&dir)
        .args(["sync", "--org", "local", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(synced.status.code(), Some(0), "{}", output_text(&synced));
    let diff = monc_in(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("runs");
    assert_eq!(diff.status.code(), Some(0), "{}", output_text(&diff));
    assert!(
        output_text(&diff).contains("No changes."),
        "{}",
        output_text(&diff)
    );
}

/// Documented (docs.datadoghq.com/api/latest/monitors/#create-a-monitor, "Notes"): "Synthetic
/// monitors are created through the Synthetics API", not `POST /api/v1/monitor`; the monitor
/// types page adds "You can only create Synthetic test monitors within the Synthetic Monitoring
/// section". A `synthetics alert` template could never be synced: `monc validate` says so, at
/// the type, with what to do instead.
#[test]
fn a_synthetics_alert_template_is_an_error_at_its_type() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("datadog_rules")
        .join("synthetics_template");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("tenants.hcl"),
        "cluster \"c1\" {}\ntenant \"acme\" {\n  cluster = \"c1\"\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("monitors.hcl"),
        "monitor \"login_check\" {\n  tier  = \"L0\"\n  name  = \"Login page\"\n  \
         type  = \"synthetics alert\"\n  query = \"no_query\"\n}\n",
    )
    .expect("write");
    let output = monc_in(&dir).arg("validate").output().expect("runs");
    let said = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("monc::unknown-type"), "{said}");
    assert!(said.contains("Synthetics API"), "{said}");
    assert!(
        said.contains("monitors.hcl:4"),
        "not located at the type: {said}"
    );
}

/// The same rule in the emulator: `POST /api/v1/monitor` and `/validate` refuse a new
/// `synthetics alert`, while a Synthetic test's monitor that exists (made by the Synthetics API,
/// as in the recorded Get-a-synthetics-monitor-s-details) is still read and listed.
#[tokio::test]
async fn the_emulator_refuses_to_create_a_synthetics_alert_but_keeps_existing_ones() {
    let (emulator, _client) = crate::common::start().await;
    let http = reqwest::Client::new();
    let body = serde_json::json!({"name": "Login page", "type": "synthetics alert",
        "query": "no_query", "message": "m", "options": {}});
    for path in ["/api/v1/monitor", "/api/v1/monitor/validate"] {
        let answer = http
            .post(format!("{}{path}", emulator.base_url()))
            .header("DD-API-KEY", "k")
            .header("DD-APPLICATION-KEY", "a")
            .json(&body)
            .send()
            .await
            .expect("answers");
        assert_eq!(answer.status().as_u16(), 400, "{path}");
    }
    assert!(emulator.monitors().is_empty());
    let id = emulator
        .insert_monitor(body.clone())
        .expect("a Synthetic test's monitor exists");
    let read = http
        .get(format!("{}/api/v1/monitor/{id}", emulator.base_url()))
        .header("DD-API-KEY", "k")
        .header("DD-APPLICATION-KEY", "a")
        .send()
        .await
        .expect("answers");
    assert_eq!(read.status().as_u16(), 200);
    emulator.shutdown().await;
}

/// An org's Synthetic test monitors are read like any other (4 of the 142 monitors in the
/// recorded go-legacy listing are `synthetics alert`): `monc import` leaves them out, saying
/// why, so the project it writes validates.
#[test]
fn import_skips_synthetics_monitors_and_writes_a_valid_project() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("datadog_rules")
        .join("import_synthetics");
    let _ = std::fs::remove_dir_all(&dir);
    let init = monc_in(Path::new(env!("CARGO_TARGET_TMPDIR")))
        .args(["init", "-C"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(init.status.code(), Some(0), "{}", output_text(&init));
    let export = serde_json::json!([
        {"id": 11, "name": "Login page", "type": "synthetics alert", "query": "no_query",
         "message": "m", "tags": [], "options": {}},
        {"id": 12, "name": "CPU", "type": "query alert", "message": "m", "tags": [],
         "query": "avg(last_5m):avg:system.cpu.user{*} > 90",
         "options": {"thresholds": {"critical": 90}}}
    ]);
    std::fs::write(dir.join("export.json"), export.to_string()).expect("write");
    let import = monc_in(&dir)
        .args(["import", "--from", "export.json"])
        .output()
        .expect("runs");
    let said = output_text(&import);
    assert_eq!(import.status.code(), Some(0), "{said}");
    assert!(
        said.contains("skipped monitor 11 \"Login page\"") && said.contains("Synthetics API"),
        "{said}"
    );
    let validate = monc_in(&dir).arg("validate").output().expect("runs");
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        output_text(&validate)
    );
}

/// `priority: 0` was accepted on create and validate in recorded real traffic (the team's
/// checked facts), so neither monc nor the emulator refuses it; 6 is refused by both.
#[tokio::test]
async fn priority_zero_is_accepted_by_both_and_six_is_not() {
    let dir = project_copy("_published-forms", "priority_zero");
    let monitors = std::fs::read_to_string(dir.join("monitors.hcl")).expect("read");
    for (priority, code) in [(0, 0), (6, 1)] {
        let with_priority = monitors.replacen(
            "  type  = \"query alert\"\n",
            &format!("  type  = \"query alert\"\n  priority = {priority}\n"),
            1,
        );
        std::fs::write(dir.join("monitors.hcl"), with_priority).expect("write");
        let validate = monc_in(&dir).arg("validate").output().expect("runs");
        let said = output_text(&validate);
        assert_eq!(
            validate.status.code(),
            Some(code),
            "priority {priority}: {said}"
        );
    }

    let (emulator, _client) = crate::common::start().await;
    for (priority, status) in [(0, 200), (6, 400)] {
        let body = serde_json::json!({"name": "m", "type": "query alert", "priority": priority,
            "query": "avg(last_5m):avg:system.cpu.user{*} > 90"});
        for path in ["/api/v1/monitor", "/api/v1/monitor/validate"] {
            let answer = reqwest::Client::new()
                .post(format!("{}{path}", emulator.base_url()))
                .header("DD-API-KEY", "k")
                .header("DD-APPLICATION-KEY", "a")
                .json(&body)
                .send()
                .await
                .expect("answers");
            assert_eq!(
                answer.status().as_u16(),
                status,
                "{path} priority {priority}"
            );
        }
    }
    emulator.shutdown().await;
}
