//! Every real metric monitor query published by integration authors must parse.

use std::path::{Path, PathBuf};

use monc::query::{Comparator, parse_metric_query};
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/recommended-monitors";

fn fixture_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
}

fn definition(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("fixture file");
    let monitor: Value = serde_json::from_str(&text).expect("fixture JSON");
    monitor["definition"].clone()
}

fn is_metric_monitor(definition: &Value) -> bool {
    matches!(
        definition["type"].as_str(),
        Some("query alert" | "metric alert")
    )
}

/// (file name, definition) of every metric monitor fixture.
fn metric_monitors() -> Vec<(String, Value)> {
    fixture_paths()
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, definition(path))
        })
        .filter(|(_, definition)| is_metric_monitor(definition))
        .collect()
}

#[test]
fn fixtures_hold_forty_metric_monitors() {
    assert_eq!(fixture_paths().len(), 46);
    assert_eq!(metric_monitors().len(), 40);
}

#[test]
fn every_metric_query_parses() {
    let failures: Vec<String> = metric_monitors()
        .into_iter()
        .filter_map(|(name, definition)| {
            let query = definition["query"].as_str().unwrap_or_default().to_string();
            parse_metric_query(&query)
                .err()
                .map(|err| format!("{name}: {query}\n  {err:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn critical_threshold_equals_parsed_threshold() {
    for (name, definition) in metric_monitors() {
        let query = definition["query"].as_str().unwrap_or_default();
        let parsed = parse_metric_query(query).expect("parses");
        if let Some(critical) = definition["options"]["thresholds"]["critical"].as_f64() {
            assert_eq!(parsed.threshold, critical, "{name}");
        }
    }
}

fn parsed_fixture(file: &str) -> monc::query::MetricQuery {
    let definition = definition(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(FIXTURES)
            .join(file),
    );
    parse_metric_query(definition["query"].as_str().unwrap()).expect("parses")
}

#[test]
fn zilliz_latency_groups_by_three_tags() {
    let parsed = parsed_fixture(
        "zilliz_cloud_zilliz_cloud__p99_search_latency_is_higher_than_expected.json",
    );
    assert_eq!(parsed.group_by, ["org_id", "project_id", "cluster_id"]);
    assert_eq!(parsed.comparator, Comparator::Gt);
    assert_eq!(parsed.threshold, 2000.0);
    assert_eq!(parsed.metrics, ["zilliz.request.latency.milliseconds.p99"]);
}

#[test]
fn resilience4j_ratio_with_in_scope_groups_by_name_and_state() {
    let parsed = parsed_fixture("resilience4j__circuitbreaker_state_open.json");
    assert_eq!(parsed.group_by, ["name", "state"]);
    assert_eq!(parsed.comparator, Comparator::Ge);
    assert_eq!(parsed.threshold, 50.0);
}

#[test]
fn mongodb_anomalies_sum_of_eight_metrics_groups_by_host() {
    let parsed = parsed_fixture("mongodb_atlas__high_cpu.json");
    assert_eq!(parsed.group_by, ["host"]);
    assert_eq!(parsed.metrics.len(), 8);
    assert_eq!(parsed.threshold, 1.0);
}

#[test]
fn nomad_below_threshold_is_not_above() {
    let parsed = parsed_fixture("nomad__nomad_heartbeats_received.json");
    assert!(!parsed.comparator.is_above());
    assert!(parsed.group_by.is_empty());
    assert_eq!(parsed.threshold, 5.0);
}
