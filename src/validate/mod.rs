//! Checks on the compiled monitors that Datadog would only catch after apply, or never.

mod messages;
mod notifications;
mod suppression;
mod tags;
mod thresholds;

use messages::*;
use notifications::*;
pub use suppression::crawled_without_delay;
use suppression::*;
use tags::*;
pub use thresholds::KNOWN_OPTIONS;
use thresholds::*;

use std::collections::HashMap;
use std::collections::HashSet;
use std::ops::Range;

use serde_json::Value as Json;

use crate::compile::CompiledMonitor;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span, did_you_mean, suggestion_help};
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
    check_channels(model, graph, diagnostics);
    // Last: it stays silent once anything above is an error.
    check_recipients(model, graph, diagnostics);
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
