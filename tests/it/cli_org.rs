//! The README quick start, end to end through the binary, on the local emulated org:
//! validate → diff → sync → diff (clean) → a hand edit → diff shows drift.

use crate::common::{self, monc_in as monc};
use std::path::Path;

use serde_json::Value;

/// Simulates a hand edit in the Datadog UI by changing the local org's stored monitor.
fn edit_query_in_local_org(dir: &Path, key: &str, from: &str, to: &str) {
    let path = dir.join(".monc/local-org.json");
    let mut state: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
    let tag = Value::from(format!("monc-key:{key}"));
    let monitors = state["monitors"].as_object_mut().expect("monitors");
    let monitor = monitors
        .values_mut()
        .find(|m| m["tags"].as_array().is_some_and(|t| t.contains(&tag)))
        .expect("monitor in org");
    let query = monitor["query"].as_str().expect("query").replace(from, to);
    monitor["query"] = Value::from(query);
    monitor["modified"] = Value::from("2026-11-20T10:00:00+00:00");
    std::fs::write(&path, serde_json::to_string(&state).expect("json")).expect("write");
}

#[test]
fn quick_start_runs_validate_diff_sync_and_reports_drift() {
    let dir = common::reference_copy("cli-org", "quick-start");
    monc(&dir).arg("validate").assert().success();

    let diff = monc(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("diff");
    assert_eq!(diff.status.code(), Some(2), "changes pending");
    assert!(
        String::from_utf8_lossy(&diff.stdout)
            .contains("Plan: 34 to create, 0 to update, 0 to delete.")
    );

    let sync = monc(&dir)
        .args(["sync", "--org", "local", "--yes"])
        .output()
        .expect("sync");
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    assert!(
        String::from_utf8_lossy(&sync.stdout)
            .contains("Applied: 34 created, 0 updated, 0 deleted.")
    );

    let clean = monc(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("diff");
    assert_eq!(clean.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("No changes."));

    edit_query_in_local_org(&dir, "l2/db_cpu/prod-tokyo-1", "> 90", "> 95");
    let drift = monc(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("diff");
    assert_eq!(drift.status.code(), Some(2));
    let text = String::from_utf8_lossy(&drift.stdout);
    assert!(text.contains("~ l2/db_cpu/prod-tokyo-1"), "{text}");
    assert!(text.contains("(edited outside monc)"), "{text}");

    let report = dir.join("drift.md");
    let markdown = monc(&dir)
        .args(["diff", "--org", "local", "--format", "markdown", "--output"])
        .arg(&report)
        .output()
        .expect("diff");
    assert_eq!(markdown.status.code(), Some(2));
    let text = std::fs::read_to_string(&report).expect("report");
    assert!(text.contains("### Drift: changed outside monc"), "{text}");
    assert!(
        text.contains("| `l2/db_cpu/prod-tokyo-1` | `query`"),
        "{text}"
    );
}

#[test]
fn diff_without_credentials_or_org_is_an_error_not_no_drift() {
    let dir = common::reference_copy("cli-org", "no-credentials");
    let output = monc(&dir).arg("diff").output().expect("diff");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DD_API_KEY"), "{stderr}");
    assert!(stderr.contains("--org local"), "{stderr}");
}

#[test]
fn sync_without_a_terminal_needs_yes() {
    let dir = common::reference_copy("cli-org", "needs-yes");
    let output = monc(&dir)
        .args(["sync", "--org", "local"])
        .output()
        .expect("sync");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("pass --yes"));
    assert!(!dir.join(".monc/backups").exists());
}

#[test]
fn diff_refuses_a_config_with_errors() {
    let dir = common::reference_copy("cli-org", "broken");
    std::fs::write(
        dir.join("tenants/bad.hcl"),
        "tenant \"x\" {\n  cluster = \"nowhere\"\n  notify = []\n}\n",
    )
    .expect("write");
    let output = monc(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("diff");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("monc::unknown-cluster"));
}

/// A loopback stand-in for a Slack incoming webhook: records every body posted to it.
async fn fake_webhook() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::{Json, Router, routing::post};
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |Json(body): Json<Value>| async move {
            sink.lock().expect("lock").push(body);
            "ok"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_posted_to_the_slack_webhook() {
    let dir = common::reference_copy("cli-org", "slack");
    let (url, received) = fake_webhook().await;
    let run = |args: Vec<&'static str>, url: Option<String>| {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = monc(&dir);
            if let Some(url) = url {
                cmd.env("MONC_SLACK_WEBHOOK_URL", url);
            }
            cmd.args(args).output().expect("runs")
        })
    };
    let synced = run(vec!["sync", "--org", "local", "--yes"], None)
        .await
        .expect("join");
    assert!(synced.status.success());
    let quiet = run(
        vec!["diff", "--org", "local", "--notify-slack"],
        Some(url.clone()),
    )
    .await
    .expect("join");
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        received.lock().expect("lock").is_empty(),
        "no drift, no message"
    );

    edit_query_in_local_org(&dir, "l0/region_health", "> 5", "> 7");
    let drift = run(vec!["diff", "--org", "local", "--notify-slack"], Some(url))
        .await
        .expect("join");
    assert_eq!(
        drift.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&drift.stderr)
    );
    let messages = received.lock().expect("lock").clone();
    assert_eq!(messages.len(), 1);
    let text = messages[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("`l0/region_health`: edited outside monc (query"),
        "{text}"
    );
    assert!(text.contains("monc sync"), "{text}");
}
