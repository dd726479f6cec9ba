//! Reliability against the emulator: exact numbers, concurrent syncs.

mod common;

use monc::datadog::{Client, ClientOptions, Credentials};
use monc::emulator::{Emulator, EmulatorConfig};

async fn start() -> (monc::emulator::EmulatorHandle, Client) {
    let emulator = Emulator::start(EmulatorConfig::default())
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
