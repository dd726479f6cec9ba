//! Telling people about drift: a Slack incoming webhook, for the weekly drift check.

use crate::output::plan::summary_line;
use crate::plan::{Drift, Plan};

/// The environment variable holding the webhook URL (a secret: never printed).
pub const SLACK_WEBHOOK_ENV: &str = "MONC_SLACK_WEBHOOK_URL";

/// The Slack message for a plan's drift.
pub fn drift_message(plan: &Plan) -> String {
    let mut lines = vec![format!("*monc drift check*: {}", summary_line(plan))];
    for change in plan.drifted() {
        let what = match change.drift {
            Some(Drift::EditedOutsideMonc) | None => {
                let fields: Vec<&str> = change.fields.iter().map(|f| f.field.as_str()).collect();
                format!("edited outside monc ({})", fields.join(", "))
            }
            Some(drift) => drift.describe().to_string(),
        };
        lines.push(format!("• `{}`: {what}", change.key));
    }
    lines.push(
        "Run `monc sync` to restore the config, or change the config to keep the edits.".into(),
    );
    lines.join("\n")
}

/// The webhook URL from [`SLACK_WEBHOOK_ENV`], checked: set, not empty (an unset CI secret
/// arrives as ""), and https (plain http only to loopback). Called before anything is
/// contacted, so a broken setup fails every run rather than only in a week with drift. The URL
/// is a secret: no message quotes it.
pub fn slack_webhook_url() -> Result<String, String> {
    let url = std::env::var(SLACK_WEBHOOK_ENV).unwrap_or_default();
    if url.trim().is_empty() {
        return Err(format!(
            "--notify-slack needs {SLACK_WEBHOOK_ENV}: set it to the Slack incoming webhook URL"
        ));
    }
    let parsed = reqwest::Url::parse(&url)
        .map_err(|e| format!("{SLACK_WEBHOOK_ENV} is not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(format!(
            "{SLACK_WEBHOOK_ENV} must be an https:// URL, not {}:",
            parsed.scheme()
        ));
    }
    crate::datadog::check_transport_security(&url)
        .map_err(|e| format!("{SLACK_WEBHOOK_ENV}: {e}"))?;
    Ok(url)
}

/// Posts the drift message to the webhook `url` (from [`slack_webhook_url`]).
pub async fn slack_drift(plan: &Plan, url: &str) -> Result<(), String> {
    let body = serde_json::json!({ "text": drift_message(plan) });
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("could not reach the Slack webhook: {}", e.without_url()))?;
    if !response.status().is_success() {
        return Err(format!("the Slack webhook answered {}", response.status()));
    }
    Ok(())
}
