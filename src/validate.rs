//! Checks on the compiled monitors that Datadog would only catch after apply, or never.

use std::collections::HashMap;
use std::collections::HashSet;
use std::ops::Range;

use serde_json::Value as Json;

use crate::compile::CompiledMonitor;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span, suggestion_help};
use crate::graph::MonitorGraph;
use crate::model::{KNOWN_THRESHOLDS, Model, Template, check_tag};
use crate::query::{ChainQuery, Comparator, Condition, MetricQuery, MonitorQuery};

/// Runs every check on the graph; reads only.
pub fn validate(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    for monitor in &graph.monitors {
        let template = &model.templates[monitor.template];
        if let Some(condition) = monitor.parsed.as_ref().and_then(MonitorQuery::condition) {
            check_thresholds(template, monitor, &condition, diagnostics);
        }
        if let Some(MonitorQuery::Chain(chain)) = &monitor.parsed
            && let Some(runs) = chain.check_runs
        {
            check_service_check_thresholds(template, monitor, runs, diagnostics);
        }
        if let Some(MonitorQuery::Chain(chain)) = &monitor.parsed {
            check_formula_variables(model, template, monitor, chain, diagnostics);
        }
        if let Some(query) = monitor.metric() {
            check_message_variables(model, template, monitor, query, diagnostics);
        }
    }
    check_group_by(model, graph, diagnostics);
    check_no_data_suppressors(model, graph, diagnostics);
    check_cloud_metric_delay(model, graph, diagnostics);
    check_duplicate_names(model, graph, diagnostics);
    check_tags(model, graph, diagnostics);
    check_key_tags(model, graph, diagnostics);
    check_option_names(model, graph, diagnostics);
    check_handles(model, graph, diagnostics);
}

// ---- notification handles ----

/// Each handle that pages through a composite, checked once where it is written.
fn check_handles(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    let mut reported: HashSet<String> = HashSet::new();
    for monitor in &graph.monitors {
        let template = &model.templates[monitor.template];
        for handle in &monitor.notify {
            let Some(problem) = crate::handles::problem(handle) else {
                continue;
            };
            if !reported.insert(handle.clone()) {
                continue;
            }
            let span = match &template.notify {
                Some(field) => field.span_within(&model.sources, handle, 0..handle.len()),
                None => written_in(model, monitor.instance, handle)
                    .unwrap_or_else(|| template.name.span.clone()),
            };
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidHandle,
                    span,
                    format!("notification handle {handle:?} can never page: {problem}"),
                )
                .label("not a handle")
                .help("write handles as `@slack-channel`, `@pagerduty-service` or `@someone@example.com`"),
            );
        }
    }
}

/// Where a tenant's or cluster's `notify` entry is written: the quoted handle after its name.
fn written_in(model: &Model, instance: crate::compile::Instance, handle: &str) -> Option<Span> {
    let name = match instance {
        crate::compile::Instance::Tenant(t) => &model.tenants[t].name.span,
        crate::compile::Instance::Cluster(c) => &model.clusters[c].name.span,
        crate::compile::Instance::Once | crate::compile::Instance::Each(..) => return None,
    };
    let text = &model.sources.file(name.file).text;
    let quoted = serde_json::to_string(handle).ok()?;
    let at = text.get(name.range.end..)?.find(&quoted)? + name.range.end;
    Some(Span::new(name.file, at..at + quoted.len()))
}

// ---- option and threshold names ----

/// `options` of the Monitor API (v1) as its published spec documents them, plus
/// `avalanche_window`, which the API fills in itself.
pub const KNOWN_OPTIONS: &[&str] = &[
    "aggregation",
    "avalanche_window",
    "device_ids",
    "enable_logs_sample",
    "enable_samples",
    "escalation_message",
    "evaluation_delay",
    "group_retention_duration",
    "groupby_simple_monitor",
    "include_tags",
    "locked",
    "min_failure_duration",
    "min_location_failed",
    "new_group_delay",
    "new_host_delay",
    "no_data_timeframe",
    "notification_preset_name",
    "notify_audit",
    "notify_by",
    "notify_no_data",
    "on_missing_data",
    "renotify_interval",
    "renotify_occurrences",
    "renotify_statuses",
    "require_full_window",
    "scheduling_options",
    "silenced",
    "synthetics_check_id",
    "threshold_windows",
    "thresholds",
    "timeout_h",
    "variables",
];

/// A misspelt option or threshold name is sent to Datadog, which keeps it and ignores it: the
/// monitor silently lacks what was meant. Published monitors carry such names, so it warns.
fn check_option_names(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    let mut reported: HashSet<(usize, String)> = HashSet::new();
    for monitor in &graph.monitors {
        let template = &model.templates[monitor.template];
        let thresholds = monitor
            .body
            .options
            .get("thresholds")
            .and_then(Json::as_object)
            .into_iter()
            .flat_map(|t| t.keys())
            .filter(|k| !KNOWN_THRESHOLDS.contains(&k.as_str()))
            .map(|k| {
                (
                    k,
                    "a threshold",
                    KNOWN_THRESHOLDS,
                    template.thresholds.as_ref(),
                )
            });
        let options = monitor
            .body
            .options
            .keys()
            .filter(|k| !KNOWN_OPTIONS.contains(&k.as_str()))
            .map(|k| (k, "an option", KNOWN_OPTIONS, template.options.as_ref()));
        for (name, what, known, field) in thresholds.chain(options) {
            if !reported.insert((monitor.template, format!("{what}:{name}"))) {
                continue;
            }
            let field = field.or(template.options.as_ref());
            let span = match field {
                Some(field) => field.span_within(&model.sources, name, 0..name.len()),
                None => template.name.span.clone(),
            };
            diagnostics.push(
                Diagnostic::warning(
                    Code::UnknownOption,
                    span,
                    format!(
                        "`{name}` is not {what} Datadog documents (in `{}`)",
                        monitor.key
                    ),
                )
                .label("unknown name: Datadog keeps it and ignores it")
                .help(suggestion_help(name, "name", known.iter().copied())),
            );
        }
    }
}

// ---- thresholds ----

/// `compile` has already taken a critical threshold left out from the query. `query` is the
/// comparison that ends the query, of whichever kind (metric, search, formula).
fn check_thresholds(
    template: &Template,
    monitor: &CompiledMonitor,
    query: &Condition,
    diagnostics: &mut Diagnostics,
) {
    let span = thresholds_span(template);
    let Some(thresholds) = monitor
        .body
        .options
        .get("thresholds")
        .and_then(Json::as_object)
    else {
        return;
    };
    match thresholds.get("critical").map(number) {
        Some(None) => diagnostics.push(
            Diagnostic::error(Code::WrongType, span.clone(), "`thresholds.critical` must be a number")
                .label("not a number")
                .help("write e.g. `thresholds = { critical = 90 }`"),
        ),
        Some(Some(critical)) if critical != query.threshold => diagnostics.push(
            Diagnostic::error(
                Code::ThresholdMismatch,
                span.clone(),
                format!("critical threshold {critical} differs from the query's `{} {}` in `{}`", query.comparator.as_str(), query.threshold, monitor.key),
            )
            .label("does not match the query")
            .help("Datadog rejects a monitor whose critical threshold differs from the number in its query; make them equal, or leave `critical` out and monc takes it from the query"),
        ),
        _ => {}
    }
    check_threshold_order(
        thresholds,
        query.comparator,
        &span,
        &monitor.key,
        diagnostics,
    );
}

/// A service check's thresholds count check runs among the last `runs` its query reads, so
/// none can exceed it (Datadog's API reference: the count "must be greater than or equal to
/// your max threshold").
fn check_service_check_thresholds(
    template: &Template,
    monitor: &CompiledMonitor,
    runs: u32,
    diagnostics: &mut Diagnostics,
) {
    let Some(thresholds) = monitor
        .body
        .options
        .get("thresholds")
        .and_then(Json::as_object)
    else {
        return;
    };
    let span = thresholds_span(template);
    let too_many = ["critical", "warning", "ok"]
        .into_iter()
        .filter_map(|name| Some((name, thresholds.get(name).and_then(number)?)))
        .find(|(_, count)| *count > f64::from(runs));
    if let Some((name, count)) = too_many {
        diagnostics.push(
            Diagnostic::error(
                Code::ThresholdMismatch,
                span,
                format!("`thresholds.{name}` counts {count} check runs, but the query of `{}` reads only the last {runs}", monitor.key),
            )
            .label("more runs than the query counts")
            .help(format!("raise the query's `.last({runs})` to at least {count}, or lower `{name}` to {runs} or less")),
        );
    }
}

/// A `formula("query1 / query2")` reads the queries `options.variables` names; a name it lacks
/// is a typo or a missing query. A warning: monc reads formulas roughly, and a variable may be
/// added by other means than the template.
fn check_formula_variables(
    model: &Model,
    template: &Template,
    monitor: &CompiledMonitor,
    chain: &ChainQuery,
    diagnostics: &mut Diagnostics,
) {
    let Some(variables) = monitor
        .body
        .options
        .get("variables")
        .and_then(Json::as_array)
    else {
        return;
    };
    let defined: Vec<&str> = variables
        .iter()
        .filter_map(|v| v.get("name").and_then(Json::as_str))
        .collect();
    for (name, range) in chain.formula_variables() {
        if defined.contains(&name.as_str()) {
            continue;
        }
        let span = template
            .query
            .span_within(&model.sources, &monitor.body.query, range);
        diagnostics.push(
            Diagnostic::warning(
                Code::FormulaVariable,
                span,
                format!(
                    "the formula of `{}` reads `{name}`, which `options.variables` does not define",
                    monitor.key
                ),
            )
            .label("no such variable")
            .help(suggestion_help(&name, "variable", defined.iter().copied())),
        );
    }
}

/// Where the thresholds are written, or the query when they are not.
fn thresholds_span(template: &Template) -> Span {
    template
        .thresholds
        .as_ref()
        .map_or(template.query.span.clone(), |f| f.span.clone())
}

fn number(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// For `>`: warning < critical, recoveries below their threshold; mirrored for `<`.
fn check_threshold_order(
    thresholds: &serde_json::Map<String, Json>,
    comparator: Comparator,
    span: &Span,
    key: &str,
    diagnostics: &mut Diagnostics,
) {
    if matches!(comparator, Comparator::Eq | Comparator::Ne) {
        return; // no direction, so no order between warning and critical
    }
    let get = |name: &str| thresholds.get(name).and_then(number);
    let pairs = [
        ("warning", "critical"),
        ("critical_recovery", "critical"),
        ("warning_recovery", "warning"),
    ];
    for (lower, upper) in pairs {
        let (Some(a), Some(b)) = (get(lower), get(upper)) else {
            continue;
        };
        let ordered = if comparator.is_above() { a < b } else { a > b };
        if !ordered {
            let relation = if comparator.is_above() {
                "below"
            } else {
                "above"
            };
            // Datadog refuses the order with `<` and `>`, but accepts published monitors with
            // `<=` and `>=` as they are: there, monc only warns.
            let severity = if comparator.as_str().ends_with('=') {
                Diagnostic::warning
            } else {
                Diagnostic::error
            };
            diagnostics.push(
                severity(
                    Code::ThresholdOrder,
                    span.clone(),
                    format!("`{lower}` ({a}) must be {relation} `{upper}` ({b}) for a `{}` query in `{key}`", comparator.as_str()),
                )
                .label("thresholds out of order")
                .help(format!("with `{}`, the alert fires as the value moves {}: {lower} comes before {upper}", comparator.as_str(), if comparator.is_above() { "up" } else { "down" })),
            );
        }
    }
}

// ---- message template variables ----

/// Variables Datadog defines for every monitor; anything else dotted is a group-by tag.
const BUILTIN_VARIABLES: &[&str] = &[
    "value",
    "threshold",
    "warn_threshold",
    "ok_threshold",
    "warn_ok_threshold",
    "comparator",
    "last_triggered_at",
    "last_triggered_at_epoch",
    "first_triggered_at",
    "first_triggered_at_epoch",
    "triggered_duration_sec",
    "alert_id",
    "org",
    "monitor",
    "event",
    "log",
    "span",
    "rum",
    "trace",
    "check_message",
    "tags",
    "is_alert",
    "is_warning",
    "is_recovery",
    "is_no_data",
    "is_renotify",
    "is_alert_recovery",
    "is_warning_recovery",
    "is_alert_to_warning",
    "is_no_data_recovery",
    "is_priority",
    "is_match",
    "is_exact_match",
    "else",
    "local_time",
    "eval",
];

fn check_message_variables(
    model: &Model,
    template: &Template,
    monitor: &CompiledMonitor,
    query: &MetricQuery,
    diagnostics: &mut Diagnostics,
) {
    let Some(field) = &template.message else {
        return;
    };
    for (variable, tag, range) in tag_variables(&monitor.body.message) {
        // `{{host.name}}` with `by {host.name}`: a group-by key that itself contains a dot.
        if query.group_by.contains(&tag) || query.group_by.contains(&variable) {
            continue;
        }
        let span = field.span_within(&model.sources, &monitor.body.message, range);
        let grouped = if query.group_by.is_empty() {
            "the query has no `by {...}`, so it is a simple alert".to_string()
        } else {
            format!("the query groups by {}", query.group_by.join(", "))
        };
        // Datadog accepts it and renders the variable empty: suspicious, not wrong.
        diagnostics.push(
            Diagnostic::warning(
                Code::MessageVariable,
                span,
                format!("`{{{{{variable}}}}}` in the message of `{}` is not a group-by tag of its query", monitor.key),
            )
            .label("would render empty")
            .help(format!("{grouped}; add `{tag}` to the query's `by {{...}}` or remove the variable")),
        );
    }
}

/// `{{ tag.name }}` style variables in a message: (variable text, tag key, byte range).
fn tag_variables(message: &str) -> Vec<(String, String, Range<usize>)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = message[rest..].find("{{") {
        let start = rest + open;
        let Some(close) = message[start..].find("}}") else {
            break;
        };
        let end = start + close + 2;
        let inner = message[start + 2..end - 2].trim();
        rest = end;
        for variable in variables_in_mustache(inner) {
            let Some((tag, _)) = variable.split_once('.') else {
                continue;
            };
            let tag = tag.trim_start_matches(['#', '^', '/']);
            if tag.is_empty() || BUILTIN_VARIABLES.contains(&tag) {
                continue;
            }
            found.push((inner.to_string(), tag.to_string(), start..end));
        }
    }
    found
}

/// The variable names inside one `{{ ... }}`: the name itself, or the quoted argument of
/// `#is_match "tag.name" "value"`.
fn variables_in_mustache(inner: &str) -> Vec<&str> {
    let mut words = inner.split_whitespace();
    match words.next() {
        Some(head) if head.starts_with('#') && head.len() > 1 && !head.contains('.') => words
            .next()
            .map(|w| w.trim_matches('"'))
            .into_iter()
            .collect(),
        Some(head) if head.starts_with('/') || head.starts_with('^') => vec![],
        Some(head) => vec![head],
        None => vec![],
    }
}

// ---- group-by compatibility ----

fn check_group_by(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    for composite in &graph.composites {
        let target = &graph.monitors[composite.target];
        let Some(target_query) = target.metric() else {
            continue;
        };
        for &suppressor in &composite.suppressors {
            let Some(suppressor_query) = graph.monitors[suppressor].metric() else {
                continue;
            };
            let extra: Vec<&str> = suppressor_query
                .group_by
                .iter()
                .filter(|tag| !target_query.group_by.contains(tag))
                .map(String::as_str)
                .collect();
            if extra.is_empty() {
                continue;
            }
            let span = edge_span(model, graph, composite.target, suppressor);
            let s = &graph.monitors[suppressor];
            let fix = if target_query.group_by.is_empty() {
                format!(
                    "`{}` is a simple alert (no `by {{...}}`), so its suppressors must be simple alerts too",
                    target.key
                )
            } else {
                format!(
                    "group `{}` by a subset of {{{}}}, or make it a simple alert",
                    s.key,
                    target_query.group_by.join(", ")
                )
            };
            diagnostics.push(
                Diagnostic::error(
                    Code::GroupByMismatch,
                    span,
                    format!("`{}` groups by {} which `{}` does not", s.key, extra.join(", "), target.key),
                )
                .label("group-by tags do not line up")
                .help(format!("Datadog matches composite groups by tag value; with these group-bys the composite never fires: {fix}")),
            );
        }
    }
}

/// Where the user wrote the link from `target` to `suppressor`: the direct reference if there is
/// one, else the target's whole `suppressed_by` (the suppressor came in transitively).
fn edge_span(model: &Model, graph: &MonitorGraph, target: usize, suppressor: usize) -> Span {
    let monitor = &graph.monitors[target];
    let suppressor_key = &graph.monitors[suppressor].key;
    if let Some(reference) = monitor
        .suppressed_by
        .iter()
        .find(|r| r.key == *suppressor_key)
    {
        return reference.span.clone();
    }
    let template = &model.templates[monitor.template];
    template
        .suppressed_by_span
        .clone()
        .unwrap_or_else(|| template.name.span.clone())
}

// ---- no-data safety ----

fn check_no_data_suppressors(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    let mut suppressors: Vec<usize> = graph
        .composites
        .iter()
        .flat_map(|c| c.suppressors.iter().copied())
        .collect();
    suppressors.sort_unstable();
    suppressors.dedup();
    for index in suppressors {
        let monitor = &graph.monitors[index];
        if recovers_from_missing_data(&monitor.body.options) {
            continue;
        }
        let template = &model.templates[monitor.template];
        let span = template
            .options
            .as_ref()
            .map_or(template.name.span.clone(), |f| f.span.clone());
        diagnostics.push(
            Diagnostic::warning(
                Code::NoDataSuppressor,
                span,
                format!("suppressor `{}` can stay in Alert forever if its data stops", monitor.key),
            )
            .label("keeps its last state when data is missing")
            .help("while it alerts, every monitor it suppresses is silent; if the metric stops reporting (the host is gone), it keeps its last status. Set `timeout_h` to auto-resolve, or `on_missing_data = \"resolve\"` / `notify_no_data = true`"),
        );
    }
}

fn recovers_from_missing_data(options: &serde_json::Map<String, Json>) -> bool {
    let timeout = options
        .get("timeout_h")
        .and_then(number)
        .is_some_and(|h| h > 0.0);
    let notifies = options.get("notify_no_data").and_then(Json::as_bool) == Some(true);
    let on_missing = options.get("on_missing_data").and_then(Json::as_str);
    let handled = matches!(
        on_missing,
        Some("resolve" | "show_no_data" | "show_and_notify_no_data")
    );
    timeout || notifies || handled
}

/// Metrics Datadog crawls from a cloud provider's API, minutes late: AWS (CloudWatch), Azure
/// (Azure Monitor), Google Cloud (Cloud Monitoring). Datadog's Monitor Quality page flags
/// monitors on them without an evaluation delay.
const CRAWLED_METRIC_PREFIXES: [&str; 3] = ["aws.", "azure.", "gcp."];

/// A monitor on a crawled cloud metric without `evaluation_delay` evaluates windows whose data
/// has not arrived yet: it flaps into alert (or No Data) and back. One warning per template.
fn check_cloud_metric_delay(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    let mut warned: Vec<usize> = Vec::new();
    for monitor in &graph.monitors {
        if warned.contains(&monitor.template) {
            continue;
        }
        let Some(query) = monitor.metric() else {
            continue;
        };
        let crawled = query.metrics.iter().find(|metric| {
            CRAWLED_METRIC_PREFIXES
                .iter()
                .any(|prefix| metric.starts_with(prefix))
        });
        let Some(metric) = crawled else {
            continue;
        };
        let delayed = monitor
            .body
            .options
            .get("evaluation_delay")
            .and_then(number)
            .is_some_and(|seconds| seconds > 0.0);
        if delayed {
            continue;
        }
        warned.push(monitor.template);
        let template = &model.templates[monitor.template];
        let span = template
            .options
            .as_ref()
            .map_or(template.query.span.clone(), |f| f.span.clone());
        diagnostics.push(
            Diagnostic::warning(
                Code::CloudMetricNoDelay,
                span,
                format!(
                    "`{}` reads the crawled cloud metric `{metric}` without `evaluation_delay`",
                    monitor.key
                ),
            )
            .label("no evaluation_delay for a metric that arrives minutes late")
            .help("Datadog crawls cloud metrics (AWS, Azure, Google Cloud) every few minutes, so the newest minutes of a window are empty when it is evaluated; set `options = { evaluation_delay = 900 }` (seconds; 900 suits CloudWatch)"),
        );
    }
}

// ---- names and tags ----

fn check_duplicate_names(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    let mut first_by_name: HashMap<&str, &CompiledMonitor> = HashMap::new();
    for monitor in &graph.monitors {
        let Some(first) = first_by_name.insert(&monitor.body.name, monitor) else {
            continue;
        };
        let template = &model.templates[monitor.template];
        let interpolate = match template.fan_out.value {
            crate::model::FanOut::PerTenant => " (e.g. interpolate `${tenant.name}`)",
            crate::model::FanOut::PerCluster => " (e.g. interpolate `${cluster.name}`)",
            crate::model::FanOut::PerKey => " (e.g. interpolate `${each.key}`)",
            crate::model::FanOut::Once => "",
        };
        // Datadog accepts two monitors with one name; people on call cannot tell them apart.
        diagnostics.push(
            Diagnostic::warning(
                Code::DuplicateName,
                template.display_name.span.clone(),
                format!(
                    "`{}` and `{}` are both named \"{}\"",
                    first.key, monitor.key, monitor.body.name
                ),
            )
            .label("produces a name already in use")
            .help(format!(
                "on-call people tell monitors apart by name; make each name unique{interpolate}"
            )),
        );
        first_by_name.insert(&first.body.name, first);
    }
}

fn check_tags(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    for monitor in &graph.monitors {
        let template = &model.templates[monitor.template];
        for tag in &monitor.body.tags {
            diagnostics.extend(reserved_template_tag(model, template, tag));
            diagnostics.extend(monc_tag_key_in_template(model, template, monitor, tag));
            if let Err(problem) = check_tag(tag) {
                let span = match &template.tags {
                    Some(field) => field.span_within(&model.sources, tag, 0..tag.len()),
                    None => template.name.span.clone(),
                };
                diagnostics.push(
                    Diagnostic::error(
                        Code::InvalidTag,
                        span,
                        format!("invalid tag `{tag}` on `{}`: {problem}", monitor.key),
                    )
                    .label("not a valid Datadog tag")
                    .help(crate::model::tag_rules()),
                );
            }
        }
    }
}

/// The key tag monc writes on every monitor and generated composite, `monc-key:<key>`, must be
/// a valid tag like any other: names pass the name rule one by one, but a long template name
/// and a long tenant name make a key tag over Datadog's 200 characters. Reported at the longer
/// of the two names (the template's on a tie: one fix for all its monitors).
fn check_key_tags(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    for (index, monitor) in graph.monitors.iter().enumerate() {
        let longest = graph
            .composite_for(index)
            .map_or(monitor.key.as_str(), |c| c.key.as_str());
        let tag = format!("{}:{longest}", model.project.key_tag);
        let Err(problem) = check_tag(&tag) else {
            continue;
        };
        let template = &model.templates[monitor.template];
        let instance = match monitor.instance {
            crate::compile::Instance::Tenant(t) => Some(("tenant", &model.tenants[t].name)),
            crate::compile::Instance::Cluster(c) => Some(("cluster", &model.clusters[c].name)),
            crate::compile::Instance::Once | crate::compile::Instance::Each(..) => None,
        };
        let (what, name) = match instance {
            Some((what, name)) if name.value.len() > template.name.value.len() => (what, name),
            _ => ("monitor", &template.name),
        };
        let length = tag.chars().count();
        let key_tag = &model.project.key_tag;
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidTag,
                name.span.clone(),
                format!("the key tag monc writes on `{longest}` would be {length} characters: {problem}"),
            )
            .label(format!("this {what} name makes the key too long"))
            .help(format!(
                "shorten this {what} name ({} characters) or the other: monc tags each monitor with `{key_tag}:<tier>/<monitor>/<tenant or cluster>`, and its composite with `/composite` added",
                name.value.chars().count()
            )),
        );
    }
}

/// `monc::monc-tag-key` for a tag in the template's `tags` under a key monc writes itself with
/// another value (`tier:critical` on an L3 monitor, `managed-by:terraform`). The very tag monc
/// writes is only redundant. Default tags are reported once, in monc.hcl, by the loader.
fn monc_tag_key_in_template(
    model: &Model,
    template: &Template,
    monitor: &CompiledMonitor,
    tag: &str,
) -> Option<Diagnostic> {
    let field = template.tags.as_ref()?;
    let key = crate::load::monc_tag_key(&model.project, tag)?;
    let written_here = model.sources.text(&field.span).contains(tag)
        || !model.project.default_tags.iter().any(|t| t == tag);
    if !written_here {
        return None;
    }
    let monc_writes: Vec<String> = tags_monc_writes(model, monitor)
        .into_iter()
        .filter(|t| t.split_once(':').map_or(t.as_str(), |(k, _)| k) == key)
        .collect();
    if monc_writes.iter().any(|t| t == tag) {
        return None;
    }
    let described = match monc_writes.as_slice() {
        [] => String::new(),
        written => format!(" (`{}` on `{}`)", written.join("`, `"), monitor.key),
    };
    let span = field.span_within(&model.sources, tag, 0..tag.len());
    Some(crate::load::monc_tag_key_warning(
        tag, key, &described, span,
    ))
}

/// The tags monc itself puts on `monitor` under the keys of [`crate::load::monc_tag_key`].
fn tags_monc_writes(model: &Model, monitor: &CompiledMonitor) -> Vec<String> {
    let project = &model.project;
    let mut tags = vec![
        format!("tier:{}", project.tiers[monitor.tier].to_lowercase()),
        project.owner_tag.clone(),
    ];
    match monitor.instance {
        crate::compile::Instance::Tenant(t) => {
            let tenant = &model.tenants[t];
            tags.push(format!("tenant:{}", tenant.name.value));
            tags.push(format!("cluster:{}", tenant.cluster.value));
        }
        crate::compile::Instance::Cluster(c) => {
            tags.push(format!("cluster:{}", model.clusters[c].name.value));
        }
        crate::compile::Instance::Once | crate::compile::Instance::Each(..) => {}
    }
    if let Some(name) = &project.name {
        tags.push(format!("{}:{name}", crate::model::PROJECT_TAG_KEY));
    }
    tags
}

/// `monc::reserved-tag` for one of monc's own tags written in the template's `tags`. Reserved
/// tags from `default_tags` are reported once, in monc.hcl, by the loader.
fn reserved_template_tag(model: &Model, template: &Template, tag: &str) -> Option<Diagnostic> {
    let field = template.tags.as_ref()?;
    let reserved = crate::load::reserved_prefix(&model.project, tag)?;
    let written_here = model.sources.text(&field.span).contains(tag)
        || !model.project.default_tags.iter().any(|t| t == tag);
    if !written_here {
        return None;
    }
    // The whole tag when it is written literally, else its reserved part (`monc-key:` of an
    // interpolated `monc-key:${tenant.name}`), else the whole list.
    let whole = field.span_within(&model.sources, tag, 0..tag.len());
    let span = if whole == field.span {
        field.span_within(&model.sources, tag, 0..reserved)
    } else {
        whole
    };
    crate::load::reserved_tag(&model.project, tag, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_variables_finds_group_tags_but_not_builtins() {
        let message = "{{#is_alert}}Host {{host.name}} at {{value}} {{#is_match \"kube_namespace.name\" \"prod\"}}x{{/is_match}}{{/is_alert}}";
        let tags: Vec<String> = tag_variables(message)
            .into_iter()
            .map(|(_, t, _)| t)
            .collect();
        assert_eq!(tags, vec!["host", "kube_namespace"]);
    }

    #[test]
    fn tag_rules() {
        assert!(check_tag("env:prod").is_ok());
        assert!(check_tag("service:acme-api/v1.2").is_ok());
        assert!(
            check_tag("Env:Prod").is_ok(),
            "Datadog keeps the case of a tag"
        );
        assert!(check_tag("1env").is_err());
        assert!(check_tag("env prod").is_err());
        assert!(check_tag(&"a".repeat(201)).is_err());
    }
}
