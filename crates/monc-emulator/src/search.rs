//! `GET /api/v1/monitor/search` and `GET /api/v1/monitor/groups/search`.
//!
//! Shapes as recorded (Monitors-search-returns-OK-response, Monitors-group-search-returns-OK-
//! response, 2022-01); parameters as documented (`query`, `page` from 0, `per_page` default 30,
//! `sort` as `name|status|tags,asc|desc`). The query language is the documented subset of the
//! Manage Monitors search (docs.datadoghq.com/monitors/manage/search): space-separated terms,
//! all of which must match (`AND` may be written); `status:`, `muted:`, `type:`, `tag:`,
//! `title:`, `message:`, plain text (name or message, `*` and `?` wildcards, or a monitor id);
//! a value may be quoted or a parenthesised `(a OR b)` list.
//! GUESS (behaviour): `NOT`, `-`, top-level `OR`, fuzzy terms and the other documented
//! attributes (creator, scope, metric, notification, muted_left, ...) are not supported; any
//! other `key:value` term matches the tag `key:value` (as the documented `env:` and `service:`
//! do).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::clock;
use super::rules::Rejection;

/// What a search asks for, from the request's parameters.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    pub query: String,
    pub page: usize,
    pub per_page: usize,
    pub sort: Option<String>,
}

/// `GET /api/v1/monitor/search` over the org's monitors (as stored).
pub(crate) fn monitors(all: &[Map<String, Value>], search: &Search) -> Result<Value, Rejection> {
    let terms = parse_query(&search.query)?;
    let mut found: Vec<&Map<String, Value>> = all
        .iter()
        .filter(|monitor| terms.iter().all(|term| term.matches(monitor)))
        .collect();
    sort(&mut found, search.sort.as_deref())?;
    let counts = counts(found.iter().map(|monitor| (*monitor, status(monitor))));
    let items = page_of(&found, search).map(search_item).collect();
    Ok(json!({
        "counts": counts,
        "monitors": Value::Array(items),
        "metadata": metadata(found.len(), search),
    }))
}

/// `GET /api/v1/monitor/groups/search`. The emulator receives no data, so it knows no group
/// names: an evaluated monitor (see `Store::evaluate`) has one group, `total`, in its state.
/// GUESS (behaviour): that a monitor still in "No Data" has no group listed (the recorded
/// answer lists no "No Data" group among 319, while the org had 96 "No Data" monitors).
pub(crate) fn groups(all: &[Map<String, Value>], search: &Search) -> Result<Value, Rejection> {
    let terms = parse_query(&search.query)?;
    let mut found: Vec<&Map<String, Value>> = all
        .iter()
        .filter(|monitor| status(monitor) != "No Data")
        .filter(|monitor| terms.iter().all(|term| term.matches(monitor)))
        .collect();
    sort(&mut found, search.sort.as_deref())?;
    let counts = counts(found.iter().map(|monitor| (*monitor, status(monitor))));
    let items = page_of(&found, search).map(group_item).collect();
    Ok(json!({
        "counts": counts,
        "groups": Value::Array(items),
        "metadata": metadata(found.len(), search),
    }))
}

/// One search term; every term of a query must match.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Status(Vec<String>),
    Muted(bool),
    Type(Vec<String>),
    Tag(Vec<String>),
    Title(String),
    Message(String),
    Text(String),
}

/// Monitor states (MonitorOverallStates in the API specification).
const STATUSES: &[&str] = &[
    "Alert", "Ignored", "No Data", "OK", "Skipped", "Unknown", "Warn",
];

fn parse_query(query: &str) -> Result<Vec<Term>, Rejection> {
    split_terms(query)
        .into_iter()
        .filter(|word| word != "AND")
        .map(|word| parse_term(&word))
        .collect()
}

/// Splits on spaces outside quotes and parentheses.
fn split_terms(query: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let (mut depth, mut quoted) = (0usize, false);
    for c in query.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            c if c.is_whitespace() && !quoted && depth == 0 => {
                if !current.is_empty() {
                    terms.push(std::mem::take(&mut current));
                }
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.is_empty() {
        terms.push(current);
    }
    terms
}

fn parse_term(word: &str) -> Result<Term, Rejection> {
    let Some((field, value)) = word
        .split_once(':')
        .filter(|(field, _)| !field.contains('"'))
    else {
        return Ok(Term::Text(unquote(word)));
    };
    let values = alternatives(value);
    match field.to_lowercase().as_str() {
        "status" => statuses(values).map(Term::Status),
        "muted" => muted(&values).map(Term::Muted),
        "type" => Ok(Term::Type(values)),
        "tag" => Ok(Term::Tag(values)),
        "title" => Ok(Term::Title(unquote(value))),
        "message" => Ok(Term::Message(unquote(value))),
        _ => Ok(Term::Tag(
            values.iter().map(|v| format!("{field}:{v}")).collect(),
        )),
    }
}

/// `x`, `"x y"` or `(x OR "y z")`.
fn alternatives(value: &str) -> Vec<String> {
    match value.strip_prefix('(').and_then(|v| v.strip_suffix(')')) {
        Some(inner) => inner.split(" OR ").map(|v| unquote(v.trim())).collect(),
        None => vec![unquote(value)],
    }
}

fn unquote(text: &str) -> String {
    text.trim_matches('"').to_owned()
}

fn statuses(values: Vec<String>) -> Result<Vec<String>, Rejection> {
    for value in &values {
        if !STATUSES
            .iter()
            .any(|known| known.eq_ignore_ascii_case(value))
        {
            // Recorded: Monitors-search-returns-Bad-Request-response.
            return Err(Rejection::bad_request(&format!(
                "Query parsing error: '{value}' is not a valid monitor status"
            )));
        }
    }
    Ok(values)
}

fn muted(values: &[String]) -> Result<bool, Rejection> {
    match values {
        [value] if value.eq_ignore_ascii_case("true") => Ok(true),
        [value] if value.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(Rejection::bad_request(&format!(
            // GUESS: wording, shaped like the recorded status refusal.
            "Query parsing error: '{}' is not a valid muted value",
            values.join(" OR ")
        ))),
    }
}

impl Term {
    /// A monitor's status is also its one group's (see `groups`).
    fn matches(&self, monitor: &Map<String, Value>) -> bool {
        let any = |values: &[String], actual: &str| {
            values
                .iter()
                .any(|value| value.eq_ignore_ascii_case(actual))
        };
        match self {
            Term::Status(values) => any(values, status(monitor)),
            Term::Muted(wanted) => is_muted(monitor) == *wanted,
            Term::Type(values) => {
                any(values, &classification(monitor)) || any(values, text(monitor, "type"))
            }
            Term::Tag(values) => tags(monitor).iter().any(|tag| any(values, tag)),
            Term::Title(pattern) => text_matches(pattern, text(monitor, "name")),
            Term::Message(pattern) => text_matches(pattern, text(monitor, "message")),
            Term::Text(pattern) => {
                text_matches(pattern, text(monitor, "name"))
                    || text_matches(pattern, text(monitor, "message"))
                    || monitor
                        .get("id")
                        .and_then(Value::as_i64)
                        .map(|id| id.to_string())
                        == Some(pattern.clone())
            }
        }
    }
}

/// Case-insensitive: a pattern with `*` or `?` must match the whole text; plain text may match
/// anywhere in it. GUESS (behaviour): Datadog matches words of an analysed text, which a
/// substring approximates.
fn text_matches(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.to_lowercase(), text.to_lowercase());
    if pattern.contains(['*', '?']) {
        let pattern: Vec<char> = pattern.chars().collect();
        let text: Vec<char> = text.chars().collect();
        glob(&pattern, &text)
    } else {
        text.contains(&pattern)
    }
}

/// Iterative wildcard matching (`*` any run, `?` one character), linear in practice.
fn glob(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(c) if *c == '?' || *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Documented sort fields and directions. GUESS (behaviour): without `sort`, monitors come in
/// id order (the recorded order is not explained by any field); `tags` sorts on the tags
/// joined; an unknown field or direction is refused, in words that are a GUESS.
fn sort(found: &mut [&Map<String, Value>], sort: Option<&str>) -> Result<(), Rejection> {
    let Some(sort) = sort.filter(|sort| !sort.trim().is_empty()) else {
        found.sort_by_key(|monitor| monitor.get("id").and_then(Value::as_i64));
        return Ok(());
    };
    let (field, direction) = sort.split_once(',').unwrap_or((sort, "asc"));
    let descending = match direction.trim() {
        "asc" => false,
        "desc" => true,
        _ => return Err(invalid_sort(sort)),
    };
    let key = |monitor: &Map<String, Value>| -> Result<String, Rejection> {
        Ok(match field.trim() {
            "name" => text(monitor, "name").to_lowercase(),
            "status" => status(monitor).to_owned(),
            "tags" => tags(monitor).join(","),
            _ => return Err(invalid_sort(sort)),
        })
    };
    if let Some(monitor) = found.first() {
        key(monitor)?;
    }
    found.sort_by_cached_key(|monitor| key(monitor).unwrap_or_default());
    if descending {
        found.reverse();
    }
    Ok(())
}

fn invalid_sort(sort: &str) -> Rejection {
    // GUESS: wording.
    Rejection::bad_request(&format!("Invalid sort parameter: '{sort}'"))
}

fn page_of<'a>(
    found: &'a [&'a Map<String, Value>],
    search: &Search,
) -> impl Iterator<Item = &'a Map<String, Value>> {
    found
        .iter()
        .skip(search.page.saturating_mul(search.per_page))
        .take(search.per_page)
        .copied()
}

fn metadata(total: usize, search: &Search) -> Value {
    json!({
        "total_count": total,
        "page_count": total.div_ceil(search.per_page.max(1)),
        "page": search.page,
        "per_page": search.per_page,
    })
}

/// Facet counts over everything found (not only the page): most frequent first, then by name.
/// GUESS (behaviour): that the counts follow the query (the recorded answer had none).
fn counts<'a>(found: impl Iterator<Item = (&'a Map<String, Value>, &'a str)>) -> Value {
    let mut status = BTreeMap::new();
    let mut muted = BTreeMap::new();
    let mut tag = BTreeMap::new();
    let mut kind = BTreeMap::new();
    for (monitor, state) in found {
        *status.entry(state.to_owned()).or_insert(0) += 1;
        *muted.entry(is_muted(monitor)).or_insert(0) += 1;
        for name in tags(monitor) {
            *tag.entry(name.to_owned()).or_insert(0) += 1;
        }
        *kind.entry(classification(monitor)).or_insert(0) += 1;
    }
    json!({
        "status": facet(status),
        "muted": facet(muted),
        "tag": facet(tag),
        "type": facet(kind),
    })
}

fn facet<K: Into<Value> + Ord>(counts: BTreeMap<K, usize>) -> Value {
    let mut counts: Vec<(K, usize)> = counts.into_iter().collect();
    // Stable: names stay in ascending order within one count.
    counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    counts
        .into_iter()
        .map(|(name, count)| json!({"count": count, "name": name.into()}))
        .collect()
}

/// A monitor as the search lists it (recorded keys, in the recorded order).
fn search_item(monitor: &Map<String, Value>) -> Value {
    let field = |key: &str| monitor.get(key).cloned().unwrap_or(Value::Null);
    let query = text(monitor, "query");
    let (metrics, scopes) = metrics_and_scopes(text(monitor, "type"), query);
    let creator = monitor.get("creator").cloned().unwrap_or(Value::Null);
    json!({
        "status": status(monitor),
        "scopes": scopes,
        "classification": classification(monitor),
        "creator": {"handle": creator["handle"], "name": creator["name"], "id": creator["id"]},
        "metrics": metrics,
        "notifications": notifications(text(monitor, "message")),
        "muted_until_ts": muted_until(monitor),
        "query": query,
        "id": field("id"),
        // GUESS (behaviour): the emulator does not track triggers.
        "last_triggered_ts": null,
        "name": field("name"),
        "tags": field("tags"),
        "org_id": field("org_id"),
        "priority": field("priority"),
        "overall_state_modified": state_modified_seconds(monitor),
        // Recorded as [] where monitor answers have null.
        "restricted_roles": if field("restricted_roles").is_null() { json!([]) } else { field("restricted_roles") },
        "type": field("type"),
    })
}

/// A monitor's one group (see `groups`), recorded keys in the recorded order.
/// GUESS (behaviour): `env_tags` and `team_tags` are the values of its `env:` and `team:` tags
/// (recorded: `env:ci` gives `["ci"]`); `last_triggered_ts` is when it entered "Alert" or
/// "Warn", else 0.
fn group_item(monitor: &Map<String, Value>) -> Value {
    let field = |key: &str| monitor.get(key).cloned().unwrap_or(Value::Null);
    let values_of = |prefix: &str| -> Vec<String> {
        tags(monitor)
            .iter()
            .filter_map(|tag| tag.strip_prefix(prefix).map(str::to_owned))
            .collect()
    };
    let state = status(monitor);
    let triggered = match state {
        "Alert" | "Warn" => state_modified_seconds(monitor),
        _ => json!(0),
    };
    json!({
        "status": state,
        "last_nodata_ts": 0,
        "env_tags": values_of("env:"),
        "muted_remaining": null,
        "muted_until_ts": muted_until(monitor),
        "all_tags": field("tags"),
        "monitor_name": field("name"),
        "team_tags": values_of("team:"),
        "last_triggered_ts": triggered,
        "group": "total",
        "downtimes": [],
        "monitor_id": field("id"),
        "priority": field("priority"),
        "muted": is_muted(monitor),
        "group_tags": ["total"],
    })
}

/// The search's `type` facet. Recorded: `metric` (metric and query alerts), `anomaly`, `log`,
/// `synthetics`, `ci-pipelines`, `composite`, `custom` (a service check), `integration`.
/// GUESS (behaviour): `integration` (an integration's metric or check) is never given;
/// `forecast` and `outlier` follow the query's function; other types drop " alert".
fn classification(monitor: &Map<String, Value>) -> String {
    let query = text(monitor, "query");
    match text(monitor, "type") {
        "query alert" | "metric alert" if query.contains("anomalies(") => "anomaly".into(),
        "query alert" | "metric alert" if query.contains("forecast(") => "forecast".into(),
        "query alert" | "metric alert" if query.contains("outliers(") => "outlier".into(),
        "query alert" | "metric alert" => "metric".into(),
        "service check" => "custom".into(),
        "event alert" | "event-v2 alert" => "event".into(),
        other => other.trim_end_matches(" alert").to_owned(),
    }
}

/// Metric names and `{...}` scopes of a metric query (recorded: `avg(last_5m):sum:
/// system.net.bytes_rcvd{host:host0} > 100` gives `["system.net.bytes_rcvd"]`, `["host:host0"]`),
/// and the check and its `over(...)` scopes of a service check (`"ntp.in_sync".over("*")`
/// gives `["ntp.in_sync"]`, `["*"]`). GUESS (behaviour): scopes in written order (one
/// recording lists them reversed); other types have none (as recorded for logs and CI).
fn metrics_and_scopes(monitor_type: &str, query: &str) -> (Vec<String>, Vec<String>) {
    match monitor_type {
        "query alert" | "metric alert" => metric_query_parts(query),
        "service check" => service_check_parts(query),
        _ => (Vec::new(), Vec::new()),
    }
}

fn metric_query_parts(query: &str) -> (Vec<String>, Vec<String>) {
    let (mut metrics, mut scopes) = (Vec::new(), Vec::new());
    for (open, _) in query.match_indices('{') {
        let before = &query[..open];
        let name_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .map_or(0, |at| at + 1);
        // `by {host}` has no metric before its brace: it is a grouping, not a scope.
        if name_start == open || !before[..name_start].ends_with(':') {
            continue;
        }
        push_new(&mut metrics, &before[name_start..]);
        let inside = query[open + 1..].split('}').next().unwrap_or_default();
        for scope in inside.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            push_new(&mut scopes, scope);
        }
    }
    (metrics, scopes)
}

fn service_check_parts(query: &str) -> (Vec<String>, Vec<String>) {
    let quoted: Vec<&str> = query.split('"').skip(1).step_by(2).collect();
    let metrics = quoted.first().map(|check| vec![check.to_string()]);
    let scopes = query
        .split_once(".over(")
        .map(|(_, rest)| rest.split(')').next().unwrap_or_default())
        .map(|args| {
            args.split('"')
                .skip(1)
                .step_by(2)
                .map(String::from)
                .collect()
        });
    (metrics.unwrap_or_default(), scopes.unwrap_or_default())
}

fn push_new(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|known| known == item) {
        list.push(item.to_owned());
    }
}

/// `@handle` mentions of the message. GUESS (behaviour): `name` is the handle (recorded so for
/// `@hipchat-channel`; `@pagerduty` was named "Pagerduty" by its integration).
fn notifications(message: &str) -> Vec<Value> {
    let mut handles: Vec<String> = Vec::new();
    for (at, _) in message.match_indices('@') {
        let handle: String = message[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        let handle = handle.trim_end_matches('.');
        if !handle.is_empty() {
            push_new(&mut handles, handle);
        }
    }
    handles
        .into_iter()
        .map(|handle| json!({"handle": handle, "name": handle}))
        .collect()
}

fn status(monitor: &Map<String, Value>) -> &str {
    monitor
        .get("overall_state")
        .and_then(Value::as_str)
        .unwrap_or("No Data")
}

fn silenced(monitor: &Map<String, Value>) -> Option<&Map<String, Value>> {
    monitor.get("options")?.get("silenced")?.as_object()
}

fn is_muted(monitor: &Map<String, Value>) -> bool {
    silenced(monitor).is_some_and(|silenced| !silenced.is_empty())
}

/// When the whole-monitor mute ends (null without end, or when not muted).
fn muted_until(monitor: &Map<String, Value>) -> Value {
    silenced(monitor)
        .and_then(|silenced| silenced.get("*"))
        .cloned()
        .unwrap_or(Value::Null)
}

/// Recorded in whole seconds here, where monitor answers write a timestamp.
fn state_modified_seconds(monitor: &Map<String, Value>) -> Value {
    monitor
        .get("overall_state_modified")
        .and_then(Value::as_str)
        .and_then(clock::parse_seconds)
        .map_or(Value::Null, Value::from)
}

fn text<'a>(monitor: &'a Map<String, Value>, key: &str) -> &'a str {
    monitor.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn tags(monitor: &Map<String, Value>) -> Vec<&str> {
    monitor
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_split_outside_quotes_and_parentheses() {
        assert_eq!(
            split_terms(r#"status:(Alert OR "No Data")  tag:"a b" disk"#),
            [r#"status:(Alert OR "No Data")"#, r#"tag:"a b""#, "disk"]
        );
        assert_eq!(
            parse_term(r#"status:(Alert OR "No Data")"#),
            Ok(Term::Status(vec!["Alert".into(), "No Data".into()]))
        );
        assert_eq!(
            parse_term("env:prod"),
            Ok(Term::Tag(vec!["env:prod".into()]))
        );
    }

    #[test]
    fn wildcards_match_the_whole_text() {
        assert!(text_matches("*postgres*", "Postgres replication lag"));
        assert!(text_matches("disk", "Disk full"));
        assert!(!text_matches("disk*", "full disk"));
        assert!(text_matches("c?u *", "cpu high"));
    }

    #[test]
    fn metrics_and_scopes_as_recorded() {
        assert_eq!(
            metrics_and_scopes(
                "metric alert",
                "avg(last_5m):sum:system.net.bytes_rcvd{host:host0} by {host} > 100"
            ),
            (
                vec!["system.net.bytes_rcvd".into()],
                vec!["host:host0".into()]
            )
        );
        assert_eq!(
            metrics_and_scopes(
                "service check",
                r#""ntp.in_sync".over("*").last(2).count_by_status()"#
            ),
            (vec!["ntp.in_sync".into()], vec!["*".into()])
        );
    }

    #[test]
    fn notifications_are_the_mentioned_handles() {
        assert_eq!(
            notifications("some message Notify: @hipchat-channel. @hipchat-channel"),
            [json!({"handle": "hipchat-channel", "name": "hipchat-channel"})]
        );
    }
}
