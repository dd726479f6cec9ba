//! Reliability against the emulator: exact numbers, concurrent syncs.

use crate::common;
use std::sync::Arc;

use monc::datadog::{Client, ClientOptions, Credentials};
use monc::sync::{ApplyOptions, apply};

use common::start;

#[tokio::test]
async fn a_threshold_needing_all_17_digits_reads_back_unchanged() {
    let dir = common::reference_copy("reliability", "float-roundtrip");
    let tenant = dir.join("tenants/acme.hcl");
    let text = std::fs::read_to_string(&tenant).expect("read");
    // 0.3 + 1.1 in f64; serde_json's default float parser reads it back as 1.4.
    let text = text.replace(
        "p95_latency_s  = 0.8",
        "p95_latency_s  = 1.4000000000000001",
    );
    std::fs::write(&tenant, text).expect("write");
    let (_emulator, client) = start().await;
    common::sync(&dir, &client, false).await;
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    assert!(
        !plan.has_changes(),
        "a synced threshold must not look edited"
    );
}

/// Two syncs of the same config started at once both create every monitor (Datadog has no
/// conditional create); the plan sees the later copies as duplicates and the next sync deletes
/// them, repointing composites at the monitors it keeps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_syncs_at_once_converge_without_duplicates_or_lost_monitors() {
    let dir = common::reference_copy("reliability", "concurrent");
    let mut rng = common::Rng::new(5);
    common::write_generated_tenants(&dir, "g", 20, &mut rng);
    let wanted = common::desired_keys(&dir);
    let (emulator, client) = start().await;
    let other = Client::new(
        &emulator.base_url(),
        &Credentials::new("k2", "a2"),
        ClientOptions::default(),
    )
    .expect("client");
    // Both read the (empty) org before either writes: the worst case, made deterministic.
    let (plan_a, live_a) = common::make_plan(&dir, &client).await.expect("plan");
    let (plan_b, live_b) = common::make_plan(&dir, &other).await.expect("plan");
    let options = || ApplyOptions {
        ownership: common::ownership(),
        prune: false,
        backup_dir: dir.join(".monc/backups"),
        progress: Arc::new(|_, _, _| {}),
        cancel: Default::default(),
        validate_first: true,
        validating: monc::sync::no_progress(),
    };
    let (options_a, options_b) = (options(), options());
    let (first, second) = tokio::join!(
        apply(&client, &plan_a, &live_a, &options_a),
        apply(&other, &plan_b, &live_b, &options_b)
    );
    for report in [first, second] {
        assert_eq!(report.failures().count(), 0, "{:?}", report.outcomes);
    }
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    let duplicates: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.drift == Some(monc::plan::Drift::Duplicate))
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        duplicates.len(),
        wanted.len(),
        "every key was created twice"
    );
    assert_eq!(
        duplicates.len(),
        common::duplicate_keys(&emulator).len(),
        "every duplicate is detected"
    );

    common::sync(&dir, &client, false).await;
    assert!(common::duplicate_keys(&emulator).is_empty());
    let present: std::collections::BTreeSet<String> =
        common::keys_in_org(&emulator).into_iter().collect();
    assert_eq!(present, wanted, "nothing lost");
    assert!(common::dangling_composites(&emulator).is_empty());
    let (after, _) = common::make_plan(&dir, &client).await.expect("plan");
    assert!(!after.has_changes(), "converged");
}
