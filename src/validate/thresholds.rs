//! Options and thresholds: names Datadog knows, thresholds that match the query, their order.

use super::*;

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
pub(super) fn check_option_names(
    model: &Model,
    graph: &MonitorGraph,
    diagnostics: &mut Diagnostics,
) {
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

/// `compile` has already taken a critical threshold left out from the query. `query` is the
/// comparison that ends the query, of whichever kind (metric, search, formula).
pub(super) fn check_thresholds(
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
pub(super) fn check_service_check_thresholds(
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
pub(super) fn check_formula_variables(
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
pub(super) fn thresholds_span(template: &Template) -> Span {
    template
        .thresholds
        .as_ref()
        .map_or(template.query.span.clone(), |f| f.span.clone())
}

pub(super) fn number(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// For `>`: warning < critical, recoveries below their threshold; mirrored for `<`.
pub(super) fn check_threshold_order(
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
