//! The emulated organisation: monitors, and the rules Datadog applies to them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::clock;
use super::rules::{self, Rejection};

pub const ORG_ID: i64 = 1;
const FIRST_ID: i64 = 1_000_001;

/// All monitors of the emulated org, as the API would render them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Store {
    next_id: i64,
    monitors: BTreeMap<i64, Map<String, Value>>,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            next_id: FIRST_ID,
            monitors: BTreeMap::new(),
        }
    }
}

/// Query parameters of `GET /api/v1/monitor` the emulator honours.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub monitor_tags: Vec<String>,
    pub name: Option<String>,
    pub page: Option<usize>,
    pub page_size: Option<usize>,
}

impl Store {
    pub fn get(&self, id: i64) -> Result<Map<String, Value>, Rejection> {
        self.monitors
            .get(&id)
            .cloned()
            .ok_or_else(Rejection::not_found)
    }

    pub fn all(&self) -> Vec<Map<String, Value>> {
        self.monitors.values().cloned().collect()
    }

    pub fn list(&self, filter: &ListFilter) -> Result<Vec<Map<String, Value>>, Rejection> {
        let page_size = filter.page_size.unwrap_or(100);
        if page_size > 1000 {
            // Wording guessed: the limit is documented, the text is not.
            return Err(Rejection::bad_request(
                "page_size must be less than or equal to 1000",
            ));
        }
        let matching = self.monitors.values().filter(|monitor| {
            has_all_tags(monitor, &filter.monitor_tags)
                && filter.name.as_ref().is_none_or(|name| {
                    text(monitor, "name")
                        .to_lowercase()
                        .contains(&name.to_lowercase())
                })
        });
        let page: Vec<_> = match filter.page {
            None => matching.cloned().collect(),
            Some(page) => matching
                .skip(page.saturating_mul(page_size))
                .take(page_size)
                .cloned()
                .collect(),
        };
        Ok(page)
    }

    /// Checks `body` as `POST /api/v1/monitor/validate` does.
    pub fn validate_new(&self, body: &Value) -> Result<(), Rejection> {
        let request = rules::as_object(body)?;
        rules::check_monitor(request, self.composite_lookup(None))
    }

    /// Checks `body` as an update of monitor `id` (`POST /api/v1/monitor/{id}/validate`).
    pub fn validate_update(&self, id: i64, body: &Value) -> Result<(), Rejection> {
        let existing = self.get(id)?;
        let merged = rules::merge_update(&existing, rules::as_object(body)?);
        rules::check_monitor(&merged, self.composite_lookup(Some(id)))
    }

    pub fn create(&mut self, body: &Value) -> Result<Map<String, Value>, Rejection> {
        let request = rules::as_object(body)?;
        rules::check_monitor(request, self.composite_lookup(None))?;
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        let monitor = rules::materialize(id, ORG_ID, request, &clock::now());
        self.monitors.insert(id, monitor.clone());
        Ok(monitor)
    }

    /// `PUT`: the given fields replace the stored ones (`options` wholesale).
    pub fn update(&mut self, id: i64, body: &Value) -> Result<Map<String, Value>, Rejection> {
        let existing = self.get(id)?;
        let merged = rules::merge_update(&existing, rules::as_object(body)?);
        rules::check_monitor(&merged, self.composite_lookup(Some(id)))?;
        let updated = rules::rematerialize(merged, &clock::now());
        self.monitors.insert(id, updated.clone());
        Ok(updated)
    }

    /// Deletes monitor `id`; refused while a composite references it, unless `force`.
    pub fn delete(&mut self, id: i64, force: bool) -> Result<Value, Rejection> {
        let monitor = self.get(id)?;
        let referencing = self.composites_referencing(id);
        if !referencing.is_empty() && !force {
            return Err(Rejection::bad_request(&rules::still_referenced_message(
                id,
                text(&monitor, "name"),
                &referencing,
            )));
        }
        self.monitors.remove(&id);
        Ok(json!({ "deleted_monitor_id": id }))
    }

    /// `GET /api/v1/monitor/can_delete`.
    pub fn can_delete(&self, ids: &[i64]) -> Value {
        let mut ok = Vec::new();
        let mut errors = Map::new();
        for &id in ids {
            match self.monitors.get(&id) {
                None => {
                    errors.insert(id.to_string(), json!(["Monitor not found"]));
                }
                Some(monitor) => {
                    let referencing = self.composites_referencing(id);
                    if referencing.is_empty() {
                        ok.push(id);
                    } else {
                        let message = rules::still_referenced_message(
                            id,
                            text(monitor, "name"),
                            &referencing,
                        );
                        errors.insert(id.to_string(), json!([message]));
                    }
                }
            }
        }
        let errors = if errors.is_empty() {
            Value::Null
        } else {
            Value::Object(errors)
        };
        json!({ "data": { "ok": ok }, "errors": errors })
    }

    /// Test hook: stores `monitor` as if made in the web UI (still validated like a create).
    pub fn insert_foreign(&mut self, body: &Value) -> Result<i64, Rejection> {
        self.create(body).map(|monitor| {
            monitor
                .get("id")
                .and_then(Value::as_i64)
                .unwrap_or_default()
        })
    }

    /// Test hook: edits a stored monitor in place, as a hand edit in the UI would, bumping
    /// `modified`. Returns false when there is no such monitor.
    pub fn edit(&mut self, id: i64, edit: impl FnOnce(&mut Map<String, Value>)) -> bool {
        let Some(monitor) = self.monitors.get_mut(&id) else {
            return false;
        };
        edit(monitor);
        monitor.insert("id".into(), id.into());
        monitor.insert("modified".into(), clock::now().iso.into());
        true
    }

    fn composites_referencing(&self, id: i64) -> Vec<(i64, String)> {
        self.monitors
            .iter()
            .filter(|(_, monitor)| text(monitor, "type") == "composite")
            .filter(|(_, monitor)| {
                rules::composite_ids(text(monitor, "query")).is_ok_and(|ids| ids.contains(&id))
            })
            .map(|(&composite_id, monitor)| (composite_id, text(monitor, "name").to_owned()))
            .collect()
    }

    /// What composite validation needs to know: each referenced monitor's type, if it exists.
    /// `updating` is the monitor being replaced (a composite may not reference itself).
    fn composite_lookup(&self, updating: Option<i64>) -> impl Fn(i64) -> Option<String> + '_ {
        move |id| {
            if Some(id) == updating {
                return Some("composite".into());
            }
            self.monitors
                .get(&id)
                .map(|monitor| text(monitor, "type").to_owned())
        }
    }
}

fn text<'a>(monitor: &'a Map<String, Value>, key: &str) -> &'a str {
    monitor.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn has_all_tags(monitor: &Map<String, Value>, wanted: &[String]) -> bool {
    let tags: Vec<&str> = monitor
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    wanted.iter().all(|tag| tags.contains(&tag.as_str()))
}
