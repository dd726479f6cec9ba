//! `moved { from = monitor.old  to = monitor.new }` end to end against the emulator (issue 13
//! item 4): a renamed template's monitors are updated in place (their key tag rewritten), keep
//! their ids, and a move whose old and new monitor are both live writes nothing.

use crate::common::{self, changes_of, diff_json, monc_at, output_text};
use std::path::Path;

use monc_emulator::EmulatorHandle;

const TENANTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];

/// Renames the template `login_check` to `login_probe` in the reference setup.
fn rename_template(dir: &Path, moved_block: bool) {
    let path = dir.join("monitors/l3_tenant.hcl");
    let mut hcl = std::fs::read_to_string(&path)
        .expect("read")
        .replace("monitor \"login_check\"", "monitor \"login_probe\"");
    if moved_block {
        hcl.push_str("\nmoved {\n  from = monitor.login_check\n  to   = monitor.login_probe\n}\n");
    }
    std::fs::write(path, hcl).expect("write");
}

fn ids_of(emulator: &EmulatorHandle, template: &str) -> Vec<i64> {
    TENANTS
        .iter()
        .flat_map(|t| {
            let key = format!("l3/{template}/{t}");
            [
                common::id_of(emulator, &key),
                common::id_of(emulator, &format!("{key}/composite")),
            ]
        })
        .collect()
}

#[test]
fn a_renamed_template_with_a_moved_block_keeps_its_monitor_ids() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("moved", "rename");
    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let before = ids_of(&emulator, "login_check");

    rename_template(&dir, true);
    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(2), "{plan:#}");
    assert_eq!(changes_of(&plan, "create").len(), 0, "{plan:#}");
    assert_eq!(changes_of(&plan, "delete").len(), 0, "{plan:#}");
    let updates = changes_of(&plan, "update");
    assert_eq!(updates.len(), 2 * TENANTS.len(), "{plan:#}");
    for update in &updates {
        let key = update["key"].as_str().expect("key");
        let old = key.replace("login_probe", "login_check");
        assert_eq!(update["moved_from"], old.as_str(), "{update:#}");
    }
    assert_eq!(
        plan["summary"]["drifted"], 0,
        "a move is not drift: {plan:#}"
    );
    let human = output_text(&monc_at(&dir, &url, &["diff"]));
    assert!(
        human.contains("l3/login_probe/acme  ") && human.contains("moved from l3/login_check/acme"),
        "{human}"
    );

    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    assert_eq!(ids_of(&emulator, "login_probe"), before, "ids kept");
    assert!(
        !common::keys_in_org(&emulator)
            .iter()
            .any(|k| k.contains("login_check")),
        "no monitor keeps the old key"
    );
    assert!(common::dangling_composites(&emulator).is_empty());
    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(0), "clean after sync: {plan:#}");
    runtime.block_on(emulator.shutdown());
}

#[test]
fn a_moved_block_whose_old_and_new_monitors_are_both_live_writes_nothing() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("moved", "conflict");
    assert!(monc_at(&dir, &url, &["sync", "--yes"]).status.success());
    // Renamed without a moved block and synced without --prune: both keys are live.
    rename_template(&dir, false);
    assert!(monc_at(&dir, &url, &["sync", "--yes"]).status.success());
    rename_template(&dir, true);
    let before = emulator.monitors();

    let diff = monc_at(&dir, &url, &["diff"]);
    let said = output_text(&diff);
    assert_eq!(diff.status.code(), Some(1), "{said}");
    assert!(
        said.contains("`l3/login_check/acme` (id")
            && said.contains(
                "is moved to `l3/login_probe/acme`, but `l3/login_probe/acme` is in the org too"
            ),
        "{said}"
    );
    let sync = monc_at(&dir, &url, &["sync", "--yes", "--prune"]);
    assert_eq!(sync.status.code(), Some(1), "{}", output_text(&sync));
    assert_eq!(emulator.monitors(), before, "nothing was written");
    runtime.block_on(emulator.shutdown());
}

#[tokio::test]
async fn one_instance_moves_when_its_tenant_is_renamed() {
    let (emulator, client) = common::start().await;
    let dir = common::reference_copy("moved", "tenant-rename");
    common::sync(&dir, &client, false).await;
    let before = common::id_of(&emulator, "l3/login_check/acme");
    let tenant = std::fs::read_to_string(dir.join("tenants/acme.hcl")).expect("read");
    std::fs::write(
        dir.join("tenants/acme.hcl"),
        tenant.replace("tenant \"acme\"", "tenant \"acme-corp\""),
    )
    .expect("write");
    std::fs::write(
        dir.join("monitors/moves.hcl"),
        "moved {\n  from = monitor.login_check[\"acme\"]\n  to   = monitor.login_check[\"acme-corp\"]\n}\n",
    )
    .expect("write");
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    let moved: Vec<(&str, &str)> = plan
        .changes
        .iter()
        .filter_map(|c| Some((c.key.as_str(), c.moved_from.as_deref()?)))
        .collect();
    assert_eq!(
        moved,
        [
            ("l3/login_check/acme-corp", "l3/login_check/acme"),
            (
                "l3/login_check/acme-corp/composite",
                "l3/login_check/acme/composite"
            ),
        ]
    );
    common::sync(&dir, &client, true).await;
    assert_eq!(common::id_of(&emulator, "l3/login_check/acme-corp"), before);
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    assert!(!plan.has_changes(), "{:?}", plan.changes);
}

/// Two live monitors with the old key in different tiers (`l2/x/acme` left over from a tier
/// change, `l3/x/acme`): which one a moved block would take over is ambiguous. Neither is taken
/// over (it used to be one picked by hash order); the new monitor is created.
#[test]
fn a_moved_block_whose_old_key_is_live_in_two_tiers_takes_over_neither() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("moved", "two-tiers");
    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let mut leftover = emulator
        .monitors()
        .into_iter()
        .find(|m| m["id"].as_i64() == Some(common::id_of(&emulator, "l3/login_check/acme")))
        .expect("monitor");
    let object = leftover.as_object_mut().expect("object");
    object.remove("id");
    object.insert(
        "tags".into(),
        serde_json::json!(["managed-by:monc", "monc-key:l2/login_check/acme"]),
    );
    emulator.insert_monitor(leftover).expect("inserted");

    rename_template(&dir, true);
    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(2), "{plan:#}");
    let moved: Vec<_> = changes_of(&plan, "update")
        .into_iter()
        .filter(|u| u["key"] == "l3/login_probe/acme")
        .collect();
    assert!(moved.is_empty(), "taken over: {moved:#?}");
    assert!(
        changes_of(&plan, "create")
            .iter()
            .any(|c| c["key"] == "l3/login_probe/acme"),
        "{plan:#}"
    );
    runtime.block_on(emulator.shutdown());
}

/// A page's member renamed with a moved block keeps its id, so the page, which names its
/// members by id, is not touched at all.
#[test]
fn a_renamed_page_member_keeps_its_id_and_its_page_is_untouched() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("moved", "page-member");
    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let member = common::id_of(&emulator, "l3/api_error_rate/acme");
    let page = common::id_of(&emulator, "l3/api/acme");

    let path = dir.join("monitors/l3_tenant.hcl");
    let hcl = std::fs::read_to_string(&path)
        .expect("read")
        .replace("monitor \"api_error_rate\"", "monitor \"api_errors\"")
        .replace(
            "monitor.api_error_rate[tenant.name]",
            "monitor.api_errors[tenant.name]",
        );
    let hcl = hcl + "\nmoved {\n  from = monitor.api_error_rate\n  to   = monitor.api_errors\n}\n";
    std::fs::write(path, hcl).expect("write");
    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(2), "{plan:#}");
    let changed: Vec<&str> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["key"].as_str().expect("key"))
        .collect();
    let renamed: Vec<String> = TENANTS
        .iter()
        .map(|t| format!("l3/api_errors/{t}"))
        .collect();
    assert_eq!(changed, renamed, "only the members' key tags: {plan:#}");

    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    assert_eq!(common::id_of(&emulator, "l3/api_errors/acme"), member);
    assert_eq!(common::id_of(&emulator, "l3/api/acme"), page);
    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(0), "clean after sync: {plan:#}");
    runtime.block_on(emulator.shutdown());
}

/// Renames template `from` to `to` in the reference's tenant monitors.
fn rename(dir: &Path, from: &str, to: &str) {
    let path = dir.join("monitors/l3_tenant.hcl");
    let hcl = std::fs::read_to_string(&path)
        .expect("read")
        .replace(&format!("monitor \"{from}\""), &format!("monitor \"{to}\""));
    std::fs::write(path, hcl).expect("write");
}

fn add_moved(dir: &Path, from: &str, to: &str) {
    let path = dir.join("monitors/moves.hcl");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str(&format!("moved {{\n  from = {from}\n  to   = {to}\n}}\n"));
    std::fs::write(path, text).expect("write");
}

fn validates(dir: &Path) -> String {
    let output = common::monc_in(dir)
        .args(["validate", "--verbose"])
        .output()
        .expect("validate");
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    text
}

/// Terraform's rules: blocks stay in the code harmlessly. A → B applied, then B renamed to C
/// with a second block B → C: the chain resolves, whether the org was synced after the first
/// rename or not.
#[test]
fn chained_moved_blocks_resolve_and_stay_harmless() {
    for synced_between in [true, false] {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let emulator = common::start_on(&runtime);
        let url = emulator.base_url();
        let dir = common::reference_copy("moved", "chain");
        assert!(monc_at(&dir, &url, &["sync", "--yes"]).status.success());
        let before = ids_of(&emulator, "login_check");

        rename(&dir, "login_check", "login_probe");
        add_moved(&dir, "monitor.login_check", "monitor.login_probe");
        if synced_between {
            let synced = monc_at(&dir, &url, &["sync", "--yes"]);
            assert!(synced.status.success(), "{}", output_text(&synced));
        }
        rename(&dir, "login_probe", "login_watch");
        add_moved(&dir, "monitor.login_probe", "monitor.login_watch");
        validates(&dir);
        let (code, plan) = diff_json(&dir, &url);
        assert_eq!(code, Some(2), "{plan:#}");
        assert!(changes_of(&plan, "create").is_empty(), "{plan:#}");
        assert!(changes_of(&plan, "delete").is_empty(), "{plan:#}");
        let synced = monc_at(&dir, &url, &["sync", "--yes"]);
        assert!(synced.status.success(), "{}", output_text(&synced));
        assert_eq!(ids_of(&emulator, "login_watch"), before, "ids kept");
        assert_eq!(diff_json(&dir, &url).0, Some(0));
    }
}

#[test]
fn a_block_that_no_longer_applies_is_a_note_not_an_error() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("moved", "stale");
    assert!(monc_at(&dir, &url, &["sync", "--yes"]).status.success());
    // A tenant renamed with a block; later that tenant is removed altogether.
    let tenant = std::fs::read_to_string(dir.join("tenants/acme.hcl")).expect("read");
    std::fs::write(
        dir.join("tenants/acme.hcl"),
        tenant.replace("tenant \"acme\"", "tenant \"acme-corp\""),
    )
    .expect("write");
    add_moved(
        &dir,
        "monitor.login_check[\"acme\"]",
        "monitor.login_check[\"acme-corp\"]",
    );
    assert!(monc_at(&dir, &url, &["sync", "--yes"]).status.success());
    std::fs::remove_file(dir.join("tenants/acme.hcl")).expect("remove");
    let said = validates(&dir);
    assert!(said.contains("no longer applies"), "{said}");
    // The template the block moved into is renamed later, without its own block.
    let dir = common::reference_copy("moved", "stale-to");
    rename(&dir, "login_check", "login_probe");
    add_moved(&dir, "monitor.login_check", "monitor.login_probe");
    rename(&dir, "login_probe", "login_watch");
    let said = validates(&dir);
    assert!(said.contains("no longer applies"), "{said}");
}

/// Terraform moves a resource into an instance of the same name when `for_each` is added.
#[test]
fn a_single_monitor_moves_into_an_instance_of_the_same_template() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("moved", "single-to-instance");
    let path = dir.join("monitors/backups.hcl");
    let single = "monitor \"backup_age\" {\n  tier    = \"L2\"\n  name    = \"Backups are old\"\n  \
                  type    = \"metric alert\"\n  query   = \"avg(last_1h):avg:backup.age{*} > 86400\"\n  \
                  message = \"Backups are old.\"\n}\n";
    std::fs::write(&path, single).expect("write");
    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let before = common::id_of(&emulator, "l2/backup_age");
    // One monitor per cluster now; prod-tokyo-1's keeps the old id.
    let per_cluster = "monitor \"backup_age\" {\n  tier     = \"L2\"\n  for_each = clusters\n  \
                       name     = \"[${cluster.name}] Backups are old\"\n  type     = \"metric alert\"\n  \
                       query    = \"avg(last_1h):avg:backup.age{cluster:${cluster.name}} > 86400\"\n  \
                       message  = \"Backups are old.\"\n}\n";
    std::fs::write(&path, per_cluster).expect("write");
    add_moved(
        &dir,
        "monitor.backup_age",
        "monitor.backup_age[\"prod-tokyo-1\"]",
    );
    validates(&dir);
    let synced = monc_at(&dir, &url, &["sync", "--yes", "--prune"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    assert_eq!(
        common::id_of(&emulator, "l2/backup_age/prod-tokyo-1"),
        before
    );
}

/// Once no monitor in the org has the key a block moves from, `diff` says the block has done its
/// job and can go (validate cannot: it does not read the org).
#[test]
fn diff_says_when_a_moved_block_has_done_its_job() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("moved", "done");
    assert!(monc_at(&dir, &url, &["sync", "--yes"]).status.success());
    rename_template(&dir, true);
    let pending = output_text(&monc_at(&dir, &url, &["diff"]));
    assert!(!pending.contains("has done its job"), "{pending}");
    assert!(monc_at(&dir, &url, &["sync", "--yes"]).status.success());
    let done = monc_at(&dir, &url, &["diff"]);
    assert_eq!(done.status.code(), Some(0));
    let said = output_text(&done);
    assert!(
        said.contains("l3_tenant.hcl:") && said.contains("has done its job"),
        "{said}"
    );
}
