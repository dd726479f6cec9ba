//! `monc status` end to end: the reference setup synced into the emulator, monitors put in
//! states through the emulator's state extension, the binary reading them back.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use monc::status::{StatusReport, Verdict};
use monc_emulator::{EmulatorHandle, MonitorStatus, StateChange};
use serde_json::Value;

fn monc_command(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("monc").expect("binary");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env_remove("MONC_ORG")
        .arg("status")
        .args(args)
        .args(["--api-url", url]);
    cmd
}

async fn status(dir: &Path, url: &str, args: &[&str]) -> Output {
    let (dir, url) = (dir.to_path_buf(), url.to_owned());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        monc_command(&dir, &url, &args).output().expect("runs")
    })
    .await
    .expect("monc")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The reference setup, synced, every raw monitor OK.
async fn synced_org(name: &str) -> (PathBuf, EmulatorHandle) {
    let dir = common::reference_copy("status", name);
    let (emulator, client) = common::start().await;
    common::sync(&dir, &client, false).await;
    let raw: Vec<i64> = emulator
        .monitors()
        .iter()
        .filter(|m| m["type"] != "composite")
        .filter_map(|m| m["id"].as_i64())
        .collect();
    let all_ok: Vec<StateChange> = raw
        .into_iter()
        .map(|id| change(id, None, MonitorStatus::Ok))
        .collect();
    emulator.set_states(&all_ok).expect("states set");
    (dir, emulator)
}

/// Keys of the monitors in the org that are not composites (generated ones and pages).
fn raw_keys(emulator: &EmulatorHandle) -> Vec<String> {
    emulator
        .monitors()
        .iter()
        .filter(|m| m["type"] != "composite")
        .filter_map(|m| {
            let tags = m["tags"].as_array()?;
            let key = tags
                .iter()
                .find_map(|t| t.as_str()?.strip_prefix("monc-key:"))?;
            Some(key.to_owned())
        })
        .collect()
}

fn change(monitor_id: i64, group: Option<&str>, status: MonitorStatus) -> StateChange {
    StateChange {
        monitor_id,
        group: group.map(String::from),
        status,
    }
}

fn set(emulator: &EmulatorHandle, states: &[(&str, Option<&str>, MonitorStatus)]) {
    let changes: Vec<StateChange> = states
        .iter()
        .map(|(key, group, status)| change(common::id_of(emulator, key), *group, *status))
        .collect();
    emulator.set_states(&changes).expect("states set");
}

async fn json_report(dir: &Path, url: &str, args: &[&str]) -> (Option<i32>, StatusReport) {
    let args: Vec<&str> = ["--format", "json"].iter().chain(args).copied().collect();
    let output = status(dir, url, &args).await;
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), report)
}

fn monitor<'a>(report: &'a StatusReport, key: &str) -> &'a monc::status::MonitorStatus {
    report
        .monitors
        .iter()
        .find(|m| m.key == key)
        .unwrap_or_else(|| panic!("{key} not in the report"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_l2_outage_shows_the_suppressed_composites_and_the_one_that_still_pages() {
    let (dir, emulator) = synced_org("l2-outage").await;
    use MonitorStatus::Alert;
    set(
        &emulator,
        &[
            ("l2/db_cpu/prod-tokyo-1", None, Alert),
            (
                "l3/api_latency_p95/acme",
                Some("resource_name:/login"),
                Alert,
            ),
            (
                "l3/api_latency_p95/globex",
                Some("resource_name:/checkout"),
                Alert,
            ),
            ("l3/login_check/acme", None, Alert),
        ],
    );
    let url = emulator.base_url();
    let (code, report) = json_report(&dir, &url, &[]).await;
    assert_eq!(code, Some(3), "something pages");
    assert_eq!(
        report.headline,
        "L2 l2/db_cpu/prod-tokyo-1 is alerting and paging: 2 alert(s) suppressed, 1 more \
         paging (l3/login_check/acme, not covered by this suppressor)"
    );
    let acme = monitor(&report, "l3/api_latency_p95/acme");
    assert_eq!(acme.verdict, Some(Verdict::Suppressed));
    assert_eq!(acme.suppressed_by[0].by, "l2/db_cpu/prod-tokyo-1");
    assert_eq!(
        acme.suppressed_by[0].group.as_deref(),
        Some("resource_name:/login")
    );
    assert_eq!(acme.groups[0].name, "resource_name:/login");
    assert_eq!(
        monitor(&report, "l3/login_check/acme").verdict,
        Some(Verdict::Paging)
    );
    let paged: Vec<&str> = report.pages.iter().map(|p| p.key.as_str()).collect();
    assert!(
        paged.contains(&"l3/login_check/acme/composite"),
        "{paged:?}"
    );
    assert!(!paged.iter().any(|k| k.starts_with("l3/api_latency_p95")));

    let human = stdout(&status(&dir, &url, &[]).await);
    assert!(
        human.starts_with("L2 l2/db_cpu/prod-tokyo-1 is alerting"),
        "{human}"
    );
    assert!(
        human.contains("L3 l3/api_latency_p95/acme  ALERT  suppressed by l2/db_cpu/prod-tokyo-1"),
        "{human}"
    );
    assert!(
        human.contains("L3 l3/login_check/acme  ALERT  → PAGING"),
        "{human}"
    );
    assert!(human.contains("resource_name:/login  Alert"), "{human}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_l0_outage_suppresses_everything_beneath() {
    let (dir, emulator) = synced_org("l0-outage").await;
    let everything: Vec<(String, MonitorStatus)> = raw_keys(&emulator)
        .into_iter()
        .filter(|key| key != "l0/pipeline_heartbeat")
        .map(|key| (key, MonitorStatus::Alert))
        .collect();
    let states: Vec<(&str, Option<&str>, MonitorStatus)> = everything
        .iter()
        .map(|(key, status)| (key.as_str(), None, *status))
        .collect();
    set(&emulator, &states);
    let (code, report) = json_report(&dir, &emulator.base_url(), &[]).await;
    assert_eq!(code, Some(3), "the L0 monitor itself pages");
    assert!(
        report
            .headline
            .starts_with("L0 l0/region_health is alerting"),
        "{}",
        report.headline
    );
    let with_composites: Vec<_> = report
        .monitors
        .iter()
        .filter(|m| m.verdict.is_some())
        .collect();
    assert_eq!(with_composites.len(), 18, "every L2 and L3 monitor");
    for m in with_composites {
        assert_eq!(m.verdict, Some(Verdict::Suppressed), "{}", m.key);
        assert!(
            m.suppressed_by.iter().any(|s| s.by == "l0/region_health"),
            "{}",
            m.key
        );
    }
    let paged: Vec<&str> = report.pages.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(paged, ["l0/region_health"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_data_suppressor_is_flagged_as_silencing_its_targets() {
    let (dir, emulator) = synced_org("no-data").await;
    set(
        &emulator,
        &[
            ("l2/alb_5xx/prod-tokyo-1", None, MonitorStatus::NoData),
            ("l3/api_error_rate/acme", None, MonitorStatus::Alert),
        ],
    );
    let url = emulator.base_url();
    let (code, report) = json_report(&dir, &url, &[]).await;
    assert_eq!(code, Some(0), "nothing pages: {:?}", report.pages);
    let alb = monitor(&report, "l2/alb_5xx/prod-tokyo-1");
    assert!(alb.silencing.contains(&"l3/api_error_rate/acme".to_owned()));
    let target = monitor(&report, "l3/api_error_rate/acme");
    assert_eq!(target.verdict, Some(Verdict::SilencedByNoData));
    assert!(
        report
            .headline
            .starts_with("L2 l2/alb_5xx/prod-tokyo-1 is No Data"),
        "{}",
        report.headline
    );
    let human = stdout(&status(&dir, &url, &[]).await);
    assert!(
        human.contains("silenced by No Data of l2/alb_5xx/prod-tokyo-1"),
        "{human}"
    );
    assert!(
        human.contains("No Data silences 6 monitor(s) beneath"),
        "{human}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_round_trips_and_tenant_views_name_the_shared_monitors_in_the_way() {
    let (dir, emulator) = synced_org("json").await;
    set(
        &emulator,
        &[("l2/db_cpu/prod-tokyo-1", None, MonitorStatus::Warn)],
    );
    let url = emulator.base_url();
    let output = status(&dir, &url, &["--format", "json", "--tenant", "acme"]).await;
    assert_eq!(output.status.code(), Some(3), "the L2 warns: it notifies");
    let printed: Value = serde_json::from_slice(&output.stdout).expect("json");
    let report: StatusReport = serde_json::from_value(printed.clone()).expect("a report");
    assert_eq!(serde_json::to_value(&report).expect("json"), printed);
    assert_eq!(report.tenant.as_deref(), Some("acme"));
    let keys: Vec<&str> = report.monitors.iter().map(|m| m.key.as_str()).collect();
    assert!(keys.contains(&"l2/db_cpu/prod-tokyo-1"), "{keys:?}");
    assert!(keys.contains(&"l0/region_health"), "{keys:?}");
    assert!(!keys.iter().any(|k| k.ends_with("/globex")), "{keys:?}");
    assert!(!keys.contains(&"l2/db_cpu/prod-osaka-1"), "{keys:?}");

    let typo = status(&dir, &url, &["--tenant", "acmee"]).await;
    assert_eq!(typo.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(stderr.contains("did you mean `acme`?"), "{stderr}");

    let markdown = stdout(&status(&dir, &url, &["--format", "markdown"]).await);
    assert!(
        markdown.starts_with(
            "**L2 l2/db_cpu/prod-tokyo-1 is alerting and paging: 0 alert(s) suppressed"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("| L2 | `l2/db_cpu/prod-tokyo-1` | Warn |"),
        "{markdown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_alerting_exits_0_and_missing_or_drifted_monitors_are_marked() {
    let (dir, emulator) = synced_org("marks").await;
    let url = emulator.base_url();
    let (code, report) = json_report(&dir, &url, &[]).await;
    assert_eq!(code, Some(0));
    assert!(
        report.headline.starts_with("All clear"),
        "{}",
        report.headline
    );
    let id = common::id_of(&emulator, "l2/ecs_cpu/prod-osaka-1");
    assert!(emulator.edit_monitor(id, |m| {
        m.insert("query".into(), "avg(last_10m):avg:other{*} > 85".into());
    }));
    let composite = common::id_of(&emulator, "l3/login_check/globex/composite");
    let deleted = tokio::task::spawn_blocking({
        let url = url.clone();
        move || delete(&url, composite)
    });
    deleted.await.expect("deleted");
    let (_, report) = json_report(&dir, &url, &[]).await;
    let drifted = monitor(&report, "l2/ecs_cpu/prod-osaka-1");
    assert_eq!(drifted.marks, ["edited outside monc"]);
    let globex = monitor(&report, "l3/login_check/globex");
    assert!(
        globex.marks.iter().any(|m| m.starts_with("composite ")),
        "{:?}",
        globex.marks
    );
}

fn delete(url: &str, id: i64) {
    let status = Process::new("curl")
        .args([
            "-sf",
            "-o",
            "/dev/null",
            "-X",
            "DELETE",
            "-H",
            "DD-API-KEY: k",
            "-H",
        ])
        .arg("DD-APPLICATION-KEY: a")
        .arg(format!("{url}/api/v1/monitor/{id}"))
        .status()
        .expect("curl");
    assert!(status.success());
}

/// Runs `monc status --watch 1` for a while, then stops it (and everything it started);
/// `pty` runs it on a terminal (`script` gives it one).
fn watched(dir: &Path, url: &str, pty: bool) -> String {
    use std::os::unix::process::CommandExt;
    let binary = assert_cmd::cargo::cargo_bin("monc");
    let mut command = if pty {
        let line = format!("{} status --watch 1 --api-url {url}", binary.display());
        let mut script = Process::new("script");
        script.args(["-qfec", &line, "/dev/null"]);
        script
    } else {
        let mut direct = Process::new(binary);
        direct.args(["status", "--watch", "1", "--api-url", url]);
        direct
    };
    let child = command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env_remove("MONC_ORG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(2600));
    let group = i32::try_from(child.id()).expect("pid");
    #[expect(
        unsafe_code,
        reason = "kill(2) has no safe wrapper in the dependencies"
    )]
    // SAFETY: signalling the process group this test created; no memory is involved.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
    let output = child.wait_with_output().expect("output");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_redraws_in_place_on_a_terminal_and_repeats_plainly_elsewhere() {
    let (dir, emulator) = synced_org("watch").await;
    let url = emulator.base_url();
    let on_terminal = tokio::task::spawn_blocking({
        let (dir, url) = (dir.clone(), url.clone());
        move || watched(&dir, &url, true)
    })
    .await
    .expect("watched");
    let frames: Vec<&str> = on_terminal.split("\x1b[H\x1b[2J").collect();
    assert!(frames.len() >= 3, "two frames or more: {on_terminal:?}");
    assert!(
        frames[0].is_empty(),
        "each frame starts at the top: {on_terminal:?}"
    );
    assert!(frames[1].starts_with("All clear"), "{on_terminal:?}");
    assert!(!on_terminal.contains("\x1b[3"), "NO_COLOR: no colours");

    let piped = tokio::task::spawn_blocking(move || watched(&dir, &url, false))
        .await
        .expect("watched");
    assert!(!piped.contains('\x1b'), "{piped:?}");
    assert!(piped.matches("All clear").count() >= 2, "{piped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_extension_answers_group_states_on_list_and_get() {
    let (_dir, emulator) = synced_org("extension").await;
    let url = emulator.base_url();
    let id = common::id_of(&emulator, "l3/api_latency_p95/acme");
    let composite = common::id_of(&emulator, "l3/api/acme");
    let answers = tokio::task::spawn_blocking(move || {
        let post = curl(&[
            "-X",
            "POST",
            "-d",
            r#"{"group": "resource_name:/login", "state": "Alert"}"#,
            &format!("{url}/monc-emulator/v1/monitor/{id}/state"),
        ]);
        let get = curl(&[&format!(
            "{url}/api/v1/monitor/{composite}?group_states=all"
        )]);
        let plain = curl(&[&format!("{url}/api/v1/monitor/{composite}")]);
        let list = curl(&[&format!("{url}/api/v1/monitor?group_states=alert")]);
        let refused = curl(&[
            "-X",
            "POST",
            "-d",
            r#"{"state": "Alert"}"#,
            &format!("{url}/monc-emulator/v1/monitor/{composite}/state"),
        ]);
        (post, get, plain, list, refused)
    })
    .await
    .expect("curl");
    let (post, get, plain, list, refused) = answers;
    assert_eq!(post["overall_state"], "Alert");
    assert_eq!(
        post["state"]["groups"]["resource_name:/login"]["status"],
        "Alert"
    );
    assert_eq!(get["overall_state"], "Alert");
    let group = &get["state"]["groups"]["resource_name:/login"];
    assert_eq!(group["status"], "Alert");
    assert!(group["last_triggered_ts"].as_i64().unwrap_or_default() > 0);
    assert!(get["overall_state_modified"].is_string());
    assert!(plain.get("state").is_none(), "no state unless asked");
    let listed: Vec<&Value> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|m| {
            m["state"]["groups"]
                .as_object()
                .is_some_and(|g| !g.is_empty())
        })
        .collect();
    assert_eq!(listed.len(), 2, "the monitor and its page alert");
    assert!(
        refused["errors"][0]
            .as_str()
            .unwrap_or_default()
            .contains("composite")
    );
}

fn curl(args: &[&str]) -> Value {
    let output = Process::new("curl")
        .args(["-s", "-H", "DD-API-KEY: k", "-H", "DD-APPLICATION-KEY: a"])
        .args(args)
        .output()
        .expect("curl");
    serde_json::from_slice(&output.stdout).expect("json answer")
}

#[test]
fn set_refuses_a_real_org_before_any_request() {
    let dir = common::reference_copy("status", "real-org");
    let output = Command::cargo_bin("monc")
        .expect("binary")
        .current_dir(&dir)
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env_remove("MONC_ORG")
        .args([
            "status",
            "--site",
            "datadoghq.eu",
            "--set",
            "l0/region_health=Alert",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--set only drives the local emulator"),
        "{stderr}"
    );
}

#[test]
fn a_drill_on_the_local_org_sets_states_and_shows_them() {
    let dir = common::reference_copy("status", "drill");
    let monc = |args: &[&str]| {
        Command::cargo_bin("monc")
            .expect("binary")
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env_remove("DD_API_KEY")
            .env_remove("DD_APP_KEY")
            .env_remove("MONC_ORG")
            .args(args)
            .output()
            .expect("runs")
    };
    assert!(monc(&["sync", "--org", "local", "--yes"]).status.success());
    let drill = monc(&[
        "status",
        "--org",
        "local",
        "--set",
        "*=OK",
        "--set",
        "l2/alb_5xx/prod-tokyo-1=Alert",
        "--set",
        "l3/api_error_rate/acme=Alert",
    ]);
    assert_eq!(drill.status.code(), Some(3), "{}", stdout(&drill));
    assert!(
        stdout(&drill).starts_with(
            "L2 l2/alb_5xx/prod-tokyo-1 is alerting and paging: 1 alert(s) suppressed, \
             nothing else paging"
        ),
        "{}",
        stdout(&drill)
    );
    // The states stay in the local org: a later run shows them without --set.
    let again = monc(&["status", "--org", "local", "--tenant", "acme"]);
    assert!(
        stdout(&again)
            .contains("L3 l3/api_error_rate/acme  ALERT  suppressed by l2/alb_5xx/prod-tokyo-1"),
        "{}",
        stdout(&again)
    );
    let composite = monc(&["status", "--org", "local", "--set", "l3/api/acme=OK"]);
    assert_eq!(composite.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&composite.stderr).contains("is a composite"));
}

/// `--set` against a `monc emulator` reached with `--api-url` (not the embedded one): the
/// drill goes through the emulator's control endpoint with the keys of the command line.
#[tokio::test(flavor = "multi_thread")]
async fn a_drill_through_api_url_sets_the_served_emulators_states() {
    let (dir, emulator) = synced_org("drill-api-url").await;
    let url = emulator.base_url();
    let drill = status(&dir, &url, &["--set", "l3/api_error_rate/acme=Alert"]).await;
    assert_eq!(drill.status.code(), Some(3), "{}", stdout(&drill));
    let id = common::id_of(&emulator, "l3/api_error_rate/acme");
    let monitor = emulator.monitor(id).expect("monitor");
    assert_eq!(monitor["overall_state"], "Alert", "{monitor}");
    let refused = status(&dir, &url, &["--set", "l3/api/acme=OK"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--set: ") && stderr.contains("is a composite"),
        "{stderr}"
    );
}
