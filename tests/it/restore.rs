//! `monc restore` (issue 20): only into the org the backup came from, composites pointed at
//! the monitors of their keys, a second run changes nothing, and a copy carrying monc's tags
//! is never written to.

use crate::common;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use monc::datadog::Client;
use monc_emulator::{EmulatorConfig, EmulatorHandle};
use serde_json::{Value, json};

const ORG_A: i64 = 310_001;
const ORG_B: i64 = 310_002;

/// An emulated org `org_id` with the reference setup synced, and the backup of a second sync
/// that renamed every L3 login check (raw monitors and their composites).
async fn org_with_backup(name: &str, org_id: i64) -> (EmulatorHandle, Client, PathBuf, PathBuf) {
    let (emulator, client) = org(org_id).await;
    let dir = common::reference_copy("restore", name);
    common::sync(&dir, &client, false).await;
    let l3 = dir.join("monitors/l3_tenant.hcl");
    let text = std::fs::read_to_string(&l3).expect("read");
    std::fs::write(
        &l3,
        text.replace("Login page unreachable", "Login page down"),
    )
    .expect("edit");
    let report = common::sync(&dir, &client, false).await;
    let backup = report.backup.expect("backup written");
    (emulator, client, dir, backup)
}

async fn org(org_id: i64) -> (EmulatorHandle, Client) {
    common::start_with(EmulatorConfig {
        org_id: Some(org_id),
        ..EmulatorConfig::default()
    })
    .await
}

fn foreign_monitor(emulator: &EmulatorHandle, name: &str) -> i64 {
    emulator
        .insert_monitor(json!({"name": name, "type": "metric alert",
            "query": "avg(last_5m):avg:system.load.1{*} > 1", "message": "theirs",
            "tags": ["team:other"], "options": {}}))
        .expect("foreign monitor")
}

/// `monc restore BACKUP --yes [ARGS]` in `dir`, against `url` when given, with credentials and
/// no org from the environment.
async fn restore(dir: &Path, url: Option<&str>, backup: &Path, args: &[&str]) -> (i32, String) {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("monc"));
    command
        .current_dir(dir)
        .env_remove("MONC_ORG")
        .env_remove("MONC_API_URL")
        .env_remove("DD_SITE")
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env("NO_COLOR", "1")
        .arg("restore")
        .arg(backup)
        .arg("--yes")
        .args(args)
        .stdin(std::process::Stdio::null());
    if let Some(url) = url {
        command.args(["--api-url", url]);
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joined");
    (
        output.status.code().unwrap_or(-1),
        common::output_text(&output),
    )
}

/// Requests that changed the org.
fn writes(emulator: &EmulatorHandle) -> Vec<String> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/validate"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Each composite's key → the keys of the monitors its query names.
fn composite_operand_keys(emulator: &EmulatorHandle) -> BTreeMap<String, Vec<String>> {
    let monitors = emulator.monitors();
    let key_of_id: BTreeMap<i64, String> = monitors
        .iter()
        .filter_map(|m| Some((m["id"].as_i64()?, common::key_of(m)?)))
        .collect();
    monitors
        .iter()
        .filter(|m| m["type"] == "composite")
        .filter_map(|m| {
            let ids = monc_emulator::composite_ids(m["query"].as_str()?).unwrap_or_default();
            let keys = ids
                .iter()
                .map(|id| key_of_id.get(id).cloned().unwrap_or(format!("#{id}")))
                .collect();
            Some((common::key_of(m)?, keys))
        })
        .collect()
}

#[tokio::test]
async fn a_backup_is_not_restored_into_another_org() {
    let (_a, _client, dir, backup) = org_with_backup("other-org", ORG_A).await;
    // Org B has no monitor of monc's yet, only one of another team.
    let (b, _) = org(ORG_B).await;
    foreign_monitor(&b, "their own monitor");
    b.clear_requests();
    let (code, text) = restore(&dir, Some(&b.base_url()), &backup, &[]).await;
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&ORG_A.to_string()) && text.contains(&ORG_B.to_string()),
        "{text}"
    );
    assert_eq!(writes(&b), Vec::<String>::new(), "{text}");
    assert_eq!(b.monitors().len(), 1);
}

#[tokio::test]
async fn an_org_without_monitors_is_restored_into_only_when_allowed() {
    let (_a, _client, dir, backup) = org_with_backup("unidentified", ORG_A).await;
    // The same org after it lost every monitor: nothing says which org it is.
    let (b, _) = org(ORG_A).await;
    let (code, text) = restore(&dir, Some(&b.base_url()), &backup, &[]).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("--allow-unidentified-org"), "{text}");
    assert_eq!(writes(&b), Vec::<String>::new(), "{text}");

    let (code, text) = restore(
        &dir,
        Some(&b.base_url()),
        &backup,
        &["--allow-unidentified-org"],
    )
    .await;
    // The raw login checks come back; their composites name L2 and L0 monitors that are not
    // in the org, so they are refused rather than pointed at whatever has those ids now.
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("restored  l3/login_check/acme "), "{text}");
    assert!(
        text.contains("l3/login_check/acme/composite: it names l")
            && text.contains("which is not in the org"),
        "{text}"
    );
    assert!(
        b.monitors().iter().all(|m| m["type"] != "composite"),
        "{:?}",
        composite_operand_keys(&b)
    );
}

#[tokio::test]
async fn without_org_flags_a_backup_of_an_emulator_is_refused_and_nothing_contacted() {
    let (a, _client, dir, backup) = org_with_backup("no-flags", ORG_A).await;
    a.clear_requests();
    let (code, text) = restore(&dir, None, &backup, &[]).await;
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("--org local") && text.contains(&a.base_url()),
        "{text}"
    );
    assert!(!text.contains("datadoghq.com"), "{text}");
    assert!(a.requests().is_empty());
}

#[tokio::test]
async fn a_second_restore_changes_nothing() {
    let (a, client, dir, backup_path) = org_with_backup("twice", ORG_A).await;
    // The backed-up monitors are deleted by hand (composites first): restore creates them
    // again, with new ids.
    let backup = monc::backup::Backup::read(&backup_path, &common::ownership()).expect("backup");
    let mut ids: Vec<(bool, i64)> = backup
        .monitors
        .iter()
        .map(|m| (m.body.monitor_type != "composite", m.id.expect("id")))
        .collect();
    ids.sort();
    for (_, id) in ids {
        client.delete_monitor(id, false).await.expect("delete");
    }
    let (code, text) = restore(&dir, Some(&a.base_url()), &backup_path, &[]).await;
    assert_eq!(code, 0, "{text}");
    a.clear_requests();
    let (code, text) = restore(&dir, Some(&a.base_url()), &backup_path, &[]).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Nothing to restore."), "{text}");
    assert_eq!(writes(&a), Vec::<String>::new(), "{text}");
    assert!(common::dangling_composites(&a).is_empty());
}

#[tokio::test]
async fn composites_are_restored_onto_the_monitors_of_their_keys_when_ids_changed() {
    let (a, _client, dir, backup) = org_with_backup("ids-changed", ORG_A).await;
    let expected = composite_operand_keys(&a);
    // The same org rebuilt: other monitors came first, so every monc monitor has another id,
    // and the backup's ids now belong to other monitors.
    let (b, client_b) = org(ORG_A).await;
    for n in 0..3 {
        foreign_monitor(&b, &format!("came first {n}"));
    }
    common::sync(&dir, &client_b, false).await;
    let (code, text) = restore(&dir, Some(&b.base_url()), &backup, &[]).await;
    assert_eq!(code, 0, "{text}");
    assert_eq!(composite_operand_keys(&b), expected, "{text}");
    let acme = common::id_of(&b, "l3/login_check/acme/composite");
    assert_eq!(
        b.monitor(acme).expect("composite")["name"],
        "[acme] Login page unreachable"
    );
    b.clear_requests();
    let (code, text) = restore(&dir, Some(&b.base_url()), &backup, &[]).await;
    assert_eq!((code, writes(&b)), (0, Vec::new()), "{text}");
}

#[tokio::test]
async fn a_copy_carrying_moncs_tags_is_reported_not_overwritten() {
    let (a, client, dir, backup) = org_with_backup("copy", ORG_A).await;
    // monc's acme login check is gone; someone cloned globex's and retagged it for acme.
    for key in ["l3/login_check/acme/composite", "l3/login_check/acme"] {
        let id = common::id_of(&a, key);
        client.delete_monitor(id, false).await.expect("delete");
    }
    let globex = a
        .monitor(common::id_of(&a, "l3/login_check/globex"))
        .expect("globex");
    let tags: Vec<Value> = globex["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| match t.as_str() {
            Some("monc-key:l3/login_check/globex") => json!("monc-key:l3/login_check/acme"),
            _ => t.clone(),
        })
        .collect();
    let copy = a
        .insert_monitor(json!({"name": "acme login (copy)", "type": globex["type"],
            "query": globex["query"], "message": globex["message"], "tags": tags,
            "options": {}}))
        .expect("copy");
    let (code, text) = restore(&dir, Some(&a.base_url()), &backup, &[]).await;
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!("monitor {copy} carries monc's tags")),
        "{text}"
    );
    assert_eq!(
        a.monitor(copy).expect("still there")["name"],
        "acme login (copy)"
    );
    let acme_keys = common::keys_in_org(&a)
        .into_iter()
        .filter(|k| k.starts_with("l3/login_check/acme"))
        .count();
    assert_eq!(acme_keys, 1, "only the copy: nothing created beside it");
}
