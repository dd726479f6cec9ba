//! One instance of a template stamped out into a [`CompiledMonitor`]: its fields evaluated,
//! its options and thresholds, its query parsed.

use hcl::Value;
use hcl::eval::Context;
use serde_json::Map as JsonMap;

use super::{CompiledMonitor, Compiler, CompositeText, Instance, InstanceScope};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{Field, KNOWN_THRESHOLDS, MonitorBody};
use crate::query::{
    Condition, MonitorQuery, Operand, QueryError, example_query, parse_monitor_query,
};

/// Datadog requires `thresholds.critical` to equal the number at the end of the query, so
/// leaving it out means "the query's number". A critical threshold that is written is left for
/// [`crate::validate`] to compare.
fn derive_critical_threshold(
    options: &mut JsonMap<String, serde_json::Value>,
    condition: &Condition,
) {
    // Sized for the one threshold: a map grows to four entries of 112 bytes on its first
    // insert, and every instance of a template has one (issue 26).
    let thresholds = options
        .entry("thresholds")
        .or_insert_with(|| serde_json::Value::Object(JsonMap::with_capacity(1)));
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

impl<'c, 'm, 'd> InstanceScope<'c, 'm, 'd> {
    pub(super) fn new(
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
    pub(super) fn enabled(&mut self, field: &Field) -> Option<bool> {
        match self.value(field, "enabled")? {
            Value::Bool(enabled) => Some(enabled),
            other => {
                self.wrong_type(field, "enabled", "a boolean (true or false)", &other);
                None
            }
        }
    }

    pub(super) fn compile(&mut self) -> Option<CompiledMonitor> {
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
            .then(|| Box::new(self.text_override(t.raw_text.as_ref(), "raw")));
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
        let key = self.compiler.monitor_key(t, self.instance);
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
            body: MonitorBody {
                name,
                monitor_type: t.monitor_type.value.clone(),
                query,
                message: message.unwrap_or_default(),
                tags: self.all_tags(tags.unwrap_or_default()),
                options,
                priority,
            },
            notify,
            suppressed_by,
            composite_text,
            raw_text,
            composite: composite.map(Box::new),
            parsed,
        })
    }

    fn template_index(&self) -> usize {
        self.compiler.templates_by_name[self.template.name.value.as_str()]
    }

    fn default_notify(&self) -> Vec<String> {
        let model = self.compiler.model;
        match self.instance {
            // A key of a map or set is no tenant or cluster: the project's handles, as for
            // a single monitor.
            Instance::Once | Instance::Each(..) => model.project.notify.clone(),
            Instance::Cluster(c) => model.clusters[c].notify.clone(),
            Instance::Tenant(t) => model.tenants[t].notify.clone(),
        }
    }

    /// Template tags, the project's default tags, and tags that say where the monitor belongs.
    fn all_tags(&self, written: Vec<String>) -> Vec<String> {
        let model = self.compiler.model;
        // Sized once: every monitor keeps its tags, and the list evaluated from the template
        // has room for hcl values, not strings (issue 26).
        let mut tags = Vec::with_capacity(written.len() + model.project.default_tags.len() + 3);
        tags.extend(written);
        tags.extend(model.project.default_tags.iter().cloned());
        let tier = &model.project.tiers[self.template.tier.value];
        tags.push(format!("tier:{}", tier.to_lowercase()));
        match self.instance {
            Instance::Once | Instance::Each(..) => {}
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
            // Most often it gets `thresholds` only (see `derive_critical_threshold`).
            None => JsonMap::with_capacity(1),
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
            .and_then(|v| v.as_object().cloned())
            .map(Box::new);
        CompositeText {
            name: text("name"),
            message: text("message"),
            options,
        }
    }
}
