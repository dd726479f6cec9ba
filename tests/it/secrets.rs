//! API and application keys never leave monc except in the auth headers: not in stdout, stderr
//! or backups of a failing sync (with every debug knob turned up), and never over plain http to
//! a host that is not loopback.

use crate::common;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use monc_emulator::{Emulator, EmulatorConfig, Fate};

const API_KEY: &str = "dd0api0SECRET0c6f1e2a9b8d7c6e5f4a3b2c1";
const APP_KEY: &str = "dd0app0SECRET0f0e1d2c3b4a5968778695a4b";

fn run_monc(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(args)
        .current_dir(dir)
        .env("DD_API_KEY", API_KEY)
        .env("DD_APP_KEY", APP_KEY)
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "full")
        .env("NO_COLOR", "1")
        .env_remove("MONC_ORG")
        .output()
        .expect("run monc")
}

/// Every piece of a key long enough to identify it.
fn leaks(text: &str) -> Vec<&'static str> {
    [API_KEY, APP_KEY]
        .into_iter()
        .flat_map(|key| [key, &key[14..], &key[..key.len() - 8]])
        .filter(|fragment| text.contains(fragment))
        .collect()
}

fn all_files_under(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(all_files_under(&path));
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into();
            found.push((path.display().to_string(), text));
        }
    }
    found
}

/// Scripted rather than random faults (monc's default backoff makes random 5xx slow): the
/// listing, the can_delete check of the plan and the remote validation of its updates are
/// served (8 requests for this plan), then resets, 400s, lost answers and 403s.
fn failing() -> impl Iterator<Item = Fate> {
    std::iter::repeat_n(Fate::Serve, 8).chain(
        [
            Fate::Reset,
            Fate::ServerError(400),
            Fate::DropAfterCommit,
            Fate::ServerError(403),
        ]
        .into_iter()
        .cycle()
        .take(400),
    )
}

async fn run_blocking(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_monc(&dir, &args)
    })
    .await
    .expect("monc")
}

/// An org synced from the reference setup, whose every later request fails.
async fn failing_org(reference: &Path) -> monc_emulator::EmulatorHandle {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let url = emulator.base_url();
    let first = run_blocking(reference, &["sync", "--yes", "--api-url", &url]).await;
    assert!(first.status.success(), "{first:?}");
    emulator.script_fates(failing());
    emulator
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sync_prints_and_stores_no_key() {
    let reference = common::reference_copy("secrets", "reference");
    // Updates and deletes, so the sync writes a backup before it fails.
    let dir = common::reference_copy("secrets", "failing-sync");
    let tenant = dir.join("tenants/acme.hcl");
    let text = std::fs::read_to_string(&tenant).expect("read");
    std::fs::write(&tenant, text.replace("0.8", "0.9")).expect("write");
    std::fs::remove_file(dir.join("tenants/umbrella.hcl")).expect("remove a tenant");

    let mut outputs = Vec::new();
    for args in [
        &["sync", "--yes", "--prune"][..],
        &["sync", "--yes", "--json"],
        &["diff", "--format", "json"],
    ] {
        let emulator = failing_org(&reference).await;
        let url = emulator.base_url();
        let args: Vec<&str> = args.iter().copied().chain(["--api-url", &url]).collect();
        outputs.push(run_blocking(&dir, &args).await);
    }
    assert_eq!(
        outputs[0].status.code(),
        Some(1),
        "the sync must fail: {:?}",
        outputs[0]
    );
    assert_eq!(
        outputs[1].status.code(),
        Some(1),
        "the sync must fail: {:?}",
        outputs[1]
    );
    let stderr = String::from_utf8_lossy(&outputs[0].stderr);
    assert!(stderr.contains("400") || stderr.contains("403"), "{stderr}");

    let mut texts: Vec<(String, String)> = outputs
        .iter()
        .enumerate()
        .flat_map(|(i, o)| {
            [
                (
                    format!("run {i} stdout"),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                ),
                (
                    format!("run {i} stderr"),
                    String::from_utf8_lossy(&o.stderr).into_owned(),
                ),
            ]
        })
        .collect();
    let files = all_files_under(&dir.join(".monc"));
    assert!(
        files.iter().any(|(path, _)| path.contains("backups")),
        "the failing sync must have written a backup to search: {:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    texts.extend(files);
    for (name, text) in &texts {
        assert!(leaks(text).is_empty(), "a key leaked into {name}:\n{text}");
    }
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    let dir = common::reference_copy("secrets", "plain-http");
    for url in [
        "http://10.255.255.1:9",
        "http://api.datadoghq.com",
        "http://127.0.0.1.example.com",
    ] {
        let started = Instant::now();
        let output = run_monc(&dir, &["diff", "--api-url", url]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{url}: {output:?}");
        assert!(stderr.contains("refusing plain http://"), "{url}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{url}: it tried to connect"
        );
        assert!(
            leaks(&stderr).is_empty() && leaks(&String::from_utf8_lossy(&output.stdout)).is_empty()
        );
    }
}

fn monc_behind_proxy(dir: &Path, proxy: &str, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_monc"));
    cmd.args(args)
        .current_dir(dir)
        .env("DD_API_KEY", API_KEY)
        .env("DD_APP_KEY", APP_KEY)
        .env("NO_COLOR", "1")
        .env_remove("MONC_ORG")
        .env_remove("MONC_API_URL")
        .env_remove("DD_SITE");
    cmd.envs(common::proxy_env(proxy))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    cmd.output().expect("run monc")
}

/// Loopback never goes through a proxy (issue 20): the proxy would get both keys in clear and
/// its answer would be planned as the org.
#[test]
fn a_proxy_from_the_environment_is_never_used_for_loopback() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let (proxy, received) = common::fake_proxy(&runtime);
    let dir = common::reference_copy("secrets", "proxy");
    let url = emulator.base_url();
    let synced = run_monc(&dir, &["sync", "--yes", "--api-url", &url]);
    assert!(synced.status.success(), "{synced:?}");
    let local = run_monc(&dir, &["sync", "--yes", "--org", "local"]);
    assert!(local.status.success(), "{local:?}");

    for args in [
        &["diff", "--api-url", &url][..],
        &["diff", "--org", "local"],
    ] {
        let output = monc_behind_proxy(&dir, &proxy, args);
        let text = common::output_text(&output);
        let proxied = received.lock().expect("log").clone();
        assert!(
            proxied.is_empty(),
            "{args:?}: the proxy was sent {proxied:?}\n{text}"
        );
        assert_eq!(output.status.code(), Some(0), "{args:?}: {text}");
        assert!(text.contains("No changes."), "{args:?}: {text}");
    }
}

/// Off loopback a proxy from the environment may carry the connection, but only as a tunnel
/// (CONNECT host:443): what it sees holds no key.
#[test]
fn a_proxy_only_tunnels_https_and_never_sees_the_keys() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (proxy, received) = common::fake_proxy(&runtime);
    let dir = common::reference_copy("secrets", "proxy-tunnel");
    let output = monc_behind_proxy(&dir, &proxy, &["diff", "--site", "datadoghq.eu"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let proxied = received.lock().expect("log").clone();
    assert!(!proxied.is_empty(), "the proxy was not used: {output:?}");
    for head in &proxied {
        assert!(
            head.starts_with("CONNECT api.datadoghq.eu:443 "),
            "not a tunnel: {head:?}"
        );
        assert!(leaks(head).is_empty(), "a key went to the proxy: {head:?}");
    }
}

/// A password in `--api-url` would be written into every backup and shown in errors: a URL
/// holding credentials is a usage error, before anything is contacted or written.
#[test]
fn an_api_url_with_credentials_is_refused() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let dir = common::reference_copy("secrets", "userinfo");
    let port = emulator
        .base_url()
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    for url in [
        format!("http://monc:hunter2-PASSWORD@127.0.0.1:{port}"),
        format!("http://hunter2-PASSWORD@127.0.0.1:{port}/"),
    ] {
        for args in [&["diff"][..], &["sync", "--yes"]] {
            let args: Vec<&str> = args.iter().copied().chain(["--api-url", &url]).collect();
            let output = run_monc(&dir, &args);
            let text = common::output_text(&output);
            assert_eq!(output.status.code(), Some(1), "{args:?}: {text}");
            assert!(text.contains("DD_API_KEY"), "{args:?}: {text}");
            assert!(!text.contains("hunter2"), "{args:?}: {text}");
        }
    }
    assert!(emulator.monitors().is_empty(), "nothing may be synced");
    let stored = all_files_under(&dir.join(".monc"));
    assert!(
        stored.iter().all(|(_, text)| !text.contains("hunter2")),
        "{stored:?}"
    );
}

/// How the fake gateway of [`echoing_gateway`] answers.
#[derive(Clone, Copy)]
enum Echo {
    /// Every request: 400 with Datadog's `errors` array quoting the key headers.
    JsonError(u16),
    /// The listing is empty; everything else: 400 with a plain-text body quoting them.
    PlainTextOnWrites,
    /// Every request: a redirect to a URL carrying the key.
    RedirectWithKey,
}

/// A gateway on loopback that echoes the key headers it receives in its error answers.
fn echoing_gateway(runtime: &tokio::runtime::Runtime, echo: Echo) -> String {
    use axum::http::{HeaderMap, Method, StatusCode, header};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(move |method: Method, headers: HeaderMap| async move {
        let value = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let (api, app) = (value("dd-api-key"), value("dd-application-key"));
        let quoted = format!("bad request, headers: DD-API-KEY={api} DD-APPLICATION-KEY={app}");
        match echo {
            Echo::JsonError(status) => (
                StatusCode::from_u16(status).expect("status"),
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({ "errors": [quoted] }).to_string(),
            )
                .into_response(),
            Echo::PlainTextOnWrites if method == Method::GET => (
                [(header::CONTENT_TYPE, "application/json")],
                "[]".to_string(),
            )
                .into_response(),
            Echo::PlainTextOnWrites => (StatusCode::BAD_REQUEST, quoted).into_response(),
            Echo::RedirectWithKey => (
                StatusCode::FOUND,
                [(
                    header::LOCATION,
                    format!("https://elsewhere.example/?key={api}"),
                )],
            )
                .into_response(),
        }
    });
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    runtime.spawn(async move { axum::serve(listener, app).await });
    url
}

/// A server that quotes the key headers back in its error text (some gateways do) does not
/// get monc to print them: both values are masked wherever server text becomes an error.
#[test]
fn keys_echoed_by_a_server_are_masked() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = common::reference_copy("secrets", "echo");
    let runs: [(Echo, &[&str]); 5] = [
        (Echo::JsonError(400), &["diff"]),
        (Echo::JsonError(403), &["sync", "--yes"]),
        (Echo::JsonError(500), &["diff"]),
        (Echo::PlainTextOnWrites, &["sync", "--yes"]),
        (Echo::RedirectWithKey, &["diff"]),
    ];
    let outputs: Vec<(String, Output)> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|(echo, args)| {
                let url = echoing_gateway(&runtime, *echo);
                let dir = &dir;
                scope.spawn(move || {
                    let args: Vec<&str> = args.iter().copied().chain(["--api-url", &url]).collect();
                    (format!("{args:?}"), run_monc(dir, &args))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("run"))
            .collect()
    });
    for (args, output) in &outputs {
        let text = common::output_text(output);
        assert_eq!(output.status.code(), Some(1), "{args}: {text}");
        assert!(
            text.contains("***"),
            "{args}: the echo is not shown masked: {text}"
        );
        assert!(leaks(&text).is_empty(), "{args}: a key leaked: {text}");
    }
}
