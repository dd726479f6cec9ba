//! The Monitor API surface: the `Client`, its options and counters, and one method per
//! endpoint monc uses (listing, reading, writing, validating, deletion checks). How a call is
//! sent, retried, paced and bounded is the job of [`engine`].

mod engine;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::config::KeyMask;
use super::rate_budget::RateBudgets;
use super::transport::{check_api_url, http_client};
use super::{ApiError, Credentials, Monitor, MonitorContext};
pub(super) use engine::{Call, Repeat};
use engine::{auth_headers, cut_message, lock};

/// Total time one API call may take, retries and rate-limit waits included (documented in the
/// README: a stalled server is given up on after this long, whatever the retries).
pub(super) const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

/// Tuning of the client. The defaults suit the real API.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Monitors per list page (the API accepts at most 1000).
    pub page_size: u32,
    /// Requests in flight at once, before rate-limit headers say otherwise.
    pub max_concurrency: usize,
    /// Longest one attempt may take (capped by what is left of `deadline`).
    pub request_timeout: Duration,
    /// Total time one call may take: every attempt, retry back-off and rate-limit wait included.
    pub deadline: Duration,
    /// Retries after 5xx, timeouts and transport errors (429 waits are bounded by the budget).
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Share of the org's rate limit (`X-RateLimit-Limit`) left to other clients: monc waits for
    /// the reset rather than spend the last `rate_headroom × limit` requests of a window.
    pub rate_headroom: f64,
    /// Largest answer body accepted; a bigger one is an error, not a memory blow-up.
    pub max_body_bytes: usize,
    /// Largest listing accepted, all its pages' bodies together: each page under
    /// `max_body_bytes` is not enough, a server can send many.
    pub max_listing_bytes: usize,
    /// Most monitors one listing may hold.
    pub max_listing_monitors: usize,
}

/// Default [`ClientOptions::max_listing_bytes`]: many times the largest org monc manages
/// (10,000s of monitors of a few KB each), far below what exhausts a CI runner.
pub const MAX_LISTING_BYTES: usize = 512 << 20;
/// Default [`ClientOptions::max_listing_monitors`]: a thousand full pages, far more than any org.
pub const MAX_LISTING_MONITORS: usize = 1_000_000;

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            page_size: crate::limits::MAX_MONITOR_PAGE_SIZE,
            max_concurrency: 8,
            request_timeout: Duration::from_secs(30),
            deadline: DEFAULT_DEADLINE,
            max_retries: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            rate_headroom: 0.2,
            max_body_bytes: 64 << 20,
            max_listing_bytes: MAX_LISTING_BYTES,
            max_listing_monitors: MAX_LISTING_MONITORS,
        }
    }
}

/// Request counters of one HTTP method.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodStats {
    pub requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
}

/// What the client has done so far (for tests and benchmarks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    pub by_method: BTreeMap<String, MethodStats>,
}

/// Async Monitor API client. Cheap to clone: clones share the connection pool, rate-limit
/// knowledge, concurrency limit and stats.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    auth: HeaderMap,
    /// Applied to every server text that can become an error (see [`Client::exchange`]).
    mask: KeyMask,
    options: ClientOptions,
    in_flight: Semaphore,
    budget: Mutex<RateBudgets>,
    stats: Mutex<Stats>,
}

/// Ids per `can_delete` request, keeping the URL short.
const CAN_DELETE_CHUNK: usize = 100;

/// The answer of `GET /api/v1/monitor/can_delete`.
#[derive(serde::Deserialize)]
struct CanDelete {
    data: CanDeleteData,
    #[serde(default)]
    errors: Option<HashMap<String, Vec<String>>>,
}

#[derive(serde::Deserialize)]
struct CanDeleteData {
    #[serde(default)]
    ok: Vec<i64>,
}

/// More pages than any org holds (a million monitors at the largest page size): a server that
/// keeps sending new ids is not listing an org.
const MAX_PAGES: u32 = 1000;

/// The monitors of a paginated listing read so far, and which page brought each id.
#[derive(Default)]
struct Listing {
    monitors: Vec<Monitor>,
    page_of: HashMap<i64, u32>,
    /// Body bytes of every page read.
    bytes: usize,
}

impl Listing {
    /// Counts one page's body, or says which cap of `options` the listing passed.
    fn take_bytes(
        &mut self,
        page: u32,
        body: &[u8],
        options: &ClientOptions,
    ) -> Result<(), String> {
        self.bytes = self.bytes.saturating_add(body.len());
        if self.bytes > options.max_listing_bytes {
            return Err(format!(
                "{} in all after {} pages",
                byte_size(options.max_listing_bytes),
                page + 1
            ));
        }
        Ok(())
    }

    /// Checks the count of monitors against its cap once a page is taken.
    fn check_count(&self, page: u32, options: &ClientOptions) -> Result<(), String> {
        if self.monitors.len() > options.max_listing_monitors {
            return Err(format!(
                "{} monitors after {} pages",
                options.max_listing_monitors,
                page + 1
            ));
        }
        Ok(())
    }

    /// Adds one page, or says why the answer cannot be trusted.
    fn take_page(&mut self, page: u32, page_size: u32, batch: Vec<Monitor>) -> Result<(), String> {
        if batch.len() > page_size as usize {
            return Err(format!(
                "page {page} holds {} monitors, more than the {page_size} asked for",
                batch.len()
            ));
        }
        for (index, monitor) in batch.into_iter().enumerate() {
            let Some(id) = monitor.id else {
                return Err(format!(
                    "monitor {} of page {page} ({:?}) has no id",
                    index + 1,
                    cut_message(&monitor.body.name)
                ));
            };
            if let Some(first) = self.page_of.insert(id, page) {
                return Err(format!(
                    "monitor {id} is listed twice (pages {first} and {page}); the server may be \
                     ignoring `page`"
                ));
            }
            self.monitors.push(monitor);
        }
        Ok(())
    }
}

impl Client {
    /// A client for `base_url` (e.g. `https://api.datadoghq.com` or an emulator on loopback).
    pub fn new(
        base_url: &str,
        credentials: &Credentials,
        options: ClientOptions,
    ) -> Result<Client, ApiError> {
        let base = check_api_url(base_url)?;
        let http = http_client(&base)
            .build()
            .map_err(|error| ApiError::Config(format!("cannot build HTTP client: {error}")))?;
        let in_flight = Semaphore::new(options.max_concurrency.max(1));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                auth: auth_headers(credentials)?,
                mask: KeyMask::new(credentials),
                options,
                in_flight,
                budget: Mutex::new(RateBudgets::default()),
                stats: Mutex::new(Stats::default()),
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Counters since the client was built.
    pub fn stats(&self) -> Stats {
        lock(&self.inner.stats).clone()
    }

    /// All monitors carrying every tag in `monitor_tags` (all monitors when empty), one request
    /// per page of `page_size`.
    ///
    /// The answer is checked before anyone acts on it: a listing is what decides what to delete,
    /// so a page larger than asked for, a monitor listed twice, a page that brings nothing new or
    /// a monitor without an id is an inconsistent answer, never a partial truth.
    pub async fn list_monitors(&self, monitor_tags: &[String]) -> Result<Vec<Monitor>, ApiError> {
        self.list_monitors_where(monitor_tags, None).await
    }

    /// Like [`Client::list_monitors`], each monitor with its groups' states
    /// (`group_states=all`: `state.groups` maps each group to its `status` and timestamps).
    pub async fn list_monitors_with_states(
        &self,
        monitor_tags: &[String],
    ) -> Result<Vec<Monitor>, ApiError> {
        self.list_monitors_where(monitor_tags, Some("all")).await
    }

    async fn list_monitors_where(
        &self,
        monitor_tags: &[String],
        group_states: Option<&str>,
    ) -> Result<Vec<Monitor>, ApiError> {
        let page_size = self
            .inner
            .options
            .page_size
            .clamp(1, crate::limits::MAX_MONITOR_PAGE_SIZE);
        let mut listing = Listing::default();
        for page in 0..MAX_PAGES {
            let mut query = vec![
                ("page", page.to_string()),
                ("page_size", page_size.to_string()),
            ];
            if !monitor_tags.is_empty() {
                query.push(("monitor_tags", monitor_tags.join(",")));
            }
            if let Some(states) = group_states {
                query.push(("group_states", states.to_owned()));
            }
            let call = Call::new(Method::GET, "/api/v1/monitor".into(), Repeat::Safe).query(query);
            let reply = self.send(&call).await?;
            let body = self.expect_success(&call, reply)?;
            let options = &self.inner.options;
            listing
                .take_bytes(page, &body, options)
                .map_err(|exceeded| call.listing_too_large(exceeded))?;
            let batch: Vec<Monitor> = call.decode(&body)?;
            drop(body);
            let last_page = batch.len() < page_size as usize;
            listing
                .take_page(page, page_size, batch)
                .map_err(|message| call.inconsistent(message))?;
            listing
                .check_count(page, options)
                .map_err(|exceeded| call.listing_too_large(exceeded))?;
            if last_page {
                return Ok(listing.monitors);
            }
        }
        Err(ApiError::Inconsistent {
            method: "GET".into(),
            path: "/api/v1/monitor".into(),
            message: format!("the listing did not end after {MAX_PAGES} pages"),
        })
    }

    /// One monitor of the org, whichever the API lists first (`None` when the org has none):
    /// the Monitor API names an org only on its monitors (`org_id`), so this is how monc tells
    /// which org it talks to. One page of one monitor (recorded: `page_size` and `page`).
    pub async fn any_monitor(&self) -> Result<Option<Monitor>, ApiError> {
        let query = vec![("page", "0".to_string()), ("page_size", "1".to_string())];
        let call = Call::new(Method::GET, "/api/v1/monitor".into(), Repeat::Safe).query(query);
        let batch: Vec<Monitor> = self.json_call(&call).await?;
        if batch.len() > 1 {
            return Err(call.inconsistent(format!("asked for one monitor, got {}", batch.len())));
        }
        Ok(batch.into_iter().next())
    }

    /// The monitor `id` as it is now. An answer about another monitor, or without `modified`,
    /// is an error: callers re-read a monitor to check it is as planned before writing.
    pub async fn get_monitor(&self, id: i64) -> Result<Monitor, ApiError> {
        let path = monitor_path(id);
        let monitor: Monitor = self
            .json(Call::new(Method::GET, path.clone(), Repeat::Safe).about(id_context(id)))
            .await?;
        let problem = if monitor.id != Some(id) {
            Some(format!("asked for monitor {id}, got {:?}", monitor.id))
        } else if monitor.modified.is_none() {
            Some(format!("monitor {id} came without `modified`"))
        } else {
            None
        };
        match problem {
            Some(message) => Err(ApiError::Inconsistent {
                method: "GET".into(),
                path,
                message,
            }),
            None => Ok(monitor),
        }
    }

    /// Creates `monitor`; on [`ApiError::ResponseLost`] it may exist anyway.
    pub async fn create_monitor(&self, monitor: &Monitor) -> Result<Monitor, ApiError> {
        let call = Call::new(Method::POST, "/api/v1/monitor".into(), Repeat::Unsafe)
            .body(monitor.to_request_body())
            .about(monitor_context(None, monitor));
        self.json(call).await
    }

    /// Replaces the monitor's fields with `monitor`'s (the API replaces `options` wholesale).
    pub async fn update_monitor(&self, id: i64, monitor: &Monitor) -> Result<Monitor, ApiError> {
        let call = Call::new(Method::PUT, monitor_path(id), Repeat::Safe)
            .body(monitor.to_request_body())
            .about(monitor_context(Some(id), monitor));
        self.json(call).await
    }

    /// Replaces only the monitor's tags (a partial `PUT`: the API leaves the fields not sent
    /// as they are).
    pub async fn update_tags(&self, id: i64, tags: &[String]) -> Result<Monitor, ApiError> {
        let call = Call::new(Method::PUT, monitor_path(id), Repeat::Safe)
            .body(serde_json::json!({ "tags": tags }))
            .about(id_context(id));
        self.json(call).await
    }

    /// Deletes a monitor. Without `force` the API refuses while a composite references it.
    pub async fn delete_monitor(&self, id: i64, force: bool) -> Result<(), ApiError> {
        let mut call =
            Call::new(Method::DELETE, monitor_path(id), Repeat::Safe).about(id_context(id));
        if force {
            call = call.query(vec![("force", "true".into())]);
        }
        let reply = self.send(&call).await?;
        // A retry after a lost answer finds the monitor already gone: that is success.
        if reply.lost_before && reply.status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        self.expect_success(&call, reply).map(|_| ())
    }

    /// Which of `ids` cannot be deleted now, and why (`GET /api/v1/monitor/can_delete`): a
    /// composite or SLO that uses a monitor makes the API refuse to delete it. An id the answer
    /// does not mention is reported as blocked, never assumed deletable.
    pub async fn deletion_blockers(
        &self,
        ids: &[i64],
    ) -> Result<BTreeMap<i64, Vec<String>>, ApiError> {
        let mut blockers = BTreeMap::new();
        for chunk in ids.chunks(CAN_DELETE_CHUNK) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let call = Call::new(
                Method::GET,
                "/api/v1/monitor/can_delete".into(),
                Repeat::Safe,
            )
            .query(vec![("monitor_ids", list.join(","))]);
            let reply = self.send(&call).await?;
            // The published spec answers 200, and a deletion conflict may come as 409 with the
            // same body.
            let body = if reply.status == StatusCode::CONFLICT {
                reply.body
            } else {
                self.expect_success(&call, reply)?
            };
            let answer: CanDelete = serde_json::from_slice(&body)
                .map_err(|error| call.inconsistent(format!("not a can_delete answer: {error}")))?;
            for &id in chunk {
                if answer.data.ok.contains(&id) {
                    continue;
                }
                let reasons = answer
                    .errors
                    .as_ref()
                    // Not cut like error texts: plan::live reads the ids in them.
                    .and_then(|errors| errors.get(&id.to_string()).cloned())
                    .unwrap_or_else(|| vec!["the API did not say it can be deleted".into()]);
                blockers.insert(id, reasons);
            }
        }
        Ok(blockers)
    }

    /// Asks the API whether `monitor` would be accepted, without creating it.
    pub async fn validate_monitor(&self, monitor: &Monitor) -> Result<(), ApiError> {
        let call = Call::new(
            Method::POST,
            "/api/v1/monitor/validate".into(),
            Repeat::Safe,
        )
        .body(monitor.to_request_body())
        .about(monitor_context(None, monitor));
        self.json::<Value>(call).await.map(|_| ())
    }

    /// Asks the API whether updating monitor `id` to `monitor` would be accepted.
    pub async fn validate_existing_monitor(
        &self,
        id: i64,
        monitor: &Monitor,
    ) -> Result<(), ApiError> {
        let call = Call::new(
            Method::POST,
            format!("/api/v1/monitor/{id}/validate"),
            Repeat::Safe,
        )
        .body(monitor.to_request_body())
        .about(monitor_context(Some(id), monitor));
        self.json::<Value>(call).await.map(|_| ())
    }
}

/// `100000 bytes`, or `536870912 bytes (512 MiB)`.
fn byte_size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{bytes} bytes ({} MiB)", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

fn monitor_path(id: i64) -> String {
    format!("/api/v1/monitor/{id}")
}

fn id_context(id: i64) -> MonitorContext {
    MonitorContext {
        id: Some(id),
        ..MonitorContext::default()
    }
}

fn monitor_context(id: Option<i64>, monitor: &Monitor) -> MonitorContext {
    MonitorContext {
        key: None,
        id: id.or(monitor.id),
        name: Some(monitor.body.name.clone()).filter(|name| !name.is_empty()),
    }
}
