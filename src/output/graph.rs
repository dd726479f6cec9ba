//! The compiled tier graph as a picture: Mermaid (renders in GitHub pull requests and READMEs)
//! and Graphviz DOT. One node per monitor key, grouped by tier; `suppresses` edges as written;
//! every composite as a hexagon "page" node next to the monitor it pages for, labelled with the
//! handles it notifies; a `page` block is a hexagon too, fed by its members (dashed).

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use crate::compile::CompiledMonitor;
use crate::graph::MonitorGraph;
use crate::model::Model;

/// How a graph is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Mermaid flowchart source (a `.mmd` file, or paste it inside a ```mermaid block).
    Mermaid,
    /// The Mermaid flowchart inside a ```mermaid fence, ready for a pull request or README.
    Markdown,
    /// Graphviz DOT (`monc graph --format dot | dot -Tsvg > graph.svg`).
    Dot,
}

/// The monitors to draw, as indices into [`MonitorGraph::monitors`], in index order.
pub type Selection = BTreeSet<usize>;

/// Every monitor.
pub fn everything(graph: &MonitorGraph) -> Selection {
    (0..graph.monitors.len()).collect()
}

/// One tenant's slice ([`MonitorGraph::tenant_slice`]). `None` if no tenant has that name.
pub fn tenant_slice(model: &Model, graph: &MonitorGraph, tenant: &str) -> Option<Selection> {
    let t = model.tenants.iter().position(|t| t.name.value == tenant)?;
    Some(graph.tenant_slice(t))
}

pub fn render(
    model: &Model,
    graph: &MonitorGraph,
    only: &Selection,
    format: GraphFormat,
) -> String {
    let pages = graph.pages();
    let view = View {
        model,
        graph,
        only,
        pages,
    };
    match format {
        GraphFormat::Mermaid => view.mermaid(),
        GraphFormat::Markdown => format!("```mermaid\n{}```\n", view.mermaid()),
        GraphFormat::Dot => view.dot(),
    }
}

struct View<'a> {
    model: &'a Model,
    graph: &'a MonitorGraph,
    only: &'a Selection,
    pages: HashSet<usize>,
}

enum NodeKind {
    /// Nothing suppresses it: it notifies its handles itself.
    PagesItself,
    /// Its generated composite pages for it.
    Suppressed,
    /// A `page` block's composite.
    Page,
    /// It pages through its `page` and notifies nobody itself.
    PageMember,
}

impl View<'_> {
    /// Tiers in order, each with its selected monitors; empty tiers are left out.
    fn tiers(&self) -> Vec<(&str, Vec<usize>)> {
        self.model
            .project
            .tiers
            .iter()
            .enumerate()
            .map(|(tier, name)| {
                let members = self.only.iter().copied();
                let members = members.filter(|&i| self.graph.monitors[i].tier == tier);
                (name.as_str(), members.collect::<Vec<_>>())
            })
            .filter(|(_, members)| !members.is_empty())
            .collect()
    }

    /// Valid `suppressor → target` edges between selected monitors, in a stable order.
    fn edges(&self) -> Vec<(usize, usize)> {
        let mut edges: Vec<(usize, usize)> = self
            .only
            .iter()
            .flat_map(|&target| {
                self.graph
                    .direct_suppressors(target)
                    .filter(|s| self.only.contains(s))
                    .map(move |s| (s, target))
            })
            .collect();
        edges.sort_unstable();
        edges.dedup();
        edges
    }

    /// How a monitor is drawn: what pages for it decides.
    fn kind(&self, index: usize) -> NodeKind {
        if self.graph.composite_for(index).is_some() {
            NodeKind::Suppressed
        } else if self.graph.page_for(index).is_some() {
            NodeKind::PageMember
        } else if self.pages.contains(&index) {
            NodeKind::Page
        } else {
            NodeKind::PagesItself
        }
    }

    /// `member → page` for every selected member of a selected page, in index order.
    fn page_edges(&self) -> Vec<(usize, usize)> {
        self.only
            .iter()
            .filter_map(|&member| Some((member, self.graph.page_index_for(member)?)))
            .filter(|(_, page)| self.only.contains(page))
            .collect()
    }

    fn monitor(&self, index: usize) -> &CompiledMonitor {
        &self.graph.monitors[index]
    }

    fn mermaid(&self) -> String {
        let mut out = String::from("flowchart TB\n");
        for (tier, members) in self.tiers() {
            let _ = writeln!(out, "  subgraph {}[\"{tier}\"]", mermaid_id("tier", tier));
            for i in members {
                self.mermaid_nodes(&mut out, i);
            }
            out.push_str("  end\n");
        }
        for (edges, arrow) in [
            (self.edges(), "-- suppresses -->"),
            (self.page_edges(), "-.->"),
        ] {
            for (from, to) in edges {
                let (from, to) = (&self.monitor(from).key, &self.monitor(to).key);
                let (from, to) = (mermaid_id("m", from), mermaid_id("m", to));
                let _ = writeln!(out, "  {from} {arrow} {to}");
            }
        }
        out.push_str("  classDef page fill:#fde2e2,stroke:#c0392b\n");
        out
    }

    fn mermaid_nodes(&self, out: &mut String, i: usize) {
        let m = self.monitor(i);
        let id = mermaid_id("m", &m.key);
        match self.kind(i) {
            NodeKind::PagesItself => {
                let label = format!("{}<br/>pages {}", m.key, handles(&m.pages()));
                let _ = writeln!(out, "    {id}[\"{}\"]:::page", mermaid_text(&label));
                return;
            }
            NodeKind::Page => {
                let label = format!("{}<br/>page: pages {}", m.key, handles(&m.pages()));
                let _ = writeln!(out, "    {id}{{{{\"{}\"}}}}:::page", mermaid_text(&label));
                return;
            }
            NodeKind::PageMember => {
                let _ = writeln!(out, "    {id}[\"{}\"]", mermaid_text(&m.key));
                return;
            }
            NodeKind::Suppressed => {}
        }
        let _ = writeln!(out, "    {id}[\"{}\"]", mermaid_text(&m.key));
        let page_id = mermaid_id("c", &m.key);
        let label = format!("composite pages {}", handles(&m.pages()));
        let _ = writeln!(
            out,
            "    {page_id}{{{{\"{}\"}}}}:::page",
            mermaid_text(&label)
        );
        let _ = writeln!(out, "    {id} -.-> {page_id}");
    }

    fn dot(&self) -> String {
        let mut out = String::from(
            "digraph monc {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        );
        for (tier, members) in self.tiers() {
            let _ = writeln!(out, "  subgraph \"cluster_{}\" {{", dot_text(tier));
            let _ = writeln!(out, "    label=\"{}\";", dot_text(tier));
            for i in members {
                self.dot_nodes(&mut out, i);
            }
            out.push_str("  }\n");
        }
        for (edges, style) in [
            (self.edges(), "label=\"suppresses\""),
            (self.page_edges(), "style=dashed"),
        ] {
            for (from, to) in edges {
                let (from, to) = (&self.monitor(from).key, &self.monitor(to).key);
                let (from, to) = (dot_text(from), dot_text(to));
                let _ = writeln!(out, "  \"{from}\" -> \"{to}\" [{style}];");
            }
        }
        out.push_str("}\n");
        out
    }

    fn dot_nodes(&self, out: &mut String, i: usize) {
        let m = self.monitor(i);
        let key = dot_text(&m.key);
        let page = "style=filled, fillcolor=\"#fde2e2\"";
        match self.kind(i) {
            NodeKind::PagesItself => {
                let label = dot_text(&format!("{}\npages {}", m.key, handles(&m.pages())));
                let _ = writeln!(out, "    \"{key}\" [label=\"{label}\", {page}];");
                return;
            }
            NodeKind::Page => {
                let label = dot_text(&format!("{}\npage: pages {}", m.key, handles(&m.pages())));
                let _ = writeln!(
                    out,
                    "    \"{key}\" [shape=hexagon, label=\"{label}\", {page}];"
                );
                return;
            }
            NodeKind::PageMember => {
                let _ = writeln!(out, "    \"{key}\";");
                return;
            }
            NodeKind::Suppressed => {}
        }
        let _ = writeln!(out, "    \"{key}\";");
        let label = dot_text(&format!("composite pages {}", handles(&m.pages())));
        let composite = dot_text(m.key.composite().as_str());
        let _ = writeln!(
            out,
            "    \"{composite}\" [shape=hexagon, label=\"{label}\", {page}];"
        );
        let _ = writeln!(out, "    \"{key}\" -> \"{composite}\" [style=dashed];");
    }
}

fn handles(notify: &[String]) -> String {
    if notify.is_empty() {
        "nobody".into()
    } else {
        notify.join(" ")
    }
}

/// Mermaid ids allow letters, digits and `_`: `l3/api-x/acme` becomes `m_l3_sapi_dx_sacme`.
/// Escaping `_` as `__` keeps the mapping one-to-one (`a-b` and `a_b` are both valid names).
fn mermaid_id(prefix: &str, key: &str) -> String {
    let mut id = format!("{prefix}_");
    for c in key.chars() {
        match c {
            c if c.is_ascii_alphanumeric() => id.push(c),
            '_' => id.push_str("__"),
            '/' => id.push_str("_s"),
            '-' => id.push_str("_d"),
            other => {
                let _ = write!(id, "_u{:x}_", other as u32);
            }
        }
    }
    id
}

/// Text inside `["..."]`: Mermaid has no backslash escapes, only HTML entities.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
