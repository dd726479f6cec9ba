//! The real client against the emulator over HTTP on loopback: every call, pagination,
//! composites, 429 with reset, 5xx retries, lost answers, timeouts, persistence, secrets.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use monc::datadog::{ApiError, Client, ClientOptions, Credentials, Monitor};
use monc_emulator::{
    Emulator, EmulatorConfig, EmulatorHandle, Fate, Fault, FaultConfig, StartError,
};
use serde_json::{Value, json};

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("test finished in time")
}

async fn start(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(config).await.expect("emulator starts")
}

fn fast_options() -> ClientOptions {
    ClientOptions {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(20),
        ..ClientOptions::default()
    }
}

fn client_for(emulator: &EmulatorHandle, options: ClientOptions) -> Client {
    Client::new(
        &emulator.base_url(),
        &Credentials::new("test-api", "test-app"),
        options,
    )
    .expect("client")
}

fn cpu_monitor(name: &str, tags: &[&str]) -> Monitor {
    let mut monitor = Monitor::new(
        name,
        "metric alert",
        "avg(last_5m):avg:system.cpu.user{env:prod} by {host} > 90",
        "CPU high\n\n",
    );
    monitor.body.tags = tags.iter().map(|tag| tag.to_string()).collect();
    monitor.body.options.insert(
        "thresholds".into(),
        json!({"critical": 90, "warning": null}),
    );
    monitor
}

fn temp_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "monc-test-{label}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn faults_seen(emulator: &EmulatorHandle, fault: Fault) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|record| record.fault == Some(fault))
        .count()
}

#[tokio::test]
async fn create_get_update_validate_delete_round_trip() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(&emulator, fast_options());
        let monitor = cpu_monitor("cpu high", &["team:core"]);
        client.validate_monitor(&monitor).await.expect("valid");

        let created = client.create_monitor(&monitor).await.expect("created");
        let id = created.id.expect("server assigns an id");
        assert_eq!(
            created.body.monitor_type, "metric alert",
            "metric alert is kept as sent (recorded since 2025-12)"
        );
        assert_eq!(
            created.body.message, "CPU high",
            "trailing newlines trimmed"
        );
        assert_eq!(
            created.body.options["thresholds"],
            json!({"critical": 90.0})
        );
        assert_eq!(created.body.options["notify_no_data"], json!(false));
        assert_eq!(created.body.options["new_host_delay"], json!(300));
        assert_eq!(created.overall_state.as_deref(), Some("No Data"));
        assert!(created.created.is_some() && created.extra.contains_key("creator"));

        let fetched = client.get_monitor(id).await.expect("fetched");
        // Write answers carry `restriction_policy: null`, reads do not (as recorded).
        let mut as_read = created.clone();
        assert_eq!(
            as_read.extra.remove("restriction_policy"),
            Some(Value::Null)
        );
        assert_eq!(fetched, as_read);

        let mut changed = fetched.clone();
        changed.body.name = "cpu very high".into();
        changed.body.options =
            serde_json::Map::from_iter([("thresholds".to_string(), json!({"critical": 90}))]);
        client
            .validate_existing_monitor(id, &changed)
            .await
            .expect("valid update");
        let updated = client.update_monitor(id, &changed).await.expect("updated");
        assert_eq!(updated.body.name, "cpu very high");
        assert!(
            updated.body.options.get("silenced").is_some(),
            "defaults refilled after options replaced"
        );

        client.delete_monitor(id, false).await.expect("deleted");
        let gone = client.get_monitor(id).await.expect_err("gone");
        assert!(gone.is_not_found(), "{gone}");
        assert!(gone.to_string().contains("Monitor not found"), "{gone}");
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn list_costs_one_request_per_page_and_filters_by_tags() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(
            &emulator,
            ClientOptions {
                page_size: 10,
                ..fast_options()
            },
        );
        for index in 0..25 {
            client
                .create_monitor(&cpu_monitor(
                    &format!("a{index}"),
                    &["team:a", "managed-by:monc"],
                ))
                .await
                .expect("a");
        }
        for index in 0..5 {
            client
                .create_monitor(&cpu_monitor(
                    &format!("b{index}"),
                    &["team:b", "managed-by:monc"],
                ))
                .await
                .expect("b");
        }
        let before = client
            .stats()
            .by_method
            .get("GET")
            .map_or(0, |stats| stats.requests);
        let team_a = client
            .list_monitors(&["team:a".into(), "managed-by:monc".into()])
            .await
            .expect("list");
        assert_eq!(team_a.len(), 25);
        assert!(
            team_a
                .iter()
                .all(|monitor| monitor.has_all_tags(&["team:a".into()]))
        );
        let after_filtered = client.stats().by_method["GET"].requests;
        assert_eq!(
            after_filtered - before,
            3,
            "25 monitors / 10 per page = 3 pages"
        );

        let everything = client.list_monitors(&[]).await.expect("list all");
        assert_eq!(everything.len(), 30);
        let mut ids: Vec<i64> = everything.iter().filter_map(|monitor| monitor.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 30, "no monitor on two pages");
        // 30 is a whole number of pages: the empty 4th page is how the end is known.
        assert_eq!(client.stats().by_method["GET"].requests - after_filtered, 4);
        let pages: Vec<String> = emulator
            .requests()
            .iter()
            .filter(|record| record.method == "GET")
            .filter_map(|record| record.query.clone())
            .collect();
        assert!(
            pages.iter().all(|query| query.contains("page_size=10")),
            "{pages:?}"
        );
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn unknown_fields_survive_read_and_write_back() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(&emulator, fast_options());
        let id = emulator
            .insert_monitor(json!({
                "name": "made in the UI", "type": "query alert",
                "query": "avg(last_5m):avg:system.load.1{*} > 3",
                "options": {"thresholds": {"critical": 3}, "avalanche_window": 20},
                "draft_status": "published", "restricted_roles": ["role-1"]
            }))
            .expect("inserted");
        let read = client.get_monitor(id).await.expect("read");
        assert_eq!(read.extra["draft_status"], "published");
        let written = client
            .update_monitor(id, &read)
            .await
            .expect("written back");
        let reread = client.get_monitor(id).await.expect("reread");
        assert_eq!(reread.extra["draft_status"], "published");
        assert_eq!(reread.extra["restricted_roles"], json!(["role-1"]));
        assert_eq!(reread.body.options, read.body.options);
        assert_eq!(written.body.options, read.body.options);
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn requests_without_keys_are_forbidden() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let http = reqwest::Client::new();
        let url = format!("{}/api/v1/monitor", emulator.base_url());
        let response = http
            .get(&url)
            .header("DD-API-KEY", "only-one")
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 403);
        let body: Value = response.json().await.expect("json");
        // As recorded (go-legacy */403_Forbidden): the front proxy's body.
        assert_eq!(
            body,
            json!({"status": "error", "code": 403, "errors": ["Forbidden"],
                "statuspage": "http://status.datadoghq.com",
                "twitter": "http://twitter.com/datadogops", "email": "support@datadoghq.com"})
        );
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn composites_are_checked_and_protect_their_members() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(&emulator, fast_options());
        let l3 = client.create_monitor(&cpu_monitor("l3", &[])).await.expect("l3").id.expect("id");
        let l2 = client.create_monitor(&cpu_monitor("l2", &[])).await.expect("l2").id.expect("id");
        let composite = Monitor::new("suppressed l3", "composite", &format!("{l3} && !{l2}"), "page");
        let created = client.create_monitor(&composite).await.expect("composite created");
        let composite_id = created.id.expect("id");
        assert_eq!(created.extra["multi"], json!(false));

        let missing = Monitor::new("bad", "composite", &format!("{l3} && !999999"), "m");
        let error = client.create_monitor(&missing).await.expect_err("unknown member");
        assert_eq!(error.status(), Some(400));
        assert!(matches!(&error, ApiError::Http { errors, .. } if errors == &["Some monitor IDs are invalid"]));

        let nested = Monitor::new("nested", "composite", &format!("{l3} || {composite_id}"), "m");
        assert_eq!(client.validate_monitor(&nested).await.expect_err("nested").status(), Some(400));

        let refused = client.delete_monitor(l2, false).await.expect_err("still referenced");
        let text = refused.to_string();
        assert!(text.contains("suppressed l3") && text.contains(&composite_id.to_string()), "{text}");
        assert!(emulator.monitor(l2).is_some());
        client.delete_monitor(l2, true).await.expect("forced");
        assert!(emulator.monitor(l2).is_none());
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn invalid_monitor_gets_datadogs_error_text_without_retry() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(&emulator, fast_options());
        let invalid = Monitor::new("bad", "log alert", "query", "m");
        let error = client.validate_monitor(&invalid).await.expect_err("invalid");
        match &error {
            ApiError::Http { status, errors, monitor, .. } => {
                assert_eq!(*status, 400);
                assert_eq!(errors, &["The value provided for parameter 'query' is invalid: invalid operator specified: "]);
                assert_eq!(monitor.as_ref().and_then(|m| m.name.clone()).as_deref(), Some("bad"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(emulator.requests().len(), 1, "4xx is never retried");
        assert_eq!(client.stats().retries, 0);
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn rate_limited_calls_wait_for_the_reset_then_pace_themselves() {
    bounded(async {
        let emulator = start(EmulatorConfig {
            rate_limit: Some((5, Duration::from_secs(1))),
            ..EmulatorConfig::default()
        })
        .await;
        let id = emulator
            .insert_monitor(serde_json::to_value(cpu_monitor("m", &[])).expect("json"))
            .expect("id");
        let client = client_for(&emulator, fast_options());
        let started = Instant::now();
        let calls: Vec<_> = (0..12)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.get_monitor(id).await })
            })
            .collect();
        for call in calls {
            call.await
                .expect("task")
                .expect("every call succeeds eventually");
        }
        let limited = faults_seen(&emulator, Fault::RateLimited);
        assert!(limited > 0, "the first burst outran the unknown budget");
        assert_eq!(client.stats().rate_limited as usize, limited);
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "waited for a reset"
        );

        // Now the client knows the budget from the headers: it waits instead of hitting 429s.
        let before = client.stats().rate_limited;
        for _ in 0..8 {
            client.get_monitor(id).await.expect("paced call");
        }
        assert_eq!(
            client.stats().rate_limited,
            before,
            "no 429 once the budget is known"
        );
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn rate_limit_beyond_the_budget_is_a_typed_error() {
    bounded(async {
        let emulator = start(EmulatorConfig {
            rate_limit: Some((1, Duration::from_secs(30))),
            ..EmulatorConfig::default()
        })
        .await;
        let client = client_for(
            &emulator,
            ClientOptions {
                deadline: Duration::from_secs(2),
                ..fast_options()
            },
        );
        client.list_monitors(&[]).await.expect("first call fits");
        let http = reqwest::Client::new();
        // Spend the budget behind the client's back so it meets a real 429.
        let _ = http
            .get(format!("{}/api/v1/monitor", emulator.base_url()))
            .header("DD-API-KEY", "x")
            .header("DD-APPLICATION-KEY", "y")
            .send()
            .await;
        let started = Instant::now();
        let error = client
            .list_monitors(&[])
            .await
            .expect_err("budget too small for a 30s reset");
        assert!(matches!(error, ApiError::RateLimited { .. }), "{error:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "gave up instead of waiting 30s"
        );
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn html_429_pages_are_handled_like_json_ones() {
    bounded(async {
        let emulator = start(EmulatorConfig {
            rate_limit: Some((2, Duration::from_secs(1))),
            faults: FaultConfig {
                html_429: true,
                ..FaultConfig::default()
            },
            ..EmulatorConfig::default()
        })
        .await;
        let client = client_for(
            &emulator,
            ClientOptions {
                max_concurrency: 4,
                ..fast_options()
            },
        );
        let calls: Vec<_> = (0..4)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.list_monitors(&[]).await })
            })
            .collect();
        for call in calls {
            call.await.expect("task").expect("waited out the HTML 429s");
        }
        assert!(client.stats().rate_limited > 0);
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn listing_thousands_of_monitors_takes_one_request_per_thousand() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        for index in 0..2500 {
            let tags: &[&str] = if index % 2 == 0 {
                &["tier:l3"]
            } else {
                &["tier:l2"]
            };
            let monitor =
                serde_json::to_value(cpu_monitor(&format!("m{index}"), tags)).expect("json");
            emulator.insert_monitor(monitor).expect("inserted");
        }
        let client = client_for(&emulator, fast_options());
        let started = Instant::now();
        assert_eq!(client.list_monitors(&[]).await.expect("list").len(), 2500);
        assert_eq!(client.stats().requests, 3, "ceil(2500 / 1000)");
        let l3 = client
            .list_monitors(&["tier:l3".into()])
            .await
            .expect("list");
        assert_eq!(l3.len(), 1250);
        assert_eq!(client.stats().requests, 5, "ceil(1250 / 1000)");
        eprintln!("listed 2500 + 1250 monitors in {:?}", started.elapsed());
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(&emulator, fast_options());
        let id = client
            .create_monitor(&cpu_monitor("m", &[]))
            .await
            .expect("created")
            .id
            .expect("id");
        emulator.script_fates([Fate::ServerError(503), Fate::ServerError(500)]);
        client
            .get_monitor(id)
            .await
            .expect("third attempt succeeds");
        assert_eq!(client.stats().retries, 2);
        assert_eq!(faults_seen(&emulator, Fault::ServerError), 2);

        let stubborn = client_for(
            &emulator,
            ClientOptions {
                max_retries: 2,
                ..fast_options()
            },
        );
        emulator.script_fates([Fate::ServerError(500); 3]);
        let error = stubborn
            .get_monitor(id)
            .await
            .expect_err("retries exhausted");
        assert_eq!(error.status(), Some(500));
        assert_eq!(stubborn.stats().requests, 3);
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn random_faults_do_not_break_idempotent_calls() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(
            &emulator,
            ClientOptions {
                max_retries: 8,
                ..fast_options()
            },
        );
        let id = client
            .create_monitor(&cpu_monitor("m", &[]))
            .await
            .expect("created")
            .id
            .expect("id");
        emulator.set_faults(FaultConfig {
            error_rate_5xx: 0.2,
            reset_rate: 0.1,
            seed: 42,
            ..FaultConfig::default()
        });
        for _ in 0..30 {
            client
                .get_monitor(id)
                .await
                .expect("retried through faults");
        }
        let injected =
            faults_seen(&emulator, Fault::ServerError) + faults_seen(&emulator, Fault::Reset);
        assert!(injected > 0);
        assert_eq!(client.stats().retries as usize, injected);
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn lost_answer_to_a_create_is_reported_and_the_monitor_exists() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(&emulator, fast_options());
        emulator.script_fates([Fate::DropAfterCommit]);
        let error = client
            .create_monitor(&cpu_monitor("maybe created", &[]))
            .await
            .expect_err("answer lost");
        assert!(matches!(error, ApiError::ResponseLost { .. }), "{error:?}");
        assert!(error.to_string().contains("maybe created"), "{error}");
        assert_eq!(
            emulator.requests().len(),
            1,
            "a create is never blindly repeated"
        );
        let stored = emulator.monitors();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0]["name"], "maybe created");
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn lost_answers_to_update_and_delete_are_retried() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(&emulator, fast_options());
        let mut monitor = client
            .create_monitor(&cpu_monitor("m", &[]))
            .await
            .expect("created");
        let id = monitor.id.expect("id");
        monitor.body.name = "renamed".into();
        emulator.script_fates([Fate::DropAfterCommit]);
        assert_eq!(
            client
                .update_monitor(id, &monitor)
                .await
                .expect("retried")
                .body
                .name,
            "renamed"
        );

        emulator.script_fates([Fate::DropAfterCommit]);
        client
            .delete_monitor(id, false)
            .await
            .expect("second attempt finds it gone: success");
        assert!(emulator.monitor(id).is_none());
        let deletes = emulator
            .requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .count();
        assert_eq!(deletes, 2);
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn slow_answers_time_out() {
    bounded(async {
        let emulator = start(EmulatorConfig {
            faults: FaultConfig {
                latency: Duration::from_millis(500),
                ..FaultConfig::default()
            },
            ..EmulatorConfig::default()
        })
        .await;
        let client = client_for(
            &emulator,
            ClientOptions {
                request_timeout: Duration::from_millis(100),
                max_retries: 1,
                ..fast_options()
            },
        );
        let error = client.list_monitors(&[]).await.expect_err("too slow");
        assert!(matches!(error, ApiError::Timeout { .. }), "{error:?}");
        assert_eq!(client.stats().requests, 2, "one retry");
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn state_file_survives_restarts() {
    bounded(async {
        let dir = temp_dir("state");
        let state_file = dir.join("org.json");
        let config = EmulatorConfig {
            state_file: Some(state_file.clone()),
            ..EmulatorConfig::default()
        };
        let first = start(config.clone()).await;
        let client = client_for(&first, fast_options());
        let id = client
            .create_monitor(&cpu_monitor("kept", &[]))
            .await
            .expect("created")
            .id
            .expect("id");
        first.shutdown().await;

        let second = start(config).await;
        let client = client_for(&second, fast_options());
        assert_eq!(
            client.get_monitor(id).await.expect("still there").body.name,
            "kept"
        );
        let next = client
            .create_monitor(&cpu_monitor("new", &[]))
            .await
            .expect("created")
            .id
            .expect("id");
        assert_ne!(next, id, "ids are not reused");
        second.shutdown().await;
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}

#[tokio::test]
async fn hand_edits_behind_the_api_are_visible() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let client = client_for(&emulator, fast_options());
        let created = client
            .create_monitor(&cpu_monitor("m", &[]))
            .await
            .expect("created");
        let id = created.id.expect("id");
        assert!(emulator.edit_monitor(id, |monitor| {
            monitor.insert("name".into(), json!("edited in the UI"));
        }));
        let fetched = client.get_monitor(id).await.expect("fetched");
        assert_eq!(fetched.body.name, "edited in the UI");
        assert_ne!(fetched.modified, created.modified);
        assert!(!emulator.edit_monitor(424242, |_| {}));
        emulator.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn keys_never_appear_in_errors_or_debug_output() {
    bounded(async {
        let emulator = start(EmulatorConfig::default()).await;
        let secrets = Credentials::new("sekrit-api-123", "sekrit-app-456");
        let client = Client::new(&emulator.base_url(), &secrets, fast_options()).expect("client");
        let mut texts = vec![format!("{client:?}"), format!("{secrets:?}")];
        let not_found = client.get_monitor(1).await.expect_err("404");
        texts.push(format!("{not_found} {not_found:?}"));
        let closed_port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let unreachable = Client::new(
            &format!("http://127.0.0.1:{closed_port}"),
            &secrets,
            ClientOptions {
                max_retries: 1,
                ..fast_options()
            },
        )
        .expect("client");
        let transport = unreachable
            .list_monitors(&[])
            .await
            .expect_err("nothing listens");
        assert!(
            matches!(transport, ApiError::Transport { .. }),
            "{transport:?}"
        );
        texts.push(format!("{transport} {transport:?}"));
        for text in texts {
            assert!(!text.contains("sekrit"), "leaked: {text}");
        }
        emulator.shutdown().await;
    })
    .await;
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let error = Client::new(
        "http://api.datadoghq.com",
        &Credentials::new("a", "b"),
        ClientOptions::default(),
    )
    .expect_err("refused");
    assert!(matches!(error, ApiError::Config(_)));
    assert!(error.to_string().contains("http://"), "{error}");
}

#[tokio::test]
async fn an_unwritable_state_file_is_reported_not_ignored() {
    bounded(async {
        let dir = temp_dir("unwritable");
        let state_dir = dir.join("state");
        let emulator = start(EmulatorConfig {
            state_file: Some(state_dir.join("org.json")),
            ..EmulatorConfig::default()
        })
        .await;
        // After start, a file takes the place of the state directory (start made it, for the
        // lock file).
        std::fs::remove_dir_all(&state_dir).expect("state directory");
        std::fs::write(&state_dir, "a file where a directory should be").expect("blocker");
        let client = client_for(
            &emulator,
            ClientOptions {
                max_retries: 0,
                ..fast_options()
            },
        );
        let mut refusal = None;
        for attempt in 0..40 {
            match client
                .create_monitor(&cpu_monitor(&format!("m{attempt}"), &[]))
                .await
            {
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(error) => {
                    refusal = Some(error);
                    break;
                }
            }
        }
        let refusal = refusal.expect("changes refused once saving failed");
        assert_eq!(refusal.status(), Some(500));
        assert!(
            refusal.to_string().contains("could not save its state"),
            "{refusal}"
        );
        emulator.shutdown().await;
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}

#[tokio::test]
async fn a_state_file_has_one_emulator_at_a_time() {
    bounded(async {
        let dir = temp_dir("locked");
        let config = EmulatorConfig {
            state_file: Some(dir.join("org.json")),
            ..EmulatorConfig::default()
        };
        let first = start(config.clone()).await;
        match Emulator::start(config.clone()).await {
            Err(StartError::StateInUse { holder, .. }) => {
                let pid = format!("(pid {})", std::process::id());
                assert!(holder.is_some_and(|holder| holder.ends_with(&pid)));
            }
            other => panic!("a second emulator on the same file: {other:?}"),
        }
        first.shutdown().await;
        let again = start(config).await;
        again.shutdown().await;
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}

/// A link to the state file is the same file: a second emulator through it is refused (it was
/// handed the same ids as the first, and each overwrote the other's saves), and an emulator
/// started through the link saves into the file it points at, keeping the link.
#[cfg(unix)]
#[tokio::test]
async fn a_link_to_a_state_file_is_the_same_state_file() {
    bounded(async {
        let dir = temp_dir("linked");
        let state_file = dir.join("state.json");
        let link = dir.join("alias.json");
        std::os::unix::fs::symlink("state.json", &link).expect("link");
        let direct = EmulatorConfig {
            state_file: Some(state_file.clone()),
            ..EmulatorConfig::default()
        };
        let through_link = EmulatorConfig {
            state_file: Some(link.clone()),
            ..EmulatorConfig::default()
        };
        let first = start(direct.clone()).await;
        match Emulator::start(through_link.clone()).await {
            Err(StartError::StateInUse { holder, .. }) => {
                let pid = format!("(pid {})", std::process::id());
                assert!(holder.is_some_and(|holder| holder.ends_with(&pid)));
            }
            other => panic!("a second emulator through a link to the state file: {other:?}"),
        }
        first.shutdown().await;

        let linked = start(through_link).await;
        let client = client_for(&linked, fast_options());
        client
            .create_monitor(&cpu_monitor("through the link", &[]))
            .await
            .expect("created");
        match Emulator::start(direct).await {
            Err(StartError::StateInUse { .. }) => {}
            other => panic!("a second emulator on the file a link's holder uses: {other:?}"),
        }
        linked.shutdown().await;
        let kept = std::fs::symlink_metadata(&link).expect("link still there");
        assert!(kept.file_type().is_symlink(), "the link was replaced");
        let saved = std::fs::read_to_string(&state_file).expect("state file");
        assert!(saved.contains("through the link"), "{saved}");
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}

/// At the end of the ids a create is refused in Datadog's error shape, never given an id that
/// is already used (the emulator once reused the last one, replacing that monitor).
#[tokio::test]
async fn a_create_past_the_last_id_is_refused_not_given_a_used_id() {
    bounded(async {
        let dir = temp_dir("last-id");
        let state_file = dir.join("org.json");
        let near_the_end = json!({"next_id": i64::MAX - 1, "monitors": {}});
        std::fs::write(&state_file, near_the_end.to_string()).expect("seeded");
        let emulator = start(EmulatorConfig {
            state_file: Some(state_file),
            ..EmulatorConfig::default()
        })
        .await;
        let client = client_for(&emulator, fast_options());
        let last = client
            .create_monitor(&cpu_monitor("last", &[]))
            .await
            .expect("the last id is handed out");
        let mut refusal = None;
        for attempt in 0..2 {
            let name = format!("extra {attempt}");
            if let Err(error) = client.create_monitor(&cpu_monitor(&name, &[])).await {
                refusal = Some(error);
                break;
            }
        }
        let refusal = refusal.expect("a create refused once the ids ran out");
        assert_eq!(refusal.status(), Some(400), "{refusal}");
        assert!(
            refusal.to_string().contains("no monitor id left"),
            "{refusal}"
        );
        let kept = client
            .get_monitor(last.id.expect("id"))
            .await
            .expect("kept");
        assert_eq!(kept.body.name, "last", "the last monitor was replaced");
        emulator.shutdown().await;
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}
