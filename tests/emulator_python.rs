//! Datadog's official Python client (`datadog-api-client`), which nobody here wrote, must work
//! unchanged against the emulator. Runs `$MONC_PYTHON` (default `python3`);
//! `scripts/test.sh` provides a venv with the package.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use monc::emulator::{Emulator, EmulatorConfig};

const PACKAGE_MISSING: i32 = 3;

/// Runs the script to completion or kills it after `limit`.
fn run_script(
    python: &str,
    script: &Path,
    base_url: &str,
    limit: Duration,
) -> (Option<i32>, String) {
    let mut child = Command::new(python)
        .arg(script)
        .arg(base_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {python:?} ({error}); run scripts/test.sh"));
    let started = Instant::now();
    while child.try_wait().expect("poll child").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("collect output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_works_against_the_emulator() {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    let python = std::env::var("MONC_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/official_client.py");
    let base_url = emulator.base_url();
    let interpreter = python.clone();
    let (code, output) = tokio::task::spawn_blocking(move || {
        run_script(&interpreter, &script, &base_url, Duration::from_secs(120))
    })
    .await
    .expect("script runner");
    assert_ne!(
        code,
        Some(PACKAGE_MISSING),
        "the Python package datadog-api-client is missing for {python:?}: run scripts/test.sh \
         (it sets MONC_PYTHON to a venv that has it)\n{output}"
    );
    assert_eq!(
        code,
        Some(0),
        "official client failed against the emulator:\n{output}"
    );
    assert!(output.contains("OK"), "{output}");
    let paths: Vec<String> = emulator
        .requests()
        .iter()
        .map(|record| format!("{} {}", record.method, record.path))
        .collect();
    for expected in [
        "POST /api/v1/monitor/validate",
        "PUT /api/v1/monitor/",
        "DELETE /api/v1/monitor/",
    ] {
        assert!(
            paths.iter().any(|path| path.starts_with(expected)),
            "no {expected} in {paths:?}"
        );
    }
    emulator.shutdown().await;
}
