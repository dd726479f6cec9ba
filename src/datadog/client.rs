use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::config::check_transport_security;
use super::{ApiError, Credentials, Monitor, MonitorContext};

/// Tuning of the client. The defaults suit the real API.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Monitors per list page (the API accepts at most 1000).
    pub page_size: u32,
    /// Requests in flight at once, before rate-limit headers say otherwise.
    pub max_concurrency: usize,
    /// Per-attempt timeout.
    pub request_timeout: Duration,
    /// Total time one call may spend retrying and waiting for rate limits.
    pub retry_budget: Duration,
    /// Retries after 5xx, timeouts and transport errors (429 waits are bounded by the budget).
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            page_size: 1000,
            max_concurrency: 8,
            request_timeout: Duration::from_secs(30),
            retry_budget: Duration::from_secs(180),
            max_retries: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
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
    options: ClientOptions,
    in_flight: Semaphore,
    budget: Mutex<RateBudget>,
    stats: Mutex<Stats>,
}

/// What the last rate-limit headers told us.
#[derive(Debug, Default)]
struct RateBudget {
    remaining: Option<u64>,
    reset_at: Option<Instant>,
}

impl RateBudget {
    /// Answers to concurrent requests arrive out of order: within one window (Reset is whole
    /// seconds, so "same window" means resets less than a second apart) the lowest Remaining
    /// is the most recent.
    fn observe(&mut self, remaining: u64, reset_at: Instant) {
        let same_window = self.reset_at.is_some_and(|known| {
            let gap = if known > reset_at {
                known - reset_at
            } else {
                reset_at - known
            };
            gap < Duration::from_millis(1500) && known > Instant::now()
        });
        self.remaining = match (same_window, self.remaining) {
            (true, Some(known)) => Some(known.min(remaining)),
            _ => Some(remaining),
        };
        if !same_window || self.reset_at.is_none() {
            self.reset_at = Some(reset_at);
        }
    }
}

/// Whether repeating a request is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    Safe,
    /// Repeating after a lost answer could apply it twice (create).
    Unsafe,
}

struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    repeat: Repeat,
    monitor: Option<Box<MonitorContext>>,
}

/// A complete answer from the server.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    /// An earlier attempt of this call was sent and its answer lost.
    lost_before: bool,
}

struct RetryState {
    started: Instant,
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
    /// The known rate-limit budget resets after the retry budget ends.
    RateBudgetSpent,
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
        let base = check_transport_security(base_url)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("monc/", env!("CARGO_PKG_VERSION")))
            .timeout(options.request_timeout)
            .build()
            .map_err(|error| ApiError::Config(format!("cannot build HTTP client: {error}")))?;
        let in_flight = Semaphore::new(options.max_concurrency.max(1));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                auth: auth_headers(credentials)?,
                options,
                in_flight,
                budget: Mutex::new(RateBudget::default()),
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
    pub async fn list_monitors(&self, monitor_tags: &[String]) -> Result<Vec<Monitor>, ApiError> {
        let page_size = self.inner.options.page_size.clamp(1, 1000);
        let mut monitors = Vec::new();
        // Bounded: a server ignoring `page` would otherwise loop forever.
        for page in 0..=u32::MAX / page_size {
            let mut query = vec![
                ("page", page.to_string()),
                ("page_size", page_size.to_string()),
            ];
            if !monitor_tags.is_empty() {
                query.push(("monitor_tags", monitor_tags.join(",")));
            }
            let batch: Vec<Monitor> = self
                .json(Call::new(Method::GET, "/api/v1/monitor".into(), Repeat::Safe).query(query))
                .await?;
            let last_page = batch.len() < page_size as usize;
            monitors.extend(batch);
            if last_page {
                break;
            }
        }
        Ok(monitors)
    }

    pub async fn get_monitor(&self, id: i64) -> Result<Monitor, ApiError> {
        self.json(Call::new(Method::GET, monitor_path(id), Repeat::Safe).about(id_context(id)))
            .await
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
        let reply = self.send(&call).await?;
        let body = self.expect_success(&call, reply)?;
        serde_json::from_slice(&body).map_err(|error| ApiError::Decode {
            method: call.method.to_string(),
            path: call.path.clone(),
            message: error.to_string(),
        })
    }

    fn expect_success(&self, call: &Call, reply: Reply) -> Result<Vec<u8>, ApiError> {
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
    /// retries 5xx, timeouts and transport errors with capped exponential backoff, all within
    /// the retry budget. Never retries other 4xx.
    async fn send(&self, call: &Call) -> Result<Reply, ApiError> {
        let mut state = RetryState {
            started: Instant::now(),
            retries: 0,
            lost_before: false,
        };
        let budget = self.inner.options.retry_budget;
        loop {
            let outcome = self.attempt(call, state.started + budget).await;
            let wait = match self.judge(call, &mut state, outcome) {
                Next::Done(result) => return result,
                Next::RetryAfter(wait) => wait,
            };
            if state.started.elapsed() + wait > budget {
                return Err(call.timeout(state.started.elapsed()));
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
            Ok(reply) if reply.status == StatusCode::TOO_MANY_REQUESTS => {
                self.count(&call.method, |stats| stats.rate_limited += 1);
                let wait = self.time_until_reset().unwrap_or(Duration::from_secs(1));
                if state.started.elapsed() + wait > self.inner.options.retry_budget {
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
            Err(AttemptError::Timeout) => {
                let failure = call.timeout(self.inner.options.request_timeout);
                self.after_failure(call, state, true, failure)
            }
            Err(AttemptError::Transport { message, sent }) => {
                let failure = call.transport(message);
                self.after_failure(call, state, sent, failure)
            }
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
        if state.retries >= self.inner.options.max_retries {
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

    /// One HTTP exchange, paced by the concurrency limit and the rate-limit budget.
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
        self.wait_for_budget(deadline).await?;
        self.count(&call.method, |stats| stats.requests += 1);
        let response = self.request(call).send().await.map_err(classify)?;
        let status = response.status();
        self.update_budget(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|error| match classify(error) {
                AttemptError::Transport { message, .. } => AttemptError::Transport {
                    message,
                    sent: true,
                },
                timeout => timeout,
            })?;
        Ok(Reply {
            status,
            body: body.to_vec(),
            lost_before: false,
        })
    }

    fn request(&self, call: &Call) -> reqwest::RequestBuilder {
        let mut url = self.inner.base.clone();
        // Keep a path prefix of the base URL (e.g. behind a proxy).
        let prefix = self.inner.base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{}", call.path));
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
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

    /// Waits while the last headers said the budget is spent, and reserves one request of it.
    /// Gives up at once when the reset comes after `deadline`.
    async fn wait_for_budget(&self, deadline: Instant) -> Result<(), AttemptError> {
        loop {
            let sleep_until = {
                let mut budget = lock(&self.inner.budget);
                match (budget.remaining, budget.reset_at) {
                    (Some(0), Some(reset_at)) if reset_at > Instant::now() => reset_at,
                    (Some(0), _) => {
                        *budget = RateBudget::default();
                        return Ok(());
                    }
                    (Some(remaining), _) => {
                        budget.remaining = Some(remaining - 1);
                        return Ok(());
                    }
                    (None, _) => return Ok(()),
                }
            };
            if sleep_until > deadline {
                return Err(AttemptError::RateBudgetSpent);
            }
            tokio::time::sleep_until(sleep_until.into()).await;
        }
    }

    fn update_budget(&self, headers: &HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|text| text.trim().parse::<f64>().ok())
                .filter(|value| value.is_finite() && *value >= 0.0)
        };
        let (Some(remaining), Some(reset)) =
            (number("x-ratelimit-remaining"), number("x-ratelimit-reset"))
        else {
            return;
        };
        // Reset is in seconds from now; cap it so a bogus header cannot stall us for hours.
        let reset_at = Instant::now() + Duration::from_secs_f64(reset.min(3600.0));
        lock(&self.inner.budget).observe(remaining as u64, reset_at);
    }

    fn time_until_reset(&self) -> Option<Duration> {
        let budget = lock(&self.inner.budget);
        budget.reset_at.map(|reset_at| {
            reset_at.saturating_duration_since(Instant::now()) + Duration::from_millis(20)
        })
    }

    fn backoff(&self, retry: u32) -> Duration {
        let options = &self.inner.options;
        let exponential = options
            .initial_backoff
            .saturating_mul(1u32 << retry.min(16).saturating_sub(1));
        let capped = exponential.min(options.max_backoff);
        // Jitter (50–100%) so concurrent callers do not retry in lockstep.
        let nanos = Instant::now().elapsed().subsec_nanos() ^ std::process::id();
        capped.mul_f64(0.5 + f64::from(nanos % 1000) / 2000.0)
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
    fn new(method: Method, path: String, repeat: Repeat) -> Self {
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
            repeat,
            monitor: None,
        }
    }

    fn query(mut self, query: Vec<(&'static str, String)>) -> Self {
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

    fn transport(&self, message: String) -> ApiError {
        ApiError::Transport {
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

    fn timeout(&self, after: Duration) -> ApiError {
        ApiError::Timeout {
            method: self.method.to_string(),
            path: self.path.clone(),
            after,
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

fn classify(error: reqwest::Error) -> AttemptError {
    if error.is_timeout() {
        return AttemptError::Timeout;
    }
    // Only a failed connect proves the request never left.
    let sent = !error.is_connect();
    let detail = std::error::Error::source(&error).map(|source| source.to_string());
    let message = error.without_url().to_string();
    AttemptError::Transport {
        message: match detail {
            Some(detail) if !message.contains(&detail) => format!("{message}: {detail}"),
            _ => message,
        },
        sent,
    }
}

/// Datadog's `errors` array, or a short description of a body that is not one (e.g. an HTML 429).
fn error_messages(body: &[u8]) -> Vec<String> {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body)
        && let Some(Value::Array(errors)) = map.get("errors")
    {
        return errors
            .iter()
            .map(|error| match error {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect();
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        Vec::new()
    } else if text.starts_with('<') {
        vec![format!("non-JSON answer ({} bytes of HTML)", body.len())]
    } else {
        vec![text.chars().take(300).collect()]
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
}
