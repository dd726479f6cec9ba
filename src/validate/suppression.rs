//! Suppression edges that cannot work as meant: groups that do not line up, suppressors that go quiet, cloud metrics read before their data arrives.

use super::*;

pub(super) fn check_group_by(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
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
pub(super) fn edge_span(
    model: &Model,
    graph: &MonitorGraph,
    target: usize,
    suppressor: usize,
) -> Span {
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

pub(super) fn check_no_data_suppressors(
    model: &Model,
    graph: &MonitorGraph,
    diagnostics: &mut Diagnostics,
) {
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

pub(super) fn recovers_from_missing_data(options: &serde_json::Map<String, Json>) -> bool {
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
pub(super) const CRAWLED_METRIC_PREFIXES: [&str; 3] = ["aws.", "azure.", "gcp."];

/// The crawled cloud metric `query` reads, when `options` set no `evaluation_delay` (or 0): the
/// one definition `monc validate` and `monc review` (on the live monitors) share.
pub fn crawled_without_delay<'q>(
    query: &'q MetricQuery,
    options: &serde_json::Map<String, Json>,
) -> Option<&'q str> {
    let metric = query.metrics.iter().find(|metric| {
        CRAWLED_METRIC_PREFIXES
            .iter()
            .any(|prefix| metric.starts_with(prefix))
    })?;
    let delayed = options
        .get("evaluation_delay")
        .and_then(number)
        .is_some_and(|seconds| seconds > 0.0);
    (!delayed).then_some(metric.as_str())
}

/// A monitor on a crawled cloud metric without `evaluation_delay` evaluates windows whose data
/// has not arrived yet: it flaps into alert (or No Data) and back. One warning per template.
pub(super) fn check_cloud_metric_delay(
    model: &Model,
    graph: &MonitorGraph,
    diagnostics: &mut Diagnostics,
) {
    let mut warned: Vec<usize> = Vec::new();
    for monitor in &graph.monitors {
        if warned.contains(&monitor.template) {
            continue;
        }
        let Some(query) = monitor.metric() else {
            continue;
        };
        let Some(metric) = crawled_without_delay(query, &monitor.body.options) else {
            continue;
        };
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
