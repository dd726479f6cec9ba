//! `monc sync` killed with SIGKILL at seeded points of a large sync, then re-run: the org
//! converges to the config with no duplicate and nothing lost.

use crate::common;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use monc::datadog::{Client, ClientOptions, Credentials};
use monc_emulator::{Emulator, EmulatorConfig, EmulatorHandle, FaultConfig};

fn spawn_sync(dir: &Path, url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_monc"))
        .args(["sync", "--yes", "--prune", "--api-url", url])
        .current_dir(dir)
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env_remove("MONC_ORG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn monc")
}

fn writes(emulator: &EmulatorHandle) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count()
}

/// Kills the sync (SIGKILL) once the emulator has answered `after` more write requests;
/// returns false if the sync finished first.
async fn kill_after_writes(child: &mut Child, emulator: &EmulatorHandle, after: usize) -> bool {
    let start = writes(emulator);
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        if writes(emulator) >= start + after {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            return true;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the sync made no progress");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_at_random_points_converges_on_rerun_without_duplicates() {
    let dir = common::reference_copy("interrupted", "large");
    let mut rng = common::Rng::new(11);
    common::write_generated_tenants(&dir, "k", 150, &mut rng);
    let wanted = common::desired_keys(&dir);
    assert!(wanted.len() > 750, "a large sync: {}", wanted.len());
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    emulator.set_faults(FaultConfig {
        latency: Duration::from_millis(2),
        ..FaultConfig::default()
    });
    let url = emulator.base_url();

    let mut kills = 0;
    for round in 0..4 {
        if round == 2 {
            // Later rounds also update and delete: a changed config with fewer tenants.
            common::write_generated_tenants(&dir, "k", 120, &mut rng);
        }
        let after = 20 + rng.below(400) as usize;
        let mut child = spawn_sync(&dir, &url);
        if kill_after_writes(&mut child, &emulator, after).await {
            kills += 1;
        }
        let duplicates = common::duplicate_keys(&emulator);
        assert!(duplicates.is_empty(), "round {round}: {duplicates:?}");
    }
    assert!(
        kills >= 3,
        "the sync must really be interrupted: {kills} kills"
    );

    let status = spawn_sync(&dir, &url).wait().expect("rerun");
    assert!(status.success(), "the re-run finishes the job");
    let wanted = common::desired_keys(&dir);
    let present: BTreeSet<String> = common::keys_in_org(&emulator).into_iter().collect();
    assert!(
        common::duplicate_keys(&emulator).is_empty(),
        "no duplicates"
    );
    assert_eq!(present, wanted, "the org equals the config");
    assert!(common::dangling_composites(&emulator).is_empty());
    let client =
        Client::new(&url, &Credentials::new("k", "a"), ClientOptions::default()).expect("client");
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    assert!(!plan.has_changes(), "converged");
}
