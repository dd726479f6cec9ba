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
    pub monitors: usize,
    pub composites: usize,
    pub edges: usize,
}

impl Summary {
    pub fn of(checked: &Checked) -> Summary {
        let tiers = &checked.model.project.tiers;
        let monitors = &checked.graph.monitors;
        Summary {
            tenants: checked.model.tenants.len(),
            clusters: checked.model.clusters.len(),
            tiers: tiers
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), monitors.iter().filter(|m| m.tier == i).count()))
                .collect(),
            monitors: monitors.len(),
            composites: checked.graph.composites.len(),
            edges: checked.graph.edge_count(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_tier: Vec<String> = self.tiers.iter().map(|(t, n)| format!("{t} {n}")).collect();
        write!(
            f,
            "{} tenants on {} clusters → {} monitors ({}), {} composites, {} suppression edges",
            self.tenants,
            self.clusters,
            self.monitors,
            per_tier.join(", "),
            self.composites,
            self.edges
        )
    }
}
