//! diff and sync against the emulator over real HTTP on loopback, on copies of the reference setup.

use crate::common;
use std::collections::HashMap;
use std::path::Path;

use monc::datadog::Client;
use monc::plan::live::read_owned;
use monc::plan::{Action, Drift, Plan};
use monc::sync::{ChangeError, Report, apply};
use monc_emulator::EmulatorHandle;
use serde_json::{Value, json};

use common::{apply_options, id_of, ownership, start};

async fn make_plan(
    dir: &Path,
    client: &Client,
    only: &[String],
) -> (Plan, Vec<monc::plan::LiveMonitor>) {
    common::plan_tenants(dir, client, only).await.expect("plan")
}

async fn sync(dir: &Path, client: &Client, prune: bool, only: &[String]) -> Report {
    common::sync_tenants(dir, client, prune, only).await
}

/// The config change used by several tests: acme's p95 limit from 0.8 s to 0.9 s.
fn raise_acme_latency_limit(dir: &Path) {
    let tenant = dir.join("tenants/acme.hcl");
    let text = std::fs::read_to_string(&tenant).expect("read");
    std::fs::write(
        &tenant,
        text.replace("p95_latency_s  = 0.8", "p95_latency_s  = 0.9"),
    )
    .expect("write");
}

fn writes(emulator: &EmulatorHandle) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count()
}

fn keys_in_org(emulator: &EmulatorHandle) -> Vec<String> {
    let mut keys: Vec<String> = emulator
        .monitors()
        .iter()
        .flat_map(|m| m["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| {
            t.as_str()
                .and_then(|t| t.strip_prefix("monc-key:"))
                .map(String::from)
        })
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn sync_from_empty_creates_everything_and_a_second_sync_writes_nothing() {
    let dir = common::reference_copy("sync", "from-empty");
    let (emulator, client) = start().await;
    let report = sync(&dir, &client, false, &[]).await;
    assert_eq!(report.succeeded(Action::Create), 34);
    assert_eq!(keys_in_org(&emulator).len(), 34);

    // Every composite references the real IDs of its constituents.
    let composite = emulator
        .monitor(id_of(&emulator, "l3/login_check/acme/composite"))
        .expect("composite");
    let expected = format!(
        "{} && !{} && !{} && !{}",
        id_of(&emulator, "l3/login_check/acme"),
        id_of(&emulator, "l0/region_health"),
        id_of(&emulator, "l2/alb_5xx/prod-tokyo-1"),
        id_of(&emulator, "l0/pipeline_heartbeat"),
    );
    assert_eq!(composite["query"], Value::from(expected));
    assert!(
        composite["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Notify: @slack-acme-oncall @pagerduty-acme")
    );
    let page = emulator
        .monitor(id_of(&emulator, "l3/api/acme"))
        .expect("page");
    let expected = format!(
        "({} || {}) && !{} && !{} && !{} && !{} && !{}",
        id_of(&emulator, "l3/api_error_rate/acme"),
        id_of(&emulator, "l3/api_latency_p95/acme"),
        id_of(&emulator, "l0/region_health"),
        id_of(&emulator, "l2/alb_5xx/prod-tokyo-1"),
        id_of(&emulator, "l2/ecs_cpu/prod-tokyo-1"),
        id_of(&emulator, "l0/pipeline_heartbeat"),
        id_of(&emulator, "l2/db_cpu/prod-tokyo-1"),
    );
    assert_eq!(page["query"], Value::from(expected));
    let raw = emulator
        .monitor(id_of(&emulator, "l3/api_latency_p95/acme"))
        .expect("raw");
    assert!(
        !raw["message"]
            .as_str()
            .unwrap_or_default()
            .contains("@slack-acme-oncall"),
        "a page's member must not page"
    );
    let raw = emulator
        .monitor(id_of(&emulator, "l3/login_check/acme"))
        .expect("raw");
    assert!(
        !raw["message"]
            .as_str()
            .unwrap_or_default()
            .contains("@slack-acme-oncall"),
        "the raw monitor must not page"
    );

    let (plan, _) = make_plan(&dir, &client, &[]).await;
    assert!(
        !plan.has_changes(),
        "a synced org must diff clean: {:#?}",
        plan.changes
            .iter()
            .filter(|c| c.action != Action::Unchanged)
            .collect::<Vec<_>>()
    );
    emulator.clear_requests();
    let again = sync(&dir, &client, false, &[]).await;
    assert!(again.outcomes.is_empty());
    assert_eq!(writes(&emulator), 0, "a no-op sync makes no write request");
}

#[tokio::test]
async fn changing_a_threshold_is_one_update_of_the_monitors_that_use_it() {
    let dir = common::reference_copy("sync", "threshold");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &[]).await;
    raise_acme_latency_limit(&dir);

    let (plan, _) = make_plan(&dir, &client, &[]).await;
    let updates: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        updates,
        ["l3/api_latency_p95/acme"],
        "its page does not show the limit"
    );
    let raw = &plan
        .changes
        .iter()
        .find(|c| c.key == "l3/api_latency_p95/acme")
        .expect("change");
    assert_eq!(raw.action, Action::Update);
    assert!(raw.drift.is_none(), "a config change is not drift");
    assert!(
        raw.fields
            .iter()
            .any(|f| f.field == "options.thresholds.critical"
                && f.desired_text().as_deref() == Some("0.9"))
    );

    emulator.clear_requests();
    let report = sync(&dir, &client, false, &[]).await;
    assert_eq!(report.succeeded(Action::Update), 1);
    let puts = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(puts, 1);
    let monitor = emulator
        .monitor(id_of(&emulator, "l3/api_latency_p95/acme"))
        .expect("monitor");
    assert!(
        monitor["query"]
            .as_str()
            .unwrap_or_default()
            .ends_with("> 0.9")
    );
}

#[tokio::test]
async fn a_removed_tenant_becomes_orphans_deleted_only_with_prune_composites_first() {
    let dir = common::reference_copy("sync", "remove-tenant");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &[]).await;
    std::fs::remove_file(dir.join("tenants/umbrella.hcl")).expect("remove tenant");

    let (plan, _) = make_plan(&dir, &client, &[]).await;
    let deletes: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        deletes.len(),
        5,
        "3 monitors, 1 composite and 1 page of umbrella: {deletes:?}"
    );
    assert!(
        deletes
            .iter()
            .all(|k| k.ends_with("/umbrella") || k.ends_with("/umbrella/composite"))
    );

    let kept = sync(&dir, &client, false, &[]).await;
    assert_eq!(kept.orphans_kept.len(), 5);
    assert_eq!(
        keys_in_org(&emulator).len(),
        34,
        "nothing deleted without --prune"
    );

    emulator.clear_requests();
    let pruned = sync(&dir, &client, true, &[]).await;
    assert_eq!(pruned.succeeded(Action::Delete), 5);
    assert_eq!(keys_in_org(&emulator).len(), 29);
    let deleted_paths: Vec<String> = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.clone())
        .collect();
    // Deleting a referenced monitor is a 400 in Datadog without force: all five succeeding, and
    // none forced, shows the composites went first.
    assert!(
        emulator
            .requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .all(|r| r.status == 200 && !r.query.as_deref().unwrap_or_default().contains("force")),
        "{deleted_paths:?}"
    );
}

#[tokio::test]
async fn a_hand_edit_is_reported_as_drift_and_sync_restores_it() {
    let dir = common::reference_copy("sync", "drift");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &[]).await;
    let id = id_of(&emulator, "l2/db_cpu/prod-tokyo-1");
    emulator.edit_monitor(id, |m| {
        m.insert("query".into(), json!("avg(last_10m):avg:aws.rds.cpuutilization{dbinstanceidentifier:prod-tokyo-1-pg} > 95"));
        m.insert("options".into(), json!({"thresholds": {"critical": 95.0, "warning": 80.0}, "timeout_h": 1}));
    });

    let (plan, _) = make_plan(&dir, &client, &[]).await;
    let drifted: Vec<&str> = plan.drifted().map(|c| c.key.as_str()).collect();
    assert_eq!(drifted, ["l2/db_cpu/prod-tokyo-1"]);
    assert_eq!(
        plan.drifted().next().map(|c| c.drift),
        Some(Some(Drift::EditedOutsideMonc))
    );

    sync(&dir, &client, false, &[]).await;
    let (after, _) = make_plan(&dir, &client, &[]).await;
    assert!(!after.has_changes());
    let restored = emulator.monitor(id).expect("monitor");
    assert!(
        restored["query"]
            .as_str()
            .unwrap_or_default()
            .ends_with("> 90")
    );
}

#[tokio::test]
async fn a_monitor_deleted_by_hand_is_reported_missing_and_recreated() {
    let dir = common::reference_copy("sync", "deleted-by-hand");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &[]).await;
    // Deleted in the UI (a raw monitor cannot be: its composite still references it).
    let id = id_of(&emulator, "l3/login_check/acme/composite");
    client
        .delete_monitor(id, false)
        .await
        .expect("delete by hand");
    let (plan, _) = make_plan(&dir, &client, &[]).await;
    let change = plan
        .changes
        .iter()
        .find(|c| c.key == "l3/login_check/acme/composite")
        .expect("planned");
    assert_eq!(change.action, Action::Create);
    assert_eq!(change.drift, Some(Drift::DeletedOutsideMonc));
}

#[tokio::test]
async fn monitors_without_the_ownership_tag_are_never_touched() {
    let dir = common::reference_copy("sync", "foreign");
    let (emulator, client) = start().await;
    let foreign = json!({
        "name": "[acme] API error rate high", "type": "query alert",
        "query": "avg(last_5m):avg:system.cpu.user{*} > 90", "message": "hand made",
        "tags": ["monc-key:l3/api_error_rate/acme", "team:web"], "options": {"thresholds": {"critical": 90}},
    });
    let foreign_id = emulator.insert_monitor(foreign).expect("insert foreign");
    let before = emulator.monitor(foreign_id).expect("foreign");
    sync(&dir, &client, true, &[]).await;
    assert_eq!(
        emulator.monitor(foreign_id),
        Some(before),
        "foreign monitor unchanged, even with --prune"
    );
    assert!(
        !emulator
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&format!("/{foreign_id}"))),
        "no request touched it"
    );
}

#[tokio::test]
async fn only_touches_the_named_tenants_and_the_shared_monitors_they_need() {
    let dir = common::reference_copy("sync", "only");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &["acme".to_string()]).await;
    let keys = keys_in_org(&emulator);
    assert!(
        keys.iter()
            .all(|k| !k.contains("globex") && !k.contains("initech") && !k.contains("umbrella")),
        "{keys:?}"
    );
    assert!(keys.contains(&"l3/api/acme".to_string()));
    assert!(keys.contains(&"l3/login_check/acme/composite".to_string()));
    // acme's composites need the tokyo L2 monitors and the L0 monitors, not osaka's.
    assert!(keys.contains(&"l2/alb_5xx/prod-tokyo-1".to_string()));
    assert!(!keys.iter().any(|k| k.contains("prod-osaka-1")), "{keys:?}");
    assert!(keys.contains(&"l0/region_health".to_string()));
    // A later full sync only adds the rest.
    let rest = sync(&dir, &client, false, &[]).await;
    assert_eq!(rest.succeeded(Action::Create), 34 - keys.len());
}

#[tokio::test]
async fn a_lost_create_answer_does_not_produce_a_duplicate() {
    let dir = common::reference_copy("sync", "lost-answer");
    let (emulator, client) = start().await;
    emulator.set_faults(monc_emulator::FaultConfig {
        drop_after_commit_rate: 0.3,
        seed: 7,
        ..Default::default()
    });
    let (plan, live) = make_plan(&dir, &client, &[]).await;
    let options = apply_options(&dir, false);
    let _ = apply(&client, &plan, &live, &options).await;
    let dropped = emulator
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    assert!(dropped > 0, "the run must actually lose some answers");
    emulator.set_faults(monc_emulator::FaultConfig::default());
    sync(&dir, &client, false, &[]).await;
    let keys = keys_in_org(&emulator);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for key in &keys {
        *counts.entry(key.as_str()).or_default() += 1;
    }
    let duplicates: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "duplicates: {duplicates:?}");
    assert_eq!(keys.len(), 34);
}

#[tokio::test]
async fn an_edit_between_plan_and_apply_is_not_overwritten() {
    let dir = common::reference_copy("sync", "race");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &[]).await;
    raise_acme_latency_limit(&dir);
    let (plan, live) = make_plan(&dir, &client, &[]).await;
    let id = id_of(&emulator, "l3/api_latency_p95/acme");
    emulator.edit_monitor(id, |m| {
        m.insert("name".into(), json!("renamed by someone in the UI"));
    });
    let options = apply_options(&dir, false);
    let report = apply(&client, &plan, &live, &options).await;
    let failure = report
        .failures()
        .find(|o| o.key == "l3/api_latency_p95/acme")
        .expect("refused");
    assert!(
        matches!(failure.error, Some(ChangeError::ChangedSincePlan(_))),
        "{failure:?}"
    );
    assert_eq!(
        emulator.monitor(id).expect("monitor")["name"],
        json!("renamed by someone in the UI")
    );
}

#[tokio::test]
async fn restore_puts_back_what_a_sync_changed() {
    let dir = common::reference_copy("sync", "restore");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &[]).await;
    let id = id_of(&emulator, "l3/api_latency_p95/acme");
    let before = emulator.monitor(id).expect("before");
    raise_acme_latency_limit(&dir);
    let report = sync(&dir, &client, false, &[]).await;
    let backup_path = report.backup.expect("a backup was written");
    let backup = monc::backup::Backup::read(&backup_path, &ownership()).expect("read backup");
    assert_eq!(backup.monitors.len(), 1, "the one updated monitor");

    let live = read_owned(&client, &ownership()).await.expect("list");
    let plan = monc::backup::plan_restore(&backup, &live);
    let outcomes = monc::backup::restore(&client, &plan, &ownership()).await;
    assert!(outcomes.iter().all(|o| o.error.is_none()), "{outcomes:?}");
    let after = emulator.monitor(id).expect("after");
    assert_eq!(after["query"], before["query"]);
    assert_eq!(after["message"], before["message"]);
}

#[tokio::test]
async fn a_second_owned_monitor_with_the_same_key_is_a_duplicate_removed_without_touching_the_original()
 {
    let dir = common::reference_copy("sync", "duplicate");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &[]).await;
    let original = id_of(&emulator, "l3/login_check/acme");
    let mut copy = emulator.monitor(original).expect("monitor");
    for server_field in [
        "id",
        "created",
        "modified",
        "creator",
        "overall_state",
        "org_id",
        "created_at",
    ] {
        copy.as_object_mut().expect("object").remove(server_field);
    }
    let duplicate = emulator.insert_monitor(copy).expect("insert duplicate");

    let (plan, _) = make_plan(&dir, &client, &[]).await;
    let changes: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
        .collect();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].action, Action::Delete);
    assert_eq!(changes[0].drift, Some(Drift::Duplicate));
    assert_eq!(changes[0].live.as_ref().map(|l| l.id), Some(duplicate));

    sync(&dir, &client, true, &[]).await;
    assert!(emulator.monitor(duplicate).is_none());
    assert!(emulator.monitor(original).is_some());
    let (after, _) = make_plan(&dir, &client, &[]).await;
    assert!(!after.has_changes());
}

/// A composite written by hand over `monitor.<name>["<instance>"]` references.
const USER_COMPOSITE: &str = r#"
monitor "tokyo_overload" {
  tier    = "L2"
  name    = "Tokyo overloaded"
  type    = "composite"
  query   = "monitor.db_cpu[\"prod-tokyo-1\"] && monitor.alb_5xx[\"prod-tokyo-1\"]"
  message = "Database and load balancer both alerting in Tokyo."
}
"#;

#[tokio::test]
async fn a_user_composite_is_written_with_the_ids_of_its_monitors_and_diffs_clean() {
    let dir = common::reference_copy("sync", "user-composite");
    std::fs::write(dir.join("monitors/user_composite.hcl"), USER_COMPOSITE).expect("write");
    let (emulator, client) = start().await;

    // Written after the monitors it references, in a later phase.
    let (first, _) = make_plan(&dir, &client, &[]).await;
    let order: Vec<&str> = monc::plan::apply_order(&first)
        .iter()
        .map(|c| c.key.as_str())
        .collect();
    let at = |key: &str| order.iter().position(|k| *k == key).expect(key);
    assert!(at("l2/tokyo_overload") > at("l2/db_cpu/prod-tokyo-1"));
    assert!(at("l2/tokyo_overload") > at("l2/alb_5xx/prod-tokyo-1"));

    let report = sync(&dir, &client, false, &[]).await;
    assert_eq!(report.succeeded(Action::Create), 35);
    let composite = emulator
        .monitor(id_of(&emulator, "l2/tokyo_overload"))
        .expect("composite");
    let expected = format!(
        "{} && {}",
        id_of(&emulator, "l2/db_cpu/prod-tokyo-1"),
        id_of(&emulator, "l2/alb_5xx/prod-tokyo-1"),
    );
    assert_eq!(composite["query"], Value::from(expected));
    assert_eq!(composite["type"], Value::from("composite"));

    let (plan, _) = make_plan(&dir, &client, &[]).await;
    assert!(
        !plan.has_changes(),
        "a synced org must diff clean: {:#?}",
        plan.changes
            .iter()
            .filter(|c| c.action != Action::Unchanged)
            .collect::<Vec<_>>()
    );

    // Removing it deletes it (with prune), in the composite phase, before raw deletes.
    std::fs::remove_file(dir.join("monitors/user_composite.hcl")).expect("remove");
    let (plan, _) = make_plan(&dir, &client, &[]).await;
    let change = plan
        .changes
        .iter()
        .find(|c| c.key == "l2/tokyo_overload")
        .expect("change");
    assert_eq!(change.action, Action::Delete);
    assert_eq!(monc::plan::apply_rank(change), 2);
    let report = sync(&dir, &client, true, &[]).await;
    assert_eq!(report.succeeded(Action::Delete), 1);
    assert!(!keys_in_org(&emulator).contains(&"l2/tokyo_overload".to_string()));
}

/// Validating a large plan takes seconds: every answer is reported, so a terminal shows progress.
#[tokio::test]
async fn validation_reports_its_progress() {
    let (_emulator, client) = common::start().await;
    let dir = common::reference_copy("sync-emulator", "validation-progress");
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let progress: monc::sync::Validating =
        std::sync::Arc::new(move |done, total| sink.lock().expect("lock").push((done, total)));
    let validation = monc::sync::validate_remotely(&client, &plan, &progress).await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), validation.checked, "{seen:?}");
    assert_eq!(seen.last(), Some(&(validation.checked, validation.checked)));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
}

/// A staged rollout never writes half of a monitor/composite pair: a shared monitor it writes
/// because a tenant's composite needs it pages through its own composite, written with it.
#[tokio::test]
async fn a_tenant_rollout_writes_every_monitor_with_its_composite() {
    let dir = common::reference_copy("sync", "only-pairs");
    let (emulator, client) = start().await;
    sync(&dir, &client, false, &["acme".to_string()]).await;
    let keys = keys_in_org(&emulator);
    let desired = common::desired_keys(&dir);
    for key in &keys {
        let composite = format!("{key}/composite");
        assert!(
            !desired.contains(&composite) || keys.contains(&composite),
            "{key} was written without {composite}: {keys:?}"
        );
    }
}
