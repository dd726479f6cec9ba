//! Monitor states: the per-group states of raw monitors (set through the emulator extension,
//! since the emulator receives no metrics) and the states of composites, computed from their
//! members.
//!
//! Composite rules, from Datadog's "Composite Monitor" page (docs.datadoghq.com/monitors/types/
//! composite: "Computing trigger conditions", "Common reporting sources"):
//! - statuses by severity: Alert > Warn > No Data > OK; all but OK are alert-worthy;
//! - `A && B`, when alert-worthy, is the least severe of the two; otherwise it is not
//!   alert-worthy (the least severe of the two is then the OK one, so: the minimum);
//! - `A || B`, likewise, is the most severe of the two (the maximum);
//! - `!A` is No Data when A is No Data, OK when A is alert-worthy, Alert otherwise;
//! - a composite whose result is No Data while its own `notify_no_data` is off keeps its last
//!   known state;
//! - multi-alert members are combined on their common reporting sources, matched on tag
//!   values only (`host:web04` matches `service:web04`; `device:sda,host:web04` matches
//!   `host:web04`); a simple-alert member applies to every group.
//!
//! The group shape (`state.groups.<name>` = `{name, status, last_triggered_ts, ...}`) is
//! MonitorState / MonitorStateGroup of the API specification.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::rules::{Token, tokenize_composite};

/// Where a stored monitor keeps its groups' states. Never rendered (see `render`).
pub(crate) const GROUPS_KEY: &str = "monc_emulator_groups";

/// The one group of a simple-alert monitor ("For a simple alert, there is only one group
/// (*)": docs.datadoghq.com/monitors/guide/troubleshooting-monitor-alerts).
/// GUESS (behaviour): that the API lists it under that name in `state.groups`.
pub(crate) const SIMPLE_GROUP: &str = "*";

/// A status a composite can compute with, least severe first. Serialised as the API names it
/// (`"No Data"`), in the event log of the state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "OK")]
    Ok,
    #[serde(rename = "No Data")]
    NoData,
    Warn,
    Alert,
}

impl Status {
    /// The four statuses a person may set; the API's other overall states (Ignored, Skipped,
    /// Unknown) are not results of an evaluation one could drill.
    pub fn parse(text: &str) -> Option<Status> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ok" => Some(Status::Ok),
            "no data" | "nodata" | "no_data" => Some(Status::NoData),
            "warn" | "warning" => Some(Status::Warn),
            "alert" => Some(Status::Alert),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::NoData => "No Data",
            Status::Warn => "Warn",
            Status::Alert => "Alert",
        }
    }

    /// As a member: "Ignored", "Skipped" and "Unknown" (and anything else) count as No Data.
    /// GUESS (behaviour): the documentation only names the four statuses.
    fn of_member(text: &str) -> Status {
        Status::parse(text).unwrap_or(Status::NoData)
    }

    fn triggered(self) -> bool {
        matches!(self, Status::Alert | Status::Warn)
    }
}

/// One group's state as `state.groups` shows it (seconds since the epoch, 0 for never).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GroupState {
    pub status: String,
    #[serde(default)]
    pub last_triggered_ts: i64,
    #[serde(default)]
    pub last_notified_ts: i64,
    #[serde(default)]
    pub last_resolved_ts: i64,
    #[serde(default)]
    pub last_nodata_ts: i64,
}

pub(crate) type Groups = BTreeMap<String, GroupState>;

impl GroupState {
    fn fresh() -> Self {
        GroupState {
            status: Status::NoData.as_str().into(),
            last_triggered_ts: 0,
            last_notified_ts: 0,
            last_resolved_ts: 0,
            last_nodata_ts: 0,
        }
    }

    /// Moves to `status` at `now`, stamping what the transition means; the status it left,
    /// or `None` when it was already there.
    /// GUESS (behaviour): a trigger also counts as notified (the emulator sends nothing).
    fn transition(&mut self, status: Status, now: i64) -> Option<Status> {
        let before = Status::of_member(&self.status);
        if before == status && self.status == status.as_str() {
            return None;
        }
        match status {
            Status::Alert | Status::Warn if !before.triggered() => {
                self.last_triggered_ts = now;
                self.last_notified_ts = now;
            }
            Status::NoData => self.last_nodata_ts = now,
            Status::Ok if before.triggered() => self.last_resolved_ts = now,
            _ => {}
        }
        self.status = status.as_str().into();
        Some(before)
    }
}

/// One group of a monitor moved from one status to another: what the event log records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The group's name ([`SIMPLE_GROUP`] for a simple alert).
    pub group: String,
    pub from: Status,
    pub to: Status,
}

/// What a state change did to a monitor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Changed {
    /// `overall_state` changed.
    pub overall: bool,
    /// Every group that moved, in group-name order.
    pub transitions: Vec<Transition>,
}

/// The groups stored with a monitor (empty when it was never set).
pub(crate) fn stored_groups(monitor: &Map<String, Value>) -> Groups {
    monitor
        .get(GROUPS_KEY)
        .and_then(|groups| serde_json::from_value(groups.clone()).ok())
        .unwrap_or_default()
}

fn store_groups(monitor: &mut Map<String, Value>, groups: &Groups) {
    monitor.insert(GROUPS_KEY.into(), json!(groups));
}

/// Sets one group of a raw monitor (`None`: the whole monitor: every group it has, or its
/// simple group) and derives `overall_state`. Returns whether `overall_state` changed.
/// GUESS (behaviour): the overall state is the most severe of the groups' states.
pub(crate) fn set_group(
    monitor: &mut Map<String, Value>,
    group: Option<&str>,
    status: Status,
    now: i64,
) -> Changed {
    let mut groups = stored_groups(monitor);
    let names: Vec<String> = match group {
        Some(name) => vec![name.to_owned()],
        None if groups.is_empty() => vec![SIMPLE_GROUP.to_owned()],
        None => groups.keys().cloned().collect(),
    };
    let mut transitions = Vec::new();
    for name in names {
        let state = groups.entry(name.clone()).or_insert_with(GroupState::fresh);
        if let Some(from) = state.transition(status, now) {
            transitions.push(Transition {
                group: name,
                from,
                to: status,
            });
        }
    }
    store_groups(monitor, &groups);
    Changed {
        overall: set_overall(monitor, worst(&groups)),
        transitions,
    }
}

/// `overall_state` := `status`; true when that is a change.
fn set_overall(monitor: &mut Map<String, Value>, status: Status) -> bool {
    let changed = monitor.get("overall_state").and_then(Value::as_str) != Some(status.as_str());
    if changed {
        monitor.insert("overall_state".into(), status.as_str().into());
    }
    changed
}

fn worst(groups: &Groups) -> Status {
    groups
        .values()
        .map(|group| Status::of_member(&group.status))
        .max()
        .unwrap_or(Status::NoData)
}

/// A member of a composite as the composite sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member {
    /// A simple alert (or a monitor never split into groups): one status for every group.
    Simple(Status),
    /// A multi alert: each reporting group's status.
    Groups(Vec<(String, Status)>),
}

impl Member {
    /// A stored monitor as a member: its named groups, or its overall state.
    pub(crate) fn of(monitor: &Map<String, Value>) -> Member {
        let named: Vec<(String, Status)> = stored_groups(monitor)
            .into_iter()
            .filter(|(name, _)| name != SIMPLE_GROUP)
            .map(|(name, group)| (name, Status::of_member(&group.status)))
            .collect();
        if named.is_empty() {
            let overall = monitor.get("overall_state").and_then(Value::as_str);
            Member::Simple(Status::of_member(overall.unwrap_or("No Data")))
        } else {
            Member::Groups(named)
        }
    }
}

/// The tag values of a group name: `device:sda,host:web04` → {sda, web04}.
fn tag_values(group: &str) -> BTreeSet<&str> {
    group
        .split(',')
        .map(str::trim)
        .map(|tag| tag.split_once(':').map_or(tag, |(_, value)| value))
        .collect()
}

/// Two groups are one reporting source when the values of one are among the other's.
fn same_source(a: &str, b: &str) -> bool {
    let (a, b) = (tag_values(a), tag_values(b));
    a.is_subset(&b) || b.is_subset(&a)
}

/// A composite's result per group: `None` names the single result of an all-simple composite.
/// Members are looked up by id; `None` (a deleted member) counts as No Data.
/// GUESS (behaviour): what Datadog makes of a member that no longer exists.
pub(crate) fn evaluate_composite(
    query: &str,
    member: &dyn Fn(i64) -> Option<Member>,
) -> Result<Vec<(Option<String>, Status)>, String> {
    let expression = parse(query)?;
    let mut ids = Vec::new();
    expression.ids(&mut ids);
    let members: BTreeMap<i64, Member> = ids
        .iter()
        .map(|&id| (id, member(id).unwrap_or(Member::Simple(Status::NoData))))
        .collect();
    let sources = common_sources(&members);
    if sources.is_empty() && members.values().all(|m| matches!(m, Member::Simple(_))) {
        let status = expression.status(&|id| member_status(&members, id, None));
        return Ok(vec![(None, status)]);
    }
    Ok(sources
        .into_iter()
        .map(|group| {
            let status = expression.status(&|id| member_status(&members, id, Some(&group)));
            (Some(group), status)
        })
        .collect())
}

/// The groups every multi-alert member reports (matched on tag values), each named by its
/// most specific name; in name order.
fn common_sources(members: &BTreeMap<i64, Member>) -> Vec<String> {
    let multi: Vec<&Vec<(String, Status)>> = members
        .values()
        .filter_map(|member| match member {
            Member::Groups(groups) => Some(groups),
            Member::Simple(_) => None,
        })
        .collect();
    let mut sources: BTreeMap<BTreeSet<String>, String> = BTreeMap::new();
    for (name, _) in multi.iter().flat_map(|groups| groups.iter()) {
        let everywhere = multi
            .iter()
            .all(|groups| groups.iter().any(|(other, _)| same_source(name, other)));
        if !everywhere {
            continue;
        }
        // One source may be named `host:a` by one member and `device:x,host:a` by another:
        // keep the most specific name.
        let known = sources
            .iter()
            .find(|(_, existing)| same_source(existing, name))
            .map(|(values, existing)| (values.clone(), existing.clone()));
        match known {
            Some((_, existing)) if tag_values(&existing).len() >= tag_values(name).len() => {}
            Some((values, _)) => {
                sources.remove(&values);
                sources.insert(owned_values(name), name.clone());
            }
            None => {
                sources.insert(owned_values(name), name.clone());
            }
        }
    }
    let mut names: Vec<String> = sources.into_values().collect();
    names.sort();
    names
}

fn owned_values(group: &str) -> BTreeSet<String> {
    tag_values(group).into_iter().map(str::to_owned).collect()
}

fn member_status(members: &BTreeMap<i64, Member>, id: i64, group: Option<&str>) -> Status {
    match (members.get(&id), group) {
        (Some(Member::Simple(status)), _) => *status,
        (Some(Member::Groups(groups)), Some(group)) => groups
            .iter()
            .find(|(name, _)| same_source(name, group))
            .map_or(Status::NoData, |(_, status)| *status),
        _ => Status::NoData,
    }
}

/// Stores a composite's newly computed results, keeping the last known state of any group
/// whose result is No Data while the composite does not notify on No Data. Says whether
/// `overall_state` changed, and which groups moved.
pub(crate) fn store_composite_results(
    composite: &mut Map<String, Value>,
    results: &[(Option<String>, Status)],
    now: i64,
) -> Changed {
    let notify_no_data = composite
        .get("options")
        .and_then(|options| options.get("notify_no_data"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let previous = stored_groups(composite);
    let mut groups = Groups::new();
    let mut transitions = Vec::new();
    for (group, status) in results {
        let name = group.clone().unwrap_or_else(|| SIMPLE_GROUP.to_owned());
        let mut state = previous
            .get(&name)
            .cloned()
            .unwrap_or_else(GroupState::fresh);
        if (*status != Status::NoData || notify_no_data)
            && let Some(from) = state.transition(*status, now)
        {
            transitions.push(Transition {
                group: name.clone(),
                from,
                to: *status,
            });
        }
        groups.insert(name, state);
    }
    store_groups(composite, &groups);
    // No common reporting source: Datadog "cannot compute a status" for it.
    // GUESS (behaviour): the composite keeps its overall state.
    let overall = !groups.is_empty() && set_overall(composite, worst(&groups));
    Changed {
        overall,
        transitions,
    }
}

/// `state` as `GET /api/v1/monitor[/{id}]?group_states=...` shows it: the groups whose status
/// is among `wanted` (lower case; "all" for every group).
/// GUESS (behaviour): the order of the fields, and that a never-evaluated monitor has
/// `{"groups": {}}`.
pub(crate) fn rendered_state(monitor: &Map<String, Value>, wanted: &[String]) -> Value {
    let all = wanted.iter().any(|state| state == "all");
    let groups: Map<String, Value> = stored_groups(monitor)
        .into_iter()
        .filter(|(_, group)| all || wanted.contains(&group.status.to_lowercase()))
        .map(|(name, group)| {
            let rendered = json!({
                "name": name,
                "status": group.status,
                "last_triggered_ts": group.last_triggered_ts,
                "last_notified_ts": group.last_notified_ts,
                "last_resolved_ts": group.last_resolved_ts,
                "last_nodata_ts": group.last_nodata_ts,
            });
            (name, rendered)
        })
        .collect();
    json!({ "groups": groups })
}

/// A composite query as a tree. Unlike the validator (which only needs the ids), evaluation
/// needs precedence: `&&` binds tighter than `||`, as the documentation's `a || b && !c`
/// example reads in any Boolean language.
/// GUESS (behaviour): that Datadog gives `&&` precedence over `||`.
#[derive(Debug, Clone, PartialEq)]
enum Expression {
    Id(i64),
    Not(Box<Expression>),
    And(Box<Expression>, Box<Expression>),
    Or(Box<Expression>, Box<Expression>),
}

impl Expression {
    fn ids(&self, into: &mut Vec<i64>) {
        match self {
            Expression::Id(id) => into.push(*id),
            Expression::Not(inner) => inner.ids(into),
            Expression::And(a, b) | Expression::Or(a, b) => {
                a.ids(into);
                b.ids(into);
            }
        }
    }

    fn status(&self, member: &dyn Fn(i64) -> Status) -> Status {
        match self {
            Expression::Id(id) => member(*id),
            Expression::Not(inner) => match inner.status(member) {
                Status::NoData => Status::NoData,
                Status::Ok => Status::Alert,
                Status::Warn | Status::Alert => Status::Ok,
            },
            Expression::And(a, b) => a.status(member).min(b.status(member)),
            Expression::Or(a, b) => a.status(member).max(b.status(member)),
        }
    }
}

fn parse(query: &str) -> Result<Expression, String> {
    let tokens = tokenize_composite(query)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        depth: 0,
    };
    let expression = parser.or()?;
    if parser.at != tokens.len() {
        return Err("unexpected token in composite query".into());
    }
    Ok(expression)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn or(&mut self) -> Result<Expression, String> {
        let mut left = self.and()?;
        while self.tokens.get(self.at) == Some(&Token::Or) {
            self.at += 1;
            left = Expression::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expression, String> {
        let mut left = self.unary()?;
        while self.tokens.get(self.at) == Some(&Token::And) {
            self.at += 1;
            left = Expression::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expression, String> {
        // Bounded recursion, as in the validator.
        if self.depth > 64 {
            return Err("composite query nested too deeply".into());
        }
        self.depth += 1;
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        let result = match token {
            Some(Token::Id(id)) => Ok(Expression::Id(id)),
            Some(Token::Not) => self.unary().map(|inner| Expression::Not(Box::new(inner))),
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return Err("unbalanced parentheses in composite query".into());
                }
                self.at += 1;
                Ok(inner)
            }
            _ => Err("composite query ends early or has a misplaced operator".into()),
        };
        self.depth -= 1;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn simple(states: &[(i64, Status)]) -> impl Fn(i64) -> Option<Member> + '_ {
        move |id| {
            states
                .iter()
                .find(|(m, _)| *m == id)
                .map(|(_, s)| Member::Simple(*s))
        }
    }

    fn single(query: &str, states: &[(i64, Status)]) -> Status {
        let results = evaluate_composite(query, &simple(states)).expect("parses");
        assert_eq!(results.len(), 1);
        results[0].1
    }

    /// Every row of the documentation's table whose composite status is not "Last known".
    #[test]
    fn the_documented_trigger_table() {
        let rows = [
            (Alert, Warn, "1 && 2", Warn),
            (Alert, Warn, "1 || 2", Alert),
            (Alert, Ok, "1 && 2", Ok),
            (Alert, Ok, "1 || 2", Alert),
            (Warn, Ok, "1 && 2", Ok),
            (Warn, Ok, "1 || 2", Warn),
            (NoData, Warn, "1 && 2", NoData),
            (NoData, Warn, "1 || 2", Warn),
            (NoData, Ok, "1 && 2", Ok),
            (NoData, Ok, "1 || 2", NoData),
            (NoData, NoData, "1 && 2", NoData),
            (NoData, NoData, "1 || 2", NoData),
        ];
        for (a, b, query, expected) in rows {
            assert_eq!(
                single(query, &[(1, a), (2, b)]),
                expected,
                "{a:?} {query} {b:?}"
            );
        }
    }

    #[test]
    fn not_follows_the_documentation() {
        assert_eq!(single("!1", &[(1, NoData)]), NoData);
        assert_eq!(single("!1", &[(1, Warn)]), Ok);
        assert_eq!(single("!1", &[(1, Alert)]), Ok);
        assert_eq!(single("!1", &[(1, Ok)]), Alert);
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let states = [(1, Alert), (2, Ok), (3, Ok)];
        assert_eq!(single("1 || 2 && 3", &states), Alert);
        assert_eq!(single("(1 || 2) && 3", &states), Ok);
    }

    #[test]
    fn a_deleted_member_counts_as_no_data() {
        assert_eq!(single("1 && !2", &[(1, Alert)]), NoData);
    }

    #[test]
    fn multi_alert_members_meet_on_common_tag_values() {
        let member = |id: i64| {
            Some(match id {
                1 => Member::Groups(vec![
                    ("host:web01".into(), Alert),
                    ("host:web04".into(), Alert),
                    ("host:web05".into(), Alert),
                ]),
                2 => Member::Groups(vec![
                    ("service:web04".into(), Ok),
                    ("service:web05".into(), Alert),
                    ("service:web09".into(), Ok),
                ]),
                _ => Member::Simple(Ok),
            })
        };
        let results = evaluate_composite("1 && !2 && !3", &member).expect("parses");
        assert_eq!(
            results,
            vec![
                (Some("host:web04".into()), Alert),
                (Some("host:web05".into()), Ok)
            ]
        );
    }

    #[test]
    fn the_most_specific_name_of_a_source_is_kept() {
        let member = |id: i64| {
            Some(match id {
                1 => Member::Groups(vec![("device:sda,host:web04".into(), Alert)]),
                _ => Member::Groups(vec![("host:web04".into(), Ok)]),
            })
        };
        let results = evaluate_composite("1 && !2", &member).expect("parses");
        assert_eq!(results, vec![(Some("device:sda,host:web04".into()), Alert)]);
    }

    fn composite(notify_no_data: bool) -> Map<String, Value> {
        json!({"type": "composite", "overall_state": "No Data",
               "options": {"notify_no_data": notify_no_data}})
        .as_object()
        .cloned()
        .expect("object")
    }

    #[test]
    fn no_data_keeps_the_last_known_state_unless_the_composite_notifies_on_it() {
        let mut quiet = composite(false);
        assert!(store_composite_results(&mut quiet, &[(None, Alert)], 10).overall);
        assert!(!store_composite_results(&mut quiet, &[(None, NoData)], 20).overall);
        assert_eq!(quiet["overall_state"], "Alert");
        let mut loud = composite(true);
        store_composite_results(&mut loud, &[(None, Alert)], 10);
        store_composite_results(&mut loud, &[(None, NoData)], 20);
        assert_eq!(loud["overall_state"], "No Data");
        assert_eq!(stored_groups(&loud)["*"].last_nodata_ts, 20);
    }

    #[test]
    fn group_timestamps_follow_transitions() {
        let mut monitor = Map::new();
        let changed = set_group(&mut monitor, Some("host:a"), Alert, 100);
        assert!(changed.overall);
        let moved = Transition {
            group: "host:a".into(),
            from: NoData,
            to: Alert,
        };
        assert_eq!(changed.transitions, vec![moved]);
        assert_eq!(
            set_group(&mut monitor, Some("host:a"), Alert, 110),
            Changed::default()
        );
        set_group(&mut monitor, Some("host:b"), Ok, 100);
        set_group(&mut monitor, Some("host:a"), Ok, 160);
        let groups = stored_groups(&monitor);
        assert_eq!(groups["host:a"].last_triggered_ts, 100);
        assert_eq!(groups["host:a"].last_resolved_ts, 160);
        assert_eq!(monitor["overall_state"], "OK");
        let alerting = rendered_state(&monitor, &["alert".into()]);
        assert_eq!(alerting, json!({"groups": {}}));
        let all = rendered_state(&monitor, &["all".into()]);
        assert_eq!(all["groups"]["host:b"]["status"], "OK");
    }
}
