//! Reading a Terraform state file (format version 4, Terraform 0.12 and later): the
//! `datadog_monitor` resources it manages, turned into monitors as the API returns them, so
//! that they go through the same import (and adoption by id) as an export.
//!
//! What each attribute of the provider's `datadog_monitor` is, in every layout the provider
//! has written, is [`super::tfstate_attributes`]: nothing in a resource is dropped silently.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

pub use super::tfstate_address::Place;
pub use super::tfstate_address::tenant_hints;
use super::tfstate_attributes::{Read, read_options};

use crate::datadog::Monitor;

/// Monitors found in a state file, and the tenant each one's address suggests.
#[derive(Debug, Default)]
pub struct StateMonitors {
    pub monitors: Vec<Monitor>,
    /// Monitor id → the instance key of a module on its way (`module.level3["tenant-a"]`) or of
    /// the resource itself (`datadog_monitor.errors["tenant-a"]`): a strong hint of its tenant
    /// (see [`super::tfstate_address::tenant_hints`]).
    pub tenant_hints: HashMap<i64, String>,
    /// Resources of other types, and monitors that could not be read, saying why.
    pub skipped: Vec<String>,
    /// Attributes left out on purpose (the provider's own settings, mute state): the monitor's
    /// id, and its address and why.
    pub notes: Vec<(i64, String)>,
    /// Attributes monc cannot map: the monitor's id, and its address, the attribute and what to
    /// do. Any of an imported monitor makes the import fail.
    pub errors: Vec<(i64, String)>,
    /// Where each monitor sits, for [`tenant_hints`] over every state read.
    pub places: Vec<(i64, Place)>,
}

/// The state files of a directory: its `*.tfstate` files and the `terraform.tfstate` of its
/// subdirectories (one per team: `team-a/terraform.tfstate`), sorted.
pub fn state_files(dir: &Path) -> Vec<PathBuf> {
    let entries = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect()
    };
    let mut files: Vec<PathBuf> = entries(dir)
        .into_iter()
        .filter_map(|p| match p.is_dir() {
            true => Some(p.join("terraform.tfstate")).filter(|f| f.is_file()),
            false => Some(p).filter(|p| p.extension().is_some_and(|x| x == "tfstate")),
        })
        .collect();
    files.sort();
    files
}

/// The name a state file gives its monitors' tenant when each team has its own state: the
/// file's name (`team-a` of `team-a.tfstate`), or its directory's for `team-a/terraform.tfstate`.
pub fn state_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    if stem != "terraform" {
        return Some(stem.to_string());
    }
    let dir = path.parent()?.file_name()?.to_str()?;
    Some(dir.to_string())
}

/// Whether `text` is a Terraform state document (an object with `version` and `resources`).
pub fn is_state(text: &str) -> bool {
    serde_json::from_str::<Json>(text)
        .is_ok_and(|v| v.get("resources").is_some_and(Json::is_array) && v.get("version").is_some())
}

/// The `datadog_monitor` resources of a version 4 state document, with their tenant hints.
pub fn parse_state(text: &str) -> Result<StateMonitors, String> {
    let mut found = read_state(text, None)?;
    found.tenant_hints = tenant_hints(&found.places);
    Ok(found)
}

/// The `datadog_monitor` resources of a version 4 state document, in the state named `name`
/// when several are read; without tenant hints, which take every state read
/// ([`tenant_hints`] of all their places).
pub fn read_state(text: &str, name: Option<&str>) -> Result<StateMonitors, String> {
    let state: Json = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let version = state.get("version").and_then(Json::as_u64);
    if version != Some(4) {
        return Err(format!(
            "Terraform state format version {}; monc reads version 4 (written by Terraform 0.12 and later): run `terraform state pull > terraform.tfstate` with a current Terraform",
            version.map_or("unknown".to_string(), |v| v.to_string())
        ));
    }
    let mut found = StateMonitors::default();
    for resource in state["resources"].as_array().into_iter().flatten() {
        read_resource(resource, &mut found);
    }
    for (_, place) in &mut found.places {
        place.state = name.map(String::from);
    }
    Ok(found)
}

/// Reads `resource`'s monitors, and where each sits, into `found`.
fn read_resource(resource: &Json, found: &mut StateMonitors) {
    let text = |key: &str| resource.get(key).and_then(Json::as_str).unwrap_or_default();
    let address = resource_address(text("module"), text("type"), text("name"));
    if text("type") != "datadog_monitor" || text("mode") != "managed" {
        return;
    }
    for instance in resource["instances"].as_array().into_iter().flatten() {
        let index = instance.get("index_key");
        let at = match index {
            Some(Json::String(key)) => format!("{address}[\"{key}\"]"),
            Some(Json::Number(n)) => format!("{address}[{n}]"),
            _ => address.clone(),
        };
        match monitor_of(&instance["attributes"]) {
            Ok((monitor, read)) => {
                let id = monitor.id.unwrap_or_default();
                let at_each =
                    |lines: Vec<String>| lines.into_iter().map(|l| (id, format!("{at}: {l}")));
                found.notes.extend(at_each(read.notes));
                found.errors.extend(at_each(read.errors));
                let place = Place::of(text("module"), text("type"), text("name"), index);
                found.places.push((id, place));
                found.monitors.push(monitor);
            }
            Err(why) => found.skipped.push(format!("{at}: {why}")),
        }
    }
}

fn resource_address(module: &str, kind: &str, name: &str) -> String {
    if module.is_empty() {
        format!("{kind}.{name}")
    } else {
        format!("{module}.{kind}.{name}")
    }
}

/// A monitor as the API returns it, from one instance's attributes, and what reading its
/// options found.
fn monitor_of(attributes: &Json) -> Result<(Monitor, Read), String> {
    let text = |key: &str| attributes.get(key).and_then(Json::as_str);
    let id = text("id")
        .and_then(|id| id.parse::<i64>().ok())
        .ok_or("no numeric `id`: the monitor was never created, or the state is damaged")?;
    let monitor_type = text("type").ok_or("no `type`")?;
    let mut monitor = Monitor::new(
        text("name").unwrap_or_default(),
        monitor_type,
        text("query").unwrap_or_default(),
        text("message").unwrap_or_default(),
    );
    monitor.id = Some(id);
    monitor.body.tags = strings(attributes.get("tags"));
    monitor.body.priority = priority(attributes.get("priority"))?;
    let mut read = read_options(
        attributes
            .as_object()
            .ok_or("`attributes` is not an object")?,
    );
    monitor.body.options = std::mem::take(&mut read.options);
    Ok((monitor, read))
}

fn strings(value: Option<&Json>) -> Vec<String> {
    value
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(String::from)
        .collect()
}

/// `"2"` (recent providers), `2` (older ones); `""`, `0` and null mean none.
fn priority(value: Option<&Json>) -> Result<Option<i64>, String> {
    let number = match value {
        None | Some(Json::Null) => return Ok(None),
        Some(Json::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Json::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("`priority` {s:?} is not a whole number"))?,
        Some(Json::Number(n)) => n.as_i64().ok_or("`priority` is not a whole number")?,
        Some(other) => return Err(format!("`priority` {other} is not a number")),
    };
    Ok((number != 0).then_some(number))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"{
      "version": 4, "terraform_version": "1.6.0", "serial": 3, "lineage": "x", "outputs": {},
      "resources": [
        {"module": "module.level3[\"tenant-a\"]", "mode": "managed", "type": "datadog_monitor",
         "name": "errors", "provider": "provider[\"registry.terraform.io/datadog/datadog\"]",
         "instances": [{"schema_version": 0, "attributes": {
            "id": "123", "name": "[tenant-a] errors", "type": "query alert",
            "query": "avg(last_5m):avg:errors{tenant:tenant-a} > 5", "message": "Errors @slack-a",
            "tags": ["team:x"], "priority": "2",
            "monitor_thresholds": [{"critical": "5", "warning": "2.5", "ok": "",
                                    "unknown": "", "warning_recovery": "", "critical_recovery": ""}],
            "monitor_threshold_windows": [],
            "notify_no_data": false, "require_full_window": false, "include_tags": true,
            "renotify_interval": 0, "timeout_h": 1, "escalation_message": "",
            "evaluation_delay": 0, "new_group_delay": 60, "new_host_delay": 300,
            "no_data_timeframe": 10, "notify_audit": false, "enable_logs_sample": false,
            "renotify_statuses": null, "notify_by": null}}]},
        {"mode": "data", "type": "datadog_monitor", "name": "lookup", "instances": []},
        {"mode": "managed", "type": "datadog_dashboard", "name": "d", "instances": [{"attributes": {"id": "abc"}}]}
      ]
    }"#;

    #[test]
    fn reads_monitors_with_flat_options_and_string_thresholds() {
        assert!(is_state(STATE));
        let found = parse_state(STATE).expect("parses");
        assert_eq!(found.monitors.len(), 1);
        let m = &found.monitors[0];
        assert_eq!((m.id, m.body.priority), (Some(123), Some(2)));
        assert_eq!(m.body.tags, ["team:x"]);
        assert_eq!(
            Json::Object(m.body.options.clone()),
            serde_json::json!({
                "thresholds": {"critical": 5, "warning": 2.5},
                "notify_no_data": false, "require_full_window": false, "include_tags": true,
                "timeout_h": 1, "new_group_delay": 60, "new_host_delay": 300,
                "no_data_timeframe": 10, "notify_audit": false
            })
        );
        assert_eq!(found.tenant_hints[&123], "tenant-a");
    }

    #[test]
    fn refuses_other_versions_and_explains() {
        let error = parse_state(r#"{"version": 3, "resources": []}"#).expect_err("v3");
        assert!(
            error.contains("version 3") && error.contains("version 4"),
            "{error}"
        );
        assert!(!is_state(r#"[{"type": "metric alert"}]"#));
    }
}
