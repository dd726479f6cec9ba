//! The engine under every call of [`Client`]: the retry, deadline and rate-limit machinery.
//! A call is sent until it gets an answer worth returning (429s waited out until the reset,
//! 5xx, timeouts and transport errors retried with capped exponential backoff, all before the
//! call's deadline), bodies are bounded, keys masked out of server text, redirects refused.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::super::rate_budget::{Admission, route_of};
use super::super::transport::error_cause;
use super::super::{ApiError, Credentials, MonitorContext};
use super::{Client, MethodStats};
use crate::english::counted;

/// Whether repeating a request is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::datadog) enum Repeat {
    Safe,
    /// Repeating after a lost answer could apply it twice (create).
    Unsafe,
}

pub(in crate::datadog) struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    repeat: Repeat,
    monitor: Option<Box<MonitorContext>>,
}

/// A complete answer from the server.
pub(in crate::datadog) struct Reply {
    pub(super) status: StatusCode,
    pub(super) body: Vec<u8>,
    /// Where a redirect pointed (never followed).
    location: Option<String>,
    /// An earlier attempt of this call was sent and its answer lost.
    pub(super) lost_before: bool,
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
    pub(super) async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T, ApiError> {
        self.json_call(&call).await
    }

    pub(super) async fn json_call<T: DeserializeOwned>(&self, call: &Call) -> Result<T, ApiError> {
        let reply = self.send(call).await?;
        let body = self.expect_success(call, reply)?;
        call.decode(&body)
    }

    pub(in crate::datadog) fn expect_success(
        &self,
        call: &Call,
        reply: Reply,
    ) -> Result<Vec<u8>, ApiError> {
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
    pub(in crate::datadog) async fn send(&self, call: &Call) -> Result<Reply, ApiError> {
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
    pub(in crate::datadog) fn new(method: Method, path: String, repeat: Repeat) -> Self {
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
            repeat,
            monitor: None,
        }
    }

    pub(in crate::datadog) fn query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }

    pub(super) fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub(super) fn about(mut self, monitor: MonitorContext) -> Self {
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

    pub(in crate::datadog) fn decode<T: DeserializeOwned>(
        &self,
        body: &[u8],
    ) -> Result<T, ApiError> {
        serde_json::from_slice(body).map_err(|error| ApiError::Decode {
            method: self.method.to_string(),
            path: self.path.clone(),
            message: error.to_string(),
        })
    }

    pub(super) fn listing_too_large(&self, exceeded: String) -> ApiError {
        ApiError::ListingTooLarge {
            method: self.method.to_string(),
            path: self.path.clone(),
            exceeded,
        }
    }

    pub(in crate::datadog) fn inconsistent(&self, message: String) -> ApiError {
        ApiError::Inconsistent {
            method: self.method.to_string(),
            path: self.path.clone(),
            message,
        }
    }
}

pub(super) fn auth_headers(credentials: &Credentials) -> Result<HeaderMap, ApiError> {
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
pub(super) fn cut_message(text: &str) -> String {
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

/// A random number in [0, 1): std's randomly keyed SipHash of nothing. Every `RandomState` has
/// fresh keys, so calls (and processes) draw different values without a `rand` dependency.
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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
