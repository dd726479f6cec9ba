//! What the rate-limit headers say, limit by limit.
//!
//! Datadog counts requests in several limits of different sizes, and each answer reports the
//! one its endpoint counts against (recorded in DataDog/datadog-api-client-go's cassettes,
//! 2022-06: `X-Ratelimit-Name` `post_monitors` and `put_monitors` 500 per 10 s, `get_monitors`
//! 3000 per 10 s, `get_all_monitors` 1000 per 10 s, `global_org` 12000 per 60 s; deletes and
//! validations answer 12000 per 60 s without a name). Mixing them would compare what is left of
//! one limit with the share of another that monc leaves to other clients, so each limit has its
//! own budget, and a request waits only for the limit its kind of request last reported.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;

/// Every limit seen so far, and which one each kind of request counts against.
#[derive(Debug, Default)]
pub(super) struct RateBudgets {
    by_limit: HashMap<String, RateBudget>,
    /// Route (method and path, ids left out) → limit its last answer reported.
    limit_of: HashMap<String, String>,
}

/// Whether a request may go now.
pub(super) enum Admission {
    Go,
    WaitUntil(Instant),
}

impl RateBudgets {
    /// Reserves one request of the limit `route` counts against, or says until when to wait.
    pub(super) fn admit(&mut self, route: &str) -> Admission {
        match self.budget_of_mut(route) {
            Some(budget) => budget.admit(),
            None => Admission::Go,
        }
    }

    /// Takes in the rate-limit headers of an answer to `route`. `headroom` is the share of the
    /// limit left to other clients.
    pub(super) fn observe(&mut self, route: &str, headers: &HeaderMap, headroom: f64) {
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
        let limit = number("x-ratelimit-limit");
        let name = headers
            .get("x-ratelimit-name")
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let period = number("x-ratelimit-period");
                format!("{limit:?} per {period:?}")
            });
        // Reset is in seconds from now; cap it so a bogus header cannot stall us for hours.
        let reset_at = Instant::now() + Duration::from_secs_f64(reset.min(3600.0));
        let budget = self.by_limit.entry(name.clone()).or_default();
        if let Some(limit) = limit {
            budget.reserve = (limit * headroom.clamp(0.0, 0.9)).floor() as u64;
        }
        budget.observe(remaining as u64, reset_at);
        self.limit_of.insert(route.to_owned(), name);
    }

    /// When the limit `route` counts against resets, if known.
    pub(super) fn reset_at(&self, route: &str) -> Option<Instant> {
        let name = self.limit_of.get(route)?;
        self.by_limit.get(name)?.reset_at
    }

    fn budget_of_mut(&mut self, route: &str) -> Option<&mut RateBudget> {
        let name = self.limit_of.get(route)?;
        self.by_limit.get_mut(name)
    }
}

/// `GET /api/v1/monitor/{id}`: the method and the path with its ids left out, so that every
/// request of a kind shares what the last one learnt.
pub(super) fn route_of(method: &Method, path: &str) -> String {
    let template: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect();
    format!("{method} {}", template.join("/"))
}

/// What the last headers of one limit told us.
#[derive(Debug, Default)]
struct RateBudget {
    remaining: Option<u64>,
    reset_at: Option<Instant>,
    /// Requests monc leaves to other clients of the org in each window.
    reserve: u64,
}

impl RateBudget {
    fn admit(&mut self) -> Admission {
        match (self.remaining, self.reset_at) {
            (Some(remaining), Some(reset_at))
                if remaining <= self.reserve && reset_at > Instant::now() =>
            {
                Admission::WaitUntil(reset_at)
            }
            (Some(remaining), _) if remaining <= self.reserve => {
                // The window has reset: what is left is unknown until the next answer.
                self.remaining = None;
                self.reset_at = None;
                Admission::Go
            }
            (Some(remaining), _) => {
                self.remaining = Some(remaining - 1);
                Admission::Go
            }
            (None, _) => Admission::Go,
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    #[test]
    fn routes_leave_ids_out() {
        assert_eq!(
            route_of(&Method::GET, "/api/v1/monitor/74567310"),
            "GET /api/v1/monitor/{id}"
        );
        assert_eq!(
            route_of(&Method::POST, "/api/v1/monitor/12/validate"),
            "POST /api/v1/monitor/{id}/validate"
        );
    }

    #[test]
    fn each_limit_keeps_its_own_remaining_and_reserve() {
        let mut budgets = RateBudgets::default();
        let list = "GET /api/v1/monitor";
        let delete = "DELETE /api/v1/monitor/{id}";
        budgets.observe(
            list,
            &headers(&[
                ("x-ratelimit-limit", "1000"),
                ("x-ratelimit-period", "10"),
                ("x-ratelimit-remaining", "999"),
                ("x-ratelimit-reset", "3"),
                ("x-ratelimit-name", "get_all_monitors"),
            ]),
            0.2,
        );
        budgets.observe(
            delete,
            &headers(&[
                ("x-ratelimit-limit", "12000"),
                ("x-ratelimit-period", "60"),
                ("x-ratelimit-remaining", "2000"),
                ("x-ratelimit-reset", "2"),
            ]),
            0.2,
        );
        assert!(matches!(budgets.admit(list), Admission::Go));
        assert!(matches!(budgets.admit(delete), Admission::WaitUntil(_)));
        assert!(matches!(
            budgets.admit("POST /api/v1/monitor"),
            Admission::Go
        ));
    }
}
