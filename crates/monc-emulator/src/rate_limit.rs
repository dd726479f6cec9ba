//! Rate limiting with Datadog's `X-RateLimit-*` headers, limit by limit.
//!
//! Recorded (go-legacy cassettes, 2022-06): each endpoint counts against a named limit of its
//! own and says which in `X-Ratelimit-Name`: `POST /monitor` `post_monitors`, `PUT
//! /monitor/{id}` `put_monitors`, `GET /monitor/{id}` `get_monitors`, `GET /monitor`
//! `get_all_monitors`, `GET /monitor/can_delete` `global_org`; `DELETE /monitor/{id}` and
//! `POST /monitor/validate` answer the org-wide 12000 per 60 s of `global_org` without a name.
//! A 403 (refused keys) carries none of the headers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};

/// One fixed window per named limit, all of the configured size.
/// GUESS (behaviour): the sizes. Datadog's differ by limit (recorded: 500, 3000, 1000 per 10 s,
/// 12000 per 60 s); the emulator's are set by its configuration, the same for every limit.
pub(crate) struct RateLimits {
    limit: u32,
    period: Duration,
    windows: HashMap<&'static str, RateWindow>,
}

/// Whether a request may be served, and the headers its answer carries.
pub(crate) struct RateDecision {
    pub allowed: bool,
    pub headers: HeaderMap,
}

impl RateLimits {
    pub(crate) fn new((limit, period): (u32, Duration)) -> Self {
        RateLimits {
            limit,
            period: period.max(Duration::from_millis(1)),
            windows: HashMap::new(),
        }
    }

    /// Counts a request to `path` against its limit.
    pub(crate) fn admit(&mut self, method: &str, path: &str) -> RateDecision {
        let (window, reported_name) = limit_of(method, path);
        let (limit, period) = (self.limit, self.period);
        let mut decision = self
            .windows
            .entry(window)
            .or_insert_with(|| RateWindow::new(limit, period))
            .admit();
        if let Some(name) = reported_name
            && let Ok(value) = HeaderValue::from_str(name)
        {
            decision.headers.insert("x-ratelimit-name", value);
        }
        decision
    }
}

/// The limit a request counts against, and the name its answer reports (none where recorded
/// without one).
/// GUESS (behaviour): routes not recorded (monitor search, group search, the emulator's own
/// extension) count against `global_org` and name it.
fn limit_of(method: &str, path: &str) -> (&'static str, Option<&'static str>) {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let is_id = |segment: &str| !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
    let name = match (method, segments.as_slice()) {
        ("POST", ["", "api", "v1", "monitor"]) => "post_monitors",
        ("PUT", ["", "api", "v1", "monitor", id]) if is_id(id) => "put_monitors",
        ("GET", ["", "api", "v1", "monitor", id]) if is_id(id) => "get_monitors",
        ("GET", ["", "api", "v1", "monitor"]) => "get_all_monitors",
        ("DELETE", ["", "api", "v1", "monitor", _]) => return ("global_org", None),
        ("POST", ["", "api", "v1", "monitor", .., "validate"]) => return ("global_org", None),
        _ => "global_org",
    };
    (name, Some(name))
}

struct RateWindow {
    limit: u32,
    period: Duration,
    started: Instant,
    used: u32,
}

impl RateWindow {
    fn new(limit: u32, period: Duration) -> Self {
        RateWindow {
            limit,
            period,
            started: Instant::now(),
            used: 0,
        }
    }

    fn admit(&mut self) -> RateDecision {
        let now = Instant::now();
        if now >= self.started + self.period {
            self.started = now;
            self.used = 0;
        }
        let allowed = self.used < self.limit;
        if allowed {
            self.used += 1;
        }
        // Datadog sends whole seconds until the window resets.
        let reset = (self.started + self.period)
            .saturating_duration_since(now)
            .as_secs_f64()
            .ceil() as u64;
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        put("x-ratelimit-limit", self.limit.to_string());
        put(
            "x-ratelimit-period",
            self.period.as_secs().max(1).to_string(),
        );
        put(
            "x-ratelimit-remaining",
            (self.limit - self.used).to_string(),
        );
        put("x-ratelimit-reset", reset.max(1).to_string());
        RateDecision { allowed, headers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_recorded_endpoint_has_its_named_limit() {
        assert_eq!(limit_of("POST", "/api/v1/monitor").1, Some("post_monitors"));
        assert_eq!(limit_of("PUT", "/api/v1/monitor/7").1, Some("put_monitors"));
        assert_eq!(limit_of("GET", "/api/v1/monitor/7").1, Some("get_monitors"));
        assert_eq!(
            limit_of("GET", "/api/v1/monitor").1,
            Some("get_all_monitors")
        );
        assert_eq!(
            limit_of("GET", "/api/v1/monitor/can_delete"),
            ("global_org", Some("global_org"))
        );
        assert_eq!(
            limit_of("DELETE", "/api/v1/monitor/7"),
            ("global_org", None)
        );
        assert_eq!(
            limit_of("POST", "/api/v1/monitor/validate"),
            ("global_org", None)
        );
        assert_eq!(
            limit_of("POST", "/api/v1/monitor/7/validate"),
            ("global_org", None)
        );
    }

    #[test]
    fn a_spent_limit_leaves_the_others_open() {
        let mut limits = RateLimits::new((1, Duration::from_secs(60)));
        assert!(limits.admit("POST", "/api/v1/monitor").allowed);
        assert!(!limits.admit("POST", "/api/v1/monitor").allowed);
        assert!(limits.admit("GET", "/api/v1/monitor").allowed);
    }
}
