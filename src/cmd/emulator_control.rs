//! The local emulator's control endpoint, for the drills of `monc status --set`:
//! `POST /monc-emulator/v1/states`, a path Datadog does not have. Kept out of the product client
//! (`monc::datadog::Client` speaks only Datadog's Monitor API), and only ever sent to loopback.

use std::time::Duration;

use monc::datadog::{ApiError, Credentials, error_cause, http_client, is_loopback};
use reqwest::Url;
use serde_json::{Value, json};

const STATES_PATH: &str = "/monc-emulator/v1/states";

/// Longest the emulator may take to answer: it answers once the change is in its state file.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Largest answer read: the emulator answers `{"changed": N}` or a few error texts.
const MAX_ANSWER_BYTES: usize = 64 << 10;

/// A monitor (or one of its groups) and the state it is to be in.
pub(crate) type StateSetting = (i64, Option<String>, String);

/// A client of one local emulator's control endpoint.
pub(crate) struct EmulatorControl {
    http: reqwest::Client,
    url: Url,
    credentials: Credentials,
}

impl std::fmt::Debug for EmulatorControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorControl")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl EmulatorControl {
    /// The emulator serving `base_url`, or `None` when `base_url` is not on loopback: a real
    /// org's states come from its data, and the keys never go anywhere but the API's origin.
    pub(crate) fn on_loopback(base_url: &str, credentials: Credentials) -> Option<Self> {
        if !is_loopback(base_url) {
            return None;
        }
        let mut url = Url::parse(base_url).ok()?;
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{prefix}{STATES_PATH}"));
        let http = http_client(&url).timeout(TIMEOUT).build().ok()?;
        Some(EmulatorControl {
            http,
            url,
            credentials,
        })
    }

    /// Each `(id, group, state)` holds from now on (or from `at_ms`, milliseconds since the
    /// epoch: a drill laying down history), all within one evaluation cycle.
    pub(crate) async fn set_states(
        &self,
        states: &[StateSetting],
        at_ms: Option<i64>,
    ) -> Result<(), ApiError> {
        let states: Vec<Value> = states
            .iter()
            .map(|(id, group, state)| json!({ "monitor_id": id, "group": group, "state": state }))
            .collect();
        let mut response = self
            .http
            .post(self.url.clone())
            .header("DD-API-KEY", &self.credentials.api_key)
            .header("DD-APPLICATION-KEY", &self.credentials.app_key)
            .json(&json!({ "states": states, "at_ms": at_ms }))
            .send()
            .await
            .map_err(|error| self.transport(error))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ApiError::TooLarge {
                    method: "POST".into(),
                    path: STATES_PATH.into(),
                    limit: MAX_ANSWER_BYTES,
                });
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok(());
        }
        Err(ApiError::Http {
            status: status.as_u16(),
            method: "POST".into(),
            path: STATES_PATH.into(),
            errors: error_texts(&body),
            monitor: None,
        })
    }

    fn transport(&self, error: reqwest::Error) -> ApiError {
        ApiError::Transport {
            host: self.url.origin().ascii_serialization(),
            method: "POST".into(),
            path: STATES_PATH.into(),
            message: error_cause(error),
        }
    }
}

/// The emulator's `errors` array (as Datadog's), or the body's text when it is not one.
fn error_texts(body: &[u8]) -> Vec<String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => match map.get("errors") {
            Some(Value::Array(errors)) => errors
                .iter()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
                .collect(),
            _ => Vec::new(),
        },
        _ => {
            let text = String::from_utf8_lossy(body).trim().to_string();
            if text.is_empty() {
                Vec::new()
            } else {
                vec![text]
            }
        }
    }
}
