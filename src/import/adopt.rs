//! Adoption: tagging live monitors with monc's ownership tag and their key, so that the next
//! `monc diff` finds them by key and plans updates instead of creating duplicates.

use crate::datadog::{ApiError, Client};
use crate::plan::Ownership;

use super::Adoption;

/// What happened to one monitor.
#[derive(Debug)]
pub struct AdoptOutcome {
    pub adoption: Adoption,
    /// `Ok(true)` tagged now, `Ok(false)` already carried both tags.
    pub result: Result<bool, String>,
}

/// Adds the ownership and key tags to each monitor, leaving everything else as it is. A
/// monitor that already carries another key is refused: it belongs to another definition.
pub async fn adopt(
    client: &Client,
    adoptions: &[Adoption],
    ownership: &Ownership,
) -> Vec<AdoptOutcome> {
    let mut outcomes = Vec::new();
    for adoption in adoptions {
        let result = adopt_one(client, adoption, ownership).await;
        outcomes.push(AdoptOutcome {
            adoption: adoption.clone(),
            result,
        });
    }
    outcomes
}

async fn adopt_one(
    client: &Client,
    adoption: &Adoption,
    ownership: &Ownership,
) -> Result<bool, String> {
    let describe = |e: ApiError| e.to_string();
    let mut monitor = client.get_monitor(adoption.id).await.map_err(describe)?;
    let key_tag = format!("{}:{}", ownership.key_tag, adoption.key);
    let key_prefix = format!("{}:", ownership.key_tag);
    if let Some(other) = monitor
        .tags
        .iter()
        .find(|t| t.starts_with(&key_prefix) && **t != key_tag)
    {
        return Err(format!(
            "it already carries `{other}`; remove that tag in Datadog if this import should own it"
        ));
    }
    let mut changed = false;
    for tag in [&ownership.owner_tag, &key_tag] {
        if !monitor.tags.contains(tag) {
            monitor.tags.push(tag.clone());
            changed = true;
        }
    }
    if changed {
        client
            .update_monitor(adoption.id, &monitor)
            .await
            .map_err(describe)?;
    }
    Ok(changed)
}
