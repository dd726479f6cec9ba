//! Behaviours of the real Monitor API seen in recorded traffic, each checked on the store.
//!
//! Where a recording is named, it is one of: the cassettes in tests/fixtures/cassettes
//! (DataDog/datadog-api-client-rust), or DataDog/terraform-provider-datadog's
//! `datadog/tests/cassettes/<name>.yaml` (recorded against the real API, 2025-12 to 2026-06).

use serde_json::{Map, Value, json};

use super::store::Store;

fn created(body: Value) -> Map<String, Value> {
    Store::default().create(&body).expect("accepted")
}

fn metric(monitor_type: &str, query: &str, options: Value) -> Value {
    json!({"name": "m", "type": monitor_type, "query": query, "message": "m", "options": options})
}

/// TestAccDatadogMonitor_TrimWhitespace: `message`, `query` and `options.escalation_message`
/// sent with a trailing "\n" all come back without it.
#[test]
fn trailing_whitespace_is_trimmed_from_escalation_message_query_and_message() {
    let monitor = created(json!({
        "name": "m", "type": "query alert", "message": "some message\n",
        "query": "avg(last_1h):avg:aws.ec2.cpu{host:foo} by {host} > 2\n",
        "options": {"escalation_message": "the situation has escalated @pagerduty\n",
                    "thresholds": {"critical": 2}}
    }));
    assert_eq!(monitor["message"], "some message");
    assert_eq!(
        monitor["query"],
        "avg(last_1h):avg:aws.ec2.cpu{host:foo} by {host} > 2"
    );
    assert_eq!(
        monitor["options"]["escalation_message"],
        "the situation has escalated @pagerduty"
    );
}

/// Recorded in org 2 only (Create-a-RUM-formula-and-functions-monitor, Create-an-Error-Tracking-
/// monitor, Create-a-metric-monitor-with-a-custom-schedule: 20; TestAccDatadogMonitor_DataQuality_*:
/// 10), always after `silenced`.
#[test]
fn avalanche_window_is_filled_in_for_the_recorded_types() {
    let rum = created(json!({
        "name": "m", "type": "rum alert", "message": "m",
        "query": "formula(\"query1\").last(\"15m\") >= 0.8",
        "options": {"thresholds": {"critical": 0.8}, "variables": []}
    }));
    assert_eq!(rum["options"]["avalanche_window"], json!(20));
    let errors = created(json!({
        "name": "m", "type": "error-tracking alert", "message": "m",
        "query": "error-tracking-rum(\"service:foo\").rollup(\"count\").by(\"@issue.id\").last(\"1h\") >= 1",
        "options": {"thresholds": {"critical": 1}}
    }));
    assert_eq!(errors["options"]["avalanche_window"], json!(20));
    let quality = created(json!({
        "name": "m", "type": "data-quality alert", "message": "m",
        "query": "formula(\"query1\").last(\"5m\") > 100",
        "options": {"thresholds": {"critical": 100}, "variables": []}
    }));
    assert_eq!(quality["options"]["avalanche_window"], json!(10));
    let scheduled = created(metric(
        "query alert",
        "avg(current_1mo):avg:system.load.5{*} > 0.5",
        json!({"thresholds": {"critical": 0.5}, "scheduling_options": {
            "custom_schedule": {"recurrences": [{"rrule": "FREQ=DAILY;INTERVAL=1"}]}}}),
    ));
    assert_eq!(scheduled["options"]["avalanche_window"], json!(20));
    let keys: Vec<&String> = scheduled["options"]
        .as_object()
        .expect("options")
        .keys()
        .collect();
    assert_eq!(keys.last().map(|k| k.as_str()), Some("avalanche_window"));
    let plain = created(metric(
        "query alert",
        "avg(last_5m):avg:x{*} > 1",
        json!({"thresholds": {"critical": 1}}),
    ));
    assert!(plain["options"].get("avalanche_window").is_none());
}

/// Create-a-metric-monitor-with-a-custom-schedule: `on_missing_data: "default"` is not stored,
/// and no `notify_no_data` is filled in in its place.
#[test]
fn on_missing_data_default_is_dropped_without_notify_no_data() {
    let monitor = created(metric(
        "query alert",
        "avg(last_5m):avg:x{*} > 1",
        json!({"on_missing_data": "default", "thresholds": {"critical": 1}}),
    ));
    let options = monitor["options"].as_object().expect("options");
    assert!(!options.contains_key("on_missing_data"), "{options:?}");
    assert!(!options.contains_key("notify_no_data"), "{options:?}");
}

/// Terraform's recordings (2025-12 to 2026-04): `metric alert` comes back as sent (21 times);
/// only calendar-month queries (`current_1mo`) come back as `query alert` (3 recordings).
#[test]
fn metric_alert_is_kept_as_sent() {
    let monitor = created(metric(
        "metric alert",
        "avg(last_1h):avg:aws.ec2.cpu{host:foo} by {host} > 2",
        json!({"thresholds": {"critical": 2}}),
    ));
    assert_eq!(monitor["type"], "metric alert");
    let monthly = created(metric(
        "metric alert",
        "avg(current_1mo):avg:system.load.5{*} > 0.5",
        json!({"thresholds": {"critical": 0.5}}),
    ));
    assert_eq!(monthly["type"], "query alert");
}

/// Terraform sends `thresholds: {}` for composites and thresholdless monitors (7 recordings):
/// the answer has no `thresholds` at all.
#[test]
fn empty_thresholds_are_dropped() {
    let monitor = created(metric(
        "query alert",
        "avg(last_5m):avg:x{*} > 1",
        json!({"thresholds": {}}),
    ));
    assert!(
        monitor["options"].get("thresholds").is_none(),
        "{monitor:?}"
    );
}

/// TestAccDatadogMonitorJSONBasic sends `classification`: the answer does not carry it.
#[test]
fn unknown_request_fields_are_dropped() {
    let mut body = metric(
        "query alert",
        "avg(last_5m):avg:x{*} > 1",
        json!({"thresholds": {"critical": 1}}),
    );
    body["classification"] = json!("custom");
    body["made_up"] = json!(1);
    let monitor = created(body);
    assert!(!monitor.contains_key("classification"));
    assert!(!monitor.contains_key("made_up"));
}

/// Every create answer since 2025-11 carries `draft_status` (default "published") and
/// `assets` ([] when none were sent).
#[test]
fn answers_carry_draft_status_and_assets() {
    let monitor = created(metric(
        "query alert",
        "avg(last_5m):avg:x{*} > 1",
        json!({"thresholds": {"critical": 1}}),
    ));
    assert_eq!(monitor["draft_status"], "published");
    assert_eq!(monitor["assets"], json!([]));
}

/// TestAccDatadogMonitorJSONBasic, TestAccDatadogMonitorServiceCheck_Basic: a service check's
/// thresholds are counts and come back as sent (integers), unlike other types' floats.
#[test]
fn service_check_thresholds_stay_integers() {
    let monitor = created(json!({
        "name": "m", "type": "service check", "message": "m",
        "query": "\"ntp.in_sync\".by(\"*\").last(2).count_by_status()",
        "options": {"thresholds": {"warning": 1, "ok": 1, "critical": 1}}
    }));
    assert_eq!(
        monitor["options"]["thresholds"].to_string(),
        r#"{"warning":1,"ok":1,"critical":1}"#
    );
}
