//! Which parser reads a monitor's query, chosen by its type as Datadog does: a metric query for
//! a `query alert`, a quoted check for a `service check`, `logs(…)` for a `log alert`, and so
//! on. A well-formed query of another kind than the type is an error of its own
//! ([`QueryError::is_syntax`] false): Datadog refuses it.

use crate::diagnostic::did_you_mean;

use super::QueryError;
use super::chain::{ChainQuery, Source, parse_chain_query};
use super::condition::Condition;
use super::metric::{MetricQuery, parse_metric_query};

/// A monitor's query, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorQuery {
    Metric(MetricQuery),
    /// Boxed: every compiled monitor holds a `MonitorQuery`, most of them a metric query half
    /// its size (issue 26).
    Chain(Box<ChainQuery>),
}

impl MonitorQuery {
    /// The comparison at the end, which `thresholds.critical` must equal; none for a service
    /// check.
    pub fn condition(&self) -> Option<Condition> {
        match self {
            MonitorQuery::Metric(metric) => Some(metric.condition()),
            MonitorQuery::Chain(chain) => chain.condition.clone(),
        }
    }

    pub fn metric(&self) -> Option<&MetricQuery> {
        match self {
            MonitorQuery::Metric(metric) => Some(metric),
            MonitorQuery::Chain(_) => None,
        }
    }
}

/// Each source function of Datadog's API reference (Monitors, "Query Types") and the monitor
/// type that reads it.
const SOURCE_FUNCTIONS: &[(&str, &str)] = &[
    ("logs", "log alert"),
    ("events", "event-v2 alert"),
    ("events", "event alert"),
    ("rum", "rum alert"),
    ("trace-analytics", "trace-analytics alert"),
    // Not in the API reference but written in published Terraform for this type: accepted.
    ("traces", "trace-analytics alert"),
    ("spans", "trace-analytics alert"),
    ("ci-pipelines", "ci-pipelines alert"),
    ("ci-tests", "ci-tests alert"),
    ("error-tracking-rum", "error-tracking alert"),
    ("error-tracking-traces", "error-tracking alert"),
    ("error-tracking-logs", "error-tracking alert"),
    // The API reference's "New issue" and "High impact issue" examples:
    // `error-tracking(query).source(issue_source).new()/.impact().rollup(…).by(…).last(…)`.
    ("error-tracking", "error-tracking alert"),
    ("audits", "audit alert"),
    ("database-monitoring", "database-monitoring alert"),
    ("llm-observability", "llm-observability alert"),
    ("error_budget", "slo alert"),
    ("burn_rate", "slo alert"),
    ("processes", "process alert"),
];

/// Types whose query may be a `formula(…)` over `options.variables` (recorded creates hold it
/// for query, log, rum, ci-pipelines, ci-tests, cost, data-jobs and data-quality alerts; the
/// other search types share their query builder, so it is accepted there too).
const FORMULA_TYPES: &[&str] = &[
    "query alert",
    "metric alert",
    "log alert",
    "event-v2 alert",
    "rum alert",
    "trace-analytics alert",
    "ci-pipelines alert",
    "ci-tests alert",
    "error-tracking alert",
    "audit alert",
    "database-monitoring alert",
    "llm-observability alert",
    "cost alert",
    "data-jobs alert",
    "data-quality alert",
];

const METRIC_TYPES: &[&str] = &["metric alert", "query alert"];
const CHECK_TYPE: &str = "service check";

/// Parses `query` as its monitor type reads it; `Ok(None)` for a type monc does not read
/// (composites have their own parser; synthetics, network-path… pass through).
pub fn parse_monitor_query(
    monitor_type: &str,
    query: &str,
) -> Result<Option<MonitorQuery>, QueryError> {
    if METRIC_TYPES.contains(&monitor_type) {
        return parse_for_metric_type(monitor_type, query).map(Some);
    }
    let reads_chain = monitor_type == CHECK_TYPE
        || FORMULA_TYPES.contains(&monitor_type)
        || SOURCE_FUNCTIONS.iter().any(|(_, t)| *t == monitor_type);
    if !reads_chain {
        return Ok(None);
    }
    if parse_metric_query(query).is_ok() {
        return Err(QueryError::wrong_type(
            format!("a metric query on a monitor of type `{monitor_type}`"),
            0..query.len(),
        )
        .with_help(format!(
            "give it type `query alert`, or write a `{monitor_type}` query: {}",
            example_query(monitor_type)
        )));
    }
    let chain = parse_chain_query(query)?;
    check_source_fits(monitor_type, &chain)?;
    Ok(Some(MonitorQuery::Chain(Box::new(chain))))
}

/// A metric query, or a `formula(…)`; a service check or a search written on a metric type is
/// told apart from a malformed metric query.
fn parse_for_metric_type(monitor_type: &str, query: &str) -> Result<MonitorQuery, QueryError> {
    let head = leading_call(query);
    let chain = match head {
        Some(("formula", _)) => {
            return parse_chain_query(query).map(|chain| MonitorQuery::Chain(Box::new(chain)));
        }
        Some((name, _)) if SOURCE_FUNCTIONS.iter().any(|(f, _)| *f == name) => true,
        _ => query.trim_start().starts_with(['"', '\'']),
    };
    if chain && let Ok(parsed) = parse_chain_query(query) {
        return Err(wrong_source_error(monitor_type, &parsed));
    }
    parse_metric_query(query).map(MonitorQuery::Metric)
}

/// `logs` of `logs("…")…`, with its byte range: a dashed name right before `(`.
fn leading_call(query: &str) -> Option<(&str, std::ops::Range<usize>)> {
    let start = query.len() - query.trim_start().len();
    let rest = &query[start..];
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let after = rest[len..].trim_start();
    (len > 0 && after.starts_with('(')).then(|| (&rest[..len], start..start + len))
}

fn check_source_fits(monitor_type: &str, chain: &ChainQuery) -> Result<(), QueryError> {
    let fits = match &chain.source {
        Source::Check(_) => monitor_type == CHECK_TYPE,
        Source::Function(name) => sources_of(monitor_type).contains(&name.as_str()),
    };
    if fits {
        return Ok(());
    }
    let Source::Function(name) = &chain.source else {
        return Err(wrong_source_error(monitor_type, chain));
    };
    if name == "formula" || SOURCE_FUNCTIONS.iter().any(|(f, _)| f == name) {
        return Err(wrong_source_error(monitor_type, chain));
    }
    let sources = sources_of(monitor_type);
    let help = match did_you_mean(name, sources.iter().copied()) {
        Some(best) => format!("did you mean `{best}(…)`?"),
        None => format!(
            "a `{monitor_type}` query looks like {}",
            example_query(monitor_type)
        ),
    };
    Err(QueryError::new(
        format!("unknown source `{name}(…)` for a monitor of type `{monitor_type}`"),
        chain.source_span.clone(),
    )
    .with_help(help))
}

/// The source functions a type reads.
fn sources_of(monitor_type: &str) -> Vec<&'static str> {
    let mut sources: Vec<&str> = SOURCE_FUNCTIONS
        .iter()
        .filter(|(_, t)| *t == monitor_type)
        .map(|(f, _)| *f)
        .collect();
    if FORMULA_TYPES.contains(&monitor_type) {
        sources.push("formula");
    }
    sources
}

/// A query of one type written on another: say which type reads it.
fn wrong_source_error(monitor_type: &str, chain: &ChainQuery) -> QueryError {
    let (what, reader) = match &chain.source {
        Source::Check(_) => ("a service check query".to_string(), CHECK_TYPE),
        Source::Function(name) => {
            let reader = SOURCE_FUNCTIONS
                .iter()
                .find(|(f, _)| f == name)
                .map_or("query alert", |(_, t)| *t);
            (format!("`{name}(…)`"), reader)
        }
    };
    QueryError::wrong_type(
        format!("{what} on a monitor of type `{monitor_type}`; it is read by type `{reader}`"),
        chain.source_span.clone(),
    )
    .with_help(format!(
        "give the monitor type `{reader}`, or write a `{monitor_type}` query: {}",
        example_query(monitor_type)
    ))
}

/// A well-formed query of `monitor_type`, for help lines.
pub fn example_query(monitor_type: &str) -> String {
    if METRIC_TYPES.contains(&monitor_type) {
        return "`avg(last_5m):avg:system.cpu.user{*} > 90`".into();
    }
    if monitor_type == CHECK_TYPE {
        return "`\"http.can_connect\".over(\"*\").by(\"host\").last(2).count_by_status()`".into();
    }
    match sources_of(monitor_type).first() {
        Some(&"formula") | None => "`formula(\"query1 / query2\").last(\"5m\") > 10`".into(),
        Some(&("error_budget" | "burn_rate")) => {
            "`error_budget(\"<slo id>\").over(\"7d\") > 50`".into()
        }
        Some(source) => format!("`{source}(\"service:web\").rollup(\"count\").last(\"5m\") > 100`"),
    }
}

#[cfg(test)]
mod tests;
