//! Reading monitors to import: a JSON export (one monitor, an array, a directory of files, or the
//! `{"definition": {...}}` wrapper of Datadog's recommended monitors) and filtering them.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::datadog::Monitor;

/// Reads every monitor in `path`: a JSON file, or a directory of `*.json` files (sorted by name).
pub fn read_export(path: &Path) -> Result<Vec<Monitor>, String> {
    if path.is_dir() {
        let mut monitors = Vec::new();
        for file in json_files(path)? {
            monitors.extend(read_file(&file)?);
        }
        return Ok(monitors);
    }
    read_file(path)
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read directory {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "{} holds no *.json files (nor Terraform states, *.tfstate or TEAM/terraform.tfstate); export monitors with `GET /api/v1/monitor` and save the answer there, or `terraform state pull` into it",
            dir.display()
        ));
    }
    Ok(files)
}

fn read_file(path: &Path) -> Result<Vec<Monitor>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_export(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses one export document: a monitor object, an array of them, or either wrapped in
/// `{"definition": ...}`.
pub fn parse_export(text: &str) -> Result<Vec<Monitor>, String> {
    let value: Json = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    match value {
        Json::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| monitor_of(item).map_err(|e| format!("item {i}: {e}")))
            .collect(),
        other => Ok(vec![monitor_of(other)?]),
    }
}

fn monitor_of(value: Json) -> Result<Monitor, String> {
    let value = match value {
        Json::Object(mut map) if !map.contains_key("type") && map.contains_key("definition") => {
            map.remove("definition").unwrap_or(Json::Null)
        }
        other => other,
    };
    if !value.is_object() {
        return Err("expected a monitor object with `type`, `query`, `name` and `message`".into());
    }
    if value.get("type").and_then(Json::as_str).is_none() {
        return Err(
            "a monitor without `type`: expected the objects `GET /api/v1/monitor` returns".into(),
        );
    }
    serde_json::from_value(value).map_err(|e| format!("not a monitor as the API returns it: {e}"))
}

/// Keeps the monitors carrying every `key:value` tag in `tags` and whose name contains `name`
/// (case-insensitive).
pub fn filter(monitors: Vec<Monitor>, tags: &[String], name: Option<&str>) -> Vec<Monitor> {
    let name = name.map(str::to_lowercase);
    monitors
        .into_iter()
        .filter(|m| m.has_all_tags(tags))
        .filter(|m| {
            name.as_ref()
                .is_none_or(|n| m.body.name.to_lowercase().contains(n))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_object_array_and_definition_wrapper() {
        let one = r#"{"id": 1, "type": "query alert", "name": "a", "query": "q", "message": ""}"#;
        assert_eq!(parse_export(one).unwrap().len(), 1);
        let many = format!("[{one}, {{\"definition\": {one}}}]");
        let monitors = parse_export(&many).unwrap();
        assert_eq!(monitors.len(), 2);
        assert_eq!(monitors[1].id, Some(1));
    }

    #[test]
    fn explains_what_is_wrong() {
        assert!(parse_export("{").unwrap_err().contains("not valid JSON"));
        assert!(parse_export("[1]").unwrap_err().contains("item 0"));
        assert!(
            parse_export(r#"{"name": "x"}"#)
                .unwrap_err()
                .contains("without `type`")
        );
    }

    #[test]
    fn filters_by_tags_and_name() {
        let mut a = Monitor::new("API errors", "query alert", "q", "");
        a.body.tags = vec!["team:sre".into()];
        let b = Monitor::new("Disk full", "query alert", "q", "");
        let kept = filter(vec![a, b], &["team:sre".into()], Some("api"));
        assert_eq!(kept.len(), 1);
    }
}
