//! Leaving Terraform finds the structure that is there (issue 22, "Find the structure"):
//! tenants at any module level, several states at once, re-keying monitors adopted before
//! tenants were detected, and the old tool's tags.

use crate::common::{self, output_text};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// An empty project with the default tiers.
fn project(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("import-structure")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("monc.hcl"), "tiers = [\"L0\", \"L2\", \"L3\"]\n").expect("monc.hcl");
    dir
}

/// The attributes the provider (3.x) writes for a query alert.
fn attributes(id: i64, name: &str, query: &str, tags: &[&str]) -> Value {
    json!({
        "id": id.to_string(), "name": name, "type": "query alert", "query": query,
        "message": format!("{name} @slack-ops"), "tags": tags, "priority": "",
        "monitor_thresholds": [{"critical": "10", "warning": "", "ok": "", "unknown": "",
            "critical_recovery": "", "warning_recovery": ""}],
        "monitor_threshold_windows": [],
        "notify_no_data": false, "require_full_window": true, "include_tags": true,
        "notify_audit": false, "locked": false, "new_host_delay": 300, "new_group_delay": 0,
        "evaluation_delay": 0, "no_data_timeframe": 10, "renotify_interval": 0, "timeout_h": 0,
        "escalation_message": "", "enable_logs_sample": false, "groupby_simple_monitor": false,
        "renotify_statuses": null, "notify_by": null, "force_delete": null, "validate": null,
    })
}

/// One `datadog_monitor` resource instance: (module address, resource name, index key,
/// attributes).
type Instance<'a> = (String, &'a str, Option<Value>, Value);

fn state(instances: &[Instance]) -> String {
    let resources: Vec<Value> = instances
        .iter()
        .map(|(module, name, index, attributes)| {
            let mut instance = json!({"schema_version": 0, "attributes": attributes,
                "sensitive_attributes": [], "private": "bnVsbA=="});
            if let Some(index) = index {
                instance["index_key"] = index.clone();
            }
            let mut resource = json!({
                "mode": "managed", "type": "datadog_monitor", "name": name,
                "provider": "provider[\"registry.terraform.io/datadog/datadog\"]",
                "instances": [instance],
            });
            if !module.is_empty() {
                resource["module"] = json!(module);
            }
            resource
        })
        .collect();
    json!({
        "version": 4, "terraform_version": "1.6.6", "serial": 3,
        "lineage": "5e6f7a8b-0000-4000-8000-000000000022", "outputs": {},
        "resources": resources, "check_results": null,
    })
    .to_string()
}

const SERVICES: [&str; 3] = ["web-app", "billing", "search"];

/// Item 1: the tenant's key is on an outer module, the inner one is counted (`[0]`), and the
/// outermost (`env["prod"]`) is the same for every instance.
#[test]
fn tenants_are_found_on_an_outer_module_instance() {
    let dir = project("outer-module");
    let mut instances = Vec::new();
    for (n, service) in SERVICES.iter().enumerate() {
        let module = format!(
            "module.env[\"prod\"].module.service_monitoring[\"{service}\"].module.database[0]"
        );
        let id = 1000 + n as i64;
        let query = format!("avg(last_5m):avg:postgres.connections{{service:{service}}} > 10");
        let attributes = attributes(
            id,
            &format!("[prod] [{service}] DB connections"),
            &query,
            &[],
        );
        instances.push((module, "connections", Some(json!(0)), attributes));
    }
    std::fs::write(dir.join("terraform.tfstate"), state(&instances)).expect("state");

    let imported = common::monc_in(&dir)
        .args(["import", "--from", "terraform.tfstate"])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert!(said.contains("(1 template for 3 live monitors)"), "{said}");
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(hcl.contains("for_each = tenants"), "{hcl}");
    let tenants = std::fs::read_to_string(dir.join("tenants/imported.hcl")).expect("tenants");
    for service in SERVICES {
        assert!(
            tenants.contains(&format!("tenant \"{service}\"")),
            "{tenants}"
        );
    }
}

/// Item 5: monitors adopted one by one (`import --adopt`), then imported again with
/// `--detect-tenants`: the re-import writes the `moved` blocks that re-key them, so the next
/// diff updates them (`moved from`) with no create and no delete, and sync keeps their ids.
#[test]
fn reimporting_with_tenants_rekeys_adopted_monitors_with_moved_blocks() {
    use crate::common::{changes_of, diff_json, monc_at};
    use crate::import_tfstate::{provider_options, write_state};
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = project("rekey");
    let insert = |m: Value| emulator.insert_monitor(m).expect("inserted");
    let alb = insert(json!({
        "name": "[prod] ALB 5xx", "type": "query alert",
        "query": "sum(last_5m):sum:aws.applicationelb.httpcode_elb_5xx{env:prod}.as_count() > 50",
        "message": "5xx @slack-platform", "tags": ["layer:l2"],
        "options": provider_options(Some(50.0)),
    }));
    let mut created = vec![(String::new(), "alb_5xx", alb)];
    for service in SERVICES {
        let errors = insert(json!({
            "name": format!("[{service}] API errors"), "type": "query alert",
            "query": format!("sum(last_5m):sum:api.errors{{service:{service}}}.as_count() > 10"),
            "message": format!("API errors for {service}"),
            "tags": [format!("service:{service}")], "options": provider_options(Some(10.0)),
        }));
        let paging = insert(json!({
            "name": format!("[{service}] API errors (paging)"), "type": "composite",
            "query": format!("{errors} && !{alb}"),
            "message": format!("API errors for {service} @slack-{service}-oncall"),
            "tags": [format!("service:{service}")], "options": provider_options(None),
        }));
        let resource = |kind: &str| format!("{}_{kind}", service.replace('-', "_"));
        created.push((String::new(), leak(resource("errors")), errors));
        created.push((String::new(), leak(resource("paging")), paging));
    }
    write_state(&dir, &emulator, &created);

    let first = monc_at(
        &dir,
        &url,
        &["import", "--from", "terraform.tfstate", "--adopt"],
    );
    let said = output_text(&first);
    assert!(first.status.success(), "{said}");
    assert_eq!(said.matches("adopted   ").count(), created.len(), "{said}");

    let again = monc_at(
        &dir,
        &url,
        &[
            "import",
            "--from",
            "terraform.tfstate",
            "--detect-tenants",
            "service",
            "--adopt",
            "--force",
        ],
    );
    let said = output_text(&again);
    assert!(again.status.success(), "{said}");
    assert!(said.contains("monitors/moved-by-import.hcl"), "{said}");
    let moved = std::fs::read_to_string(dir.join("monitors/moved-by-import.hcl")).expect("moves");
    assert!(
        moved.contains("from = monitor.web_app_api_errors")
            && moved.contains("to   = monitor.api_errors[\"web-app\"]"),
        "{moved}"
    );

    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(2), "{plan:#}");
    assert_eq!(changes_of(&plan, "create").len(), 0, "{plan:#}");
    assert_eq!(changes_of(&plan, "delete").len(), 0, "{plan:#}");
    let moved_updates = changes_of(&plan, "update")
        .into_iter()
        .filter(|c| c["moved_from"].is_string())
        .count();
    assert_eq!(moved_updates, 2 * SERVICES.len(), "{plan:#}");

    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let (code, plan) = diff_json(&dir, &url);
    assert_eq!(code, Some(0), "clean after sync: {plan:#}");
    assert_eq!(emulator.monitors().len(), created.len(), "nothing created");
    for (_, _, id) in &created {
        let live = emulator.monitor(*id).expect("kept its id");
        assert!(common::is_owned(&live), "{live:#}");
    }
    let key = common::key_of(&emulator.monitor(created[1].2).expect("live"));
    assert_eq!(key.as_deref(), Some("l3/api_errors/web-app"));
    runtime.block_on(emulator.shutdown());
}

/// A resource name for the state (the state's tuples borrow `&'static str`).
fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

/// One team's state: its API errors monitor, the team's name in name and query.
fn team_state(team: &str, id: i64) -> String {
    let query = format!("sum(last_5m):sum:api.errors{{team:{team}}}.as_count() > 10");
    let attributes = attributes(id, &format!("[{team}] API errors"), &query, &["layer:l3"]);
    state(&[(String::new(), "api_errors", None, attributes)])
}

/// Asserts one per-tenant template for `teams`, declared as tenants.
fn assert_one_template_for(dir: &Path, said: &str, teams: &[&str]) {
    let count = format!("(1 template for {} live monitors)", teams.len());
    assert!(said.contains(&count), "{said}");
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(hcl.contains("for_each = tenants"), "{hcl}");
    let tenants = std::fs::read_to_string(dir.join("tenants/imported.hcl")).expect("tenants");
    for team in teams {
        assert!(tenants.contains(&format!("tenant \"{team}\"")), "{tenants}");
    }
}

/// Item 2: a directory of states, one per team (`team-a.tfstate`, `team-c/terraform.tfstate`):
/// one import, the state's name (or its directory's) as the tenant.
#[test]
fn a_directory_of_states_is_one_import_with_a_tenant_per_state() {
    let dir = project("states-dir");
    let states = dir.join("states");
    std::fs::create_dir_all(states.join("team-c")).expect("mkdir");
    std::fs::write(states.join("team-a.tfstate"), team_state("team-a", 11)).expect("a");
    std::fs::write(states.join("team-b.tfstate"), team_state("team-b", 12)).expect("b");
    let team_c = states.join("team-c/terraform.tfstate");
    std::fs::write(team_c, team_state("team-c", 13)).expect("c");

    let imported = common::monc_in(&dir)
        .args(["import", "--from", "states"])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert_one_template_for(&dir, &said, &["team-a", "team-b", "team-c"]);
}

/// Item 2: `--from` repeated, one state each.
#[test]
fn several_from_states_are_one_import() {
    let dir = project("states-repeated");
    std::fs::write(dir.join("team-a.tfstate"), team_state("team-a", 21)).expect("a");
    std::fs::write(dir.join("team-b.tfstate"), team_state("team-b", 22)).expect("b");

    let imported = common::monc_in(&dir)
        .args([
            "import",
            "--from",
            "team-a.tfstate",
            "--from",
            "team-b.tfstate",
        ])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert_one_template_for(&dir, &said, &["team-a", "team-b"]);
}

/// Item 6: the old tool's tags. `managed-by:terraform` (the key of monc's ownership tag) is
/// dropped, `tier:critical` (monc writes `tier:`) becomes `severity:critical`, `--drop-tag`
/// drops more; the import says so, and the project validates without `monc::monc-tag-key`.
#[test]
fn the_old_tools_tags_are_dropped_or_renamed_and_said() {
    let dir = project("old-tags");
    let tags = [
        "managed-by:terraform",
        "tier:critical",
        "team:sre",
        "terraform",
    ];
    let query = "avg(last_5m):avg:system.load.1{env:prod} > 10";
    let attributes = attributes(31, "[prod] Load", query, &tags);
    let one = state(&[(String::new(), "load", None, attributes)]);
    std::fs::write(dir.join("terraform.tfstate"), one).expect("state");

    let imported = common::monc_in(&dir)
        .args([
            "import",
            "--from",
            "terraform.tfstate",
            "--drop-tag",
            "terraform",
        ])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert!(
        said.contains("dropped tag `managed-by:terraform` (1 monitor)"),
        "{said}"
    );
    assert!(
        said.contains("renamed tag `tier:critical` to `severity:critical`"),
        "{said}"
    );
    assert!(
        said.contains("dropped tag `terraform` (1 monitor)"),
        "{said}"
    );
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(
        hcl.contains("tags     = [\"severity:critical\", \"team:sre\"]"),
        "{hcl}"
    );

    let validated = common::monc_in(&dir)
        .arg("validate")
        .output()
        .expect("runs");
    let said = output_text(&validated);
    assert!(validated.status.success(), "{said}");
    assert!(!said.contains("monc-tag-key"), "{said}");
}

/// Item 3: the tenant only in the query's scope (`{owner:team_a,env:prod}`), the names the
/// same for every team: `--detect-tenants owner` folds them into one template (names kept as
/// they are, `monc::duplicate-name` ignored for it and said why).
#[test]
fn a_tenant_only_in_the_query_scope_is_detected() {
    let dir = project("scope-tenant");
    let monitors: Vec<Value> = ["team_a", "team_b", "team_c"]
        .iter()
        .enumerate()
        .map(|(n, team)| {
            json!({
                "id": 40 + n, "name": "API errors", "type": "query alert",
                "query": format!("sum(last_5m):sum:api.errors{{owner:{team},env:prod}}.as_count() > 10"),
                "message": "API errors @slack-api", "tags": ["layer:l3"],
                "options": {"thresholds": {"critical": 10.0}},
            })
        })
        .collect();
    std::fs::write(dir.join("export.json"), Value::from(monitors).to_string()).expect("export");

    let imported = common::monc_in(&dir)
        .args([
            "import",
            "--from",
            "export.json",
            "--detect-tenants",
            "owner",
        ])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert_one_template_for(&dir, &said, &["team_a", "team_b", "team_c"]);
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(
        hcl.contains("{owner:${tenant.name},env:prod}") && hcl.contains("\"monc::duplicate-name\""),
        "{hcl}"
    );
    let validated = common::monc_in(&dir)
        .arg("validate")
        .output()
        .expect("runs");
    let said = output_text(&validated);
    assert!(
        validated.status.success() && !said.contains("duplicate-name"),
        "{said}"
    );
}

/// Item 3: `--detect-tenants KEY` that finds no tenant says so.
#[test]
fn detect_tenants_that_finds_nothing_says_so() {
    let dir = project("scope-nothing");
    let monitor = json!({
        "id": 50, "name": "API errors", "type": "query alert",
        "query": "sum(last_5m):sum:api.errors{env:prod}.as_count() > 10",
        "message": "API errors", "options": {"thresholds": {"critical": 10.0}},
    });
    std::fs::write(dir.join("export.json"), monitor.to_string()).expect("export");
    let imported = common::monc_in(&dir)
        .args([
            "import",
            "--from",
            "export.json",
            "--detect-tenants",
            "owner",
        ])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert!(
        said.contains("--detect-tenants owner: no monitor has an `owner:` tag or `owner:` in its query's scope"),
        "{said}"
    );
}

/// Item 4: a monitor two of three tenants have becomes one `for_each = tenants` template that
/// `enabled` turns on for those two, not two single monitors with the tenant in their text.
#[test]
fn a_monitor_some_tenants_have_is_one_template_enabled_for_them() {
    let dir = project("some-tenants");
    let monitor = |id: usize, what: &str, metric: &str, customer: &str| {
        json!({
            "id": id, "name": format!("[{customer}] {what}"), "type": "query alert",
            "query": format!("avg(last_5m):avg:{metric}{{customer:{customer}}} > 90"),
            "message": format!("{what} for {customer}"), "tags": [format!("customer:{customer}")],
            "options": {"thresholds": {"critical": 90.0}},
        })
    };
    let mut monitors = Vec::new();
    for (n, customer) in ["acme", "globex", "initech"].iter().enumerate() {
        monitors.push(monitor(60 + n, "API errors", "api.errors", customer));
    }
    for (n, customer) in ["acme", "globex"].iter().enumerate() {
        monitors.push(monitor(70 + n, "Quota", "quota.used", customer));
    }
    std::fs::write(dir.join("export.json"), Value::from(monitors).to_string()).expect("export");

    let imported = common::monc_in(&dir)
        .args([
            "import",
            "--from",
            "export.json",
            "--detect-tenants",
            "customer",
        ])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert!(imported.status.success(), "{said}");
    assert!(said.contains("(2 templates for 5 live monitors)"), "{said}");
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(
        hcl.contains("enabled  = contains([\"acme\", \"globex\"], tenant.name)"),
        "{hcl}"
    );
    let keys = common::desired_keys(&dir);
    for key in ["l3/quota/acme", "l3/quota/globex", "l3/api_errors/initech"] {
        assert!(keys.contains(key), "{key} in {keys:?}");
    }
    assert!(!keys.contains("l3/quota/initech"), "{keys:?}");
}

/// One monitor is said in the singular: in the next step and the file's header.
#[test]
fn one_imported_monitor_is_singular() {
    let dir = project("singular");
    let monitor = json!({
        "id": 80, "name": "API errors", "type": "query alert",
        "query": "sum(last_5m):sum:api.errors{env:prod}.as_count() > 10",
        "message": "API errors", "options": {"thresholds": {"critical": 10.0}},
    });
    std::fs::write(dir.join("export.json"), monitor.to_string()).expect("export");
    let imported = common::monc_in(&dir)
        .args(["import", "--from", "export.json"])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert!(
        said.contains("to tag the 1 live monitor as monc's"),
        "{said}"
    );
    let hcl = std::fs::read_to_string(dir.join("monitors/imported.hcl")).expect("written");
    assert!(hcl.contains("from export.json: 1 template.\n"), "{hcl}");
}

/// A directory with neither exports nor states says both what it looks for.
#[test]
fn an_empty_from_directory_names_exports_and_states() {
    let dir = project("empty-from");
    std::fs::create_dir_all(dir.join("nothing")).expect("mkdir");
    let imported = common::monc_in(&dir)
        .args(["import", "--from", "nothing"])
        .output()
        .expect("runs");
    let said = output_text(&imported);
    assert_eq!(imported.status.code(), Some(1), "{said}");
    assert!(
        said.contains("*.json") && said.contains("*.tfstate"),
        "{said}"
    );
}
