//! `monc emulator` as a user runs it: prints its URL, answers on loopback, persists to --state,
//! stops cleanly on SIGTERM, loses no acknowledged write (nor reuses an id) on SIGKILL, and
//! holds its state file against a second writer.

use crate::common;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn monc_emulator_serves_on_loopback_and_prints_how_to_use_it() {
    let dir = std::env::temp_dir().join(format!("monc-cli-{}", std::process::id()));
    let state = dir.join("org.json");
    let child = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args([
            "emulator",
            "--port",
            "0",
            "--rate-limit",
            "100/10s",
            "--state",
        ])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("monc starts");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let url = first.split_whitespace().last().expect("url").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let rest: Vec<String> = lines.take(4).map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|line| line.contains("DD_API_KEY")),
        "{rest:?}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let response = runtime.block_on(async {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http")
            .post(format!("{url}/api/v1/monitor"))
            .header("DD-API-KEY", "k")
            .header("DD-APPLICATION-KEY", "a")
            .json(&serde_json::json!({"name": "cli", "type": "query alert", "query": "avg(last_5m):avg:x{*} > 1"}))
            .send()
            .await
            .expect("answer")
    });
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["x-ratelimit-limit"], "100");
    // With --state, an answered write is already in the state file.
    let saved = std::fs::read_to_string(&state).unwrap_or_default();
    assert!(
        saved.contains("\"cli\""),
        "state file {} lacks the acknowledged monitor: {saved:?}",
        state.display()
    );
    drop(running);
    let _ = std::fs::remove_dir_all(dir);
}

/// A `monc emulator --port 0 --state FILE` process and the URL it printed.
struct Served {
    running: Running,
    url: String,
}

impl Served {
    fn start(state: &Path) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_monc"))
            .args(["emulator", "--port", "0", "--state"])
            .arg(state)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("monc starts");
        let stdout = child.stdout.take().expect("stdout");
        let running = Running(child);
        let first = BufReader::new(stdout)
            .lines()
            .next()
            .and_then(Result::ok)
            .unwrap_or_default();
        let url = first
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "no URL in {first:?}");
        Served { running, url }
    }

    fn pid(&self) -> u32 {
        self.running.0.id()
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("http");
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut request = client
                .request(method, format!("{}{path}", self.url))
                .header("DD-API-KEY", "k")
                .header("DD-APPLICATION-KEY", "a");
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("answer");
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        })
    }

    fn create(&self, name: &str) -> i64 {
        let (status, body) = self.call("POST", "/api/v1/monitor", Some(monitor_body(name)));
        assert_eq!(status, 200, "{body}");
        body["id"].as_i64().expect("id")
    }

    fn name_of(&self, id: i64) -> Option<String> {
        let (status, body) = self.call("GET", &format!("/api/v1/monitor/{id}"), None);
        (status == 200).then(|| body["name"].as_str().unwrap_or_default().to_owned())
    }

    /// SIGKILL: no chance to save anything on the way out.
    fn kill(mut self) {
        self.running.0.kill().expect("SIGKILL");
        let _ = self.running.0.wait();
    }

    /// Waits (bounded) for the process to end by itself.
    fn exit_status(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.running.0.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

fn monitor_body(name: &str) -> Value {
    json!({"name": name, "type": "query alert", "query": "avg(last_5m):avg:x{*} > 1"})
}

fn fresh_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("monc-cli-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn sigterm_stops_the_emulator_cleanly_and_keeps_its_state() {
    let dir = fresh_dir("sigterm");
    let state = dir.join("org.json");
    let mut served = Served::start(&state);
    served.create("kept over SIGTERM");
    let sent = Command::new("kill")
        .args(["-TERM", &served.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = served
        .exit_status(Duration::from_secs(5))
        .expect("the emulator stops on SIGTERM");
    assert!(
        status.success(),
        "SIGTERM ends the emulator cleanly: {status:?}"
    );
    let saved = std::fs::read_to_string(&state).expect("state file");
    assert!(saved.contains("kept over SIGTERM"), "{saved}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn acknowledged_writes_survive_sigkill_and_ids_are_never_reused() {
    let dir = fresh_dir("sigkill");
    let state = dir.join("org.json");
    let served = Served::start(&state);
    let ids: Vec<i64> = (0..5).map(|n| served.create(&format!("m{n}"))).collect();
    let highest = ids[4];
    let (status, _) = served.call(
        "PUT",
        &format!("/api/v1/monitor/{}", ids[0]),
        Some(json!({"name": "renamed"})),
    );
    assert_eq!(status, 200);
    let (status, _) = served.call("DELETE", &format!("/api/v1/monitor/{highest}"), None);
    assert_eq!(status, 200);
    served.kill();

    let served = Served::start(&state);
    assert_eq!(
        served.name_of(ids[0]).as_deref(),
        Some("renamed"),
        "update lost"
    );
    for (n, &id) in ids.iter().enumerate().take(4).skip(1) {
        assert_eq!(
            served.name_of(id),
            Some(format!("m{n}")),
            "create of {id} lost"
        );
    }
    assert_eq!(served.name_of(highest), None, "delete of {highest} lost");
    let fresh = served.create("after restart");
    assert!(
        fresh > highest,
        "id {fresh} was already used (highest so far {highest})"
    );

    // The deleted highest id stays used across another crash too.
    let (status, _) = served.call("DELETE", &format!("/api/v1/monitor/{fresh}"), None);
    assert_eq!(status, 200);
    served.kill();
    let served = Served::start(&state);
    let next = served.create("after second restart");
    assert!(
        next > fresh,
        "id {next} was already used (highest so far {fresh})"
    );
    served.kill();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_second_emulator_on_the_same_state_file_is_refused_naming_the_holder() {
    let dir = fresh_dir("second-emulator");
    let state = dir.join("org.json");
    let first = Served::start(&state);
    let second = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["emulator", "--port", "0", "--state"])
        .arg(&state)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("monc starts");
    let mut second = Running(second);
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Ok(Some(status)) = second.0.try_wait() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "a second emulator started on {} while the first holds it",
            state.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = second.0.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&state.display().to_string()), "{stderr}");
    let holder = format!("monc emulator (pid {})", first.pid());
    assert!(stderr.contains(&holder), "{stderr} does not name {holder}");
    first.kill();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn org_local_on_a_state_file_held_by_monc_emulator_is_refused_naming_the_holder() {
    let dir = common::reference_copy("emulator-cli", "org-local-locked");
    let state = dir.join(".monc").join("local-org.json");
    let served = Served::start(&state);
    let diff = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["diff", "--org", "local", "-C"])
        .arg(&dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("diff runs");
    let stderr = String::from_utf8_lossy(&diff.stderr);
    assert_eq!(diff.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("local-org.json"), "{stderr}");
    let holder = format!("monc emulator (pid {})", served.pid());
    assert!(stderr.contains(&holder), "{stderr} does not name {holder}");
    served.kill();
}

/// A taken port (often another emulator, or any local service) is named with the flag that
/// picks another.
#[test]
fn a_taken_port_is_named_with_the_flag_that_picks_another() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["emulator", "--port", &port])
        .stdin(Stdio::null())
        .output()
        .expect("monc runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&port) && stderr.contains("--port"),
        "{stderr}"
    );
}

/// `-C DIR` works for the emulator as for every command: `--state` is found inside DIR.
#[test]
fn the_emulator_state_file_is_relative_to_dash_c() {
    let dir = fresh_dir("dash-c");
    let child = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["emulator", "--port", "0", "--state", "org.json", "-C"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("monc starts");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout");
    let banner = BufReader::new(stdout)
        .lines()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default();
    assert!(banner.contains("http://127.0.0.1:"), "{banner}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let lock = dir.join("org.json.lock");
    while !lock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(lock.exists(), "the state file is not in {}", dir.display());
    drop(running);
    let _ = std::fs::remove_dir_all(dir);
}
