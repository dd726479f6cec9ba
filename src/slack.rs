//! Telling people about drift: a Slack incoming webhook, for the weekly drift check.

use std::time::Duration;

use crate::datadog::{error_cause, http_client};
use crate::output::plan::summary_line;
use crate::plan::{Drift, Plan};

/// The environment variable holding the webhook URL (a secret: never printed).
pub const SLACK_WEBHOOK_ENV: &str = "MONC_SLACK_WEBHOOK_URL";

/// How long the webhook has to answer, connecting included. Slack answers in well under a
/// second; a stalled webhook must not hold a scheduled drift check until its job is killed.
pub const SLACK_TIMEOUT: Duration = Duration::from_secs(10);

/// The Slack message for a plan's drift.
pub fn drift_message(plan: &Plan) -> String {
    let mut lines = vec![format!("*monc drift check*: {}", summary_line(plan))];
    for change in plan.drifted() {
        let what = match change.drift {
            Some(Drift::EditedOutsideMonc) | None => {
                let fields: Vec<&str> = change.fields.iter().map(|f| f.field.as_str()).collect();
                format!(
                    "edited outside monc ({})",
                    crate::escape::slack(&fields.join(", "))
                )
            }
            Some(drift) => drift.describe().to_string(),
        };
        lines.push(format!("• `{}`: {what}", crate::escape::slack(&change.key)));
    }
    lines.push(
        "Run `monc sync` to restore the config, or change the config to keep the edits.".into(),
    );
    lines.join("\n")
}

/// Why the drift summary cannot be posted: the webhook is not set up right (found before
/// anything is contacted), or posting it failed. The webhook URL is a secret: no variant
/// carries it.
#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    #[error("--notify-slack needs {SLACK_WEBHOOK_ENV}: set it to the Slack incoming webhook URL")]
    MissingWebhook,
    #[error("{SLACK_WEBHOOK_ENV} is not a valid URL: {0}")]
    InvalidWebhook(String),
    #[error("{SLACK_WEBHOOK_ENV} must be an https:// URL, not {scheme}:")]
    NotHttps { scheme: String },
    /// Plain http off loopback.
    #[error("{SLACK_WEBHOOK_ENV}: {0}")]
    Insecure(crate::datadog::ApiError),
    #[error("cannot build the HTTP client for Slack: {0}")]
    Client(String),
    #[error(
        "the Slack webhook did not answer within {} s; the drift summary was not posted",
        SLACK_TIMEOUT.as_secs()
    )]
    Timeout,
    #[error("could not reach the Slack webhook: {0}")]
    Unreachable(String),
    #[error(
        "the Slack webhook answered {0}, a redirect; monc does not follow redirects (the drift \
         summary would go to another host), so nothing was posted: check {SLACK_WEBHOOK_ENV}"
    )]
    Redirected(reqwest::StatusCode),
    #[error("the Slack webhook answered {0}")]
    Refused(reqwest::StatusCode),
}

/// The webhook URL from [`SLACK_WEBHOOK_ENV`], checked: set, not empty (an unset CI secret
/// arrives as ""), and https (plain http only to loopback). Called before anything is
/// contacted, so a broken setup fails every run rather than only in a week with drift. The URL
/// is a secret: no message quotes it.
pub fn slack_webhook_url() -> Result<String, SlackError> {
    let url = std::env::var(SLACK_WEBHOOK_ENV).unwrap_or_default();
    if url.trim().is_empty() {
        return Err(SlackError::MissingWebhook);
    }
    let parsed =
        reqwest::Url::parse(&url).map_err(|e| SlackError::InvalidWebhook(e.to_string()))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(SlackError::NotHttps {
            scheme: parsed.scheme().to_string(),
        });
    }
    crate::datadog::check_transport_security(&url).map_err(SlackError::Insecure)?;
    Ok(url)
}

/// Posts the drift message to the webhook `url` (from [`slack_webhook_url`]), as the API
/// client talks to Datadog: no redirect followed (the summary, and the webhook's secret path
/// in `Referer`, would go to another host), no proxy for loopback, and [`SLACK_TIMEOUT`].
pub async fn slack_drift(plan: &Plan, url: &str) -> Result<(), SlackError> {
    let target = reqwest::Url::parse(url).map_err(|e| SlackError::InvalidWebhook(e.to_string()))?;
    let client = http_client(&target)
        .timeout(SLACK_TIMEOUT)
        .build()
        .map_err(|e| SlackError::Client(error_cause(e)))?;
    let body = serde_json::json!({ "text": drift_message(plan) });
    let response = client
        .post(target)
        .json(&body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    if status.is_redirection() {
        return Err(SlackError::Redirected(status));
    }
    if !status.is_success() {
        return Err(SlackError::Refused(status));
    }
    Ok(())
}

fn unreachable(error: reqwest::Error) -> SlackError {
    if error.is_timeout() {
        SlackError::Timeout
    } else {
        SlackError::Unreachable(error_cause(error))
    }
}
