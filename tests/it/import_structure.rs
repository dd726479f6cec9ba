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
