//! Stamping templates out into concrete monitors: once, per cluster or per tenant. Each monitor
//! keeps its parsed query (metric or composite), and what follows from it (the critical threshold).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use hcl::Value;
use hcl::eval::Context;
use rayon::prelude::*;
use serde_json::Map as JsonMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Note, Span, join_help, suggestion_help};
use crate::eval::describe_value;
use crate::eval::{self, EvalFailure, Missing, Vars, base_context_in};
use crate::model::{FanOut, Field, KNOWN_THRESHOLDS, Model, MonitorKey, Reference, Template};
use crate::query::{
    CompositeExpr, Condition, MetricQuery, MonitorQuery, Operand, QueryError, example_query,
    parse_composite_query, parse_monitor_query, unparenthesized_mix,
};

/// Which cluster or tenant a monitor was stamped out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Instance {
    Once,
    Cluster(usize),
    Tenant(usize),
}

/// A concrete Datadog monitor, before ownership tags and composite wiring.
#[derive(Debug, Clone)]
pub struct CompiledMonitor {
    /// Stable identity, e.g. `l3/api_error_rate/acme`; ties the definition to its live monitor.
    pub key: String,
    pub template: usize,
    pub instance: Instance,
    pub tier: usize,
    pub name: String,
    pub monitor_type: String,
    pub query: String,
    pub message: String,
    pub tags: Vec<String>,
    /// `options` as written, with `thresholds` folded in.
    pub options: JsonMap<String, serde_json::Value>,
    pub priority: Option<i64>,
    /// Handles (`@slack-x`) to page; they go on whichever monitor pages.
    pub notify: Vec<String>,
    pub suppressed_by: Vec<ResolvedRef>,
    /// The name and message of the composite monc generates for it, when the template sets
    /// `composite = { ... }`; otherwise the composite uses the monitor's own.
    pub composite_text: CompositeText,
    /// When the template sets `raw = { ... }`: the name and message of the monitor itself when
    /// it pages through a composite (each left out keeps the monitor's own; `raw = {}` keeps
    /// both). Without it: `<name> (raw)` and a note saying where it pages.
    pub raw_text: Option<CompositeText>,
    /// For a `composite` template: its query parsed, every `monitor.<name>[...]` resolved to an
    /// [`Operand::Key`]; numeric IDs are kept as written. `None` for other monitor types.
    pub composite: Option<CompositeExpr>,
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
            _ => &self.message,
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
    pub options: Option<JsonMap<String, serde_json::Value>>,
}

/// A `suppressed_by` entry resolved to the key of one concrete monitor.
#[derive(Debug, Clone)]
pub struct ResolvedRef {
    pub key: String,
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
    let work: Vec<(usize, Instance)> = compiler
        .all_instances(|_| true)
        .filter(|key| !compiler.skipped.contains_key(key))
        .collect();
    let mut compiled = Compiled::default();
    for batch in in_batches(&compiler, &work, |scope| scope.compile()) {
        compiled
            .monitors
            .extend(batch.results.into_iter().flatten());
        compiled.notes.extend(batch.notes);
        diagnostics.append(batch.diagnostics);
    }
    compiled
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
    let mut skipped = HashMap::new();
    let mut keys = work.iter();
    for batch in in_batches(compiler, &work, enabled) {
        diagnostics.append(batch.diagnostics);
        // Results first: `zip` asks its first iterator first, so no key is taken past them.
        for (enabled, key) in batch.results.into_iter().zip(keys.by_ref()) {
            match enabled {
                Some(true) => {}
                Some(false) => {
                    skipped.insert(*key, Skip::Disabled);
                }
                None => {
                    skipped.insert(*key, Skip::Broken);
                }
            }
        }
    }
    skipped
}

/// Fewest instances in one batch: below this, a batch's own contexts cost more than the
/// threads gain.
const MIN_BATCH: usize = 64;

/// What one batch of instances gave, and what they reported, in their order.
struct Batch<T> {
    results: Vec<T>,
    diagnostics: Diagnostics,
    notes: Vec<Note>,
}

/// Runs `job` for each (template, instance) of `work`, in batches spread over the threads;
/// the batches come back in the order of `work`.
fn in_batches<T: Send>(
    compiler: &Compiler,
    work: &[(usize, Instance)],
    job: impl Fn(&mut InstanceScope) -> T + Sync,
) -> Vec<Batch<T>> {
    let size = work
        .len()
        .div_ceil(4 * rayon::current_num_threads())
        .max(MIN_BATCH);
    work.par_chunks(size)
        .map(|chunk| {
            let mut contexts = Contexts::new(compiler);
            let mut batch = Batch {
                results: Vec::with_capacity(chunk.len()),
                diagnostics: Diagnostics::default(),
                notes: Vec::new(),
            };
            for &(index, instance) in chunk {
                let ctx = contexts.for_instance(instance);
                let mut scope =
                    InstanceScope::new(compiler, index, instance, ctx, &mut batch.diagnostics);
                scope.notes = Some(&mut batch.notes);
                batch.results.push(job(&mut scope));
            }
            batch
        })
        .collect()
}

/// The evaluation context of every instance. Those of the project and of each cluster are
/// built once and shared ([`Compiler`]); a tenant's is its cluster's with `tenant` replaced, in
/// a copy each batch makes of the clusters it meets, so that no context is copied per tenant.
/// (Copying one per tenant copied the cluster's list of tenant names each time: quadratic in
/// tenants per cluster.)
struct Contexts<'c, 'm> {
    compiler: &'c Compiler<'m>,
    tenants_of_cluster: Vec<Option<Context<'static>>>,
    /// For a tenant on an unknown cluster (reported by the loader).
    tenants_without_cluster: Option<Context<'static>>,
}

impl<'c, 'm> Contexts<'c, 'm> {
    fn new(compiler: &'c Compiler<'m>) -> Contexts<'c, 'm> {
        Contexts {
            compiler,
            tenants_of_cluster: compiler.clusters.iter().map(|_| None).collect(),
            tenants_without_cluster: None,
        }
    }

    fn for_instance(&mut self, instance: Instance) -> &Context<'static> {
        let compiler = self.compiler;
        match instance {
            Instance::Once => &compiler.once,
            Instance::Cluster(c) => &compiler.clusters[c],
            Instance::Tenant(t) => {
                let ctx = match compiler.cluster_of_tenant(t) {
                    Some(c) => self.tenants_of_cluster[c]
                        .get_or_insert_with(|| compiler.clusters[c].clone()),
                    None => self
                        .tenants_without_cluster
                        .get_or_insert_with(|| compiler.once.clone()),
                };
                ctx.declare_var("tenant", compiler.model.tenants[t].value.clone());
                ctx
            }
        }
    }
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
    /// The `cluster` object of each cluster, with the names of its tenants added.
    cluster_values: Vec<Value>,
    skipped: HashMap<(usize, Instance), Skip>,
    /// The keys of the tenants and clusters, counted on the first evaluation error that needs
    /// them: scanning every tenant for each error made a var missing in all of them quadratic.
    instance_keys: OnceLock<InstanceKeys>,
}

/// Which keys the `tenant`/`cluster` objects have, for the diagnostics of a missing one.
struct InstanceKeys {
    /// How many tenants have each key, directly or in their `vars`.
    tenants: HashMap<String, usize>,
    /// The same for clusters.
    clusters: HashMap<String, usize>,
    /// Every key of the `tenant`/`cluster` objects and their nested objects, sorted.
    known: Vec<String>,
}

impl InstanceKeys {
    fn new(model: &Model, cluster_values: &[Value]) -> InstanceKeys {
        let mut known: Vec<String> = model
            .tenants
            .iter()
            .map(|t| &t.value)
            .chain(cluster_values)
            .flat_map(nested_keys)
            .collect::<HashSet<&String>>()
            .into_iter()
            .cloned()
            .collect();
        known.sort();
        InstanceKeys {
            tenants: count_keys(model.tenants.iter().map(|t| &t.value)),
            clusters: count_keys(model.clusters.iter().map(|c| &c.value)),
            known,
        }
    }
}

/// The keys of an object and of the objects it holds.
fn nested_keys(value: &Value) -> Vec<&String> {
    let Value::Object(object) = value else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for (k, v) in object {
        keys.push(k);
        if let Value::Object(inner) = v {
            keys.extend(inner.keys());
        }
    }
    keys
}

/// How many of `values` have each key, directly or in their `vars`.
fn count_keys<'v>(values: impl Iterator<Item = &'v Value>) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for value in values {
        let Value::Object(object) = value else {
            continue;
        };
        let mut own: HashSet<&String> = object.keys().collect();
        if let Some(Value::Object(vars)) = object.get("vars") {
            own.extend(vars.keys());
        }
        for key in own {
            *counts.entry(key.clone()).or_default() += 1;
        }
    }
    counts
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
            cluster_values,
            skipped: HashMap::new(),
            instance_keys: OnceLock::new(),
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
            .flat_map(|(index, template)| {
                let instances = self.instances(template.fan_out.value);
                instances.into_iter().map(move |instance| (index, instance))
            })
    }

    fn instances(&self, fan_out: FanOut) -> Vec<Instance> {
        match fan_out {
            FanOut::Once => vec![Instance::Once],
            FanOut::PerCluster => (0..self.model.clusters.len())
                .map(Instance::Cluster)
                .collect(),
            FanOut::PerTenant => (0..self.model.tenants.len())
                .map(Instance::Tenant)
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
        let tier = &self.model.project.tiers[template.tier.value];
        MonitorKey::new(tier, &template.name.value, self.instance_name(instance)).into()
    }

    fn instance_name(&self, instance: Instance) -> Option<&str> {
        match instance {
            Instance::Once => None,
            Instance::Cluster(c) => Some(&self.model.clusters[c].name.value),
            Instance::Tenant(t) => Some(&self.model.tenants[t].name.value),
        }
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

/// Datadog requires `thresholds.critical` to equal the number at the end of the query, so
/// leaving it out means "the query's number". A critical threshold that is written is left for
/// [`crate::validate`] to compare.
fn derive_critical_threshold(
    options: &mut JsonMap<String, serde_json::Value>,
    condition: &Condition,
) {
    let thresholds = options
        .entry("thresholds")
        .or_insert_with(|| serde_json::Value::Object(JsonMap::new()));
    let Some(thresholds) = thresholds.as_object_mut() else {
        return; // `options.thresholds` written as something else: left as written
    };
    if thresholds.contains_key("critical") {
        return;
    }
    if let Some(critical) = serde_json::Number::from_f64(condition.threshold) {
        thresholds.insert("critical".into(), critical.into());
    }
}

/// The number a threshold string holds (`"0.10"`, `" 5 "`), as JSON: whole numbers stay whole.
fn number_in(text: &str) -> Option<serde_json::Number> {
    let text = text.trim();
    if let Ok(whole) = text.parse::<i64>() {
        return Some(whole.into());
    }
    text.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .and_then(serde_json::Number::from_f64)
}

/// The `[index]` of a reference: an HCL expression in `suppressed_by`, plain text inside a
/// composite query (already interpolated).
struct Index<'a> {
    span: Span,
    value: IndexValue<'a>,
}

enum IndexValue<'a> {
    Expr(&'a Field),
    Text(&'a str),
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

impl<'c, 'm, 'd> InstanceScope<'c, 'm, 'd> {
    fn new(
        compiler: &'c Compiler<'m>,
        template: usize,
        instance: Instance,
        ctx: &'c Context<'static>,
        diagnostics: &'d mut Diagnostics,
    ) -> Self {
        InstanceScope {
            compiler,
            template: &compiler.model.templates[template],
            instance,
            ctx,
            vars: compiler.vars(instance),
            diagnostics,
            notes: None,
            failed: false,
        }
    }

    /// `enabled` for this instance; `None` when it is not a boolean (reported).
    fn enabled(&mut self, field: &Field) -> Option<bool> {
        match self.value(field, "enabled")? {
            Value::Bool(enabled) => Some(enabled),
            other => {
                self.wrong_type(field, "enabled", "a boolean (true or false)", &other);
                None
            }
        }
    }

    fn compile(&mut self) -> Option<CompiledMonitor> {
        let t = self.template;
        let name = self.string(&t.display_name, "name");
        let query = self.string(&t.query, "query");
        let message = t.message.as_ref().map(|f| self.string(f, "message"));
        let tags = t.tags.as_ref().map(|f| self.strings(f, "tags"));
        let notify = match &t.notify {
            Some(f) => self.strings(f, "notify"),
            None => self.default_notify(),
        };
        let options = self.options();
        let priority = t.priority.as_ref().and_then(|f| self.priority(f));
        let suppressed_by = self.resolve_references();
        let composite_text = self.text_override(t.composite_text.as_ref(), "composite");
        let raw_text = t
            .raw_text
            .is_some()
            .then(|| self.text_override(t.raw_text.as_ref(), "raw"));
        let composite = if t.is_page() {
            // Every member disabled (or failed, reported): nothing to page for.
            Some(self.page_members()?)
        } else {
            t.is_composite()
                .then(|| self.resolve_composite(&query))
                .flatten()
        };
        // A page's query is its members, `a || b`; the graph adds their suppressors.
        let query = match (&composite, t.is_page()) {
            (Some(expr), true) => expr.render(&Operand::to_string),
            _ => query,
        };
        if self.failed {
            return None;
        }
        let key = self.compiler.key(t, self.instance);
        let mut options = options;
        let parsed = self.parse_query(&query, &key);
        if let Some(condition) = parsed.as_ref().and_then(MonitorQuery::condition) {
            derive_critical_threshold(&mut options, &condition);
        }
        Some(CompiledMonitor {
            key,
            template: self.template_index(),
            instance: self.instance,
            tier: t.tier.value,
            name,
            monitor_type: t.monitor_type.value.clone(),
            query,
            message: message.unwrap_or_default(),
            tags: self.all_tags(tags.unwrap_or_default()),
            options,
            priority,
            notify,
            suppressed_by,
            composite_text,
            raw_text,
            composite,
            parsed,
        })
    }

    fn template_index(&self) -> usize {
        self.compiler.templates_by_name[self.template.name.value.as_str()]
    }

    fn default_notify(&self) -> Vec<String> {
        let model = self.compiler.model;
        match self.instance {
            Instance::Once => model.project.notify.clone(),
            Instance::Cluster(c) => model.clusters[c].notify.clone(),
            Instance::Tenant(t) => model.tenants[t].notify.clone(),
        }
    }

    /// Template tags, the project's default tags, and tags that say where the monitor belongs.
    fn all_tags(&self, mut tags: Vec<String>) -> Vec<String> {
        let model = self.compiler.model;
        tags.extend(model.project.default_tags.iter().cloned());
        let tier = &model.project.tiers[self.template.tier.value];
        tags.push(format!("tier:{}", tier.to_lowercase()));
        match self.instance {
            Instance::Once => {}
            Instance::Cluster(c) => tags.push(format!("cluster:{}", model.clusters[c].name.value)),
            Instance::Tenant(t) => {
                let tenant = &model.tenants[t];
                tags.push(format!("tenant:{}", tenant.name.value));
                tags.push(format!("cluster:{}", tenant.cluster.value));
            }
        }
        let mut seen = std::collections::HashSet::new();
        tags.retain(|t| seen.insert(t.clone()));
        tags
    }

    fn options(&mut self) -> JsonMap<String, serde_json::Value> {
        let t = self.template;
        let mut options = match &t.options {
            Some(f) => self.object(f, "options"),
            None => JsonMap::new(),
        };
        if let Some(f) = &t.thresholds {
            let thresholds = self.object(f, "thresholds");
            if options.contains_key("thresholds") {
                self.report(
                    Diagnostic::error(
                        Code::DuplicateThresholds,
                        f.span.clone(),
                        "thresholds are given twice",
                    )
                    .label("here and in `options.thresholds`")
                    .help("keep only the top-level `thresholds = { ... }`"),
                );
            }
            options.insert("thresholds".into(), thresholds.into());
        }
        self.numeric_thresholds(&mut options);
        options
    }

    /// Thresholds written as strings holding numbers (`"0.10"`, as a tenant's variable may
    /// hold them) become numbers, as Terraform's provider sends them: a string would be sent
    /// as a string, and compared with the number Datadog answers. Any other string in a
    /// threshold is an error at that string.
    fn numeric_thresholds(&mut self, options: &mut JsonMap<String, serde_json::Value>) {
        let Some(thresholds) = options
            .get_mut("thresholds")
            .and_then(serde_json::Value::as_object_mut)
        else {
            return;
        };
        let mut refused = Vec::new();
        for (name, value) in thresholds.iter_mut() {
            let serde_json::Value::String(text) = value else {
                continue;
            };
            if !KNOWN_THRESHOLDS.contains(&name.as_str()) {
                continue; // a name Datadog does not document: kept as written, and warned about
            }
            match number_in(text) {
                Some(number) => *value = number.into(),
                None => refused.push((name.clone(), text.clone())),
            }
        }
        for (name, text) in refused {
            let t = self.template;
            let field = t.thresholds.as_ref().or(t.options.as_ref());
            let span = field.map_or(t.name.span.clone(), |f| {
                f.span_within(&self.compiler.model.sources, &text, 0..text.len())
            });
            self.report(
                Diagnostic::error(
                    Code::WrongType,
                    span,
                    format!(
                        "`thresholds.{name}` must be a number, found the string {text:?} in `{}`",
                        self.compiler.key(t, self.instance)
                    ),
                )
                .label("not a number")
                .help(format!("write a number, e.g. `{name} = 90` (a string holding a number, \"90\", is taken as the number)")),
            );
        }
    }

    fn priority(&mut self, field: &Field) -> Option<i64> {
        let value = self.value(field, "priority")?;
        // 1 (critical) to 5 (info) as documented, and 0, which recorded traffic shows Datadog
        // accepting on create and validate (the team's checked facts; no cassette under
        // tests/fixtures holds it): errors only for what Datadog rejects.
        match value.as_i64() {
            Some(p) if (0..=5).contains(&p) => Some(p),
            _ => {
                self.report(
                    Diagnostic::error(
                        Code::WrongType,
                        field.span.clone(),
                        "`priority` must be a whole number from 1 to 5",
                    )
                    .label(format!("found {value}"))
                    .help(
                        "Datadog priorities run from 1 (critical) to 5 (info); for a monitor \
                         without a priority, leave `priority` out",
                    ),
                );
                None
            }
        }
    }

    /// The query parsed as its type reads it. A query that does not parse is reported, but the
    /// monitor is kept: the checks that do not need its query still run on it.
    fn parse_query(&mut self, query: &str, key: &str) -> Option<MonitorQuery> {
        match parse_monitor_query(&self.template.monitor_type.value, query) {
            Ok(parsed) => parsed,
            Err(error) => {
                let diagnostic = self.query_diagnostic(query, key, &error);
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    fn query_diagnostic(&self, query: &str, key: &str, error: &QueryError) -> Diagnostic {
        let sources = &self.compiler.model.sources;
        let span = self
            .template
            .query
            .span_within(sources, query, error.span.clone());
        let fragment = query.get(error.span.clone()).unwrap_or_default();
        let monitor_type = &self.template.monitor_type.value;
        let label = if !error.is_syntax {
            // The same for every instance, so that the template's mistake is reported once
            // (a fragment would hold each tenant's values).
            format!("does not fit type `{monitor_type}`")
        } else if fragment.is_empty() {
            "here".to_string()
        } else {
            format!("at `{fragment}`")
        };
        let (code, message) = if error.is_syntax {
            let kind = match monitor_type.as_str() {
                "metric alert" | "query alert" => "metric".to_string(),
                other => format!("`{other}`"),
            };
            (
                Code::QuerySyntax,
                format!("invalid {kind} query for `{key}`: {}", error.message),
            )
        } else {
            (
                Code::QueryType,
                format!(
                    "the query of `{key}` does not fit its type: {}",
                    error.message
                ),
            )
        };
        Diagnostic::error(code, span, message)
            .label(label)
            .help(error.help.clone().unwrap_or_else(|| {
                format!(
                    "a `{monitor_type}` query looks like {}",
                    example_query(monitor_type)
                )
            }))
    }

    /// `composite = { name = "...", message = "..." }` (or `raw = { ... }`): strings, and no
    /// other keys.
    fn text_override(&mut self, field: Option<&Field>, attribute: &str) -> CompositeText {
        let Some(field) = field else {
            return CompositeText::default();
        };
        let Some(value) = self.value(field, attribute) else {
            return CompositeText::default();
        };
        let object = value.as_object();
        let text = |key: &str| {
            object
                .and_then(|o| o.get(key))
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        let valid = object.is_some_and(|o| {
            o.iter().all(|(key, v)| match key.as_str() {
                "name" | "message" => v.is_string(),
                "options" => attribute == "composite" && v.is_object(),
                _ => false,
            })
        });
        if !valid {
            self.report(
                Diagnostic::error(
                    Code::WrongType,
                    field.span.clone(),
                    format!("`{attribute}` takes `name` and `message`, both strings"),
                )
                .label(format!("found {value}"))
                .help(format!("write e.g. `{attribute} = {{ name = \"[${{tenant.name}}] API errors\", message = \"...\" }}`")),
            );
            return CompositeText::default();
        }
        let options = object
            .and_then(|o| o.get("options"))
            .and_then(|v| serde_json::to_value(v).ok())
            .and_then(|v| v.as_object().cloned());
        CompositeText {
            name: text("name"),
            message: text("message"),
            options,
        }
    }

    /// A page's members, `a || b || ...`, each resolved like a `suppressed_by` entry.
    fn page_members(&mut self) -> Option<CompositeExpr> {
        let members: Vec<ResolvedRef> = self
            .template
            .pages_for
            .iter()
            .filter_map(|r| self.resolve(r))
            .collect();
        let leaf = |member: &ResolvedRef| CompositeExpr::Operand {
            operand: Operand::Key(member.key.clone()),
            span: 0..0,
        };
        let mut members = members.iter();
        let first = leaf(members.next()?);
        Some(members.fold(first, |expr, member| {
            CompositeExpr::Or(Box::new(expr), Box::new(leaf(member)))
        }))
    }

    fn resolve_references(&mut self) -> Vec<ResolvedRef> {
        let references = &self.template.suppressed_by;
        references.iter().filter_map(|r| self.resolve(r)).collect()
    }

    fn resolve(&mut self, reference: &Reference) -> Option<ResolvedRef> {
        let target = self.target_template(
            &reference.template.value,
            &reference.template.span,
            "`suppressed_by`",
        )?;
        let index = reference.index.as_ref().map(|field| Index {
            span: field.span.clone(),
            value: IndexValue::Expr(field),
        });
        let instance = self.target_instance(target, index, &reference.span)?;
        let key = self.compiler.key(target, instance);
        match self.skip_of(target, instance) {
            Some(Skip::Disabled) => {
                self.note_dropped(reference, &key);
                return None;
            }
            // Its `enabled` is in error (reported): the reference is left out quietly.
            Some(Skip::Broken) => return None,
            None => {}
        }
        Some(ResolvedRef {
            key,
            span: reference.span.clone(),
        })
    }

    fn skip_of(&self, target: &Template, instance: Instance) -> Option<Skip> {
        let index = self.compiler.templates_by_name[target.name.value.as_str()];
        self.compiler.skipped.get(&(index, instance)).copied()
    }

    /// A suppressor whose `enabled` is false is left out of the composite: the monitor is
    /// still suppressed by the others (or pages by itself when none is left).
    fn note_dropped(&mut self, reference: &Reference, key: &str) {
        let this = self.compiler.key(self.template, self.instance);
        let message = if self.template.is_page() {
            format!(
                "page `{this}` leaves out `{key}`: that monitor is disabled (`enabled` is false for it)"
            )
        } else {
            format!(
                "`{this}` is not suppressed by `{key}`: that monitor is disabled (`enabled` is false for it)"
            )
        };
        if let Some(notes) = self.notes.as_deref_mut() {
            notes.push(Note {
                span: reference.span.clone(),
                message,
            });
        }
    }

    /// `a || b && c`: valid, but which operator binds tighter is not documented by Datadog.
    fn warn_unparenthesized_mix(&mut self, query: &str) {
        let Some(range) = unparenthesized_mix(query) else {
            return;
        };
        let span = self
            .template
            .query
            .span_within(&self.compiler.model.sources, query, range);
        self.report(
            Diagnostic::warning(
                Code::CompositePrecedence,
                span,
                format!(
                    "the composite query of `{}` mixes `&&` and `||` without parentheses",
                    self.compiler.key(self.template, self.instance)
                ),
            )
            .label("mixed with the other operator at the same level")
            .help("Datadog's documentation does not say which binds tighter (monc reads `&&` first, `a || (b && c)`); add parentheses to say which you mean"),
        );
    }

    /// Parses a composite template's evaluated query and resolves its `monitor.<name>[...]`
    /// operands to keys, with the same rules as `suppressed_by`.
    fn resolve_composite(&mut self, query: &str) -> Option<CompositeExpr> {
        let field = &self.template.query;
        let sources = &self.compiler.model.sources;
        let expr = match parse_composite_query(query) {
            Ok(expr) => expr,
            Err(error) => {
                let span = field.span_within(sources, query, error.span.clone());
                let help = error.help.clone().unwrap_or_else(|| {
                    "a composite query combines monitors like `monitor.db_down[\"prod\"] && !monitor.region_health`".into()
                });
                self.report(
                    Diagnostic::error(
                        Code::CompositeQuery,
                        span,
                        format!(
                            "invalid composite query for `{}`: {}",
                            self.compiler.key(self.template, self.instance),
                            error.message
                        ),
                    )
                    .label("here")
                    .help(help),
                );
                return None;
            }
        };
        self.warn_unparenthesized_mix(query);
        let mut keys = HashMap::new();
        let mut ok = true;
        for (operand, range) in expr.operands() {
            let Operand::Ref { template, index } = operand else {
                continue;
            };
            let span = field.span_within(sources, query, range);
            let key = self
                .target_template(template, &span, "the composite query")
                .and_then(|target| {
                    let index = index.as_deref().map(|text| Index {
                        span: span.clone(),
                        value: IndexValue::Text(text),
                    });
                    let instance = self.target_instance(target, index, &span)?;
                    let key = self.compiler.key(target, instance);
                    match self.skip_of(target, instance) {
                        Some(Skip::Disabled) => {
                            self.disabled_in_composite(&key, &span);
                            None
                        }
                        Some(Skip::Broken) => {
                            self.failed = true;
                            None
                        }
                        None => Some(key),
                    }
                });
            match key {
                Some(key) => {
                    keys.insert(operand.clone(), key);
                }
                None => ok = false,
            }
        }
        ok.then(|| {
            expr.map_operands(&|operand| match keys.get(operand) {
                Some(key) => Operand::Key(key.clone()),
                None => operand.clone(),
            })
        })
    }

    /// A composite query can never name a monitor that does not exist: unlike `suppressed_by`,
    /// an operand cannot be left out without changing what the query means.
    fn disabled_in_composite(&mut self, key: &str, span: &Span) {
        self.report(
            Diagnostic::error(
                Code::DisabledMonitor,
                span.clone(),
                format!(
                    "the composite query of `{}` names `{key}`, which is disabled (`enabled` is false for it)",
                    self.compiler.key(self.template, self.instance)
                ),
            )
            .label("this monitor is not created")
            .help("give this composite the same `enabled` condition, or enable the monitor it names"),
        );
    }

    /// The template a reference names, or an `unknown-monitor` error (`what` says where).
    fn target_template(&mut self, name: &str, span: &Span, what: &str) -> Option<&'m Template> {
        let compiler = self.compiler;
        let Some(&target_index) = compiler.templates_by_name.get(name) else {
            if compiler.model.may_define_template(name) {
                // The template did not load (reported), or may be in the file that did not
                // parse: one mistake, one error.
                self.failed = true;
                return None;
            }
            let names = compiler.templates_by_name.keys().copied();
            let help = suggestion_help(name, "monitor", names);
            self.report(
                Diagnostic::error(
                    Code::UnknownMonitor,
                    span.clone(),
                    format!("{what} refers to unknown monitor `{name}`"),
                )
                .label("no monitor template with this name")
                .help(help),
            );
            return None;
        };
        Some(&compiler.model.templates[target_index])
    }

    /// Which instance of the target template a reference picks, from its `[index]`.
    fn target_instance(
        &mut self,
        target: &Template,
        index: Option<Index<'_>>,
        reference_span: &Span,
    ) -> Option<Instance> {
        let name = &target.name.value;
        let index = match (index, target.fan_out.value) {
            (None, FanOut::Once) => return Some(Instance::Once),
            (Some(index), FanOut::Once) => {
                self.report(
                    Diagnostic::error(
                        Code::UnexpectedIndex,
                        index.span.clone(),
                        format!("`{name}` is a single monitor and takes no index"),
                    )
                    .label("remove this index")
                    .help(format!("write `monitor.{name}`")),
                );
                return None;
            }
            (None, fan_out) => {
                let example = match fan_out {
                    FanOut::PerCluster => "tenant.cluster",
                    _ => "tenant.name",
                };
                self.report(
                    Diagnostic::error(
                        Code::MissingIndex,
                        reference_span.clone(),
                        format!("`{name}` has {}; say which one", fan_out.describe()),
                    )
                    .label("needs an index")
                    .help(format!("write `monitor.{name}[{example}]`")),
                );
                return None;
            }
            (Some(index), _) => index,
        };
        let wanted = match index.value {
            IndexValue::Text(text) => text.to_string(),
            IndexValue::Expr(field) => {
                let value = self.value(field, "index")?;
                let Some(wanted) = value.as_str() else {
                    self.report(
                        Diagnostic::error(
                            Code::WrongType,
                            index.span.clone(),
                            format!("an index must be a name, found {}", describe_value(&value)),
                        )
                        .label("expected a string")
                        .help("index with a cluster or tenant name, e.g. `[tenant.cluster]`"),
                    );
                    return None;
                };
                wanted.to_string()
            }
        };
        self.find_instance(&wanted, target, &index.span)
    }

    fn find_instance(
        &mut self,
        wanted: &str,
        target: &Template,
        index_span: &Span,
    ) -> Option<Instance> {
        let compiler = self.compiler;
        let (found, names, what) = match target.fan_out.value {
            FanOut::PerCluster => (
                compiler
                    .clusters_by_name
                    .get(wanted)
                    .map(|&c| Instance::Cluster(c)),
                &compiler.clusters_by_name,
                "cluster",
            ),
            _ => (
                compiler
                    .tenants_by_name
                    .get(wanted)
                    .map(|&t| Instance::Tenant(t)),
                &compiler.tenants_by_name,
                "tenant",
            ),
        };
        if found.is_none() {
            let help = suggestion_help(wanted, what, names.keys().copied());
            self.report(
                Diagnostic::error(
                    Code::UnknownInstance,
                    index_span.clone(),
                    format!(
                        "`{}` has no instance for {what} `{wanted}`",
                        target.name.value
                    ),
                )
                .label(format!("evaluates to \"{wanted}\""))
                .help(help),
            );
        }
        found
    }

    // ---- evaluation helpers ----

    fn value(&mut self, field: &Field, what: &str) -> Option<Value> {
        if !field.divisions.is_empty() {
            let key = self.compiler.key(self.template, self.instance);
            let what = format!("`{what}` for `{key}`");
            if let Some(d) = crate::load::division_by_zero(&field.divisions, self.ctx, &what) {
                self.report(d);
                return None;
            }
        }
        match field.prepared.evaluate(self.ctx, self.vars) {
            Ok(value) => Some(value),
            Err(failure) if self.is_local_in_error(field, &failure) => {
                self.failed = true; // reported where the local is used or defined
                None
            }
            Err(failure) => {
                let d = self.eval_diagnostic(field, what, failure);
                self.report(d);
                None
            }
        }
    }

    /// `local.x` for a local that is unknown or whose value is in error: the loader reported it.
    fn is_local_in_error(&self, field: &Field, failure: &EvalFailure) -> bool {
        let Some(Missing::Key(key)) = &failure.missing else {
            return false;
        };
        let locals = &self.compiler.model.locals;
        field
            .locals
            .iter()
            .any(|used| used.value == *key && !locals.values.contains_key(key))
    }

    /// The call in `field` that failed: the only call of that function, else the first one that
    /// fails on its own.
    fn failed_call(&self, field: &Field, function: &str) -> Option<Span> {
        let calls: Vec<&crate::model::Call> =
            field.calls.iter().filter(|c| c.name == function).collect();
        if let [call] = calls.as_slice() {
            return Some(call.span.clone());
        }
        calls
            .iter()
            .find(|call| eval::evaluate(&call.expr, self.ctx).is_err())
            .or(calls.first())
            .map(|call| call.span.clone())
    }

    fn call_diagnostic(
        &self,
        field: &Field,
        what: &str,
        failure: &EvalFailure,
        name: &str,
    ) -> Diagnostic {
        let span = self
            .failed_call(field, name)
            .unwrap_or_else(|| field.span.clone());
        let help = match eval::signature(name) {
            Some(signature) => {
                format!("call it as `{signature}`; it works as Terraform's `{name}`")
            }
            None => "check the function's arguments".to_string(),
        };
        Diagnostic::error(
            Code::FunctionCall,
            span,
            format!(
                "cannot evaluate `{what}` for `{}`: {}",
                self.compiler.key(self.template, self.instance),
                failure.message
            ),
        )
        .label(format!("this call of `{name}`"))
        .help(help)
    }

    fn eval_diagnostic(&self, field: &Field, what: &str, failure: EvalFailure) -> Diagnostic {
        if let Some(name) = &failure.function {
            return self.call_diagnostic(field, what, &failure, name);
        }
        if let Some(Missing::Key(key)) = &failure.missing
            && let Some(diagnostic) = self.instance_lacking(key)
        {
            return diagnostic;
        }
        let source = self.compiler.model.sources.text(&field.span);
        let quote = match &failure.missing {
            Some(Missing::Variable(_)) => crate::load::quote_hint(source),
            _ => None,
        };
        let help = match &failure.missing {
            _ if quote.is_some() => quote.unwrap_or_default(),
            Some(Missing::Variable(name)) => {
                let vars = self.variables_in_scope();
                join_help(
                    suggestion_help(name, "variable", vars.iter().copied()),
                    &format!("this monitor sees {}", self.scope_description()),
                )
            }
            Some(Missing::Function(name)) => {
                suggestion_help(name, "function", eval::function_names())
            }
            Some(Missing::Key(key)) => {
                let keys = self.known_keys();
                // Never suggest the very name that is missing.
                let others = keys.iter().map(String::as_str).filter(|k| k != key);
                join_help(
                    suggestion_help(key, "key", others),
                    "check the spelling, or add it to `vars` of every tenant/cluster",
                )
            }
            None => "check the expression's types and operators".to_string(),
        };
        let span = match &failure.missing {
            Some(Missing::Function(name)) => self.failed_call(field, name),
            _ => None,
        };
        Diagnostic::error(
            Code::Eval,
            span.unwrap_or_else(|| field.span.clone()),
            format!(
                "cannot evaluate `{what}` for `{}`: {}",
                self.compiler.key(self.template, self.instance),
                failure.message
            ),
        )
        .label("while evaluating this")
        .help(help)
    }

    /// When this tenant (or cluster) lacks a key its siblings have, the mistake is in the tenant,
    /// not the template: one diagnostic at the tenant, however many fields use the key (the
    /// same code, span and label are counted once).
    fn instance_lacking(&self, key: &str) -> Option<Diagnostic> {
        let model = self.compiler.model;
        let keys = self.compiler.instance_keys();
        let (kind, name, counts) = match self.instance {
            Instance::Tenant(t) => ("tenant", &model.tenants[t].name, &keys.tenants),
            Instance::Cluster(c) => ("cluster", &model.clusters[c].name, &keys.clusters),
            Instance::Once => return None,
        };
        let sharing = counts.get(key).copied().unwrap_or(0);
        if sharing == 0 {
            return None;
        }
        Some(
            Diagnostic::error(
                Code::Eval,
                name.span.clone(),
                format!(
                    "{kind} `{}` has no `{key}`, which `{}` uses ({sharing} other {kind}s have it)",
                    name.value, self.template.name.value
                ),
            )
            .label(format!("has no `{key}`"))
            .help(format!(
                "add `{key} = ...` to the `vars` of {kind} `{}`",
                name.value
            )),
        )
    }

    fn variables_in_scope(&self) -> Vec<&'static str> {
        match self.instance {
            Instance::Once => vec![],
            Instance::Cluster(_) => vec!["cluster"],
            Instance::Tenant(_) => vec!["tenant", "cluster"],
        }
    }

    fn scope_description(&self) -> &'static str {
        match self.template.fan_out.value {
            FanOut::Once => "no variables (it is a single monitor; add `for_each` to fan out)",
            FanOut::PerCluster => "`cluster` (for_each = clusters)",
            FanOut::PerTenant => "`tenant` and its `cluster` (for_each = tenants)",
        }
    }

    /// Every key of the `tenant`/`cluster` objects and their `vars`, for suggestions.
    fn known_keys(&self) -> &[String] {
        &self.compiler.instance_keys().known
    }

    fn string(&mut self, field: &Field, what: &str) -> String {
        match self.value(field, what) {
            Some(Value::String(s)) => {
                // A rendered list or object shows a bracket: only then look closer (it costs a
                // second evaluation of the interpolations).
                // Queries always hold `{` (scopes) and a collection in one fails its own check.
                let may_hold_collection = what != "query" && (s.contains('[') || s.contains('{'));
                if let Some(collection) = may_hold_collection
                    .then(|| field.prepared.interpolated_collection(self.ctx, self.vars))
                    .flatten()
                {
                    self.report(
                        Diagnostic::error(
                            Code::WrongType,
                            field.span.clone(),
                            format!("{collection} is interpolated into `{what}`"),
                        )
                        .label(format!("renders {collection} as text"))
                        .help("interpolate one value, or join a list: `${join(\", \", tenant.vars.list)}`"),
                    );
                }
                s
            }
            Some(other @ (Value::Number(_) | Value::Bool(_))) => other.to_string(),
            Some(other) => {
                self.wrong_type(field, what, "a string", &other);
                String::new()
            }
            None => String::new(),
        }
    }

    fn strings(&mut self, field: &Field, what: &str) -> Vec<String> {
        match self.value(field, what) {
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            Some(other) => {
                self.wrong_type(field, what, "a list of strings", &other);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn object(&mut self, field: &Field, what: &str) -> JsonMap<String, serde_json::Value> {
        match self.value(field, what) {
            Some(value @ Value::Object(_)) => match serde_json::to_value(&value) {
                Ok(serde_json::Value::Object(map)) => map,
                _ => JsonMap::new(),
            },
            Some(other) => {
                self.wrong_type(field, what, "an object like `{ key = value }`", &other);
                JsonMap::new()
            }
            None => JsonMap::new(),
        }
    }

    fn wrong_type(&mut self, field: &Field, what: &str, expected: &str, found: &Value) {
        self.report(
            Diagnostic::error(
                Code::WrongType,
                field.span.clone(),
                format!(
                    "`{what}` must be {expected}, found {}",
                    describe_value(found)
                ),
            )
            .label(format!("expected {expected}"))
            .help(format!(
                "change `{what}` so that it evaluates to {expected}"
            )),
        );
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        if diagnostic.is_error() {
            self.failed = true;
        }
        self.diagnostics.push(diagnostic);
    }
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
            ecs.options["thresholds"]["critical"],
            serde_json::json!(85.0)
        );
    }
}
