//! monc: a monitoring-as-code compiler for tiered Datadog monitors.
//!
//! Data flows one way: files → model → graph → emit → plan → API.
//! - [`load`] reads `monc.hcl`, `tenants/` and `monitors/` into a spanned [`model`].
//! - [`compile`] stamps templates out per tenant / cluster into concrete monitors and parses
//!   their queries.
//! - [`graph`] links monitors by suppression and generates the composite monitors.
//! - [`moved`] checks `moved` blocks (renames that keep monitor ids) and maps renamed keys.
//! - [`validate`] checks everything locally, reading only, and reports [`diagnostic`]s;
//!   [`ignore`] then drops those a template silences.
//! - [`emit`] builds the final list of monitors the org should hold, everything monc generates
//!   included (composites, ` (raw)` names, `Notify:` lines, ownership tags).
//! - [`plan`] compares the emitted monitors with the live org ([`plan::live`] reads it) and
//!   decides what to create, update and delete; [`sync`] applies a plan, [`backup`] keeps and
//!   restores what a sync replaced.
//! - [`query`] parses Datadog metric and composite queries; [`eval`] holds the HCL functions.
//! - [`datadog`] is the Monitor API client (the local emulator is the `monc-emulator` crate).
//! - Features on top: [`alert_test`] (`monc test`), [`status`] (`monc status`, the live view),
//!   [`review`] (`monc review`, the alert history), [`import`] (`monc import`), [`lsp`]
//!   (`monc lsp`), [`layout`] (`monc fmt`), [`output`] (rendering diagnostics, plans, graphs,
//!   test results, status), [`slack`] (drift posted to a Slack webhook).
//! - [`limits`] holds Datadog's limits, each defined once.
//!
//! No module imports a later stage; `src/cmd/` (in the binary) parses arguments, prints and
//! picks exit codes, and composes the org connection (real API or embedded emulator).

pub mod alert_test;
pub mod atomic_file;
pub mod backup;
pub mod compile;
pub mod datadog;
pub mod diagnostic;
pub mod emit;
pub mod english;
pub mod escape;
pub mod eval;
pub mod graph;
pub mod handles;
pub mod ignore;
pub mod import;
pub mod layout;
pub mod limits;
pub mod load;
pub mod lsp;
pub mod model;
pub mod moved;
pub mod output;
pub mod plan;
pub mod query;
pub mod review;
pub mod slack;
pub mod status;
pub mod summary;
pub mod sync;
pub mod validate;

use std::sync::OnceLock;

use diagnostic::Diagnostics;
use graph::MonitorGraph;
use load::{LoadError, LoadOptions};
use model::Model;

/// The result of reading, compiling and checking a configuration.
#[derive(Debug)]
pub struct Checked {
    pub model: Model,
    pub graph: MonitorGraph,
    pub diagnostics: Diagnostics,
    /// Facts `validate --verbose` shows, such as suppressions left out for disabled monitors.
    pub notes: Vec<diagnostic::Note>,
    /// The monitors the org should hold, emitted on first use: a second copy of every body,
    /// which `validate` never needs (it would be its peak memory: issue 26).
    emitted: OnceLock<Vec<emit::EmittedMonitor>>,
}

impl Checked {
    /// The monitors the org should hold (see [`emit`]), built on the first call.
    pub fn emitted(&self) -> &[emit::EmittedMonitor] {
        self.emitted
            .get_or_init(|| emit::emit(&self.model, &self.graph))
    }
}

/// Runs the front half of the pipeline: files → model → graph, with every check. The
/// diagnostics come back in reading order.
pub fn check(options: &LoadOptions) -> Result<Checked, LoadError> {
    let (model, mut diagnostics) = load::load(options)?;
    let mut compiled = compile::compile(&model, &mut diagnostics);
    let mut notes = std::mem::take(&mut compiled.notes);
    let graph = graph::build(&model, compiled, &mut diagnostics);
    validate::validate(&model, &graph, &mut diagnostics);
    moved::check(&model, &mut diagnostics, &mut notes);
    ignore::apply(&model, &mut diagnostics);
    diagnostics.sort();
    Ok(Checked {
        model,
        graph,
        diagnostics,
        notes,
        emitted: OnceLock::new(),
    })
}
