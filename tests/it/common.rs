//! Helpers shared by the reliability tests: project copies, generated tenants, org checks.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use monc::datadog::{Client, ClientOptions, Credentials};
use monc::load::LoadOptions;
use monc::plan::live::plan_against_org;
use monc::plan::{LiveMonitor, Ownership, Plan};
use monc::sync::{ApplyOptions, Report, apply};
use monc_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use serde_json::Value;

/// A copy of the reference setup under `CARGO_TARGET_TMPDIR/<group>/<name>`.
pub(crate) fn reference_copy(group: &str, name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["monitors", "tenants"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        for entry in std::fs::read_dir(root.join(sub)).expect("read").flatten() {
            std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name())).expect("copy");
        }
    }
    std::fs::copy(root.join("monc.hcl"), dir.join("monc.hcl")).expect("copy monc.hcl");
    dir
}

/// The `monc` binary run in `dir`, without colour and without credentials or an org from the
/// environment.
pub(crate) fn monc_in(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("monc").expect("binary");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY")
        .env_remove("MONC_ORG");
    cmd
}

/// SplitMix64, so every run is reproducible from its seed without a `rand` dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// One tenant block on a reference cluster, with seeded thresholds.
pub(crate) fn tenant_hcl(name: &str, rng: &mut Rng) -> String {
    let cluster = ["prod-tokyo-1", "prod-osaka-1"][rng.below(2) as usize];
    let latency = 0.3 + rng.below(20) as f64 / 10.0;
    let error_rate = (1 + rng.below(9)) as f64 / 100.0;
    format!(
        r#"tenant "{name}" {{
  cluster = "{cluster}"
  notify  = ["@slack-{name}-oncall"]
  vars = {{
    service        = "{name}-api"
    hostname       = "{name}.example-saas.com"
    p95_latency_s  = {latency}
    error_rate_max = {error_rate}
  }}
}}
"#
    )
}

/// Writes `count` generated tenants to `tenants/generated.hcl` (removes the file for 0).
pub(crate) fn write_generated_tenants(dir: &Path, prefix: &str, count: usize, rng: &mut Rng) {
    let path = dir.join("tenants/generated.hcl");
    if count == 0 {
        let _ = std::fs::remove_file(path);
        return;
    }
    let text: String = (0..count)
        .map(|i| tenant_hcl(&format!("{prefix}{i}"), rng))
        .collect();
    std::fs::write(path, text).expect("write tenants");
}

pub(crate) fn ownership() -> Ownership {
    Ownership::of(&monc::model::Project::default())
}

/// The keys the compiled config wants in the org.
pub(crate) fn desired_keys(dir: &Path) -> BTreeSet<String> {
    let checked = monc::check(&LoadOptions::in_dir(dir)).expect("loads");
    assert!(!checked.diagnostics.has_errors(), "config has errors");
    checked
        .emitted()
        .iter()
        .map(|d| d.key.to_string())
        .collect()
}

/// An emulator on a free loopback port and a client for it.
pub(crate) async fn start() -> (EmulatorHandle, Client) {
    start_with(EmulatorConfig::default()).await
}

/// Like [`start`], with the emulator configured as given (its port is always a free one).
pub(crate) async fn start_with(config: EmulatorConfig) -> (EmulatorHandle, Client) {
    let emulator = Emulator::start(EmulatorConfig { port: 0, ..config })
        .await
        .expect("emulator");
    let client = Client::new(
        &emulator.base_url(),
        &Credentials::new("k", "a"),
        ClientOptions::default(),
    )
    .expect("client");
    (emulator, client)
}

/// Reads the org and plans the config against it.
pub(crate) async fn make_plan(
    dir: &Path,
    client: &Client,
) -> Result<(Plan, Vec<LiveMonitor>), String> {
    plan_tenants(dir, client, &[]).await
}

/// Like [`make_plan`], for a staged rollout of `tenants` (all when empty).
pub(crate) async fn plan_tenants(
    dir: &Path,
    client: &Client,
    tenants: &[String],
) -> Result<(Plan, Vec<LiveMonitor>), String> {
    let checked = monc::check(&LoadOptions::in_dir(dir)).map_err(|e| format!("{e:?}"))?;
    assert!(!checked.diagnostics.has_errors(), "config has errors");
    let org = plan_against_org(client, &checked, &ownership(), tenants)
        .await
        .map_err(|e| e.to_string())?;
    Ok((org.plan, org.live))
}

/// What `apply` needs, with backups under `dir`.
pub(crate) fn apply_options(dir: &Path, prune: bool) -> ApplyOptions {
    ApplyOptions {
        ownership: ownership(),
        prune,
        backup_dir: dir.join(".monc/backups"),
        progress: Arc::new(|_, _, _| {}),
        cancel: Default::default(),
        validate_first: true,
        validating: monc::sync::no_progress(),
    }
}

/// One sync; Err when the org could not even be read.
pub(crate) async fn try_sync(dir: &Path, client: &Client, prune: bool) -> Result<Report, String> {
    let (plan, live) = make_plan(dir, client).await?;
    Ok(apply(client, &plan, &live, &apply_options(dir, prune)).await)
}

/// A sync that must succeed completely.
pub(crate) async fn sync(dir: &Path, client: &Client, prune: bool) -> Report {
    sync_tenants(dir, client, prune, &[]).await
}

/// A sync of `tenants` (all when empty) that must succeed completely.
pub(crate) async fn sync_tenants(
    dir: &Path,
    client: &Client,
    prune: bool,
    tenants: &[String],
) -> Report {
    let (plan, live) = plan_tenants(dir, client, tenants)
        .await
        .expect("org readable");
    let report = apply(client, &plan, &live, &apply_options(dir, prune)).await;
    let failures: Vec<_> = report.failures().collect();
    assert!(failures.is_empty(), "sync failed: {failures:#?}");
    report
}

/// The id of the owned monitor with `key`.
pub(crate) fn id_of(emulator: &EmulatorHandle, key: &str) -> i64 {
    emulator
        .monitors()
        .iter()
        .find(|m| key_of(m).as_deref() == Some(key))
        .and_then(|m| m["id"].as_i64())
        .unwrap_or_else(|| panic!("{key} not in the org"))
}

/// `monc-key` tag values of every monitor in the org, one entry per monitor.
pub(crate) fn keys_in_org(emulator: &EmulatorHandle) -> Vec<String> {
    let mut keys: Vec<String> = emulator
        .monitors()
        .iter()
        .filter(|m| is_owned(m))
        .filter_map(key_of)
        .collect();
    keys.sort();
    keys
}

pub(crate) fn is_owned(monitor: &Value) -> bool {
    tags(monitor).any(|t| t == "managed-by:monc")
}

pub(crate) fn key_of(monitor: &Value) -> Option<String> {
    tags(monitor).find_map(|t| t.strip_prefix("monc-key:").map(String::from))
}

fn tags(monitor: &Value) -> impl Iterator<Item = &str> {
    monitor["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Keys that appear on more than one owned monitor.
pub(crate) fn duplicate_keys(emulator: &EmulatorHandle) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for key in keys_in_org(emulator) {
        *counts.entry(key).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect()
}

/// Composites whose query names an ID that is not in the org: "name → missing id".
pub(crate) fn dangling_composites(emulator: &EmulatorHandle) -> Vec<String> {
    let monitors = emulator.monitors();
    let ids: HashSet<i64> = monitors.iter().filter_map(|m| m["id"].as_i64()).collect();
    monitors
        .iter()
        .filter(|m| m["type"] == "composite")
        .flat_map(|m| {
            let query = m["query"].as_str().unwrap_or_default();
            let referenced = monc_emulator::composite_ids(query).unwrap_or_default();
            referenced
                .into_iter()
                .filter(|id| !ids.contains(id))
                .map(|id| format!("{} → {id}", m["name"]))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The `monc` binary run in `dir` against the org at `url` (`--api-url`), without colour.
pub(crate) fn monc_at(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("monc")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env_remove("MONC_ORG")
        .args(args)
        .args(["--api-url", url])
        .output()
        .expect("runs")
}

/// Everything a run printed, standard output first.
pub(crate) fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `monc diff --format json`: its exit code and the plan (null if it printed none).
pub(crate) fn diff_json(dir: &Path, url: &str) -> (Option<i32>, Value) {
    let output = monc_at(dir, url, &["diff", "--format", "json"]);
    let plan = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), plan)
}

/// The changes of a JSON plan with this action.
pub(crate) fn changes_of<'a>(plan: &'a Value, action: &str) -> Vec<&'a Value> {
    plan["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["action"] == action)
        .collect()
}

/// An emulator on a free loopback port, started on `runtime` (for tests that run the binary).
pub(crate) fn start_on(runtime: &tokio::runtime::Runtime) -> EmulatorHandle {
    runtime
        .block_on(Emulator::start(EmulatorConfig {
            port: 0,
            ..EmulatorConfig::default()
        }))
        .expect("emulator")
}

/// A stand-in for a forward proxy on loopback: records what each connection sends first and
/// answers every request with an empty monitor listing (so a proxied diff would plan the whole
/// config).
pub(crate) fn fake_proxy(runtime: &tokio::runtime::Runtime) -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = received.clone();
    runtime.spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
                log.lock().expect("log").push(head);
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                          content-length: 2\r\nconnection: close\r\n\r\n[]",
                    )
                    .await;
            });
        }
    });
    (url, received)
}

/// Every spelling of the proxy variables reqwest and curl read, each set to `proxy`.
pub(crate) fn proxy_env(proxy: &str) -> Vec<(&'static str, String)> {
    [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .into_iter()
    .map(|name| (name, proxy.to_string()))
    .collect()
}
