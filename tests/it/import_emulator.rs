//! `monc import` end to end through the binary against the emulator over HTTP: foreign monitors
//! are imported, adopted, and the next diff plans updates only: no creates, no duplicates.

use crate::common;
use std::path::Path;

use assert_cmd::Command;
use monc_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use serde_json::{Value, json};

fn monc(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("monc")
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

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn metric(name: &str, query: &str, message: &str, tags: &[String]) -> Value {
    json!({"name": name, "type": "query alert", "query": query, "message": message,
           "tags": tags, "options": {"thresholds": {"critical": 5}, "renotify_interval": 0}})
}

/// Monitors made by hand: a paging composite over two of them, and one per tenant.
fn insert_foreign(emulator: &EmulatorHandle) -> Vec<i64> {
    let team = |extra: &[&str]| {
        let mut tags = vec!["team:payments".to_string()];
        tags.extend(extra.iter().map(|t| t.to_string()));
        tags
    };
    let insert = |m: Value| emulator.insert_monitor(m).expect("inserted");
    let api = insert(metric(
        "Payments API errors",
        "avg(last_5m):avg:payments.errors{*} > 5",
        "Payments API failing",
        &team(&[]),
    ));
    let db = insert(metric(
        "Payments DB down",
        "avg(last_5m):avg:payments.db.down{*} > 5",
        "DB down",
        &team(&[]),
    ));
    let composite = insert(
        json!({"name": "Payments API errors (paging)", "type": "composite",
        "query": format!("{api} && !{db}"), "message": "Payments failing @pagerduty-payments",
        "tags": team(&[]), "options": {}}),
    );
    let mut ids = vec![api, db, composite];
    for tenant in ["acme", "globex", "initech", "umbrella"] {
        ids.push(insert(metric(
            &format!("[{tenant}] Checkout failures"),
            &format!("sum(last_5m):sum:checkout.failures{{customer:{tenant}}} > 5"),
            &format!("Checkout failing for {tenant}"),
            &team(&[&format!("customer:{tenant}")]),
        )));
    }
    // Not selected by --tag: never touched.
    emulator
        .insert_monitor(metric(
            "Someone else's",
            "avg(last_5m):avg:other{*} > 5",
            "",
            &["team:other".to_string()],
        ))
        .expect("inserted");
    ids
}

fn plan(dir: &Path, url: &str) -> (i32, Value) {
    let output = monc(dir, url, &["diff", "--format", "json"]);
    let code = output.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 2, "diff failed: {}", text(&output));
    (
        code,
        serde_json::from_slice(&output.stdout).expect("json plan"),
    )
}

fn count(plan: &Value, action: &str) -> usize {
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["action"] == action)
        .count()
}

#[test]
fn imported_and_adopted_monitors_are_updated_not_duplicated() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = runtime
        .block_on(Emulator::start(EmulatorConfig {
            port: 0,
            ..EmulatorConfig::default()
        }))
        .expect("emulator");
    let url = emulator.base_url();
    let dir = common::reference_copy("import-emulator", "adopt");
    let synced = monc(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", text(&synced));
    let foreign = insert_foreign(&emulator);
    let before = emulator.monitors();

    let import = [
        "import",
        "--tag",
        "team:payments",
        "--detect-tenants",
        "customer",
    ];
    let imported = monc(&dir, &url, &import);
    assert!(imported.status.success(), "{}", text(&imported));
    assert_eq!(
        emulator.monitors(),
        before,
        "import without --adopt changed the org"
    );
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(hcl.contains("for_each = tenants"), "{hcl}");
    assert!(
        hcl.contains("suppressed_by = [monitor.payments_db_down]"),
        "{hcl}"
    );
    let (_, unadopted) = plan(&dir, &url);
    assert_eq!(
        count(&unadopted, "create"),
        foreign.len(),
        "without adoption, sync would duplicate"
    );

    let again = monc(&dir, &url, &import);
    assert!(!again.status.success() && text(&again).contains("--force"));

    let adopt = [&import[..], &["--adopt", "--force"]].concat();
    let adopted = monc(&dir, &url, &adopt);
    assert!(adopted.status.success(), "{}", text(&adopted));
    assert_eq!(text(&adopted).matches("adopted   ").count(), foreign.len());
    let rewritten = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert_eq!(
        rewritten, hcl,
        "--force regenerates the same names, not `_2` copies"
    );

    let (code, adopted_plan) = plan(&dir, &url);
    assert_eq!(code, 2);
    assert_eq!(count(&adopted_plan, "create"), 0, "{adopted_plan:#}");
    assert_eq!(count(&adopted_plan, "delete"), 0, "{adopted_plan:#}");
    assert_eq!(count(&adopted_plan, "update"), foreign.len());
    assert_eq!(
        adopted_plan["summary"]["drifted"], 0,
        "adoption is not drift: {adopted_plan:#}"
    );

    let synced = monc(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", text(&synced));
    let (code, _) = plan(&dir, &url);
    assert_eq!(code, 0, "clean after sync");
    let after = emulator.monitors();
    assert_eq!(after.len(), before.len(), "no duplicates");
    for id in foreign {
        assert!(
            after.iter().any(|m| m["id"] == id),
            "monitor {id} kept its id"
        );
    }
    runtime.block_on(emulator.shutdown());
}

#[test]
fn adoption_from_an_export_refuses_a_live_monitor_that_is_not_the_exported_one() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = runtime
        .block_on(Emulator::start(EmulatorConfig {
            port: 0,
            ..EmulatorConfig::default()
        }))
        .expect("emulator");
    let url = emulator.base_url();
    let dir = common::reference_copy("import-emulator", "adopt-unrelated");
    let unrelated = emulator
        .insert_monitor(metric(
            "Unrelated team monitor",
            "avg(last_5m):avg:other.team.metric{*} > 5",
            "theirs",
            &["team:other".to_string()],
        ))
        .expect("inserted");
    // An export (from another org, or old) whose monitor has the id the live one has now.
    let mut exported = metric(
        "Payments API errors",
        "avg(last_5m):avg:payments.errors{*} > 5",
        "Payments API failing",
        &["team:payments".to_string()],
    );
    exported["id"] = json!(unrelated);
    let export = dir.join("export.json");
    std::fs::write(&export, json!([exported]).to_string()).expect("export");
    let before = emulator.monitor(unrelated).expect("live");
    let output = monc(
        &dir,
        &url,
        &["import", "--from", "export.json", "--adopt", "--force"],
    );
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("not the one imported"), "{said}");
    assert_eq!(
        emulator.monitor(unrelated).expect("live"),
        before,
        "the unrelated monitor was changed"
    );
    runtime.block_on(emulator.shutdown());
}
