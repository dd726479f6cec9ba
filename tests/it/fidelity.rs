//! Replays recorded real Datadog traffic (tests/fixtures/cassettes) against the emulator and
//! checks the same status codes and the same response bodies: same field names, same JSON
//! types, same values — except ids, timestamps and creator details, whose types only must match.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use monc_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use serde_json::{Map, Value};

/// Fields whose values are the server's own (ids, clocks, users): only their JSON type must match.
const TYPE_ONLY: &[&str] = &[
    "id",
    "org_id",
    "created",
    "created_at",
    "modified",
    "deleted_monitor_id",
    "overall_state_modified",
    "restricted_roles",
    "matching_downtimes",
    "monitor_id",
    // can_delete's list of ids
    "ok",
];

/// Fields that must be present but whose value and type depend on who and when
/// (`silenced` reflects downtimes, which the emulator does not model).
const PRESENCE_ONLY: &[&str] = &["creator", "overall_state_modified", "silenced"];

/// Fields only some recordings carry (added to the API over the years, or behind per-org
/// feature flags: `avalanche_window`, `run_as` and `restricted` appear only in org 2's recordings).
const MAY_BE_ABSENT: &[&str] = &[
    "restriction_policy",
    "draft_status",
    "assets",
    "avalanche_window",
    "run_as",
    "restricted",
];

/// Differences explained by the recording's age: (cassette, path fragment, why).
const KNOWN_ERA_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "Create-a-ci-pipelines-monitor-returns-OK-response.json",
        ".options.",
        "recorded 2022-01: thresholds still integers and a `locked` default; later recordings differ",
    ),
    (
        "Get-a-monitor-s-details-with-downtime-returns-OK-response.json",
        "groupby_simple_monitor",
        "recorded 2023-05: log alerts lacked groupby_simple_monitor, which 2022 and 2024 recordings have",
    ),
];

/// Endpoints outside the Monitor API: their interactions are skipped.
fn is_monitor_api(path: &str) -> bool {
    path.starts_with("/api/v1/monitor")
}

struct Interaction {
    method: String,
    path_and_query: String,
    body: String,
    status: u16,
    response: String,
}

fn cassette_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cassettes/v1-monitors")
}

fn load(path: &Path) -> Vec<Interaction> {
    let text = std::fs::read_to_string(path).expect("cassette readable");
    let cassette: Value = serde_json::from_str(&text).expect("cassette is JSON");
    let interactions = cassette["http_interactions"]
        .as_array()
        .expect("http_interactions");
    interactions
        .iter()
        .map(|interaction| {
            let request = &interaction["request"];
            let uri = request["uri"].as_str().expect("uri");
            let path_and_query = uri
                .find("/api/")
                .map(|at| uri[at..].to_owned())
                .expect("API uri");
            Interaction {
                method: request["method"].as_str().expect("method").to_uppercase(),
                path_and_query,
                body: request["body"]["string"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                status: interaction["response"]["status"]["code"]
                    .as_u64()
                    .expect("status") as u16,
                response: interaction["response"]["body"]["string"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            }
        })
        .filter(|interaction| is_monitor_api(&interaction.path_and_query))
        .collect()
}

/// Recorded ids → emulator ids, learned from create answers.
fn rewrite_ids(path: &str, ids: &HashMap<i64, i64>) -> String {
    let mut rewritten = path.to_owned();
    for (recorded, emulated) in ids {
        rewritten = rewritten.replace(&recorded.to_string(), &emulated.to_string());
    }
    rewritten
}

/// Recorded list answers come from a live org: give the emulator the same monitors first.
fn seed_listed_monitors(emulator: &EmulatorHandle, interactions: &[Interaction]) {
    let mut seen = Vec::new();
    for interaction in interactions
        .iter()
        .filter(|i| i.method == "GET" && i.status == 200)
    {
        if let Ok(Value::Array(monitors)) = serde_json::from_str::<Value>(&interaction.response) {
            for monitor in monitors {
                if seen.contains(&monitor["id"]) {
                    continue;
                }
                seen.push(monitor["id"].clone());
                emulator
                    .insert_monitor(monitor)
                    .expect("recorded monitor accepted");
            }
        }
    }
}

fn compare(path: &str, recorded: &Value, actual: &Value, type_only: bool, diffs: &mut Vec<String>) {
    match (recorded, actual) {
        (Value::Object(recorded), Value::Object(actual)) => {
            compare_objects(path, recorded, actual, type_only, diffs)
        }
        (Value::Array(recorded), Value::Array(actual)) if !type_only => {
            if recorded.len() != actual.len() {
                diffs.push(format!(
                    "{path}: {} items recorded, {} emulated",
                    recorded.len(),
                    actual.len()
                ));
            }
            for (index, (recorded, actual)) in recorded.iter().zip(actual).enumerate() {
                compare(
                    &format!("{path}[{index}]"),
                    recorded,
                    actual,
                    type_only,
                    diffs,
                );
            }
        }
        _ if json_type(recorded) != json_type(actual) => {
            diffs.push(format!(
                "{path}: recorded {recorded} ({}), emulated {actual} ({})",
                json_type(recorded),
                json_type(actual)
            ));
        }
        _ if !type_only && recorded != actual => {
            diffs.push(format!("{path}: recorded {recorded}, emulated {actual}"))
        }
        _ => {}
    }
}

fn compare_objects(
    path: &str,
    recorded: &Map<String, Value>,
    actual: &Map<String, Value>,
    type_only: bool,
    diffs: &mut Vec<String>,
) {
    for (key, recorded_value) in recorded {
        let child = format!("{path}.{key}");
        match actual.get(key) {
            Some(_) if PRESENCE_ONLY.contains(&key.as_str()) => {}
            Some(actual_value) => compare(
                &child,
                recorded_value,
                actual_value,
                type_only || TYPE_ONLY.contains(&key.as_str()),
                diffs,
            ),
            None if MAY_BE_ABSENT.contains(&key.as_str()) => {}
            None => diffs.push(format!("{child}: missing from the emulator's answer")),
        }
    }
    for key in actual.keys().filter(|key| !recorded.contains_key(*key)) {
        if !MAY_BE_ABSENT.contains(&key.as_str()) {
            diffs.push(format!("{path}.{key}: not in the recorded answer"));
        }
    }
}

/// Integers and floats are different types here: the API turns thresholds into floats.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

async fn replay(path: &Path, http: &reqwest::Client) -> (usize, Vec<String>) {
    let interactions = load(path);
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    seed_listed_monitors(&emulator, &interactions);
    let mut ids = HashMap::new();
    let mut diffs = Vec::new();
    for (step, interaction) in interactions.iter().enumerate() {
        let url = format!(
            "{}{}",
            emulator.base_url(),
            rewrite_ids(&interaction.path_and_query, &ids)
        );
        let method = reqwest::Method::from_bytes(interaction.method.as_bytes()).expect("method");
        let mut request = http
            .request(method, &url)
            .header("DD-API-KEY", "fidelity")
            .header("DD-APPLICATION-KEY", "fidelity");
        if !interaction.body.is_empty() {
            request = request
                .header("Content-Type", "application/json")
                .body(interaction.body.clone());
        }
        let response = request.send().await.expect("emulator answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let label = format!(
            "step {step} {} {}",
            interaction.method, interaction.path_and_query
        );
        if status != interaction.status {
            diffs.push(format!(
                "{label}: status recorded {}, emulated {status} ({text})",
                interaction.status
            ));
            continue;
        }
        let recorded: Value = serde_json::from_str(&interaction.response).unwrap_or(Value::Null);
        let actual: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let (Some(recorded_id), Some(actual_id)) =
            (recorded["id"].as_i64(), actual["id"].as_i64())
        {
            ids.insert(recorded_id, actual_id);
        }
        compare(&label, &recorded, &actual, false, &mut diffs);
    }
    emulator.shutdown().await;
    (interactions.len(), diffs)
}

#[tokio::test]
async fn emulator_answers_like_recorded_datadog_traffic() {
    let http = reqwest::Client::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(cassette_dir())
        .expect("cassette dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "cassettes missing: {}", files.len());
    let mut replayed = 0;
    let mut report = Vec::new();
    for file in &files {
        let (count, diffs) = replay(file, &http).await;
        replayed += count;
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let unexplained = diffs.into_iter().filter(|diff| {
            !KNOWN_ERA_DIFFERENCES
                .iter()
                .any(|(cassette, fragment, _)| *cassette == name && diff.contains(fragment))
        });
        report.extend(unexplained.map(|diff| format!("{name}: {diff}")));
    }
    assert!(replayed >= 60, "only {replayed} interactions replayed");
    assert!(
        report.is_empty(),
        "{} differences:\n{}",
        report.len(),
        report.join("\n")
    );
}

// Recorded behaviours, each checked over HTTP. "Terraform's recordings" are
// DataDog/terraform-provider-datadog's datadog/tests/cassettes/*.yaml (real API, 2025-12 to
// 2026-06), read for this; they are not in this repository.

/// An emulator and a client that speaks to it with any method and body.
struct Api {
    emulator: EmulatorHandle,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        let emulator = Emulator::start(EmulatorConfig::default())
            .await
            .expect("emulator starts");
        Api {
            emulator,
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.emulator.base_url()))
            .header("DD-API-KEY", "fidelity")
            .header("DD-APPLICATION-KEY", "fidelity");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("emulator answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn create(&self, body: &Value) -> i64 {
        let (status, created) = self.call("POST", "/api/v1/monitor", Some(body)).await;
        assert_eq!(status, 200, "{created}");
        created["id"].as_i64().expect("id")
    }
}

fn cpu_monitor(name: &str, tags: &[&str]) -> Value {
    serde_json::json!({
        "name": name, "type": "metric alert", "message": "CPU is high @slack-ops",
        "query": "avg(last_5m):avg:system.cpu.user{env:prod} by {host} > 90",
        "tags": tags, "options": {"thresholds": {"critical": 90}}
    })
}

/// TestAccDatadogMonitor_Assets (terraform's recordings): `GET /monitor/{id}` answers
/// `"assets": []` although the monitor has two; with `with_assets=true` it shows them, without
/// `monitor_id`. Write answers carry `restriction_policy: null`, reads do not.
#[tokio::test]
async fn get_shows_assets_only_with_with_assets() {
    let api = Api::start().await;
    let mut body = cpu_monitor("with runbook", &[]);
    body["assets"] = serde_json::json!([{"category": "runbook", "name": "Confluence Runbook",
        "url": "https://example.invalid/wiki/Runbook"}]);
    let (_, created) = api.call("POST", "/api/v1/monitor", Some(&body)).await;
    let id = created["id"].as_i64().expect("id");
    assert_eq!(
        created["assets"],
        serde_json::json!([{"monitor_id": id, "name": "Confluence Runbook", "category": "runbook",
            "url": "https://example.invalid/wiki/Runbook", "template_variables": {}, "options": {},
            "resource_key": null, "resource_type": null}])
    );
    assert!(
        created
            .get("restriction_policy")
            .is_some_and(Value::is_null)
    );

    let (_, plain) = api
        .call("GET", &format!("/api/v1/monitor/{id}"), None)
        .await;
    assert_eq!(plain["assets"], serde_json::json!([]));
    assert!(plain.get("restriction_policy").is_none(), "{plain}");
    let (_, full) = api
        .call(
            "GET",
            &format!("/api/v1/monitor/{id}?with_assets=true"),
            None,
        )
        .await;
    assert_eq!(full["assets"][0]["name"], "Confluence Runbook");
    assert!(full["assets"][0].get("monitor_id").is_none(), "{full}");
    let (_, listed) = api.call("GET", "/api/v1/monitor", None).await;
    assert_eq!(listed[0]["assets"], serde_json::json!([]));
    api.emulator.shutdown().await;
}

/// The bodies both halves of each pair must treat alike.
fn invalid_bodies() -> Vec<Value> {
    use serde_json::json;
    vec![
        // Recorded: Validate-a-monitor-returns-Invalid-JSON-response, Create-a-monitor-returns-Bad-Request.
        json!({"query": "query", "type": "log alert"}),
        json!({"query": "avg(last_5m):avg:x{*} > 1"}),
        json!({"type": "query alert"}),
        json!({"type": "query alert", "query": "avg(last_5m):avg:x{*} > 1", "priority": 9}),
        json!({"type": "query alert", "query": "avg(last_5m):avg:x{*} > 1",
               "options": {"thresholds": {"critical": 3}}}),
        json!({"type": "composite", "query": "1 && 2"}),
        json!({"type": "query alert", "query": "avg(last_5m):avg:x{*} > 1", "tags": [1]}),
        json!({"type": "no such type", "query": "avg(last_5m):avg:x{*} > 1"}),
        json!([]),
    ]
}

/// Terraform validates every monitor before writing it (`/validate`, `/{id}/validate`), so the
/// validate endpoints must refuse exactly what the writes refuse, in the same words; what they
/// accept (terraform's recorded validate bodies, with `no_data_timeframe`, `thresholds.ok`,
/// `assets`, nulls) they answer `{}`.
#[tokio::test]
async fn validate_rejects_exactly_what_create_and_update_reject() {
    let api = Api::start().await;
    let id = api.create(&cpu_monitor("existing", &[])).await;
    for body in invalid_bodies() {
        let created = api.call("POST", "/api/v1/monitor", Some(&body)).await;
        let validated = api
            .call("POST", "/api/v1/monitor/validate", Some(&body))
            .await;
        assert_ne!(created.0, 200, "{body} was created");
        assert_eq!(validated, created, "validate vs create of {body}");
        let updated = api
            .call("PUT", &format!("/api/v1/monitor/{id}"), Some(&body))
            .await;
        let revalidated = api
            .call(
                "POST",
                &format!("/api/v1/monitor/{id}/validate"),
                Some(&body),
            )
            .await;
        assert_eq!(revalidated.0, updated.0, "validate vs update of {body}");
        if updated.0 != 200 {
            assert_eq!(revalidated.1, updated.1, "validate vs update of {body}");
        }
    }
    let missing = api
        .call(
            "POST",
            "/api/v1/monitor/999/validate",
            Some(&cpu_monitor("x", &[])),
        )
        .await;
    assert_eq!(missing.0, 404);
    let recorded_terraform_body = serde_json::json!({
        "assets": [{"category": "runbook", "name": "Runbook", "url": "/notebook/1234",
                    "resource_key": "1234", "resource_type": "notebook"}],
        "draft_status": "published", "message": "some message\n", "name": "tf",
        "options": {"include_tags": true, "new_host_delay": 300, "no_data_timeframe": 10,
                    "notify_no_data": false, "require_full_window": true,
                    "thresholds": {"critical": 2, "critical_recovery": 1.5, "ok": 0, "warning": 1}},
        "priority": null, "restricted_roles": null, "tags": [], "type": "query alert",
        "query": "avg(last_1h):avg:aws.ec2.cpu{environment:foo,host:foo} by {host} > 2\n"
    });
    for path in [
        "/api/v1/monitor/validate".to_string(),
        format!("/api/v1/monitor/{id}/validate"),
    ] {
        let answer = api
            .call("POST", &path, Some(&recorded_terraform_body))
            .await;
        assert_eq!(answer, (200, serde_json::json!({})), "{path}");
    }
    api.emulator.shutdown().await;
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The item keys of the recorded search answers (Monitors-search-returns-OK-response,
/// Monitors-group-search-returns-OK-response).
const SEARCH_MONITOR_KEYS: &[&str] = &[
    "classification",
    "creator",
    "id",
    "last_triggered_ts",
    "metrics",
    "muted_until_ts",
    "name",
    "notifications",
    "org_id",
    "overall_state_modified",
    "priority",
    "query",
    "restricted_roles",
    "scopes",
    "status",
    "tags",
    "type",
];
const SEARCH_GROUP_KEYS: &[&str] = &[
    "all_tags",
    "downtimes",
    "env_tags",
    "group",
    "group_tags",
    "last_nodata_ts",
    "last_triggered_ts",
    "monitor_id",
    "monitor_name",
    "muted",
    "muted_remaining",
    "muted_until_ts",
    "priority",
    "status",
    "team_tags",
];

/// `GET /api/v1/monitor/search`: the documented query subset (status, muted, type, tag, text),
/// paging and sorting, in the recorded shape.
#[tokio::test]
async fn monitor_search_filters_pages_and_sorts() {
    let api = Api::start().await;
    let cpu = api
        .create(&cpu_monitor("cpu high", &["team:core", "env:prod"]))
        .await;
    let disk = api
        .create(&cpu_monitor("disk full", &["team:storage"]))
        .await;
    let logs = api
        .create(
            &serde_json::json!({"name": "error logs", "type": "log alert", "message": "m",
            "query": "logs(\"status:error\").index(\"main\").rollup(\"count\").last(\"5m\") > 2",
            "tags": ["team:core"]}),
        )
        .await;

    let (status, bad) = api
        .call(
            "GET",
            "/api/v1/monitor/search?query=status%3Anotastatus",
            None,
        )
        .await;
    assert_eq!(
        (status, bad.clone()),
        (
            400,
            serde_json::json!({"errors": [
        "Query parsing error: 'notastatus' is not a valid monitor status"]})
        )
    );

    let (status, all) = api.call("GET", "/api/v1/monitor/search", None).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(keys(&all), ["counts", "metadata", "monitors"]);
    assert_eq!(keys(&all["counts"]), ["muted", "status", "tag", "type"]);
    assert_eq!(
        all["metadata"],
        serde_json::json!({"total_count": 3, "page_count": 1, "page": 0, "per_page": 30})
    );
    assert_eq!(keys(&all["monitors"][0]), SEARCH_MONITOR_KEYS);
    assert_eq!(
        all["counts"]["tag"][0],
        serde_json::json!({"count": 2, "name": "team:core"})
    );
    let first = &all["monitors"][0];
    assert_eq!(first["classification"], "metric");
    assert_eq!(first["metrics"], serde_json::json!(["system.cpu.user"]));
    assert_eq!(first["scopes"], serde_json::json!(["env:prod"]));
    assert_eq!(
        first["notifications"],
        serde_json::json!([{"handle": "slack-ops", "name": "slack-ops"}])
    );

    let ids = |answer: &Value| -> Vec<i64> {
        answer["monitors"]
            .as_array()
            .map(|items| items.iter().filter_map(|m| m["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let search = |query: &'static str| {
        let api = &api;
        async move {
            api.call("GET", &format!("/api/v1/monitor/search?{query}"), None)
                .await
                .1
        }
    };
    assert_eq!(
        ids(&search("query=tag%3A%22team%3Acore%22").await),
        [cpu, logs]
    );
    assert_eq!(ids(&search("query=type%3Alog").await), [logs]);
    assert_eq!(ids(&search("query=disk").await), [disk]);
    assert_eq!(
        ids(&search("query=title%3Acpu%20tag%3Ateam%3Acore").await),
        [cpu]
    );
    assert_eq!(
        ids(&search("query=status%3A%22No%20Data%22%20muted%3Afalse").await).len(),
        3
    );
    assert_eq!(
        ids(&search("query=status%3Aalert").await),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&search("sort=name,desc").await), [logs, disk, cpu]);
    let page = search("per_page=2&page=1").await;
    assert_eq!(ids(&page), [logs]);
    assert_eq!(
        page["metadata"],
        serde_json::json!({"total_count": 3, "page_count": 2, "page": 1, "per_page": 2})
    );
    api.emulator.shutdown().await;
}

/// `GET /api/v1/monitor/groups/search`: the recorded refusal, and the recorded shape.
#[tokio::test]
async fn group_search_answers_in_the_recorded_shape() {
    let api = Api::start().await;
    let (status, bad) = api
        .call(
            "GET",
            "/api/v1/monitor/groups/search?query=status%3Anotastatus",
            None,
        )
        .await;
    assert_eq!(
        (status, bad),
        (
            400,
            serde_json::json!({"errors": [
        "Query parsing error: 'notastatus' is not a valid monitor status"]})
        )
    );
    let (status, empty) = api.call("GET", "/api/v1/monitor/groups/search", None).await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(keys(&empty), ["counts", "groups", "metadata"]);
    assert_eq!(empty["groups"], serde_json::json!([]));
    api.emulator.shutdown().await;
}

/// Get-a-monitor-s-details-with-downtime: a monitor muted by a downtime reads
/// `options.silenced: {"*": <end>}`, `modified` unchanged (TestAccDatadogDowntime_BasicWithMonitor
/// shows the same). Mute state is not configuration: an update that sends options without it
/// (or with `{}`) does not unmute (public issue terraform-provider-datadog#41).
#[tokio::test]
async fn a_muted_monitor_reads_silenced_until_the_end_and_updates_keep_it() {
    let api = Api::start().await;
    let id = api.create(&cpu_monitor("muted", &[])).await;
    let (_, before) = api
        .call("GET", &format!("/api/v1/monitor/{id}"), None)
        .await;
    assert!(api.emulator.mute_monitor(id, Some(1_685_394_919)));
    let (_, muted) = api
        .call("GET", &format!("/api/v1/monitor/{id}"), None)
        .await;
    assert_eq!(
        muted["options"]["silenced"],
        serde_json::json!({"*": 1_685_394_919})
    );
    assert_eq!(muted["modified"], before["modified"]);

    let mut edit = cpu_monitor("muted, renamed", &[]);
    edit["options"]["silenced"] = serde_json::json!({});
    let (status, updated) = api
        .call("PUT", &format!("/api/v1/monitor/{id}"), Some(&edit))
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["options"]["silenced"],
        serde_json::json!({"*": 1_685_394_919})
    );
    let (_, found) = api
        .call("GET", "/api/v1/monitor/search?query=muted%3Atrue", None)
        .await;
    assert_eq!(found["monitors"][0]["muted_until_ts"], 1_685_394_919);

    assert!(api.emulator.unmute_monitor(id));
    let (_, unmuted) = api
        .call("GET", &format!("/api/v1/monitor/{id}"), None)
        .await;
    assert_eq!(unmuted["options"]["silenced"], serde_json::json!({}));
    assert!(!api.emulator.mute_monitor(999, None), "no such monitor");
    api.emulator.shutdown().await;
}

/// TestAccDatadogMonitor_NoThresholdWindows: the create answer says "No Data"; seconds later the
/// monitor reads "OK" with `overall_state_modified` in whole seconds, `modified` unchanged. Only
/// then does the group search list it.
#[tokio::test]
async fn an_evaluated_monitor_changes_state_and_shows_in_group_search() {
    let api = Api::start().await;
    let id = api
        .create(&cpu_monitor("evaluated", &["env:ci", "team:core"]))
        .await;
    assert!(api.emulator.set_overall_state(id, "Alert"));
    let (_, read) = api
        .call("GET", &format!("/api/v1/monitor/{id}"), None)
        .await;
    assert_eq!(read["overall_state"], "Alert");
    let modified = read["overall_state_modified"].as_str().expect("a time");
    assert!(
        modified.ends_with("+00:00") && modified.len() == 25,
        "{modified}"
    );

    let (_, groups) = api
        .call(
            "GET",
            "/api/v1/monitor/groups/search?query=status%3AAlert",
            None,
        )
        .await;
    assert_eq!(groups["metadata"]["total_count"], 1, "{groups}");
    let group = &groups["groups"][0];
    assert_eq!(keys(group), SEARCH_GROUP_KEYS);
    assert_eq!(group["monitor_id"], id);
    assert_eq!(group["env_tags"], serde_json::json!(["ci"]));
    assert_eq!(
        groups["counts"]["status"],
        serde_json::json!([{"count": 1, "name": "Alert"}])
    );
    api.emulator.shutdown().await;
}
