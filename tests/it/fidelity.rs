//! Replays recorded real Datadog traffic (every cassette under tests/fixtures/cassettes) against
//! the emulator and checks the same status codes and the same response bodies: same field names,
//! same JSON types, same values — except ids, timestamps and creator details, whose types only
//! must match. What a recording needs from its org (monitors it only reads, downtimes) is given
//! to the emulator first, through its test hooks.

use std::collections::{HashMap, HashSet};
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

/// Fields that must be present but whose value and type depend on who and when.
const PRESENCE_ONLY: &[&str] = &["creator", "overall_state_modified"];

/// Fields the emulator always sends that a recording may lack: added to the API over the years
/// (`restriction_policy`, `draft_status`, `assets`), or recorded in org 2 only
/// (`avalanche_window`). Where a recording has them, they must match.
const RECORDING_MAY_LACK: &[&str] = &[
    "restriction_policy",
    "draft_status",
    "assets",
    "avalanche_window",
];

/// Fields of org 2's recordings (per-org feature flags) that the emulator does not send.
const EMULATOR_MAY_LACK: &[&str] = &["run_as", "restricted"];

/// Search answers recorded in a live org list that org's monitors and counts: only their shape
/// is compared (field names, and types where neither side is null), against monitors seeded
/// from the same answers.
const SHAPE_ONLY_CASSETTES: &[&str] = &[
    "Monitors-search-returns-OK-response.json",
    "Monitors-group-search-returns-OK-response.json",
];

/// Differences explained by the recording's age: (cassette, path fragment, why).
const KNOWN_ERA_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "Create-a-ci-pipelines-monitor-returns-OK-response.json",
        ".options.",
        "recorded 2022-01: thresholds still integers and a `locked` default; later recordings differ",
    ),
    (
        "go-legacy/TestMonitorCanDeleteErrors",
        ".options.locked",
        "recorded 2021-10: answers then carried a `locked: false` default, as in the 2022-01 \
         ci-pipelines recording",
    ),
    (
        "go-legacy/TestMonitorCanDeleteErrors",
        "rate-limit headers recorded",
        "recorded 2021-10: the answers named no limit yet (X-Ratelimit-Name from 2022 on)",
    ),
    (
        "go-legacy/TestMonitorsCreateErrors",
        "rate-limit headers recorded",
        "recorded 2021-05: the answers named no limit yet (X-Ratelimit-Name from 2022 on)",
    ),
    (
        "go-legacy/TestMonitorsListErrors",
        "rate-limit headers recorded",
        "recorded 2021-04: the answers named no limit yet (X-Ratelimit-Name from 2022 on)",
    ),
    (
        "Get-a-monitor-s-details-with-downtime-returns-OK-response.json",
        "groupby_simple_monitor",
        "recorded 2023-05: log alerts lacked groupby_simple_monitor, which 2022 and 2024 recordings have",
    ),
];

/// Only Monitor API interactions are replayed; the others (roles, downtimes, synthetics tests)
/// are context.
fn is_monitor_api(path: &str) -> bool {
    path.starts_with("/api/v1/monitor")
}

struct Interaction {
    method: String,
    path_and_query: String,
    body: String,
    status: u16,
    response: String,
    /// The recorded `X-Ratelimit-*` headers (go-legacy only: the JSON cassettes lost them).
    rate_limit: Vec<(String, String)>,
}

/// The recorded traffic of one test.
struct Cassette {
    name: String,
    interactions: Vec<Interaction>,
}

impl Interaction {
    fn recorded(&self) -> Value {
        serde_json::from_str(&self.response).unwrap_or(Value::Null)
    }

    fn request(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The monitor id of `/api/v1/monitor/{id}`, if that is the path.
    fn monitor_id(&self) -> Option<i64> {
        let path = self.path_and_query.split('?').next()?;
        path.strip_prefix("/api/v1/monitor/")?.parse().ok()
    }
}

fn cassettes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cassettes")
}

/// Every cassette under tests/fixtures/cassettes, in a stable order: the JSON ones of
/// `v1-monitors/`, and each recorded test of `go-legacy/` (go-vcr YAML, see `go_vcr`).
fn cassettes() -> Vec<Cassette> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cassettes_dir().join("v1-monitors"))
        .expect("cassette dir")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let json = files.iter().map(|path| Cassette {
        name: file_name(path),
        interactions: load(path),
    });
    let go = crate::go_vcr::recorded_tests(&cassettes_dir().join("go-legacy"))
        .into_iter()
        .map(|test| Cassette {
            name: format!("go-legacy/{}", test.name),
            interactions: test.exchanges.into_iter().map(from_go_vcr).collect(),
        });
    json.chain(go).collect()
}

fn from_go_vcr(exchange: crate::go_vcr::Exchange) -> Interaction {
    Interaction {
        method: exchange.method.to_uppercase(),
        path_and_query: api_path(&exchange.url),
        body: exchange.body,
        status: exchange.status,
        response: exchange.response,
        rate_limit: exchange.rate_limit,
    }
}

fn api_path(uri: &str) -> String {
    uri.find("/api/")
        .map(|at| uri[at..].to_owned())
        .expect("API uri")
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
            Interaction {
                method: request["method"].as_str().expect("method").to_uppercase(),
                path_and_query: api_path(request["uri"].as_str().expect("uri")),
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
                rate_limit: Vec::new(),
            }
        })
        .collect()
}

/// Recorded ids → emulator ids.
fn rewrite_ids(path: &str, ids: &HashMap<i64, i64>) -> String {
    let mut rewritten = path.to_owned();
    for (recorded, emulated) in ids {
        rewritten = rewritten.replace(&recorded.to_string(), &emulated.to_string());
    }
    rewritten
}

/// The request's path and query for the emulator: recorded ids replaced by the emulator's, and
/// an `id_offset` (any id, not only a monitor's) by the emulator's id of the closest monitor at
/// or below it, so that the same monitors come after it (ids keep their order).
fn emulated_path(path_and_query: &str, ids: &HashMap<i64, i64>) -> String {
    let rewritten = rewrite_ids(path_and_query, ids);
    let Some((before, offset)) = rewritten.split_once("id_offset=") else {
        return rewritten;
    };
    let (number, after) = offset.split_at(offset.find('&').unwrap_or(offset.len()));
    let Ok(recorded) = number.parse::<i64>() else {
        return rewritten;
    };
    let emulated = ids
        .iter()
        .filter(|(known, _)| **known <= recorded)
        .max_by_key(|(known, _)| **known)
        .map_or(0, |(_, emulated)| *emulated);
    format!("{before}id_offset={emulated}{after}")
}

/// Gives the emulator the org the recording was made in: monitors that list and GET answers
/// show without the recording creating them, and the monitors its search answers list.
/// Returns recorded ids → emulator ids.
fn seed_org(emulator: &EmulatorHandle, interactions: &[Interaction]) -> HashMap<i64, i64> {
    let mut ids = HashMap::new();
    let created: HashSet<i64> = interactions
        .iter()
        .filter(|i| i.method == "POST" && i.path_and_query == "/api/v1/monitor")
        .filter_map(|i| i.recorded()["id"].as_i64())
        .collect();
    let answers = interactions
        .iter()
        .filter(|i| i.method == "GET" && i.status == 200 && is_monitor_api(&i.path_and_query));
    for interaction in answers {
        let recorded = interaction.recorded();
        let monitors = match (&recorded, interaction.monitor_id()) {
            (Value::Array(listed), _) => listed
                .iter()
                .filter(|m| m["id"].as_i64().is_none_or(|id| !created.contains(&id)))
                .cloned()
                .collect(),
            (Value::Object(_), Some(id)) if !created.contains(&id) => vec![recorded.clone()],
            _ => Vec::new(),
        };
        for monitor in monitors {
            seed_monitor(emulator, &monitor, &mut ids);
        }
        seed_searched(emulator, &recorded);
    }
    ids
}

fn seed_monitor(emulator: &EmulatorHandle, monitor: &Value, ids: &mut HashMap<i64, i64>) {
    let Some(recorded_id) = monitor["id"].as_i64() else {
        return;
    };
    if ids.contains_key(&recorded_id) {
        return;
    }
    let id = emulator
        .insert_monitor(monitor.clone())
        .expect("recorded monitor accepted");
    ids.insert(recorded_id, id);
    if let Some(state) = monitor["overall_state"]
        .as_str()
        .filter(|state| *state != "No Data")
    {
        emulator.set_overall_state(id, state);
    }
    if let Some(mutes) = monitor["options"]["silenced"]
        .as_object()
        .filter(|mutes| !mutes.is_empty())
    {
        emulator.mute_scopes(id, mutes.clone());
    }
}

/// Monitors like those a recorded search answer lists, in the same states. Monitors the API
/// would refuse to create are left out: only the answers' shape is compared.
fn seed_searched(emulator: &EmulatorHandle, recorded: &Value) {
    let listed = recorded["monitors"].as_array().into_iter().flatten();
    for item in listed {
        let monitor = serde_json::json!({"name": item["name"], "type": item["type"],
            "query": item["query"], "tags": item["tags"], "priority": item["priority"]});
        seed_in_state(emulator, monitor, &item["status"]);
    }
    let groups = recorded["groups"].as_array().into_iter().flatten();
    for group in groups.take(5) {
        let monitor = serde_json::json!({"name": group["monitor_name"], "type": "query alert",
            "query": "avg(last_5m):avg:seeded.metric{*} > 1", "tags": group["all_tags"],
            "priority": group["priority"]});
        seed_in_state(emulator, monitor, &group["status"]);
    }
}

fn seed_in_state(emulator: &EmulatorHandle, monitor: Value, state: &Value) {
    if let Ok(id) = emulator.insert_monitor(monitor)
        && let Some(state) = state.as_str().filter(|state| *state != "No Data")
    {
        emulator.set_overall_state(id, state);
    }
}

/// A recorded downtime on a monitor mutes it in the emulator until the downtime's end.
fn replay_context(emulator: &EmulatorHandle, interaction: &Interaction, ids: &HashMap<i64, i64>) {
    let request = interaction.request();
    let on_monitor = request["monitor_id"].as_i64().and_then(|id| ids.get(&id));
    if interaction.method == "POST"
        && interaction.path_and_query == "/api/v1/downtime"
        && interaction.status == 200
        && let Some(&id) = on_monitor
    {
        emulator.mute_monitor(id, request["end"].as_i64());
    }
}

/// How closely a value must match its recording.
#[derive(Clone, Copy, PartialEq)]
enum Match {
    /// Same value (ids and clocks aside).
    Exact,
    /// Same JSON type.
    TypeOnly,
    /// Same field names; same type where neither side is null; array items shaped like the
    /// first recorded item.
    Shape,
}

fn compare(path: &str, recorded: &Value, actual: &Value, mode: Match, diffs: &mut Vec<String>) {
    match (recorded, actual) {
        (Value::Object(recorded), Value::Object(actual)) => {
            compare_objects(path, recorded, actual, mode, diffs)
        }
        (Value::Array(recorded), Value::Array(actual)) if mode == Match::Shape => {
            compare_item_shapes(path, recorded, actual, diffs)
        }
        (Value::Array(recorded), Value::Array(actual)) if mode == Match::Exact => {
            if recorded.len() != actual.len() {
                diffs.push(format!(
                    "{path}: {} items recorded, {} emulated",
                    recorded.len(),
                    actual.len()
                ));
            }
            for (index, (recorded, actual)) in recorded.iter().zip(actual).enumerate() {
                compare(&format!("{path}[{index}]"), recorded, actual, mode, diffs);
            }
        }
        _ if mode == Match::Shape && (recorded.is_null() || actual.is_null()) => {}
        _ if json_type(recorded) != json_type(actual) => {
            diffs.push(format!(
                "{path}: recorded {recorded} ({}), emulated {actual} ({})",
                json_type(recorded),
                json_type(actual)
            ));
        }
        _ if mode == Match::Exact && recorded != actual => {
            diffs.push(format!("{path}: recorded {recorded}, emulated {actual}"))
        }
        _ => {}
    }
}

fn compare_item_shapes(path: &str, recorded: &[Value], actual: &[Value], diffs: &mut Vec<String>) {
    let Some(model) = recorded.first() else {
        return;
    };
    // An item's own lists (its tags, say) may be empty; the answer's lists may not.
    if actual.is_empty() && !path.contains('[') {
        diffs.push(format!(
            "{path}: {} items recorded, none emulated",
            recorded.len()
        ));
    }
    for (index, item) in actual.iter().enumerate() {
        compare(
            &format!("{path}[{index}]"),
            model,
            item,
            Match::Shape,
            diffs,
        );
    }
}

fn compare_objects(
    path: &str,
    recorded: &Map<String, Value>,
    actual: &Map<String, Value>,
    mode: Match,
    diffs: &mut Vec<String>,
) {
    for (key, recorded_value) in recorded {
        let child = format!("{path}.{key}");
        let child_mode = if mode == Match::Exact && TYPE_ONLY.contains(&key.as_str()) {
            Match::TypeOnly
        } else {
            mode
        };
        match actual.get(key) {
            Some(_) if PRESENCE_ONLY.contains(&key.as_str()) => {}
            Some(actual_value) => compare(&child, recorded_value, actual_value, child_mode, diffs),
            None if EMULATOR_MAY_LACK.contains(&key.as_str()) => {}
            None => diffs.push(format!("{child}: missing from the emulator's answer")),
        }
    }
    for key in actual.keys().filter(|key| !recorded.contains_key(*key)) {
        if !RECORDING_MAY_LACK.contains(&key.as_str()) {
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

/// One replayed interaction and how it differed from its recording.
struct Replayed {
    label: String,
    diffs: Vec<String>,
}

async fn replay(cassette: &Cassette, http: &reqwest::Client) -> Vec<Replayed> {
    let interactions = &cassette.interactions;
    let name = &cassette.name;
    let mode = if SHAPE_ONLY_CASSETTES.contains(&name.as_str()) {
        Match::Shape
    } else {
        Match::Exact
    };
    // A limit no replay reaches, so that answers carry the rate-limit headers.
    let emulator = Emulator::start(EmulatorConfig {
        rate_limit: Some((1_000_000, std::time::Duration::from_secs(60))),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let mut ids = seed_org(&emulator, interactions);
    let mut replayed = Vec::new();
    for (step, interaction) in interactions.iter().enumerate() {
        if !is_monitor_api(&interaction.path_and_query) {
            replay_context(&emulator, interaction, &ids);
            continue;
        }
        let label = format!(
            "{name}: step {step} {} {}",
            interaction.method, interaction.path_and_query
        );
        let (status, actual, rate_limit) = send(&emulator, http, interaction, &ids).await;
        let mut diffs = compare_rate_limit(&interaction.rate_limit, &rate_limit);
        if status != interaction.status {
            diffs.push(format!(
                "status recorded {}, emulated {status} ({actual})",
                interaction.status
            ));
        } else {
            if let (Some(recorded_id), Some(actual_id)) =
                (interaction.recorded()["id"].as_i64(), actual["id"].as_i64())
            {
                ids.insert(recorded_id, actual_id);
            }
            // Ids also appear in texts (a composite's query, a refusal naming monitors).
            let recorded: Value =
                serde_json::from_str(&rewrite_ids(&interaction.response, &ids)).unwrap_or_default();
            compare("", &recorded, &actual, mode, &mut diffs);
        }
        replayed.push(Replayed { label, diffs });
    }
    emulator.shutdown().await;
    replayed
}

/// Where an answer was recorded with `X-Ratelimit-*` headers, the emulator's carries the same
/// ones, and the same limit name; the numbers are the org's and the moment's. (An answer
/// recorded without any says nothing: the JSON cassettes lost theirs, and some 2021 answers
/// had none.)
fn compare_rate_limit(recorded: &[(String, String)], emulated: &[(String, String)]) -> Vec<String> {
    if recorded.is_empty() {
        return Vec::new();
    }
    let names = |headers: &[(String, String)]| -> Vec<String> {
        let mut names: Vec<String> = headers.iter().map(|(name, _)| name.clone()).collect();
        names.sort();
        names
    };
    let limit_name = |headers: &[(String, String)]| {
        headers
            .iter()
            .find(|(name, _)| name == "x-ratelimit-name")
            .map(|(_, value)| value.clone())
    };
    let mut diffs = Vec::new();
    if names(recorded) != names(emulated) {
        diffs.push(format!(
            "rate-limit headers recorded {:?}, emulated {:?}",
            names(recorded),
            names(emulated)
        ));
    } else if limit_name(recorded) != limit_name(emulated) {
        diffs.push(format!(
            "x-ratelimit-name recorded {:?}, emulated {:?}",
            limit_name(recorded),
            limit_name(emulated)
        ));
    }
    diffs
}

async fn send(
    emulator: &EmulatorHandle,
    http: &reqwest::Client,
    interaction: &Interaction,
    ids: &HashMap<i64, i64>,
) -> (u16, Value, Vec<(String, String)>) {
    let url = format!(
        "{}{}",
        emulator.base_url(),
        emulated_path(&interaction.path_and_query, ids)
    );
    let method = reqwest::Method::from_bytes(interaction.method.as_bytes()).expect("method");
    let mut request = http.request(method, &url);
    // A 403 was recorded with keys the org refuses (the Go client's error tests); the emulator
    // has no accounts and refuses only requests without keys.
    if interaction.status != 403 {
        request = request
            .header("DD-API-KEY", "fidelity")
            .header("DD-APPLICATION-KEY", "fidelity");
    }
    if !interaction.body.is_empty() {
        request = request
            .header("Content-Type", "application/json")
            .body(rewrite_ids(&interaction.body, ids));
    }
    let response = request.send().await.expect("emulator answers");
    let status = response.status().as_u16();
    let rate_limit = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-ratelimit-"))
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or_default().to_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let text = response.text().await.expect("body");
    let answer = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, answer, rate_limit)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

fn explained(cassette: &str, diff: &str) -> bool {
    KNOWN_ERA_DIFFERENCES
        .iter()
        .any(|(name, fragment, _)| *name == cassette && diff.contains(fragment))
}

#[tokio::test]
async fn emulator_answers_like_recorded_datadog_traffic() {
    let http = reqwest::Client::new();
    let cassettes = cassettes();
    assert!(
        cassettes.len() >= 49,
        "cassettes missing: {}",
        cassettes.len()
    );
    let (mut covered, mut exact, mut era) = (0, 0, 0);
    let mut report = Vec::new();
    for cassette in &cassettes {
        let name = &cassette.name;
        for interaction in replay(cassette, &http).await {
            covered += 1;
            let unexplained: Vec<&String> = interaction
                .diffs
                .iter()
                .filter(|diff| !explained(name, diff))
                .collect();
            match (interaction.diffs.is_empty(), unexplained.is_empty()) {
                (true, _) => exact += 1,
                (false, true) => era += 1,
                (false, false) => report.extend(
                    unexplained
                        .into_iter()
                        .map(|diff| format!("{}: {diff}", interaction.label)),
                ),
            }
        }
    }
    eprintln!(
        "fidelity: {covered} Monitor API interactions replayed from {} cassettes; {exact} match \
         their recording, {era} differ only as the recording's age explains",
        cassettes.len()
    );
    assert!(covered >= 70, "only {covered} interactions replayed");
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
