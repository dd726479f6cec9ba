//! Randomized fault injection: 200 seeded syncs of the reference setup plus generated tenants
//! against an emulator that answers 5xx, cuts connections, loses answers after committing and
//! rate-limits in bursts; then a sync without faults. Every run must end with the org equal to
//! the config, no duplicate, nothing lost, foreign monitors untouched and no dangling composite.
//!
//! `MONC_FAULT_RUNS=1000 cargo test --test fault_convergence -- --nocapture` for a longer soak.

use crate::common;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{Rng, dangling_composites, desired_keys, duplicate_keys, keys_in_org, make_plan};
use monc::datadog::{Client, ClientOptions, Credentials};
use monc_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultConfig};
use serde_json::{Value, json};
use tokio::task::JoinSet;

const DEFAULT_RUNS: u64 = 200;
/// Runs in flight at once: most of a run is waiting (backoff, rate-limit resets).
const PARALLEL: usize = 8;

/// What one run saw.
#[derive(Debug, Default)]
struct RunResult {
    requests: usize,
    faults: BTreeMap<String, usize>,
    /// Changes the faulty sync reported as failed (the clean sync must finish them).
    failed_changes: usize,
    duplicates: usize,
    lost: usize,
    violations: Vec<String>,
}

/// Tight backoff so 200 runs stay fast; small pages so listing is paginated under faults too;
/// few retries, so that faulty syncs do leave work for the clean one.
fn fast_client(emulator: &EmulatorHandle, max_retries: u32) -> Client {
    let options = ClientOptions {
        page_size: 20,
        max_concurrency: 8,
        request_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(15),
        max_retries,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(8),
        ..ClientOptions::default()
    };
    Client::new(&emulator.base_url(), &Credentials::new("k", "a"), options).expect("client")
}

/// Monitors someone made by hand: one borrows a monc key tag, one is a composite of its own.
fn insert_foreign_monitors(emulator: &EmulatorHandle) -> Vec<i64> {
    let plain = json!({
        "name": "hand made cpu", "type": "metric alert",
        "query": "avg(last_5m):avg:system.cpu.user{*} > 90", "message": "by hand",
        "tags": ["team:web"], "options": {"thresholds": {"critical": 90}},
    });
    let impostor = json!({
        "name": "[acme] API error rate high", "type": "query alert",
        "query": "avg(last_5m):avg:system.cpu.user{*} > 80", "message": "copied from monc",
        "tags": ["monc-key:l3/api_error_rate/acme"], "options": {"thresholds": {"critical": 80}},
    });
    let first = emulator.insert_monitor(plain).expect("foreign");
    let second = emulator.insert_monitor(impostor).expect("foreign");
    let composite = json!({
        "name": "hand made composite", "type": "composite",
        "query": format!("{first} && !{second}"), "message": "by hand", "tags": [],
    });
    let third = emulator
        .insert_monitor(composite)
        .expect("foreign composite");
    vec![first, second, third]
}

fn snapshot(emulator: &EmulatorHandle, ids: &[i64]) -> Vec<Option<Value>> {
    ids.iter().map(|id| emulator.monitor(*id)).collect()
}

fn fault_name(fault: Fault) -> &'static str {
    match fault {
        Fault::ServerError => "5xx",
        Fault::Reset => "reset",
        Fault::DroppedAfterCommit => "drop-after-commit",
        Fault::RateLimited => "429",
    }
}

fn count_faults(emulator: &EmulatorHandle, into: &mut BTreeMap<String, usize>) -> usize {
    let requests = emulator.requests();
    for fault in requests.iter().filter_map(|r| r.fault) {
        *into.entry(fault_name(fault).into()).or_default() += 1;
    }
    requests.len()
}

fn faults_for(seed: u64, rng: &mut Rng) -> FaultConfig {
    FaultConfig {
        latency: Duration::from_micros(rng.below(1500)),
        error_rate_5xx: 0.10,
        reset_rate: 0.05,
        drop_after_commit_rate: 0.05,
        seed,
        html_429: rng.chance(0.5),
    }
}

/// One seeded run: maybe an earlier config already in the org, then a faulty sync of the new
/// config (with --prune), then a clean one, then the checks.
async fn run(seed: u64) -> RunResult {
    let mut rng = Rng::new(seed);
    let dir = common::reference_copy("faults", &format!("run-{seed}"));
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = fast_client(&emulator, 4);
    let faulty_client = fast_client(&emulator, rng.below(3) as u32);
    let foreign = insert_foreign_monitors(&emulator);
    let foreign_before = snapshot(&emulator, &foreign);
    let mut result = RunResult::default();

    if rng.chance(0.5) {
        let earlier = rng.below(6) as usize;
        common::write_generated_tenants(&dir, "t", earlier, &mut rng);
        common::sync(&dir, &client, true).await;
    }
    let tenants = rng.below(8) as usize;
    common::write_generated_tenants(&dir, "t", tenants, &mut rng);
    let wanted = desired_keys(&dir);

    emulator.clear_requests();
    emulator.set_faults(faults_for(seed, &mut rng));
    if rng.chance(0.25) {
        // Bursts of 429: a handful of requests per second for a concurrent client.
        emulator.set_rate_limit(Some((10 + rng.below(20) as u32, Duration::from_secs(1))));
    }
    match common::try_sync(&dir, &faulty_client, true).await {
        Ok(report) => result.failed_changes = report.failures().count(),
        Err(_) => result.failed_changes = wanted.len(),
    }
    result.requests = count_faults(&emulator, &mut result.faults);
    let early_duplicates = duplicate_keys(&emulator);

    emulator.set_faults(FaultConfig::default());
    emulator.set_rate_limit(None);
    emulator.clear_requests();
    let clean = common::try_sync(&dir, &client, true).await;
    check_converged(&emulator, &client, &dir, &wanted, &mut result).await;
    if let Err(error) = clean {
        result
            .violations
            .push(format!("clean sync could not read the org: {error}"));
    } else if let Ok(report) = &clean {
        for failure in report.failures() {
            result
                .violations
                .push(format!("clean sync failed: {failure:?}"));
        }
    }
    result.duplicates += early_duplicates.len();
    if !early_duplicates.is_empty() {
        result.violations.push(format!(
            "duplicates after the faulty sync: {early_duplicates:?}"
        ));
    }
    if snapshot(&emulator, &foreign) != foreign_before {
        result
            .violations
            .push("a foreign monitor was changed".into());
    }
    result
        .violations
        .iter_mut()
        .for_each(|v| *v = format!("seed {seed}: {v}"));
    result
}

async fn check_converged(
    emulator: &EmulatorHandle,
    client: &Client,
    dir: &std::path::Path,
    wanted: &BTreeSet<String>,
    result: &mut RunResult,
) {
    let keys = keys_in_org(emulator);
    let present: BTreeSet<String> = keys.iter().cloned().collect();
    let duplicates = duplicate_keys(emulator);
    let lost: Vec<&String> = wanted.difference(&present).collect();
    let extra: Vec<&String> = present.difference(wanted).collect();
    result.duplicates += duplicates.len();
    result.lost += lost.len();
    let mut fail = |cond: bool, what: String| {
        if cond {
            result.violations.push(what);
        }
    };
    fail(
        !duplicates.is_empty(),
        format!("duplicates: {duplicates:?}"),
    );
    fail(!lost.is_empty(), format!("lost: {lost:?}"));
    fail(!extra.is_empty(), format!("not in the config: {extra:?}"));
    let dangling = dangling_composites(emulator);
    fail(
        !dangling.is_empty(),
        format!("dangling composites: {dangling:?}"),
    );
    match make_plan(dir, client).await {
        Ok((plan, _)) => {
            let pending: Vec<String> = plan
                .changes
                .iter()
                .filter(|c| c.action != monc::plan::Action::Unchanged)
                .map(|c| format!("{:?} {} {:?} {:?}", c.action, c.key, c.drift, c.fields))
                .collect();
            fail(
                plan.has_changes(),
                format!("the org still differs from the config: {pending:?}"),
            )
        }
        Err(error) => fail(true, format!("cannot re-read the org: {error}")),
    }
}

fn runs() -> u64 {
    std::env::var("MONC_FAULT_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_RUNS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_fault_injected_syncs_always_converge_without_duplicates_or_losses() {
    let started = Instant::now();
    let total_runs = runs();
    let mut seeds = 1..=total_runs;
    let mut tasks = JoinSet::new();
    let mut results = Vec::new();
    loop {
        while tasks.len() < PARALLEL {
            let Some(seed) = seeds.next() else { break };
            tasks.spawn(run(seed));
        }
        let Some(done) = tasks.join_next().await else {
            break;
        };
        results.push(done.expect("run task"));
    }
    let mut faults: BTreeMap<String, usize> = BTreeMap::new();
    for result in &results {
        for (kind, n) in &result.faults {
            *faults.entry(kind.clone()).or_default() += n;
        }
    }
    let sum = |f: fn(&RunResult) -> usize| results.iter().map(f).sum::<usize>();
    let totals = format!(
        "fault injection: {} runs in {:.1} s; {} requests during faulty syncs, faults injected {} ({}); \
         {} changes failed during faulty syncs and were finished by the clean sync; duplicates {}, lost {}",
        results.len(),
        started.elapsed().as_secs_f64(),
        sum(|r| r.requests),
        faults.values().sum::<usize>(),
        faults
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        sum(|r| r.failed_changes),
        sum(|r| r.duplicates),
        sum(|r| r.lost),
    );
    println!("{totals}");
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-convergence-totals.txt"),
        &totals,
    );
    let violations: Vec<&String> = results.iter().flat_map(|r| &r.violations).collect();
    assert_eq!(results.len() as u64, total_runs);
    assert!(violations.is_empty(), "{totals}\n{violations:#?}");
    assert!(faults.get("5xx").copied().unwrap_or(0) > 0, "{totals}");
    assert!(faults.get("reset").copied().unwrap_or(0) > 0, "{totals}");
    assert!(
        faults.get("drop-after-commit").copied().unwrap_or(0) > 0,
        "{totals}"
    );
    assert!(faults.get("429").copied().unwrap_or(0) > 0, "{totals}");
}
