//! Datadog's official Python client (`datadog-api-client`), which nobody here wrote, must work
//! unchanged against the emulator. Runs `$MONC_PYTHON`, which `scripts/test.sh` (and so CI)
//! sets to a venv with the package. Without it (a plain `cargo test`) these tests say so and
//! skip; with it set, an interpreter that does not run or lacks the package fails them.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use monc_emulator::{Emulator, EmulatorConfig};

const PACKAGE_MISSING: i32 = 3;

/// `$MONC_PYTHON`, or None (the test is skipped, saying why) when it is not set.
fn python(test: &str) -> Option<String> {
    let python = std::env::var_os("MONC_PYTHON").map(|p| p.to_string_lossy().into_owned());
    if python.is_none() {
        // Straight to stderr: the test harness captures `eprintln!` of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "skipped {test}: MONC_PYTHON is not set; scripts/test.sh sets it to a venv with \
             Datadog's official Python client and runs this test"
        );
    }
    python
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/official_client.py")
}

fn assert_script_passed(python: &str, code: Option<i32>, output: &str) {
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
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
        .unwrap_or_else(|error| {
            panic!("cannot run MONC_PYTHON={python:?} ({error}); run scripts/test.sh")
        });
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
    let Some(python) = python("official_python_client_works_against_the_emulator") else {
        return;
    };
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    let base_url = emulator.base_url();
    let interpreter = python.clone();
    let (code, output) = tokio::task::spawn_blocking(move || {
        run_script(&interpreter, &script(), &base_url, Duration::from_secs(120))
    })
    .await
    .expect("script runner");
    assert_script_passed(&python, code, &output);
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

#[test]
fn official_python_client_works_against_the_monc_emulator_command() {
    let Some(python) = python("official_python_client_works_against_the_monc_emulator_command")
    else {
        return;
    };
    let child = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["emulator", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("monc emulator starts");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout");
    let first = BufReader::new(stdout)
        .lines()
        .next()
        .expect("a line")
        .expect("utf-8");
    let base_url = first.split_whitespace().last().expect("url").to_owned();
    let (code, output) = run_script(&python, &script(), &base_url, Duration::from_secs(120));
    assert_script_passed(&python, code, &output);
}
