//! Template variables in messages: the ones Datadog renders for the monitor's groups.

use super::*;

/// Variables Datadog defines for every monitor; anything else dotted is a group-by tag.
pub(super) const BUILTIN_VARIABLES: &[&str] = &[
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

pub(super) fn check_message_variables(
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
pub(super) fn tag_variables(message: &str) -> Vec<(String, String, Range<usize>)> {
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
pub(super) fn variables_in_mustache(inner: &str) -> Vec<&str> {
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
