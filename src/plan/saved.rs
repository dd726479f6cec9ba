//! A saved plan: `monc diff --out plan.json` writes it, `monc sync --plan plan.json` applies it.
//!
//! monc keeps no state, so a saved plan cannot be replayed blindly: the org may have moved
//! since it was reviewed. `sync --plan` plans again and applies only when the new plan is the
//! saved one, change for change (same configuration, same org and project, every change with
//! the same live monitor, `modified` time and body); otherwise it refuses and names what moved.
//! What is written is then exactly what was reviewed.
//!
//! The file is a small document of its own (not the plan types, which may change shape): an
//! envelope with the format version and a SHA-256 of the payload, so a file from a newer monc,
//! a truncated download or a hand edit is refused before the org is contacted.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use sha2::Digest;

use super::{Action, Change, Ownership, Plan};
use crate::emit::EmittedMonitor;

/// Version of the plan format this monc writes and reads.
pub const FORMAT: u64 = 1;

/// A plan file larger than this is refused unread (a plan of 10 000 monitors is a few MiB).
pub const MAX_BYTES: u64 = 256 << 20;

/// Everything `sync --plan` checks and applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// The monc that wrote it (for people; the format version decides compatibility).
    pub monc_version: String,
    /// SHA-256 of what the configuration compiles to: every monitor's definition.
    pub fingerprint: String,
    pub org: SavedOrg,
    pub options: PlanOptions,
    /// Every change that is not "unchanged", blocked ones included, in plan order.
    pub changes: Vec<SavedChange>,
}

/// The org and project the plan was made against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedOrg {
    /// `local` for `--org local`, else the API origin.
    pub api: String,
    /// The org's id as its monitors carry it; none when it has none of this project's.
    pub org_id: Option<i64>,
    pub owner_tag: String,
    pub key_tag: String,
    pub project: Option<String>,
}

/// The planning flags of `diff` the plan was made with; `sync --plan` uses these, never its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// `--tenant`: none plans every tenant.
    pub tenants: Option<Vec<String>>,
    pub claim_unnamed: bool,
    /// `--prune`: whether the plan's deletes of monitors no longer in the config are applied.
    pub prune: bool,
}

/// One change as planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedChange {
    pub key: String,
    pub action: String,
    /// The live monitor it was planned against, and when Datadog last saw that change.
    pub id: Option<i64>,
    pub modified: Option<String>,
    /// The change as `monc diff --format json` shows it (fields, drift, the live monitor).
    pub planned: Json,
    /// What will be written (creates and updates), composite constituents named `{key}`.
    pub body: Option<Json>,
}

impl SavedPlan {
    /// The saved form of `plan`, made against `org` with `options`.
    pub fn of(plan: &Plan, org: SavedOrg, options: PlanOptions) -> SavedPlan {
        SavedPlan {
            monc_version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint: fingerprint(plan),
            org,
            options,
            changes: plan
                .changes
                .iter()
                .filter(|c| c.action != Action::Unchanged)
                .map(saved_change)
                .collect(),
        }
    }

    /// The document written to a plan file.
    pub fn to_file_text(&self) -> String {
        let payload = serde_json::to_value(self).unwrap_or(Json::Null);
        let envelope = json!({
            "monc_plan": FORMAT,
            "sha256": sha256(&payload),
            "plan": payload,
        });
        let mut text = serde_json::to_string_pretty(&envelope).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a plan file: refused when too large, not a plan, of another format version,
    /// truncated or edited since monc wrote it.
    pub fn read(path: &Path) -> Result<SavedPlan, String> {
        let shown = path.display();
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let mut text = String::new();
        file.take(MAX_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        if text.len() as u64 > MAX_BYTES {
            return Err(format!(
                "{shown} is larger than {} MiB: not a plan monc wrote",
                MAX_BYTES >> 20
            ));
        }
        Self::parse(&text).map_err(|e| format!("{shown}: {e}"))
    }

    fn parse(text: &str) -> Result<SavedPlan, String> {
        let remake = "make the plan again with `monc diff --out FILE`";
        let envelope: Json = serde_json::from_str(text).map_err(|e| {
            format!("not a whole plan file (truncated, or not JSON: {e}); {remake}")
        })?;
        let version = envelope.get("monc_plan").ok_or_else(|| {
            format!("not a plan file monc wrote (no `monc_plan` version); {remake}")
        })?;
        match version.as_u64() {
            Some(FORMAT) => {}
            Some(newer) if newer > FORMAT => {
                return Err(format!(
                    "written in plan format {newer} by a newer monc; this monc ({}) reads \
                     format {FORMAT}: apply it with the monc that made it, or {remake}",
                    env!("CARGO_PKG_VERSION")
                ));
            }
            _ => {
                return Err(format!(
                    "unknown plan format {version}; this monc reads format {FORMAT}: {remake}"
                ));
            }
        }
        let payload = envelope.get("plan").cloned().unwrap_or(Json::Null);
        if envelope.get("sha256").and_then(Json::as_str) != Some(sha256(&payload).as_str()) {
            return Err(format!(
                "changed since monc wrote it (its sha256 does not match what it holds); a plan \
                 is applied only as it was reviewed: {remake}"
            ));
        }
        serde_json::from_value(payload)
            .map_err(|e| format!("not a plan this monc can read ({e}); {remake}"))
    }

    /// Why this plan no longer holds against `now` (the same plan made again): empty when it
    /// still does.
    pub fn differences(&self, now: &SavedPlan) -> Vec<String> {
        let mut moved = Vec::new();
        if let Some(org) = org_difference(&self.org, &now.org) {
            moved.push(org);
            return moved;
        }
        if self.fingerprint != now.fingerprint {
            moved.push(format!(
                "the configuration changed since the plan (it compiled to {}, it now compiles \
                 to {})",
                short(&self.fingerprint),
                short(&now.fingerprint)
            ));
        }
        let planned = by_key(&self.changes);
        let current = by_key(&now.changes);
        for (key, was) in &planned {
            match current.get(key) {
                None => moved.push(format!(
                    "`{key}`: planned to {}, now nothing to do (changed since the plan)",
                    actions(was)
                )),
                Some(is) if was != is => moved.push(change_difference(key, was, is)),
                Some(_) => {}
            }
        }
        for (key, is) in &current {
            if !planned.contains_key(key) {
                moved.push(format!(
                    "`{key}`: now needs to {}, which the plan does not hold",
                    actions(is)
                ));
            }
        }
        moved
    }
}

fn saved_change(change: &Change) -> SavedChange {
    SavedChange {
        key: change.key.to_string(),
        action: action_name(change.action),
        id: change.live.as_ref().map(|l| l.id),
        modified: change.live.as_ref().and_then(|l| l.modified.clone()),
        planned: serde_json::to_value(change).unwrap_or(Json::Null),
        body: match change.action {
            Action::Create | Action::Update => change.desired.as_ref().map(body),
            Action::Delete | Action::Unchanged => None,
        },
    }
}

fn action_name(action: Action) -> String {
    match serde_json::to_value(action) {
        Ok(Json::String(name)) => name,
        _ => format!("{action:?}").to_lowercase(),
    }
}

/// What monc writes for `desired`, composite constituents named by key (their ids are known
/// only when applied).
fn body(desired: &EmittedMonitor) -> Json {
    let body = desired
        .body
        .clone()
        .map_query(|query| query.render(|key| format!("{{{key}}}")));
    serde_json::to_value(body).unwrap_or(Json::Null)
}

/// Every desired monitor of the plan, by key: what the configuration compiles to.
fn fingerprint(plan: &Plan) -> String {
    let bodies: BTreeMap<&str, Json> = plan
        .changes
        .iter()
        .filter_map(|c| Some((c.key.as_str(), body(c.desired.as_ref()?))))
        .collect();
    sha256(&serde_json::to_value(bodies).unwrap_or(Json::Null))
}

fn sha256(value: &Json) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn org_difference(was: &SavedOrg, is: &SavedOrg) -> Option<String> {
    let describe = |org: &SavedOrg| {
        let id = org
            .org_id
            .map(|id| format!(" (org {id})"))
            .unwrap_or_default();
        format!("{}{id}", org.api)
    };
    let same_api = match (was.api.as_str(), is.api.as_str()) {
        ("local", "local") => true,
        ("local", _) | (_, "local") => false,
        (a, b) => crate::datadog::same_origin(a, b),
    };
    let same_id = match (was.org_id, is.org_id) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    if !same_api || !same_id {
        return Some(format!(
            "the plan was made against {} and this run reaches {}; apply it to the org it was \
             made for",
            describe(was),
            describe(is)
        ));
    }
    let ownership = |org: &SavedOrg| {
        Ownership {
            owner_tag: org.owner_tag.clone(),
            key_tag: org.key_tag.clone(),
            project: org.project.clone(),
            claim_unnamed: false,
        }
        .describe()
    };
    (ownership(was) != ownership(is) || was.key_tag != is.key_tag).then(|| {
        format!(
            "the plan was made for the monitors tagged {} (key tag `{}`), the configuration now \
             names {} (key tag `{}`)",
            ownership(was),
            was.key_tag,
            ownership(is),
            is.key_tag
        )
    })
}

fn by_key(changes: &[SavedChange]) -> BTreeMap<&str, Vec<&SavedChange>> {
    let mut keyed: BTreeMap<&str, Vec<&SavedChange>> = BTreeMap::new();
    for change in changes {
        keyed.entry(change.key.as_str()).or_default().push(change);
    }
    keyed
}

fn actions(changes: &[&SavedChange]) -> String {
    let described: Vec<String> = changes.iter().map(|c| describe(c)).collect();
    described.join(" and ")
}

fn describe(change: &SavedChange) -> String {
    match change.id {
        Some(id) => format!("{} id {id}", change.action),
        None => change.action.clone(),
    }
}

/// The first thing that differs between the planned and the current changes of one key.
fn change_difference(key: &str, was: &[&SavedChange], is: &[&SavedChange]) -> String {
    let (Some(a), Some(b), true) = (was.first(), is.first(), was.len() == is.len()) else {
        return format!(
            "`{key}`: planned to {}, now needs to {}",
            actions(was),
            actions(is)
        );
    };
    let pair = was.iter().zip(is).find(|(a, b)| a != b);
    let (a, b) = pair.map_or((*a, *b), |(a, b)| (*a, *b));
    if a.action != b.action || a.id != b.id {
        format!(
            "`{key}`: planned to {}, now needs to {}",
            describe(a),
            describe(b)
        )
    } else if a.modified != b.modified {
        format!(
            "`{key}` (id {}) was modified in the org since the plan (planned against the version \
             of {}, it is now the version of {})",
            a.id.unwrap_or_default(),
            a.modified.as_deref().unwrap_or("unknown"),
            b.modified.as_deref().unwrap_or("unknown")
        )
    } else if a.body != b.body {
        format!("`{key}`: what would be written to it changed since the plan")
    } else {
        format!("`{key}`: its live monitor or the change planned for it changed since the plan")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SavedPlan {
        SavedPlan {
            monc_version: "0".into(),
            fingerprint: "f".repeat(64),
            org: SavedOrg {
                api: "local".into(),
                org_id: Some(1),
                owner_tag: "managed-by:monc".into(),
                key_tag: "monc-key".into(),
                project: None,
            },
            options: PlanOptions {
                tenants: None,
                claim_unnamed: false,
                prune: false,
            },
            changes: vec![],
        }
    }

    #[test]
    fn a_written_plan_reads_back_the_same() {
        let plan = sample();
        assert_eq!(SavedPlan::parse(&plan.to_file_text()), Ok(plan));
    }

    #[test]
    fn every_prefix_of_a_plan_file_is_refused() {
        let text = sample().to_file_text();
        let trimmed = text.trim_end();
        for end in 0..trimmed.len() {
            assert!(SavedPlan::parse(&trimmed[..end]).is_err(), "prefix {end}");
        }
    }
}
