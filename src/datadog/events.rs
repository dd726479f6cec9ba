//! Monitor alert history from the Events API (v2): `GET /api/v2/events`, streamed page by page
//! so that a month of a large org never sits in memory at once.
//!
//! Fields, checked against (see also crates/monc-emulator/src/events.rs):
//! - recorded traffic: DataDog/datadog-api-client-rust @ 286b280580affbd5de0ec698a94cc48a29756927,
//!   tests/scenarios/cassettes/v2/events/Get-a-list-of-events-returns-OK-response-with-pagination.json:
//!   `filter[from]`, `filter[to]`, `page[limit]`, `page[cursor]`; `meta.page.after`; the page
//!   after the last is `{"data":[]}`; `data[].attributes.attributes.timestamp` in milliseconds;
//! - the API specification at the same commit (model_event_attributes.rs, model_monitor_type.rs,
//!   model_events_sort.rs): `attributes.attributes.monitor` {`id`, `groups`}, `monitor_id`,
//!   `monitor_groups`, `sort=timestamp` (oldest first), `filter[from]`/`filter[to]` in ms;
//! - `monitor.transition` {`source_state`, `destination_state`}: not in the specification;
//!   an unofficial capture of a real answer shows it (gist.github.com/warthy/eb667076c3556c0ea9645a4b136e3417).
//!   GUESS: that every monitor state change carries it. Events without it are skipped and counted.
//! - `filter[query]=source:alert`: the issue's example. GUESS: that it selects exactly the
//!   monitor alert events.

use reqwest::Method;
use serde::Deserialize;

use super::ApiError;
use super::client::{Call, Client, Repeat};

/// One monitor group's state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorEvent {
    pub monitor_id: i64,
    /// `None` for a simple alert (no groups).
    pub group: Option<String>,
    /// Milliseconds since the epoch.
    pub at_ms: i64,
    /// State names as the API writes them: `OK`, `Alert`, `Warn`, `No Data`, ...
    pub from: String,
    pub to: String,
}

/// The window and search of a history read.
#[derive(Debug, Clone)]
pub struct EventWindow {
    pub from_ms: i64,
    pub to_ms: i64,
    /// `filter[query]`, e.g. `source:alert`.
    pub query: String,
}

/// What a history read went through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventReadStats {
    pub pages: u64,
    pub events: u64,
    /// Events without a monitor id, a timestamp or a transition: not state changes monc can use.
    pub skipped: u64,
}

/// Pages one history read may take: a million events at the largest page size, ten times over.
const MAX_EVENT_PAGES: u64 = 10_000;

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<RawEvent>,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    page: Option<MetaPage>,
}

#[derive(Deserialize)]
struct MetaPage {
    #[serde(default)]
    after: Option<String>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    attributes: Option<Outer>,
}

#[derive(Deserialize)]
struct Outer {
    #[serde(default)]
    attributes: Option<Inner>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default)]
    monitor_id: Option<i64>,
    #[serde(default)]
    monitor_groups: Option<Vec<String>>,
    #[serde(default)]
    monitor: Option<RawMonitor>,
}

#[derive(Deserialize)]
struct RawMonitor {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    transition: Option<RawTransition>,
}

#[derive(Deserialize)]
struct RawTransition {
    #[serde(default)]
    source_state: Option<String>,
    #[serde(default)]
    destination_state: Option<String>,
}

impl RawEvent {
    fn into_monitor_event(self) -> Option<MonitorEvent> {
        let inner = self.attributes?.attributes?;
        let monitor = inner.monitor?;
        let transition = monitor.transition?;
        let groups = monitor.groups.or(inner.monitor_groups).unwrap_or_default();
        Some(MonitorEvent {
            monitor_id: monitor.id.or(inner.monitor_id)?,
            group: groups.into_iter().next(),
            at_ms: inner.timestamp?,
            from: transition.source_state?,
            to: transition.destination_state?,
        })
    }
}

impl Client {
    /// Every monitor state change in `window`, oldest first, handed to `on_page` one page at a
    /// time (at most `page_size` events; nothing else is kept). An answer out of time order,
    /// a cursor that repeats or a listing that never ends is an error: a replay of history
    /// in the wrong order would count the wrong pages.
    pub async fn stream_monitor_events(
        &self,
        window: &EventWindow,
        mut on_page: impl FnMut(Vec<MonitorEvent>),
    ) -> Result<EventReadStats, ApiError> {
        let limit = self
            .options()
            .page_size
            .clamp(1, crate::limits::MAX_EVENT_PAGE_LIMIT);
        let mut stats = EventReadStats::default();
        let mut cursor: Option<String> = None;
        let mut last_at = i64::MIN;
        while stats.pages < MAX_EVENT_PAGES {
            let call = events_call(window, limit, cursor.as_deref());
            let reply = self.send(&call).await?;
            let body = self.expect_success(&call, reply)?;
            let page: Page = call.decode(&body)?;
            drop(body);
            stats.pages += 1;
            if page.data.len() > limit as usize {
                return Err(call.inconsistent(format!(
                    "a page holds {} events, more than the {limit} asked for",
                    page.data.len()
                )));
            }
            let empty = page.data.is_empty();
            let mut events = Vec::with_capacity(page.data.len());
            for raw in page.data {
                stats.events += 1;
                let Some(event) = raw.into_monitor_event() else {
                    stats.skipped += 1;
                    continue;
                };
                if event.at_ms < last_at {
                    return Err(call.inconsistent(format!(
                        "events came out of time order ({} after {last_at}) although sorted by \
                         timestamp",
                        event.at_ms
                    )));
                }
                last_at = event.at_ms;
                events.push(event);
            }
            on_page(events);
            let next = page.meta.and_then(|m| m.page).and_then(|p| p.after);
            match next {
                Some(after) if !empty => {
                    if cursor.as_deref() == Some(after.as_str()) {
                        return Err(call.inconsistent("the page cursor did not move".into()));
                    }
                    cursor = Some(after);
                }
                _ => return Ok(stats),
            }
        }
        Err(ApiError::Inconsistent {
            method: "GET".into(),
            path: "/api/v2/events".into(),
            message: format!("the event listing did not end after {MAX_EVENT_PAGES} pages"),
        })
    }
}

fn events_call(window: &EventWindow, limit: u32, cursor: Option<&str>) -> Call {
    let mut query = vec![
        ("filter[query]", window.query.clone()),
        ("filter[from]", window.from_ms.to_string()),
        ("filter[to]", window.to_ms.to_string()),
        ("sort", "timestamp".to_owned()),
        ("page[limit]", limit.to_string()),
    ];
    if let Some(cursor) = cursor {
        query.push(("page[cursor]", cursor.to_owned()));
    }
    Call::new(Method::GET, "/api/v2/events".into(), Repeat::Safe).query(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_event_without_a_transition_is_skipped_and_a_monitor_event_is_read() {
        // The first event of the recorded page (no monitor: an API event).
        let recorded = r#"{"attributes":{"attributes":{"status":"info","timestamp":1655744852000,
            "priority":"normal","evt":{"source_id":100,"type":"api","id":"6567977849972254562"}},
            "tags":["environment:staging"],"timestamp":"2022-06-20T17:07:32Z"},"type":"event",
            "id":"AgAAAYGCFXAg"}"#;
        let raw: RawEvent = serde_json::from_str(recorded).expect("parses");
        assert_eq!(raw.into_monitor_event(), None);
        let monitor = r#"{"attributes":{"attributes":{"timestamp":1652974181000,
            "monitor":{"id":7061921,"groups":["host:a"],"transition":{"transition_type":
            "alert recovery","destination_state":"OK","source_state":"Alert"}}}}}"#;
        let raw: RawEvent = serde_json::from_str(monitor).expect("parses");
        assert_eq!(
            raw.into_monitor_event(),
            Some(MonitorEvent {
                monitor_id: 7061921,
                group: Some("host:a".into()),
                at_ms: 1652974181000,
                from: "Alert".into(),
                to: "OK".into(),
            })
        );
    }
}
