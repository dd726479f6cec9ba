//! Comparing the desired monitors with the live org: what to create, update, delete, and what
//! was changed by hand.
//!
//! monc keeps no state file. Ownership is a tag, identity is the key tag, and the last line of
//! every message monc writes is a marker holding a hash (`rev`) of the definition it wrote. A live
//! monitor whose content no longer hashes to its own marker was edited outside monc (drift).

pub mod live;
pub mod normalize;
pub mod saved;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::{Map as JsonMap, Value as Json};

use crate::emit::EmittedMonitor;
use crate::model::{MonitorBody, MonitorKey, is_composite, is_composite_key, key_without_tier};

// `plan::live` pairs monitors with their composites by key, as this module does.
pub(crate) use crate::model::partner_key;
pub use normalize::{ADOPTED_TAG, Definition, MARKER_PREFIX, marker_line, parse_marker};

/// A monitor as read from the org, reduced to what monc compares: its body, and what tells
/// whether it changed since.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveMonitor {
    pub id: i64,
    pub body: MonitorBody,
    /// When Datadog last saw it change, and who created it, if the API says.
    pub modified: Option<String>,
    pub creator: Option<String>,
    /// The rest of what the API sent, kept so that a backup holds the monitor exactly as it
    /// was ([`LiveMonitor::to_wire`]): live monitors travel in this one form.
    pub server: ServerFields,
}

/// The fields of a listed monitor that monc does not compare (server-owned ones, and any
/// field it does not know).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerFields {
    pub created: Option<String>,
    pub overall_state: Option<String>,
    pub extra: JsonMap<String, Json>,
}

/// A live monitor as `diff --format json` has always shown it: its id, its body (the type
/// named `monitor_type`), when it was modified and by whom it was created.
impl Serialize for LiveMonitor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = JsonMap::new();
        out.insert("id".into(), self.id.into());
        if let Ok(Json::Object(body)) = serde_json::to_value(&self.body) {
            out.extend(body.into_iter().map(|(field, value)| match field.as_str() {
                "type" => ("monitor_type".to_string(), value),
                _ => (field, value),
            }));
        }
        out.insert("modified".into(), self.modified.clone().into());
        out.insert("creator".into(), self.creator.clone().into());
        out.serialize(serializer)
    }
}

impl LiveMonitor {
    /// The monitor as the API sent it.
    pub fn to_wire(&self) -> crate::datadog::Monitor {
        crate::datadog::Monitor {
            id: Some(self.id),
            body: self.body.clone(),
            created: self.server.created.clone(),
            modified: self.modified.clone(),
            overall_state: self.server.overall_state.clone(),
            extra: self.server.extra.clone(),
        }
    }

    pub fn tag_value(&self, key: &str) -> Option<&str> {
        self.body
            .tags
            .iter()
            .find_map(|t| t.strip_prefix(key)?.strip_prefix(':'))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    Unchanged,
}

/// How the live monitor departs from what monc last wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Drift {
    /// Its content no longer matches the marker monc wrote: someone edited it in the UI or API.
    EditedOutsideMonc,
    /// It is gone although its partner (raw monitor or composite) is still there.
    DeletedOutsideMonc,
    /// A second monitor with the key of an older one (two syncs ran at once); deleted by sync
    /// even without --prune.
    Duplicate,
    /// A composite monc wrote that points at a duplicate copy of a monitor (two syncs ran at
    /// once): repointed at the monitor that is kept before the duplicate is deleted.
    PointsAtDuplicate,
}

impl Drift {
    /// What happened, in the words every report uses.
    pub fn describe(self) -> &'static str {
        match self {
            Drift::EditedOutsideMonc => "edited outside monc",
            Drift::DeletedOutsideMonc => "deleted outside monc",
            Drift::Duplicate => "duplicate of an older monitor with this key",
            Drift::PointsAtDuplicate => "points at a duplicate that will be deleted",
        }
    }
}

/// One field that differs, with its values as JSON (a threshold is a number, tags a list).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub live: Option<Json>,
    pub desired: Option<Json>,
}

impl FieldChange {
    /// The live value as the plan shows it.
    pub fn live_text(&self) -> Option<String> {
        self.live.as_ref().map(normalize::field_text)
    }

    /// The desired value as the plan shows it.
    pub fn desired_text(&self) -> Option<String> {
        self.desired.as_ref().map(normalize::field_text)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub key: MonitorKey,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// Why a planned delete cannot be carried out (e.g. a composite monc does not own uses
    /// the monitor). A blocked change is shown, never applied, and not a pending change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
    /// The key the live monitor had before a `moved` block renamed it; the update rewrites
    /// its key tag and keeps its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    pub fields: Vec<FieldChange>,
    #[serde(skip)]
    pub desired: Option<EmittedMonitor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveMonitor>,
}

#[derive(Debug, Default, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Live monitors carrying the ownership tag but no key tag: reported, never touched.
    pub owned_without_key: Vec<i64>,
    /// `moved` blocks whose old and new monitor are both live: nothing may be written until
    /// one of them is gone (or the block is removed).
    pub move_conflicts: Vec<MoveConflict>,
    /// Monitors carrying monc's tags that monc did not write: reported, never touched.
    pub conflicts: Vec<Conflict>,
    /// Monitors of other monc projects in the org, counted per project name (`""` for a
    /// project without one): never touched.
    pub other_projects: BTreeMap<String, usize>,
}

/// A `moved` block that cannot be carried out: the org holds a monitor under the old key and
/// one under the new key, and monc will not guess which one keeps its id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoveConflict {
    pub from: String,
    pub from_id: i64,
    pub to: String,
    pub to_id: i64,
}

impl MoveConflict {
    pub fn describe(&self) -> String {
        format!(
            "`{}` (id {}) is moved to `{}`, but `{}` is in the org too (id {}); nothing is written \
             until one of them is deleted or the moved block is removed",
            self.from, self.from_id, self.to, self.to, self.to_id
        )
    }
}

impl Plan {
    /// Changes of `action` that can be applied (blocked ones are counted by [`Plan::blocked`]).
    pub fn count(&self, action: Action) -> usize {
        self.changes
            .iter()
            .filter(|c| c.action == action && c.blocked.is_none())
            .count()
    }

    pub fn has_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.action != Action::Unchanged && c.blocked.is_none())
    }

    pub fn blocked(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.blocked.is_some())
    }

    pub fn drifted(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.drift.is_some())
    }

    /// Keeps the monitors no longer in the config that were edited outside monc (and their
    /// partners): for runs nobody watches (`sync --yes`), where a hand edit must not be deleted
    /// without someone having seen it.
    pub fn keep_edited_deletes(&mut self) {
        for change in &mut self.changes {
            if change.action == Action::Delete
                && change.blocked.is_none()
                && change.drift == Some(Drift::EditedOutsideMonc)
            {
                change.blocked = Some(
                    "edited outside monc since monc wrote it; kept under --yes unless \
                     --delete-edited is given"
                        .into(),
                );
            }
        }
        live::keep_what_kept_monitors_need(self);
    }
}

/// The settings the plan needs from the project.
#[derive(Debug, Clone)]
pub struct Ownership {
    pub owner_tag: String,
    pub key_tag: String,
    /// The project's name: it owns only monitors recording it (`monc-project:<name>`); a
    /// project without a name owns only monitors recording none.
    pub project: Option<String>,
    /// A named project also takes over monc's monitors that record no project (the project's
    /// own, written before it was named): `--claim-unnamed`.
    pub claim_unnamed: bool,
}

impl Ownership {
    pub fn of(project: &crate::model::Project) -> Ownership {
        Ownership {
            owner_tag: project.owner_tag.clone(),
            key_tag: project.key_tag.clone(),
            project: project.name.clone(),
            claim_unnamed: false,
        }
    }

    /// The tags that make a monitor this project's, for messages.
    pub fn describe(&self) -> String {
        match &self.project {
            Some(name) => format!(
                "`{}` and `{}:{name}`",
                self.owner_tag,
                crate::model::PROJECT_TAG_KEY
            ),
            None => format!("`{}`", self.owner_tag),
        }
    }

    /// Whether monc, as this project, may write or delete a monitor with these tags.
    pub fn owns(&self, tags: &[String]) -> bool {
        if !tags.contains(&self.owner_tag) {
            return false;
        }
        match (project_of(tags), &self.project) {
            (None, Some(_)) => self.claim_unnamed,
            (recorded, ours) => recorded == ours.as_deref(),
        }
    }

    /// The project a monitor carrying monc's ownership tag belongs to, when it is another one
    /// than this: `Some(None)` for a project without a name.
    pub fn other_project<'t>(&self, tags: &'t [String]) -> Option<Option<&'t str>> {
        (tags.contains(&self.owner_tag) && !self.owns(tags)).then(|| project_of(tags))
    }
}

/// The name a monitor records in `monc-project:<name>`, if any.
pub fn project_of(tags: &[String]) -> Option<&str> {
    tags.iter().find_map(|t| {
        t.strip_prefix(crate::model::PROJECT_TAG_KEY)?
            .strip_prefix(':')
    })
}

/// Compares desired with live monitors (already filtered to the owned ones by the caller, but
/// checked again here: a monitor without the owner tag is never planned for).
pub fn plan(desired: &[EmittedMonitor], live: &[LiveMonitor], ownership: &Ownership) -> Plan {
    let mut owned: Vec<&LiveMonitor> = live
        .iter()
        .filter(|m| ownership.owns(&m.body.tags))
        .collect();
    let other_projects = count_other_projects(live, ownership);
    // The oldest monitor of a key is the one monc keeps; later ones (two syncs that ran at
    // once both created it) are duplicates to delete. A duplicate is a *distinct* id: the same
    // id seen twice is one monitor, never a copy of itself.
    owned.sort_by_key(|m| m.id);
    owned.dedup_by_key(|m| m.id);
    let Classified {
        mut index,
        duplicates,
        conflicts,
        owned_without_key,
    } = classify(&owned, ownership);
    let desired_keys: HashSet<&str> = desired.iter().map(|d| d.key.as_str()).collect();
    let moves = find_moves(desired, &desired_keys, &index);
    // Constituents of composites are compared under the keys they have once moved.
    for (new_key, live) in &moves.taken_over {
        index.current_key_of_id.insert(live.id, new_key);
    }
    let mut changes: Vec<Change> = desired
        .iter()
        .map(|d| match moves.taken_over.get(d.key.as_str()) {
            Some(old) => Change {
                moved_from: old.tag_value(&ownership.key_tag).map(String::from),
                ..compare(d, Some(old), &index)
            },
            None => compare(d, index.by_key.get(d.key.as_str()).copied(), &index),
        })
        .collect();
    let moved_away: HashSet<i64> = moves.taken_over.values().map(|l| l.id).collect();
    let mut orphans: Vec<Change> = index
        .by_key
        .iter()
        .filter(|(key, live)| !desired_keys.contains(*key) && !moved_away.contains(&live.id))
        .map(|(key, live)| orphan(key, live, &index))
        .chain(
            duplicates
                .iter()
                .map(|(key, live)| duplicate(key, live, &index)),
        )
        .collect();
    orphans.sort_by(|a, b| a.key.cmp(&b.key));
    changes.extend(orphans);
    Plan {
        changes,
        owned_without_key,
        move_conflicts: moves.conflicts,
        conflicts,
        other_projects,
    }
}

/// How many monitors of monc's each other project (`""` for one without a name) has here.
fn count_other_projects(live: &[LiveMonitor], ownership: &Ownership) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let mut seen = HashSet::new();
    for monitor in live.iter().filter(|m| seen.insert(m.id)) {
        if let Some(project) = ownership.other_project(&monitor.body.tags) {
            *counts
                .entry(project.unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    counts
}

/// The owned monitors sorted into the one monc keeps per key, its duplicates, and the ones
/// that only carry monc's tags.
struct Classified<'a> {
    index: LiveIndex<'a>,
    duplicates: Vec<(&'a str, &'a LiveMonitor)>,
    conflicts: Vec<Conflict>,
    owned_without_key: Vec<i64>,
}

/// Sorts owned monitors (by id, each once) by their key tag. Per key, monc keeps the oldest
/// monitor whose marker names that key (or the oldest at all, for an adopted monitor that
/// has no marker yet). Another monitor with the key is a duplicate to delete only if monc
/// wrote its content (its marker names the key and matches it: two syncs ran at once);
/// anything else carrying monc's tags (a colleague's clone in the UI) is a conflict, never
/// deleted or overwritten.
fn classify<'a>(owned: &[&'a LiveMonitor], ownership: &Ownership) -> Classified<'a> {
    let mut by_key: HashMap<&str, Vec<&LiveMonitor>> = HashMap::new();
    let mut owned_without_key = Vec::new();
    for monitor in owned {
        match monitor.tag_value(&ownership.key_tag) {
            Some(key) => by_key.entry(key).or_default().push(monitor),
            None => owned_without_key.push(monitor.id),
        }
    }
    let mut key_of_any_id: HashMap<i64, &str> = HashMap::new();
    for (key, monitors) in &by_key {
        key_of_any_id.extend(monitors.iter().map(|m| (m.id, *key)));
    }
    let mut classified = Classified {
        index: LiveIndex::default(),
        duplicates: Vec::new(),
        conflicts: Vec::new(),
        owned_without_key,
    };
    for (key, monitors) in by_key {
        let marked = |m: &LiveMonitor| parse_marker(&m.body.message).is_some_and(|(k, _)| k == key);
        let kept = monitors
            .iter()
            .copied()
            .find(|m| marked(m))
            .unwrap_or(monitors[0]);
        classified.index.insert(key, kept);
        for other in monitors.into_iter().filter(|m| m.id != kept.id) {
            if marked(other) && !edited(other, &key_of_any_id) {
                classified.duplicates.push((key, other));
            } else {
                classified
                    .conflicts
                    .push(Conflict::of(key, other, kept.id, ownership));
            }
        }
    }
    let conflicting: HashSet<i64> = classified.conflicts.iter().map(|c| c.id).collect();
    key_of_any_id.retain(|id, _| !conflicting.contains(id));
    classified.index.key_of_any_id = key_of_any_id;
    classified.duplicates.sort_by_key(|(_, m)| m.id);
    classified.conflicts.sort_by_key(|c| c.id);
    classified.owned_without_key.sort_unstable();
    classified
}

/// Whether `live` departs from what monc wrote: content that no longer hashes to its marker,
/// or no marker of monc's at all (removed, or the marker line edited), unless monc has not
/// written it yet because it was just adopted.
fn edited(live: &LiveMonitor, key_of_any_id: &HashMap<i64, &str>) -> bool {
    match parse_marker(&live.body.message) {
        Some((_, rev)) => rev != Definition::of_live(live, key_of_any_id).revision(),
        None => !live.body.tags.iter().any(|t| t == ADOPTED_TAG),
    }
}

/// A monitor carrying monc's ownership and key tags that monc did not write (or that was
/// edited since): a UI clone, or a copy someone made. Reported, never touched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub key: String,
    pub id: i64,
    pub name: String,
    /// The monitor monc keeps for the key.
    pub kept_id: i64,
    /// The tags that make it look like monc's.
    pub tags: [String; 2],
}

impl Conflict {
    fn of(key: &str, live: &LiveMonitor, kept_id: i64, ownership: &Ownership) -> Conflict {
        Conflict {
            key: key.to_string(),
            id: live.id,
            name: live.body.name.clone(),
            kept_id,
            tags: [
                ownership.owner_tag.clone(),
                format!("{}:{key}", ownership.key_tag),
            ],
        }
    }

    pub fn describe(&self) -> String {
        let [owner, key] = &self.tags;
        format!(
            "monitor id {} \"{}\" carries monc's tags for `{}` but monc did not write it (or it was \
             edited since), so monc leaves it alone; monc's own monitor for that key is id {}. \
             If it is a copy of someone's, remove the tags `{owner}` and `{key}` from it; if it \
             should replace monc's monitor, delete id {} (monc then updates this one)",
            self.id, self.name, self.key, self.kept_id, self.kept_id
        )
    }
}

/// What the `moved` blocks do to this org.
struct Moves<'a> {
    /// Desired key → the live monitor, still under its old key, that becomes it.
    taken_over: HashMap<&'a str, &'a LiveMonitor>,
    conflicts: Vec<MoveConflict>,
}

/// Desired monitors whose key is not live but whose old key (before a `moved` block) is: they
/// take that monitor over. Both keys live is a conflict.
fn find_moves<'a>(
    desired: &'a [EmittedMonitor],
    desired_keys: &HashSet<&str>,
    index: &LiveIndex<'a>,
) -> Moves<'a> {
    // Keys compare without their tier (the old template is gone, and its tier with it). Two
    // live monitors with one such key (`l2/x/a` and `l3/x/a`) make the old one ambiguous:
    // neither is taken over, rather than one chosen by hash order.
    let mut candidates: HashMap<&str, Vec<&LiveMonitor>> = HashMap::new();
    for (key, live) in &index.by_key {
        if !desired_keys.contains(*key) {
            candidates
                .entry(key_without_tier(key))
                .or_default()
                .push(*live);
        }
    }
    let by_key_without_tier: HashMap<&str, &LiveMonitor> = candidates
        .into_iter()
        .filter_map(|(key, lives)| match lives.as_slice() {
            [only] => Some((key, *only)),
            _ => None,
        })
        .collect();
    let mut moves = Moves {
        taken_over: HashMap::new(),
        conflicts: Vec::new(),
    };
    for d in desired {
        let Some(old) = d
            .moved_from
            .iter()
            .find_map(|old| by_key_without_tier.get(old.as_str()))
        else {
            continue;
        };
        match index.by_key.get(d.key.as_str()) {
            Some(new) => moves.conflicts.push(MoveConflict {
                from: index
                    .key_of_id
                    .get(&old.id)
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                from_id: old.id,
                to: d.key.to_string(),
                to_id: new.id,
            }),
            None => {
                moves.taken_over.insert(d.key.as_str(), old);
            }
        }
    }
    moves
}

impl<'a> LiveIndex<'a> {
    fn insert(&mut self, key: &'a str, live: &'a LiveMonitor) {
        self.by_key.insert(key, live);
        self.key_of_id.insert(live.id, key);
        self.current_key_of_id.insert(live.id, key);
    }
}

/// The owned live monitors by key and by id.
#[derive(Default)]
struct LiveIndex<'a> {
    /// The monitor monc keeps for each key.
    by_key: HashMap<&'a str, &'a LiveMonitor>,
    /// Ids of the kept monitors.
    key_of_id: HashMap<i64, &'a str>,
    /// Ids of the kept monitors under the keys they have once `moved` blocks are applied.
    current_key_of_id: HashMap<i64, &'a str>,
    /// Ids of the kept monitors and of their duplicates.
    key_of_any_id: HashMap<i64, &'a str>,
}

fn compare(desired: &EmittedMonitor, live: Option<&LiveMonitor>, index: &LiveIndex) -> Change {
    let wanted = Definition::of_desired(desired);
    let Some(live) = live else {
        return Change {
            key: desired.key.clone(),
            action: Action::Create,
            drift: partner_is_live(desired, &index.by_key).then_some(Drift::DeletedOutsideMonc),
            blocked: None,
            moved_from: None,
            fields: wanted.fields_against(None),
            desired: Some(desired.clone()),
            live: None,
        };
    };
    let current = Definition::of_live(live, &index.current_key_of_id);
    // What monc wrote may name a duplicate's id (two syncs at once): that is not an edit.
    let as_written = Definition::of_live(live, &index.key_of_any_id);
    let without_duplicates = Definition::of_live(live, &index.key_of_id);
    // No marker of monc's (adopted, or the marker line edited or replaced) or content that no
    // longer matches it: every byte but monc's own marker line is compared, so the change is
    // shown and labelled.
    let edited = edited(live, &index.key_of_any_id);
    let fields = wanted.fields_against(Some(&current));
    let drift = if fields.is_empty() {
        None
    } else if edited {
        Some(Drift::EditedOutsideMonc)
    } else if without_duplicates.body.query != as_written.body.query {
        Some(Drift::PointsAtDuplicate)
    } else {
        None
    };
    Change {
        key: desired.key.clone(),
        action: if fields.is_empty() {
            Action::Unchanged
        } else {
            Action::Update
        },
        drift,
        blocked: None,
        moved_from: None,
        fields,
        desired: Some(desired.clone()),
        live: Some(live.clone()),
    }
}

/// A live monitor no longer in the config; labelled if it was edited since monc wrote it, so
/// that a hand edit is never deleted without saying so.
fn orphan(key: &str, live: &LiveMonitor, index: &LiveIndex) -> Change {
    let current = Definition::of_live(live, &index.key_of_id);
    Change {
        key: MonitorKey::from(key),
        action: Action::Delete,
        drift: edited(live, &index.key_of_any_id).then_some(Drift::EditedOutsideMonc),
        blocked: None,
        moved_from: None,
        fields: current.fields_removed(),
        desired: None,
        live: Some(live.clone()),
    }
}

fn duplicate(key: &str, live: &LiveMonitor, index: &LiveIndex) -> Change {
    Change {
        drift: Some(Drift::Duplicate),
        ..orphan(key, live, index)
    }
}

/// monc writes a monitor and its composite together; if one of them is live and the other is
/// not, the missing one was deleted by hand.
fn partner_is_live(desired: &EmittedMonitor, by_key: &HashMap<&str, &LiveMonitor>) -> bool {
    by_key.contains_key(partner_key(&desired.key, desired.is_composite()).as_str())
}

/// Orders changes so that every write finds what it depends on: creates/updates of raw monitors,
/// then of composites; deletes of composites before the monitors they reference.
pub fn apply_order(plan: &Plan) -> Vec<&Change> {
    let mut ordered: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Unchanged && c.blocked.is_none())
        .collect();
    ordered.sort_by_key(|c| apply_rank(c));
    ordered
}

/// Whether the monitor of a change is a composite: by type, not key (a composite written by
/// hand has no `/composite` suffix, a tenant named `composite` gives a raw monitor one).
pub(crate) fn change_is_composite(change: &Change) -> bool {
    match (&change.desired, &change.live) {
        (Some(desired), _) => desired.is_composite(),
        (None, Some(live)) => is_composite(&live.body.monitor_type),
        (None, None) => is_composite_key(&change.key),
    }
}

/// Changes of one rank are independent of each other; each rank waits for the one before.
pub fn apply_rank(change: &Change) -> u8 {
    match (change.action, change_is_composite(change)) {
        (Action::Create | Action::Update, false) => 0,
        (Action::Create | Action::Update, true) => 1,
        (Action::Delete, true) => 2,
        (Action::Delete, false) => 3,
        (Action::Unchanged, _) => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `diff --format json` shows a live monitor with the fields, names and order it always had.
    #[test]
    fn a_live_monitor_serializes_as_it_always_did() {
        let live = LiveMonitor {
            id: 7,
            body: MonitorBody {
                name: "n".into(),
                monitor_type: "composite".into(),
                query: "1 && !2".into(),
                priority: Some(3),
                ..MonitorBody::default()
            },
            modified: Some("2026-01-01".into()),
            creator: None,
            server: Default::default(),
        };
        assert_eq!(
            serde_json::to_string(&live).expect("serializes"),
            r#"{"id":7,"name":"n","monitor_type":"composite","query":"1 && !2","message":"","tags":[],"options":{},"priority":3,"modified":"2026-01-01","creator":null}"#
        );
    }
}
