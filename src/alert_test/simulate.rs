//! What pages when given monitors are in given states: the compiled composites evaluated with
//! Datadog's composite semantics.
//!
//! The rules, from Datadog's "Composite Monitor" page (docs.datadoghq.com/monitors/types/composite,
//! "Computing trigger conditions" and "Common reporting sources"):
//! - severity Alert (4) > Warn (3) > No Data (2) > OK (1); all but OK are "alert-worthy";
//! - `A && B` is the least severe of the two, `A || B` the most severe;
//! - `!A` is No Data when A is No Data, OK when A is alert-worthy, Alert when A is OK;
//! - a composite whose result is No Data and that does not set `notify_no_data` keeps its last
//!   known state, so it does not page (we take the last known state to be OK);
//! - multi-alert members are matched on their common groups, by tag *values* only; a simple-alert
//!   member applies to every group.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::graph::{Composite, MonitorGraph};
use crate::query::{CompositeExpr, Operand};

/// A monitor's (or one group's) status, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Ok,
    NoData,
    Warn,
    Alert,
}

impl State {
    pub fn is_alert_worthy(self) -> bool {
        self != State::Ok
    }

    pub fn name(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::NoData => "No Data",
            State::Warn => "Warn",
            State::Alert => "Alert",
        }
    }

    /// Alert and Warn notify; No Data only where the monitor asks for it.
    fn notifies(self, notify_no_data: bool) -> bool {
        match self {
            State::Alert | State::Warn => true,
            State::NoData => notify_no_data,
            State::Ok => false,
        }
    }
}

pub fn and(a: State, b: State) -> State {
    a.min(b)
}

pub fn or(a: State, b: State) -> State {
    a.max(b)
}

pub fn not(a: State) -> State {
    match a {
        State::NoData => State::NoData,
        State::Ok => State::Alert,
        State::Warn | State::Alert => State::Ok,
    }
}

/// Evaluates a composite expression whose operands are monitor IDs.
pub fn evaluate(expr: &CompositeExpr, state_of: &dyn Fn(u64) -> State) -> State {
    match expr {
        CompositeExpr::Operand {
            operand: Operand::Id(id),
            ..
        } => state_of(*id),
        // monc's own composites are rendered with IDs before evaluation; a symbolic reference
        // has no state of its own.
        CompositeExpr::Operand { .. } => State::Ok,
        CompositeExpr::Not(inner) => not(evaluate(inner, state_of)),
        CompositeExpr::And(a, b) => and(evaluate(a, state_of), evaluate(b, state_of)),
        CompositeExpr::Or(a, b) => or(evaluate(a, state_of), evaluate(b, state_of)),
    }
}

/// The state of one monitor in a scenario: one status (a simple alert, or every group alike),
/// or a status per group of a multi-alert monitor.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Simple(State),
    Groups(Vec<(String, State)>),
}

impl Default for Status {
    fn default() -> Self {
        Status::Simple(State::Ok)
    }
}

/// The tag values of a group name: `resource_name:/login,host:a` → {`/login`, `a`}. Datadog
/// matches groups of different monitors on values alone.
pub fn group_values(group: &str) -> BTreeSet<&str> {
    group
        .split(',')
        .map(|tag| tag.trim())
        .map(|tag| tag.split_once(':').map_or(tag, |(_, value)| value))
        .collect()
}

/// Groups match when one's tag values contain the other's (`device,host` combines with `host`).
fn groups_match(a: &str, b: &str) -> bool {
    let (a, b) = (group_values(a), group_values(b));
    a.is_subset(&b) || b.is_subset(&a)
}

/// The composite's state per common group (`None` when every member is a simple alert).
pub fn evaluate_grouped(
    expr: &CompositeExpr,
    status_of: &dyn Fn(u64) -> Status,
) -> Vec<(Option<String>, State)> {
    let members: Vec<(u64, Status)> = member_ids(expr)
        .into_iter()
        .map(|id| (id, status_of(id)))
        .collect();
    let multi: Vec<&(u64, Status)> = members
        .iter()
        .filter(|(_, s)| matches!(s, Status::Groups(_)))
        .collect();
    if multi.is_empty() {
        let state = |id: u64| simple_state(&members, id);
        return vec![(None, evaluate(expr, &state))];
    }
    common_groups(&multi)
        .into_iter()
        .map(|group| {
            let state = |id: u64| state_in_group(&members, id, &group);
            let result = evaluate(expr, &state);
            (Some(group), result)
        })
        .collect()
}

fn member_ids(expr: &CompositeExpr) -> Vec<u64> {
    let mut ids: Vec<u64> = expr
        .operands()
        .into_iter()
        .filter_map(|(operand, _)| match operand {
            Operand::Id(id) => Some(*id),
            Operand::Ref { .. } | Operand::Key(_) => None,
        })
        .collect();
    ids.dedup();
    ids
}

fn simple_state(members: &[(u64, Status)], id: u64) -> State {
    match members.iter().find(|(m, _)| *m == id) {
        Some((_, Status::Simple(state))) => *state,
        _ => State::Ok,
    }
}

fn state_in_group(members: &[(u64, Status)], id: u64, group: &str) -> State {
    match members.iter().find(|(m, _)| *m == id) {
        Some((_, Status::Simple(state))) => *state,
        Some((_, Status::Groups(groups))) => groups
            .iter()
            .find(|(g, _)| groups_match(g, group))
            .map_or(State::Ok, |(_, s)| *s),
        None => State::Ok,
    }
}

/// The groups every multi-alert member reports, named as the most specific member names them.
fn common_groups(multi: &[&(u64, Status)]) -> Vec<String> {
    let groups_of = |status: &Status| match status {
        Status::Groups(groups) => groups.iter().map(|(g, _)| g.clone()).collect(),
        Status::Simple(_) => Vec::new(),
    };
    let finest = multi
        .iter()
        .max_by_key(|(_, s)| groups_of(s).iter().map(|g| group_values(g).len()).max())
        .map(|(_, s)| groups_of(s))
        .unwrap_or_default();
    finest
        .into_iter()
        .filter(|g| {
            multi
                .iter()
                .all(|(_, s)| groups_of(s).iter().any(|h| groups_match(g, h)))
        })
        .collect()
}

/// A notification that fires: which monitor sends it, for which group, to whom.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Page {
    /// The key of the monitor that notifies: a composite's key, or an unsuppressed monitor's.
    pub key: String,
    pub group: Option<String>,
    pub state: State,
    pub notify: Vec<String>,
}

/// A composite that evaluates to No Data and therefore stays silent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Silent {
    pub key: String,
    pub group: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub pages: Vec<Page>,
    /// Composites in No Data that do not notify on it: a real alert they would have sent is lost.
    pub no_data: Vec<Silent>,
}

/// Everything that pages when the monitors are in `statuses` (indices into the graph's
/// monitors; a monitor not listed is OK).
pub fn simulate(graph: &MonitorGraph, statuses: &HashMap<usize, Status>) -> Outcome {
    simulate_with(graph, statuses, true)
}

/// What would page if nothing were suppressed: every composite evaluated with the monitors it
/// negates OK (a generated composite then pages exactly when its target alerts).
pub fn simulate_unsuppressed(graph: &MonitorGraph, statuses: &HashMap<usize, Status>) -> Outcome {
    simulate_with(graph, statuses, false)
}

fn simulate_with(
    graph: &MonitorGraph,
    statuses: &HashMap<usize, Status>,
    suppression: bool,
) -> Outcome {
    let mut outcome = Outcome::default();
    for index in 0..graph.monitors.len() {
        add_outcome_of(graph, statuses, index, suppression, &mut outcome);
    }
    outcome.pages.sort();
    outcome.no_data.sort();
    outcome
}

/// What monitor `index` (through its composite, if it has one) sends in these states, with or
/// without suppression: nothing for a member of a page, which notifies only through the page.
/// `simulate` is this for every monitor; `monc review` replays history with it, one changed
/// monitor at a time.
pub fn outcome_of(
    graph: &MonitorGraph,
    statuses: &HashMap<usize, Status>,
    index: usize,
    suppression: bool,
) -> Outcome {
    let mut outcome = Outcome::default();
    add_outcome_of(graph, statuses, index, suppression, &mut outcome);
    outcome
}

fn add_outcome_of(
    graph: &MonitorGraph,
    statuses: &HashMap<usize, Status>,
    index: usize,
    suppression: bool,
    outcome: &mut Outcome,
) {
    let Some(Alerting { key, results }) = alerting(graph, statuses, index, suppression) else {
        return;
    };
    let monitor = &graph.monitors[index];
    let notify_no_data = notifies_on_no_data(monitor);
    let is_composite = graph.composite_for(index).is_some() || monitor.composite.is_some();
    let handles = monitor.pages();
    for (group, state) in results {
        // A monitor without handles notifies nobody: its alert is no page.
        if state.notifies(notify_no_data) && !handles.is_empty() {
            outcome.pages.push(Page {
                key: key.clone(),
                group,
                state,
                notify: handles.clone(),
            });
        } else if state == State::NoData && is_composite {
            outcome.no_data.push(Silent {
                key: key.clone(),
                group,
            });
        }
    }
}

/// The monitor that notifies for monitor `index` (its composite, or itself) and its state per
/// group; `None` for a member of a page, which notifies only through the page.
pub struct Alerting {
    pub key: String,
    pub results: Vec<(Option<String>, State)>,
}

/// Whether the monitor that notifies for `index` would notify in these states, handles or not:
/// Alert or Warn, or No Data where it asks for it.
pub fn would_notify(graph: &MonitorGraph, statuses: &HashMap<usize, Status>, index: usize) -> bool {
    let notify_no_data = notifies_on_no_data(&graph.monitors[index]);
    alerting(graph, statuses, index, true).is_some_and(|a| {
        a.results
            .iter()
            .any(|(_, state)| state.notifies(notify_no_data))
    })
}

fn notifies_on_no_data(monitor: &crate::compile::CompiledMonitor) -> bool {
    monitor
        .body
        .options
        .get("notify_no_data")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

fn alerting(
    graph: &MonitorGraph,
    statuses: &HashMap<usize, Status>,
    index: usize,
    suppression: bool,
) -> Option<Alerting> {
    if graph.page_for(index).is_some() {
        return None;
    }
    let status_of = |i: usize| statuses.get(&i).cloned().unwrap_or_default();
    let monitor = &graph.monitors[index];
    let (key, results) = match (graph.composite_for(index), &monitor.composite) {
        (Some(composite), _) if suppression => (
            composite.key.clone(),
            composite_results(composite, &status_of),
        ),
        (Some(composite), _) => (composite.key.clone(), monitor_results(status_of(index))),
        // A composite the user wrote takes its state from its members, like any composite.
        (None, Some(expr)) => {
            let negated = only_negated(graph, expr);
            let member = |i: usize| match suppression || !negated.contains(&i) {
                true => status_of(i),
                false => Status::Simple(State::Ok),
            };
            (
                monitor.key.clone(),
                user_composite_results(graph, expr, &member),
            )
        }
        (None, None) => (monitor.key.clone(), monitor_results(status_of(index))),
    };
    Some(Alerting {
        key: key.into(),
        results,
    })
}

/// The members a composite names only under `!`: the monitors that suppress it.
fn only_negated(graph: &MonitorGraph, expr: &CompositeExpr) -> BTreeSet<usize> {
    composite_members(graph, expr).1
}

/// A user composite's members (monitors of the configuration): those it alerts on, and those
/// it names only under `!` (its suppressors).
pub(crate) fn composite_members(
    graph: &MonitorGraph,
    expr: &CompositeExpr,
) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let operands = expr.operands_with_polarity();
    let index = |operand: &Operand| match operand {
        Operand::Key(key) => graph.index_of(key),
        _ => None,
    };
    let members = |wanted: bool| -> BTreeSet<usize> {
        operands
            .iter()
            .filter(|(_, positive)| *positive == wanted)
            .filter_map(|(operand, _)| index(operand))
            .collect()
    };
    let positive = members(true);
    let negated = members(false).difference(&positive).copied().collect();
    (positive, negated)
}

/// A user-written composite over monitor keys, each member standing as an ID equal to its
/// index; numeric IDs of monitors outside the configuration stand past the last index, so
/// they are OK in every scenario.
fn user_composite_results(
    graph: &MonitorGraph,
    expr: &CompositeExpr,
    status_of: &dyn Fn(usize) -> Status,
) -> Vec<(Option<String>, State)> {
    let outside = graph.monitors.len() as u64;
    let expr = expr.map_operands(&|operand| match operand {
        Operand::Key(key) => Operand::Id(graph.index_of(key).map_or(outside, |i| i as u64)),
        Operand::Id(id) => Operand::Id(outside.saturating_add(*id)),
        Operand::Ref { .. } => Operand::Id(outside),
    });
    evaluate_grouped(&expr, &|id| status_of(id as usize))
}

/// Evaluates the composite as compiled, each monitor standing as an ID equal to its index.
fn composite_results(
    composite: &Composite,
    status_of: &dyn Fn(usize) -> Status,
) -> Vec<(Option<String>, State)> {
    let expr = composite.expr(|index| Operand::Id(index as u64));
    evaluate_grouped(&expr, &|id| status_of(id as usize))
}

fn monitor_results(status: Status) -> Vec<(Option<String>, State)> {
    match status {
        Status::Simple(state) => vec![(None, state)],
        Status::Groups(groups) => groups.into_iter().map(|(g, s)| (Some(g), s)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse_composite_query;
    use State::*;

    const ALL: [State; 4] = [Ok, NoData, Warn, Alert];

    #[test]
    fn not_follows_datadog() {
        assert_eq!(not(Ok), Alert);
        assert_eq!(not(Warn), Ok);
        assert_eq!(not(Alert), Ok);
        assert_eq!(not(NoData), NoData);
    }

    /// The table in Datadog's "Computing trigger conditions" (composite status column).
    #[test]
    fn and_or_match_the_documented_table() {
        assert_eq!(and(Alert, Warn), Warn);
        assert_eq!(or(Alert, Warn), Alert);
        assert_eq!(and(Alert, Ok), Ok);
        assert_eq!(or(Alert, Ok), Alert);
        assert_eq!(and(Warn, Ok), Ok);
        assert_eq!(or(Warn, Ok), Warn);
        assert_eq!(and(NoData, Warn), NoData);
        assert_eq!(or(NoData, Warn), Warn);
        assert_eq!(and(NoData, Ok), Ok);
        assert_eq!(or(NoData, Ok), NoData);
        assert_eq!(and(NoData, NoData), NoData);
        assert_eq!(or(NoData, NoData), NoData);
    }

    #[test]
    fn and_or_are_commutative_and_alert_worthy_exactly_like_booleans() {
        for a in ALL {
            for b in ALL {
                assert_eq!(and(a, b), and(b, a));
                assert_eq!(or(a, b), or(b, a));
                let (x, y) = (a.is_alert_worthy(), b.is_alert_worthy());
                assert_eq!(and(a, b).is_alert_worthy(), x && y, "{a:?} && {b:?}");
                assert_eq!(or(a, b).is_alert_worthy(), x || y, "{a:?} || {b:?}");
            }
        }
    }

    fn suppression(target: State, suppressor: State) -> State {
        let expr = parse_composite_query("1 && !2").expect("parses");
        evaluate(&expr, &|id| if id == 1 { target } else { suppressor })
    }

    /// `A && !B`, the shape of every monc composite, over every pair of states.
    #[test]
    fn suppression_truth_table() {
        let expected = [
            // (A, B, A && !B)
            (Alert, Ok, Alert),
            (Alert, Warn, Ok),
            (Alert, Alert, Ok),
            (Alert, NoData, NoData),
            (Warn, Ok, Warn),
            (Warn, Alert, Ok),
            (Warn, NoData, NoData),
            (Ok, Ok, Ok),
            (Ok, Alert, Ok),
            (Ok, NoData, Ok),
            (NoData, Ok, NoData),
            (NoData, Alert, Ok),
            (NoData, NoData, NoData),
        ];
        for (a, b, result) in expected {
            assert_eq!(suppression(a, b), result, "{a:?} && !{b:?}");
        }
    }

    #[test]
    fn groups_match_on_tag_values_only() {
        assert!(groups_match("host:web04", "service:web04"));
        assert!(groups_match("device:sda,host:web04", "host:web04"));
        assert!(!groups_match("host:web04", "host:web05"));
    }

    #[test]
    fn a_simple_suppressor_applies_to_every_group_of_a_multi_alert_target() {
        let expr = parse_composite_query("1 && !2").expect("parses");
        let groups = Status::Groups(vec![
            ("resource_name:/login".into(), Alert),
            ("resource_name:/checkout".into(), Ok),
        ]);
        let quiet = evaluate_grouped(&expr, &|id| {
            if id == 1 {
                groups.clone()
            } else {
                Status::Simple(Ok)
            }
        });
        assert_eq!(
            quiet,
            vec![
                (Some("resource_name:/login".into()), Alert),
                (Some("resource_name:/checkout".into()), Ok)
            ]
        );
        let silenced = evaluate_grouped(&expr, &|id| {
            if id == 1 {
                groups.clone()
            } else {
                Status::Simple(Alert)
            }
        });
        assert!(silenced.iter().all(|(_, s)| *s == Ok));
    }

    #[test]
    fn only_common_groups_are_evaluated() {
        let expr = parse_composite_query("1 && 2").expect("parses");
        let status = |id: u64| {
            let hosts: &[&str] = if id == 1 {
                &["host:web01", "host:web04"]
            } else {
                &["host:web04", "host:web09"]
            };
            Status::Groups(hosts.iter().map(|h| (h.to_string(), Alert)).collect())
        };
        assert_eq!(
            evaluate_grouped(&expr, &status),
            vec![(Some("host:web04".into()), Alert)]
        );
    }
}
