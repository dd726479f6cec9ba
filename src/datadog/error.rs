use std::fmt;
use std::time::Duration;

/// Which monitor a failed call concerned, for messages people can act on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonitorContext {
    /// monc's own key for the monitor (filled by callers that know it).
    pub key: Option<String>,
    pub id: Option<i64>,
    pub name: Option<String>,
}

impl fmt::Display for MonitorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(key) = &self.key {
            parts.push(crate::escape::line(key).into_owned());
        }
        if let Some(name) = &self.name {
            parts.push(format!("{name:?}"));
        }
        if let Some(id) = self.id {
            parts.push(format!("id {id}"));
        }
        write!(f, "{}", parts.join(" "))
    }
}

/// Everything that can go wrong talking to the Monitor API. Never carries credentials.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// Bad local configuration (credentials, site, URL); nothing was sent.
    #[error("configuration error: {0}")]
    Config(String),
    /// The API answered with a non-success status; `errors` is Datadog's `errors` array.
    #[error(
        "Datadog API returned {status} for {method} {path}{}{}{}",
        about(monitor.as_deref()),
        listed(errors),
        what_to_do(*status)
    )]
    Http {
        status: u16,
        method: String,
        path: String,
        errors: Vec<String>,
        monitor: Option<Box<MonitorContext>>,
    },
    /// Still rate limited when the call's deadline came.
    #[error(
        "still rate limited by Datadog on {method} {path} after waiting {:.1}s; try again later",
        waited.as_secs_f64()
    )]
    RateLimited {
        method: String,
        path: String,
        waited: Duration,
    },
    /// The connection failed before an answer arrived (retries exhausted).
    #[error("could not reach the Datadog API at {host} ({method} {path}): {message}")]
    Transport {
        /// Scheme, host and port: which API it was (a real site, or an `--api-url`).
        host: String,
        method: String,
        path: String,
        message: String,
    },
    /// No answer within the call's deadline (every attempt and wait included).
    #[error(
        "the Datadog API did not answer {method} {path}: gave up after {:.1}s and {attempts} \
         attempt(s), the deadline of one call",
        after.as_secs_f64()
    )]
    Timeout {
        method: String,
        path: String,
        after: Duration,
        attempts: u32,
    },
    /// A non-idempotent request was sent but its answer was lost: it may or may not have been
    /// applied. The caller must look before trying again (e.g. list by tag).
    #[error(
        "the answer to {method} {path} was lost ({message}){}; it may have been applied, \
         re-read the monitors before retrying",
        monitor.as_deref().map(|m| format!(" for monitor {m}")).unwrap_or_default()
    )]
    ResponseLost {
        method: String,
        path: String,
        message: String,
        monitor: Option<Box<MonitorContext>>,
    },
    /// The server answered with a redirect. The Datadog API never redirects, and following one
    /// would send the keys to another origin: monc stops instead.
    #[error(
        "{method} {url} answered {status}, a redirect to {location}; monc does not follow \
         redirects (the Datadog API never sends one), so nothing was sent there. Check \
         --api-url / DD_SITE"
    )]
    Redirected {
        method: String,
        url: String,
        status: u16,
        location: String,
    },
    /// The answer cannot be trusted as a whole (a listing that repeats monitors, a monitor
    /// without an id, ...): nothing may be decided on it.
    #[error(
        "inconsistent answer from the Datadog API to {method} {path}: {message}; nothing was \
         changed"
    )]
    Inconsistent {
        method: String,
        path: String,
        message: String,
    },
    /// The answer was larger than monc accepts.
    #[error("the answer to {method} {path} is larger than {} MiB; monc stopped reading it", limit >> 20)]
    TooLarge {
        method: String,
        path: String,
        limit: usize,
    },
    /// A paginated listing passed one of its caps (`exceeded` says which and after how many
    /// pages): a server that sends endless full pages is not listing an org.
    #[error(
        "the listing {method} {path} passed {exceeded}; monc stopped reading it and changed \
         nothing. No org holds that much: check that --api-url / DD_SITE name the Datadog API"
    )]
    ListingTooLarge {
        method: String,
        path: String,
        exceeded: String,
    },
    /// The API answered 2xx with a body that is not what the Monitor API sends.
    #[error("unexpected answer from the Datadog API to {method} {path}: {message}")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
}

/// ` (monitor KEY "name" id N)`, or nothing.
fn about(monitor: Option<&MonitorContext>) -> String {
    monitor
        .map(|m| format!(" (monitor {m})"))
        .unwrap_or_default()
}

/// Datadog's error texts after a colon: one inline, several as a list. Each is the server's
/// text, escaped: a newline or an escape sequence in it must not forge or erase lines.
fn listed(errors: &[String]) -> String {
    let escaped: Vec<_> = errors.iter().map(|e| crate::escape::line(e)).collect();
    match escaped.as_slice() {
        [] => String::new(),
        [one] => format!(": {one}"),
        many => format!(":\n  - {}", many.join("\n  - ")),
    }
}

/// How to fix what a status says about the request as a whole.
fn what_to_do(status: u16) -> &'static str {
    match status {
        // Recorded (go-legacy `*/403_Forbidden`): every endpoint answers a bare "Forbidden"
        // to keys the org does not accept.
        403 => {
            "; the keys were refused: check DD_API_KEY and DD_APP_KEY (an application key \
             allowed to read and write monitors), and that they belong to the org of the site \
             monc calls (--site, DD_SITE or --api-url)"
        }
        _ => "",
    }
}

impl ApiError {
    /// Attaches (or completes) the monitor this error concerns.
    pub fn for_monitor(mut self, context: MonitorContext) -> Self {
        if let ApiError::Http { monitor, .. } | ApiError::ResponseLost { monitor, .. } = &mut self {
            let merged = match monitor.take() {
                Some(old) => MonitorContext {
                    key: context.key.or(old.key),
                    id: context.id.or(old.id),
                    name: context.name.or(old.name),
                },
                None => context,
            };
            *monitor = Some(Box::new(merged));
        }
        self
    }

    /// The HTTP status, when the API answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } => Some(*status),
            ApiError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// No answer worth keeping, for now: a 5xx, a rate limit or request timeout, or no answer
    /// at all (after the client's retries). Asking again later may succeed; it says nothing
    /// about the request itself, so it is never a refusal.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Http { status, .. } => *status >= 500 || [408, 429].contains(status),
            ApiError::RateLimited { .. }
            | ApiError::Transport { .. }
            | ApiError::Timeout { .. }
            | ApiError::ResponseLost { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_error_names_status_errors_and_monitor() {
        let error = ApiError::Http {
            status: 400,
            method: "POST".into(),
            path: "/api/v1/monitor".into(),
            errors: vec!["Some monitor IDs are invalid".into()],
            monitor: None,
        }
        .for_monitor(MonitorContext {
            key: Some("l3.api.latency".into()),
            id: None,
            name: Some("API latency".into()),
        });
        let text = error.to_string();
        assert!(text.contains("400"), "{text}");
        assert!(text.contains("Some monitor IDs are invalid"), "{text}");
        assert!(text.contains("l3.api.latency \"API latency\""), "{text}");
        assert!(!text.contains("keys"), "{text}");
    }

    #[test]
    fn a_403_says_the_keys_were_refused_and_what_to_check() {
        let error = ApiError::Http {
            status: 403,
            method: "GET".into(),
            path: "/api/v1/monitor".into(),
            errors: vec!["Forbidden".into()],
            monitor: None,
        };
        let text = error.to_string();
        assert!(text.contains("Forbidden; the keys were refused"), "{text}");
        assert!(text.contains("DD_API_KEY and DD_APP_KEY"), "{text}");
    }
}
