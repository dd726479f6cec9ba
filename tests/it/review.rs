//! `monc review` end to end: a known month of history laid down on the emulator with
//! `monc status --set ... --at TIME`, then every figure of `monc review --format json`.

use std::path::Path;

use serde_json::{Value, json};

use crate::common;

const FROM: &str = "2026-11-01T00:00:00Z";
const TO: &str = "2026-12-01T00:00:00Z";

/// The five monitors of the shared outage: an L2 load balancer and the L3 alerts it holds back.
const OUTAGE: [&str; 5] = [
    "l2/alb_5xx/prod-tokyo-1",
    "l3/api_error_rate/acme",
    "l3/api_error_rate/globex",
    "l3/login_check/acme",
    "l3/login_check/globex",
];

const FLAPPING: &str = "l3/login_check/initech";

/// Into Alert on the 20th, never out: stuck.
const STUCK: &str = "l3/login_check/umbrella";
/// Into Alert before the window (on 25 October), nothing since: no event in the window, stuck
/// all month as the listing's `overall_state` says.
const STUCK_BEFORE: &str = "l3/api_latency_p95/initech";
/// A composite of monc's whose suppressor is deleted behind its back.
const BROKEN_COMPOSITE: &str = "l3/login_check/acme/composite";
/// A CloudWatch monitor whose evaluation_delay is removed by hand.
const UNDELAYED: &str = "l2/db_cpu/prod-tokyo-1";

/// `monc status --set KEY=STATE ... --at TIME`: one evaluation cycle at TIME.
fn set_at(dir: &Path, url: &str, time: &str, states: &[(&str, &str)]) {
    let mut args = vec!["status".to_owned()];
    for (key, state) in states {
        args.push("--set".into());
        args.push(format!("{key}={state}"));
    }
    args.extend(["--at".into(), time.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = common::monc_at(dir, url, &args);
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        common::output_text(&output)
    );
}

/// The month: `start` at the start (all OK); a 30-minute shared outage on prod-tokyo-1 on the
/// 3rd; one tenant's login check flapping four times in five-minute alerts on the 10th.
fn lay_down_history(dir: &Path, url: &str, start: &[(&str, &str)]) {
    set_at(dir, url, FROM, start);
    let alert: Vec<(&str, &str)> = OUTAGE.iter().map(|k| (*k, "Alert")).collect();
    set_at(dir, url, "2026-11-03T10:00:00Z", &alert);
    let ok: Vec<(&str, &str)> = OUTAGE.iter().map(|k| (*k, "OK")).collect();
    set_at(dir, url, "2026-11-03T10:30:00Z", &ok);
    for minute in [0, 10, 20, 30] {
        let start = format!("2026-11-10T10:{minute:02}:00Z");
        let end = format!("2026-11-10T10:{:02}:00Z", minute + 5);
        set_at(dir, url, &start, &[(FLAPPING, "Alert")]);
        set_at(dir, url, &end, &[(FLAPPING, "OK")]);
    }
}

fn review_json(dir: &Path, url: &str, extra: &[&str]) -> Value {
    let mut args = vec!["review", "--from", FROM, "--to", TO, "--format", "json"];
    args.extend_from_slice(extra);
    let output = common::monc_at(dir, url, &args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        common::output_text(&output)
    );
    serde_json::from_slice(&output.stdout).expect("json")
}

/// The lines of README's `monc review` excerpt (the text block after its marker).
fn readme_review_excerpt() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let after = readme
        .split("<!-- review excerpt:")
        .nth(1)
        .expect("README has the review excerpt");
    let lines: Vec<String> = after
        .lines()
        .skip_while(|l| *l != "```text")
        .skip(1)
        .take_while(|l| *l != "```")
        .map(str::to_owned)
        .collect();
    assert!((3..=8).contains(&lines.len()), "{lines:?}");
    lines
}

fn monitor<'a>(review: &'a Value, key: &str) -> &'a Value {
    review["monitors"]
        .as_array()
        .expect("monitors")
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("{key} is not in the review"))
}

#[test]
fn a_known_month_gives_exact_figures_and_the_outage_agrees_with_monc_test() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("review", "known_month");
    let synced = common::monc_at(&dir, &url, &["sync", "--yes"]);
    assert_eq!(
        synced.status.code(),
        Some(0),
        "{}",
        common::output_text(&synced)
    );
    // A foreign copy of an owned monitor: same type and query, written by someone else.
    let owned = emulator
        .monitors()
        .into_iter()
        .find(|m| {
            m["tags"]
                .to_string()
                .contains("monc-key:l2/db_cpu/prod-osaka-1\"")
        })
        .expect("owned db_cpu");
    let foreign_id = emulator
        .insert_monitor(json!({"name": "Copied DB CPU", "type": "query alert",
                               "query": owned["query"], "message": "hand-made"}))
        .expect("inserted");
    // Alerting since before the window and left alone in it: OK at the start is everyone else.
    set_at(
        &dir,
        &url,
        "2026-10-25T00:00:00Z",
        &[(STUCK_BEFORE, "Alert")],
    );
    let others: Vec<String> = emulator
        .monitors()
        .into_iter()
        .filter(|m| m["type"] != "composite")
        .filter_map(|m| {
            let tags = m["tags"].as_array()?.clone();
            tags.iter()
                .filter_map(Value::as_str)
                .find_map(|t| t.strip_prefix("monc-key:").map(str::to_owned))
        })
        .filter(|key| key != STUCK_BEFORE)
        .collect();
    let start: Vec<(&str, &str)> = others.iter().map(|k| (k.as_str(), "OK")).collect();
    lay_down_history(&dir, &url, &start);
    // Muted with no end, and muted for a day from now: only the first is a long mute.
    let muted = common::id_of(&emulator, "l2/ecs_cpu/prod-osaka-1");
    assert!(emulator.mute_monitor(muted, None));
    let briefly = common::id_of(&emulator, "l2/ecs_cpu/prod-tokyo-1");
    let tomorrow = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        + 86_400;
    assert!(emulator.mute_monitor(briefly, Some(tomorrow)));
    // Stuck: into Alert on the 20th and still there at the window's end, 11 days later.
    set_at(&dir, &url, "2026-11-20T00:00:00Z", &[(STUCK, "Alert")]);
    // Hand edits: a composite whose constituent is gone (one of monc's, one made by hand) and a
    // CloudWatch monitor that lost its evaluation_delay.
    let gone = 999_999_001_i64;
    let broken = common::id_of(&emulator, BROKEN_COMPOSITE);
    let suppressed = common::id_of(&emulator, "l3/login_check/acme");
    assert!(emulator.edit_monitor(broken, |m| {
        m.insert("query".into(), json!(format!("{suppressed} && !{gone}")));
    }));
    let hand_made = emulator
        .insert_monitor(json!({"name": "Hand-made composite", "type": "composite",
                               "query": format!("{suppressed} && {suppressed}"), "message": "x"}))
        .expect("inserted");
    assert!(emulator.edit_monitor(hand_made, |m| {
        m.insert(
            "query".into(),
            json!(format!("{suppressed} && !{}", gone + 1)),
        );
    }));
    let undelayed = common::id_of(&emulator, UNDELAYED);
    assert!(emulator.edit_monitor(undelayed, |m| {
        if let Some(options) = m.get_mut("options").and_then(Value::as_object_mut) {
            options.remove("evaluation_delay");
        }
    }));

    let review = review_json(&dir, &url, &[]);

    assert_eq!(review["from"], FROM);
    assert_eq!(review["to"], TO);
    assert_eq!(review["events_skipped"], 0);
    let suppression = &review["suppression"];
    // STUCK_BEFORE's page goes out on the 1st, when its suppressors report OK at last.
    assert_eq!(suppression["pages_without"], 11, "{suppression:#}");
    assert_eq!(suppression["pages_with"], 7);
    assert_eq!(suppression["reduction_percent"], 36.4);
    assert_eq!(
        suppression["by_tenant"],
        json!({
            "(shared)": {"pages_without": 1, "pages_with": 1},
            "acme": {"pages_without": 2, "pages_with": 0},
            "globex": {"pages_without": 2, "pages_with": 0},
            "initech": {"pages_without": 5, "pages_with": 5},
            "umbrella": {"pages_without": 1, "pages_with": 1},
        })
    );
    assert_eq!(
        suppression["incidents"],
        json!([{
            "key": "l2/alb_5xx/prod-tokyo-1",
            "started": "2026-11-03T10:00:00Z",
            "ended": "2026-11-03T10:30:00Z",
            "pages_without": 5,
            "pages_with": 1,
            "reduction_percent": 80.0,
        }])
    );
    assert_eq!(
        suppression["by_pager"],
        json!({
            "l2/alb_5xx/prod-tokyo-1/composite": 1,
            "l3/api/initech": 1,
            "l3/login_check/initech/composite": 4,
            "l3/login_check/umbrella/composite": 1,
        })
    );
    assert_eq!(suppression["composite_events_seen"], true);
    assert_eq!(
        suppression["disagreements"],
        json!([]),
        "the composites' own history agrees"
    );

    for key in OUTAGE {
        let m = monitor(&review, key);
        assert_eq!(m["alerts"], 1, "{key}");
        assert_eq!(m["seconds_in_alert"], 1800, "{key}");
        assert_eq!(m["state_changes"], 3, "{key}");
        assert_eq!(m["last_triggered"], "2026-11-03T10:00:00Z", "{key}");
        assert_eq!(m["median_alert_seconds"], 1800, "{key}");
        assert_eq!(m["consider"], json!([]), "{key}");
    }
    let flapping = monitor(&review, FLAPPING);
    assert_eq!(
        review["monitors"][0]["key"], FLAPPING,
        "the noisiest comes first"
    );
    assert_eq!(flapping["alerts"], 4);
    assert_eq!(flapping["seconds_in_alert"], 1200);
    assert_eq!(flapping["state_changes"], 9);
    assert_eq!(flapping["flapping_per_day"], 0.3);
    assert_eq!(flapping["median_alert_seconds"], 300);
    assert_eq!(flapping["last_triggered"], "2026-11-10T10:30:00Z");
    assert_eq!(
        flapping["consider"],
        json!(["fires often and briefly: raise the threshold or lengthen the evaluation window"])
    );
    let quiet = monitor(&review, "l2/db_cpu/prod-osaka-1");
    assert_eq!(quiet["alerts"], 0);
    assert_eq!(quiet["seconds_in_alert"], 0);
    assert_eq!(quiet["seconds_in_no_data"], 0, "OK from the window's start");
    assert_eq!(quiet["last_triggered"], Value::Null);
    assert_eq!(
        quiet["consider"],
        json!(["never fired in the window: it may not be needed"])
    );
    let total_alerts: u64 = review["monitors"]
        .as_array()
        .expect("monitors")
        .iter()
        .map(|m| m["alerts"].as_u64().expect("alerts"))
        .sum();
    assert_eq!(
        total_alerts, 11,
        "five outage alerts, four flaps, the stuck one and STUCK_BEFORE's page, nothing else"
    );
    let stuck = monitor(&review, STUCK);
    assert_eq!(stuck["alerts"], 1);
    assert_eq!(stuck["seconds_in_alert"], 11 * 86_400);
    assert_eq!(stuck["stuck_in_alert_since"], "2026-11-20T00:00:00Z");
    assert_eq!(
        stuck["consider"],
        json!([
            "stuck in Alert since 2026-11-20T00:00:00Z (11d 0h): fix the cause, or the threshold if this state is normal"
        ])
    );
    assert_eq!(flapping["stuck_in_alert_since"], Value::Null);
    let before = monitor(&review, STUCK_BEFORE);
    assert_eq!(before["alerts"], 0, "its trigger was before the window");
    assert_eq!(before["state_changes"], 0);
    assert_eq!(before["seconds_in_alert"], 30 * 86_400, "the whole window");
    assert_eq!(
        before["stuck_in_alert_since"], FROM,
        "the window's start: the review vouches for nothing before it"
    );
    assert_eq!(
        before["consider"],
        json!([format!(
            "stuck in Alert since {FROM} (30d 0h): fix the cause, or the threshold if this state is normal"
        )])
    );

    let inventory = &review["inventory"];
    assert_eq!(
        inventory["duplicates"],
        json!([{
            "monitor_type": "query alert",
            "query": owned["query"],
            "keys": ["l2/db_cpu/prod-osaka-1"],
            "foreign": [format!("{foreign_id} Copied DB CPU")],
            "tier": "L2",
            "tenant": "(shared)",
        }])
    );
    assert_eq!(
        inventory["long_mutes"],
        json!([{"key": "l2/ecs_cpu/prod-osaka-1", "scopes": ["*"], "until_ms": null,
                 "tier": "L2", "tenant": "(shared)"}])
    );
    assert_eq!(inventory["notify_nobody"], json!([]));
    let never: Vec<(&str, &str, &str)> = [
        ("api_latency_p95", "L3", "(each tenant)"),
        ("db_cpu", "L2", "(shared)"),
        ("ecs_cpu", "L2", "(shared)"),
        ("pipeline_heartbeat", "L0", "(shared)"),
        ("region_health", "L0", "(shared)"),
    ]
    .to_vec();
    let never: Vec<Value> = never
        .into_iter()
        .map(|(template, tier, tenant)| json!({"template": template, "tier": tier, "tenant": tenant}))
        .collect();
    assert_eq!(inventory["templates_never_fired"], json!(never));
    assert_eq!(
        inventory["stuck_in_alert"],
        json!([
            {"key": "l3/api/initech", "since": FROM, "tier": "L3", "tenant": "initech"},
            {"key": STUCK_BEFORE, "since": FROM, "tier": "L3", "tenant": "initech"},
            {"key": STUCK, "since": "2026-11-20T00:00:00Z", "tier": "L3", "tenant": "umbrella"},
        ])
    );
    assert_eq!(
        inventory["broken_composites"],
        json!([
            {"id": broken, "name": emulator.monitor(broken).expect("broken")["name"],
             "key": BROKEN_COMPOSITE, "missing": [gone], "tier": "L3", "tenant": "acme"},
            {"id": hand_made, "name": "Hand-made composite", "key": null,
             "missing": [gone + 1], "tier": null, "tenant": null},
        ])
    );
    assert_eq!(
        inventory["cloud_metric_no_delay"],
        json!([{"key": UNDELAYED, "metric": "aws.rds.cpuutilization", "tier": "L2",
                "tenant": "(shared)"}])
    );

    // People read the inventory per tier and tenant.
    let human = common::monc_at(&dir, &url, &["review", "--from", FROM, "--to", TO]);
    let text = String::from_utf8_lossy(&human.stdout).into_owned();
    assert!(
        text.contains(&format!(
            "  L3 · acme\n    composite naming deleted monitor {gone}: {BROKEN_COMPOSITE}\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  L3 · umbrella\n    stuck in Alert since 2026-11-20T00:00:00Z: {STUCK}\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "    no evaluation_delay on aws.rds.cpuutilization: {UNDELAYED}\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "    composite naming deleted monitor {}: foreign {hand_made} Hand-made composite\n",
            gone + 1
        )),
        "{text}"
    );

    // README's excerpt is this month's review, line for line.
    for line in readme_review_excerpt() {
        assert!(text.lines().any(|l| l == line), "README: {line:?}\n{text}");
    }

    // The same outage as `monc test --outage` predicts it from the configuration alone.
    std::fs::create_dir_all(dir.join("alert-tests")).expect("mkdir");
    let predicted = common::monc_in(&dir)
        .args(["test", "--outage", OUTAGE[0]])
        .output()
        .expect("runs");
    let text = common::output_text(&predicted);
    assert!(
        text.contains("l2/alb_5xx/prod-tokyo-1: 5 pages without suppression, 1 with"),
        "{text}"
    );

    // One tenant's view: its pages only.
    let acme = review_json(&dir, &url, &["--tenant", "acme"]);
    assert_eq!(acme["suppression"]["pages_without"], 2);
    assert_eq!(acme["suppression"]["pages_with"], 0);
    assert_eq!(acme["suppression"]["reduction_percent"], 100.0);
    assert_eq!(
        acme["suppression"]["by_pager"],
        json!({}),
        "no acme page went out"
    );
    assert!(
        acme["monitors"]
            .as_array()
            .expect("monitors")
            .iter()
            .all(|m| m["tenant"] == "acme" || m["tenant"] == "(shared)")
    );
    // Its inventory: acme's entries, the shared monitors acme's slice needs, and the foreign
    // entries that concern those (the hand-made composite names acme's login check).
    let inventory = &acme["inventory"];
    assert_eq!(
        inventory["stuck_in_alert"],
        json!([]),
        "initech's and umbrella's"
    );
    assert_eq!(
        inventory["long_mutes"],
        json!([]),
        "prod-osaka-1 is not acme's"
    );
    assert_eq!(
        inventory["duplicates"],
        json!([]),
        "prod-osaka-1 is not acme's"
    );
    let broken_ids: Vec<&Value> = inventory["broken_composites"]
        .as_array()
        .expect("broken")
        .iter()
        .map(|b| &b["id"])
        .collect();
    assert_eq!(broken_ids, [&json!(broken), &json!(hand_made)]);
    assert_eq!(
        inventory["cloud_metric_no_delay"],
        json!([{"key": UNDELAYED, "metric": "aws.rds.cpuutilization", "tier": "L2",
                "tenant": "(shared)"}]),
        "acme's monitors need prod-tokyo-1's database"
    );
    let globex = review_json(&dir, &url, &["--tenant", "globex"]);
    assert_eq!(
        globex["inventory"]["broken_composites"],
        json!([]),
        "both name acme's login check, not globex's"
    );
    let initech = review_json(&dir, &url, &["--tenant", "initech"]);
    assert_eq!(
        initech["inventory"]["stuck_in_alert"]
            .as_array()
            .expect("stuck")
            .iter()
            .map(|s| s["key"].as_str().expect("key"))
            .collect::<Vec<_>>(),
        ["l3/api/initech", STUCK_BEFORE]
    );
    assert_eq!(
        initech["inventory"]["long_mutes"]
            .as_array()
            .expect("mutes")
            .len(),
        1,
        "initech runs on prod-osaka-1, whose muted ECS monitor suppresses it"
    );
    runtime.block_on(emulator.shutdown());
}

#[test]
fn the_markdown_document_leads_with_the_reduction_and_a_bad_window_is_an_error() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("review", "markdown");
    let synced = common::monc_at(&dir, &url, &["sync", "--yes"]);
    assert_eq!(
        synced.status.code(),
        Some(0),
        "{}",
        common::output_text(&synced)
    );
    lay_down_history(&dir, &url, &[("*", "OK")]);
    let output = common::monc_at(
        &dir,
        &url,
        &["review", "--from", FROM, "--to", TO, "--format", "markdown"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        common::output_text(&output)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "# Monthly monitor review, 2026-11-01T00:00:00Z → 2026-12-01T00:00:00Z"
    );
    assert_eq!(
        lines[2],
        "**Tiered suppression: 5 pages instead of 9 (44.4 % fewer).**"
    );
    assert!(
        text.contains("| `l3/login_check/initech` | 4 | 20m 0s | 0s | 0.30 | 5m 0s |"),
        "{text}"
    );
    assert!(
        text.contains(
            "### L0 · (shared)\n\n- template never fired: `pipeline_heartbeat`\n\
             - template never fired: `region_health`\n"
        ),
        "the inventory by tier and tenant: {text}"
    );

    for (args, wanted) in [
        (
            vec!["review", "--from", "2026-12-01", "--to", "2026-11-01"],
            "the window is empty",
        ),
        (vec!["review", "--since", "a month"], "is not a duration"),
        (vec!["review", "--from", "yesterday"], "is not a time"),
        (vec!["review", "--tenant", "acmee"], "unknown tenant"),
    ] {
        let output = common::monc_at(&dir, &url, &args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let text = common::output_text(&output);
        assert!(text.contains(wanted), "{args:?}: {text}");
    }
    runtime.block_on(emulator.shutdown());
}

/// The recorded Events v2 listing (tests/fixtures/cassettes/v2-events, see its README): each
/// answer served for the request that carries its `page[cursor]`.
fn recorded_pages() -> Vec<(Option<String>, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "tests/fixtures/cassettes/v2-events/Get-a-list-of-events-returns-OK-response-with-pagination.json",
    );
    let cassette: Value =
        serde_json::from_slice(&std::fs::read(path).expect("cassette")).expect("json");
    cassette["http_interactions"]
        .as_array()
        .expect("interactions")
        .iter()
        .map(|interaction| {
            let uri = interaction["request"]["uri"].as_str().expect("uri");
            let cursor = uri
                .split('&')
                .find_map(|pair| pair.strip_prefix("page%5Bcursor%5D="))
                .map(str::to_owned);
            let body = interaction["response"]["body"]["string"]
                .as_str()
                .expect("body");
            (cursor, body.to_owned())
        })
        .collect()
}

#[test]
fn the_recorded_event_listing_is_streamed_to_its_empty_last_page() {
    use monc::datadog::{Client, ClientOptions, Credentials, EventWindow};
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let pages = std::sync::Arc::new(recorded_pages());
    assert_eq!(pages.len(), 3, "the cassette holds three pages");
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let url = runtime.block_on(async {
        let (pages, asked) = (pages.clone(), asked.clone());
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let (pages, asked) = (pages.clone(), asked.clone());
            async move {
                let query = uri.query().unwrap_or_default().to_owned();
                asked.lock().expect("lock").push(query.clone());
                let cursor = query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("page%5Bcursor%5D="))
                    .map(str::to_owned);
                let body = pages
                    .iter()
                    .find(|(recorded, _)| *recorded == cursor)
                    .map_or_else(
                        || "{\"errors\":[\"no such page\"]}".to_owned(),
                        |(_, b)| b.clone(),
                    );
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body,
                )
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{address}")
    });
    let options = ClientOptions {
        page_size: 2,
        ..ClientOptions::default()
    };
    let client = Client::new(&url, &Credentials::new("k", "a"), options).expect("client");
    let window = EventWindow {
        from_ms: 1_655_744_000_000,
        to_ms: 1_655_745_000_000,
        query: "source:alert".into(),
    };
    let mut seen = 0;
    let stats = runtime
        .block_on(client.stream_monitor_events(&window, |page| seen += page.len()))
        .expect("streamed");
    assert_eq!((stats.pages, stats.events, stats.skipped), (3, 3, 3));
    assert_eq!(
        seen, 0,
        "the recorded events are API events, not monitor transitions"
    );
    let asked = asked.lock().expect("lock").clone();
    assert!(
        asked
            .iter()
            .all(|q| q.contains("page%5Blimit%5D=2") && q.contains("sort=timestamp")),
        "{asked:?}"
    );
    assert_eq!(
        asked
            .iter()
            .filter(|q| q.contains("page%5Bcursor%5D="))
            .count(),
        2
    );

    // The emulator answers the recorded first request of an empty org as Datadog did.
    let emulator = common::start_on(&runtime);
    let empty = format!(
        "{}/api/v2/events?filter%5Bfrom%5D=now-15m&filter%5Bto%5D=now&page%5Blimit%5D=2",
        emulator.base_url()
    );
    let answer: Value = runtime
        .block_on(async {
            reqwest::Client::new()
                .get(&empty)
                .header("DD-API-KEY", "k")
                .header("DD-APPLICATION-KEY", "a")
                .send()
                .await?
                .json()
                .await
        })
        .expect("answer");
    assert_eq!(answer, json!({"data": []}));
    runtime.block_on(emulator.shutdown());
}
