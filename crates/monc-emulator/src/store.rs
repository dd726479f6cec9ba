//! The emulated organisation: monitors, and the rules Datadog applies to them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::clock;
use super::events::EventLog;
use super::rules::{self, Rejection};
use super::states::{self, Member, Status};

/// GUESS (behaviour): every emulated org has an id of its own, so that data of one org (a
/// backup) can be told from another's, as with Datadog, whose monitors carry their org's
/// `org_id` (recorded: 321813, 197728, 717122). How Datadog assigns them is unknown: a new
/// emulated org takes a random six-digit id, and a state file keeps the id of its org.
fn new_org_id() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    100_000 + i64::try_from(hasher.finish() % 900_000).unwrap_or_default()
}

/// GUESS (behaviour): ids count up from here, per emulated org. Real ids are large (recorded:
/// 238669218) and not known to be consecutive. That Datadog never gives a deleted monitor's id
/// to another monitor is assumed; the emulator guarantees it, across restarts too.
const FIRST_ID: i64 = 1_000_001;
/// Never handed out: `next_id` at this value means every id is used (a state file whose
/// highest monitor has it loads that way too). Counting on past it would have to reuse one.
const NO_ID_LEFT: i64 = i64::MAX;

/// All monitors of the emulated org, as the API would render them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "StateFile")]
pub(crate) struct Store {
    /// High-water mark: the id of the next create. Persisted, so that an id stays used after
    /// its monitor is deleted (a composite that still names it must never find a newcomer).
    next_id: i64,
    /// The id of the emulated org, on every monitor as `org_id`.
    org_id: i64,
    monitors: BTreeMap<i64, Map<String, Value>>,
    /// Every state transition made, for `GET /api/v2/events`.
    #[serde(default, skip_serializing_if = "EventLog::is_empty")]
    events: EventLog,
    /// Monitors created, changed or deleted since the last `take_changed` (what a save must
    /// re-render). Not part of the state.
    #[serde(skip)]
    changed: BTreeSet<i64>,
}

/// A state file as read: older files have no `next_id`, and a hand-edited one may hold a
/// `next_id` at or below an existing id.
#[derive(Deserialize)]
struct StateFile {
    #[serde(default)]
    next_id: Option<i64>,
    /// Missing in files written before orgs had ids: then the id its monitors carry.
    #[serde(default)]
    org_id: Option<i64>,
    monitors: BTreeMap<i64, Map<String, Value>>,
    /// Missing in files written before the event log.
    #[serde(default)]
    events: EventLog,
}

impl From<StateFile> for Store {
    fn from(file: StateFile) -> Self {
        let after_highest = file
            .monitors
            .keys()
            .next_back()
            .map_or(FIRST_ID, |highest| highest.saturating_add(1));
        let next_id = file.next_id.unwrap_or(FIRST_ID).max(after_highest);
        let org_id = file
            .org_id
            .or_else(|| {
                file.monitors
                    .values()
                    .find_map(|m| m.get("org_id").and_then(Value::as_i64))
            })
            .unwrap_or_else(new_org_id);
        Store {
            next_id,
            org_id,
            changed: file.monitors.keys().copied().collect(),
            monitors: file.monitors,
            events: file.events,
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Store {
            next_id: FIRST_ID,
            org_id: new_org_id(),
            monitors: BTreeMap::new(),
            events: EventLog::default(),
            changed: BTreeSet::new(),
        }
    }
}

/// Query parameters of `GET /api/v1/monitor` the emulator honours.
#[derive(Debug, Default, Clone)]
pub(crate) struct ListFilter {
    pub monitor_tags: Vec<String>,
    pub name: Option<String>,
    pub page: Option<usize>,
    pub page_size: Option<usize>,
    /// Only monitors with a greater id (recorded: go-legacy TestMonitorPagination).
    pub id_offset: Option<i64>,
}

impl Store {
    pub(crate) fn get(&self, id: i64) -> Result<Map<String, Value>, Rejection> {
        self.monitors
            .get(&id)
            .cloned()
            .ok_or_else(Rejection::not_found)
    }

    /// A stored monitor, without copying it.
    pub(crate) fn monitor(&self, id: i64) -> Option<&Map<String, Value>> {
        self.monitors.get(&id)
    }

    /// The id the next create gets.
    /// The log of state transitions.
    pub(crate) fn events(&self) -> &EventLog {
        &self.events
    }

    pub(crate) fn next_id(&self) -> i64 {
        self.next_id
    }

    pub(crate) fn org_id(&self) -> i64 {
        self.org_id
    }

    /// Gives a new, empty org the id `org_id` (tests that need two orgs told apart).
    pub(crate) fn set_org_id(&mut self, org_id: i64) {
        self.org_id = org_id;
    }

    /// The ids created, changed or deleted since the last call.
    pub(crate) fn take_changed(&mut self) -> BTreeSet<i64> {
        std::mem::take(&mut self.changed)
    }

    pub(crate) fn all(&self) -> Vec<Map<String, Value>> {
        self.monitors.values().cloned().collect()
    }

    pub(crate) fn list(&self, filter: &ListFilter) -> Result<Vec<Map<String, Value>>, Rejection> {
        let page_size = filter.page_size.unwrap_or(100);
        if page_size > 1000 {
            // GUESS: wording; the limit of 1000 is documented.
            return Err(Rejection::bad_request(
                "page_size must be less than or equal to 1000",
            ));
        }
        // GUESS (behaviour): `monitor_tags` keeps monitors carrying every listed tag, and
        // `name` is a case-insensitive substring; the documentation says neither.
        // GUESS (behaviour): `id_offset` combines with the other parameters as a filter, and
        // `page_size` still counts only with `page` (documented for `page_size`).
        let after_offset = self
            .monitors
            .range(filter.id_offset.map_or(i64::MIN, |id| id.saturating_add(1))..)
            .map(|(_, monitor)| monitor);
        let matching = after_offset.filter(|monitor| {
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

    /// Checks `body` as `POST /api/v1/monitor/validate` does: exactly the checks of a create
    /// (which calls it), so both refuse the same bodies in the same words.
    pub(crate) fn validate_new<'a>(
        &self,
        body: &'a Value,
    ) -> Result<&'a Map<String, Value>, Rejection> {
        let request = self.check_new(body)?;
        rules::check_creatable(request)?;
        Ok(request)
    }

    /// The checks every new monitor passes, however it was made.
    fn check_new<'a>(&self, body: &'a Value) -> Result<&'a Map<String, Value>, Rejection> {
        let request = rules::as_object(body)?;
        rules::check_monitor(request, self.composite_lookup(None))?;
        Ok(request)
    }

    /// Checks `body` as an update of monitor `id` (`POST /api/v1/monitor/{id}/validate`):
    /// exactly the checks of that update (which calls it). Returns the monitor as updated.
    pub(crate) fn validate_update(
        &self,
        id: i64,
        body: &Value,
    ) -> Result<Map<String, Value>, Rejection> {
        let existing = self.get(id)?;
        let request = rules::as_object(body)?;
        rules::check_type_kept(&existing, request)?;
        let merged = rules::merge_update(&existing, request);
        rules::check_monitor(&merged, self.composite_lookup(Some(id)))?;
        Ok(merged)
    }

    pub(crate) fn create(&mut self, body: &Value) -> Result<Map<String, Value>, Rejection> {
        let request = self.validate_new(body)?;
        self.store_new(request)
    }

    fn store_new(&mut self, request: &Map<String, Value>) -> Result<Map<String, Value>, Rejection> {
        let id = self.take_id()?;
        let now = clock::now();
        let monitor = rules::materialize(id, self.org_id, request, &now);
        self.monitors.insert(id, monitor.clone());
        self.changed.insert(id);
        self.evaluate_if_members_were(id, &now);
        Ok(monitor)
    }

    /// The next unused id, or a refusal once none is left: an id, even a deleted monitor's,
    /// is never given to a second monitor.
    fn take_id(&mut self) -> Result<i64, Rejection> {
        if self.next_id == NO_ID_LEFT {
            // GUESS (behaviour): Datadog's ids do not run out in practice, so nothing records
            // this answer. 400 in Datadog's error shape: a refusal clients do not retry.
            return Err(Rejection::bad_request(
                "the emulator has no monitor id left (ids are never reused); start it with \
                 another state file",
            ));
        }
        let id = self.next_id;
        self.next_id += 1;
        Ok(id)
    }

    /// `PUT`: the given fields replace the stored ones (`options` wholesale).
    pub(crate) fn update(
        &mut self,
        id: i64,
        body: &Value,
    ) -> Result<Map<String, Value>, Rejection> {
        let merged = self.validate_update(id, body)?;
        let mut updated = rules::rematerialize(merged, &clock::now());
        // Options are replaced wholesale, but the mute state comes from downtimes, not from
        // the request: it survives the update.
        let mute = self.monitors.get(&id).map(silenced).unwrap_or_default();
        set_option(&mut updated, "silenced", mute);
        // Likewise the groups' states: they come from evaluations, not from the request.
        if let Some(groups) = self
            .monitors
            .get(&id)
            .and_then(|m| m.get(states::GROUPS_KEY))
        {
            updated.insert(states::GROUPS_KEY.into(), groups.clone());
        }
        self.monitors.insert(id, updated.clone());
        self.changed.insert(id);
        self.evaluate_if_members_were(id, &clock::now());
        Ok(updated)
    }

    /// Deletes monitor `id`; refused while a composite references it, unless `force`.
    pub(crate) fn delete(&mut self, id: i64, force: bool) -> Result<Value, Rejection> {
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
        self.changed.insert(id);
        Ok(json!({ "deleted_monitor_id": id }))
    }

    /// `GET /api/v1/monitor/can_delete`: the answer, and whether some id cannot be deleted
    /// (answered 409, as recorded in go-legacy TestMonitorCanDeleteErrors/409_Conflict).
    pub(crate) fn can_delete(&self, ids: &[i64]) -> (Value, bool) {
        let mut ok = Vec::new();
        let mut errors = Map::new();
        for &id in ids {
            match self.monitors.get(&id) {
                None => {
                    // GUESS: an unknown id, and that it makes the answer a 409 too (recorded:
                    // only deletable and composite-referenced ones).
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
        let conflict = !errors.is_empty();
        let errors = if conflict {
            Value::Object(errors)
        } else {
            Value::Null
        };
        (json!({ "errors": errors, "data": { "ok": ok } }), conflict)
    }

    /// Test hook: stores `monitor` as if made in the web UI or by another API (a Synthetic
    /// test's monitor): validated like a create, but of any type.
    pub(crate) fn insert_foreign(&mut self, body: &Value) -> Result<i64, Rejection> {
        let request = self.check_new(body)?;
        self.store_new(request).map(|monitor| {
            monitor
                .get("id")
                .and_then(Value::as_i64)
                .unwrap_or_default()
        })
    }

    /// Test hook: edits a stored monitor in place, as a hand edit in the UI would, bumping
    /// `modified`. Returns false when there is no such monitor.
    pub(crate) fn edit(&mut self, id: i64, edit: impl FnOnce(&mut Map<String, Value>)) -> bool {
        let Some(monitor) = self.monitors.get_mut(&id) else {
            return false;
        };
        edit(monitor);
        monitor.insert("id".into(), id.into());
        monitor.insert("modified".into(), clock::now().iso.into());
        self.changed.insert(id);
        true
    }

    /// Test hook: downtimes now mute monitor `id` as `silenced` says (`{"*": <end>}` as recorded
    /// in Get-a-monitor-s-details-with-downtime, `{}` for none). Not an edit: `modified`
    /// stays. False if there is no such monitor.
    /// GUESS (behaviour): nothing ends a mute but this hook; a real downtime ends by itself.
    pub(crate) fn set_silenced(&mut self, id: i64, silenced: Value) -> bool {
        let Some(monitor) = self.monitors.get_mut(&id) else {
            return false;
        };
        set_option(monitor, "silenced", silenced);
        self.changed.insert(id);
        true
    }

    /// Test hook: the monitor was evaluated and is now in `state` ("OK", "Alert", ...), as
    /// recorded a few seconds after a create (TestAccDatadogMonitor_NoThresholdWindows: "OK",
    /// `overall_state_modified` in whole seconds). Not an edit: `modified` stays.
    pub(crate) fn evaluate(&mut self, id: i64, state: &str) -> bool {
        let Some(monitor) = self.monitors.get_mut(&id) else {
            return false;
        };
        monitor.insert("overall_state".into(), state.into());
        monitor.insert(
            "overall_state_modified".into(),
            clock::now().iso_seconds().into(),
        );
        self.changed.insert(id);
        true
    }

    /// Emulator extension: the monitors' groups are now in the given states, all within one
    /// evaluation cycle; then every composite is evaluated once. Refused as a whole (nothing
    /// changes) when a monitor does not exist or is a composite (composites are computed).
    pub(crate) fn set_states(&mut self, changes: &[StateChange]) -> Result<(), Rejection> {
        self.set_states_at(changes, None)
    }

    /// [`Store::set_states`] at `at_ms` (milliseconds since the epoch; now when `None`): how a
    /// drill lays down a month of history in a moment. The monitors' timestamps and the event
    /// log take that time.
    pub(crate) fn set_states_at(
        &mut self,
        changes: &[StateChange],
        at_ms: Option<i64>,
    ) -> Result<(), Rejection> {
        for change in changes {
            let monitor = self.get(change.monitor_id)?;
            if text(&monitor, "type") == "composite" {
                return Err(Rejection::bad_request(&format!(
                    "monitor {} is a composite: its state is computed from its members; set \
                     theirs instead",
                    change.monitor_id
                )));
            }
        }
        let now = at_ms.map_or_else(clock::now, clock::Timestamp::at_millis);
        for change in changes {
            if let Some(monitor) = self.monitors.get_mut(&change.monitor_id) {
                let group = change.group.as_deref();
                let changed = states::set_group(monitor, group, change.status, now.millis / 1000);
                if changed.overall {
                    monitor.insert("overall_state_modified".into(), now.iso_seconds().into());
                }
                self.events
                    .record(change.monitor_id, now.millis, &changed.transitions);
                self.changed.insert(change.monitor_id);
            }
        }
        let changed: BTreeSet<i64> = changes.iter().map(|c| c.monitor_id).collect();
        self.evaluate_composites_over(&now, Some(&changed));
        Ok(())
    }

    /// A composite just written is evaluated at once when one of its members has been given a
    /// state through the extension; otherwise it stays "No Data" (as every recorded create
    /// answer shows) until a member's state is set.
    /// GUESS (behaviour): Datadog evaluates a new composite at its next cycle, not at once.
    fn evaluate_if_members_were(&mut self, id: i64, now: &clock::Timestamp) {
        let Some(monitor) = self.monitors.get(&id) else {
            return;
        };
        if text(monitor, "type") != "composite" {
            return;
        }
        let members = rules::composite_ids(text(monitor, "query")).unwrap_or_default();
        let evaluated = members.iter().any(|member| {
            self.monitors
                .get(member)
                .is_some_and(|m| m.contains_key(states::GROUPS_KEY))
        });
        if evaluated {
            self.evaluate_composites(now);
        }
    }

    /// One evaluation cycle of every composite, from its members' current states.
    fn evaluate_composites(&mut self, now: &clock::Timestamp) {
        self.evaluate_composites_over(now, None);
    }

    /// One evaluation cycle of the composites over any of `members` (every composite when
    /// `None`): the others' members did not change, so neither do their results. A drill
    /// laying down a month of history on 10,000 monitors needs this to stay linear.
    fn evaluate_composites_over(
        &mut self,
        now: &clock::Timestamp,
        members: Option<&BTreeSet<i64>>,
    ) {
        let composites: Vec<i64> = self
            .monitors
            .iter()
            .filter(|(_, monitor)| text(monitor, "type") == "composite")
            .filter(|(_, monitor)| {
                members.is_none_or(|members| {
                    rules::composite_ids(text(monitor, "query"))
                        .is_ok_and(|ids| ids.iter().any(|id| members.contains(id)))
                })
            })
            .map(|(&id, _)| id)
            .collect();
        for id in composites {
            let Some(query) = self.monitors.get(&id).map(|m| text(m, "query").to_owned()) else {
                continue;
            };
            let member = |member_id: i64| self.monitors.get(&member_id).map(Member::of);
            let Ok(results) = states::evaluate_composite(&query, &member) else {
                continue;
            };
            let Some(composite) = self.monitors.get_mut(&id) else {
                continue;
            };
            let before = composite.get(states::GROUPS_KEY).cloned();
            let changed = states::store_composite_results(composite, &results, now.millis / 1000);
            if changed.overall {
                composite.insert("overall_state_modified".into(), now.iso_seconds().into());
            }
            self.events.record(id, now.millis, &changed.transitions);
            if composite.get(states::GROUPS_KEY) != before.as_ref() {
                self.changed.insert(id);
            }
        }
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

/// One change of the emulator's state extension: `group` of monitor `monitor_id` (the whole
/// monitor when `None`) is now in `status`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    pub monitor_id: i64,
    pub group: Option<String>,
    pub status: Status,
}

/// The mute state of a stored monitor (`{}` when none).
fn silenced(monitor: &Map<String, Value>) -> Value {
    monitor
        .get("options")
        .and_then(|options| options.get("silenced"))
        .cloned()
        .unwrap_or_else(|| json!({}))
}

fn set_option(monitor: &mut Map<String, Value>, key: &str, value: Value) {
    if let Some(Value::Object(options)) = monitor.get_mut("options") {
        options.insert(key.into(), value);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_monitor(id: i64) -> Value {
        json!({"id": id, "name": format!("m{id}"), "type": "query alert",
               "query": "avg(last_5m):avg:x{*} > 1", "tags": []})
    }

    fn next_created_id(store: &mut Store) -> i64 {
        let body = json!({"name": "new", "type": "query alert",
                          "query": "avg(last_5m):avg:x{*} > 1"});
        let created = store.create(&body).expect("created");
        created["id"].as_i64().expect("id")
    }

    #[test]
    fn state_files_without_next_id_still_load_and_continue_after_the_highest_id() {
        let old = json!({"monitors": {"1000007": stored_monitor(1_000_007)}});
        let mut store: Store = serde_json::from_value(old).expect("an old state file loads");
        assert_eq!(next_created_id(&mut store), 1_000_008);
    }

    #[test]
    fn a_persisted_next_id_below_an_existing_id_is_raised_past_it() {
        let behind = json!({"next_id": 1_000_002,
                            "monitors": {"1000005": stored_monitor(1_000_005)}});
        let mut store: Store = serde_json::from_value(behind).expect("loads");
        assert_eq!(next_created_id(&mut store), 1_000_006);
    }

    #[test]
    fn the_persisted_next_id_keeps_ids_of_deleted_monitors_used() {
        let mut store = Store::default();
        let first = next_created_id(&mut store);
        let second = next_created_id(&mut store);
        store.delete(second, false).expect("deleted");
        let saved = serde_json::to_value(&store).expect("saved");
        let mut reloaded: Store = serde_json::from_value(saved).expect("loads");
        assert_eq!(next_created_id(&mut reloaded), second + 1);
        assert!(second > first);
    }

    #[test]
    fn ids_never_run_over_the_last_one_a_create_is_refused_instead() {
        let near_the_end = json!({"next_id": i64::MAX - 1, "monitors": {}});
        let mut store: Store = serde_json::from_value(near_the_end).expect("loads");
        let body = json!({"name": "new", "type": "query alert",
                          "query": "avg(last_5m):avg:x{*} > 1"});
        let (created, refused): (Vec<_>, Vec<_>) =
            (0..3).map(|_| store.create(&body)).partition(Result::is_ok);
        let ids: BTreeSet<i64> = created
            .iter()
            .filter_map(|monitor| monitor.as_ref().ok()?["id"].as_i64())
            .collect();
        assert_eq!(ids.len(), created.len(), "an id handed out twice: {ids:?}");
        assert_eq!(store.all().len(), created.len(), "a monitor was replaced");
        let refusal = refused
            .first()
            .expect("a create refused")
            .as_ref()
            .expect_err("refused");
        assert_eq!(refusal.status, 400);
        assert!(
            refusal.errors[0].contains("no monitor id left"),
            "{refusal:?}"
        );
        let reloaded: Store =
            serde_json::from_value(serde_json::to_value(&store).expect("saved")).expect("loads");
        assert!(
            reloaded.clone().create(&body).is_err(),
            "still none after a restart"
        );
    }

    fn composite_over(store: &mut Store, query: &str) -> i64 {
        let body = json!({"name": "c", "type": "composite", "query": query});
        store.create(&body).expect("composite")["id"]
            .as_i64()
            .expect("id")
    }

    fn change(monitor_id: i64, group: Option<&str>, status: Status) -> StateChange {
        StateChange {
            monitor_id,
            group: group.map(String::from),
            status,
        }
    }

    #[test]
    fn composites_follow_their_members_states_and_cannot_be_set() {
        let mut store = Store::default();
        let (target, suppressor) = (next_created_id(&mut store), next_created_id(&mut store));
        let composite = composite_over(&mut store, &format!("{target} && !{suppressor}"));
        let state = |store: &Store, id| store.get(id).expect("exists")["overall_state"].clone();
        assert_eq!(state(&store, composite), "No Data");
        store
            .set_states(&[
                change(target, Some("host:a"), Status::Alert),
                change(target, Some("host:b"), Status::Ok),
                change(suppressor, None, Status::Ok),
            ])
            .expect("set");
        assert_eq!(state(&store, target), "Alert");
        assert_eq!(state(&store, composite), "Alert");
        let groups = states::stored_groups(&store.get(composite).expect("exists"));
        assert_eq!(groups["host:a"].status, "Alert");
        assert_eq!(groups["host:b"].status, "OK");
        store
            .set_states(&[change(suppressor, None, Status::Alert)])
            .expect("set");
        assert_eq!(state(&store, composite), "OK");
        let refused = store.set_states(&[change(composite, None, Status::Alert)]);
        assert_eq!(refused.expect_err("refused").status, 400);
        assert!(store.set_states(&[change(999, None, Status::Ok)]).is_err());
    }

    #[test]
    fn an_update_keeps_the_groups_states() {
        let mut store = Store::default();
        let id = next_created_id(&mut store);
        store
            .set_states(&[change(id, Some("host:a"), Status::Warn)])
            .expect("set");
        store
            .update(id, &json!({"name": "renamed"}))
            .expect("update");
        let monitor = store.get(id).expect("exists");
        assert_eq!(states::stored_groups(&monitor)["host:a"].status, "Warn");
    }
}
