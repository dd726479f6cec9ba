//! `monc emulator` as a user runs it: prints its URL, answers on loopback, persists to --state.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
    // The state file is written shortly after a change: poll, bounded.
    let saved = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::fs::read_to_string(&state).is_ok_and(|text| text.contains("\"cli\""))
    });
    assert!(
        saved,
        "state file {} never showed the monitor",
        state.display()
    );
    drop(running);
    let _ = std::fs::remove_dir_all(dir);
}
