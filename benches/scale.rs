//! `scripts/bench.sh` (or `cargo bench --bench scale`): generates synthetic configurations and
//! measures monc against the in-process emulator over loopback, printing a Markdown table.
//!
//! Sections (env `MONC_BENCH=compile,few-clusters,for-each,diff,sync,import,errors`, all by
//! default):
//! - compile: `monc::check` for 10 → 1,000 tenants × 20 L3 templates on 50 clusters × 10 L2
//!   templates + 10 L0, each size in a fresh child process so its peak RSS is its own.
//! - few-clusters: the same for 1,000 → 4,000 tenants on only 2 clusters (2,000 tenants per
//!   cluster): compile time must stay linear in tenants however they are spread.
//! - for-each: the compile shape with its L3 templates written as Terraform writes them,
//!   `for_each = { for t in tenants : t.name => t }` with `each.key`/`each.value`, and a typed
//!   tenant schema (`tenant_vars` with a type, a default and a validation), 1,000 → 4,000
//!   tenants: must stay linear.
//! - diff: an org of ~10,000 owned + 5,000 foreign monitors, 50 ms latency per request; monc's
//!   diff (in process and the `monc diff` binary) beside DogPush's, if `MONC_DOGPUSH` names it.
//! - sync: from empty under a rate limit, against the N requests / rate lower bound; then a
//!   no-op re-sync.
//! - import: `monc::import::build` with tenant detection on the migrated Terraform pattern (per
//!   tenant: errors and latency monitors and a composite `(errors || latency) && !db && !region`),
//!   1,000 → 8,000 tenants: must stay linear.
//! - errors: `monc validate` with one tenant var missing in every tenant, 1,000 → 8,000 tenants
//!   beside the valid config: the error path must stay as linear as the happy path.
//! - review: `monc review` (the binary, under `/usr/bin/time`) over 10,010 owned monitors and a
//!   month of history of at least 1,000,000 events laid down on the emulator; its peak RSS
//!   must not grow with the events (the history is streamed into per-monitor counters).
//! - lsp: `monc lsp` over stdio (real JSON-RPC framing): the time from a `didChange` to the
//!   `publishDiagnostics` it causes, on the reference setup and on 1,000 tenants; and a burst
//!   of edits, which the debounce and cancellation must turn into one late check, not many.
//! - side-by-side (only when asked for): `monc validate` beside a baseline commit's, 41,010 and
//!   201,010 objects, 1 thread and all threads, with the parse-only floor (see
//!   [`side_by_side`]).

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark stops at the first failure and prints its table"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use monc::datadog::{Client, ClientOptions, Credentials};
use monc::load::LoadOptions;
use monc::plan::live::{live_from_wire, read_owned};
use monc::plan::{Ownership, plan};
use monc::sync::{ApplyOptions, apply};
use monc_emulator::{
    Emulator, EmulatorConfig, EmulatorHandle, FaultConfig, MonitorStatus, StateChange,
};
use serde_json::json;

#[path = "../tests/support/lsp_client.rs"]
#[allow(
    dead_code,
    reason = "the tests use more of the client than the benchmark does"
)]
mod lsp_client;
#[path = "scale/side_by_side.rs"]
mod side_by_side;

/// Shape of a generated project.
#[derive(Debug, Clone, Copy)]
struct Shape {
    tenants: usize,
    clusters: usize,
    l0: usize,
    l2_templates: usize,
    l3_templates: usize,
    /// L3 templates over a map built from the tenants, and tenant vars declared with types.
    map_for_each: bool,
}

impl Shape {
    fn issue(tenants: usize) -> Shape {
        Shape {
            tenants,
            clusters: 50,
            l0: 10,
            l2_templates: 10,
            l3_templates: 20,
            map_for_each: false,
        }
    }

    /// The issue's shape, its L3 templates fanned out over a map and its tenant vars typed.
    fn map_for_each(tenants: usize) -> Shape {
        Shape {
            map_for_each: true,
            ..Shape::issue(tenants)
        }
    }

    /// Many tenants on few clusters: what a context per tenant carrying its cluster's whole
    /// tenant list made quadratic.
    fn few_clusters(tenants: usize) -> Shape {
        Shape {
            clusters: 2,
            ..Shape::issue(tenants)
        }
    }

    fn raw_monitors(&self) -> usize {
        self.l0 + self.clusters * self.l2_templates + self.tenants * self.l3_templates
    }

    fn composites(&self) -> usize {
        self.clusters * self.l2_templates + self.tenants * self.l3_templates
    }
}

fn write_project(dir: &Path, shape: Shape) -> std::io::Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("tenants"))?;
    std::fs::create_dir_all(dir.join("monitors"))?;
    std::fs::write(
        dir.join("monc.hcl"),
        "owner_tag = \"managed-by:monc\"\ndefault_tags = [\"team:sre\"]\nnotify = [\"@pagerduty-platform\"]\n",
    )?;
    std::fs::write(dir.join("tenants/clusters.hcl"), clusters_hcl(shape))?;
    std::fs::write(dir.join("tenants/tenants.hcl"), tenants_hcl(shape))?;
    std::fs::write(dir.join("monitors/l0.hcl"), l0_hcl(shape))?;
    std::fs::write(dir.join("monitors/l2.hcl"), l2_hcl(shape))?;
    std::fs::write(dir.join("monitors/l3.hcl"), l3_hcl(shape))
}

fn clusters_hcl(shape: Shape) -> String {
    let mut text = String::new();
    for c in 0..shape.clusters {
        let _ = writeln!(
            text,
            "cluster \"c{c}\" {{\n  region = \"r{}\"\n  notify = [\"@pagerduty-infra-{c}\"]\n  vars = {{ db = \"db-{c}\" }}\n}}",
            c % 4
        );
    }
    text
}

/// Declared tenant vars: a string, and a number with a default and a validation.
const TENANT_SCHEMA: &str = r#"tenant_vars {
  variable "service" {
    type = string
  }
  variable "limit" {
    type    = number
    default = 5
    validation {
      condition     = var.limit > 0
      error_message = "limit must be positive."
    }
  }
}
"#;

fn tenants_hcl(shape: Shape) -> String {
    let mut text = String::new();
    if shape.map_for_each {
        text.push_str(TENANT_SCHEMA);
    }
    for t in 0..shape.tenants {
        let _ = writeln!(
            text,
            "tenant \"t{t}\" {{\n  cluster = \"c{}\"\n  notify = [\"@slack-t{t}\"]\n  vars = {{ service = \"svc-{t}\", limit = {} }}\n}}",
            t % shape.clusters,
            1 + t % 7
        );
    }
    text
}

fn l0_hcl(shape: Shape) -> String {
    let mut text = String::new();
    for i in 0..shape.l0 {
        let _ = writeln!(
            text,
            "monitor \"p{i}\" {{\n  tier = \"L0\"\n  name = \"[platform] signal {i}\"\n  type = \"metric alert\"\n  query = \"avg(last_5m):avg:platform.signal_{i}{{env:prod}} > 5\"\n  message = \"Platform signal {i} is degraded.\"\n  priority = 1\n}}"
        );
    }
    text
}

fn l2_hcl(shape: Shape) -> String {
    let mut text = String::new();
    for i in 0..shape.l2_templates {
        let _ = writeln!(
            text,
            "monitor \"s{i}\" {{\n  tier = \"L2\"\n  for_each = clusters\n  name = \"[${{cluster.name}}] shared {i}\"\n  type = \"metric alert\"\n  query = \"avg(last_10m):avg:infra.metric_{i}{{db:${{cluster.vars.db}}}} > 90\"\n  message = \"Shared metric {i} on ${{cluster.name}} is high.\"\n  priority = 2\n  suppressed_by = [monitor.p0, monitor.p{}]\n}}",
            (i + 1) % shape.l0
        );
    }
    text
}

fn l3_hcl(shape: Shape) -> String {
    if shape.map_for_each {
        return l3_map_hcl(shape);
    }
    let mut text = String::new();
    for i in 0..shape.l3_templates {
        let _ = writeln!(
            text,
            "monitor \"u{i}\" {{\n  tier = \"L3\"\n  for_each = tenants\n  name = \"[${{tenant.name}}] service {i}\"\n  type = \"query alert\"\n  query = \"avg(last_5m):avg:app.metric_{i}{{service:${{tenant.vars.service}}}} > ${{tenant.vars.limit}}\"\n  message = \"Metric {i} of ${{tenant.vars.service}} is above ${{tenant.vars.limit}}.\"\n  tags = [\"service:${{tenant.vars.service}}\"]\n  priority = 3\n  suppressed_by = [monitor.s{}[tenant.cluster], monitor.s{}[tenant.cluster], monitor.p0]\n}}",
            i % shape.l2_templates,
            (i + 3) % shape.l2_templates
        );
    }
    text
}

/// The L3 templates of [`l3_hcl`], over a map of the tenants by name.
fn l3_map_hcl(shape: Shape) -> String {
    let mut text = String::new();
    for i in 0..shape.l3_templates {
        let _ = writeln!(
            text,
            "monitor \"u{i}\" {{\n  tier = \"L3\"\n  for_each = {{ for t in tenants : t.name => t }}\n  name = \"[${{each.key}}] service {i}\"\n  type = \"query alert\"\n  query = \"avg(last_5m):avg:app.metric_{i}{{service:${{each.value.vars.service}}}} > ${{each.value.vars.limit}}\"\n  message = \"Metric {i} of ${{each.value.vars.service}} is above ${{each.value.vars.limit}}.\"\n  tags = [\"service:${{each.value.vars.service}}\"]\n  priority = 3\n  suppressed_by = [monitor.s{}[each.value.cluster], monitor.s{}[each.value.cluster], monitor.p0]\n}}",
            i % shape.l2_templates,
            (i + 3) % shape.l2_templates
        );
    }
    text
}

fn work_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench")
        .join(name)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Child mode: check the project in DIR 3 times; print "best_seconds peak_mb monitors composites".
fn measure_check(dir: &Path) {
    let mut best = Duration::MAX;
    let mut counts = (0, 0);
    for _ in 0..3 {
        let started = Instant::now();
        let Ok(checked) = monc::check(&LoadOptions::in_dir(dir)) else {
            println!("error");
            return;
        };
        best = best.min(started.elapsed());
        if checked.diagnostics.has_errors() {
            println!("error: the generated config has errors");
            return;
        }
        counts = (checked.graph.monitors.len(), checked.graph.composites.len());
    }
    println!(
        "{} {} {} {}",
        best.as_secs_f64(),
        peak_rss_mb(),
        counts.0,
        counts.1
    );
}

fn compile_section(out: &mut String, title: &str, sizes: &[usize], shape: fn(usize) -> Shape) {
    let _ = writeln!(
        out,
        "\n### Compile + validate (`monc::check`, best of 3, fresh process per size): {title}\n\n| tenants | monitors | composites | time | per tenant | peak RSS | `monc validate` wall |\n|---:|---:|---:|---:|---:|---:|---:|"
    );
    for &tenants in sizes {
        let shape = shape(tenants);
        let kind = if shape.map_for_each { "-map" } else { "" };
        let dir = work_dir(&format!("compile{kind}-{tenants}-on-{}", shape.clusters));
        if let Err(error) = write_project(&dir, shape) {
            let _ = writeln!(out, "| {tenants} | cannot write project: {error} |");
            continue;
        }
        let line = child_check(&dir);
        let fields: Vec<f64> = line
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        let [seconds, mb, monitors, composites] = fields[..] else {
            let _ = writeln!(out, "| {tenants} | failed: {line} |");
            continue;
        };
        let _ = writeln!(
            out,
            "| {tenants} | {monitors} | {composites} | {:.0} ms | {:.2} ms | {mb:.0} MB | {} |",
            seconds * 1000.0,
            seconds * 1000.0 / tenants as f64,
            validate_wall(&dir)
        );
    }
}

fn child_check(dir: &Path) -> String {
    let Ok(me) = std::env::current_exe() else {
        return "no current exe".into();
    };
    match Command::new(me).arg("--measure-check").arg(dir).output() {
        Ok(output) => String::from_utf8_lossy(&output.stdout).trim().to_string(),
        Err(error) => error.to_string(),
    }
}

/// Wall time of the real binary, process start to exit.
fn validate_wall(dir: &Path) -> String {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["validate", "--dir"])
        .arg(dir)
        .output();
    match status {
        Ok(output) if output.status.success() => {
            format!("{:.0} ms", started.elapsed().as_secs_f64() * 1000.0)
        }
        Ok(output) => format!("exit {:?}", output.status.code()),
        Err(error) => error.to_string(),
    }
}

/// `monc validate` on the issue's shape with one var missing in every tenant (the first L3
/// template uses `tenant.vars.owner`, which no tenant has), beside the valid config: the error
/// path must stay as linear as the happy path.
fn errors_section(out: &mut String) {
    out.push_str("\n### `monc validate` with one tenant var missing in all tenants (wall, fresh process)\n\n| tenants | monitors | valid | one var missing | per tenant (missing) |\n|---:|---:|---:|---:|---:|\n");
    for tenants in [1000, 2000, 4000, 8000] {
        let shape = Shape::issue(tenants);
        let dir = work_dir(&format!("errors-{tenants}"));
        if let Err(error) = write_project(&dir, shape) {
            let _ = writeln!(out, "| {tenants} | cannot write project: {error} |");
            continue;
        }
        let valid = validate_seconds(&dir, true);
        let l3 = dir.join("monitors/l3.hcl");
        let broken = std::fs::read_to_string(&l3).map(|text| {
            text.replacen(
                "is above ${tenant.vars.limit}.\"",
                "is above ${tenant.vars.limit}. Owner: ${tenant.vars.owner}\"",
                1,
            )
        });
        if let Err(error) = broken.and_then(|text| std::fs::write(&l3, text)) {
            let _ = writeln!(out, "| {tenants} | cannot write project: {error} |");
            continue;
        }
        let missing = validate_seconds(&dir, false);
        let show = |seconds: Option<f64>| {
            seconds.map_or("failed".to_string(), |s| format!("{:.0} ms", s * 1000.0))
        };
        let _ = writeln!(
            out,
            "| {tenants} | {} | {} | {} | {} |",
            shape.raw_monitors(),
            show(valid),
            show(missing),
            missing.map_or("-".to_string(), |s| format!(
                "{:.2} ms",
                s * 1000.0 / tenants as f64
            ))
        );
    }
}

/// Wall time of `monc validate` on `dir`, when it exits as expected (0 when `valid`, else 1
/// with exactly one error).
fn validate_seconds(dir: &Path, valid: bool) -> Option<f64> {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["validate", "--format", "short", "--dir"])
        .arg(dir)
        .output()
        .ok()?;
    let seconds = started.elapsed().as_secs_f64();
    let errors = String::from_utf8_lossy(&output.stdout)
        .matches(": error[")
        .count();
    let expected = if valid { (Some(0), 0) } else { (Some(1), 1) };
    ((output.status.code(), errors) == expected).then_some(seconds)
}

fn ownership() -> Ownership {
    Ownership::of(&monc::model::Project::default())
}

fn client(emulator: &EmulatorHandle, options: ClientOptions) -> Client {
    Client::new(&emulator.base_url(), &Credentials::new("k", "a"), options).expect("client")
}

/// Plans and applies; returns (changes applied, failures).
async fn sync_dir(dir: &Path, client: &Client) -> (usize, usize) {
    let checked = monc::check(&LoadOptions::in_dir(dir)).expect("config loads");
    let desired = checked.emitted();
    let live_wire = read_owned(client, &ownership()).await.expect("list");
    let live: Vec<_> = live_wire.iter().filter_map(live_from_wire).collect();
    let plan = plan(desired, &live, &ownership());
    let options = ApplyOptions {
        ownership: ownership(),
        prune: false,
        backup_dir: dir.join(".monc/backups"),
        progress: Arc::new(|_, _, _| {}),
        cancel: Default::default(),
        validate_first: true,
        validating: monc::sync::no_progress(),
    };
    let report = apply(client, &plan, &live, &options).await;
    (report.outcomes.len(), report.failures().count())
}

fn insert_foreign(emulator: &EmulatorHandle, count: usize) {
    for i in 0..count {
        let monitor = json!({
            "name": format!("hand made {i}"), "type": "metric alert",
            "query": format!("avg(last_5m):avg:team.metric_{i}{{*}} > 90"),
            "message": "made in the UI", "tags": ["team:web"],
            "options": {"thresholds": {"critical": 90}},
        });
        let _ = emulator.insert_monitor(monitor);
    }
}

async fn diff_section(out: &mut String) {
    // 10 + 500 + 40 × 225 = 10,010 owned monitors.
    let shape = Shape::issue(225);
    let dir = work_dir("diff");
    write_project(&dir, shape).expect("project");
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let fill = client(&emulator, ClientOptions::default());
    let started = Instant::now();
    let (created, failed) = sync_dir(&dir, &fill).await;
    let fill_time = started.elapsed();
    insert_foreign(&emulator, 5000);
    let owned = shape.raw_monitors() + shape.composites();
    emulator.set_faults(FaultConfig {
        latency: Duration::from_millis(50),
        ..FaultConfig::default()
    });
    let _ = writeln!(
        out,
        "\n### Diff: {owned} owned + 5,000 foreign monitors, 50 ms latency per request\n\n(org filled by one sync without latency: {created} creates, {failed} failed, {:.1} s)\n\n| tool | wall | HTTP requests | expected |\n|---|---:|---:|---|",
        fill_time.as_secs_f64()
    );
    let page_size = ClientOptions::default().page_size as usize;
    let expected = owned.div_ceil(page_size) + usize::from(owned.is_multiple_of(page_size));
    emulator.clear_requests();
    let differ = client(&emulator, ClientOptions::default());
    let started = Instant::now();
    let checked = monc::check(&LoadOptions::in_dir(&dir)).expect("config");
    let desired = checked.emitted();
    let live_wire = read_owned(&differ, &ownership()).await.expect("list");
    let live: Vec<_> = live_wire.iter().filter_map(live_from_wire).collect();
    let diff = plan(desired, &live, &ownership());
    let wall = started.elapsed();
    let _ = writeln!(
        out,
        "| monc (in process: check + list + plan; {} changes) | {:.2} s | {} | ceil({owned}/{page_size}) = {expected} |",
        diff.changes
            .iter()
            .filter(|c| c.action != monc::plan::Action::Unchanged)
            .count(),
        wall.as_secs_f64(),
        emulator.requests().len()
    );
    emulator.clear_requests();
    let (wall, exit) = monc_diff_binary(&dir, &emulator.base_url());
    let _ = writeln!(
        out,
        "| `monc diff --api-url` (binary, exit {exit}) | {:.2} s | {} | {expected} |",
        wall.as_secs_f64(),
        emulator.requests().len()
    );
    dogpush_row(out, &dir, desired, &emulator);
    let _ = writeln!(
        out,
        "| Terraform (documented, not run) | ≥ {owned} × 50 ms / parallelism 10 ≈ {:.0} s | {owned} (one GET per monitor on refresh) | |",
        owned as f64 * 0.05 / 10.0
    );
}

/// 2026-11-01T00:00:00Z, the start of the reviewed month.
const REVIEW_FROM_MS: i64 = 1_793_491_200_000;
const REVIEW_DAYS: i64 = 30;

/// A month of history laid down in time order: every cycle flips `PER_CYCLE` seeded L3
/// monitors (and, one cycle in 50, a cluster's first shared monitor), cycles spread evenly
/// over the month for `target` events in all.
struct MonthOfHistory {
    l3: Vec<i64>,
    l2: Vec<i64>,
    alerting: std::collections::HashSet<i64>,
    seed: u64,
    cycle: i64,
    cycles: i64,
}

const PER_CYCLE: usize = 500;

impl MonthOfHistory {
    /// All raw monitors OK at the start of the month.
    fn start(emulator: &EmulatorHandle, dir: &Path, target: usize) -> MonthOfHistory {
        let checked = monc::check(&LoadOptions::in_dir(dir)).expect("config");
        let ids: std::collections::HashMap<String, i64> = emulator
            .monitors()
            .iter()
            .filter_map(|m| {
                let key = m["tags"]
                    .as_array()?
                    .iter()
                    .find_map(|t| t.as_str()?.strip_prefix("monc-key:"))?;
                Some((key.to_owned(), m["id"].as_i64()?))
            })
            .collect();
        let ids_of = |wanted: &dyn Fn(&str) -> bool| -> Vec<i64> {
            checked
                .graph
                .monitors
                .iter()
                .filter(|m| m.composite.is_none() && wanted(&m.key))
                .filter_map(|m| ids.get(m.key.as_str()).copied())
                .collect()
        };
        let all_ok: Vec<StateChange> = ids_of(&|_| true)
            .into_iter()
            .map(|id| change(id, MonitorStatus::Ok))
            .collect();
        emulator
            .set_states_at(&all_ok, Some(REVIEW_FROM_MS))
            .expect("set");
        MonthOfHistory {
            l3: ids_of(&|key| key.starts_with("l3/")),
            l2: ids_of(&|key| key.starts_with("l2/s0/")),
            alerting: std::collections::HashSet::new(),
            seed: 7,
            cycle: 0,
            // About two events per L3 flip: the monitor's and its composite's.
            cycles: (target / (2 * PER_CYCLE)).max(1) as i64,
        }
    }

    fn next(&mut self) -> usize {
        self.seed = self
            .seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (self.seed >> 33) as usize
    }

    fn flip(&mut self, id: i64) -> StateChange {
        let status = if self.alerting.remove(&id) {
            MonitorStatus::Ok
        } else {
            self.alerting.insert(id);
            MonitorStatus::Alert
        };
        change(id, status)
    }

    /// Cycles until the emulator's log holds `events` events.
    fn grow_to(&mut self, emulator: &EmulatorHandle, events: usize) {
        let step_ms = (REVIEW_DAYS * 86_400_000 - 120_000) / self.cycles;
        while emulator.event_count() < events {
            self.cycle += 1;
            let at = REVIEW_FROM_MS + 60_000 + self.cycle.min(self.cycles) * step_ms + self.cycle;
            let mut changes = Vec::with_capacity(PER_CYCLE + 1);
            for _ in 0..PER_CYCLE {
                let pick = self.next() % self.l3.len();
                let id = self.l3[pick];
                changes.push(self.flip(id));
            }
            if self.cycle % 50 == 0 {
                let pick = self.next() % self.l2.len();
                let id = self.l2[pick];
                changes.push(self.flip(id));
            }
            changes.sort_by_key(|c| c.monitor_id);
            changes.dedup_by_key(|c| c.monitor_id);
            emulator.set_states_at(&changes, Some(at)).expect("set");
        }
    }
}

fn change(monitor_id: i64, status: MonitorStatus) -> StateChange {
    StateChange {
        monitor_id,
        group: None,
        status,
    }
}

/// `monc review` as a child under `/usr/bin/time`: (wall seconds, peak RSS MB, exit code).
fn timed_review(dir: &Path, url: &str, output: &Path) -> Result<(f64, f64, i32), String> {
    let to = "2026-12-01T00:00:00Z";
    let result = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(env!("CARGO_BIN_EXE_monc"))
        .args([
            "review",
            "--from",
            "2026-11-01",
            "--to",
            to,
            "--format",
            "json",
        ])
        .arg("--output")
        .arg(output)
        .arg("--dir")
        .arg(dir)
        .args(["--api-url", url])
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .output()
        .map_err(|e| format!("/usr/bin/time: {e}"))?;
    let stderr = String::from_utf8_lossy(&result.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let fields: Vec<f64> = last
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match fields[..] {
        [wall, kb] => Ok((wall, kb / 1024.0, result.status.code().unwrap_or(-1))),
        _ => Err(stderr.into_owned()),
    }
}

/// `monc review` on the diff section's org (10,010 owned monitors) with 100,000 and then
/// 1,000,000+ events: the peak RSS must stay flat while the events grow tenfold.
async fn review_section(out: &mut String) {
    let shape = Shape::issue(225);
    let dir = work_dir("review");
    write_project(&dir, shape).expect("project");
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let (created, failed) = sync_dir(&dir, &client(&emulator, ClientOptions::default())).await;
    let _ = writeln!(
        out,
        "
### `monc review` over a month of history ({} owned monitors: {created} created, {failed} failed)

| events in the month | laid down in | `monc review` wall | peak RSS | report |
|---:|---:|---:|---:|---|",
        shape.raw_monitors() + shape.composites()
    );
    let mut history = MonthOfHistory::start(&emulator, &dir, 1_000_000);
    for events in [100_000, 1_000_000] {
        let started = Instant::now();
        history.grow_to(&emulator, events);
        let laid = started.elapsed();
        let report = dir.join("review.json");
        let row = match timed_review(&dir, &emulator.base_url(), &report) {
            Ok((wall, mb, 0)) => {
                let review: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&report).unwrap_or_default())
                        .unwrap_or_default();
                format!(
                    "{wall:.1} s | {mb:.0} MB | {} events read; pages {} → {} ({}%)",
                    review["events_read"],
                    review["suppression"]["pages_without"],
                    review["suppression"]["pages_with"],
                    review["suppression"]["reduction_percent"]
                )
            }
            Ok((wall, mb, code)) => format!("{wall:.1} s | {mb:.0} MB | exit {code}"),
            Err(error) => format!("| | failed: {error}"),
        };
        let _ = writeln!(
            out,
            "| {} | {:.1} s (so far) | {row} |",
            emulator.event_count(),
            laid.as_secs_f64()
        );
    }
}

fn monc_diff_binary(dir: &Path, url: &str) -> (Duration, String) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["diff", "--format", "json", "--api-url", url, "--dir"])
        .arg(dir)
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .output();
    let exit = match output {
        Ok(output) => format!("{:?}", output.status.code().unwrap_or(-1)),
        Err(error) => error.to_string(),
    };
    (started.elapsed(), exit)
}

/// DogPush (Python 2) with the same monitors in its YAML rules, if `MONC_DOGPUSH` is
/// "python2.7:/path/to/site-packages".
fn dogpush_row(
    out: &mut String,
    dir: &Path,
    desired: &[monc::emit::EmittedMonitor],
    emulator: &EmulatorHandle,
) {
    let Some((python, site)) = std::env::var("MONC_DOGPUSH").ok().and_then(|v| {
        v.split_once(':')
            .map(|(a, b)| (a.to_string(), b.to_string()))
    }) else {
        let _ = writeln!(out, "| DogPush | not run (set MONC_DOGPUSH) | | |");
        return;
    };
    let rules: Vec<serde_json::Value> = desired
        .iter()
        .map(|d| {
            let body = &d.body;
            json!({"name": body.name, "type": body.monitor_type, "query": body.query.render(|k| k.to_string()),
                   "message": body.message, "tags": body.tags, "options": body.options})
        })
        .collect();
    let dogpush_dir = dir.join("dogpush");
    let _ = std::fs::create_dir_all(&dogpush_dir);
    // JSON is YAML; DogPush reads `alerts:` lists from its rule files.
    let _ = std::fs::write(
        dogpush_dir.join("rules.yaml"),
        json!({ "alerts": rules }).to_string(),
    );
    let config = json!({
        "datadog": {"api_key": "k", "app_key": "a", "api_host": emulator.base_url()},
        "rule_files": ["rules.yaml"],
    });
    let _ = std::fs::write(dogpush_dir.join("config.yaml"), config.to_string());
    emulator.clear_requests();
    let started = Instant::now();
    let output = Command::new(&python)
        .arg(Path::new(&site).join("dogpush/dogpush.py"))
        .arg("-c")
        .arg(dogpush_dir.join("config.yaml"))
        .args(["diff", "--ignore_untracked"])
        .env("PYTHONPATH", &site)
        .output();
    let wall = started.elapsed();
    let exit = match &output {
        Ok(output) => format!("{}", output.status.code().unwrap_or(-1)),
        Err(error) => error.to_string(),
    };
    if let Ok(output) = &output {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() && !stderr.trim().is_empty() {
            eprintln!("dogpush stderr (last lines):");
            for line in stderr.lines().rev().take(5) {
                eprintln!("  {line}");
            }
        }
    }
    let _ = writeln!(
        out,
        "| DogPush 0.3.4 `diff` (exit {exit}) | {:.2} s | {} | 1 unpaginated GET of all 15,010 monitors |",
        wall.as_secs_f64(),
        emulator.requests().len()
    );
}

async fn sync_section(out: &mut String) {
    // 10 + 50 + 100 raw, 50 + 100 composites = 310 creates.
    let shape = Shape {
        tenants: 5,
        clusters: 5,
        l0: 10,
        l2_templates: 10,
        l3_templates: 20,
        map_for_each: false,
    };
    let dir = work_dir("sync");
    write_project(&dir, shape).expect("project");
    let (limit, period) = (100u32, Duration::from_secs(2));
    let emulator = Emulator::start(EmulatorConfig {
        rate_limit: Some((limit, period)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let syncer = client(&emulator, ClientOptions::default());
    let started = Instant::now();
    let (applied, failed) = sync_dir(&dir, &syncer).await;
    let wall = started.elapsed();
    let requests = emulator.requests();
    let rejected = requests.iter().filter(|r| r.status == 429).count();
    let accepted = requests.len() - rejected;
    let rate = f64::from(limit) / period.as_secs_f64();
    let bound = accepted as f64 / rate;
    emulator.clear_requests();
    let again = sync_dir(&dir, &syncer).await;
    let writes = emulator
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    let _ = writeln!(
        out,
        "\n### Sync from empty under a rate limit of {limit} requests / {} s\n\n| monitors written | failed | requests | 429 answers | wall | lower bound (requests / rate) | over the bound | no-op re-sync writes |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n| {applied} | {failed} | {accepted} | {rejected} | {:.2} s | {bound:.2} s | {:+.1} % | {} (changes {}) |",
        period.as_secs(),
        wall.as_secs_f64(),
        (wall.as_secs_f64() / bound - 1.0) * 100.0,
        writes,
        again.0
    );
}

/// The migrated Terraform pattern for `tenants` tenants, as the Monitor API lists it.
fn terraform_export(tenants: usize) -> Vec<monc::datadog::Monitor> {
    let metric = |id: usize, name: String, query: String, tags: Vec<String>| {
        json!({"id": id, "name": name, "type": "query alert", "query": query, "message": "x",
               "tags": tags, "options": {"thresholds": {"critical": 5.0}}})
    };
    let mut monitors = vec![
        metric(
            1,
            "Region degraded".into(),
            "avg(last_5m):avg:net.retrans{*} > 5".into(),
            vec![],
        ),
        metric(
            2,
            "DB down".into(),
            "avg(last_5m):avg:db.down{*} > 5".into(),
            vec![],
        ),
    ];
    for n in 0..tenants {
        let tenant = format!("t{n:05}x");
        let (errors, latency, page) = (10 + 3 * n, 11 + 3 * n, 12 + 3 * n);
        let tags = vec![format!("tenant:{tenant}")];
        for (id, what) in [(errors, "errors"), (latency, "latency")] {
            monitors.push(metric(
                id,
                format!("[{tenant}] {what}"),
                format!("avg(last_5m):avg:app.{what}{{tenant:{tenant}}} > 5"),
                tags.clone(),
            ));
        }
        monitors.push(
            json!({"id": page, "name": format!("[{tenant}] API degraded"),
            "type": "composite", "query": format!("({errors} || {latency}) && !2 && !1"),
            "message": format!("@slack-{tenant}"), "tags": tags, "options": {}}),
        );
    }
    serde_json::from_value(serde_json::Value::Array(monitors)).expect("monitors")
}

fn import_section(out: &mut String) {
    let dir = work_dir("import");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("monitors")).expect("mkdir");
    std::fs::create_dir_all(dir.join("tenants")).expect("mkdir");
    std::fs::write(dir.join("monc.hcl"), "tiers = [\"L0\", \"L2\", \"L3\"]\n").expect("write");
    let (model, _) = monc::load::load(&LoadOptions::in_dir(&dir)).expect("loads");
    let mut settings = monc::import::Settings::for_project(&model, "bench", &[]);
    settings.detect_tenants = Some("tenant".into());
    out.push_str("\n### Import with tenant detection (`monc::import::build`, best of 3)\n\n| tenants | monitors | templates | time | per monitor |\n|---:|---:|---:|---:|---:|\n");
    for tenants in [1000, 2000, 4000, 8000] {
        let monitors = terraform_export(tenants);
        let mut best = Duration::MAX;
        let mut templates = 0;
        for _ in 0..3 {
            let started = Instant::now();
            let imported = monc::import::build(&monitors, &settings);
            best = best.min(started.elapsed());
            templates = imported.templates.len();
        }
        let _ = writeln!(
            out,
            "| {tenants} | {} | {templates} | {} ms | {:.1} µs |",
            monitors.len(),
            best.as_millis(),
            best.as_secs_f64() * 1e6 / monitors.len() as f64
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--measure-check") {
        if let Some(dir) = args.get(i + 1) {
            measure_check(Path::new(dir));
        }
        return;
    }
    // `cargo test --all-targets` (scripts/test.sh) runs this binary without `--bench`: only
    // `cargo bench` should pay for the benchmark.
    if !args.iter().any(|a| a == "--bench") {
        println!("benches/scale: run with `cargo bench --bench scale` or scripts/bench.sh");
        return;
    }
    let sections = std::env::var("MONC_BENCH").unwrap_or_else(|_| {
        "compile,few-clusters,for-each,diff,sync,import,errors,review,lsp".into()
    });
    let mut out = String::new();
    if sections.split(',').any(|s| s == "compile") {
        compile_section(&mut out, "50 clusters", &[10, 100, 300, 1000], Shape::issue);
    }
    if sections.contains("few-clusters") {
        compile_section(
            &mut out,
            "2 clusters",
            &[1000, 2000, 4000],
            Shape::few_clusters,
        );
    }
    if sections.contains("for-each") {
        compile_section(
            &mut out,
            "50 clusters, L3 `for_each` over a map of the tenants, typed tenant vars",
            &[1000, 2000, 4000],
            Shape::map_for_each,
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if sections.contains("diff") {
        runtime.block_on(diff_section(&mut out));
    }
    if sections.contains("sync") {
        runtime.block_on(sync_section(&mut out));
    }
    if sections.contains("import") {
        import_section(&mut out);
    }
    if sections.contains("errors") {
        errors_section(&mut out);
    }
    if sections.contains("review") {
        runtime.block_on(review_section(&mut out));
    }
    if sections.split(',').any(|s| s == "lsp") {
        lsp_section(&mut out);
    }
    // Not in the default run: it needs the baseline built (scripts/bench.sh does that).
    if sections.contains("side-by-side") {
        side_by_side::section(&mut out);
    }
    println!("{out}");
}

/// A copy of the repository's reference setup (monc.hcl, tenants/, monitors/) in `dir`.
fn copy_reference(dir: &Path) -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let _ = std::fs::remove_dir_all(dir);
    for sub in ["tenants", "monitors"] {
        std::fs::create_dir_all(dir.join(sub))?;
        for entry in std::fs::read_dir(root.join(sub))? {
            let entry = entry?;
            std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name()))?;
        }
    }
    std::fs::copy(root.join("monc.hcl"), dir.join("monc.hcl")).map(drop)
}

/// Edits applied to an open monitor file, one after another, in each measurement.
const LSP_EDITS: usize = 20;

fn lsp_section(out: &mut String) {
    let _ = writeln!(
        out,
        "\n### `monc lsp`: `didChange` → `publishDiagnostics` ({LSP_EDITS} edits, each waited for; debounce {} ms included)\n\n| project | monitors | median | worst | burst of 10 edits: last edit → diagnostics | checks published for the burst |\n|---|---:|---:|---:|---:|---:|",
        monc::lsp::checker::DEBOUNCE.as_millis()
    );
    let reference = work_dir("lsp-reference");
    copy_reference(&reference).expect("copy the reference setup");
    lsp_row(out, "reference setup", &reference, "monitors/l3_tenant.hcl");
    let generated = work_dir("lsp-1000");
    write_project(&generated, Shape::issue(1000)).expect("write project");
    lsp_row(out, "1,000 tenants", &generated, "monitors/l3.hcl");
}

fn lsp_row(out: &mut String, title: &str, dir: &Path, file: &str) {
    let monitors = monc::check(&LoadOptions::in_dir(dir))
        .map(|checked| checked.graph.monitors.len() + checked.graph.composites.len())
        .unwrap_or(0);
    let mut client = lsp_client::LspClient::start(dir);
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    let uri = client.open(&path);
    let first = client.diagnostics_for(&uri);
    assert!(first.is_empty(), "{title} has problems: {first:?}");
    let mut times = Vec::new();
    for edit in 0..LSP_EDITS {
        // A comment that changes nothing, so every check is a full, clean one.
        let edited = format!("{text}\n# edit {edit}\n");
        let started = Instant::now();
        client.change(&uri, edit as i64 + 2, &edited);
        let published = client.diagnostics_for(&uri);
        times.push(started.elapsed());
        assert!(published.is_empty(), "{published:?}");
    }
    times.sort();
    let (burst, checks) = lsp_burst(&mut client, &uri, &text);
    let _ = writeln!(
        out,
        "| {title} | {monitors} | {:.0} ms | {:.0} ms | {:.0} ms | {checks} |",
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        burst.as_secs_f64() * 1000.0,
    );
    assert!(client.shut_down().success());
}

/// Ten edits 5 ms apart (typing): the time from the last to its diagnostics, and how many
/// checks were published for the ten (the debounce and cancellation keep it at one or two).
fn lsp_burst(client: &mut lsp_client::LspClient, uri: &str, text: &str) -> (Duration, usize) {
    let mut last = Instant::now();
    for key in 0..10 {
        last = Instant::now();
        client.change(uri, 1000 + key, &format!("{text}\n# typing {key}\n"));
        std::thread::sleep(Duration::from_millis(5));
    }
    client.diagnostics_for(uri);
    let took = last.elapsed();
    // Anything else the burst caused arrives well within a second.
    std::thread::sleep(Duration::from_secs(1));
    let _ = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let more = client
        .notifications
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
        .count();
    (took, 1 + more)
}
