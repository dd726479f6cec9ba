//! The emit stage: the final list of monitors the org should hold, as Datadog will store them,
//! built once from the checked graph. Everything monc generates is decided here: the ` (raw)`
//! name and the "Pages through" line of a monitor that pages through a composite, the
//! `Notify:` line, the ownership tags, and the composites with the options they copy from their
//! monitor. [`crate::plan`] only compares these bodies with the live ones.

use serde_json::Map as JsonMap;

use crate::compile::{CompiledMonitor, Instance};
use crate::graph::{Composite, MonitorGraph};
use crate::model::{COMPOSITE_TYPE, Model, MonitorBody, MonitorKey};
use crate::query::{CompositeExpr, Operand};

/// A monitor as monc wants it in Datadog: its key and its body (the message without the
/// ownership marker, which sync adds when it writes).
#[derive(Debug, Clone, PartialEq)]
pub struct EmittedMonitor {
    pub key: MonitorKey,
    pub body: MonitorBody<Query>,
    pub tier: String,
    pub tenant: Option<String>,
    pub cluster: Option<String>,
    /// The keys, without their tier, this monitor may have had before `moved` blocks renamed
    /// it, nearest first: the live monitor of the first one found becomes this one (see
    /// [`crate::moved`]).
    pub moved_from: Vec<String>,
}

/// A query, with composites written over monitor keys until the IDs are known.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Plain(String),
    Composite {
        target: MonitorKey,
        suppressors: Vec<MonitorKey>,
    },
    /// A composite written by hand, its monitor references resolved to keys
    /// ([`Operand::Key`]); numeric IDs stay as written.
    Expr(CompositeExpr),
}

impl Query {
    /// The query text, naming each composite constituent with `name(key)`.
    pub fn render(&self, name: impl Fn(&str) -> String) -> String {
        self.render_with(&name, &|id| id.to_string())
    }

    /// The query text, naming keys with `name(key)` and numeric IDs with `id(id)`.
    pub fn render_with(&self, name: &dyn Fn(&str) -> String, id: &dyn Fn(u64) -> String) -> String {
        let operand = |operand: &Operand| match operand {
            Operand::Key(key) => name(key),
            Operand::Id(n) => id(*n),
            // Resolved when compiled; kept readable should one ever get here.
            Operand::Ref { template, .. } => format!("monitor.{template}"),
        };
        match self {
            Query::Plain(q) => q.clone(),
            Query::Expr(expr) => expr.render(&operand),
            Query::Composite {
                target,
                suppressors,
            } => {
                let key = |key: &MonitorKey| Operand::Key(key.to_string());
                CompositeExpr::suppression(key(target), suppressors.iter().map(key))
                    .render(&operand)
            }
        }
    }

    /// Keys this query needs to exist first.
    pub fn dependencies(&self) -> Vec<&str> {
        match self {
            Query::Expr(expr) => {
                let mut keys: Vec<&str> = Vec::new();
                for (operand, _) in expr.operands() {
                    if let Operand::Key(key) = operand
                        && !keys.contains(&key.as_str())
                    {
                        keys.push(key);
                    }
                }
                keys
            }
            Query::Plain(_) => vec![],
            Query::Composite {
                target,
                suppressors,
            } => std::iter::once(target.as_str())
                .chain(suppressors.iter().map(MonitorKey::as_str))
                .collect(),
        }
    }
}

impl Default for Query {
    fn default() -> Query {
        Query::Plain(String::new())
    }
}

impl EmittedMonitor {
    pub fn is_composite(&self) -> bool {
        matches!(self.body.query, Query::Composite { .. } | Query::Expr(_))
    }
}

/// Every monitor of the project, raw monitors before the composites built on them.
pub fn emit(model: &Model, graph: &MonitorGraph) -> Vec<EmittedMonitor> {
    let mut emitted: Vec<EmittedMonitor> = graph
        .monitors
        .iter()
        .enumerate()
        .map(|(i, m)| raw_monitor(model, m, graph.pager_of(i)))
        .collect();
    for composite in &graph.composites {
        emitted.push(composite_monitor(model, &graph.monitors, composite));
    }
    emitted
}

/// A monitor as written; one that pages through a composite (generated, or a `page`) carries
/// no handles and says where to look.
fn raw_monitor(model: &Model, monitor: &CompiledMonitor, pager: Option<&str>) -> EmittedMonitor {
    let (name, message) = if let Some(pager) = pager {
        let note =
            format!("Pages through `{pager}`, which is silent while a lower-tier monitor alerts.");
        match &monitor.raw_text {
            Some(own) => (
                own.name
                    .clone()
                    .unwrap_or_else(|| monitor.body.name.clone()),
                own.message
                    .clone()
                    .unwrap_or_else(|| monitor.body.message.trim_end().to_string()),
            ),
            None => (
                format!("{} (raw)", monitor.body.name),
                join_paragraphs(&monitor.body.message, &note),
            ),
        }
    } else {
        (
            monitor.body.name.clone(),
            with_handles(&monitor.body.message, &monitor.notify),
        )
    };
    let written = monitor
        .body
        .clone()
        .map_query(|query| match &monitor.composite {
            Some(expr) => Query::Expr(CompositeExpr::clone(expr)),
            None => Query::Plain(query),
        });
    EmittedMonitor {
        key: monitor.key.clone(),
        body: MonitorBody {
            name,
            message,
            tags: ownership_tags(model, monitor, &monitor.key),
            ..written
        },
        tier: model.project.tiers[monitor.tier].clone(),
        tenant: tenant_name(model, monitor.instance),
        cluster: cluster_name(model, monitor.instance),
        moved_from: moved_from(model, monitor),
    }
}

fn composite_monitor(
    model: &Model,
    monitors: &[CompiledMonitor],
    composite: &Composite,
) -> EmittedMonitor {
    let target = &monitors[composite.target];
    let suppressors: Vec<MonitorKey> = composite
        .suppressors
        .iter()
        .map(|&s| monitors[s].key.clone())
        .collect();
    let mut options = JsonMap::new();
    for key in [
        "renotify_interval",
        "escalation_message",
        "notify_no_data",
        "include_tags",
    ] {
        if let Some(value) = target.body.options.get(key) {
            options.insert(key.into(), value.clone());
        }
    }
    if let Some(own) = &target.composite_text.options {
        options = JsonMap::clone(own);
    }
    EmittedMonitor {
        key: composite.key.clone(),
        body: MonitorBody {
            name: target
                .composite_text
                .name
                .clone()
                .unwrap_or_else(|| target.body.name.clone()),
            monitor_type: COMPOSITE_TYPE.into(),
            query: Query::Composite {
                target: target.key.clone(),
                suppressors,
            },
            message: with_handles(
                target
                    .composite_text
                    .message
                    .as_deref()
                    .unwrap_or(&target.body.message),
                &target.notify,
            ),
            tags: ownership_tags(model, target, &composite.key),
            options,
            priority: target.body.priority,
        },
        tier: model.project.tiers[target.tier].clone(),
        tenant: tenant_name(model, target.instance),
        cluster: cluster_name(model, target.instance),
        moved_from: moved_from(model, target)
            .into_iter()
            .map(|old| MonitorKey::from(old.as_str()).composite().into())
            .collect(),
    }
}

/// The keys (without tier) `monitor` may have had before `moved` blocks renamed it.
fn moved_from(model: &Model, monitor: &CompiledMonitor) -> Vec<String> {
    let template = &model.templates[monitor.template].name.value;
    let instance = monitor.instance.name(model);
    crate::moved::previous_keys(model, template, instance)
}

fn ownership_tags(model: &Model, monitor: &CompiledMonitor, key: &str) -> Vec<String> {
    let mut tags = monitor.body.tags.clone();
    tags.push(model.project.owner_tag.clone());
    tags.push(format!("{}:{key}", model.project.key_tag));
    if let Some(name) = &model.project.name {
        tags.push(format!("{}:{name}", crate::model::PROJECT_TAG_KEY));
    }
    tags.sort();
    tags.dedup();
    tags
}

/// The message with a `Notify:` line for the handles it does not mention already (Datadog
/// notifies a handle once however often it is named).
fn with_handles(message: &str, handles: &[String]) -> String {
    let missing = crate::handles::not_in_message(message, handles);
    if missing.is_empty() {
        return message.trim_end().to_string();
    }
    let missing: Vec<&str> = missing.iter().map(|h| h.as_str()).collect();
    join_paragraphs(message, &format!("Notify: {}", missing.join(" ")))
}

fn join_paragraphs(first: &str, second: &str) -> String {
    let first = first.trim_end();
    if first.is_empty() {
        second.to_string()
    } else {
        format!("{first}\n\n{second}")
    }
}

fn tenant_name(model: &Model, instance: Instance) -> Option<String> {
    match instance {
        Instance::Tenant(t) => Some(model.tenants[t].name.value.clone()),
        _ => None,
    }
}

fn cluster_name(model: &Model, instance: Instance) -> Option<String> {
    match instance {
        Instance::Tenant(t) => Some(model.tenants[t].cluster.value.clone()),
        Instance::Cluster(c) => Some(model.clusters[c].name.value.clone()),
        Instance::Once | Instance::Each(..) => None,
    }
}
