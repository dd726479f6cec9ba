//! Unit tests for alert logic: scenarios in `alert-tests/*.hcl` say which monitors are alerting
//! and which notifications must fire; [`simulate`] says which do (Datadog's composite
//! semantics), [`read`] reads the scenario files, [`matrix`] checks every suppression edge and
//! counts pages in a shared outage.
//!
//! ```hcl
//! scenario "acme API errors page acme" {
//!   alert   = ["l3/api_error_rate/acme"]        # keys, or monitor.<template>[<instance>]
//!   no_data = [monitor.region_health]           # also `warn` and `ok`; everything else is OK
//!   group "resource_name:/checkout" {           # per-group states of a multi-alert monitor
//!     alert = [monitor.api_latency_p95["acme"]]
//!   }
//!   page "l3/api_error_rate/acme/composite" {   # one block per expected notification;
//!     notify = ["@slack-acme-oncall"]           # `notify` optional; no `page` = silence
//!   }
//! }
//! ```

mod matrix;
mod read;
pub mod simulate;

pub use matrix::{EdgeCheck, Outage, matrix, outage};
pub use read::load;

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use self::simulate::{Outcome, Page, Status, simulate};
use crate::diagnostic::Span;
use crate::graph::MonitorGraph;
use crate::model::Model;

/// One `scenario` block, resolved against the compiled monitors.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub span: Span,
    /// Monitor index → status; monitors not listed are OK.
    pub statuses: HashMap<usize, Status>,
    pub expected: Vec<ExpectedPage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExpectedPage {
    pub key: String,
    /// The handles it must notify; `None` = not checked.
    pub notify: Option<Vec<String>>,
    /// The groups it must page for, and no others; `None` = not checked.
    pub groups: Option<Vec<String>>,
}

/// The result of one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub scenario: String,
    pub file: String,
    pub line: usize,
    pub passed: bool,
    pub expected: Vec<ExpectedPage>,
    pub actual: Vec<Page>,
    /// Expected pages that did not fire.
    pub missing: Vec<String>,
    /// Pages that fired without being expected.
    pub unexpected: Vec<String>,
    /// Expected pages that fired for other handles: (key, expected, actual).
    pub wrong_handles: Vec<(String, Vec<String>, Vec<String>)>,
    /// Expected pages that fired for other groups: (key, expected, actual).
    pub wrong_groups: Vec<(String, Vec<String>, Vec<String>)>,
    /// Composites left silent by a No Data member.
    pub no_data: Vec<String>,
}

pub fn run(model: &Model, graph: &MonitorGraph, scenario: &Scenario) -> Verdict {
    let outcome = simulate(graph, &scenario.statuses);
    judge(model, scenario, outcome)
}

fn judge(model: &Model, scenario: &Scenario, outcome: Outcome) -> Verdict {
    let fired: BTreeSet<&str> = outcome.pages.iter().map(|p| p.key.as_str()).collect();
    let wanted: BTreeSet<&str> = scenario.expected.iter().map(|p| p.key.as_str()).collect();
    let missing: Vec<String> = wanted.difference(&fired).map(|k| k.to_string()).collect();
    let unexpected: Vec<String> = fired.difference(&wanted).map(|k| k.to_string()).collect();
    let wrong_handles = wrong_handles(scenario, &outcome.pages);
    let wrong_groups = wrong_groups(scenario, &outcome.pages);
    let (line, _) = model
        .sources
        .line_col(scenario.span.file, scenario.span.range.start);
    let path = &model.sources.file(scenario.span.file).path;
    Verdict {
        scenario: scenario.name.clone(),
        file: crate::diagnostic::display_path(path),
        line,
        passed: missing.is_empty()
            && unexpected.is_empty()
            && wrong_handles.is_empty()
            && wrong_groups.is_empty(),
        expected: scenario.expected.clone(),
        no_data: outcome.no_data.iter().map(|s| s.key.clone()).collect(),
        actual: outcome.pages,
        missing,
        unexpected,
        wrong_handles,
        wrong_groups,
    }
}

/// Expected pages with `groups` that fired for a different set of groups.
fn wrong_groups(scenario: &Scenario, pages: &[Page]) -> Vec<(String, Vec<String>, Vec<String>)> {
    scenario
        .expected
        .iter()
        .filter_map(|e| {
            let want = e.groups.as_ref()?;
            let got: Vec<String> = pages
                .iter()
                .filter(|p| p.key == e.key)
                .filter_map(|p| p.group.clone())
                .collect();
            let fired = pages.iter().any(|p| p.key == e.key);
            let same = sorted(want) == sorted(&got);
            (fired && !same).then(|| (e.key.clone(), want.clone(), got))
        })
        .collect()
}

fn wrong_handles(scenario: &Scenario, pages: &[Page]) -> Vec<(String, Vec<String>, Vec<String>)> {
    scenario
        .expected
        .iter()
        .filter_map(|e| {
            let want = e.notify.as_ref()?;
            let page = pages.iter().find(|p| p.key == e.key)?;
            let same = sorted(want) == sorted(&page.notify);
            (!same).then(|| (e.key.clone(), want.clone(), page.notify.clone()))
        })
        .collect()
}

fn sorted(handles: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = handles.iter().map(String::as_str).collect();
    v.sort_unstable();
    v.dedup();
    v
}
