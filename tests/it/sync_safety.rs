//! sync never loses a live monitor or takes over what is not monc's (issue 9): freshness
//! checks before deletes, deletes the API would refuse, duplicates that are the same id,
//! composites pointing at duplicates, backups that cannot be written, interruptions.

use crate::common;
use std::path::Path;
use std::time::Duration;

use monc::datadog::Client;
use monc::model::MonitorBody;
use monc::output::plan::render_human;
use monc::plan::{Action, Drift, LiveMonitor, plan};
use monc_emulator::{EmulatorConfig, EmulatorHandle, FaultConfig};
use serde_json::{Value, json};

use common::{start, start_with};

#[tokio::test]
async fn prune_never_deletes_a_monitor_edited_after_the_plan_was_read() {
    let (emulator, client) = start().await;
    let dir = common::reference_copy("safety", "prune-edited");
    common::sync(&dir, &client, false).await;
    std::fs::remove_file(dir.join("tenants/umbrella.hcl")).expect("remove tenant");
    let (plan, wire) = common::make_plan(&dir, &client).await.expect("plan");
    // Someone edits an orphan between the plan and the apply.
    let edited = common::id_of(&emulator, "l3/login_check/umbrella");
    assert!(emulator.edit_monitor(edited, |m| {
        m.insert("name".into(), "kept by hand".into());
    }));
    let options = common::apply_options(&dir, true);
    let report = monc::sync::apply(&client, &plan, &wire, &options).await;
    let still = emulator
        .monitor(edited)
        .expect("the edited monitor survives");
    assert_eq!(still["name"], "kept by hand");
    let failure = report
        .failures()
        .find(|o| o.key == "l3/login_check/umbrella")
        .expect("reported");
    assert!(
        matches!(
            failure.error,
            Some(monc::sync::ChangeError::ChangedSincePlan(_))
        ),
        "{failure:?}"
    );
}

#[tokio::test]
async fn a_composite_monc_does_not_own_keeps_both_halves_of_the_pair() {
    let (emulator, client) = start().await;
    let dir = common::reference_copy("safety", "foreign-composite");
    common::sync(&dir, &client, false).await;
    std::fs::remove_file(dir.join("tenants/umbrella.hcl")).expect("remove tenant");
    let raw = common::id_of(&emulator, "l3/login_check/umbrella");
    let other = common::id_of(&emulator, "l0/region_health");
    emulator
        .insert_monitor(
            json!({"name": "Team dashboard composite", "type": "composite",
            "query": format!("{raw} && {other}"), "message": "x", "tags": ["team:other"],
            "options": {}}),
        )
        .expect("foreign composite");
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    let blocked: Vec<&str> = plan.blocked().map(|c| c.key.as_str()).collect();
    assert_eq!(
        blocked,
        [
            "l3/login_check/umbrella",
            "l3/login_check/umbrella/composite"
        ]
    );
    let shown = render_human(&plan, false);
    assert!(shown.contains("cannot be deleted"), "{shown}");
    assert!(shown.contains("Team dashboard composite"), "{shown}");
    // Twice: the blocked pair never turns into a failing delete, and no half is lost.
    for _ in 0..2 {
        let report = common::sync(&dir, &client, true).await;
        assert_eq!(report.blocked.len(), 2, "{report:?}");
    }
    let keys = common::keys_in_org(&emulator);
    assert!(keys.contains(&"l3/login_check/umbrella".to_string()));
    assert!(keys.contains(&"l3/login_check/umbrella/composite".to_string()));
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with("l3/api_error_rate/umbrella"))
    );
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    assert!(!plan.has_changes(), "only blocked deletes are left");
}

fn live(id: i64, key: &str, monitor_type: &str, query: &str) -> LiveMonitor {
    LiveMonitor {
        id,
        body: MonitorBody {
            name: key.into(),
            monitor_type: monitor_type.into(),
            query: query.into(),
            tags: vec!["managed-by:monc".into(), format!("monc-key:{key}")],
            ..MonitorBody::default()
        },
        modified: None,
        creator: None,
        server: Default::default(),
    }
}

#[test]
fn the_same_monitor_listed_twice_is_not_its_own_duplicate() {
    let once = live(7, "l0/x", "metric alert", "avg(last_5m):avg:a{*} > 1");
    let plan = plan(&[], &[once.clone(), once], &common::ownership());
    assert!(
        !plan
            .changes
            .iter()
            .any(|c| c.drift == Some(Drift::Duplicate)),
        "{:?}",
        plan.changes
    );
    assert_eq!(
        plan.changes.len(),
        1,
        "one orphan, not an orphan and a duplicate"
    );
}

#[tokio::test]
async fn a_composite_pointing_at_a_duplicate_is_labelled_as_such() {
    // A generated composite over its monitor, and a page over one of its members.
    for (key, composite) in [
        ("l3/login_check/acme", "l3/login_check/acme/composite"),
        ("l3/api_error_rate/acme", "l3/api/acme"),
    ] {
        composite_pointing_at_a_duplicate(key, composite).await;
    }
}

async fn composite_pointing_at_a_duplicate(key: &str, composite_key: &str) {
    let (emulator, client) = start().await;
    let dir = common::reference_copy("safety", "points-at-duplicate");
    common::sync(&dir, &client, false).await;
    // A second sync running at once created a copy of the raw monitor and pointed the
    // composite at it.
    let original = common::id_of(&emulator, key);
    let copy = emulator
        .monitor(original)
        .expect("original")
        .as_object()
        .cloned()
        .expect("object");
    let copy_id = emulator.insert_monitor(Value::Object(copy)).expect("copy");
    let composite = common::id_of(&emulator, composite_key);
    assert!(emulator.edit_monitor(composite, |m| {
        let query = m["query"].as_str().unwrap_or_default().to_string();
        let repointed = query.replace(&original.to_string(), &copy_id.to_string());
        m.insert("query".into(), repointed.into());
    }));
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    let change = plan
        .changes
        .iter()
        .find(|c| c.key == composite_key)
        .expect("composite change");
    assert_eq!(change.action, Action::Update);
    assert_eq!(
        change.drift,
        Some(Drift::PointsAtDuplicate),
        "{composite_key}"
    );
    common::sync(&dir, &client, false).await;
    assert!(common::duplicate_keys(&emulator).is_empty());
    assert!(common::dangling_composites(&emulator).is_empty());
}

/// `command` set up to run monc in `dir` against the API at `url`.
fn monc_env(mut command: std::process::Command, dir: &Path, url: &str) -> std::process::Command {
    command
        .current_dir(dir)
        .env_remove("MONC_ORG")
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env("MONC_API_URL", url)
        .env("NO_COLOR", "1");
    command
}

#[tokio::test]
async fn a_backup_that_cannot_be_written_whole_changes_nothing() {
    let (emulator, client) = start().await;
    let dir = common::reference_copy("safety", "backup-full-disk");
    common::sync(&dir, &client, false).await;
    let l3 = dir.join("monitors/l3_tenant.hcl");
    let text = std::fs::read_to_string(&l3).expect("read");
    std::fs::write(
        &l3,
        text.replace("Login page unreachable", "Login page down"),
    )
    .expect("edit");
    emulator.clear_requests();
    // A file-size limit of 4 KiB: the backup of the monitors to update is larger.
    let url = emulator.base_url();
    let dir_for_run = dir.clone();
    let output = tokio::task::spawn_blocking(move || {
        monc_env(std::process::Command::new("bash"), &dir_for_run, &url)
            .env("MONC_BIN", assert_cmd::cargo::cargo_bin("monc"))
            .args(["-c", "ulimit -f 4; exec \"$MONC_BIN\" sync --yes"])
            .output()
            .expect("runs")
    })
    .await
    .expect("joined");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("could not write the backup"),
        "{stdout}\n{stderr}"
    );
    let writes: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/validate"))
        .collect();
    assert!(writes.is_empty(), "changed the org: {writes:?}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.join(".monc/backups"))
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "partial backup left: {leftovers:?}");
}

#[tokio::test]
async fn an_interrupted_sync_reports_every_change_it_applied() {
    let (emulator, _client) = start_with(EmulatorConfig {
        faults: FaultConfig {
            latency: Duration::from_millis(150),
            ..FaultConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let dir = common::reference_copy("safety", "interrupted");
    let url = emulator.base_url();
    let child = monc_env(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("monc")),
        &dir,
        &url,
    )
    .args(["sync", "--yes"])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("spawn");
    tokio::time::sleep(Duration::from_millis(900)).await;
    #[expect(
        unsafe_code,
        reason = "kill(2) has no safe wrapper in the dependencies"
    )]
    // SAFETY: kill(2) on a child we own.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .expect("joined");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stdout.contains("not started (interrupted)"), "{stdout}");
    assert!(
        !stdout.contains("datadoghq.com"),
        "links to a site monc did not talk to: {stdout}"
    );
    let reported: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("created "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut in_org = common::keys_in_org(&emulator);
    let mut reported_sorted: Vec<String> = reported.iter().map(|s| s.to_string()).collect();
    in_org.sort();
    reported_sorted.sort();
    assert!(!in_org.is_empty() && in_org.len() < 34, "{in_org:?}");
    assert_eq!(reported_sorted, in_org, "every applied change is on record");
}

/// A backup of the reference setup taken by a sync that changed every L3 login check, and the
/// project it came from.
async fn backup_of_a_sync(
    name: &str,
) -> (
    EmulatorHandle,
    Client,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let (emulator, client) = start().await;
    let dir = common::reference_copy("safety", name);
    common::sync(&dir, &client, false).await;
    let l3 = dir.join("monitors/l3_tenant.hcl");
    let text = std::fs::read_to_string(&l3).expect("read");
    std::fs::write(
        &l3,
        text.replace("Login page unreachable", "Login page down"),
    )
    .expect("edit");
    let report = common::sync(&dir, &client, false).await;
    let backup = report.backup.expect("backup written");
    (emulator, client, dir, backup)
}

fn monc_restore(dir: &Path, url: &str, backup: &Path, yes: bool) -> std::process::Output {
    let mut command = monc_env(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("monc")),
        dir,
        url,
    );
    command.arg("restore").arg(backup);
    if yes {
        command.arg("--yes");
    }
    command
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs")
}

async fn restore_via_binary(
    dir: &Path,
    url: &str,
    backup: &Path,
    yes: bool,
) -> std::process::Output {
    let (dir, url, backup) = (dir.to_path_buf(), url.to_string(), backup.to_path_buf());
    tokio::task::spawn_blocking(move || monc_restore(&dir, &url, &backup, yes))
        .await
        .expect("joined")
}

#[tokio::test]
async fn restore_never_writes_to_a_monitor_monc_does_not_own() {
    let (emulator, _client, dir, backup_path) = backup_of_a_sync("restore-foreign").await;
    // A monitor of another team with an id that a tampered backup names.
    let theirs = emulator
        .insert_monitor(
            json!({"name": "Unrelated team monitor", "type": "metric alert",
            "query": "avg(last_5m):avg:system.load.1{*} > 1", "message": "theirs",
            "tags": ["team:other"], "options": {}}),
        )
        .expect("foreign");
    let mut backup: Value =
        serde_json::from_str(&std::fs::read_to_string(&backup_path).expect("read")).expect("json");
    backup["monitors"].as_array_mut().expect("monitors").push(
        json!({"id": theirs, "name": "overwritten!", "type": "metric alert",
            "query": "avg(last_5m):avg:system.load.1{*} > 9", "message": "x",
            "tags": ["team:other"], "options": {}}),
    );
    std::fs::write(&backup_path, backup.to_string()).expect("write");
    let before = emulator.monitors().len();
    let output = restore_via_binary(&dir, &emulator.base_url(), &backup_path, true).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("left alone"), "{stderr}");
    assert_eq!(
        emulator.monitor(theirs).expect("still there")["name"],
        "Unrelated team monitor"
    );
    assert_eq!(emulator.monitors().len(), before, "nothing created");
}

#[tokio::test]
async fn restore_twice_creates_each_monitor_once() {
    let (emulator, client, dir, backup_path) = backup_of_a_sync("restore-twice").await;
    // The backed-up monitors are deleted by hand (composites first).
    let backup = monc::backup::Backup::read(&backup_path, &common::ownership()).expect("backup");
    let mut ids: Vec<(bool, i64)> = backup
        .monitors
        .iter()
        .map(|m| (m.body.monitor_type != "composite", m.id.expect("id")))
        .collect();
    ids.sort();
    for (_, id) in ids {
        client.delete_monitor(id, false).await.expect("delete");
    }
    for run in 0..2 {
        let output = restore_via_binary(&dir, &emulator.base_url(), &backup_path, true).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "run {run}: {stderr}");
    }
    assert!(
        common::duplicate_keys(&emulator).is_empty(),
        "{:?}",
        common::duplicate_keys(&emulator)
    );
    assert!(common::dangling_composites(&emulator).is_empty());
    assert_eq!(common::keys_in_org(&emulator).len(), 34);
}

#[tokio::test]
async fn restore_refuses_a_backup_of_another_org() {
    let (emulator, _client, dir, backup_path) = backup_of_a_sync("restore-other-org").await;
    let mut backup: Value =
        serde_json::from_str(&std::fs::read_to_string(&backup_path).expect("read")).expect("json");
    backup["api"] = json!("https://api.datadoghq.eu");
    std::fs::write(&backup_path, backup.to_string()).expect("write");
    emulator.clear_requests();
    let output = restore_via_binary(&dir, &emulator.base_url(), &backup_path, true).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("datadoghq.eu"), "{stderr}");
    assert!(emulator.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn restore_asks_first_and_refuses_without_a_terminal() {
    let (emulator, _client, dir, backup_path) = backup_of_a_sync("restore-confirm").await;
    emulator.clear_requests();
    let output = restore_via_binary(&dir, &emulator.base_url(), &backup_path, false).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(
        stderr.contains("~ l3/login_check/acme"),
        "the plan is shown: {stderr}"
    );
    assert!(emulator.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn a_monitor_muted_by_a_downtime_is_no_change_and_stays_muted() {
    let (emulator, client) = start().await;
    let dir = common::reference_copy("safety", "muted");
    common::sync(&dir, &client, false).await;
    let muted = common::id_of(&emulator, "l3/api_error_rate/acme");
    assert!(emulator.mute_monitor(muted, Some(1_900_000_000)));
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    assert!(
        !plan.has_changes(),
        "mute state shows as a change: {:?}",
        plan.changes
    );
    // A real change to the muted monitor is written without touching its mute.
    let l3 = dir.join("monitors/l3_tenant.hcl");
    let text = std::fs::read_to_string(&l3).expect("read");
    std::fs::write(&l3, text.replace("API error rate", "API error ratio")).expect("edit");
    common::sync(&dir, &client, false).await;
    let after = emulator.monitor(muted).expect("monitor");
    assert_eq!(
        after["options"]["silenced"],
        json!({"*": 1_900_000_000}),
        "{after}"
    );
}
