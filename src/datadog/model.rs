use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::MonitorBody;

/// A monitor as the Monitor API (v1) sends and receives it.
///
/// The fields monc reasons about are typed (its [`MonitorBody`] and what the server owns);
/// everything else the server sends lands in `extra` (flattened), so a monitor read from the
/// API and written back loses nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Monitor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Flattened before `extra`, so that the body's fields are never taken for unknown ones.
    #[serde(flatten)]
    pub body: MonitorBody,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall_state: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Fields the server owns: sending them back on create/update is at best ignored.
const SERVER_OWNED: &[&str] = &[
    "id",
    "created",
    "created_at",
    "modified",
    "creator",
    "overall_state",
    "overall_state_modified",
    "org_id",
    "deleted",
    "multi",
    "matching_downtimes",
    "state",
];

impl Monitor {
    /// A new monitor with the four fields every monitor needs.
    pub fn new(name: &str, monitor_type: &str, query: &str, message: &str) -> Self {
        Monitor {
            body: MonitorBody {
                name: name.to_owned(),
                monitor_type: monitor_type.to_owned(),
                query: query.to_owned(),
                message: message.to_owned(),
                ..MonitorBody::default()
            },
            ..Monitor::default()
        }
    }

    /// The JSON body for create/update/validate: this monitor without server-owned fields.
    pub fn to_request_body(&self) -> Value {
        let mut body = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut body {
            for key in SERVER_OWNED {
                map.remove(*key);
            }
        }
        body
    }

    /// Whether the monitor carries every `key:value` tag in `wanted`.
    pub fn has_all_tags(&self, wanted: &[String]) -> bool {
        wanted.iter().all(|tag| self.body.tags.contains(tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let wire = serde_json::json!({
            "id": 7, "name": "n", "type": "query alert", "query": "q", "message": "m",
            "tags": ["a:b"], "options": {"thresholds": {"critical": 1.0}, "weird": [1]},
            "priority": null, "org_id": 3, "creator": {"id": 1}, "restricted_roles": null,
            "draft_status": "published"
        });
        let monitor: Monitor = serde_json::from_value(wire.clone()).expect("decodes");
        assert_eq!(monitor.extra["draft_status"], "published");
        let back = serde_json::to_value(&monitor).expect("encodes");
        for (key, value) in wire.as_object().expect("object") {
            assert_eq!(&back[key], value, "field {key}");
        }
    }

    #[test]
    fn request_body_drops_server_owned_fields() {
        let mut monitor = Monitor::new("n", "composite", "1 && 2", "m");
        monitor.id = Some(9);
        monitor.extra.insert("org_id".into(), 3.into());
        monitor.extra.insert("restricted_roles".into(), Value::Null);
        let body = monitor.to_request_body();
        assert!(body.get("id").is_none());
        assert!(body.get("org_id").is_none());
        assert!(body.get("restricted_roles").is_some());
    }
}
