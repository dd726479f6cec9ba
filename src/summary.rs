//! The one-line account of what a configuration compiles to.

use std::fmt;

use serde::Serialize;

use crate::Checked;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub tenants: usize,
    pub clusters: usize,
    /// Monitors per tier, in tier order.
    pub tiers: Vec<(String, usize)>,
    /// Instances of `monitor` blocks (composites users write included).
    pub monitors: usize,
    /// Composites monc writes: one per suppressed monitor, plus `pages`.
    pub composites: usize,
    /// Instances of `page` blocks.
    pub pages: usize,
    pub edges: usize,
}

impl Summary {
    pub fn of(checked: &Checked) -> Summary {
        let tiers = &checked.model.project.tiers;
        let templates = &checked.model.templates;
        let (pages, monitors): (Vec<_>, Vec<_>) = checked
            .graph
            .monitors
            .iter()
            .partition(|m| templates[m.template].is_page());
        Summary {
            tenants: checked.model.tenants.len(),
            clusters: checked.model.clusters.len(),
            tiers: tiers
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), monitors.iter().filter(|m| m.tier == i).count()))
                .collect(),
            monitors: monitors.len(),
            composites: checked.graph.composites.len() + pages.len(),
            pages: pages.len(),
            edges: checked.graph.edge_count(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_tier: Vec<String> = self.tiers.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let pages = match self.pages {
            0 => String::new(),
            1 => " (1 of them a page)".to_string(),
            n => format!(" ({n} of them pages)"),
        };
        write!(
            f,
            "{} → {} ({}), {}{pages}, {}",
            counted(self.tenants, "tenant") + " on " + &counted(self.clusters, "cluster"),
            counted(self.monitors, "monitor"),
            per_tier.join(", "),
            counted(self.composites, "composite"),
            counted(self.edges, "suppression edge"),
        )
    }
}

use crate::english::counted;
