//! Saved plans (issue 24): `monc diff --out plan.json` writes the plan, `monc sync --plan
//! plan.json` applies exactly it, and refuses, naming what moved, when the configuration, the
//! org, or a monitor it touches changed since; a plan file that is not whole, of another
//! format, or edited is refused before the org is contacted.

use crate::common;
use std::path::{Path, PathBuf};

use monc_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use serde_json::Value;

/// An emulated org with id `org_id`, on a free loopback port.
fn org(runtime: &tokio::runtime::Runtime, org_id: i64) -> EmulatorHandle {
    runtime
        .block_on(Emulator::start(EmulatorConfig {
            port: 0,
            org_id: Some(org_id),
            ..EmulatorConfig::default()
        }))
        .expect("emulator")
}

/// `monc ARGS --api-url <emulator>` in `dir`: exit code and everything printed.
fn run(dir: &Path, emulator: &EmulatorHandle, args: &[&str]) -> (i32, String) {
    let output = common::monc_at(dir, &emulator.base_url(), args);
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

/// The reference setup synced into a fresh org, the acme latency limit raised, and a plan
/// (one update) saved: the directory and the plan file.
fn synced_then_planned(
    runtime: &tokio::runtime::Runtime,
    name: &str,
) -> (EmulatorHandle, PathBuf, PathBuf) {
    let emulator = org(runtime, 320_001);
    let dir = common::reference_copy("saved_plan", name);
    let (code, text) = run(&dir, &emulator, &["sync", "--yes"]);
    assert_eq!(code, 0, "{text}");
    raise_acme_latency_limit(&dir, "0.9");
    let plan = dir.join("plan.json");
    let (code, text) = run(&dir, &emulator, &["diff", "--out", "plan.json"]);
    assert_eq!(code, 2, "{text}");
    emulator.clear_requests();
    (emulator, dir, plan)
}

fn raise_acme_latency_limit(dir: &Path, to: &str) {
    let tenant = dir.join("tenants/acme.hcl");
    let text = std::fs::read_to_string(&tenant).expect("read");
    let edited = text.replace("p95_latency_s  = 0.8", &format!("p95_latency_s  = {to}"));
    assert_ne!(text, edited, "the acme tenant sets p95_latency_s");
    std::fs::write(&tenant, edited).expect("write");
}

/// `sync --plan plan.json --yes` refused: exit 1, nothing written, and the message says `why`.
fn assert_refused(dir: &Path, emulator: &EmulatorHandle, why: &str) -> String {
    let (code, text) = run(dir, emulator, &["sync", "--plan", "plan.json", "--yes"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(why), "expected {why:?} in:\n{text}");
    assert_eq!(writes(emulator), Vec::<String>::new(), "{text}");
    text
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

#[test]
fn a_saved_plan_is_applied_exactly_and_written_privately() {
    let runtime = runtime();
    let (emulator, dir, plan) = synced_then_planned(&runtime, "applied");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&plan)
            .expect("plan written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the plan holds org data");
    }
    let (code, text) = run(&dir, &emulator, &["sync", "--plan", "plan.json", "--yes"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Applied: 0 created, 1 updated, 0 deleted."),
        "{text}"
    );
    let updates: Vec<String> = writes(&emulator);
    assert_eq!(updates.len(), 1, "{updates:?}");
    let (code, text) = run(&dir, &emulator, &["diff", "--out", "plan.json"]);
    assert_eq!(code, 0, "no change pending after the plan: {text}");
}

#[test]
fn refused_when_the_configuration_changed_since() {
    let runtime = runtime();
    let (emulator, dir, _) = synced_then_planned(&runtime, "config");
    let tenant = dir.join("tenants/acme.hcl");
    let text = std::fs::read_to_string(&tenant).expect("read");
    std::fs::write(
        &tenant,
        text.replace("p95_latency_s  = 0.9", "p95_latency_s  = 1.5"),
    )
    .expect("write");
    let text = assert_refused(&dir, &emulator, "the configuration changed since the plan");
    assert!(text.contains("l3/api_latency_p95/acme"), "{text}");
}

#[test]
fn refused_in_another_org() {
    let runtime = runtime();
    let (_planned_in, dir, _) = synced_then_planned(&runtime, "org");
    let other = org(&runtime, 320_999);
    let other_dir = common::reference_copy("saved_plan", "org_other");
    let (code, text) = run(&other_dir, &other, &["sync", "--yes"]);
    assert_eq!(code, 0, "{text}");
    other.clear_requests();
    let text = assert_refused(&dir, &other, "this run reaches");
    assert!(
        text.contains("org 320001") && text.contains("org 320999"),
        "{text}"
    );
}

#[test]
fn refused_when_a_touched_monitor_was_modified_in_the_org_since() {
    let runtime = runtime();
    let (emulator, dir, _) = synced_then_planned(&runtime, "modified");
    let id = common::id_of(&emulator, "l3/api_latency_p95/acme");
    emulator.edit_monitor(id, |m| {
        m.insert("name".into(), "renamed in the UI".into());
    });
    emulator.clear_requests();
    assert_refused(
        &dir,
        &emulator,
        &format!("`l3/api_latency_p95/acme` (id {id}) was modified in the org since the plan"),
    );
}

#[test]
fn refused_when_a_touched_monitor_was_deleted_since() {
    let runtime = runtime();
    let (emulator, dir, _) = synced_then_planned(&runtime, "deleted");
    let id = common::id_of(&emulator, "l3/api_latency_p95/acme");
    let client = monc::datadog::Client::new(
        &emulator.base_url(),
        &monc::datadog::Credentials::new("k", "a"),
        monc::datadog::ClientOptions::default(),
    )
    .expect("client");
    runtime
        .block_on(client.delete_monitor(id, true))
        .expect("deleted by hand");
    emulator.clear_requests();
    assert_refused(
        &dir,
        &emulator,
        &format!("`l3/api_latency_p95/acme`: planned to update id {id}, now needs to create"),
    );
}

#[test]
fn refused_when_monitors_it_creates_were_created_since() {
    let runtime = runtime();
    let emulator = org(&runtime, 320_002);
    let dir = common::reference_copy("saved_plan", "created");
    let (code, text) = run(&dir, &emulator, &["diff", "--out", "plan.json"]);
    assert_eq!(code, 2, "{text}");
    // Another pipeline applies one tenant meanwhile.
    let (code, text) = run(&dir, &emulator, &["sync", "--yes", "--tenant", "acme"]);
    assert_eq!(code, 0, "{text}");
    emulator.clear_requests();
    assert_refused(
        &dir,
        &emulator,
        "`l3/api_latency_p95/acme`: planned to create, now nothing to do",
    );
}

/// The plan file's JSON, edited by `edit`, written back as it is.
fn edit_plan_file(plan: &Path, edit: impl FnOnce(&mut Value)) {
    let mut document: Value =
        serde_json::from_str(&std::fs::read_to_string(plan).expect("read")).expect("json");
    edit(&mut document);
    std::fs::write(plan, serde_json::to_string_pretty(&document).expect("json")).expect("write");
}

#[test]
fn refused_a_plan_from_a_newer_or_unknown_format() {
    let runtime = runtime();
    let (emulator, dir, plan) = synced_then_planned(&runtime, "format");
    edit_plan_file(&plan, |doc| doc["monc_plan"] = 2.into());
    assert_refused(&dir, &emulator, "written in plan format 2 by a newer monc");
    edit_plan_file(&plan, |doc| doc["monc_plan"] = "one".into());
    assert_refused(&dir, &emulator, "unknown plan format \"one\"");
    std::fs::write(&plan, "{\"plan\": {}}").expect("write");
    assert_refused(&dir, &emulator, "not a plan file monc wrote");
}

#[test]
fn refused_a_plan_edited_after_it_was_written() {
    let runtime = runtime();
    let (emulator, dir, plan) = synced_then_planned(&runtime, "tampered");
    edit_plan_file(&plan, |doc| doc["plan"]["options"]["prune"] = true.into());
    assert_refused(&dir, &emulator, "changed since monc wrote it");
}

#[test]
fn refused_a_truncated_plan() {
    let runtime = runtime();
    let (emulator, dir, plan) = synced_then_planned(&runtime, "truncated");
    let text = std::fs::read_to_string(&plan).expect("read");
    std::fs::write(&plan, &text[..text.len() / 2]).expect("write");
    assert_refused(&dir, &emulator, "not a whole plan file (truncated");
}

#[test]
fn planning_flags_with_a_saved_plan_are_usage_errors() {
    let runtime = runtime();
    let (emulator, dir, _) = synced_then_planned(&runtime, "flags");
    for flag in [
        &["--prune"][..],
        &["--tenant", "acme"],
        &["--claim-unnamed"],
        &["--delete-edited"],
        &["--dry-run"],
    ] {
        let mut args = vec!["sync", "--plan", "plan.json", "--yes"];
        args.extend_from_slice(flag);
        let (code, text) = run(&dir, &emulator, &args);
        assert_eq!(code, 1, "{flag:?}: {text}");
        assert!(text.contains("cannot be used with"), "{flag:?}: {text}");
    }
    assert_eq!(writes(&emulator), Vec::<String>::new());
}

#[test]
fn the_plan_keeps_its_tenants_and_prune() {
    let runtime = runtime();
    let emulator = org(&runtime, 320_003);
    let dir = common::reference_copy("saved_plan", "options");
    let (code, text) = run(
        &dir,
        &emulator,
        &["diff", "--tenant", "acme", "--out", "plan.json"],
    );
    assert_eq!(code, 2, "{text}");
    let (code, text) = run(&dir, &emulator, &["sync", "--plan", "plan.json", "--yes"]);
    assert_eq!(code, 0, "{text}");
    let keys = common::keys_in_org(&emulator);
    assert!(keys.iter().any(|k| k.ends_with("/acme")), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains("globex")), "{keys:?}");

    std::fs::remove_file(dir.join("tenants/acme.hcl")).expect("remove acme");
    for (prune, acme_left) in [(&[][..], true), (&["--prune"][..], false)] {
        let mut args = vec!["diff", "--out", "plan.json"];
        args.extend_from_slice(prune);
        let (code, text) = run(&dir, &emulator, &args);
        assert_eq!(code, 2, "{text}");
        let (code, text) = run(&dir, &emulator, &["sync", "--plan", "plan.json", "--yes"]);
        assert_eq!(code, 0, "{text}");
        if acme_left {
            assert!(
                text.contains("make the plan with `monc diff --prune --out FILE`"),
                "{text}"
            );
        }
        let keys = common::keys_in_org(&emulator);
        assert_eq!(
            keys.iter().any(|k| k.ends_with("/acme")),
            acme_left,
            "prune {prune:?}: {keys:?}\n{text}"
        );
    }
}

/// The `monc …` command a workflow of `examples/` runs, from its line starting with `prefix`.
fn workflow_command(workflow: &str, prefix: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(workflow);
    let text = std::fs::read_to_string(&path).expect("workflow");
    let line = text
        .lines()
        .map(str::trim)
        .map(|l| l.strip_prefix("run: ").unwrap_or(l))
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("{workflow} runs `{prefix}`"));
    line.split_whitespace().skip(1).map(String::from).collect()
}

/// The pull-request flow of `examples/`: the plan job's `monc diff` saves a plan that the
/// apply job's `monc sync` applies (here against the local org).
#[test]
fn the_example_workflows_plan_and_apply_with_a_saved_plan() {
    let dir = common::reference_copy("saved_plan", "workflows");
    let plan_job = workflow_command("pr-plan.yml", "monc diff");
    let apply_job = workflow_command("apply-on-merge.yml", "monc sync");
    assert!(plan_job.iter().any(|a| a == "--out"), "{plan_job:?}");
    assert!(apply_job.iter().any(|a| a == "--plan"), "{apply_job:?}");
    let plan = common::monc_in(&dir)
        .args(&plan_job)
        .args(["--org", "local"])
        .output()
        .expect("runs");
    assert_eq!(
        plan.status.code(),
        Some(2),
        "{}",
        common::output_text(&plan)
    );
    let apply = common::monc_in(&dir)
        .args(&apply_job)
        .args(["--org", "local"])
        .output()
        .expect("runs");
    assert_eq!(
        apply.status.code(),
        Some(0),
        "{}",
        common::output_text(&apply)
    );
    let again = common::monc_in(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("runs");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        common::output_text(&again)
    );
}
