//! Every suppression edge checked three ways, and the pages of a shared outage.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::simulate::{
    State, Status, composite_members, simulate, simulate_unsuppressed, would_notify,
};
use crate::compile::Instance;
use crate::graph::MonitorGraph;
use crate::model::Model;

/// The three cases of one suppression edge, with the target alerting in each.
#[derive(Debug, Clone, Serialize)]
pub struct EdgeCheck {
    pub suppressor: String,
    pub target: String,
    /// The page that should fire when the suppressor is OK.
    pub composite: String,
    /// Suppressor OK: the target's composite pages.
    pub pages_when_ok: bool,
    /// Suppressor Alert: the target's composite is silent.
    pub silent_when_alert: bool,
    /// Suppressor No Data: whether the target's composite still pages (Datadog: it does not).
    pub pages_when_no_data: bool,
    /// Who, if anyone, is told about the suppressor's missing data (its own No Data page).
    pub no_data_told: Vec<String>,
    /// The target pages through a `page` (named in `composite`).
    #[serde(skip)]
    pub through_page: bool,
}

impl EdgeCheck {
    pub fn passed(&self) -> bool {
        self.pages_when_ok && self.silent_when_alert
    }

    /// No Data on the suppressor silences the target and nobody hears about it.
    pub fn is_risk(&self) -> bool {
        !self.pages_when_no_data && self.no_data_told.is_empty()
    }
}

/// For every valid suppression edge: suppressor OK, Alert and No Data with the target alerting,
/// seen at what pages for the target (its generated composite or its `page`).
/// A composite the user wrote counts too: each monitor it names only under `!` suppresses it.
pub fn matrix(graph: &MonitorGraph) -> Vec<EdgeCheck> {
    let mut edges: Vec<(usize, usize)> = (0..graph.monitors.len())
        .flat_map(|t| graph.direct_suppressors(t).map(move |s| (s, t)))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    let through_pagers = edges.into_iter().filter_map(|(s, t)| {
        let pager = match graph.composite_for(t) {
            Some(_) => t,
            None => graph.page_index_for(t)?,
        };
        Some(edge_check(graph, s, &[t], t, pager))
    });
    through_pagers.chain(user_composite_edges(graph)).collect()
}

/// Composites users write; a `page`'s edges are its members' (above).
fn user_composite_edges(graph: &MonitorGraph) -> Vec<EdgeCheck> {
    let pages = graph.pages();
    let mut checks = Vec::new();
    for (index, monitor) in graph.monitors.iter().enumerate() {
        let Some(expr) = &monitor.composite else {
            continue;
        };
        if graph.composite_for(index).is_some() || pages.contains(&index) {
            continue;
        }
        let (alerting, suppressors) = composite_members(graph, expr);
        let alerting: Vec<usize> = alerting.into_iter().collect();
        for s in suppressors {
            checks.push(edge_check(graph, s, &alerting, index, index));
        }
    }
    checks
}

/// `alerting` monitors alerting, the suppressor `s` OK, Alert and No Data: does the composite of
/// `pager` (the target, its page, or the user's composite itself) notify? Handles do not matter
/// here: the question is the suppression logic.
fn edge_check(
    graph: &MonitorGraph,
    s: usize,
    alerting: &[usize],
    target: usize,
    pager: usize,
) -> EdgeCheck {
    let statuses = |state: State| {
        let mut statuses: HashMap<usize, Status> = alerting
            .iter()
            .map(|&t| (t, Status::Simple(State::Alert)))
            .collect();
        statuses.insert(s, Status::Simple(state));
        statuses
    };
    let fires = |state: State| would_notify(graph, &statuses(state), pager);
    let no_data_told = simulate(graph, &statuses(State::NoData))
        .pages
        .iter()
        .filter(|p| p.state == State::NoData)
        .flat_map(|p| p.notify.iter().cloned())
        .collect();
    let pager_key = &graph.monitors[pager].key;
    EdgeCheck {
        suppressor: graph.monitors[s].key.to_string(),
        target: graph.monitors[target].key.to_string(),
        pages_when_ok: fires(State::Ok),
        silent_when_alert: !fires(State::Alert),
        pages_when_no_data: fires(State::NoData),
        no_data_told,
        composite: graph
            .composite_for(pager)
            .map_or_else(|| pager_key.to_string(), |c| c.key.to_string()),
        through_page: pager != target,
    }
}

/// A shared outage: what alerts, and how many pages it causes with and without suppression.
#[derive(Debug, Clone, Serialize)]
pub struct Outage {
    pub name: String,
    /// Monitors alerting.
    pub alerting: Vec<String>,
    /// Pages if no composite silenced anything (every `!monitor` taken as OK).
    pub pages_without_suppression: Vec<String>,
    /// Pages with the compiled composites.
    pub pages: Vec<String>,
}

/// `cluster:NAME`: every monitor of the cluster and of its tenants alerting. A monitor key: that
/// monitor and everything it suppresses, directly or not, alerting. `None` if neither matches.
pub fn outage(model: &Model, graph: &MonitorGraph, spec: &str) -> Option<Outage> {
    let alerting: Vec<usize> = match spec.strip_prefix("cluster:") {
        Some(cluster) => cluster_monitors(model, graph, cluster)?,
        None => {
            let root = graph.monitors.iter().position(|m| m.key == spec)?;
            suppressed_by_closure(graph, root)
        }
    };
    let statuses = alerting
        .iter()
        .map(|&i| (i, Status::Simple(State::Alert)))
        .collect();
    let outcome = simulate(graph, &statuses);
    let unsuppressed = simulate_unsuppressed(graph, &statuses);
    Some(Outage {
        name: spec.to_string(),
        pages_without_suppression: unsuppressed.pages.into_iter().map(|p| p.key).collect(),
        alerting: alerting
            .iter()
            .map(|&i| graph.monitors[i].key.to_string())
            .collect(),
        pages: outcome.pages.into_iter().map(|p| p.key).collect(),
    })
}

fn cluster_monitors(model: &Model, graph: &MonitorGraph, cluster: &str) -> Option<Vec<usize>> {
    let c = model
        .clusters
        .iter()
        .position(|c| c.name.value == cluster)?;
    let on_cluster = |instance: Instance| match instance {
        Instance::Cluster(i) => i == c,
        Instance::Tenant(t) => model.tenants[t].cluster.value == cluster,
        Instance::Once | Instance::Each(..) => false,
    };
    Some(
        (0..graph.monitors.len())
            .filter(|&i| on_cluster(graph.monitors[i].instance))
            .collect(),
    )
}

fn suppressed_by_closure(graph: &MonitorGraph, root: usize) -> Vec<usize> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(i) = stack.pop() {
        if found.insert(i) {
            stack.extend(
                (0..graph.monitors.len()).filter(|&t| graph.direct_suppressors(t).any(|s| s == i)),
            );
        }
    }
    found.into_iter().collect()
}
