//! Monitor events: every state transition the emulator makes (a `--set` of a monitor or a
//! group, a composite's own evaluation) is logged, and `GET /api/v2/events` serves the log with
//! filtering and cursor paging.
//!
//! Sources (checked 2026-12, the newest snapshots the team has):
//! - recorded: DataDog/datadog-api-client-rust @ 286b280580affbd5de0ec698a94cc48a29756927,
//!   tests/scenarios/cassettes/v2/events/Get-a-list-of-events-returns-OK-response{,-with-
//!   pagination}.json (2022-06-20): the query parameters `filter[from]`, `filter[to]`,
//!   `page[limit]`, `page[cursor]`; the answer `{"data": [...], "meta": {"page": {"after":
//!   CURSOR}}, "links": {"next": URL}}`, newest first when no `sort` is given; each event
//!   `{"id", "type": "event", "attributes": {"timestamp": "2022-06-20T17:07:32Z", "message",
//!   "tags", "attributes": {"timestamp": <ms>, "status", "priority": "normal", "title", ...}}}`;
//!   a page with fewer events than asked for still carries `after`, and the page after the
//!   last is `{"data":[]}` without `meta`;
//! - the API specification (same commit, src/datadogV2/model/model_event_attributes.rs,
//!   model_monitor_type.rs, model_events_sort.rs, api_events.rs): `monitor` {id, name, query,
//!   type, tags, groups, templated_name, created_at, modified}, `monitor_id`, `monitor_groups`,
//!   `status` one of failure/error/warning/info/success/..., `sort` `timestamp` or
//!   `-timestamp`, `filter[from]`/`filter[to]` in milliseconds;
//! - an unofficial capture of a real answer (gist.github.com/warthy/eb667076c3556c0ea9645a4b136e3417,
//!   2022-05): `monitor.transition` = {`transition_type`: "alert recovery",
//!   `destination_state`: "OK", `source_state`: "Alert"} with `status` "success".
//!
//! GUESS (behaviour): the other `transition_type` texts, the `status` of a trigger ("error"
//! for Alert, "warning" for Warn and No Data), the title, the tags, the cursor's format, the
//! page size limits (10 by default, at most 1000), the default window (the last 15 minutes),
//! the query syntax beyond `source:alert`, `@monitor.id:N` and `tag:value` terms, and that the
//! monitor is rendered as it is now rather than as it was when the event happened.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::clock;
use super::rules::Rejection;
use super::states::{SIMPLE_GROUP, Status, Transition};

/// One logged transition of one group of one monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Order of logging: unique, and the tie-break between events of one millisecond.
    pub seq: u64,
    pub at_ms: i64,
    pub monitor_id: i64,
    pub group: String,
    pub from: Status,
    pub to: Status,
}

/// The log, kept sorted by `(at_ms, seq)` so a page is found by binary search.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<EventRecord>", into = "Vec<EventRecord>")]
pub struct EventLog {
    records: Vec<EventRecord>,
    next_seq: u64,
}

impl From<Vec<EventRecord>> for EventLog {
    fn from(mut records: Vec<EventRecord>) -> Self {
        records.sort_by_key(|r| (r.at_ms, r.seq));
        let next_seq = records.iter().map(|r| r.seq + 1).max().unwrap_or(0);
        EventLog { records, next_seq }
    }
}

impl From<EventLog> for Vec<EventRecord> {
    fn from(log: EventLog) -> Self {
        log.records
    }
}

impl EventLog {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Every record, oldest first (the state file's order).
    pub fn records(&self) -> &[EventRecord] {
        &self.records
    }

    /// Logs the transitions of one monitor at `at_ms`.
    pub fn record(&mut self, monitor_id: i64, at_ms: i64, transitions: &[Transition]) {
        for transition in transitions {
            let seq = self.next_seq;
            self.next_seq += 1;
            let record = EventRecord {
                seq,
                at_ms,
                monitor_id,
                group: transition.group.clone(),
                from: transition.from,
                to: transition.to,
            };
            let at = self
                .records
                .partition_point(|r| (r.at_ms, r.seq) <= (record.at_ms, record.seq));
            self.records.insert(at, record);
        }
    }
}

/// `GET /api/v2/events` parameters, parsed.
#[derive(Debug, Clone)]
pub(crate) struct EventQuery {
    from_ms: i64,
    to_ms: i64,
    terms: Vec<Term>,
    ascending: bool,
    limit: usize,
    /// `(at_ms, seq)` of the last event of the previous page.
    after: Option<(i64, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    /// `source:alert`: every monitor event (the only source the emulator logs).
    MonitorSource,
    /// Another `source:`: nothing matches.
    OtherSource,
    MonitorId(i64),
    /// `key:value`: a tag of the monitor.
    Tag(String),
}

/// GUESS (behaviour): the documented default is not stated; 10 is the other v2 search APIs'.
const DEFAULT_LIMIT: usize = 10;
/// The issue and the other v2 search APIs: at most 1000 per page.
const MAX_LIMIT: usize = 1000;

impl EventQuery {
    pub(crate) fn parse(
        params: &std::collections::HashMap<String, String>,
        now_ms: i64,
    ) -> Result<Self, Rejection> {
        let time = |name: &str, default: i64| match params.get(name) {
            Some(text) => parse_time(text, now_ms).ok_or_else(|| {
                Rejection::bad_request(&format!(
                    "invalid {name} {text:?}: expected milliseconds, an ISO 8601 date or now-15m"
                ))
            }),
            None => Ok(default),
        };
        let limit = match params.get("page[limit]") {
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    Rejection::bad_request(&format!(
                        "page[limit] must be between 1 and {MAX_LIMIT}, got {text:?}"
                    ))
                })?,
            None => DEFAULT_LIMIT,
        };
        let ascending = match params.get("sort").map(String::as_str) {
            None | Some("-timestamp") => false,
            Some("timestamp") => true,
            Some(other) => {
                return Err(Rejection::bad_request(&format!(
                    "sort must be timestamp or -timestamp, got {other:?}"
                )));
            }
        };
        let after = match params.get("page[cursor]") {
            Some(cursor) => Some(
                decode_cursor(cursor)
                    .ok_or_else(|| Rejection::bad_request("page[cursor] is not a valid cursor"))?,
            ),
            None => None,
        };
        Ok(EventQuery {
            from_ms: time("filter[from]", now_ms - 15 * 60 * 1000)?,
            to_ms: time("filter[to]", now_ms)?,
            terms: parse_terms(params.get("filter[query]").map_or("", String::as_str))?,
            ascending,
            limit,
            after,
        })
    }
}

fn parse_terms(query: &str) -> Result<Vec<Term>, Rejection> {
    let mut terms = Vec::new();
    for word in query.split_whitespace() {
        if word == "AND" || word == "*" {
            continue;
        }
        let term = match word.split_once(':') {
            Some(("source", "alert")) => Term::MonitorSource,
            Some(("source", _)) => Term::OtherSource,
            Some(("@monitor.id", id)) => Term::MonitorId(id.parse().map_err(|_| {
                Rejection::bad_request(&format!("@monitor.id needs a number, got {id:?}"))
            })?),
            Some((key, _)) if !key.starts_with('@') && !key.starts_with('-') => {
                Term::Tag(word.to_owned())
            }
            _ => {
                return Err(Rejection::bad_request(&format!(
                    "the emulator's events search knows source:alert, @monitor.id:N and tag:value \
                     terms, not {word:?}"
                )));
            }
        };
        terms.push(term);
    }
    Ok(terms)
}

/// `1655744852000`, `2020-09-17T11:48:36+01:00`, `now`, `now-15m` (s, m, h, d, w).
fn parse_time(text: &str, now_ms: i64) -> Option<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    if let Some(rest) = text.strip_prefix("now") {
        if rest.is_empty() {
            return Some(now_ms);
        }
        let amount = rest.strip_prefix('-')?;
        let unit = amount.chars().last()?;
        let number = &amount[..amount.len() - unit.len_utf8()];
        let seconds: i64 = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        return now_ms.checked_sub(number.parse::<i64>().ok()?.checked_mul(seconds * 1000)?);
    }
    iso_millis(text)
}

/// Milliseconds of `2020-09-17T11:48:36+01:00` / `...Z` / `...36.5Z`.
fn iso_millis(text: &str) -> Option<i64> {
    let seconds = clock::parse_seconds(text)?;
    let rest = text.get(19..)?;
    let (fraction, zone) = match rest.strip_prefix('.') {
        Some(after) => {
            let digits = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            let millis = format!("{:0<3}", &after[..digits.min(3)])
                .parse::<i64>()
                .ok()?;
            (millis, &after[digits..])
        }
        None => (0, rest),
    };
    let offset = match zone {
        "" | "Z" => 0,
        _ => {
            let sign = match zone.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let hours: i64 = zone.get(1..3)?.parse().ok()?;
            let minutes: i64 = zone.get(zone.len().checked_sub(2)?..)?.parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    Some((seconds - offset) * 1000 + fraction)
}

fn encode_cursor((at_ms, seq): (i64, u64)) -> String {
    format!("{at_ms:x}-{seq:x}")
}

fn decode_cursor(cursor: &str) -> Option<(i64, u64)> {
    let (at, seq) = cursor.split_once('-')?;
    Some((
        i64::from_str_radix(at, 16).ok()?,
        u64::from_str_radix(seq, 16).ok()?,
    ))
}

/// One page of the log for `query`: the answer body. `monitor` looks a monitor up by id.
pub(crate) fn page(
    log: &EventLog,
    query: &EventQuery,
    monitor: &dyn Fn(i64) -> Option<Map<String, Value>>,
    base_url: &str,
    raw_query: &[(String, String)],
) -> Value {
    let records = &log.records;
    let chosen: Vec<&EventRecord> = if query.ascending {
        let start = query.after.map_or(0, |after| {
            records.partition_point(|r| (r.at_ms, r.seq) <= after)
        });
        records[start..]
            .iter()
            .skip_while(|r| r.at_ms < query.from_ms)
            .take_while(|r| r.at_ms <= query.to_ms)
            .filter(|r| matches(r, &query.terms, monitor))
            .take(query.limit)
            .collect()
    } else {
        let end = query.after.map_or(records.len(), |after| {
            records.partition_point(|r| (r.at_ms, r.seq) < after)
        });
        records[..end]
            .iter()
            .rev()
            .skip_while(|r| r.at_ms > query.to_ms)
            .take_while(|r| r.at_ms >= query.from_ms)
            .filter(|r| matches(r, &query.terms, monitor))
            .take(query.limit)
            .collect()
    };
    let data: Vec<Value> = chosen.iter().map(|r| render(r, monitor)).collect();
    let Some(last) = chosen.last() else {
        return json!({ "data": [] });
    };
    let cursor = encode_cursor((last.at_ms, last.seq));
    json!({
        "meta": { "page": { "after": cursor } },
        "data": data,
        "links": { "next": next_link(base_url, raw_query, &cursor) },
    })
}

fn next_link(base_url: &str, raw_query: &[(String, String)], cursor: &str) -> String {
    let mut parts: Vec<String> = raw_query
        .iter()
        .filter(|(name, _)| name != "page[cursor]")
        .map(|(name, value)| format!("{}={}", escape(name), escape(value)))
        .collect();
    parts.push(format!("page%5Bcursor%5D={cursor}"));
    format!("{base_url}/api/v2/events?{}", parts.join("&"))
}

fn escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn matches(
    record: &EventRecord,
    terms: &[Term],
    monitor: &dyn Fn(i64) -> Option<Map<String, Value>>,
) -> bool {
    terms.iter().all(|term| match term {
        Term::MonitorSource => true,
        Term::OtherSource => false,
        Term::MonitorId(id) => record.monitor_id == *id,
        Term::Tag(tag) => monitor(record.monitor_id).is_some_and(|m| {
            m.get("tags")
                .and_then(Value::as_array)
                .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(tag)))
        }),
    })
}

/// GUESS (behaviour): the texts, except "alert recovery" (see the module's sources).
fn transition_type(from: Status, to: Status) -> String {
    let (from, to) = (from.as_str(), to.as_str());
    let triggered = |s: &str| matches!(s, "Alert" | "Warn");
    match to {
        "OK" if from == "No Data" => "no data recovery".into(),
        "OK" => format!("{} recovery", from.to_lowercase()),
        "No Data" => "no data".into(),
        _ if triggered(from) => format!("{} to {}", from.to_lowercase(), to.to_lowercase()),
        _ => to.to_lowercase(),
    }
}

/// GUESS (behaviour): see the module's comment.
fn status(to: Status) -> &'static str {
    match to {
        Status::Alert => "error",
        Status::Warn | Status::NoData => "warning",
        Status::Ok => "success",
    }
}

fn render(record: &EventRecord, monitor: &dyn Fn(i64) -> Option<Map<String, Value>>) -> Value {
    let stored = monitor(record.monitor_id).unwrap_or_default();
    let text = |key: &str| stored.get(key).cloned().unwrap_or(Value::Null);
    let name = stored.get("name").and_then(Value::as_str).unwrap_or("");
    let groups: Vec<&str> = match record.group.as_str() {
        SIMPLE_GROUP => Vec::new(),
        group => vec![group],
    };
    let title = match groups.first() {
        Some(group) => format!("[{}] {name} on {group}", record.to.as_str()),
        None => format!("[{}] {name}", record.to.as_str()),
    };
    let priority = stored.get("priority").cloned().unwrap_or(Value::Null);
    let iso = clock::format_micros(record.at_ms * 1000);
    json!({
        "id": format!("{:016x}{:016x}", record.at_ms, record.seq),
        "type": "event",
        "attributes": {
            "timestamp": format!("{}Z", &iso[..19]),
            "message": format!("%%% \n{} \n%%%", text("message").as_str().unwrap_or("")),
            "tags": text("tags"),
            "attributes": {
                "timestamp": record.at_ms,
                "status": status(record.to),
                "priority": "normal",
                "title": title,
                "source_type_name": "Monitor Alert",
                "monitor_id": record.monitor_id,
                "monitor_groups": groups,
                "monitor": {
                    "id": record.monitor_id,
                    "name": name,
                    "templated_name": name,
                    "type": text("type"),
                    "query": text("query"),
                    "tags": text("tags"),
                    "groups": groups,
                    "priority": priority,
                    "transition": {
                        "transition_type": transition_type(record.from, record.to),
                        "source_state": record.from.as_str(),
                        "destination_state": record.to.as_str(),
                    },
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(times: &[i64]) -> EventLog {
        let mut log = EventLog::default();
        for (i, &at) in times.iter().enumerate() {
            let to = if i % 2 == 0 {
                Status::Alert
            } else {
                Status::Ok
            };
            let from = if i % 2 == 0 {
                Status::Ok
            } else {
                Status::Alert
            };
            let group = SIMPLE_GROUP.to_owned();
            log.record(1, at, &[Transition { group, from, to }]);
        }
        log
    }

    #[test]
    fn records_stay_in_time_order_even_when_logged_out_of_order() {
        let log = log_of(&[3000, 1000, 2000, 2000]);
        let times: Vec<i64> = log.records().iter().map(|r| r.at_ms).collect();
        assert_eq!(times, vec![1000, 2000, 2000, 3000]);
        let mut seqs: Vec<u64> = log.records().iter().map(|r| r.seq).collect();
        seqs.sort_unstable();
        seqs.dedup();
        assert_eq!(seqs.len(), 4, "every record has its own seq");
    }

    #[test]
    fn times_parse_in_every_documented_form() {
        let now = 1_000_000_000;
        assert_eq!(parse_time("now", now), Some(now));
        assert_eq!(parse_time("now-15m", now), Some(now - 900_000));
        assert_eq!(parse_time("1655744852000", now), Some(1_655_744_852_000));
        assert_eq!(
            parse_time("2020-09-17T11:48:36+01:00", now),
            parse_time("2020-09-17T10:48:36Z", now)
        );
        assert_eq!(
            parse_time("2022-06-20T17:07:32Z", now),
            Some(1_655_744_852_000)
        );
        assert_eq!(parse_time("yesterday", now), None);
        assert_eq!(parse_time("now-é", now), None);
        assert_eq!(parse_time("2020-09-17T11:48:36+", now), None);
    }

    #[test]
    fn paging_with_the_cursor_visits_every_event_once_in_both_orders() {
        let log = log_of(&[1000, 2000, 2000, 3000, 4000]);
        for sort in ["timestamp", "-timestamp"] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut params: std::collections::HashMap<String, String> = [
                    ("filter[from]", "0"),
                    ("filter[to]", "5000"),
                    ("page[limit]", "2"),
                    ("sort", sort),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
                if let Some(cursor) = &cursor {
                    params.insert("page[cursor]".into(), cursor.clone());
                }
                let query = EventQuery::parse(&params, 0).expect("valid");
                let answer = page(&log, &query, &|_| None, "http://x", &[]);
                let data = answer["data"].as_array().expect("data").clone();
                if data.is_empty() {
                    assert!(answer.get("meta").is_none(), "the end has no cursor");
                    break;
                }
                seen.extend(
                    data.iter()
                        .map(|e| e["attributes"]["attributes"]["timestamp"].clone()),
                );
                cursor = answer["meta"]["page"]["after"].as_str().map(str::to_owned);
            }
            let mut expected = vec![1000, 2000, 2000, 3000, 4000];
            if sort == "-timestamp" {
                expected.reverse();
            }
            assert_eq!(
                seen,
                expected.into_iter().map(Value::from).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_recovery_renders_as_the_captured_answer_shows_it() {
        let record = EventRecord {
            seq: 0,
            at_ms: 1_655_744_852_000,
            monitor_id: 7,
            group: "host:a".into(),
            from: Status::Alert,
            to: Status::Ok,
        };
        let event = render(&record, &|_| None);
        let attributes = &event["attributes"]["attributes"];
        assert_eq!(event["attributes"]["timestamp"], "2022-06-20T17:07:32Z");
        assert_eq!(attributes["status"], "success");
        assert_eq!(
            attributes["monitor"]["transition"],
            json!({"transition_type": "alert recovery", "source_state": "Alert",
                   "destination_state": "OK"})
        );
        assert_eq!(attributes["monitor_groups"], json!(["host:a"]));
    }
}
