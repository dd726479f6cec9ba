//! A shared org (issue 20): hand edits anywhere in a message are drift, clones carrying monc's
//! tags and other projects' monitors are never overwritten or deleted, deletes are blocked by
//! id (never by name), kept chains converge, pairs are never half deleted. Each test drives the
//! binary against the emulator over loopback.

use crate::common::{self, changes_of, monc_at, output_text};
use std::path::Path;

use monc_emulator::EmulatorHandle;
use serde_json::{Value, json};

/// An emulator on its own runtime (the binary blocks this thread) with the reference setup
/// synced to it.
struct Org {
    runtime: tokio::runtime::Runtime,
    emulator: EmulatorHandle,
    url: String,
}

fn synced_org(dir: &Path) -> Org {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let synced = monc_at(dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    Org {
        runtime,
        emulator,
        url,
    }
}

impl Org {
    fn run(&self, dir: &Path, args: &[&str]) -> std::process::Output {
        monc_at(dir, &self.url, args)
    }

    fn edit_message(&self, key: &str, edit: impl FnOnce(&str) -> String) {
        let id = common::id_of(&self.emulator, key);
        assert!(self.emulator.edit_monitor(id, |m| {
            let message = edit(m["message"].as_str().unwrap_or_default());
            m.insert("message".into(), message.into());
        }));
    }

    fn message_of(&self, key: &str) -> String {
        let id = common::id_of(&self.emulator, key);
        let monitor = self.emulator.monitor(id).expect("monitor");
        monitor["message"].as_str().unwrap_or_default().to_string()
    }
}

fn diff_json(org: &Org, dir: &Path) -> (Option<i32>, Value) {
    let output = org.run(dir, &["diff", "--format", "json"]);
    let plan = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), plan)
}

fn change<'a>(plan: &'a Value, key: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no change for {key} in {plan:#}"))
}

const RAW: &str = "l3/login_check/acme";

#[test]
fn a_handle_appended_to_the_marker_line_is_drift_everywhere() {
    let dir = common::reference_copy("shared-org", "handle-on-marker");
    let org = synced_org(&dir);
    org.edit_message(RAW, |m| format!("{m} @pagerduty-ceo"));

    let (code, plan) = diff_json(&org, &dir);
    assert_eq!(code, Some(2), "{plan:#}");
    let edited = change(&plan, RAW);
    assert_eq!(edited["action"], "update", "{edited:#}");
    assert_eq!(edited["drift"], "edited_outside_monc", "{edited:#}");

    let human = org.run(&dir, &["diff"]);
    let text = output_text(&human);
    assert!(text.contains("(edited outside monc)"), "{text}");
    assert!(
        text.contains("@pagerduty-ceo"),
        "the plan shows what goes: {text}"
    );
    let markdown = org.run(&dir, &["diff", "--format", "markdown"]);
    assert!(
        output_text(&markdown).contains("### Drift"),
        "{}",
        output_text(&markdown)
    );

    let synced = org.run(&dir, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    assert!(!org.message_of(RAW).contains("@pagerduty-ceo"));
    assert_eq!(diff_json(&org, &dir).0, Some(0));
}

#[test]
fn a_message_replaced_whole_is_labelled_drift() {
    let dir = common::reference_copy("shared-org", "message-replaced");
    let org = synced_org(&dir);
    org.edit_message(RAW, |_| "Rewritten in the UI @pagerduty-ceo".into());
    let (code, plan) = diff_json(&org, &dir);
    assert_eq!(code, Some(2));
    assert_eq!(
        change(&plan, RAW)["drift"],
        "edited_outside_monc",
        "{plan:#}"
    );
}

#[test]
fn the_plan_shows_a_handle_sync_removes_beside_another_edit() {
    let dir = common::reference_copy("shared-org", "first-line-and-handle");
    let org = synced_org(&dir);
    org.edit_message(RAW, |m| format!("Edited first line\n{m} @pagerduty-ceo"));
    let (_, plan) = diff_json(&org, &dir);
    let fields = change(&plan, RAW)["fields"].to_string();
    assert!(fields.contains("Edited first line"), "{fields}");
    assert!(
        fields.contains("@pagerduty-ceo"),
        "sync removes the handle, so the plan must show it: {fields}"
    );
}

#[test]
fn an_edited_orphan_is_labelled_and_not_deleted_unattended() {
    let dir = common::reference_copy("shared-org", "edited-orphan");
    let org = synced_org(&dir);
    std::fs::remove_file(dir.join("tenants/umbrella.hcl")).expect("remove tenant");
    let orphan = "l3/login_check/umbrella";
    let id = common::id_of(&org.emulator, orphan);
    assert!(org.emulator.edit_monitor(id, |m| {
        m.insert("name".into(), "kept by hand".into());
    }));
    let (_, plan) = diff_json(&org, &dir);
    let delete = change(&plan, orphan);
    assert_eq!(delete["action"], "delete");
    assert_eq!(delete["drift"], "edited_outside_monc", "{delete:#}");

    let unattended = org.run(&dir, &["sync", "--yes", "--prune"]);
    let text = output_text(&unattended);
    assert!(
        org.emulator.monitor(id).is_some(),
        "deleted unattended: {text}"
    );
    assert!(text.contains("--delete-edited"), "{text}");
    let keys = common::keys_in_org(&org.emulator);
    assert!(
        !keys.iter().any(|k| k == "l3/api_error_rate/umbrella"),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .any(|k| k == "l3/login_check/umbrella/composite"),
        "the edited monitor keeps its composite: {keys:?}"
    );

    let asked = org.run(&dir, &["sync", "--yes", "--prune", "--delete-edited"]);
    assert!(asked.status.success(), "{}", output_text(&asked));
    assert!(org.emulator.monitor(id).is_none());
}

/// A colleague's clone in the UI: monc's tags, its own name, query and message.
fn clone_of(org: &Org, key: &str, copy_marker: bool) -> i64 {
    let original = org
        .emulator
        .monitor(common::id_of(&org.emulator, key))
        .expect("original");
    let message = if copy_marker {
        format!(
            "Cloned for staging\n{}",
            original["message"].as_str().unwrap_or_default()
        )
    } else {
        "Cloned for staging".to_string()
    };
    org.emulator
        .insert_monitor(json!({
            "name": "[acme] Login page unreachable (staging)",
            "type": original["type"],
            "query": original["query"].as_str().unwrap_or_default().replace("acme", "acme-staging"),
            "message": message,
            "tags": original["tags"],
            "options": original["options"],
        }))
        .expect("clone")
}

#[test]
fn a_clone_carrying_monc_tags_is_a_conflict_never_deleted() {
    for copy_marker in [false, true] {
        let dir = common::reference_copy("shared-org", "clone");
        let org = synced_org(&dir);
        let original = common::id_of(&org.emulator, RAW);
        let before = org.emulator.monitor(original).expect("original");
        let clone = clone_of(&org, RAW, copy_marker);

        let (code, plan) = diff_json(&org, &dir);
        assert_eq!(code, Some(0), "a clone is no change monc makes: {plan:#}");
        assert!(changes_of(&plan, "delete").is_empty(), "{plan:#}");
        let conflicts = plan["conflicts"].to_string();
        assert!(conflicts.contains(&clone.to_string()), "{plan:#}");
        let human = output_text(&org.run(&dir, &["diff"]));
        assert!(human.contains(&format!("id {clone}")), "{human}");
        assert!(human.contains("monc-key"), "says how to untag: {human}");

        let synced = org.run(&dir, &["sync", "--yes", "--prune"]);
        assert!(synced.status.success(), "{}", output_text(&synced));
        assert!(org.emulator.monitor(clone).is_some(), "clone deleted");
        assert_eq!(org.emulator.monitor(original).expect("kept"), before);
    }
}

/// Removes the Osaka cluster and both its tenants: their monitors and the cluster's become
/// orphans.
fn remove_osaka(dir: &Path) {
    for tenant in ["initech", "umbrella"] {
        std::fs::remove_file(dir.join(format!("tenants/{tenant}.hcl"))).expect("remove tenant");
    }
    let clusters = dir.join("tenants/clusters.hcl");
    let text = std::fs::read_to_string(&clusters).expect("read");
    let start = text.find("cluster \"prod-osaka-1\"").expect("osaka");
    std::fs::write(&clusters, &text[..start]).expect("write");
}

#[test]
fn prune_converges_when_a_kept_composite_still_uses_a_shared_monitor() {
    let dir = common::reference_copy("shared-org", "kept-chain");
    let org = synced_org(&dir);
    let raw = common::id_of(&org.emulator, "l3/login_check/umbrella");
    org.emulator
        .insert_monitor(
            json!({"name": "Team dashboard composite", "type": "composite",
            "query": format!("{raw} && {raw}"), "message": "theirs", "tags": ["team:other"],
            "options": {}}),
        )
        .expect("foreign composite");
    remove_osaka(&dir);
    for round in 0..2 {
        let synced = org.run(&dir, &["sync", "--yes", "--prune"]);
        assert!(
            synced.status.success(),
            "round {round}: {}",
            output_text(&synced)
        );
    }
    let (code, plan) = diff_json(&org, &dir);
    assert_eq!(code, Some(0), "converged: {plan:#}");
    assert!(common::dangling_composites(&org.emulator).is_empty());
    let kept = change(&plan, "l3/login_check/umbrella/composite");
    let suppressors = org
        .emulator
        .monitor(common::id_of(
            &org.emulator,
            "l3/login_check/umbrella/composite",
        ))
        .expect("kept composite")["query"]
        .to_string();
    assert!(kept["blocked"].is_string(), "{kept:#}");
    for id in monc_emulator::composite_ids(suppressors.trim_matches('"')).unwrap_or_default() {
        assert!(
            org.emulator.monitor(id).is_some(),
            "kept composite lost {id}"
        );
    }
}

#[test]
fn blockers_are_matched_by_id_not_by_a_name_that_prefixes_another() {
    let dir = common::reference_copy("shared-org", "prefix-names");
    let l3 = dir.join("monitors/l3_tenant.hcl");
    let text = std::fs::read_to_string(&l3).expect("read");
    // Composite names `... app 1` and `... app 11`: one is a prefix of the other.
    let renamed = text.replace(
        "name       = \"[${tenant.name}] Login page unreachable\"",
        "name       = \"Login app ${tenant.vars.n}\"",
    );
    assert_ne!(renamed, text, "template name not found");
    std::fs::write(&l3, renamed).expect("write");
    for (tenant, n) in [
        ("acme", 1),
        ("globex", 11),
        ("initech", 2),
        ("umbrella", 21),
    ] {
        let path = dir.join(format!("tenants/{tenant}.hcl"));
        let text = std::fs::read_to_string(&path).expect("read");
        let with_n = text.replacen("vars = {", &format!("vars = {{\n    n = {n}"), 1);
        std::fs::write(&path, with_n).expect("write");
    }
    let org = synced_org(&dir);
    remove_osaka(&dir);
    let (_, plan) = diff_json(&org, &dir);
    let blocked: Vec<&Value> = plan["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["blocked"].is_string())
        .collect();
    assert!(blocked.is_empty(), "{blocked:#?}");
    let synced = org.run(&dir, &["sync", "--yes", "--prune"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    assert_eq!(diff_json(&org, &dir).0, Some(0));
}

#[tokio::test]
async fn a_pair_is_never_half_deleted_when_the_monitor_changed_after_the_plan() {
    let (emulator, client) = common::start().await;
    let dir = common::reference_copy("shared-org", "half-pair");
    common::sync(&dir, &client, false).await;
    std::fs::remove_file(dir.join("tenants/umbrella.hcl")).expect("remove tenant");
    let (plan, wire) = common::make_plan(&dir, &client).await.expect("plan");
    // An edit lands on the raw monitor after the plan was read, before its composite goes.
    let raw = common::id_of(&emulator, "l3/login_check/umbrella");
    let composite = common::id_of(&emulator, "l3/login_check/umbrella/composite");
    assert!(emulator.edit_monitor(raw, |m| {
        m.insert("name".into(), "kept by hand".into());
    }));
    let report = monc::sync::apply(&client, &plan, &wire, &common::apply_options(&dir, true)).await;
    assert!(
        emulator.monitor(raw).is_some(),
        "the edited monitor is kept"
    );
    assert!(
        emulator.monitor(composite).is_some(),
        "its composite is kept with it: {report:#?}"
    );
    assert!(report.incomplete(), "and the run says so");
}

/// Renames a monitor template's name `from` → `to`: a plan with exactly one update.
fn rename(dir: &Path, from: &str, to: &str) {
    let path = dir.join("monitors/l0_platform.hcl");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{from} not in {text}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

#[tokio::test]
async fn a_validation_without_an_answer_is_asked_again_not_called_a_refusal() {
    use monc::plan::Action;
    use monc_emulator::Fate;
    let (emulator, _) = common::start().await;
    // One retry in the client, fast, one request at a time: the scripted answers land in order.
    let client = monc::datadog::Client::new(
        &emulator.base_url(),
        &monc::datadog::Credentials::new("k", "a"),
        monc::datadog::ClientOptions {
            max_retries: 1,
            max_concurrency: 1,
            initial_backoff: std::time::Duration::from_millis(1),
            max_backoff: std::time::Duration::from_millis(5),
            ..Default::default()
        },
    )
    .expect("client");
    let dir = common::reference_copy("shared-org", "flaky-validation");
    common::sync(&dir, &client, false).await;

    rename(&dir, "heartbeat missing", "heartbeat missing (renamed)");
    let (plan, wire) = common::make_plan(&dir, &client).await.expect("plan");
    assert_eq!(plan.count(Action::Update), 1, "{:#?}", plan.changes);
    // The validation request and the client's retry both get a 503.
    emulator.script_fates([Fate::ServerError(503), Fate::ServerError(503)]);
    let report =
        monc::sync::apply(&client, &plan, &wire, &common::apply_options(&dir, false)).await;
    assert!(
        !report.validation_failed,
        "a 503 is no refusal: {report:#?}"
    );
    assert_eq!(report.succeeded(Action::Update), 1, "{report:#?}");

    rename(&dir, "(renamed)", "(renamed again)");
    let (plan, wire) = common::make_plan(&dir, &client).await.expect("plan");
    emulator.script_fates(std::iter::repeat_n(Fate::ServerError(503), 6));
    let report =
        monc::sync::apply(&client, &plan, &wire, &common::apply_options(&dir, false)).await;
    assert!(!report.validation_failed, "{report:#?}");
    assert!(report.validation_unavailable, "{report:#?}");
    let said: Vec<String> = report
        .failures()
        .filter_map(|o| o.error.as_ref().map(ToString::to_string))
        .collect();
    assert!(said.iter().all(|e| e.contains("not a refusal")), "{said:?}");
    assert_eq!(report.succeeded(Action::Update), 0, "nothing written");
}

/// Every monitor of the org whose tags hold `tag`, by id, as the API renders it.
fn monitors_tagged(emulator: &EmulatorHandle, tag: &str) -> Vec<Value> {
    emulator
        .monitors()
        .into_iter()
        .filter(|m| {
            m["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == tag))
        })
        .collect()
}

#[test]
fn two_projects_in_one_org_never_touch_each_other() {
    let first = common::reference_copy("shared-org", "first-project");
    let org = synced_org(&first);
    let before = org.emulator.monitors();
    let second = first.parent().expect("parent").join("second-project");
    let _ = std::fs::remove_dir_all(&second);
    let init = common::monc_in(first.parent().expect("parent"))
        .args(["init", "-C", "second-project"])
        .output()
        .expect("init");
    assert!(init.status.success(), "{}", output_text(&init));
    let monc_hcl = std::fs::read_to_string(second.join("monc.hcl")).expect("monc.hcl");
    assert!(
        monc_hcl.contains("project = \"second-project\""),
        "{monc_hcl}"
    );

    let synced = org.run(&second, &["sync", "--yes", "--prune"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let after: Vec<Value> = org
        .emulator
        .monitors()
        .into_iter()
        .filter(|m| before.iter().any(|b| b["id"] == m["id"]))
        .collect();
    assert_eq!(
        after, before,
        "the second project changed the first's monitors"
    );
    let seconds = monitors_tagged(&org.emulator, "monc-project:second-project");
    assert!(
        !seconds.is_empty(),
        "the second project wrote its own monitors"
    );

    // Both are clean, and each one's prune leaves the other's monitors alone.
    for (dir, name) in [(&first, "first"), (&second, "second")] {
        let synced = org.run(dir, &["sync", "--yes", "--prune"]);
        assert!(synced.status.success(), "{name}: {}", output_text(&synced));
        let (code, plan) = diff_json(&org, dir);
        assert_eq!(code, Some(0), "{name}: {plan:#}");
    }
    assert_eq!(
        monitors_tagged(&org.emulator, "monc-project:second-project").len(),
        seconds.len()
    );
    assert_eq!(org.emulator.monitors().len(), before.len() + seconds.len());
    let human = output_text(&org.run(&second, &["diff"]));
    assert!(
        human.contains("another monc project"),
        "the plan says why it leaves them alone: {human}"
    );
}

#[test]
fn a_project_named_later_claims_its_monitors_only_when_asked() {
    let dir = common::reference_copy("shared-org", "named-later");
    let org = synced_org(&dir);
    let settings = dir.join("monc.hcl");
    let text = std::fs::read_to_string(&settings).expect("read");
    std::fs::write(&settings, format!("project = \"reference\"\n{text}")).expect("write");

    let (_, plan) = diff_json(&org, &dir);
    assert_eq!(plan["other_projects"][""], 34, "{plan:#}");
    assert!(changes_of(&plan, "update").is_empty() && changes_of(&plan, "delete").is_empty());
    let human = output_text(&org.run(&dir, &["diff"]));
    assert!(human.contains("--claim-unnamed"), "{human}");

    let claimed = org.run(&dir, &["diff", "--claim-unnamed", "--format", "json"]);
    let plan: Value = serde_json::from_slice(&claimed.stdout).expect("json");
    assert_eq!(plan["summary"]["create"], 0, "{plan:#}");
    assert_eq!(plan["summary"]["update"], 34, "{plan:#}");
    assert_eq!(plan["summary"]["drifted"], 0, "{plan:#}");
    let synced = org.run(&dir, &["sync", "--yes", "--claim-unnamed"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    assert_eq!(diff_json(&org, &dir).0, Some(0));
    assert_eq!(org.emulator.monitors().len(), 34);
}

#[test]
fn a_project_name_must_make_a_tag() {
    let dir = common::reference_copy("shared-org", "bad-project-name");
    let settings = dir.join("monc.hcl");
    let text = std::fs::read_to_string(&settings).expect("read");
    std::fs::write(&settings, format!("project = \"Team Payments!\"\n{text}")).expect("write");
    let output = common::monc_in(&dir)
        .arg("validate")
        .output()
        .expect("validate");
    assert_eq!(output.status.code(), Some(1));
    let text = output_text(&output);
    assert!(text.contains("invalid `project`"), "{text}");
    assert!(text.contains("monc.hcl:1:"), "{text}");
}

#[test]
fn a_replaced_message_is_posted_as_drift_to_slack() {
    let dir = common::reference_copy("shared-org", "slack-replaced");
    let org = synced_org(&dir);
    let (hook, received) = org.runtime.block_on(crate::cli_org::fake_webhook());
    org.edit_message(RAW, |_| "Rewritten in the UI @pagerduty-ceo".into());
    let output = common::monc_in(&dir)
        .env("DD_API_KEY", "k")
        .env("DD_APP_KEY", "a")
        .env("MONC_SLACK_WEBHOOK_URL", hook)
        .args(["diff", "--notify-slack", "--api-url", &org.url])
        .output()
        .expect("diff");
    assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
    let messages = received.lock().expect("lock").clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let text = messages[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(RAW) && text.contains("edited outside monc"),
        "{text}"
    );
}

/// A create whose answer is lost is looked up by key: only a monitor this project wrote counts,
/// never another project's monitor with the same key (its composites would point at it).
#[tokio::test]
async fn a_lost_create_is_never_matched_to_another_projects_monitor() {
    use monc_emulator::Fate;
    let (emulator, client) = common::start().await;
    let dir = common::reference_copy("shared-org", "lost-create-two-projects");
    common::sync(&dir, &client, false).await;
    let settings = dir.join("monc.hcl");
    let text = std::fs::read_to_string(&settings).expect("read");
    std::fs::write(&settings, format!("project = \"second\"\n{text}")).expect("write");
    let checked = monc::check(&monc::load::LoadOptions::in_dir(&dir)).expect("loads");
    let ownership = monc::plan::Ownership::of(&checked.model.project);
    let org = monc::plan::live::plan_against_org(&client, &checked, &ownership, &[])
        .await
        .expect("plan");
    let one_at_a_time = monc::datadog::Client::new(
        &emulator.base_url(),
        &monc::datadog::Credentials::new("k", "a"),
        monc::datadog::ClientOptions {
            max_concurrency: 1,
            ..Default::default()
        },
    )
    .expect("client");
    // The first create is carried out, but its answer never arrives.
    emulator.script_fates([Fate::DropAfterCommit]);
    let options = monc::sync::ApplyOptions {
        ownership: ownership.clone(),
        validate_first: false,
        ..common::apply_options(&dir, false)
    };
    let report = monc::sync::apply(&one_at_a_time, &org.plan, &org.live, &options).await;
    assert!(report.failures().next().is_none(), "{report:#?}");
    for outcome in &report.outcomes {
        let id = outcome.id.expect("an id");
        let monitor = emulator.monitor(id).expect("monitor");
        assert!(
            monitor["tags"].to_string().contains("monc-project:second"),
            "{} was matched to monitor {id} of another project: {monitor:#}",
            outcome.key
        );
    }
}
