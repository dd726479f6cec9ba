//! The alert history replayed through the tier graph: each evaluation cycle (the events of one
//! timestamp) sets the raw monitors' states, and the monitors that page for them are evaluated
//! twice, with the compiled composites and as if nothing were suppressed (the same evaluation
//! `monc test --outage` makes). A page is a (pager, group) that starts notifying.
//!
//! Shared outages: an alert episode of a monitor that suppresses others (L0, L2) is one
//! incident; the pages its suppressed monitors would have sent while it alerted are held back
//! by it (the first alerting suppressor of the page, in tier order, takes it).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::Checked;
use crate::alert_test::simulate::{self, State, Status};
use crate::compile::Instance;
use crate::graph::MonitorGraph;

use super::history::EventState;

/// The bucket of pages of monitors that belong to no tenant (L0, L2).
pub const SHARED: &str = "(shared)";

/// Pages counted for one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TenantPages {
    pub pages_without: u64,
    pub pages_with: u64,
}

/// One shared outage: a suppressor's alert episode and what it did to the pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// The key of the monitor whose alert held the others back.
    pub key: String,
    pub started_ms: i64,
    /// `None`: still alerting when the window ended.
    pub ended_ms: Option<i64>,
    /// Pages of the monitors it suppresses had nothing been suppressed (its own included).
    pub pages_without: u64,
    /// Pages that went out during it (its own included).
    pub pages_with: u64,
}

/// Where a replay stands, and what it counted.
pub struct Replay<'a> {
    graph: &'a MonitorGraph,
    tenant_of: Vec<String>,
    /// For each monitor, the monitors whose notifications depend on its state.
    dependents: Vec<Vec<usize>>,
    /// Whether each monitor suppresses another: its alert episodes are incidents.
    suppressor: Vec<bool>,
    statuses: HashMap<usize, Status>,
    /// The groups each pager notifies for, with and without suppression.
    notifying: HashMap<(usize, bool), BTreeSet<Option<String>>>,
    /// Monitors changed in the cycle being gathered, and its time.
    pending: BTreeSet<usize>,
    cycle_ms: Option<i64>,
    pub pages_without: u64,
    pub pages_with: u64,
    /// Pages counted per pager key, with suppression (to compare with the composites' own),
    /// and the tenant the pager belongs to.
    pub pages_by_pager: BTreeMap<String, (String, u64)>,
    pub by_tenant: BTreeMap<String, TenantPages>,
    open_incidents: HashMap<usize, Incident>,
    pub incidents: Vec<Incident>,
}

impl<'a> Replay<'a> {
    pub fn new(checked: &'a Checked) -> Replay<'a> {
        let graph = &checked.graph;
        let tenant_of = graph
            .monitors
            .iter()
            .map(|m| match m.instance {
                Instance::Tenant(t) => checked.model.tenants[t].name.value.clone(),
                _ => SHARED.to_owned(),
            })
            .collect();
        Replay {
            graph,
            tenant_of,
            dependents: dependents(graph),
            suppressor: suppressors(graph),
            statuses: HashMap::new(),
            notifying: HashMap::new(),
            pending: BTreeSet::new(),
            cycle_ms: None,
            pages_without: 0,
            pages_with: 0,
            pages_by_pager: BTreeMap::new(),
            by_tenant: BTreeMap::new(),
            open_incidents: HashMap::new(),
            incidents: Vec::new(),
        }
    }

    pub fn monitor_key(&self, index: usize) -> &str {
        &self.graph.monitors[index].key
    }

    /// A composite the user wrote (or a `page`): its state follows its members, so its own
    /// events are notifications to compare with, not states to replay.
    pub fn is_pager_composite(&self, index: usize) -> bool {
        self.graph.monitors[index].composite.is_some()
    }

    /// Monitor `index`'s `group` (`None`: a simple alert) moved to `to` at `at_ms`. Events
    /// must come in time order; the events of one timestamp form one evaluation cycle.
    pub fn observe(&mut self, index: usize, group: Option<&str>, to: EventState, at_ms: i64) {
        if self.cycle_ms.is_some_and(|cycle| cycle != at_ms) {
            self.evaluate();
        }
        self.cycle_ms = Some(at_ms);
        let Some(state) = simulated(to) else {
            return;
        };
        let status = self.statuses.entry(index).or_default();
        set_group_state(status, group, state);
        self.pending.insert(index);
    }

    /// Monitor `index` stood in `state` when the window began (the org's listing says so): where
    /// its replay starts, not a change, so nothing is evaluated or paged for it. Its first event
    /// in the window replaces it.
    pub fn stand(&mut self, index: usize, state: EventState) {
        if let Some(state) = simulated(state) {
            self.statuses.entry(index).or_insert(Status::Simple(state));
        }
    }

    /// Evaluates the last cycle and closes the incidents still open.
    pub fn finish(&mut self) {
        self.evaluate();
        let mut open: Vec<Incident> = self.open_incidents.drain().map(|(_, i)| i).collect();
        open.sort_by(|a, b| (a.started_ms, &a.key).cmp(&(b.started_ms, &b.key)));
        self.incidents.extend(open);
        self.incidents
            .sort_by(|a, b| (a.started_ms, &a.key).cmp(&(b.started_ms, &b.key)));
    }

    fn evaluate(&mut self) {
        let Some(at_ms) = self.cycle_ms else {
            return;
        };
        let changed = std::mem::take(&mut self.pending);
        self.track_incidents(&changed, at_ms);
        let affected: BTreeSet<usize> = changed
            .iter()
            .flat_map(|&i| self.dependents[i].iter().copied())
            .collect();
        for pager in affected {
            let new_without = self.new_pages(pager, false);
            let new_with = self.new_pages(pager, true);
            self.count(pager, new_without, new_with);
        }
    }

    /// Groups of `pager` that start notifying now; remembers what notifies.
    fn new_pages(&mut self, pager: usize, suppression: bool) -> u64 {
        let outcome = simulate::outcome_of(self.graph, &self.statuses, pager, suppression);
        let before = self
            .notifying
            .remove(&(pager, suppression))
            .unwrap_or_default();
        let mut now: BTreeSet<Option<String>> =
            outcome.pages.into_iter().map(|p| p.group).collect();
        // A composite whose result is No Data (and that does not notify on it) keeps its last
        // known state: an alert it was in goes on, and coming back is no new page.
        now.extend(
            outcome
                .no_data
                .into_iter()
                .map(|silent| silent.group)
                .filter(|group| before.contains(group)),
        );
        let new = now.difference(&before).count() as u64;
        self.notifying.insert((pager, suppression), now);
        new
    }

    fn count(&mut self, pager: usize, without: u64, with: u64) {
        if without == 0 && with == 0 {
            return;
        }
        self.pages_without += without;
        self.pages_with += with;
        let key = self
            .graph
            .pager_of(pager)
            .unwrap_or(&self.graph.monitors[pager].key)
            .to_owned();
        let tenant_of_pager = self.tenant_of[pager].clone();
        self.pages_by_pager
            .entry(key)
            .or_insert_with(|| (tenant_of_pager, 0))
            .1 += with;
        let tenant = self
            .by_tenant
            .entry(self.tenant_of[pager].clone())
            .or_default();
        tenant.pages_without += without;
        tenant.pages_with += with;
        if let Some(holder) = self.holding_incident(pager)
            && let Some(incident) = self.open_incidents.get_mut(&holder)
        {
            incident.pages_without += without;
            incident.pages_with += with;
        }
    }

    /// The open incident a page of `pager` belongs to: its own, or that of the first of its
    /// suppressors (lowest tier first) that is alerting.
    fn holding_incident(&self, pager: usize) -> Option<usize> {
        if self.open_incidents.contains_key(&pager) {
            return Some(pager);
        }
        let mut suppressors: Vec<usize> = match self.graph.composite_for(pager) {
            Some(composite) => composite.suppressors.clone(),
            None => self
                .graph
                .page_parts_of(pager)
                .map(|parts| parts.suppressors.clone())
                .unwrap_or_default(),
        };
        suppressors.sort_by_key(|&s| (self.graph.monitors[s].tier, s));
        suppressors
            .into_iter()
            .find(|s| self.open_incidents.contains_key(s))
    }

    /// Opens an incident when a suppressor starts alerting, closes it when it stops.
    fn track_incidents(&mut self, changed: &BTreeSet<usize>, at_ms: i64) {
        for &index in changed {
            if !self.suppressor[index] {
                continue;
            }
            let alerting = self.statuses.get(&index).is_some_and(is_alerting);
            match (alerting, self.open_incidents.contains_key(&index)) {
                (true, false) => {
                    let incident = Incident {
                        key: self.graph.monitors[index].key.to_string(),
                        started_ms: at_ms,
                        ended_ms: None,
                        pages_without: 0,
                        pages_with: 0,
                    };
                    self.open_incidents.insert(index, incident);
                }
                (false, true) => {
                    if let Some(mut incident) = self.open_incidents.remove(&index) {
                        incident.ended_ms = Some(at_ms);
                        self.incidents.push(incident);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether each monitor suppresses another (through a composite or a page).
fn suppressors(graph: &MonitorGraph) -> Vec<bool> {
    let mut suppressor = vec![false; graph.monitors.len()];
    let through_composites = graph.composites.iter().flat_map(|c| c.suppressors.iter());
    let through_pages = graph
        .page_parts()
        .flat_map(|(_, parts)| parts.suppressors.iter());
    for &index in through_composites.chain(through_pages) {
        suppressor[index] = true;
    }
    suppressor
}

/// For each monitor, the monitors whose notification its state can change: itself, the
/// composite targets it suppresses, and the composites and pages it is a member of.
fn dependents(graph: &MonitorGraph) -> Vec<Vec<usize>> {
    let mut dependents: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); graph.monitors.len()];
    for (index, monitor) in graph.monitors.iter().enumerate() {
        dependents[index].insert(index);
        if let Some(composite) = graph.composite_for(index) {
            for &s in &composite.suppressors {
                dependents[s].insert(index);
            }
        }
        if let Some(expr) = &monitor.composite {
            let (positive, negated) = simulate::composite_members(graph, expr);
            for member in positive.into_iter().chain(negated) {
                dependents[member].insert(index);
            }
        }
    }
    dependents
        .into_iter()
        .map(|set| set.into_iter().collect())
        .collect()
}

fn simulated(state: EventState) -> Option<State> {
    match state {
        EventState::Ok => Some(State::Ok),
        EventState::Warn => Some(State::Warn),
        EventState::Alert => Some(State::Alert),
        EventState::NoData => Some(State::NoData),
        EventState::Other => None,
    }
}

fn set_group_state(status: &mut Status, group: Option<&str>, state: State) {
    match (group, &mut *status) {
        (None, _) => *status = Status::Simple(state),
        (Some(group), Status::Groups(groups)) => {
            match groups.iter_mut().find(|(name, _)| name == group) {
                Some(entry) => entry.1 = state,
                None => groups.push((group.to_owned(), state)),
            }
        }
        (Some(group), Status::Simple(_)) => {
            *status = Status::Groups(vec![(group.to_owned(), state)]);
        }
    }
}

fn is_alerting(status: &Status) -> bool {
    match status {
        Status::Simple(state) => matches!(state, State::Alert | State::Warn),
        Status::Groups(groups) => groups
            .iter()
            .any(|(_, state)| matches!(state, State::Alert | State::Warn)),
    }
}
