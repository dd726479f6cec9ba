//! `monc import` end to end through the binary against the emulator over HTTP: foreign monitors
//! are imported, adopted, and the next diff plans updates only: no creates, no duplicates.

use crate::common::{self, changes_of, monc_at, output_text};
use std::path::Path;

use monc_emulator::EmulatorHandle;
use serde_json::{Value, json};

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
    let output = monc_at(dir, url, &["diff", "--format", "json"]);
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 2,
        "diff failed: {}",
        output_text(&output)
    );
    (
        code,
        serde_json::from_slice(&output.stdout).expect("json plan"),
    )
}

#[test]
fn imported_and_adopted_monitors_are_updated_not_duplicated() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("import-emulator", "adopt");
    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let foreign = insert_foreign(&emulator);
    let before = emulator.monitors();

    let import = [
        "import",
        "--tag",
        "team:payments",
        "--detect-tenants",
        "customer",
    ];
    let imported = monc_at(&dir, &url, &import);
    assert!(imported.status.success(), "{}", output_text(&imported));
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
        changes_of(&unadopted, "create").len(),
        foreign.len(),
        "without adoption, sync would duplicate"
    );

    let again = monc_at(&dir, &url, &import);
    assert!(!again.status.success() && output_text(&again).contains("--force"));

    let adopt = [&import[..], &["--adopt", "--force"]].concat();
    let adopted = monc_at(&dir, &url, &adopt);
    assert!(adopted.status.success(), "{}", output_text(&adopted));
    assert_eq!(
        output_text(&adopted).matches("adopted   ").count(),
        foreign.len()
    );
    let rewritten = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert_eq!(
        rewritten, hcl,
        "--force regenerates the same names, not `_2` copies"
    );

    let (code, adopted_plan) = plan(&dir, &url);
    assert_eq!(code, 2);
    assert_eq!(
        changes_of(&adopted_plan, "create").len(),
        0,
        "{adopted_plan:#}"
    );
    assert_eq!(
        changes_of(&adopted_plan, "delete").len(),
        0,
        "{adopted_plan:#}"
    );
    assert_eq!(changes_of(&adopted_plan, "update").len(), foreign.len());
    assert_eq!(
        adopted_plan["summary"]["drifted"], 0,
        "adoption is not drift: {adopted_plan:#}"
    );

    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
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
    let emulator = common::start_on(&runtime);
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
    let output = monc_at(
        &dir,
        &url,
        &["import", "--from", "export.json", "--adopt", "--force"],
    );
    let said = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("not the one imported"), "{said}");
    assert_eq!(
        emulator.monitor(unrelated).expect("live"),
        before,
        "the unrelated monitor was changed"
    );
    runtime.block_on(emulator.shutdown());
}

/// A key another live monitor of monc's already holds is not given to an adopted monitor: two
/// monitors with one key are duplicates, and sync deletes all but the lowest id, which could be
/// the very monitor the adoption meant to keep.
#[tokio::test]
async fn adoption_refuses_a_key_another_live_monitor_holds() {
    let (emulator, client) = common::start().await;
    let key = "l3/payments_api_errors";
    let holder = emulator
        .insert_monitor(metric(
            "Payments API errors (monc)",
            "avg(last_5m):avg:payments.errors{*} > 5",
            "monc's",
            &["managed-by:monc".to_string(), format!("monc-key:{key}")],
        ))
        .expect("inserted");
    let query = "avg(last_5m):avg:payments.errors{env:prod} > 5";
    let adopted = emulator
        .insert_monitor(metric("Payments API errors", query, "terraform's", &[]))
        .expect("inserted");
    let before = emulator.monitor(adopted).expect("live");
    let adoption = monc::import::Adoption {
        id: adopted,
        key: key.into(),
        name: "Payments API errors".into(),
        monitor_type: "query alert".into(),
        query: query.into(),
    };
    let compiled = std::collections::HashSet::new();
    let outcomes = monc::import::adopt(&client, &[adoption], &common::ownership(), &compiled).await;
    let error = outcomes[0].result.as_ref().expect_err("refused");
    assert!(error.contains(&holder.to_string()), "{error}");
    assert_eq!(
        emulator.monitor(adopted).expect("live"),
        before,
        "tagged anyway"
    );
    emulator.shutdown().await;
}

/// The migrated Terraform pattern end to end: per tenant, errors and latency monitors and one
/// composite `(errors || latency) && !db && !region`. Imported with --detect-tenants and
/// adopted, it becomes three per-tenant templates (the composite one of them); the first diff
/// updates only, and after a sync the org diffs clean.
#[test]
fn per_tenant_composites_kept_as_written_fold_adopt_and_diff_clean() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let insert = |m: Value| emulator.insert_monitor(m).expect("inserted");
    let region = insert(metric(
        "Region degraded",
        "avg(last_5m):avg:net.retrans{*} > 5",
        "x",
        &[],
    ));
    let db = insert(metric(
        "DB down",
        "avg(last_5m):avg:db.down{*} > 5",
        "x",
        &[],
    ));
    for tenant in ["acme", "globex", "initech"] {
        let tags = [format!("tenant:{tenant}")];
        let errors = insert(metric(
            &format!("[{tenant}] errors"),
            &format!("avg(last_5m):avg:app.errors{{tenant:{tenant}}} > 5"),
            "x",
            &tags,
        ));
        let latency = insert(metric(
            &format!("[{tenant}] latency"),
            &format!("avg(last_5m):avg:app.latency{{tenant:{tenant}}} > 5"),
            "x",
            &tags,
        ));
        insert(
            json!({"name": format!("[{tenant}] API degraded"), "type": "composite",
            "query": format!("({errors} || {latency}) && !{db} && !{region}"),
            "message": format!("API of {tenant} degraded @slack-{tenant}"), "tags": tags,
            "options": {}}),
        );
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("import-emulator/terraform-pages");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("monc.hcl"), "tiers = [\"L0\", \"L2\", \"L3\"]\n").expect("monc.hcl");

    let imported = monc_at(
        &dir,
        &url,
        &["import", "--detect-tenants", "tenant", "--adopt"],
    );
    assert!(imported.status.success(), "{}", output_text(&imported));
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert_eq!(hcl.matches("for_each = tenants").count(), 3, "{hcl}");
    assert!(
        hcl.contains(r#"query    = "(monitor.errors[\"${tenant.name}\"] || monitor.latency[\"${tenant.name}\"]) && !monitor.db_down && !monitor.region_degraded""#),
        "{hcl}"
    );
    let (code, first) = plan(&dir, &url);
    assert_eq!(code, 2, "{first:#}");
    assert!(changes_of(&first, "create").is_empty(), "{first:#}");
    assert!(changes_of(&first, "delete").is_empty(), "{first:#}");
    assert_eq!(changes_of(&first, "update").len(), 11, "{first:#}");

    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let (code, after) = plan(&dir, &url);
    assert_eq!(code, 0, "{after:#}");
    runtime.block_on(emulator.shutdown());
}
