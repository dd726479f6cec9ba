//! One comparable form for a desired and a live monitor, so that a freshly synced org diffs clean:
//! server defaults dropped, numbers compared as numbers, tags as a set, composite IDs as keys.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map as JsonMap, Value as Json};

use super::{FieldChange, LiveMonitor};
use crate::emit::{EmittedMonitor, Query};
use crate::model::{MonitorBody, is_composite};
use crate::query::{Operand, parse_composite_query};

/// Options Datadog fills in when they are absent; equal to these, an option means nothing.
const SERVER_DEFAULTS: &[(&str, Json)] = &[
    ("notify_audit", Json::Bool(false)),
    ("include_tags", Json::Bool(true)),
    ("notify_no_data", Json::Bool(false)),
    ("locked", Json::Bool(false)),
    ("groupby_simple_monitor", Json::Bool(false)),
];

/// Options the server adds on its own for some monitor types (recorded: `avalanche_window` on
/// data-quality, RUM, error-tracking and custom-schedule monitors). Ignored unless the config
/// sets them, and never part of the revision, so that such monitors converge.
pub const SERVER_FILLED: &[&str] = &["avalanche_window"];

/// Options whose trailing whitespace the server trims (as it does for `message` and `query`).
const TRIMMED: &[&str] = &["escalation_message"];

/// Where the API shows mute state (downtimes, UI mutes): never compared, never sent.
pub const MUTE_STATE: &str = "silenced";

/// Put on a monitor by `monc import --adopt` beside monc's tags: monc owns it but has not written
/// it yet, so its lack of a marker is not an edit. The first sync removes it with the rest of the
/// monitor's old definition.
pub const ADOPTED_TAG: &str = "monc-adopted";

/// The first characters of the ownership line monc appends to every message.
pub const MARKER_PREFIX: &str = "[managed by monc:";

/// A monitor body in the one form an emitted and a live monitor are compared in (and its
/// revision hashed from): trimmed text, one name per type, composites over keys, tags as a
/// sorted set, options without server defaults and in key order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Definition {
    pub body: MonitorBody,
}

impl Definition {
    pub fn of_desired(desired: &EmittedMonitor) -> Definition {
        let body = &desired.body;
        Definition::normalized(body, desired_query(desired), &body.message)
    }

    /// `key_of_id` turns composite constituents back into keys; unknown IDs stay `#<id>`.
    pub fn of_live(live: &LiveMonitor, key_of_id: &HashMap<i64, &str>) -> Definition {
        let query = if is_composite(&live.body.monitor_type) {
            composite_with_keys(&live.body.query, key_of_id)
        } else {
            live.body.query.trim().to_string()
        };
        Definition::normalized(&live.body, query, &strip_marker(&live.body.message))
    }

    fn normalized<Q>(body: &MonitorBody<Q>, query: String, message: &str) -> Definition {
        Definition {
            body: MonitorBody {
                name: body.name.trim().to_string(),
                monitor_type: canonical_type(&body.monitor_type),
                query,
                message: message.trim_end().to_string(),
                tags: sorted_tags(&body.tags),
                options: normalize_options(&body.options).into_iter().collect(),
                priority: body.priority,
            },
        }
    }

    /// A short hash of the definition, stable across runs, platforms and Rust versions. Options
    /// the server may fill in on its own do not count.
    pub fn revision(&self) -> String {
        let mut hashed = self.clone();
        hashed
            .body
            .options
            .retain(|key, _| !SERVER_FILLED.contains(&key.as_str()));
        let text = serde_json::to_string(&hashed).unwrap_or_default();
        format!("{:012x}", fnv1a(text.as_bytes()) & 0xffff_ffff_ffff)
    }

    /// Field-by-field differences from `live` to `self` (everything, if there is no live monitor).
    pub fn fields_against(&self, live: Option<&Definition>) -> Vec<FieldChange> {
        let wanted = self.field_values();
        let current = live.map(Definition::field_values).unwrap_or_default();
        let mut names: Vec<&String> = wanted.keys().chain(current.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|field| {
                let desired = wanted.get(field).cloned().flatten();
                let live = current.get(field).cloned().flatten();
                if desired.is_none() && is_server_filled(field) {
                    return None;
                }
                // Compared as shown: `90` and `90.0`, `true` and `"true"` are one value to
                // Datadog.
                let text = |v: &Option<Json>| v.as_ref().map(field_text);
                (text(&live) != text(&desired)).then(|| FieldChange {
                    field: field.clone(),
                    live,
                    desired,
                })
            })
            .collect()
    }

    pub fn fields_removed(&self) -> Vec<FieldChange> {
        self.field_values()
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(field, live)| FieldChange {
                field,
                live,
                desired: None,
            })
            .collect()
    }

    /// Each field's value, named as the API names it (`None` when unset); options are split
    /// per key so a diff names the option.
    fn field_values(&self) -> BTreeMap<String, Option<Json>> {
        let mut fields = BTreeMap::new();
        let Ok(Json::Object(body)) = serde_json::to_value(&self.body) else {
            return fields;
        };
        for (field, value) in body {
            match value {
                Json::Object(options) if field == "options" => {
                    for (key, value) in &options {
                        flatten_into(&mut fields, format!("options.{key}"), value);
                    }
                }
                value => {
                    fields.insert(field, (!value.is_null()).then_some(value));
                }
            }
        }
        fields
    }
}

/// What follows the key and revision on monc's marker line.
const MARKER_SUFFIX: &str = "] Edit this monitor in Git; changes made here are reported as drift.";

/// The marker line for a definition: `[managed by monc: <key> rev <hash>] ...`.
pub fn marker_line(key: &str, revision: &str) -> String {
    format!("{MARKER_PREFIX} {key} rev {revision}{MARKER_SUFFIX}")
}

/// The key and revision of monc's marker: the message's last line, exactly as monc writes it.
/// Anything else on that line (a handle appended by hand), or a marker anywhere else, is not
/// monc's marker but text of the message, compared and reported like any other edit.
pub fn parse_marker(message: &str) -> Option<(&str, &str)> {
    let line = message.trim_end().lines().next_back()?;
    let inner = line
        .strip_prefix(MARKER_PREFIX)?
        .strip_suffix(MARKER_SUFFIX)?
        .strip_prefix(' ')?;
    let (key, revision) = inner.rsplit_once(" rev ")?;
    (line == marker_line(key, revision)).then_some((key, revision))
}

/// `message` without monc's marker line (see [`parse_marker`]); every other byte is kept.
pub fn strip_marker(message: &str) -> String {
    let trimmed = message.trim_end();
    if parse_marker(trimmed).is_none() {
        return message.to_string();
    }
    match trimmed.rfind('\n') {
        Some(end) => trimmed[..end].to_string(),
        None => String::new(),
    }
}

/// Datadog may store a `metric alert` as a `query alert`; they are the same monitor.
fn canonical_type(monitor_type: &str) -> String {
    match monitor_type {
        "metric alert" => "query alert".into(),
        other => other.into(),
    }
}

fn sorted_tags(tags: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = tags.iter().map(|t| t.trim().to_string()).collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Drops nulls and server defaults, and turns every number into a float.
pub fn normalize_options(options: &JsonMap<String, Json>) -> BTreeMap<String, Json> {
    options
        .iter()
        .filter(|(key, value)| !is_default(key, value))
        .filter_map(|(key, value)| Some((key.clone(), normalize_value(&trimmed(key, value))?)))
        .collect()
}

fn trimmed(key: &str, value: &Json) -> Json {
    match value {
        Json::String(text) if TRIMMED.contains(&key) => Json::String(text.trim_end().to_string()),
        other => other.clone(),
    }
}

/// `options.avalanche_window` (or a field below it).
fn is_server_filled(field: &str) -> bool {
    field
        .strip_prefix("options.")
        .and_then(|rest| rest.split('.').next())
        .is_some_and(|option| SERVER_FILLED.contains(&option))
}

fn is_default(key: &str, value: &Json) -> bool {
    if value.is_null() {
        return true;
    }
    // Mute state (a downtime shows as `{"*": <end>}`) is not configuration.
    if key == MUTE_STATE {
        return true;
    }
    // The server drops it: "default" is what an absent value means.
    if key == "on_missing_data" && value.as_str() == Some("default") {
        return true;
    }
    if key == "new_host_delay" && value.as_f64() == Some(300.0) {
        return true;
    }
    SERVER_DEFAULTS.iter().any(|(k, v)| *k == key && v == value)
}

fn normalize_value(value: &Json) -> Option<Json> {
    match value {
        Json::Null => None,
        Json::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number),
        Json::Object(map) => {
            let cleaned: JsonMap<String, Json> = map
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), normalize_value(v)?)))
                .collect();
            if cleaned.is_empty() {
                None
            } else {
                Some(Json::Object(cleaned))
            }
        }
        Json::Array(items) => Some(Json::Array(
            items.iter().filter_map(normalize_value).collect(),
        )),
        other => Some(other.clone()),
    }
}

/// Nested objects become one field per leaf: `options.thresholds.critical`.
fn flatten_into(fields: &mut BTreeMap<String, Option<Json>>, path: String, value: &Json) {
    match value {
        Json::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                flatten_into(fields, format!("{path}.{key}"), inner);
            }
        }
        _ => {
            fields.insert(path, Some(value.clone()));
        }
    }
}

/// A field's value as the plan shows (and compares) it: text as it is, whole numbers without
/// `.0`, a list of strings (tags) joined by `, `.
pub fn field_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Json::Array(items) if items.iter().all(Json::is_string) => items
            .iter()
            .filter_map(Json::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// A desired query as compared: a hand-written composite goes through the same canonical
/// rendering as a live one, so that both sides read alike.
fn desired_query(desired: &EmittedMonitor) -> String {
    match &desired.body.query {
        Query::Expr(expr) => {
            let no_ids = HashMap::new();
            expr.render(&|operand| canonical_operand(operand, &no_ids))
        }
        other => other.render(|k| k.to_string()).trim().to_string(),
    }
}

/// `123 && !456` → `l3/x/acme && !l2/y/c1`, in the canonical rendering of the query parser.
fn composite_with_keys(query: &str, key_of_id: &HashMap<i64, &str>) -> String {
    let Ok(expr) = parse_composite_query(query) else {
        return query.trim().to_string();
    };
    expr.render(&|operand| canonical_operand(operand, key_of_id))
}

/// An operand as compared: keys as themselves, IDs as the key they belong to (`#<id>` if none).
fn canonical_operand(operand: &Operand, key_of_id: &HashMap<i64, &str>) -> String {
    match operand {
        Operand::Id(id) => i64::try_from(*id)
            .ok()
            .and_then(|id| key_of_id.get(&id))
            .map_or_else(|| format!("#{id}"), |k| k.to_string()),
        other => other.to_string(),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod converge_tests {
    use super::*;
    use serde_json::json;

    fn options(value: Json) -> JsonMap<String, Json> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn definition(options: JsonMap<String, Json>) -> Definition {
        let body: MonitorBody = MonitorBody {
            name: "n".into(),
            monitor_type: "query alert".into(),
            query: "q".into(),
            message: "m".into(),
            options,
            ..MonitorBody::default()
        };
        Definition::normalized(&body, body.query.clone(), &body.message)
    }

    /// A composite synced before monc wrote `(a && b) || c` for `a && b || c` is the same
    /// query: it is not rewritten.
    #[test]
    fn an_and_within_or_compares_alike_with_or_without_parentheses() {
        let keys = HashMap::from([(1, "l3/a"), (2, "l3/b"), (3, "l0/c")]);
        assert_eq!(
            composite_with_keys("1 && 2 || !3", &keys),
            composite_with_keys("(1 && 2) || !3", &keys)
        );
    }

    /// What the server answers for what monc sent, per recorded real traffic.
    #[test]
    fn what_the_server_fills_trims_or_mutes_is_no_change() {
        let sent = definition(options(json!({
            "escalation_message": "still down\n\n",
            "on_missing_data": "default",
            "thresholds": {"critical": 90},
        })));
        let answered = definition(options(json!({
            "escalation_message": "still down",
            "avalanche_window": 20,
            "silenced": {"*": 1_900_000_000},
            "thresholds": {"critical": 90.0},
        })));
        assert_eq!(sent.fields_against(Some(&answered)), Vec::new());
        assert_eq!(sent.revision(), answered.revision());
    }

    /// Live monitors carry the revision in their marker: it hashes the same JSON it always did
    /// (fields in this order, options sorted by key, numbers as floats), whatever the types
    /// that hold a body. The value is FNV-1a of that text, computed outside monc.
    #[test]
    fn the_revision_hashes_the_definition_as_it_always_did() {
        let body: MonitorBody = MonitorBody {
            name: " n ".into(),
            monitor_type: "query alert".into(),
            query: "q".into(),
            message: "m\n".into(),
            tags: vec!["z:y".into(), "a:b".into()],
            options: options(json!({
                "thresholds": {"critical": 90},
                "notify_no_data": true,
                "escalation_message": "x",
                "avalanche_window": 20,
            })),
            priority: Some(2),
        };
        let definition = Definition::normalized(&body, body.query.clone(), &body.message);
        assert_eq!(definition.revision(), "742f0afe8403");
    }

    #[test]
    fn an_avalanche_window_the_config_sets_is_compared() {
        let sent = definition(options(json!({"avalanche_window": 10})));
        let answered = definition(options(json!({"avalanche_window": 20})));
        assert_eq!(sent.fields_against(Some(&answered)).len(), 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_exact_last_line_is_monc_marker() {
        let marker = marker_line("l3/x/acme", "0123456789ab");
        let message = format!("Body\n\n{marker}");
        assert_eq!(parse_marker(&message), Some(("l3/x/acme", "0123456789ab")));
        assert_eq!(strip_marker(&message).trim_end(), "Body");
        for edited in [
            format!("Body\n\n{marker} @pagerduty-ceo"),
            format!("Body\n\n{marker}\n@pagerduty-ceo"),
            format!("{marker}\nBody"),
            "Body".to_string(),
        ] {
            assert_eq!(parse_marker(&edited), None, "{edited}");
            assert_eq!(strip_marker(&edited), edited, "every byte is compared");
        }
    }
}
