//! Adoption: tagging live monitors with monc's ownership tag and their key, so that the next
//! `monc diff` finds them by key and plans updates instead of creating duplicates.

use std::collections::HashSet;

use crate::datadog::{ApiError, Client, Monitor};
use crate::model::is_composite;
use crate::plan::{ADOPTED_TAG, Ownership};

use super::Adoption;
use super::rekey::{Rekey, may_move};

/// What happened to one monitor.
#[derive(Debug)]
pub struct AdoptOutcome {
    pub adoption: Adoption,
    pub result: Result<Adopted, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adopted {
    /// Tagged now.
    Tagged,
    /// Already carried both tags.
    Unchanged,
    /// Adopted before under another key that no definition has any more: left as it is, for a
    /// `moved` block to re-key it (see [`super::rekey`]).
    Rekeyed(Rekey),
}

/// Adds the ownership and key tags to each monitor, leaving everything else as it is. A
/// monitor that already carries another key is refused if a definition of the project still
/// has that key (`compiled`: the project's keys without tier); otherwise it is to be re-keyed.
pub async fn adopt(
    client: &Client,
    adoptions: &[Adoption],
    ownership: &Ownership,
    compiled: &HashSet<String>,
) -> Vec<AdoptOutcome> {
    let mut outcomes = Vec::new();
    for adoption in adoptions {
        let result = adopt_one(client, adoption, ownership, compiled).await;
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
    compiled: &HashSet<String>,
) -> Result<Adopted, String> {
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
    let other = monitor
        .body
        .tags
        .iter()
        .find(|t| t.starts_with(&key_prefix) && **t != key_tag);
    let composite = is_composite(&monitor.body.monitor_type);
    let rekey = match other.map(|t| &t[key_prefix.len()..]) {
        Some(from) if may_move(from, &adoption.key, composite, compiled) => Some(Rekey {
            from: from.to_string(),
            to: adoption.key.clone(),
            generated_composite: composite && from.ends_with("/composite"),
        }),
        Some(from) => {
            let why = if compiled.contains(crate::model::key_without_tier(from)) {
                "a key this project still defines"
            } else {
                "and a composite monc generates cannot move to one written as a template, nor back"
            };
            return Err(format!(
                "it already carries `{key_prefix}{from}`, {why}; remove that tag in Datadog if this import should own it"
            ));
        }
        None => None,
    };
    if let Some(holder) = key_holder(client, adoption, ownership, &key_tag).await? {
        return Err(format!(
            "monitor {holder} of monc's already has the key `{}`; two monitors with one key are duplicates, and sync would delete one of them",
            adoption.key
        ));
    }
    if let Some(rekey) = rekey {
        return Ok(Adopted::Rekeyed(rekey));
    }
    let mut tags = monitor.body.tags.clone();
    for tag in [&ownership.owner_tag, &key_tag, &ADOPTED_TAG.to_string()] {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    if tags == monitor.body.tags {
        return Ok(Adopted::Unchanged);
    }
    // Only the tags are sent: a PUT of the whole object read a moment ago would overwrite an
    // edit made since, and write back what the server fills in (e.g. an empty `assets`).
    client
        .update_tags(adoption.id, &tags)
        .await
        .map_err(describe)?;
    Ok(Adopted::Tagged)
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
        .filter(|m| filter.iter().all(|tag| m.body.tags.contains(tag)))
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
    if canonical(&live.body.monitor_type) != canonical(&adoption.monitor_type) {
        return Some(format!(
            "type {:?}, imported {:?}",
            live.body.monitor_type, adoption.monitor_type
        ));
    }
    if live.body.query.trim() != adoption.query.trim() {
        return Some("its query differs".into());
    }
    if live.body.name.trim() != adoption.name.trim() {
        return Some(format!(
            "named {:?}, imported {:?}",
            live.body.name, adoption.name
        ));
    }
    None
}
