use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::config::KeyMask;
use super::rate_budget::{Admission, RateBudgets, route_of};
use super::transport::{check_api_url, error_cause, http_client};
use super::{ApiError, Credentials, Monitor, MonitorContext};

/// Total time one API call may take, retries and rate-limit waits included (documented in the
/// README: a stalled server is given up on after this long, whatever the retries).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

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
            page_size: 1000,
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
                    cut_message(&monitor.name)
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

/// Whether repeating a request is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Repeat {
    Safe,
    /// Repeating after a lost answer could apply it twice (create).
    Unsafe,
}

pub(super) struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    repeat: Repeat,
    monitor: Option<Box<MonitorContext>>,
}

/// A complete answer from the server.
pub(super) struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    /// Where a redirect pointed (never followed).
    location: Option<String>,
    /// An earlier attempt of this call was sent and its answer lost.
    lost_before: bool,
}

struct RetryState {
    started: Instant,
    deadline: Instant,
    attempts: u32,
    retries: u32,
    /// An attempt was sent and its answer lost.
    lost_before: bool,
}

enum Next {
    Done(Result<Reply, ApiError>),
    RetryAfter(Duration),
}

enum AttemptError {
    Timeout,
    /// The known rate-limit budget resets after the call's deadline.
    RateBudgetSpent,
    /// The answer's body is larger than `max_body_bytes`.
    TooLarge,
    Transport {
        message: String,
        sent: bool,
    },
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
        let page_size = self.inner.options.page_size.clamp(1, 1000);
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

    /// monc's local emulator only (`POST /monc-emulator/v1/states`, a path Datadog does not
    /// have): each `(id, group, state)` holds from now on (or from `at_ms`, milliseconds since
    /// the epoch: a drill laying down history), all within one evaluation cycle.
    pub async fn set_emulator_states(
        &self,
        states: &[(i64, Option<String>, String)],
        at_ms: Option<i64>,
    ) -> Result<(), ApiError> {
        let states: Vec<Value> = states
            .iter()
            .map(|(id, group, state)| {
                serde_json::json!({ "monitor_id": id, "group": group, "state": state })
            })
            .collect();
        let call = Call::new(
            Method::POST,
            "/monc-emulator/v1/states".into(),
            Repeat::Safe,
        )
        .body(serde_json::json!({ "states": states, "at_ms": at_ms }));
        self.json::<Value>(call).await.map(|_| ())
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

    async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T, ApiError> {
        self.json_call(&call).await
    }

    async fn json_call<T: DeserializeOwned>(&self, call: &Call) -> Result<T, ApiError> {
        let reply = self.send(call).await?;
        let body = self.expect_success(call, reply)?;
        call.decode(&body)
    }

    pub(super) fn expect_success(&self, call: &Call, reply: Reply) -> Result<Vec<u8>, ApiError> {
        if reply.status.is_success() {
            return Ok(reply.body);
        }
        Err(ApiError::Http {
            status: reply.status.as_u16(),
            method: call.method.to_string(),
            path: call.path.clone(),
            errors: error_messages(&reply.body),
            monitor: call.monitor.clone(),
        })
    }

    /// Sends `call` until it gets an answer worth returning: waits out 429s until the reset,
    /// retries 5xx, timeouts and transport errors with capped exponential backoff, all before
    /// the call's deadline. Never retries other 4xx, never follows a redirect.
    pub(super) async fn send(&self, call: &Call) -> Result<Reply, ApiError> {
        let started = Instant::now();
        let mut state = RetryState {
            started,
            deadline: started + self.inner.options.deadline,
            attempts: 0,
            retries: 0,
            lost_before: false,
        };
        loop {
            state.attempts += 1;
            let outcome = self.attempt(call, state.deadline).await;
            let wait = match self.judge(call, &mut state, outcome) {
                Next::Done(result) => return result,
                Next::RetryAfter(wait) => wait,
            };
            if Instant::now() + wait >= state.deadline {
                return Err(call.timeout(&state));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// What to do after one attempt.
    fn judge(
        &self,
        call: &Call,
        state: &mut RetryState,
        outcome: Result<Reply, AttemptError>,
    ) -> Next {
        match outcome {
            Ok(reply) if reply.status.is_redirection() => {
                Next::Done(Err(self.redirected(call, &reply)))
            }
            Ok(reply) if reply.status == StatusCode::TOO_MANY_REQUESTS => {
                self.count(&call.method, |stats| stats.rate_limited += 1);
                let wait = self
                    .time_until_reset(call)
                    .unwrap_or(Duration::from_secs(1));
                if Instant::now() + wait >= state.deadline {
                    return Next::Done(Err(call.rate_limited(state.started.elapsed())));
                }
                Next::RetryAfter(wait)
            }
            Ok(reply)
                if reply.status.is_server_error()
                    && state.retries < self.inner.options.max_retries =>
            {
                // A gateway timeout may hide a committed create.
                if call.repeat == Repeat::Unsafe && reply.status == StatusCode::GATEWAY_TIMEOUT {
                    return Next::Done(Err(call.lost("gateway timeout (504)".into())));
                }
                Next::RetryAfter(self.retry(call, state))
            }
            Ok(mut reply) => {
                reply.lost_before = state.lost_before;
                Next::Done(Ok(reply))
            }
            Err(AttemptError::RateBudgetSpent) => {
                Next::Done(Err(call.rate_limited(state.started.elapsed())))
            }
            Err(AttemptError::TooLarge) => Next::Done(Err(ApiError::TooLarge {
                method: call.method.to_string(),
                path: call.path.clone(),
                limit: self.inner.options.max_body_bytes,
            })),
            Err(AttemptError::Timeout) => {
                let failure = call.timeout(state);
                self.after_failure(call, state, true, failure)
            }
            Err(AttemptError::Transport { message, sent }) => {
                let failure = call.transport(self.origin(), message);
                self.after_failure(call, state, sent, failure)
            }
        }
    }

    fn redirected(&self, call: &Call, reply: &Reply) -> ApiError {
        ApiError::Redirected {
            method: call.method.to_string(),
            url: self.url(call).to_string(),
            status: reply.status.as_u16(),
            // The server's header, shown to the user: escaped.
            location: reply.location.as_deref().map_or_else(
                || "an unnamed location".into(),
                |l| crate::escape::line(l).into_owned(),
            ),
        }
    }

    /// A request that failed without an answer: repeat it only if that cannot apply it twice.
    fn after_failure(
        &self,
        call: &Call,
        state: &mut RetryState,
        sent: bool,
        failure: ApiError,
    ) -> Next {
        if sent && call.repeat == Repeat::Unsafe {
            return Next::Done(Err(call.lost(failure.to_string())));
        }
        if state.retries >= self.inner.options.max_retries || Instant::now() >= state.deadline {
            return Next::Done(Err(failure));
        }
        state.lost_before |= sent;
        Next::RetryAfter(self.retry(call, state))
    }

    fn retry(&self, call: &Call, state: &mut RetryState) -> Duration {
        state.retries += 1;
        self.count(&call.method, |stats| stats.retries += 1);
        self.backoff(state.retries)
    }

    /// One HTTP exchange, paced by the concurrency limit and the rate-limit budget, and cut off
    /// at `deadline` (or the per-attempt timeout, whichever comes first).
    async fn attempt(&self, call: &Call, deadline: Instant) -> Result<Reply, AttemptError> {
        let _permit =
            self.inner
                .in_flight
                .acquire()
                .await
                .map_err(|_| AttemptError::Transport {
                    message: "client shut down".into(),
                    sent: false,
                })?;
        self.wait_for_budget(call, deadline).await?;
        let left = deadline.saturating_duration_since(Instant::now());
        let limit = left.min(self.inner.options.request_timeout);
        if limit.is_zero() {
            return Err(AttemptError::Timeout);
        }
        self.count(&call.method, |stats| stats.requests += 1);
        match tokio::time::timeout(limit, self.exchange(call)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(AttemptError::Timeout),
        }
    }

    /// Sends the request and reads the whole answer, refusing a body over `max_body_bytes`.
    /// The server text that can become an error (a failure's body, a redirect's `Location`)
    /// has the keys masked here, once for every call: a gateway may echo request headers.
    async fn exchange(&self, call: &Call) -> Result<Reply, AttemptError> {
        let mut response = self.request(call).send().await.map_err(classify)?;
        let status = response.status();
        self.update_budget(call, response.headers());
        let mask = &self.inner.mask;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|value| mask.apply(value.as_bytes()));
        let limit = self.inner.options.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(AttemptError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(answer_lost)? {
            if body.len() + chunk.len() > limit {
                return Err(AttemptError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            body = mask.apply(&body).into_bytes();
        }
        Ok(Reply {
            status,
            body,
            location,
            lost_before: false,
        })
    }

    /// `https://api.datadoghq.com`, for messages.
    fn origin(&self) -> String {
        self.inner.base.origin().ascii_serialization()
    }

    fn url(&self, call: &Call) -> Url {
        let mut url = self.inner.base.clone();
        // Keep a path prefix of the base URL (e.g. behind a proxy).
        let prefix = self.inner.base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{}", call.path));
        url
    }

    fn request(&self, call: &Call) -> reqwest::RequestBuilder {
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), self.url(call))
            .headers(self.inner.auth.clone())
            .header("Accept", "application/json");
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        request
    }

    /// Waits while the last headers of the limit `call` counts against said it is spent, and
    /// reserves one request of it. Gives up at once when the reset comes after `deadline`.
    async fn wait_for_budget(&self, call: &Call, deadline: Instant) -> Result<(), AttemptError> {
        let route = route_of(&call.method, &call.path);
        loop {
            let admission = lock(&self.inner.budget).admit(&route);
            let Admission::WaitUntil(sleep_until) = admission else {
                return Ok(());
            };
            if sleep_until > deadline {
                return Err(AttemptError::RateBudgetSpent);
            }
            tokio::time::sleep_until(sleep_until.into()).await;
        }
    }

    fn update_budget(&self, call: &Call, headers: &HeaderMap) {
        let route = route_of(&call.method, &call.path);
        lock(&self.inner.budget).observe(&route, headers, self.inner.options.rate_headroom);
    }

    fn time_until_reset(&self, call: &Call) -> Option<Duration> {
        let route = route_of(&call.method, &call.path);
        let reset_at = lock(&self.inner.budget).reset_at(&route)?;
        Some(reset_at.saturating_duration_since(Instant::now()) + Duration::from_millis(20))
    }

    fn backoff(&self, retry: u32) -> Duration {
        let options = &self.inner.options;
        let exponential = options
            .initial_backoff
            .saturating_mul(1u32 << retry.min(16).saturating_sub(1));
        let capped = exponential.min(options.max_backoff);
        // Jitter (50–100%) so concurrent callers do not retry in lockstep.
        capped.mul_f64(0.5 + random_fraction() / 2.0)
    }

    fn count(&self, method: &Method, update: impl Fn(&mut MethodStats)) {
        let mut stats = lock(&self.inner.stats);
        let entry = stats.by_method.entry(method.to_string()).or_default();
        update(entry);
        let (requests, retries, rate_limited) =
            stats.by_method.values().fold((0, 0, 0), |acc, m| {
                (
                    acc.0 + m.requests,
                    acc.1 + m.retries,
                    acc.2 + m.rate_limited,
                )
            });
        stats.requests = requests;
        stats.retries = retries;
        stats.rate_limited = rate_limited;
    }
}

impl Call {
    pub(super) fn new(method: Method, path: String, repeat: Repeat) -> Self {
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
            repeat,
            monitor: None,
        }
    }

    pub(super) fn query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    fn about(mut self, monitor: MonitorContext) -> Self {
        self.monitor = Some(Box::new(monitor));
        self
    }

    fn lost(&self, message: String) -> ApiError {
        ApiError::ResponseLost {
            method: self.method.to_string(),
            path: self.path.clone(),
            message,
            monitor: self.monitor.clone(),
        }
    }

    fn transport(&self, host: String, message: String) -> ApiError {
        ApiError::Transport {
            host,
            method: self.method.to_string(),
            path: self.path.clone(),
            message,
        }
    }

    fn rate_limited(&self, waited: Duration) -> ApiError {
        ApiError::RateLimited {
            method: self.method.to_string(),
            path: self.path.clone(),
            waited,
        }
    }

    fn timeout(&self, state: &RetryState) -> ApiError {
        ApiError::Timeout {
            method: self.method.to_string(),
            path: self.path.clone(),
            after: state.started.elapsed(),
            attempts: state.attempts,
        }
    }

    pub(super) fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, ApiError> {
        serde_json::from_slice(body).map_err(|error| ApiError::Decode {
            method: self.method.to_string(),
            path: self.path.clone(),
            message: error.to_string(),
        })
    }

    fn listing_too_large(&self, exceeded: String) -> ApiError {
        ApiError::ListingTooLarge {
            method: self.method.to_string(),
            path: self.path.clone(),
            exceeded,
        }
    }

    pub(super) fn inconsistent(&self, message: String) -> ApiError {
        ApiError::Inconsistent {
            method: self.method.to_string(),
            path: self.path.clone(),
            message,
        }
    }
}

fn auth_headers(credentials: &Credentials) -> Result<HeaderMap, ApiError> {
    let sensitive = |name: &str, value: &str| {
        let mut header = HeaderValue::from_str(value).map_err(|_| {
            ApiError::Config(format!(
                "{name} contains characters not allowed in an HTTP header"
            ))
        })?;
        header.set_sensitive(true);
        Ok::<_, ApiError>(header)
    };
    let mut headers = HeaderMap::new();
    headers.insert("DD-API-KEY", sensitive("DD_API_KEY", &credentials.api_key)?);
    headers.insert(
        "DD-APPLICATION-KEY",
        sensitive("DD_APP_KEY", &credentials.app_key)?,
    );
    Ok(headers)
}

/// A failure while reading the body: the request was sent, its answer lost.
fn answer_lost(error: reqwest::Error) -> AttemptError {
    match classify(error) {
        AttemptError::Transport { message, .. } => AttemptError::Transport {
            message,
            sent: true,
        },
        other => other,
    }
}

fn classify(error: reqwest::Error) -> AttemptError {
    if error.is_timeout() {
        return AttemptError::Timeout;
    }
    // Only a failed connect proves the request never left.
    let sent = !error.is_connect();
    AttemptError::Transport {
        message: error_cause(error),
        sent,
    }
}

/// Server messages kept in an error, and characters kept of each: a server's text goes to a
/// terminal and CI logs, and a 5 MB message echoed whole is no help to anyone.
const MAX_SERVER_MESSAGES: usize = 10;
const MAX_SERVER_MESSAGE_CHARS: usize = 1000;

/// Datadog's `errors` array, or a short description of a body that is not one (e.g. an HTML 429),
/// cut to [`MAX_SERVER_MESSAGES`] of [`MAX_SERVER_MESSAGE_CHARS`] each.
fn error_messages(body: &[u8]) -> Vec<String> {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body)
        && let Some(Value::Array(errors)) = map.get("errors")
    {
        return cut_messages(
            errors.len(),
            errors.iter().map(|error| match error {
                Value::String(text) => cut_message(text),
                other => cut_message(&other.to_string()),
            }),
        );
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        Vec::new()
    } else if text.starts_with('<') {
        vec![format!("non-JSON answer ({} bytes of HTML)", body.len())]
    } else {
        vec![cut_message(text)]
    }
}

/// The first [`MAX_SERVER_MESSAGES`] of `total` messages, and a last one saying how many more
/// were cut.
fn cut_messages(total: usize, messages: impl Iterator<Item = String>) -> Vec<String> {
    let mut kept: Vec<String> = messages.take(MAX_SERVER_MESSAGES).collect();
    if total > kept.len() {
        let more = total - kept.len();
        kept.push(format!("… and {} cut", counted(more, "more message")));
    }
    kept
}

/// `text`, cut to [`MAX_SERVER_MESSAGE_CHARS`] characters, saying how many more there were.
fn cut_message(text: &str) -> String {
    let mut chars = text.char_indices().skip(MAX_SERVER_MESSAGE_CHARS);
    match chars.next() {
        None => text.to_string(),
        Some((end, _)) => {
            let more = text[end..].chars().count();
            format!(
                "{}… ({} cut)",
                &text[..end],
                counted(more, "more character")
            )
        }
    }
}

/// `1 more message`, `2 more messages`.
fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
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
        name: Some(monitor.name.clone()).filter(|name| !name.is_empty()),
    }
}

/// A random number in [0, 1): std's randomly keyed SipHash of nothing. Every `RandomState` has
/// fresh keys, so calls (and processes) draw different values without a `rand` dependency.
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave them inconsistent: recover.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_jitter_differs_between_calls() {
        let draws: std::collections::HashSet<u64> =
            (0..20).map(|_| random_fraction().to_bits()).collect();
        assert!(draws.len() > 15, "{} distinct of 20", draws.len());
        assert!(
            (0..100)
                .map(|_| random_fraction())
                .all(|f| (0.0..1.0).contains(&f))
        );
    }

    #[test]
    fn error_messages_read_datadog_errors_and_tolerate_html() {
        assert_eq!(
            error_messages(br#"{"errors":["Monitor not found"]}"#),
            vec!["Monitor not found"]
        );
        assert_eq!(
            error_messages(b"<html><body>429 Too Many Requests</body></html>"),
            vec!["non-JSON answer (47 bytes of HTML)"]
        );
        assert!(error_messages(b"").is_empty());
    }

    #[test]
    fn server_messages_are_cut_on_character_boundaries() {
        assert_eq!(cut_message("short"), "short");
        let exact = "é".repeat(MAX_SERVER_MESSAGE_CHARS);
        assert_eq!(cut_message(&exact), exact);
        let long = "é".repeat(MAX_SERVER_MESSAGE_CHARS + 1);
        assert_eq!(
            cut_message(&long),
            format!("{exact}… (1 more character cut)")
        );
    }
}
