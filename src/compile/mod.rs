//! Stamping templates out into concrete monitors: once, per cluster or per tenant. Each monitor
//! keeps its parsed query (metric or composite), and what follows from it (the critical threshold).
//!
//! Here: the compiled types, what fans out to which instances, and the shared state
//! ([`Compiler`]). `batches` runs instances on all threads, `monitor` stamps one instance out,
//! `references` resolves the monitors it names, `evaluation` evaluates its fields and explains
//! an evaluation that fails.

mod batches;
mod evaluation;
mod monitor;
mod references;

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use hcl::Value;
use hcl::eval::Context;
use serde_json::Map as JsonMap;

use crate::diagnostic::{Diagnostics, Note, Span};
use crate::eval::{Vars, base_context_in};
use crate::model::{FanOut, Model, MonitorBody, MonitorKey, Template};
use crate::query::{CompositeExpr, MetricQuery, MonitorQuery};
use batches::in_batches;
use evaluation::InstanceKeys;

/// Which cluster, tenant or `for_each` key a monitor was stamped out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Instance {
    Once,
    Cluster(usize),
    Tenant(usize),
    /// Element `.1` of the `for_each` map or set of template `.0` ([`Template::each`]).
    Each(usize, usize),
}

impl Instance {
    /// The tenant, cluster or `for_each` key in the monitor's key; `None` for a single monitor.
    pub fn name(self, model: &Model) -> Option<&str> {
        match self {
            Instance::Once => None,
            Instance::Cluster(c) => Some(&model.clusters[c].name.value),
            Instance::Tenant(t) => Some(&model.tenants[t].name.value),
            Instance::Each(template, i) => Some(&model.templates[template].each[i].key),
        }
    }
}

/// A concrete Datadog monitor, before ownership tags and composite wiring.
#[derive(Debug, Clone)]
pub struct CompiledMonitor {
    /// Stable identity, e.g. `l3/api_error_rate/acme`; ties the definition to its live monitor.
    pub key: MonitorKey,
    pub template: usize,
    pub instance: Instance,
    pub tier: usize,
    /// Its name, type, query, message, tags, options (with `thresholds` folded in) and
    /// priority, as written.
    pub body: MonitorBody,
    /// Handles (`@slack-x`) to page; they go on whichever monitor pages.
    pub notify: Vec<String>,
    pub suppressed_by: Vec<ResolvedRef>,
    /// The name and message of the composite monc generates for it, when the template sets
    /// `composite = { ... }`; otherwise the composite uses the monitor's own.
    pub composite_text: CompositeText,
    /// When the template sets `raw = { ... }`: the name and message of the monitor itself when
    /// it pages through a composite (each left out keeps the monitor's own; `raw = {}` keeps
    /// both). Without it: `<name> (raw)` and a note saying where it pages.
    /// Boxed, as `composite`: most monitors have none, and every one holds the field (issue 26).
    pub raw_text: Option<Box<CompositeText>>,
    /// For a `composite` template: its query parsed, every `monitor.<name>[...]` resolved to an
    /// [`Operand::Key`]; numeric IDs are kept as written. `None` for other monitor types.
    pub composite: Option<Box<CompositeExpr>>,
    /// Its query parsed, for the types monc reads (metric, service check, searches, formulas).
    /// `None` for other types, and for a query that does not parse (reported as
    /// `monc::query-syntax`) or does not fit the type (`monc::query-type`).
    pub parsed: Option<MonitorQuery>,
}

impl CompiledMonitor {
    /// The handles its notification pages: `notify`, and those the message it pages with
    /// mentions (the generated composite's `composite.message` when it is suppressed).
    /// Datadog notifies every handle in the text, so a handle left there pages too.
    pub fn pages(&self) -> Vec<String> {
        let message = match &self.composite_text.message {
            Some(own) if !self.suppressed_by.is_empty() => own,
            _ => &self.body.message,
        };
        crate::handles::paged_by(&self.notify, message)
    }

    /// The parsed query of a metric monitor.
    pub fn metric(&self) -> Option<&MetricQuery> {
        self.parsed.as_ref().and_then(MonitorQuery::metric)
    }
}

/// `composite = { name = "...", message = "..." }` of a template, evaluated.
#[derive(Debug, Clone, Default)]
pub struct CompositeText {
    pub name: Option<String>,
    pub message: Option<String>,
    /// `composite = { options = { ... } }`: the generated composite's own options, instead of
    /// the few it copies from its monitor (an adopted composite keeps what it had).
    /// Boxed: rarely written, and every monitor holds two `CompositeText`s (issue 26).
    pub options: Option<Box<JsonMap<String, serde_json::Value>>>,
}

/// A `suppressed_by` entry resolved to the key of one concrete monitor.
#[derive(Debug, Clone)]
pub struct ResolvedRef {
    /// Shared with every other reference to the same monitor (see [`Compiler::suppressor_key`]).
    pub key: MonitorKey,
    pub span: Span,
}

#[derive(Debug, Default)]
pub struct Compiled {
    pub monitors: Vec<CompiledMonitor>,
    /// What `validate --verbose` tells: suppressions left out because their monitor is disabled.
    pub notes: Vec<Note>,
}

/// Why an instance of a template is not stamped out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// `enabled` is false for it.
    Disabled,
    /// `enabled` could not be evaluated (reported).
    Broken,
}

/// Compiles every template for every instance it fans out to, leaving out the disabled ones.
/// Instances are compiled on all threads (`RAYON_NUM_THREADS` sets how many); what they give
/// and report is gathered in their order, so that the result is the same on any number.
pub fn compile(model: &Model, diagnostics: &mut Diagnostics) -> Compiled {
    let mut compiler = Compiler::new(model);
    compiler.skipped = skipped_instances(&compiler, diagnostics);
    compiler.suppressor_keys = suppressor_keys(&compiler);
    let work: Vec<(usize, Instance)> = compiler
        .all_instances(|_| true)
        .filter(|key| !compiler.skipped.contains_key(key))
        .collect();
    let (monitors, reports) = in_batches(&compiler, &work, |scope| scope.compile());
    #[expect(
        clippy::filter_map_identity,
        reason = "std collects `filter_map` in place (an Option of a monitor is a monitor's size), \
                  not `flatten`: 200 k monitors are not held twice"
    )]
    let monitors = monitors.into_iter().filter_map(|monitor| monitor).collect();
    let mut compiled = Compiled {
        monitors,
        notes: Vec::new(),
    };
    for batch in reports {
        compiled.notes.extend(batch.notes);
        diagnostics.append(batch.diagnostics);
    }
    compiled
}

/// The keys of every instance of the templates some `suppressed_by` names.
fn suppressor_keys(compiler: &Compiler) -> HashMap<(usize, Instance), MonitorKey> {
    let named: HashSet<&str> = compiler
        .model
        .templates
        .iter()
        .flat_map(|template| &template.suppressed_by)
        .map(|reference| reference.template.value.as_str())
        .collect();
    compiler
        .all_instances(|template| named.contains(template.name.value.as_str()))
        .map(|(template, instance)| {
            let key = compiler.monitor_key(&compiler.model.templates[template], instance);
            ((template, instance), key)
        })
        .collect()
}

/// Evaluates `enabled` of every instance of the templates that have one: the instances it turns
/// off (or cannot be evaluated for) are not compiled, and references to them are resolved
/// knowing that.
fn skipped_instances(
    compiler: &Compiler,
    diagnostics: &mut Diagnostics,
) -> HashMap<(usize, Instance), Skip> {
    let work: Vec<(usize, Instance)> = compiler
        .all_instances(|template| template.enabled.is_some())
        .collect();
    let enabled = |scope: &mut InstanceScope| {
        let template = scope.template;
        match &template.enabled {
            Some(field) => scope.enabled(field),
            None => Some(true),
        }
    };
    let (results, reports) = in_batches(compiler, &work, enabled);
    for batch in reports {
        diagnostics.append(batch.diagnostics);
    }
    let mut skipped = HashMap::new();
    for (key, enabled) in work.into_iter().zip(results) {
        match enabled {
            Some(true) => {}
            Some(false) => {
                skipped.insert(key, Skip::Disabled);
            }
            None => {
                skipped.insert(key, Skip::Broken);
            }
        }
    }
    skipped
}

struct Compiler<'m> {
    model: &'m Model,
    /// The context of a monitor made once: the functions and `local`.
    once: Context<'static>,
    /// `local`, as `once` declares it.
    local: Value,
    /// The context of each cluster: `once` with `cluster` added.
    clusters: Vec<Context<'static>>,
    templates_by_name: HashMap<&'m str, usize>,
    clusters_by_name: HashMap<&'m str, usize>,
    tenants_by_name: HashMap<&'m str, usize>,
    /// For each template, the index of each key of its `for_each` map or set (empty for the
    /// other fan-outs).
    each_by_key: Vec<HashMap<&'m str, usize>>,
    /// The `cluster` object of each cluster, with the names of its tenants added.
    cluster_values: Vec<Value>,
    skipped: HashMap<(usize, Instance), Skip>,
    /// The keys of the tenants and clusters, counted on the first evaluation error that needs
    /// them: scanning every tenant for each error made a var missing in all of them quadratic.
    instance_keys: OnceLock<InstanceKeys>,
    /// The key of each instance of the templates `suppressed_by` names, made once: every
    /// reference to it shares the text (issue 26: 100,000 tenants' monitors name the same few
    /// hundred cluster monitors three times each).
    suppressor_keys: HashMap<(usize, Instance), MonitorKey>,
}

impl<'m> Compiler<'m> {
    fn new(model: &'m Model) -> Compiler<'m> {
        let templates_by_name = model
            .templates
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.value.as_str(), i))
            .collect();
        let mut once = base_context_in(&model.root);
        let local = model.locals.value();
        once.declare_var("local", local.clone());
        let cluster_values = cluster_values(model);
        let clusters = cluster_values
            .iter()
            .map(|value| {
                let mut ctx = once.clone();
                ctx.declare_var("cluster", value.clone());
                ctx
            })
            .collect();
        Compiler {
            model,
            once,
            local,
            clusters,
            templates_by_name,
            clusters_by_name: first_index_by_name(model.clusters.iter().map(|c| &c.name.value)),
            tenants_by_name: first_index_by_name(model.tenants.iter().map(|t| &t.name.value)),
            each_by_key: model
                .templates
                .iter()
                .map(|t| first_index_by_name(t.each.iter().map(|e| &e.key)))
                .collect(),
            cluster_values,
            skipped: HashMap::new(),
            instance_keys: OnceLock::new(),
            suppressor_keys: HashMap::new(),
        }
    }

    fn instance_keys(&self) -> &InstanceKeys {
        self.instance_keys
            .get_or_init(|| InstanceKeys::new(self.model, &self.cluster_values))
    }

    /// Every (template, instance) of the templates `wanted`, in template order.
    fn all_instances(
        &self,
        wanted: impl Fn(&Template) -> bool,
    ) -> impl Iterator<Item = (usize, Instance)> {
        let templates = self.model.templates.iter().enumerate();
        templates
            .filter(move |(_, template)| wanted(template))
            .flat_map(|(index, _)| {
                let instances = self.instances(index);
                instances.into_iter().map(move |instance| (index, instance))
            })
    }

    fn instances(&self, template: usize) -> Vec<Instance> {
        match self.model.templates[template].fan_out.value {
            FanOut::Once => vec![Instance::Once],
            FanOut::PerCluster => (0..self.model.clusters.len())
                .map(Instance::Cluster)
                .collect(),
            FanOut::PerTenant => (0..self.model.tenants.len())
                .map(Instance::Tenant)
                .collect(),
            FanOut::PerKey => (0..self.model.templates[template].each.len())
                .map(|i| Instance::Each(template, i))
                .collect(),
        }
    }

    /// The variables `ctx` of `instance` declares, for [`eval::Prepared`].
    fn vars(&self, instance: Instance) -> Vars<'_> {
        let (tenant, cluster) = match instance {
            Instance::Once => (None, None),
            Instance::Cluster(c) => (None, Some(&self.cluster_values[c])),
            Instance::Tenant(t) => (
                Some(&self.model.tenants[t].value),
                self.cluster_of_tenant(t).map(|c| &self.cluster_values[c]),
            ),
            // `each` is not one of them: an expression using it takes the evaluator's path.
            Instance::Each(..) => (None, None),
        };
        Vars {
            names: [
                ("tenant", tenant),
                ("cluster", cluster),
                ("local", Some(&self.local)),
            ],
        }
    }

    fn cluster_of_tenant(&self, tenant: usize) -> Option<usize> {
        let name = &self.model.tenants[tenant].cluster.value;
        self.clusters_by_name.get(name.as_str()).copied()
    }

    /// `l3/api_error_rate/acme`, `l2/alb_5xx/prod-tokyo-1`, `l0/region_health`.
    fn key(&self, template: &Template, instance: Instance) -> String {
        self.monitor_key(template, instance).into()
    }

    /// The key of a monitor `suppressed_by` names, shared when made already.
    fn suppressor_key(&self, template: &Template, instance: Instance) -> MonitorKey {
        let index = self.templates_by_name[template.name.value.as_str()];
        match self.suppressor_keys.get(&(index, instance)) {
            Some(key) => key.clone(),
            None => self.monitor_key(template, instance),
        }
    }

    fn monitor_key(&self, template: &Template, instance: Instance) -> MonitorKey {
        let tier = &self.model.project.tiers[template.tier.value];
        MonitorKey::new(tier, &template.name.value, self.instance_name(instance))
    }

    fn instance_name(&self, instance: Instance) -> Option<&str> {
        instance.name(self.model)
    }
}

/// Index of the first of each name (a duplicate is reported by the loader).
fn first_index_by_name<'m>(names: impl Iterator<Item = &'m String>) -> HashMap<&'m str, usize> {
    let mut map = HashMap::new();
    for (index, name) in names.enumerate() {
        map.entry(name.as_str()).or_insert(index);
    }
    map
}

fn cluster_values(model: &Model) -> Vec<Value> {
    let mut tenants: HashMap<&str, Vec<Value>> = HashMap::new();
    for tenant in &model.tenants {
        tenants
            .entry(tenant.cluster.value.as_str())
            .or_default()
            .push(Value::from(tenant.name.value.clone()));
    }
    model
        .clusters
        .iter()
        .map(|cluster| {
            let names = tenants
                .remove(cluster.name.value.as_str())
                .unwrap_or_default();
            let mut value = cluster.value.clone();
            if let Value::Object(object) = &mut value {
                object.insert("tenants".into(), Value::Array(names));
            }
            value
        })
        .collect()
}

/// Compiles one template for one instance, reporting problems as it goes.
struct InstanceScope<'c, 'm, 'd> {
    compiler: &'c Compiler<'m>,
    template: &'m Template,
    instance: Instance,
    ctx: &'c Context<'static>,
    /// The variables `ctx` declares, borrowed.
    vars: Vars<'c>,
    diagnostics: &'d mut Diagnostics,
    /// Where notes go (suppressions left out); `None` while only `enabled` is evaluated.
    notes: Option<&'d mut Vec<Note>>,
    failed: bool,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::load::{LoadOptions, load};

    fn compile_reference_setup() -> Vec<CompiledMonitor> {
        let options = LoadOptions::in_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
        let (model, mut diagnostics) = load(&options).expect("the reference setup loads");
        compile(&model, &mut diagnostics).monitors
    }

    #[test]
    fn a_metric_monitor_keeps_its_parsed_query_and_takes_critical_from_it() {
        let monitors = compile_reference_setup();
        // `ecs_cpu` sets no thresholds: its critical threshold is the query's `> 85`.
        let ecs = monitors
            .iter()
            .find(|m| m.key == "l2/ecs_cpu/prod-tokyo-1")
            .expect("compiled");
        assert_eq!(ecs.metric().map(|q| q.threshold), Some(85.0));
        assert_eq!(
            ecs.body.options["thresholds"]["critical"],
            serde_json::json!(85.0)
        );
    }
}
