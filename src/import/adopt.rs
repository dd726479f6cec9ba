//! Adoption: tagging live monitors with monc's ownership tag and their key, so that the next
//! `monc diff` finds them by key and plans updates instead of creating duplicates.

use crate::datadog::{ApiError, Client, Monitor};
use crate::plan::{ADOPTED_TAG, Ownership};

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
    let monitor = client.get_monitor(adoption.id).await.map_err(describe)?;
    if let Some(difference) = not_the_imported_monitor(&monitor, adoption) {
        return Err(format!(
            "the live monitor {} is not the one imported ({difference}); not adopted",
            adoption.id
        ));
    }
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
    if let Some(holder) = key_holder(client, adoption, ownership, &key_tag).await? {
        return Err(format!(
            "monitor {holder} of monc's already has the key `{}`; two monitors with one key are duplicates, and sync would delete one of them",
            adoption.key
        ));
    }
    let mut tags = monitor.tags.clone();
    for tag in [&ownership.owner_tag, &key_tag, &ADOPTED_TAG.to_string()] {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    if tags == monitor.tags {
        return Ok(false);
    }
    // Only the tags are sent: a PUT of the whole object read a moment ago would overwrite an
    // edit made since, and write back what the server fills in (e.g. an empty `assets`).
    client
        .update_tags(adoption.id, &tags)
        .await
        .map_err(describe)?;
    Ok(true)
}

/// Another live monitor of monc's carrying this key, if any. The tags are checked here too,
/// not only by the server's filter.
async fn key_holder(
    client: &Client,
    adoption: &Adoption,
    ownership: &Ownership,
    key_tag: &str,
) -> Result<Option<i64>, String> {
    let filter = [ownership.owner_tag.clone(), key_tag.to_string()];
    let holders = client
        .list_monitors(&filter)
        .await
        .map_err(|e| e.to_string())?;
    Ok(holders
        .iter()
        .filter(|m| filter.iter().all(|tag| m.tags.contains(tag)))
        .filter_map(|m| m.id)
        .find(|&id| id != adoption.id))
}

/// How the live monitor differs from the imported one, if it does: a different type, query or
/// name means the id now names another monitor (or the export is from elsewhere).
fn not_the_imported_monitor(live: &Monitor, adoption: &Adoption) -> Option<String> {
    let canonical = |t: &str| {
        if t == "metric alert" {
            "query alert".to_string()
        } else {
            t.to_string()
        }
    };
    if canonical(&live.monitor_type) != canonical(&adoption.monitor_type) {
        return Some(format!(
            "type {:?}, imported {:?}",
            live.monitor_type, adoption.monitor_type
        ));
    }
    if live.query.trim() != adoption.query.trim() {
        return Some("its query differs".into());
    }
    if live.name.trim() != adoption.name.trim() {
        return Some(format!(
            "named {:?}, imported {:?}",
            live.name, adoption.name
        ));
    }
    None
}
