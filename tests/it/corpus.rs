//! Monitors taken through the whole user path: `monc import --from`, `monc validate`, `monc sync`
//! to the emulator, `monc diff`. The diff must be clean and every field must read back as
//! published (apart from monc's own tags and marker line). Three corpora: the monitors Datadog
//! publishes for its integrations (tests/fixtures/recommended-monitors), monitors written from
//! Datadog's documented query form of every monitor type (tests/fixtures/documented-monitors),
//! and every monitor Datadog accepted in the recorded creates (tests/fixtures/cassettes); each
//! directory's PROVENANCE.md or README.md says where it comes from.

use std::path::{Path, PathBuf};
use std::process::Output;

use monc::datadog::Monitor;
use monc::import::read::read_export;
use monc_emulator::EmulatorHandle;
use serde_json::Value;

use crate::common;

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
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

/// The option values of `monitor`, as numbers compare and without the defaults the API fills
/// in, nor the options it adds on its own (`avalanche_window`) unless `published` sets them.
fn comparable_options(monitor: &Monitor, published: &Monitor) -> Value {
    let mut options = monc::plan::normalize::normalize_options(&monitor.body.options);
    options.retain(|key, _| {
        !monc::plan::normalize::SERVER_FILLED.contains(&key.as_str())
            || published.body.options.contains_key(key)
    });
    serde_json::to_value(options).expect("options")
}

/// Datadog files some `query alert`s as `metric alert` and the other way round (recorded);
/// both are the same monitor type.
fn same_type(a: &str, b: &str) -> bool {
    let canonical = |t: &str| {
        if t == "metric alert" {
            "query alert"
        } else {
            t
        }
        .to_owned()
    };
    canonical(a) == canonical(b)
}

#[tokio::test]
async fn published_monitors_import_validate_sync_and_diff_clean() {
    let published = fixtures("recommended-monitors");
    round_trip_reads_back_as_published("recommended", &published).await;
}

/// Monitors written for monc from Datadog's documented query forms, one or more for every
/// monitor type and query form (tests/fixtures/documented-monitors, see PROVENANCE.md).
#[tokio::test]
async fn documented_monitor_of_every_type_and_form_imports_validates_syncs_and_diffs_clean() {
    let documented = fixtures("documented-monitors");
    let published = read_export(&documented).expect("fixtures");
    let types: std::collections::BTreeSet<&str> = published
        .iter()
        .map(|m| m.body.monitor_type.as_str())
        .collect();
    for documented_type in DOCUMENTED_TYPES {
        assert!(
            types.contains(documented_type),
            "no documented monitor of type {documented_type:?}"
        );
    }
    round_trip_reads_back_as_published("documented", &documented).await;
}

/// The types `POST /api/v1/monitor` documents that no other corpus holds (synthetics alerts are
/// created through the Synthetics API, not this one).
const DOCUMENTED_TYPES: &[&str] = &[
    "composite",
    "event alert",
    "process alert",
    "trace-analytics alert",
    "slo alert",
    "audit alert",
    "database-monitoring alert",
    "network-performance alert",
    "network-path alert",
    "rum alert",
    "error-tracking alert",
    "metric alert",
];

/// `monc import --from <published>`, `validate` (no error), `sync`, `diff` (clean), then every
/// published monitor must read back from the org as published.
async fn round_trip_reads_back_as_published(name: &str, published_dir: &Path) {
    let emulator = import_validate_sync_and_diff(name, published_dir).await;
    let published = read_export(published_dir).expect("fixtures");
    let live: Vec<Monitor> = emulator
        .monitors()
        .into_iter()
        .map(|m| serde_json::from_value(m).expect("monitor"))
        .collect();
    assert_eq!(live.len(), published.len());
    let mut mismatches = Vec::new();
    for original in &published {
        let Some(read_back) = live.iter().find(|m| m.body.name == original.body.name) else {
            mismatches.push(format!("{:?}: not in the org", original.body.name));
            continue;
        };
        mismatches.extend(differences(original, read_back, &published, &live));
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// A new project in `corpus/<name>` that `monc import --from <export>` fills; `validate` must
/// find no error, `sync` must succeed and the next `diff` must be clean. Returns the org.
async fn import_validate_sync_and_diff(name: &str, export: &Path) -> EmulatorHandle {
    let (emulator, _client) = common::start().await;
    let url = emulator.base_url();
    let dir = corpus_dir(name);
    let from = export.display().to_string();

    let imported = monc(&dir, &url, &["import", "--from", &from]).await;
    assert!(imported.status.success(), "{}", said(&imported));
    let validated = monc(&dir, &url, &["validate", "--format", "short"]).await;
    assert_eq!(validated.status.code(), Some(0), "{}", said(&validated));
    let synced = monc(&dir, &url, &["sync", "--yes"]).await;
    assert_eq!(synced.status.code(), Some(0), "{}", said(&synced));
    let diffed = monc(&dir, &url, &["diff"]).await;
    assert_eq!(diffed.status.code(), Some(0), "{}", said(&diffed));
    emulator
}

/// An empty directory for one corpus run.
fn corpus_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("corpus")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// How `read_back` differs from `original`, apart from monc's own tags and marker.
fn differences(
    original: &Monitor,
    read_back: &Monitor,
    published: &[Monitor],
    live: &[Monitor],
) -> Vec<String> {
    let mut found = Vec::new();
    if !same_type(&read_back.body.monitor_type, &original.body.monitor_type) {
        found.push(format!(
            "{:?}: type {:?}",
            original.body.name, read_back.body.monitor_type
        ));
    }
    let query = expected_query(original, published, live);
    if compact(&read_back.body.query) != compact(&query) {
        found.push(format!(
            "{:?}: query {:?}",
            original.body.name, read_back.body.query
        ));
    }
    let message = monc::plan::normalize::strip_marker(&read_back.body.message);
    if message.trim_end() != original.body.message.trim_end() {
        found.push(format!("{:?}: message", original.body.name));
    }
    if !original
        .body
        .tags
        .iter()
        .all(|t| read_back.body.tags.contains(t))
    {
        found.push(format!(
            "{:?}: tags {:?}",
            original.body.name, read_back.body.tags
        ));
    }
    if read_back.body.priority != original.body.priority {
        found.push(format!(
            "{:?}: priority {:?}",
            original.body.name, read_back.body.priority
        ));
    }
    let (read_back_options, published_options) = (
        comparable_options(read_back, original),
        comparable_options(original, original),
    );
    if read_back_options != published_options {
        found.push(format!(
            "{:?}: options {read_back_options} vs published {published_options}",
            original.body.name
        ));
    }
    found
}

/// The query `original` must read back with: a composite names its members by the IDs the org
/// gave them, so each published member ID becomes the live ID of the monitor of the same name.
fn expected_query(original: &Monitor, published: &[Monitor], live: &[Monitor]) -> String {
    if original.body.monitor_type != "composite" {
        return original.body.query.clone();
    }
    let live_id = |published_id: &str| {
        let member = published
            .iter()
            .find(|m| m.id.is_some_and(|id| id.to_string() == published_id))?;
        live.iter().find(|m| m.body.name == member.body.name)?.id
    };
    let mut query = String::new();
    let mut digits = String::new();
    for c in original.body.query.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            query.push_str(&live_id(&digits).map_or(digits.clone(), |id| id.to_string()));
            digits.clear();
        }
        query.push(c);
    }
    query
}

/// A query without white space, to compare queries whatever their spacing.
fn compact(query: &str) -> String {
    query.chars().filter(|c| !c.is_whitespace()).collect()
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
    let dir = corpus_dir("recorded-export");
    import_validate_sync_and_diff("recorded", &recorded_creates(&dir)).await;
}
