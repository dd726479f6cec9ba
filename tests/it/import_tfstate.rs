//! `monc import --from terraform.tfstate --adopt` end to end against the emulator (issue 13
//! item 7): monitors a Terraform setup created (a module per layer, one module instance per
//! tenant, each tenant's monitor paging through its own composite `A && !B`) are imported from
//! the state, adopted by id, and the next diff only updates them: no creates, no deletes.

use crate::common::{self, changes_of, diff_json, monc_at, output_text};
use std::path::{Path, PathBuf};

use monc_emulator::EmulatorHandle;
use serde_json::{Value, json};

/// An empty project with the default tiers.
fn project(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("import-tfstate")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("monc.hcl"), "tiers = [\"L0\", \"L2\", \"L3\"]\n").expect("monc.hcl");
    dir
}

/// The options the Datadog provider sends for every monitor (it always sends these).
pub(crate) fn provider_options(critical: Option<f64>) -> Value {
    let mut options = json!({
        "notify_no_data": false, "require_full_window": true, "include_tags": true,
        "new_host_delay": 300, "no_data_timeframe": 10, "renotify_interval": 60,
    });
    if let Some(critical) = critical {
        options["thresholds"] = json!({"critical": critical});
    }
    options
}

const TENANTS: [&str; 3] = ["tenant-a", "tenant-b", "tenant-c"];

/// Creates the monitors as `terraform apply` would have; returns (module address, resource
/// name, id) of each.
fn terraform_apply(emulator: &EmulatorHandle) -> Vec<(String, &'static str, i64)> {
    let insert = |m: Value| emulator.insert_monitor(m).expect("inserted");
    let alb = insert(json!({
        "name": "[prod] ALB 5xx", "type": "query alert",
        "query": "sum(last_5m):sum:aws.applicationelb.httpcode_elb_5xx{env:prod}.as_count() > 50",
        "message": "The load balancer returns 5xx @slack-platform", "tags": ["layer:l2"],
        "priority": 2, "options": provider_options(Some(50.0)),
    }));
    let mut created = vec![("module.level2".to_string(), "alb_5xx", alb)];
    for tenant in TENANTS {
        let module = format!("module.level3[\"{tenant}\"]");
        let errors = insert(json!({
            "name": format!("[{tenant}] API errors"), "type": "query alert",
            "query": format!("sum(last_5m):sum:api.errors{{service:{tenant}-api}}.as_count() > 10"),
            "message": format!("API errors for {tenant}"), "tags": ["layer:l3"],
            "priority": 3, "options": provider_options(Some(10.0)),
        }));
        let paging = insert(json!({
            "name": format!("[{tenant}] API errors (paging)"), "type": "composite",
            "query": format!("{errors} && !{alb}"),
            "message": format!("API errors for {tenant} @slack-{tenant}-oncall"),
            "tags": ["layer:l3"], "priority": 3, "options": provider_options(None),
        }));
        created.push((module.clone(), "errors", errors));
        created.push((module, "errors_paging", paging));
    }
    created
}

/// The state the provider's read writes for a live monitor: flat options with zero values for
/// what is absent, thresholds as strings, priority as a string.
pub(crate) fn state_attributes(live: &Value) -> Value {
    let options = &live["options"];
    let int = |key: &str| options[key].as_i64().unwrap_or(0);
    let boolean = |key: &str, default: bool| options[key].as_bool().unwrap_or(default);
    let thresholds: serde_json::Map<String, Value> = ["ok", "warning", "critical", "unknown"]
        .iter()
        .map(|k| {
            let v = options["thresholds"][k]
                .as_f64()
                .map_or(String::new(), |n| n.to_string());
            (k.to_string(), Value::String(v))
        })
        .collect();
    json!({
        "id": live["id"].as_i64().expect("id").to_string(),
        "name": live["name"], "type": live["type"], "query": live["query"],
        "message": live["message"], "tags": live["tags"],
        "priority": live["priority"].as_i64().map_or(String::new(), |p| p.to_string()),
        "monitor_thresholds": if options["thresholds"].is_object() { json!([thresholds]) } else { json!([]) },
        "monitor_threshold_windows": [],
        "notify_no_data": boolean("notify_no_data", false),
        "require_full_window": boolean("require_full_window", true),
        "include_tags": boolean("include_tags", true),
        "notify_audit": boolean("notify_audit", false),
        "locked": boolean("locked", false),
        "new_host_delay": int("new_host_delay"), "new_group_delay": int("new_group_delay"),
        "evaluation_delay": int("evaluation_delay"), "no_data_timeframe": int("no_data_timeframe"),
        "renotify_interval": int("renotify_interval"), "timeout_h": int("timeout_h"),
        "escalation_message": options["escalation_message"].as_str().unwrap_or_default(),
        "enable_logs_sample": false, "groupby_simple_monitor": false,
        "renotify_statuses": null, "notify_by": null, "force_delete": null, "validate": null,
    })
}

pub(crate) fn write_state(dir: &Path, emulator: &EmulatorHandle, created: &[(String, &str, i64)]) {
    let resources: Vec<Value> = created
        .iter()
        .map(|(module, name, id)| {
            json!({
                "module": module, "mode": "managed", "type": "datadog_monitor", "name": name,
                "provider": "provider[\"registry.terraform.io/datadog/datadog\"]",
                "instances": [{"schema_version": 0,
                    "attributes": state_attributes(&emulator.monitor(*id).expect("live")),
                    "sensitive_attributes": [], "private": "bnVsbA=="}],
            })
        })
        .collect();
    let state = json!({
        "version": 4, "terraform_version": "1.6.6", "serial": 12,
        "lineage": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "outputs": {},
        "resources": resources, "check_results": null,
    });
    std::fs::write(dir.join("terraform.tfstate"), state.to_string()).expect("state");
}

#[test]
fn monitors_of_a_terraform_state_are_adopted_and_only_updated() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = project("adopt");
    let created = terraform_apply(&emulator);
    write_state(&dir, &emulator, &created);

    let imported = monc_at(
        &dir,
        &url,
        &["import", "--from", "terraform.tfstate", "--adopt"],
    );
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert_eq!(said.matches("adopted   ").count(), created.len(), "{said}");
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(
        hcl.contains("for_each = tenants")
            && hcl.contains("suppressed_by = [monitor.prod_alb_5xx]"),
        "the module instances are tenants, their composites suppressed_by:\n{hcl}"
    );
    let tenants = std::fs::read_to_string(dir.join("tenants/imported.hcl")).expect("tenants");
    for tenant in TENANTS {
        assert!(
            tenants.contains(&format!("tenant \"{tenant}\"")),
            "{tenants}"
        );
    }

    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(2), "{plan:#}");
    assert_eq!(changes_of(&plan, "create").len(), 0, "{plan:#}");
    assert_eq!(changes_of(&plan, "delete").len(), 0, "{plan:#}");
    assert_eq!(changes_of(&plan, "update").len(), created.len(), "{plan:#}");
    assert_eq!(plan["summary"]["drifted"], 0, "{plan:#}");
    // Every monitor, composites and the monitors they page for (`raw = {}`) included, keeps
    // its own name, query and message (issue 22): only monc's tags (and marker) change.
    for change in changes_of(&plan, "update") {
        let key = change["key"].as_str().unwrap_or_default();
        for field in change["fields"].as_array().into_iter().flatten() {
            assert!(
                field["field"] == "tags" || field["field"] == "message",
                "{key}: {field:#}"
            );
            if field["field"] == "message" {
                let live = field["live"].as_str().unwrap_or_default();
                let desired = field["desired"].as_str().unwrap_or_default();
                assert!(
                    desired.starts_with(live.trim_end()),
                    "{key}: the composite's message changes beyond monc's marker: {field:#}"
                );
            }
        }
    }

    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(0), "clean after sync: {plan:#}");
    let after = emulator.monitors();
    assert_eq!(after.len(), created.len(), "nothing created");
    for (_, _, id) in &created {
        let live = emulator.monitor(*id).expect("kept its id");
        assert!(common::is_owned(&live), "{live:#}");
    }
    runtime.block_on(emulator.shutdown());
}

// ---- every layout the provider has written (issue 22, "Lose nothing") ----

/// The fixture `tests/fixtures/tfstate/<name>.tfstate` and the monitors its resources stand for
/// (`<name>.monitors.json`, as that provider version creates them), both naming monitors by
/// the fixture's ids.
fn fixture(name: &str) -> (String, Vec<Value>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tfstate");
    let read = |file: String| std::fs::read_to_string(dir.join(&file)).expect(&file);
    let monitors = serde_json::from_str(&read(format!("{name}.monitors.json"))).expect("json");
    (read(format!("{name}.tfstate")), monitors)
}

/// Creates the fixture's monitors in the emulator, as `terraform apply` did, and returns the
/// state naming them by the ids the emulator gave them.
fn apply_fixture(emulator: &EmulatorHandle, name: &str) -> (String, usize) {
    let (mut state, monitors) = fixture(name);
    let mut renumbered: Vec<(String, String)> = Vec::new();
    for mut monitor in monitors.clone() {
        let fixture_id = monitor["id"].as_i64().expect("fixture id").to_string();
        let object = monitor.as_object_mut().expect("object");
        object.remove("id");
        if let Some(query) = object.get("query").and_then(Value::as_str) {
            let query = renumbered
                .iter()
                .fold(query.to_string(), |q, (from, to)| q.replace(from, to));
            object.insert("query".into(), query.into());
        }
        let id = emulator.insert_monitor(monitor).expect("created");
        renumbered.push((fixture_id, id.to_string()));
    }
    for (from, to) in &renumbered {
        state = state.replace(from.as_str(), to);
    }
    (state, monitors.len())
}

/// The fields each update of a JSON plan changes.
fn updated_fields(plan: &Value) -> Vec<(String, String)> {
    changes_of(plan, "update")
        .iter()
        .flat_map(|change| {
            let key = change["key"].as_str().unwrap_or_default().to_string();
            change["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |f| (key.clone(), f["field"].as_str().unwrap_or_default().into()))
        })
        .collect()
}

/// Import + adopt of a state in one provider layout; the first diff changes nothing but monc's
/// tags and marker: no option, threshold, name or query of any monitor.
fn adopt_layout_and_diff_only_ownership(name: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = project(name);
    let (state, count) = apply_fixture(&emulator, name);
    std::fs::write(dir.join("terraform.tfstate"), state).expect("state");

    let imported = monc_at(
        &dir,
        &url,
        &["import", "--from", "terraform.tfstate", "--adopt"],
    );
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert_eq!(said.matches("adopted   ").count(), count, "{said}");

    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(2), "{plan:#}");
    assert_eq!(changes_of(&plan, "create").len(), 0, "{plan:#}");
    assert_eq!(changes_of(&plan, "delete").len(), 0, "{plan:#}");
    assert_eq!(changes_of(&plan, "update").len(), count, "{plan:#}");
    let content: Vec<(String, String)> = updated_fields(&plan)
        .into_iter()
        .filter(|(_, field)| field != "tags" && field != "message")
        .collect();
    assert!(
        content.is_empty(),
        "the first diff changes the monitors' content: {content:?}\n{}",
        std::fs::read_to_string(dir.join("monitors/imported.hcl")).unwrap_or_default()
    );
    for change in changes_of(&plan, "update") {
        for field in change["fields"].as_array().into_iter().flatten() {
            if field["field"] == "message" {
                let live = field["live"].as_str().unwrap_or_default();
                let desired = field["desired"].as_str().unwrap_or_default();
                assert!(
                    desired.starts_with(live.trim_end()) && desired.contains("[managed by monc:"),
                    "the message changes beyond monc's marker: {field:#}"
                );
            }
        }
    }
    runtime.block_on(emulator.shutdown());
}

#[test]
fn a_provider_1_x_state_is_adopted_without_changing_any_monitor() {
    adopt_layout_and_diff_only_ownership("provider-1.x");
}

#[test]
fn a_provider_2_x_state_keeps_its_warning_thresholds() {
    adopt_layout_and_diff_only_ownership("provider-2.x");
}

#[test]
fn a_provider_3_x_state_is_adopted_without_changing_any_monitor() {
    adopt_layout_and_diff_only_ownership("provider-3.x");
}

/// An attribute monc cannot map fails the import, naming the file, the resource and the
/// attribute; the provider's own settings are left out with a reason.
#[test]
fn an_attribute_monc_cannot_map_is_an_error_naming_file_and_resource() {
    let dir = project("unmappable");
    let (state, _) = fixture("provider-3.x");
    let mut state: Value = serde_json::from_str(&state).expect("json");
    state["resources"][0]["instances"][0]["attributes"]["restricted_roles"] = json!(["a1b2"]);
    std::fs::write(dir.join("terraform.tfstate"), state.to_string()).expect("state");

    let output = common::monc_in(&dir)
        .args(["import", "--from", "terraform.tfstate"])
        .output()
        .expect("runs");
    let said = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(
        said.contains("terraform.tfstate: datadog_monitor.latency: `restricted_roles`"),
        "{said}"
    );
    assert!(
        said.contains("datadog_monitor.payments[\"payments\"]: `validate` = true not imported"),
        "{said}"
    );
    assert!(
        !dir.join("monitors/imported.hcl").exists(),
        "nothing written"
    );
}

/// `--name` leaves such a monitor to Terraform, as the error says.
#[test]
fn a_monitor_left_out_by_name_does_not_fail_the_import() {
    let dir = project("unmappable-left-out");
    let (state, _) = fixture("provider-3.x");
    let mut state: Value = serde_json::from_str(&state).expect("json");
    state["resources"][0]["instances"][0]["attributes"]["restricted_roles"] = json!(["a1b2"]);
    std::fs::write(dir.join("terraform.tfstate"), state.to_string()).expect("state");

    let output = common::monc_in(&dir)
        .args(["import", "--from", "terraform.tfstate", "--name", "payment"])
        .output()
        .expect("runs");
    let said = output_text(&output);
    assert!(output.status.success(), "{said}");
    assert!(!said.contains("restricted_roles"), "{said}");
}

/// Handles in an imported message are who the monitor pages (issue 22): import lists them in
/// `notify` (keeping the text as it is), and `monc graph` says so.
#[test]
fn handles_in_imported_messages_page() {
    let dir = project("handles");
    let (state, _) = fixture("provider-2.x");
    std::fs::write(dir.join("terraform.tfstate"), state).expect("state");
    let imported = common::monc_in(&dir)
        .args(["import", "--from", "terraform.tfstate"])
        .output()
        .expect("runs");
    assert!(imported.status.success(), "{}", output_text(&imported));
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(
        hcl.contains("message  = \"The load balancer returns 5xx @pagerduty-critical\"")
            && hcl.contains("notify   = [\"@pagerduty-critical\"]"),
        "{hcl}"
    );
    let graph = common::monc_in(&dir).arg("graph").output().expect("runs");
    let graph = output_text(&graph);
    assert!(
        graph.contains("l3/prod_alb_5xx<br/>pages @pagerduty-critical"),
        "{graph}"
    );
}
