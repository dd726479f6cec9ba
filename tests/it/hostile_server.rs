//! monc against servers that misbehave on purpose (issue 9): redirects, listings that repeat or
//! never end, monitors without ids, huge bodies, stalls, a tag filter that is ignored, and a
//! rate limit shared with other clients. Each server is a small axum app on loopback that
//! records every request it sees.

use crate::common;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use monc::datadog::{ApiError, Client, ClientOptions, Credentials};
use monc_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

/// One request as a scripted server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    uri: String,
    body: String,
}

/// What a scripted server answers.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Answer {
    fn json(value: Value) -> Answer {
        Answer {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: value.to_string(),
        }
    }

    fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: r#"{"errors":["scripted failure"]}"#.into(),
        }
    }

    fn redirect(status: u16, location: String) -> Answer {
        Answer {
            status,
            headers: vec![("location", location)],
            body: String::new(),
        }
    }
}

struct Scripted {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }

    fn writes(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method != "GET")
            .collect()
    }
}

/// Serves `script` on a free loopback port until the test ends.
async fn serve(script: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Scripted {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    let script = Arc::new(script);
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let log = log.clone();
        let script = script.clone();
        async move {
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let seen = Seen {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            };
            log.lock().expect("log").push(seen.clone());
            let answer = script(&seen);
            let mut response =
                Response::builder().status(StatusCode::from_u16(answer.status).expect("status"));
            for (name, value) in answer.headers {
                response = response.header(name, value);
            }
            response.body(Body::from(answer.body)).expect("response")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Scripted { url, seen }
}

fn quick_options() -> ClientOptions {
    ClientOptions {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        request_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(10),
        ..ClientOptions::default()
    }
}

fn client(url: &str, options: ClientOptions) -> Client {
    Client::new(url, &Credentials::new("secret-api", "secret-app"), options).expect("client")
}

fn monitor(id: i64) -> Value {
    json!({"id": id, "name": format!("m{id}"), "type": "metric alert",
           "query": "avg(last_5m):avg:system.load.1{*} > 1", "message": "m",
           "tags": ["managed-by:monc"], "options": {}})
}

/// A page of `page_size` from `all`, as a well-behaved server would answer.
fn page_of(all: &[Value], uri: &str) -> Vec<Value> {
    let param = |name: &str| -> usize {
        uri.split(['?', '&'])
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (page, size) = (param("page"), param("page_size").max(1));
    all.iter().skip(page * size).take(size).cloned().collect()
}

fn monc_cmd(dir: &Path, url: &str) -> Command {
    let mut command = Command::cargo_bin("monc").expect("binary");
    command
        .current_dir(dir)
        .env_remove("MONC_ORG")
        .env_remove("DD_SITE")
        .env("DD_API_KEY", "secret-api")
        .env("DD_APP_KEY", "secret-app")
        .env("NO_COLOR", "1")
        .env("MONC_API_URL", url);
    command
}

/// `monc sync ...` run on a blocking thread (the scripted servers live on this test's runtime).
async fn run_monc(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    let mut command = monc_cmd(dir, url);
    command.args(args);
    tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joined")
}

#[tokio::test]
async fn redirects_are_not_followed_and_keys_stay_at_their_origin() {
    let elsewhere = serve(|_| Answer::json(json!([]))).await;
    for status in [301, 302, 303, 307, 308] {
        let target = format!("{}/api/v1/monitor", elsewhere.url);
        let origin = serve(move |_| Answer::redirect(status, target.clone())).await;
        let error = client(&origin.url, quick_options())
            .list_monitors(&[])
            .await
            .expect_err("a redirect is an error");
        assert!(
            matches!(error, ApiError::Redirected { .. }),
            "{status}: {error:?}"
        );
        let text = error.to_string();
        assert!(
            text.contains(&origin.url) && text.contains(&elsewhere.url),
            "{text}"
        );
        assert_eq!(origin.seen().len(), 1, "{status}: asked once, not retried");
    }
    assert!(
        elsewhere.seen().is_empty(),
        "the other origin got requests: {:?}",
        elsewhere.seen()
    );
}

#[tokio::test]
async fn sync_sends_no_monitor_to_the_origin_a_create_is_redirected_to() {
    let elsewhere = serve(|_| Answer::json(json!({"id": 1}))).await;
    let target = format!("{}/api/v1/monitor", elsewhere.url);
    let origin = serve(move |seen| match seen.method.as_str() {
        "GET" => Answer::json(json!([])),
        _ => Answer::redirect(307, target.clone()),
    })
    .await;
    let dir = common::reference_copy("hostile", "redirected-create");
    let output = run_monc(&dir, &origin.url, &["sync", "--yes"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("redirect"), "{stderr}");
    assert!(
        elsewhere.seen().is_empty(),
        "keys or monitors reached another origin"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Applied: 0 created"), "{stdout}");
}

#[tokio::test]
async fn a_listing_that_repeats_a_monitor_is_an_error() {
    let options = ClientOptions {
        page_size: 2,
        ..quick_options()
    };
    // The same monitor twice on one page.
    let repeated = serve(|_| Answer::json(json!([monitor(1), monitor(1)]))).await;
    let error = client(&repeated.url, options.clone())
        .list_monitors(&[])
        .await
        .expect_err("repeated id");
    assert!(matches!(error, ApiError::Inconsistent { .. }), "{error}");
    // Overlapping pages.
    let overlapping = serve(|seen| {
        let page = if seen.uri.contains("page=0") {
            json!([monitor(1), monitor(2)])
        } else {
            json!([monitor(2), monitor(3)])
        };
        Answer::json(page)
    })
    .await;
    let error = client(&overlapping.url, options.clone())
        .list_monitors(&[])
        .await
        .expect_err("overlap");
    assert!(error.to_string().contains("listed twice"), "{error}");
    // More than asked for.
    let oversized = serve(|_| Answer::json(json!([monitor(1), monitor(2), monitor(3)]))).await;
    let error = client(&oversized.url, options)
        .list_monitors(&[])
        .await
        .expect_err("oversized page");
    assert!(error.to_string().contains("more than the 2"), "{error}");
}

#[tokio::test]
async fn a_server_that_ignores_page_is_stopped_after_one_repeat() {
    let stuck = serve(|_| Answer::json(json!([monitor(1), monitor(2)]))).await;
    let started = Instant::now();
    let error = client(
        &stuck.url,
        ClientOptions {
            page_size: 2,
            ..quick_options()
        },
    )
    .list_monitors(&[])
    .await
    .expect_err("no progress");
    assert!(matches!(error, ApiError::Inconsistent { .. }), "{error}");
    assert_eq!(
        stuck.seen().len(),
        2,
        "stops at the first page with nothing new"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_listed_monitor_without_an_id_is_an_error() {
    let server = serve(|_| {
        let mut nameless = monitor(0);
        nameless.as_object_mut().expect("object").remove("id");
        Answer::json(json!([monitor(1), nameless]))
    })
    .await;
    let error = client(&server.url, quick_options())
        .list_monitors(&[])
        .await
        .expect_err("missing id");
    assert!(error.to_string().contains("has no id"), "{error}");
}

/// Owned monitors as a real sync of the reference setup leaves them.
async fn synced_reference_monitors(name: &str) -> Vec<Value> {
    let emulator = Emulator::start(EmulatorConfig {
        port: 0,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let dir = common::reference_copy("hostile", name);
    let client = client(&emulator.base_url(), quick_options());
    common::sync(&dir, &client, false).await;
    emulator.monitors()
}

#[tokio::test]
async fn sync_writes_nothing_when_the_listing_repeats_every_monitor() {
    let live = synced_reference_monitors("repeat-source").await;
    let doubled: Vec<Value> = live.iter().flat_map(|m| [m.clone(), m.clone()]).collect();
    let server = serve(move |seen| match seen.method.as_str() {
        "GET" if seen.uri.starts_with("/api/v1/monitor?") => {
            Answer::json(Value::Array(page_of(&doubled, &seen.uri)))
        }
        _ => Answer::status(500),
    })
    .await;
    let dir = common::reference_copy("hostile", "repeat");
    let output = run_monc(&dir, &server.url, &["sync", "--yes", "--prune"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("listed twice"), "{stderr}");
    assert!(
        server.writes().is_empty(),
        "writes were sent: {:?}",
        server.writes()
    );
}

#[tokio::test]
async fn an_answer_larger_than_the_limit_is_refused() {
    let big = json!([{"name": "x".repeat(20_000)}]);
    let server = serve(move |_| Answer::json(big.clone())).await;
    let options = ClientOptions {
        max_body_bytes: 10_000,
        ..quick_options()
    };
    let error = client(&server.url, options)
        .list_monitors(&[])
        .await
        .expect_err("too large");
    assert!(matches!(error, ApiError::TooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn a_chunked_answer_larger_than_the_limit_is_refused() {
    // No Content-Length: the limit must hold while reading.
    let app = axum::Router::new().fallback(|| async {
        let chunks = (0..50).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1000]));
        Body::from_stream(futures_util::stream::iter(chunks))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let options = ClientOptions {
        max_body_bytes: 10_000,
        ..quick_options()
    };
    let error = client(&url, options)
        .list_monitors(&[])
        .await
        .expect_err("too large");
    assert!(matches!(error, ApiError::TooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn a_stalled_server_is_given_up_at_the_call_deadline() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let options = ClientOptions {
        request_timeout: Duration::from_secs(1),
        deadline: Duration::from_millis(1500),
        max_retries: 5,
        ..quick_options()
    };
    let started = Instant::now();
    let error = client(&url, options)
        .list_monitors(&[])
        .await
        .expect_err("stalled");
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1900),
        "took {took:?} for a 1.5 s deadline"
    );
    let text = error.to_string();
    assert!(text.contains("gave up after 1."), "{text}");
}

#[tokio::test]
async fn a_lost_create_never_takes_a_monitor_without_both_tags() {
    // The server ignores `monitor_tags` and lists a monitor of another team; creates lose
    // their answer (504).
    let foreign = json!([{"id": 999_999, "name": "Unrelated team monitor", "type": "metric alert",
        "query": "avg(last_5m):avg:system.load.1{*} > 1", "message": "m",
        "tags": ["team:other"], "options": {}}]);
    let server = serve(move |seen| match seen.method.as_str() {
        "GET" => Answer::json(foreign.clone()),
        _ => Answer::status(504),
    })
    .await;
    let dir = common::reference_copy("hostile", "lost-create");
    let output = run_monc(&dir, &server.url, &["sync", "--yes"]).await;
    assert_eq!(output.status.code(), Some(1));
    let pointing_at_foreign: Vec<Seen> = server
        .writes()
        .into_iter()
        .filter(|s| s.body.contains("999999"))
        .collect();
    assert!(
        pointing_at_foreign.is_empty(),
        "a composite was written over the foreign monitor: {pointing_at_foreign:?}"
    );
    assert!(
        !server.writes().iter().any(|s| s.method == "PUT"),
        "the foreign monitor was written to"
    );
}

#[tokio::test]
async fn monc_leaves_part_of_the_rate_limit_to_other_clients() {
    let emulator = Emulator::start(EmulatorConfig {
        port: 0,
        rate_limit: Some((20, Duration::from_secs(1))),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let monc_client = client(&emulator.base_url(), quick_options());
    let busy = tokio::spawn(async move {
        for _ in 0..60 {
            monc_client.list_monitors(&[]).await.expect("list");
        }
    });
    // Another tool in the same org: one request every 350 ms, no retries.
    let other = reqwest::Client::new();
    let mut refused = 0;
    let mut sent = 0;
    while !busy.is_finished() {
        let status = other
            .get(format!("{}/api/v1/monitor", emulator.base_url()))
            .header("DD-API-KEY", "x")
            .header("DD-APPLICATION-KEY", "y")
            .send()
            .await
            .expect("answer")
            .status();
        sent += 1;
        refused += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
        tokio::time::sleep(Duration::from_millis(350)).await;
    }
    busy.await.expect("monc finished");
    assert!(sent >= 5, "the other client sent only {sent} requests");
    assert!(
        refused <= 1,
        "{refused} of the other client's {sent} requests were refused"
    );
}

#[tokio::test]
async fn one_monitor_the_api_refuses_to_validate_means_no_write_at_all() {
    // The API validates everything but one monitor, as Datadog would refuse a bad query.
    let server = serve(|seen| match (seen.method.as_str(), seen.uri.as_str()) {
        ("GET", _) => Answer::json(json!([])),
        ("POST", "/api/v1/monitor/validate") if seen.body.contains("[acme] Login page") => Answer {
            status: 400,
            headers: vec![("content-type", "application/json".into())],
            body: json!({"errors": ["The value provided for parameter 'query' is invalid: \
                    invalid operator"]})
            .to_string(),
        },
        ("POST", "/api/v1/monitor/validate") => Answer::json(json!({})),
        _ => Answer::json(json!({"id": 1})),
    })
    .await;
    let dir = common::reference_copy("hostile", "remote-validation");
    let output = run_monc(&dir, &server.url, &["sync", "--yes"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(stderr.contains("l3/login_check/acme"), "{stderr}");
    assert!(stderr.contains("invalid operator"), "{stderr}");
    let validations = server
        .writes()
        .iter()
        .filter(|s| s.uri == "/api/v1/monitor/validate")
        .count();
    assert_eq!(validations, 20, "every raw monitor was validated");
    let writes: Vec<Seen> = server
        .writes()
        .into_iter()
        .filter(|s| !s.uri.ends_with("/validate"))
        .collect();
    assert!(writes.is_empty(), "monitors were written: {writes:?}");
}

#[tokio::test]
async fn diff_validate_reports_what_the_api_refuses_and_exits_1() {
    let server = serve(|seen| match (seen.method.as_str(), seen.uri.as_str()) {
        ("POST", "/api/v1/monitor/validate") if seen.body.contains("[acme] Login page") => Answer {
            status: 400,
            headers: vec![("content-type", "application/json".into())],
            body: json!({"errors": ["invalid operator"]}).to_string(),
        },
        ("POST", "/api/v1/monitor/validate") => Answer::json(json!({})),
        _ => Answer::json(json!([])),
    })
    .await;
    let dir = common::reference_copy("hostile", "diff-validate");
    let plain = run_monc(&dir, &server.url, &["diff"]).await;
    assert_eq!(plain.status.code(), Some(2), "changes pending");
    let checked = run_monc(&dir, &server.url, &["diff", "--validate"]).await;
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert_eq!(checked.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused  l3/login_check/acme"), "{stderr}");
    assert!(server.writes().iter().all(|s| s.uri.ends_with("/validate")));
}

#[tokio::test]
async fn an_unreachable_api_is_named_in_the_error() {
    // A port nobody listens on any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let options = ClientOptions {
        max_retries: 1,
        ..quick_options()
    };
    let error = client(&url, options)
        .list_monitors(&[])
        .await
        .expect_err("unreachable");
    assert!(error.to_string().contains(&url), "{error}");
}

/// The fresh read before a write is only a check if it is of the monitor asked for, and says
/// when it was last modified: another monitor's answer, or one without `modified`, is an error
/// (a missing `modified` on both sides used to pass as "unchanged").
#[tokio::test]
async fn a_monitor_read_that_is_not_of_the_id_asked_or_has_no_modified_is_an_error() {
    let server = serve(|_| Answer::json(monitor(2))).await;
    let error = client(&server.url, quick_options())
        .get_monitor(1)
        .await
        .expect_err("another monitor's answer");
    assert!(error.to_string().contains("inconsistent"), "{error}");

    let server = serve(|_| {
        let mut undated = monitor(1);
        undated.as_object_mut().expect("object").remove("modified");
        Answer::json(undated)
    })
    .await;
    let error = client(&server.url, quick_options())
        .get_monitor(1)
        .await
        .expect_err("no modified");
    assert!(error.to_string().contains("modified"), "{error}");
}

/// Datadog counts requests in several named limits, each with its own size (recorded in
/// go-legacy's TestMonitorLifecycle, 2022-06: `get_all_monitors` 1000 per 10 s, `post_monitors`
/// 500 per 10 s, the org-wide 12000 per 60 s for deletes). Answers of one limit say nothing
/// about another: a listing at 999 of 1000 followed by a delete at 11985 of 12000 must not read
/// as "999 left of 12000, below the share left to others" and stall the next call.
#[tokio::test]
async fn the_named_rate_limits_are_budgeted_apart() {
    let limit = |name: Option<&str>, limit: &str, period: &str, remaining: &str| {
        let mut headers = vec![
            ("content-type", "application/json".to_string()),
            ("x-ratelimit-limit", limit.to_string()),
            ("x-ratelimit-period", period.to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", "8".to_string()),
        ];
        headers.extend(name.map(|name| ("x-ratelimit-name", name.to_string())));
        headers
    };
    let server = serve(move |seen| {
        let (headers, body) = if seen.method == "DELETE" {
            (
                limit(None, "12000", "60", "11985"),
                json!({"deleted_monitor_id": 7}),
            )
        } else {
            (
                limit(Some("get_all_monitors"), "1000", "10", "999"),
                json!([]),
            )
        };
        Answer {
            status: 200,
            headers,
            body: body.to_string(),
        }
    })
    .await;
    let monc_client = client(&server.url, quick_options());
    monc_client.list_monitors(&[]).await.expect("list");
    monc_client.delete_monitor(7, false).await.expect("delete");
    let started = Instant::now();
    monc_client.list_monitors(&[]).await.expect("list again");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?} for a reset although 999 of 1000 listings are left",
        started.elapsed()
    );
}

/// Full pages of distinct, large monitors (each page far under the body cap) for as long as
/// asked: what drove a listing to 7.8 GB before the listing as a whole had a cap.
fn endless_large_pages(message_bytes: usize) -> impl Fn(&Seen) -> Answer + Send + Sync {
    let message = "x".repeat(message_bytes);
    move |seen| {
        let param = |name: &str| -> i64 {
            seen.uri
                .split(['?', '&'])
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let (page, size) = (param("page"), param("page_size"));
        let monitors: Vec<Value> = (0..size)
            .map(|i| {
                let mut m = monitor(page * size + i + 1);
                m["message"] = json!(message);
                m
            })
            .collect();
        Answer::json(Value::Array(monitors))
    }
}

#[tokio::test]
async fn a_listing_larger_in_total_than_the_listing_cap_is_refused() {
    let server = serve(endless_large_pages(10_000)).await;
    let options = ClientOptions {
        page_size: 2,
        max_body_bytes: 100_000,
        max_listing_bytes: 100_000,
        ..quick_options()
    };
    let error = client(&server.url, options)
        .list_monitors(&[])
        .await
        .expect_err("a listing past its cap is an error");
    let text = error.to_string();
    assert!(
        text.contains("100000 bytes") && text.contains("listing"),
        "the error names the cap exceeded: {text}"
    );
    // About 20 KB a page: the sixth page passes 100,000 bytes; nothing is read after it.
    assert!(
        server.seen().len() <= 6,
        "{} pages read",
        server.seen().len()
    );
}

#[tokio::test]
async fn a_listing_of_more_monitors_than_the_cap_is_refused() {
    let server = serve(endless_large_pages(10)).await;
    let options = ClientOptions {
        page_size: 2,
        max_listing_monitors: 5,
        ..quick_options()
    };
    let error = client(&server.url, options)
        .list_monitors(&[])
        .await
        .expect_err("a listing past its cap is an error");
    let text = error.to_string();
    assert!(
        text.contains("5 monitors") && text.contains("listing"),
        "the error names the cap exceeded: {text}"
    );
    assert_eq!(
        server.seen().len(),
        3,
        "stops at the page that passes the cap"
    );
}

/// A server's error text is echoed to a terminal and CI logs: 5 MB of it was printed whole
/// (178 MB on stderr in one sync). Each message is cut to 1,000 characters and the list to 10
/// messages, saying how much was cut.
#[tokio::test]
async fn a_huge_server_error_text_is_cut_saying_how_much() {
    let mut errors = vec!["e".repeat(5_000_000)];
    errors.extend((1..15).map(|i| format!("short message {i}")));
    let body = json!({ "errors": errors }).to_string();
    let server = serve(move |_| Answer {
        status: 400,
        headers: vec![("content-type", "application/json".into())],
        body: body.clone(),
    })
    .await;
    let error = client(&server.url, quick_options())
        .list_monitors(&[])
        .await
        .expect_err("400");
    let text = error.to_string();
    assert!(text.len() < 5_000, "{} bytes of error text", text.len());
    assert!(text.contains("4999000 more characters cut"), "{text}");
    assert!(text.contains("short message 9"), "{text}");
    assert!(!text.contains("short message 10"), "{text}");
    assert!(text.contains("5 more messages cut"), "{text}");

    let plain = "p".repeat(5_000_000);
    let server = serve(move |_| Answer {
        status: 400,
        headers: Vec::new(),
        body: plain.clone(),
    })
    .await;
    let text = client(&server.url, quick_options())
        .list_monitors(&[])
        .await
        .expect_err("400")
        .to_string();
    assert!(text.len() < 2_000, "{} bytes of error text", text.len());
    assert!(text.contains("4999000 more characters cut"), "{text}");
}
