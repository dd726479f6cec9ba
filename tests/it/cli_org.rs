//! The README quick start, end to end through the binary, on the local emulated org:
//! validate → diff → sync → diff (clean) → a hand edit → diff shows drift.

use crate::common::{self, monc_in as monc};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
pub(crate) async fn fake_webhook() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
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

/// A project synced to its local org, then edited there by hand: its diff has drift to post.
fn drifted_local_org(name: &str) -> PathBuf {
    let dir = common::reference_copy("cli-org", name);
    let synced = monc(&dir)
        .args(["sync", "--org", "local", "--yes"])
        .output()
        .expect("sync");
    assert!(synced.status.success(), "{synced:?}");
    edit_query_in_local_org(&dir, "l0/region_health", "> 5", "> 7");
    dir
}

/// `monc diff --org local --notify-slack` posting to `webhook`, killed after a minute.
fn diff_notifying(dir: &Path, webhook: &str) -> assert_cmd::Command {
    let mut cmd = monc(dir);
    cmd.args(["diff", "--org", "local", "--notify-slack"])
        .env("MONC_SLACK_WEBHOOK_URL", webhook)
        .timeout(Duration::from_secs(60));
    cmd
}

/// A webhook that answers every request with a redirect to `target`.
async fn redirecting_webhook(status: u16, target: String) -> String {
    let app = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move {
            axum::response::Response::builder()
                .status(status)
                .header("location", target)
                .body(axum::body::Body::empty())
                .expect("response")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A redirect from the webhook is not followed: the drift summary (and the webhook's secret
/// path, in `Referer`) would go to another host.
#[test]
fn a_slack_webhook_redirect_is_not_followed() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (target, received) = runtime.block_on(fake_webhook());
    let dir = drifted_local_org("slack-redirect");
    for status in [302, 307, 308] {
        let webhook = runtime.block_on(redirecting_webhook(status, target.clone()));
        let output = diff_notifying(&dir, &webhook).output().expect("diff");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{status}: {stderr}");
        assert!(stderr.contains("redirect"), "{status}: {stderr}");
        assert!(!stderr.contains(&webhook), "the URL is a secret: {stderr}");
    }
    assert!(
        received.lock().expect("lock").is_empty(),
        "the redirect target received the summary"
    );
}

/// A webhook that accepts connections and never answers.
async fn stalled_webhook() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

/// A stalled webhook is given up on after monc's deadline for it, with an error (exit 1).
#[test]
fn a_stalled_slack_webhook_is_given_up_in_bounded_time() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let webhook = runtime.block_on(stalled_webhook());
    let dir = drifted_local_org("slack-stall");
    let started = Instant::now();
    let output = diff_notifying(&dir, &webhook).output().expect("diff");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(40), "{stderr}");
    assert!(stderr.contains("did not answer within"), "{stderr}");
}

/// The error says why the webhook could not be reached, not only "error sending request".
#[test]
fn an_unreachable_slack_webhook_says_why() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let webhook = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    let dir = drifted_local_org("slack-unreachable");
    let output = diff_notifying(&dir, &webhook).output().expect("diff");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("connection refused"),
        "{stderr}"
    );
}

/// A webhook on loopback is reached directly, whatever proxy the environment names.
#[test]
fn a_slack_webhook_on_loopback_bypasses_the_proxy() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (webhook, received) = runtime.block_on(fake_webhook());
    let (proxy, proxied) = common::fake_proxy(&runtime);
    let dir = drifted_local_org("slack-proxy");
    let mut cmd = diff_notifying(&dir, &webhook);
    for (name, value) in common::proxy_env(&proxy) {
        cmd.env(name, value);
    }
    let output = cmd
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("diff");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(received.lock().expect("lock").len(), 1);
    assert!(proxied.lock().expect("log").is_empty());
}
