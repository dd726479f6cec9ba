//! The configuration as written: project settings, shared clusters, tenants and monitor templates.
//!
//! Template fields stay unevaluated HCL expressions; [`crate::compile`] evaluates them per instance.

use std::ops::Range;

use crate::diagnostic::{SourceMap, Span, Spanned};

/// Everything read from `monc.hcl`, `tenants/` and `monitors/`.
#[derive(Debug, Default)]
pub struct Model {
    pub project: Project,
    pub clusters: Vec<Cluster>,
    pub tenants: Vec<Tenant>,
    pub templates: Vec<Template>,
    pub sources: SourceMap,
}

/// Project-wide settings from the optional `monc.hcl`.
#[derive(Debug, Clone)]
pub struct Project {
    /// Ordered tiers, most fundamental first: a monitor may only be suppressed by a lower tier.
    pub tiers: Vec<String>,
    /// `key:value` tag that marks a monitor as owned by monc.
    pub owner_tag: String,
    /// Tag key under which each monitor's stable key is stored.
    pub key_tag: String,
    pub default_tags: Vec<String>,
    /// Handles paged by monitors that run once (platform-wide) and set no `notify`.
    pub notify: Vec<String>,
    pub site: Option<String>,
}

impl Default for Project {
    fn default() -> Self {
        Project {
            tiers: ["L0", "L2", "L3"].map(String::from).to_vec(),
            owner_tag: "managed-by:monc".into(),
            key_tag: "monc-key".into(),
            default_tags: Vec::new(),
            notify: Vec::new(),
            site: None,
        }
    }
}

impl Project {
    pub fn tier_index(&self, tier: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t == tier)
    }
}

/// A piece of shared infrastructure (cluster, load balancer, database) that many tenants sit on.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: Spanned<String>,
    /// All attributes, evaluated, as the `cluster` object templates see (`cluster.name`, `cluster.vars.x`).
    pub value: hcl::Value,
    pub notify: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub name: Spanned<String>,
    pub cluster: Spanned<String>,
    /// All attributes, evaluated, as the `tenant` object templates see.
    pub value: hcl::Value,
    pub notify: Vec<String>,
}

/// How many concrete monitors one template stamps out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOut {
    Once,
    PerCluster,
    PerTenant,
}

impl FanOut {
    /// The collection name used after `for_each =`.
    pub fn describe(self) -> &'static str {
        match self {
            FanOut::Once => "a single monitor",
            FanOut::PerCluster => "one monitor per cluster",
            FanOut::PerTenant => "one monitor per tenant",
        }
    }
}

/// A template attribute kept unevaluated, with the span of its value.
#[derive(Debug, Clone)]
pub struct Field {
    pub expr: hcl::Expression,
    pub span: Span,
    /// True when the value is a plain literal with no `${...}`, so offsets inside it map 1:1 to the file.
    pub is_literal: bool,
}

impl Field {
    /// Maps a byte range of this field's evaluated string back into the file: exactly when the
    /// text at that range appears once in the field's source, otherwise the whole field.
    pub fn span_within(&self, sources: &SourceMap, evaluated: &str, range: Range<usize>) -> Span {
        let source = sources.text(&self.span);
        let start = self.span.range.start;
        let fragment = evaluated.get(range.clone()).unwrap_or_default();
        if !fragment.is_empty() && source.matches(fragment).count() == 1 {
            let offset = source.find(fragment).unwrap_or(0);
            return Span::new(
                self.span.file,
                start + offset..start + offset + fragment.len(),
            );
        }
        if self.is_literal && evaluated.len() + 2 == source.len() {
            // A quoted literal without escapes: offsets are shifted by the opening quote.
            let mapped = start + 1 + range.start..start + 1 + range.end;
            return Span::new(self.span.file, mapped);
        }
        self.span.clone()
    }
}

/// `monitor.<template>` or `monitor.<template>[<index>]` in `suppressed_by`.
#[derive(Debug, Clone)]
pub struct Reference {
    pub template: Spanned<String>,
    pub index: Option<Field>,
    pub span: Span,
}

/// A `monitor "name" { ... }` block.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: Spanned<String>,
    pub tier: Spanned<usize>,
    pub fan_out: Spanned<FanOut>,
    pub monitor_type: Spanned<String>,
    pub display_name: Field,
    pub query: Field,
    pub message: Option<Field>,
    pub thresholds: Option<Field>,
    pub options: Option<Field>,
    pub tags: Option<Field>,
    pub priority: Option<Field>,
    pub notify: Option<Field>,
    pub suppressed_by: Vec<Reference>,
    pub suppressed_by_span: Option<Span>,
}

impl Template {
    pub fn is_composite(&self) -> bool {
        self.monitor_type.value == "composite"
    }
}
