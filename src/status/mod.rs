//! `monc status`: the live incident view. What is alerting now, which composites page, and for
//! every suppressed alert which shared monitor (and group) suppresses it right now.
//!
//! The org's states are Datadog's: each monitor's `overall_state` and its groups' states
//! (`state.groups`, listed with `group_states=all`). Whether a composite pages is read from the
//! composite itself; why one does not is explained from its members' states with Datadog's
//! composite semantics ([`crate::alert_test::simulate`]): a suppressor in Alert or Warn
//! suppresses, a suppressor in No Data leaves the composite No Data, which keeps its last
//! known state and cannot page (a No Data suppressor silences its targets).

mod set_state;

pub use set_state::SetState;

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Checked;
use crate::alert_test::simulate::{State, group_values};
use crate::datadog::{ApiError, Client, Monitor};
use crate::plan::live::live_from_wire;
use crate::plan::{Action, LiveMonitor, Ownership, Plan};

/// Everything `monc status` shows; `--format json` prints it as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The one line to read first.
    pub headline: String,
    /// Whether anything pages right now (exit code 3).
    pub paging: bool,
    /// The tenant the view is limited to (`--tenant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Every monitor of the view, lowest tier first, in configuration order within a tier.
    pub monitors: Vec<MonitorStatus>,
    /// Every notification firing now.
    pub pages: Vec<PageNow>,
}

/// One monitor of the configuration and its live state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorStatus {
    pub key: String,
    pub tier: String,
    /// "Alert", "Warn", "No Data", "OK" (or another state the API names); "Missing" when the
    /// monitor is not in the org.
    pub state: String,
    /// Muted by a downtime: it notifies nobody, whatever its state.
    #[serde(default)]
    pub muted: bool,
    /// Groups not OK (a multi-alert monitor's alerting groups).
    #[serde(default)]
    pub groups: Vec<GroupStatus>,
    /// The closest monitor that suppresses this one (the tree's parent).
    #[serde(default)]
    pub parent: Option<String>,
    /// Config and org disagree: "missing in the org", "edited outside monc", ...
    #[serde(default)]
    pub marks: Vec<String>,
    /// For a monitor that pages through a composite: what its composite does now.
    #[serde(default)]
    pub verdict: Option<Verdict>,
    /// Why it does not page: the suppressors alerting (or in No Data) now, per group.
    #[serde(default)]
    pub suppressed_by: Vec<Suppression>,
    /// How many monitors' composites name it as a suppressor.
    #[serde(default)]
    pub suppresses: usize,
    /// For a suppressor in No Data: the monitors whose composites it keeps from paging.
    #[serde(default)]
    pub silencing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStatus {
    pub name: String,
    pub state: String,
}

/// What a suppressed monitor's composite does right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The monitor is not alerting.
    Quiet,
    /// It alerts and its composite pages.
    Paging,
    /// It alerts; a suppressor in Alert or Warn keeps its composite quiet.
    Suppressed,
    /// A suppressor in No Data keeps its composite in No Data: it cannot page.
    SilencedByNoData,
    /// It alerts, but its composite is not in the org: nobody is paged.
    CompositeMissing,
}

/// `by` (in `by_group`, for a multi-alert suppressor) is `state`, which silences the target's
/// `group` (`None`: the whole monitor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    pub group: Option<String>,
    pub by: String,
    pub by_group: Option<String>,
    pub state: String,
}

/// A notification firing now: the monitor that sends it (a composite's key or a raw
/// monitor's), the group, its state, and whom it notifies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageNow {
    pub key: String,
    pub group: Option<String>,
    pub state: String,
    pub notify: Vec<String>,
}

/// A live monitor's state as read from the org.
#[derive(Debug, Clone, Default)]
struct Live {
    overall: String,
    /// Named groups; empty for a simple alert (whose one group is `*`).
    groups: Vec<(String, String)>,
    muted: bool,
    notify_no_data: bool,
}

impl Live {
    fn from_wire(monitor: &Monitor) -> Live {
        let groups = monitor
            .extra
            .get("state")
            .and_then(|state| state.get("groups"))
            .and_then(Value::as_object)
            .map(|groups| {
                groups
                    .iter()
                    .filter(|(name, _)| name.as_str() != "*")
                    .map(|(name, group)| {
                        let status = group.get("status").and_then(Value::as_str);
                        (name.clone(), status.unwrap_or("No Data").to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let muted = monitor
            .body
            .options
            .get("silenced")
            .and_then(Value::as_object)
            .is_some_and(|silenced| !silenced.is_empty());
        Live {
            overall: monitor
                .overall_state
                .clone()
                .unwrap_or_else(|| "No Data".into()),
            groups,
            muted,
            notify_no_data: notify_no_data(&monitor.body.options),
        }
    }

    /// The state in `group` (`None`: the whole monitor). A group this monitor does not
    /// report is OK, as in `monc test`.
    fn in_group(&self, group: Option<&str>) -> (State, Option<String>) {
        match group {
            Some(group) if !self.groups.is_empty() => self
                .groups
                .iter()
                .find(|(name, _)| same_source(name, group))
                .map_or((State::Ok, None), |(name, status)| {
                    (state_of(status), Some(name.clone()))
                }),
            _ => (state_of(&self.overall), None),
        }
    }

    /// The groups that are alerting (Alert or Warn), or `[None]` for a simple monitor that is.
    fn alerting_groups(&self) -> Vec<Option<String>> {
        if self.groups.is_empty() {
            return if alerting(state_of(&self.overall)) {
                vec![None]
            } else {
                Vec::new()
            };
        }
        self.groups
            .iter()
            .filter(|(_, status)| alerting(state_of(status)))
            .map(|(name, _)| Some(name.clone()))
            .collect()
    }

    /// Whether it notifies now: Alert or Warn, or No Data where it asks for that; never muted.
    fn notifies(&self, state: State) -> bool {
        !self.muted
            && match state {
                State::Alert | State::Warn => true,
                State::NoData => self.notify_no_data,
                State::Ok => false,
            }
    }
}

fn notify_no_data(options: &serde_json::Map<String, Value>) -> bool {
    options
        .get("notify_no_data")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The API's state names; anything else (Ignored, Skipped, Unknown) counts as No Data.
fn state_of(text: &str) -> State {
    match text {
        "Alert" => State::Alert,
        "Warn" => State::Warn,
        "OK" => State::Ok,
        _ => State::NoData,
    }
}

fn alerting(state: State) -> bool {
    matches!(state, State::Alert | State::Warn)
}

fn same_source(a: &str, b: &str) -> bool {
    let (a, b) = (group_values(a), group_values(b));
    a.is_subset(&b) || b.is_subset(&a)
}

/// Reads the org as `diff` does (one paginated listing filtered by the ownership tag), with
/// every monitor's group states, and reports on it.
pub async fn read(
    client: &Client,
    checked: &Checked,
    tenant: Option<&str>,
) -> Result<StatusReport, ApiError> {
    let ownership = Ownership::of(&checked.model.project);
    let wire = client
        .list_monitors_with_states(std::slice::from_ref(&ownership.owner_tag))
        .await?;
    let live: Vec<LiveMonitor> = wire.iter().filter_map(live_from_wire).collect();
    let plan = crate::plan::plan(checked.emitted(), &live, &ownership);
    Ok(report(checked, &wire, &plan, tenant))
}

/// The ids of the owned monitors by key, and whether each is a composite (for `--set`).
pub async fn ids_by_key(
    client: &Client,
    checked: &Checked,
) -> Result<HashMap<String, (i64, bool)>, ApiError> {
    let ownership = Ownership::of(&checked.model.project);
    let key_tag = format!("{}:", ownership.key_tag);
    let wire = client
        .list_monitors(std::slice::from_ref(&ownership.owner_tag))
        .await?;
    Ok(wire
        .iter()
        .filter(|m| ownership.owns(&m.body.tags))
        .filter_map(|m| {
            let key = m.body.tags.iter().find_map(|t| t.strip_prefix(&key_tag))?;
            let composite = crate::model::is_composite(&m.body.monitor_type);
            Some((key.to_owned(), (m.id?, composite)))
        })
        .collect())
}

/// Builds the report from the checked config, the owned monitors as listed with their group
/// states, and the plan between them (for the missing and drifted marks). `tenant` limits
/// the view to one tenant's monitors and the shared monitors that suppress them.
pub fn report(
    checked: &Checked,
    wire: &[Monitor],
    plan: &Plan,
    tenant: Option<&str>,
) -> StatusReport {
    let key_tag = format!("{}:", checked.model.project.key_tag);
    let live: HashMap<&str, Live> = wire
        .iter()
        .filter_map(|monitor| {
            let key = monitor
                .body
                .tags
                .iter()
                .find_map(|t| t.strip_prefix(&key_tag))?;
            Some((key, Live::from_wire(monitor)))
        })
        .collect();
    let view = Viewer {
        checked,
        live,
        marks: marks(plan),
        silences: silences(&checked.graph),
    };
    let shown = view.shown(tenant);
    let mut monitors: Vec<MonitorStatus> = shown.iter().map(|&i| view.monitor(i)).collect();
    monitors.sort_by_key(|m| view.tier_rank(&m.tier));
    let pages = view.pages(&shown);
    StatusReport {
        headline: headline(&monitors, &pages),
        paging: !pages.is_empty(),
        tenant: tenant.map(String::from),
        monitors,
        pages,
    }
}

/// Marks per key from the plan: what differs between config and org.
fn marks(plan: &Plan) -> HashMap<String, Vec<String>> {
    let mut marks: HashMap<String, Vec<String>> = HashMap::new();
    for change in &plan.changes {
        let mark = match (change.drift, change.action) {
            (Some(drift), _) => drift.describe().to_owned(),
            (None, Action::Create) => "missing in the org (run `monc sync`)".to_owned(),
            (None, Action::Update) => "differs from the config (run `monc diff`)".to_owned(),
            _ => continue,
        };
        marks.entry(change.key.to_string()).or_default().push(mark);
    }
    marks
}

struct Viewer<'a> {
    checked: &'a Checked,
    live: HashMap<&'a str, Live>,
    marks: HashMap<String, Vec<String>>,
    /// By suppressor: the monitors whose composite (or page) it silences.
    silences: HashMap<usize, Vec<usize>>,
}

/// By suppressor: the monitors it keeps from paging. A page's `!s` silences every member,
/// whichever of them `s` was written against.
fn silences(graph: &crate::graph::MonitorGraph) -> HashMap<usize, Vec<usize>> {
    let mut silences: HashMap<usize, Vec<usize>> = HashMap::new();
    for composite in &graph.composites {
        for &s in &composite.suppressors {
            silences.entry(s).or_default().push(composite.target);
        }
    }
    for (_, parts) in graph.page_parts() {
        for &s in &parts.suppressors {
            silences.entry(s).or_default().extend(&parts.members);
        }
    }
    silences
}

impl Viewer<'_> {
    fn tier_rank(&self, tier: &str) -> usize {
        let tiers = &self.checked.model.project.tiers;
        tiers.iter().position(|t| t == tier).unwrap_or(tiers.len())
    }

    /// Indices of the monitors in view: all, or one tenant's and their suppressors.
    fn shown(&self, tenant: Option<&str>) -> Vec<usize> {
        let graph = &self.checked.graph;
        let Some(tenant) = tenant else {
            return (0..graph.monitors.len()).collect();
        };
        let tenants = &self.checked.model.tenants;
        match tenants.iter().position(|t| t.name.value == tenant) {
            Some(t) => graph.tenant_slice(t).into_iter().collect(),
            None => Vec::new(),
        }
    }

    fn monitor(&self, index: usize) -> MonitorStatus {
        let graph = &self.checked.graph;
        let compiled = &graph.monitors[index];
        let tier = self.checked.model.project.tiers[compiled.tier].clone();
        let mut marks = self
            .marks
            .get(compiled.key.as_str())
            .cloned()
            .unwrap_or_default();
        let mut status = MonitorStatus {
            key: compiled.key.to_string(),
            tier,
            state: "Missing".into(),
            muted: false,
            groups: Vec::new(),
            parent: self.parent(index),
            marks: Vec::new(),
            verdict: None,
            suppressed_by: Vec::new(),
            suppresses: self.silenced_by(index).count(),
            silencing: Vec::new(),
        };
        if let Some(composite) = graph.composite_for(index)
            && let Some(composite_marks) = self.marks.get(composite.key.as_str())
        {
            marks.extend(composite_marks.iter().map(|m| format!("composite {m}")));
        }
        status.marks = marks;
        let Some(live) = self.live.get(compiled.key.as_str()) else {
            return status;
        };
        status.state = live.overall.clone();
        status.muted = live.muted;
        status.groups = live
            .groups
            .iter()
            .filter(|(_, state)| state != "OK")
            .map(|(name, state)| GroupStatus {
                name: name.clone(),
                state: state.clone(),
            })
            .collect();
        if self.pager(index).is_some() {
            let (verdict, reasons) = self.verdict(index, live);
            status.verdict = Some(verdict);
            status.suppressed_by = reasons;
        }
        if state_of(&live.overall) == State::NoData {
            status.silencing = self.silenced_by(index).map(String::from).collect();
            status.silencing.sort();
        }
        status
    }

    /// The direct suppressor of the highest tier (the first written, among equals); for a
    /// `page`, the highest of the monitors that silence it.
    fn parent(&self, index: usize) -> Option<String> {
        let graph = &self.checked.graph;
        let mut direct: Vec<usize> = match graph.page_parts_of(index) {
            Some(parts) => parts.suppressors.clone(),
            None => graph.direct_suppressors(index).collect(),
        };
        direct.sort_by_key(|&s| {
            let declared = graph.monitors[index]
                .suppressed_by
                .iter()
                .position(|r| r.key == graph.monitors[s].key);
            (std::cmp::Reverse(graph.monitors[s].tier), declared)
        });
        direct.first().map(|&s| graph.monitors[s].key.to_string())
    }

    /// Keys of the monitors whose composites (generated, or a page they are members of) name
    /// `index` as a suppressor.
    fn silenced_by(&self, index: usize) -> impl Iterator<Item = &str> {
        let targets = self.silences.get(&index).map_or(&[][..], Vec::as_slice);
        targets
            .iter()
            .map(|&t| self.checked.graph.monitors[t].key.as_str())
    }

    /// What the composite of alerting monitor `index` does, and why, per alerting group.
    fn verdict(&self, index: usize, live: &Live) -> (Verdict, Vec<Suppression>) {
        let graph = &self.checked.graph;
        let Some((pager, suppressors)) = self.pager(index) else {
            return (Verdict::Quiet, Vec::new());
        };
        let groups = live.alerting_groups();
        if groups.is_empty() {
            return (Verdict::Quiet, Vec::new());
        }
        let Some(composite_live) = self.live.get(pager) else {
            return (Verdict::CompositeMissing, Vec::new());
        };
        let mut reasons = Vec::new();
        let mut paging = false;
        for group in &groups {
            let (state, _) = composite_live.in_group(group.as_deref());
            if composite_live.notifies(state) {
                paging = true;
                continue;
            }
            for &suppressor in &suppressors {
                let key = &graph.monitors[suppressor].key;
                let Some(suppressor_live) = self.live.get(key.as_str()) else {
                    continue;
                };
                let (state, by_group) = suppressor_live.in_group(group.as_deref());
                if state != State::Ok {
                    reasons.push(Suppression {
                        group: group.clone(),
                        by: key.to_string(),
                        by_group,
                        state: state.name().to_owned(),
                    });
                }
            }
        }
        let verdict = if paging {
            Verdict::Paging
        } else if reasons.iter().any(|r| r.state != State::NoData.name()) {
            Verdict::Suppressed
        } else if !reasons.is_empty() {
            Verdict::SilencedByNoData
        } else {
            // Alerting, yet its composite is quiet with every suppressor OK: the composite has
            // not been evaluated since (Datadog evaluates it on its own schedule).
            Verdict::Quiet
        };
        (verdict, reasons)
    }

    /// The key of the composite that pages for monitor `index` (generated, or a `page` it is
    /// a member of) and the monitors that silence it.
    fn pager(&self, index: usize) -> Option<(&str, Vec<usize>)> {
        let graph = &self.checked.graph;
        if let Some(composite) = graph.composite_for(index) {
            return Some((composite.key.as_str(), composite.suppressors.clone()));
        }
        let page = graph.page_index_for(index)?;
        let suppressors = graph.page_parts_of(page)?.suppressors.clone();
        Some((graph.monitors[page].key.as_str(), suppressors))
    }

    /// Every notification firing now among the monitors in view. A member of a page notifies
    /// only through it, and a monitor without handles notifies nobody.
    fn pages(&self, shown: &[usize]) -> Vec<PageNow> {
        let graph = &self.checked.graph;
        let mut pages = Vec::new();
        for &index in shown {
            let compiled = &graph.monitors[index];
            let handles = compiled.pages();
            if graph.page_for(index).is_some() || handles.is_empty() {
                continue;
            }
            let key = match graph.composite_for(index) {
                Some(composite) => &composite.key,
                None => &compiled.key,
            };
            let Some(live) = self.live.get(key.as_str()) else {
                continue;
            };
            let groups: Vec<Option<String>> = if live.groups.is_empty() {
                vec![None]
            } else {
                live.groups.iter().map(|(g, _)| Some(g.clone())).collect()
            };
            for group in groups {
                let (state, _) = live.in_group(group.as_deref());
                if live.notifies(state) {
                    pages.push(PageNow {
                        key: key.to_string(),
                        group,
                        state: state.name().to_owned(),
                        notify: handles.clone(),
                    });
                }
            }
        }
        pages
    }
}

/// The one line a person reads first.
fn headline(monitors: &[MonitorStatus], pages: &[PageNow]) -> String {
    // Shared monitors alerting in their own right (not themselves suppressed): the likely cause.
    let alerting_suppressors: Vec<&MonitorStatus> = monitors
        .iter()
        .filter(|m| alerting(state_of(&m.state)) && m.suppresses > 0)
        .filter(|m| m.verdict != Some(Verdict::Suppressed))
        .collect();
    // What still pages beneath them: alerts their suppression does not cover.
    let paging_keys: Vec<&str> = monitors
        .iter()
        .filter(|m| m.verdict == Some(Verdict::Paging))
        .filter(|m| !alerting_suppressors.iter().any(|s| s.key == m.key))
        .map(|m| m.key.as_str())
        .collect();
    if let Some(first) = alerting_suppressors.first() {
        // The headline says what the tree shows: a suppressor whose own composite pages is
        // paging, and counted as such.
        let suppressors_paging = alerting_suppressors
            .iter()
            .filter(|m| m.verdict == Some(Verdict::Paging))
            .count();
        let who = match (alerting_suppressors.len(), suppressors_paging) {
            (1, 1) => format!("{} {} is alerting and paging", first.tier, first.key),
            (1, _) => format!("{} {} is alerting", first.tier, first.key),
            (n, 0) => format!(
                "{} {} and {} more shared monitor(s) are alerting",
                first.tier,
                first.key,
                n - 1
            ),
            (n, paging) => format!(
                "{} {} and {} more shared monitor(s) are alerting, {paging} of them paging",
                first.tier,
                first.key,
                n - 1
            ),
        };
        let suppressed = monitors
            .iter()
            .filter(|m| m.verdict == Some(Verdict::Suppressed))
            .count();
        let noun = if alerting_suppressors.len() == 1 {
            "this suppressor"
        } else {
            "these suppressors"
        };
        let (none, some) = if suppressors_paging > 0 {
            ("nothing else paging", "more paging")
        } else {
            ("none paging", "paging")
        };
        let paging = match paging_keys.len() {
            0 => none.to_owned(),
            n => format!(
                "{n} {some} ({}, not covered by {noun})",
                list_some(&paging_keys)
            ),
        };
        return format!("{who}: {suppressed} alert(s) suppressed, {paging}");
    }
    let silencers: Vec<&MonitorStatus> = monitors
        .iter()
        .filter(|m| !m.silencing.is_empty())
        .collect();
    let mut page_keys: Vec<&str> = Vec::new();
    for page in pages {
        if !page_keys.contains(&page.key.as_str()) {
            page_keys.push(&page.key);
        }
    }
    let paging = match page_keys.len() {
        0 => "nothing paging".to_owned(),
        n => format!("{n} paging ({})", list_some(&page_keys)),
    };
    if let Some(first) = silencers.first() {
        let silenced: BTreeSet<&str> = silencers
            .iter()
            .flat_map(|m| m.silencing.iter().map(String::as_str))
            .collect();
        return format!(
            "{} {} is No Data{}: {} alert(s) beneath cannot page until it reports; {paging}",
            first.tier,
            first.key,
            match silencers.len() {
                1 => String::new(),
                n => format!(" (and {} more suppressor(s))", n - 1),
            },
            silenced.len()
        );
    }
    if !pages.is_empty() {
        return paging[..1].to_uppercase() + &paging[1..];
    }
    let missing = monitors.iter().filter(|m| m.state == "Missing").count();
    if missing > 0 {
        return format!("Nothing paging; {missing} monitor(s) are missing in the org");
    }
    format!("All clear: nothing paging ({} monitors)", monitors.len())
}

/// `a, b, c` or `a, b, c and 4 more`.
fn list_some(keys: &[&str]) -> String {
    const SHOWN: usize = 3;
    let head = keys[..keys.len().min(SHOWN)].join(", ");
    match keys.len().saturating_sub(SHOWN) {
        0 => head,
        more => format!("{head} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_short() {
        assert_eq!(list_some(&["a", "b"]), "a, b");
        assert_eq!(list_some(&["a", "b", "c", "d", "e"]), "a, b, c and 2 more");
    }
}
