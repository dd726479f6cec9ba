//! The suppression graph: concrete monitors as nodes, "suppresses" as edges, and the composite
//! monitors that make each suppressed alert page only when none of its suppressors is alerting.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::compile::{Compiled, CompiledMonitor, Instance};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::model::{Model, MonitorKey, is_composite};
use crate::query::{CompositeExpr, Operand};

/// Datadog's limit on the number of monitors one composite may reference.
pub use crate::limits::MAX_COMPOSITE_CONSTITUENTS;

/// A generated `A && !B && !C` monitor that pages for `A` unless a suppressor is alerting.
#[derive(Debug, Clone)]
pub struct Composite {
    /// `<key of A>/composite`.
    pub key: MonitorKey,
    /// Index of `A` in [`MonitorGraph::monitors`].
    pub target: usize,
    /// Raw (never composite) monitors whose alert silences `A`, transitively flattened.
    pub suppressors: Vec<usize>,
}

/// Where a suppression was written, and whether it passed the checks. Invalid edges stay in the
/// graph so cycles through them are found, but never make it into a composite.
#[derive(Debug, Clone)]
pub struct Edge {
    pub span: Span,
    pub valid: bool,
}

impl Composite {
    /// `target && !suppressor && ...`, each monitor (an index into [`MonitorGraph::monitors`])
    /// given as `operand(index)`.
    pub fn expr(&self, operand: impl Fn(usize) -> Operand) -> CompositeExpr {
        let suppressors = self.suppressors.iter().map(|&s| operand(s));
        CompositeExpr::suppression(operand(self.target), suppressors)
    }
}

#[derive(Debug, Default)]
pub struct MonitorGraph {
    pub monitors: Vec<CompiledMonitor>,
    /// Edge `a → b`: `a` suppresses `b`. Node weights index into `monitors`.
    pub graph: DiGraph<usize, Edge>,
    pub composites: Vec<Composite>,
    index_by_key: HashMap<MonitorKey, usize>,
    /// Index into `composites` by the monitor each one pages for; callers look it up per monitor.
    composite_by_target: HashMap<usize, usize>,
    /// The `page` (an index into `monitors`) each member pages through.
    page_by_member: HashMap<usize, usize>,
    /// Each `page`'s members and the monitors whose `!` silences it, by the page's index.
    page_parts: HashMap<usize, PageParts>,
}

/// What a `page` is made of: `(members...) && !suppressors...`.
#[derive(Debug, Clone, Default)]
pub struct PageParts {
    pub members: Vec<usize>,
    pub suppressors: Vec<usize>,
}

impl MonitorGraph {
    pub fn monitor(&self, key: &str) -> Option<&CompiledMonitor> {
        self.index_by_key.get(key).map(|&i| &self.monitors[i])
    }

    /// The `page` a monitor pages through, if it is a member of one.
    pub fn page_for(&self, member: usize) -> Option<&CompiledMonitor> {
        self.page_by_member.get(&member).map(|&p| &self.monitors[p])
    }

    /// The index in `monitors` of the `page` a monitor pages through, if it is a member of one.
    pub fn page_index_for(&self, member: usize) -> Option<usize> {
        self.page_by_member.get(&member).copied()
    }

    /// Indices of every `page` that has a member.
    pub fn pages(&self) -> HashSet<usize> {
        self.page_parts.keys().copied().collect()
    }

    /// Every `page` by index, with its members and suppressors.
    pub fn page_parts(&self) -> impl Iterator<Item = (usize, &PageParts)> {
        self.page_parts.iter().map(|(&page, parts)| (page, parts))
    }

    /// The members and suppressors of the `page` at `index`, if it is one.
    pub fn page_parts_of(&self, index: usize) -> Option<&PageParts> {
        self.page_parts.get(&index)
    }

    /// The key of the monitor that pages for this one: its generated composite, its page, or
    /// `None` when it pages itself.
    pub fn pager_of(&self, index: usize) -> Option<&str> {
        match (self.composite_for(index), self.page_for(index)) {
            (Some(composite), _) => Some(&composite.key),
            (None, Some(page)) => Some(&page.key),
            (None, None) => None,
        }
    }

    /// The index in `monitors` of the monitor with this key.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.index_by_key.get(key).copied()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_weights().filter(|e| e.valid).count()
    }

    /// Indices of the monitors that directly (and validly) suppress monitor `index`.
    pub fn direct_suppressors(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.graph
            .edges_directed(NodeIndex::new(index), Direction::Incoming)
            .filter(|e| e.weight().valid)
            .map(|e| self.graph[e.source()])
    }

    pub fn composite_for(&self, monitor: usize) -> Option<&Composite> {
        self.composite_by_target
            .get(&monitor)
            .map(|&i| &self.composites[i])
    }

    /// One tenant's slice (`--tenant`), as indices into `monitors`: the tenant's own monitors
    /// and, transitively, every monitor they need to page as written. The one definition that
    /// `diff`/`sync`, `graph` and `status` slice with (see [`MonitorGraph::needs`]).
    pub fn tenant_slice(&self, tenant: usize) -> BTreeSet<usize> {
        let mut slice = BTreeSet::new();
        let mut stack: Vec<usize> = (0..self.monitors.len())
            .filter(|&i| self.monitors[i].instance == Instance::Tenant(tenant))
            .collect();
        while let Some(index) = stack.pop() {
            if slice.insert(index) {
                stack.extend(self.needs(index));
            }
        }
        slice
    }

    /// The monitors monitor `index` needs: those that validly suppress it (its composite names
    /// them), those that silence the `page` it pages through, and those its query names when it
    /// is a composite written by hand.
    fn needs(&self, index: usize) -> Vec<usize> {
        let mut needed: Vec<usize> = self.direct_suppressors(index).collect();
        if let Some(parts) = self
            .page_index_for(index)
            .and_then(|page| self.page_parts_of(page))
        {
            needed.extend(&parts.suppressors);
        }
        if let Some(expr) = &self.monitors[index].composite {
            needed.extend(
                expr.operands()
                    .into_iter()
                    .filter_map(|(operand, _)| match operand {
                        Operand::Key(key) => self.index_of(key),
                        _ => None,
                    }),
            );
        }
        needed
    }

    /// The keys of the monitors a slice writes: each monitor, and the composite it pages
    /// through (monc writes a monitor and its composite together, never half of the pair).
    pub fn slice_keys(&self, slice: &BTreeSet<usize>) -> Vec<&str> {
        slice
            .iter()
            .flat_map(|&i| {
                let composite = self.composite_for(i).map(|c| c.key.as_str());
                std::iter::once(self.monitors[i].key.as_str()).chain(composite)
            })
            .collect()
    }
}

/// Links compiled monitors by suppression, checks the links and generates the composites.
pub fn build(model: &Model, compiled: Compiled, diagnostics: &mut Diagnostics) -> MonitorGraph {
    let mut graph = MonitorGraph {
        monitors: compiled.monitors,
        ..MonitorGraph::default()
    };
    add_nodes(&mut graph, model, diagnostics);
    add_edges(&mut graph, model, diagnostics);
    check_user_composites(&graph, model, diagnostics);
    if report_cycles(&graph, diagnostics) {
        return graph;
    }
    attach_pages(&mut graph, model, diagnostics);
    graph.composites = generate_composites(&graph, model, diagnostics);
    graph.composite_by_target = graph
        .composites
        .iter()
        .enumerate()
        .map(|(i, c)| (c.target, i))
        .collect();
    graph
}

fn add_nodes(graph: &mut MonitorGraph, model: &Model, diagnostics: &mut Diagnostics) {
    graph.graph.reserve_exact_nodes(graph.monitors.len());
    for index in 0..graph.monitors.len() {
        let node = graph.graph.add_node(index);
        debug_assert_eq!(node.index(), index);
        let key = graph.monitors[index].key.clone();
        if let Some(&first) = graph.index_by_key.get(&key) {
            diagnostics.push(duplicate_key(model, &graph.monitors[first], &key));
            continue;
        }
        graph.index_by_key.insert(key, index);
    }
}

fn duplicate_key(model: &Model, first: &CompiledMonitor, key: &str) -> Diagnostic {
    let template = &model.templates[first.template];
    Diagnostic::error(
        Code::DuplicateKey,
        template.name.span.clone(),
        format!("two monitors get the key `{key}`"),
    )
    .label("this template produces it")
    .help("keys are `<tier>/<template>/<cluster or tenant>`: rename the template, tenant or cluster so they differ")
}

fn add_edges(graph: &mut MonitorGraph, model: &Model, diagnostics: &mut Diagnostics) {
    // Sized once: doubling leaves up to half of the edge list unused (issue 26).
    let edges = graph.monitors.iter().map(|m| m.suppressed_by.len()).sum();
    graph.graph.reserve_exact_edges(edges);
    for index in 0..graph.monitors.len() {
        for reference in graph.monitors[index].suppressed_by.clone() {
            let Some(&suppressor) = graph.index_by_key.get(reference.key.as_str()) else {
                continue; // the target failed to compile; that is reported already
            };
            let problem = check_edge(graph, model, suppressor, index, &reference.span);
            let valid = problem.is_none();
            diagnostics.extend(problem);
            if suppressor == index {
                continue; // `A && !A` never fires; the error above says so
            }
            let edge = Edge {
                span: reference.span.clone(),
                valid,
            };
            graph
                .graph
                .add_edge(NodeIndex::new(suppressor), NodeIndex::new(index), edge);
        }
    }
}

fn check_edge(
    graph: &MonitorGraph,
    model: &Model,
    suppressor: usize,
    target: usize,
    span: &Span,
) -> Option<Diagnostic> {
    let (s, t) = (&graph.monitors[suppressor], &graph.monitors[target]);
    if suppressor == target {
        return Some(
            Diagnostic::error(
                Code::SelfSuppression,
                span.clone(),
                format!("`{}` suppresses itself", t.key),
            )
            .label("refers to the monitor being defined")
            .help("a monitor cannot silence itself; refer to a lower-tier monitor instead"),
        );
    }
    if is_composite(&s.body.monitor_type) {
        return Some(
            Diagnostic::error(Code::CompositeOfComposite, span.clone(), format!("suppressor `{}` is a composite monitor", s.key))
                .label("composite used as a suppressor")
                .help("Datadog does not allow a composite built on another composite; suppress with the monitors that composite is made of"),
        );
    }
    if s.tier >= t.tier {
        let tiers = &model.project.tiers;
        return Some(
            Diagnostic::error(
                Code::TierOrder,
                span.clone(),
                format!(
                    "`{}` ({}) cannot be suppressed by `{}` ({})",
                    t.key, tiers[t.tier], s.key, tiers[s.tier]
                ),
            )
            .label("suppressor is not in a lower tier")
            .help(format!(
                "a monitor is only suppressed by monitors of strictly lower tiers (order: {})",
                tiers.join(" < ")
            )),
        );
    }
    None
}

/// A composite written by hand may not reference another composite (Datadog cannot nest them)
/// nor more than [`MAX_COMPOSITE_CONSTITUENTS`] monitors.
fn check_user_composites(graph: &MonitorGraph, model: &Model, diagnostics: &mut Diagnostics) {
    for monitor in &graph.monitors {
        let Some(expr) = &monitor.composite else {
            continue;
        };
        let template = &model.templates[monitor.template];
        let operands = expr.operands();
        for (operand, range) in &operands {
            let Operand::Key(key) = operand else { continue };
            let Some(constituent) = graph.monitor(key) else {
                continue; // failed to compile; reported already
            };
            // By type: an operand names a template's monitor, never a generated composite,
            // and `l3/errors/composite` may be tenant `composite`'s raw monitor.
            if is_composite(&constituent.body.monitor_type) {
                let span =
                    template
                        .query
                        .span_within(&model.sources, &monitor.body.query, range.clone());
                diagnostics.push(
                    Diagnostic::error(
                        Code::CompositeOfComposite,
                        span,
                        format!("composite `{}` references composite `{key}`", monitor.key),
                    )
                    .label("a composite monitor")
                    .help("Datadog does not allow a composite built on another composite; reference the monitors that composite is made of"),
                );
            }
        }
        let distinct: HashSet<&Operand> = operands.iter().map(|(o, _)| *o).collect();
        if distinct.len() > MAX_COMPOSITE_CONSTITUENTS {
            diagnostics.push(
                Diagnostic::error(
                    Code::TooManyConstituents,
                    template.query.span.clone(),
                    format!(
                        "composite `{}` references {} monitors; Datadog allows {MAX_COMPOSITE_CONSTITUENTS}",
                        monitor.key,
                        distinct.len()
                    ),
                )
                .label("too many monitors in this query")
                .help("split the condition, or reference fewer, broader monitors"),
            );
        }
    }
}

/// Reports every suppression cycle once; returns true if there was any.
fn report_cycles(graph: &MonitorGraph, diagnostics: &mut Diagnostics) -> bool {
    let mut found = false;
    for component in tarjan_scc(&graph.graph) {
        if component.len() < 2 {
            continue;
        }
        found = true;
        diagnostics.push(cycle_diagnostic(graph, &component));
    }
    found
}

fn cycle_diagnostic(graph: &MonitorGraph, component: &[NodeIndex]) -> Diagnostic {
    let members: HashSet<NodeIndex> = component.iter().copied().collect();
    let edges: Vec<(String, Span)> = graph
        .graph
        .edge_indices()
        .filter_map(|e| {
            let (a, b) = graph.graph.edge_endpoints(e)?;
            (members.contains(&a) && members.contains(&b)).then(|| {
                let label = format!(
                    "`{}` suppresses `{}`",
                    graph.monitors[graph.graph[a]].key, graph.monitors[graph.graph[b]].key
                );
                (label, graph.graph[e].span.clone())
            })
        })
        .collect();
    let mut keys: Vec<&str> = component
        .iter()
        .map(|n| graph.monitors[graph.graph[*n]].key.as_str())
        .collect();
    keys.sort_unstable();
    let (first_label, first_span) = edges[0].clone();
    let mut d = Diagnostic::error(
        Code::SuppressionCycle,
        first_span,
        format!("suppression cycle between {}", keys.join(", ")),
    )
    .label(first_label)
    .help("monitors in a cycle would silence each other forever; remove one of these references");
    for (label, span) in edges.into_iter().skip(1) {
        d = d.related(label, span);
    }
    d
}

fn generate_composites(
    graph: &MonitorGraph,
    model: &Model,
    diagnostics: &mut Diagnostics,
) -> Vec<Composite> {
    let mut composites = Vec::new();
    for (index, monitor) in graph.monitors.iter().enumerate() {
        if graph.page_by_member.contains_key(&index) {
            continue; // it pages through its page, which carries its suppressors
        }
        let suppressors = flattened_suppressors(graph, index);
        if suppressors.is_empty() {
            continue;
        }
        if let Some(d) = check_composite(graph, model, monitor, &suppressors) {
            diagnostics.push(d);
            continue;
        }
        composites.push(Composite {
            key: monitor.key.composite(),
            target: index,
            suppressors,
        });
    }
    // Held until the end: no room left from growing it (issue 26).
    composites.shrink_to_fit();
    composites
}

/// Each `page` becomes `(a || b) && !s1 && !s2 ...`: its members, silenced by every monitor
/// that silences any of them (flattened as for generated composites). Its members then page
/// only through it.
fn attach_pages(graph: &mut MonitorGraph, model: &Model, diagnostics: &mut Diagnostics) {
    for page in 0..graph.monitors.len() {
        let template = &model.templates[graph.monitors[page].template];
        let (true, Some(members_expr)) = (
            template.is_page(),
            graph.monitors[page].composite.as_deref().cloned(),
        ) else {
            continue;
        };
        let members: Vec<usize> = members_expr
            .operands()
            .iter()
            .filter_map(|(operand, _)| match operand {
                Operand::Key(key) => graph.index_of(key),
                _ => None,
            })
            .collect();
        let mut suppressors: Vec<usize> = Vec::new();
        for &member in &members {
            for s in flattened_suppressors(graph, member) {
                if !members.contains(&s) && !suppressors.contains(&s) {
                    suppressors.push(s);
                }
            }
        }
        let total = members.len() + suppressors.len();
        if total > MAX_COMPOSITE_CONSTITUENTS {
            let span = template
                .pages_for_span
                .clone()
                .unwrap_or_else(|| template.name.span.clone());
            diagnostics.push(
                Diagnostic::error(
                    Code::TooManyConstituents,
                    span,
                    format!(
                        "page `{}` needs {total} monitors ({} members and {} that suppress them); Datadog allows {MAX_COMPOSITE_CONSTITUENTS} in a composite",
                        graph.monitors[page].key,
                        members.len(),
                        suppressors.len()
                    ),
                )
                .label("too many monitors for one composite")
                .help("split the page in two, or suppress its members with fewer (shared) monitors"),
            );
            continue;
        }
        let key = |i: usize| CompositeExpr::Operand {
            operand: Operand::Key(graph.monitors[i].key.to_string()),
            span: 0..0,
        };
        let expr = suppressors.iter().fold(members_expr, |expr, &s| {
            CompositeExpr::And(
                Box::new(expr),
                Box::new(CompositeExpr::Not(Box::new(key(s)))),
            )
        });
        graph.monitors[page].body.query = expr.render(&Operand::to_string);
        graph.monitors[page].composite = Some(Box::new(expr));
        for &member in &members {
            graph.page_by_member.entry(member).or_insert(page);
        }
        let parts = PageParts {
            members,
            suppressors,
        };
        graph.page_parts.insert(page, parts);
    }
}

/// All raw monitors that silence `index`, directly or through the monitors that silence them,
/// nearest first. Composites cannot nest in Datadog, so `A && !(B && !C)` becomes `A && !B && !C`.
fn flattened_suppressors(graph: &MonitorGraph, index: usize) -> Vec<usize> {
    let mut seen = HashSet::from([index]);
    let mut order = Vec::new();
    let mut queue: VecDeque<usize> = graph.direct_suppressors(index).collect();
    queue.make_contiguous().sort_unstable();
    while let Some(next) = queue.pop_front() {
        if !seen.insert(next) {
            continue;
        }
        order.push(next);
        let mut further: Vec<usize> = graph.direct_suppressors(next).collect();
        further.sort_unstable();
        queue.extend(further);
    }
    order
}

fn check_composite(
    graph: &MonitorGraph,
    model: &Model,
    monitor: &CompiledMonitor,
    suppressors: &[usize],
) -> Option<Diagnostic> {
    let template = &model.templates[monitor.template];
    let span = template
        .suppressed_by_span
        .clone()
        .unwrap_or_else(|| template.name.span.clone());
    if is_composite(&monitor.body.monitor_type) {
        return Some(
            Diagnostic::error(Code::CompositeOfComposite, span, format!("composite monitor `{}` cannot be suppressed", monitor.key))
                .label("suppressing a composite needs a composite of a composite")
                .help("Datadog does not allow composites built on composites; add these suppressors to the composite's own query instead"),
        );
    }
    let constituents = suppressors.len() + 1;
    if constituents > MAX_COMPOSITE_CONSTITUENTS {
        let keys: Vec<&str> = suppressors
            .iter()
            .map(|&s| graph.monitors[s].key.as_str())
            .collect();
        return Some(
            Diagnostic::error(
                Code::TooManyConstituents,
                span,
                format!("the composite for `{}` would reference {constituents} monitors; Datadog allows {MAX_COMPOSITE_CONSTITUENTS}", monitor.key),
            )
            .label(format!("{} suppressors after following suppressors of suppressors", suppressors.len()))
            .help(format!("suppressors, flattened: {}; suppress with fewer, broader monitors", keys.join(", "))),
        );
    }
    None
}
