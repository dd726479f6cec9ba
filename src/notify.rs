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

/// Posts the drift message to the webhook named by [`SLACK_WEBHOOK_ENV`].
pub async fn slack_drift(plan: &Plan) -> Result<(), String> {
    let url = std::env::var(SLACK_WEBHOOK_ENV)
        .map_err(|_| format!("--notify-slack needs {SLACK_WEBHOOK_ENV} to be set"))?;
    crate::datadog::check_transport_security(&url)
        .map_err(|e| format!("{SLACK_WEBHOOK_ENV}: {e}"))?;
    let body = serde_json::json!({ "text": drift_message(plan) });
    let response = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("could not reach the Slack webhook: {}", e.without_url()))?;
    if !response.status().is_success() {
        return Err(format!("the Slack webhook answered {}", response.status()));
    }
    Ok(())
}
