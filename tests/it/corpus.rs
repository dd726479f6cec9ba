//! Monitors Datadog publishes (tests/fixtures/recommended-monitors, see PROVENANCE.md) taken
//! through the whole user path: `monc import --from`, `monc validate`, `monc sync` to the
//! emulator, `monc diff`. The diff must be clean and every field must read back as published
//! (apart from monc's own tags and marker line).

use std::path::{Path, PathBuf};
use std::process::Output;

use monc::datadog::Monitor;
use monc::import::read::read_export;
use serde_json::Value;

use crate::common;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recommended-monitors")
}

async fn monc(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("monc"));
    command
        .current_dir(dir)
        .env_remove("MONC_ORG")
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env("MONC_API_URL", url)
        .env("NO_COLOR", "1")
        .args(args);
    tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joined")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The published option values, as numbers compare and without what the API fills in.
fn comparable_options(monitor: &Monitor) -> Value {
    let options = monc::plan::normalize::normalize_options(&monitor.options);
    serde_json::to_value(options).expect("options")
}

#[tokio::test]
async fn published_monitors_import_validate_sync_and_diff_clean() {
    let (emulator, _client) = common::start().await;
    let url = emulator.base_url();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus/recommended");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let from = fixtures().display().to_string();

    let imported = monc(&dir, &url, &["import", "--from", &from]).await;
    assert!(imported.status.success(), "{}", said(&imported));
    let validated = monc(&dir, &url, &["validate"]).await;
    assert_eq!(validated.status.code(), Some(0), "{}", said(&validated));
    let synced = monc(&dir, &url, &["sync", "--yes"]).await;
    assert_eq!(synced.status.code(), Some(0), "{}", said(&synced));
    let diffed = monc(&dir, &url, &["diff"]).await;
    assert_eq!(diffed.status.code(), Some(0), "{}", said(&diffed));

    let published = read_export(&fixtures()).expect("fixtures");
    let live: Vec<Monitor> = emulator
        .monitors()
        .into_iter()
        .map(|m| serde_json::from_value(m).expect("monitor"))
        .collect();
    assert_eq!(live.len(), published.len());
    let mut mismatches = Vec::new();
    for original in &published {
        let Some(read_back) = live.iter().find(|m| m.name == original.name) else {
            mismatches.push(format!("{:?}: not in the org", original.name));
            continue;
        };
        if read_back.query.trim() != original.query.trim() {
            mismatches.push(format!("{:?}: query {:?}", original.name, read_back.query));
        }
        let message = monc::plan::normalize::strip_marker(&read_back.message);
        if message.trim_end() != original.message.trim_end() {
            mismatches.push(format!("{:?}: message", original.name));
        }
        if !original.tags.iter().all(|t| read_back.tags.contains(t)) {
            mismatches.push(format!("{:?}: tags {:?}", original.name, read_back.tags));
        }
        if comparable_options(read_back) != comparable_options(original) {
            mismatches.push(format!(
                "{:?}: options {} vs published {}",
                original.name,
                comparable_options(read_back),
                comparable_options(original)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// Every monitor a recorded real `POST /api/v1/monitor` created (tests/fixtures/cassettes), as an
/// export: what Datadog accepted, of every type the recordings hold.
fn recorded_creates(dir: &Path) -> PathBuf {
    let cassettes =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cassettes/v1-monitors");
    let mut created = Vec::new();
    for entry in std::fs::read_dir(cassettes).expect("cassettes").flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("read");
        let cassette: Value = serde_json::from_str(&text).expect("json");
        for interaction in cassette["http_interactions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let request = &interaction["request"];
            let accepted = interaction["response"]["status"]["code"] == 200;
            let is_create = request["method"]
                .as_str()
                .is_some_and(|m| m.eq_ignore_ascii_case("post"))
                && request["uri"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("/api/v1/monitor"));
            if !(accepted && is_create) {
                continue;
            }
            let answer: Value = serde_json::from_str(
                interaction["response"]["body"]["string"]
                    .as_str()
                    .unwrap_or("{}"),
            )
            .expect("answer");
            let mut monitor: Value =
                serde_json::from_str(request["body"]["string"].as_str().unwrap_or("{}"))
                    .expect("body");
            monitor["id"] = answer["id"].clone();
            created.push(monitor);
        }
    }
    assert!(
        created.len() >= 20,
        "only {} recorded creates",
        created.len()
    );
    let path = dir.join("recorded-creates.json");
    std::fs::write(&path, Value::Array(created).to_string()).expect("export");
    path
}

#[tokio::test]
async fn every_monitor_datadog_accepted_in_recorded_traffic_validates_syncs_and_diffs_clean() {
    let (emulator, _client) = common::start().await;
    let url = emulator.base_url();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus/recorded");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let export = recorded_creates(&dir).display().to_string();
    let imported = monc(&dir, &url, &["import", "--from", &export]).await;
    assert!(imported.status.success(), "{}", said(&imported));
    let validated = monc(&dir, &url, &["validate", "--format", "short"]).await;
    assert_eq!(validated.status.code(), Some(0), "{}", said(&validated));
    let synced = monc(&dir, &url, &["sync", "--yes"]).await;
    assert_eq!(synced.status.code(), Some(0), "{}", said(&synced));
    let diffed = monc(&dir, &url, &["diff"]).await;
    assert_eq!(diffed.status.code(), Some(0), "{}", said(&diffed));
}
