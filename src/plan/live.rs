//! Reading the live org for a plan: the owned monitors (one paginated, owner-filtered
//! listing), reduced to what plans compare, and what the API says about deleting them.

use std::collections::{HashMap, HashSet};

use crate::datadog::{ApiError, Client, Monitor};
use crate::model::{MonitorKey, is_composite};

use super::{Action, Change, LiveMonitor, Ownership, Plan, ServerFields};
use crate::Checked;

/// Reads every monitor carrying the ownership tag: one paginated, tag-filtered listing.
pub async fn read_owned(client: &Client, ownership: &Ownership) -> Result<Vec<Monitor>, ApiError> {
    client
        .list_monitors(std::slice::from_ref(&ownership.owner_tag))
        .await
}

/// The parts of a wire monitor that plans compare.
pub fn live_from_wire(monitor: &Monitor) -> Option<LiveMonitor> {
    let creator = monitor.extra.get("creator").and_then(|c| {
        c.get("handle")
            .or_else(|| c.get("email"))
            .and_then(|h| h.as_str())
            .map(String::from)
    });
    Some(LiveMonitor {
        id: monitor.id?,
        body: monitor.body.clone(),
        modified: monitor.modified.clone(),
        creator,
        server: ServerFields {
            created: monitor.created.clone(),
            overall_state: monitor.overall_state.clone(),
            extra: monitor.extra.clone(),
        },
    })
}

/// Keeps the changes of a staged rollout: the named tenants' slices (their monitors and the
/// shared monitors they need, see [`crate::graph::MonitorGraph::tenant_slice`]) with their
/// composites, and orphans that belonged to those tenants.
pub fn restrict_to_tenants(plan: Plan, checked: &Checked, tenants: &[String]) -> Plan {
    let graph = &checked.graph;
    let keep: HashSet<&str> = checked
        .model
        .tenants
        .iter()
        .enumerate()
        .filter(|(_, t)| tenants.contains(&t.name.value))
        .flat_map(|(t, _)| graph.slice_keys(&graph.tenant_slice(t)))
        .collect();
    let orphan_of_tenant = |c: &Change| {
        c.action == Action::Delete
            && c.live
                .as_ref()
                .and_then(|l| l.tag_value("tenant"))
                .is_some_and(|t| tenants.iter().any(|n| n == t))
    };
    Plan {
        changes: plan
            .changes
            .into_iter()
            .filter(|c| keep.contains(c.key.as_str()) || orphan_of_tenant(c))
            .collect(),
        owned_without_key: plan.owned_without_key,
        move_conflicts: plan.move_conflicts,
        conflicts: plan.conflicts,
        other_projects: plan.other_projects,
    }
}

/// The org as read for a plan, and the plan made from it.
pub struct OrgPlan {
    pub plan: Plan,
    /// The owned monitors as read (for backups: [`LiveMonitor::to_wire`]).
    pub live: Vec<LiveMonitor>,
}

/// Reads the owned monitors, plans the emitted monitors against them (only `tenants`' share
/// when given), and asks the API which planned deletes it would refuse.
pub async fn plan_against_org(
    client: &Client,
    checked: &Checked,
    ownership: &Ownership,
    tenants: &[String],
) -> Result<OrgPlan, ApiError> {
    let wire = read_owned(client, ownership).await?;
    let live: Vec<LiveMonitor> = wire.iter().filter_map(live_from_wire).collect();
    drop(wire);
    let mut plan = super::plan(checked.emitted(), &live, ownership);
    if !tenants.is_empty() {
        plan = restrict_to_tenants(plan, checked, tenants);
    }
    mark_undeletable(client, &mut plan).await?;
    Ok(OrgPlan { plan, live })
}

/// Marks the planned deletes the API would refuse (a composite or SLO monc does not own uses
/// the monitor), and their partners: monc never deletes half of a monitor/composite pair.
pub async fn mark_undeletable(client: &Client, plan: &mut Plan) -> Result<(), ApiError> {
    let deleting: HashMap<i64, &str> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .filter_map(|c| {
            c.live
                .as_ref()
                .map(|live| (live.id, live.body.name.as_str()))
        })
        .collect();
    if deleting.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<i64> = deleting.keys().copied().collect();
    ids.sort_unstable();
    let blockers = client.deletion_blockers(&ids).await?;
    let rewritten = composites_rewritten_first(plan);
    let mut blocked: HashMap<i64, String> = HashMap::new();
    for (id, reasons) in blockers {
        let name = deleting.get(&id).copied().unwrap_or_default();
        if let Some(reason) = foreign_blocker((id, name), &reasons, &rewritten) {
            blocked.insert(id, reason);
        }
    }
    for change in &mut plan.changes {
        if let Some(reason) = change.live.as_ref().and_then(|l| blocked.get(&l.id)) {
            change.blocked = Some(reason.clone());
        }
    }
    keep_what_kept_monitors_need(plan);
    Ok(())
}

/// A kept monitor keeps its partner, and a kept composite keeps every monitor it references:
/// deleting one of those would be refused by the API on every run (it is still referenced), so
/// the plan would never converge. Repeated until nothing more is kept.
pub(super) fn keep_what_kept_monitors_need(plan: &mut Plan) {
    loop {
        let before = plan.blocked().count();
        block_partners(plan);
        block_referenced_by_kept(plan);
        if plan.blocked().count() == before {
            return;
        }
    }
}

fn block_referenced_by_kept(plan: &mut Plan) {
    let needed: HashMap<i64, MonitorKey> = plan
        .blocked()
        .filter_map(|c| Some((c, c.live.as_ref()?)))
        .filter(|(_, live)| is_composite(&live.body.monitor_type))
        .flat_map(|(c, live)| {
            composite_ids(&live.body.query)
                .into_iter()
                .map(|id| (id, c.key.clone()))
        })
        .collect();
    for change in &mut plan.changes {
        let user = change.live.as_ref().and_then(|l| needed.get(&l.id));
        if let (Action::Delete, None, Some(user)) = (change.action, &change.blocked, user) {
            change.blocked = Some(format!("kept: {user}, which is kept, uses it"));
        }
    }
}

/// Owned composites that this plan deletes or rewrites before any raw monitor is deleted
/// (composites go first): they stop referencing what they reference now.
fn composites_rewritten_first(plan: &Plan) -> Vec<&LiveMonitor> {
    plan.changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Update))
        .filter_map(|c| c.live.as_ref())
        .filter(|live| is_composite(&live.body.monitor_type))
        .collect()
}

/// Why `id` cannot be deleted, unless the only users the API names are monc's own composites
/// that this plan deletes or rewrites first, or the monitor is already gone.
fn foreign_blocker(
    (id, name): (i64, &str),
    reasons: &[String],
    rewritten: &[&LiveMonitor],
) -> Option<String> {
    if reasons
        .iter()
        .all(|r| r.to_ascii_lowercase().contains("not found"))
    {
        return None;
    }
    let ours: Vec<&LiveMonitor> = rewritten
        .iter()
        .copied()
        .filter(|m| composite_ids(&m.body.query).contains(&id))
        .collect();
    // The API's wording is not a contract: only a refusal fully explained by monc's own
    // composites is discounted. Each is taken out of the text as the API names it, `[id,name]`
    // (id and name together: a name alone may be part of another's, `app 1` of `app 11`);
    // any number left is a monitor monc does not know, and blocks.
    let named = ours
        .iter()
        .map(|m| (m.id, m.body.name.as_str()))
        .chain([(id, name)]);
    let others: Vec<i64> = reasons
        .iter()
        .map(|reason| {
            named.clone().fold(reason.clone(), |text, (id, name)| {
                text.replace(&format!("[{id},{name}]"), " ")
            })
        })
        .flat_map(|reason| numbers_in(&reason))
        .filter(|n| *n != id && !ours.iter().any(|m| m.id == *n))
        .collect();
    if !ours.is_empty() && others.is_empty() {
        return None;
    }
    Some(reasons.join("; "))
}

/// A blocked monitor keeps its partner: deleting a raw monitor's composite while the raw
/// monitor stays (or the reverse) would leave half a pair.
fn block_partners(plan: &mut Plan) {
    let blocked_keys: HashSet<MonitorKey> = plan
        .blocked()
        .filter(|c| c.drift != Some(super::Drift::Duplicate))
        .map(|c| c.key.clone())
        .collect();
    for change in &mut plan.changes {
        let partner = super::partner_key(&change.key, super::change_is_composite(change));
        if change.action == Action::Delete
            && change.blocked.is_none()
            && change.drift != Some(super::Drift::Duplicate)
            && blocked_keys.contains(&partner)
        {
            change.blocked = Some(format!("kept with {partner}, which cannot be deleted"));
        }
    }
}

/// The monitor IDs a live composite query names.
fn composite_ids(query: &str) -> Vec<i64> {
    crate::query::parse_composite_query(query)
        .map(|expr| {
            expr.operands()
                .into_iter()
                .filter_map(|(operand, _)| match operand {
                    crate::query::Operand::Id(id) => i64::try_from(*id).ok(),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn numbers_in(text: &str) -> Vec<i64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|digits| digits.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MonitorBody;

    /// A backup is written from the live monitors: the one form they travel in gives back
    /// every field the API sent, unknown ones included.
    #[test]
    fn a_live_monitor_gives_back_the_monitor_as_the_api_sent_it() {
        let sent: Monitor = serde_json::from_value(serde_json::json!({
            "id": 12, "name": "n", "type": "query alert", "query": "avg(last_5m):avg:x{*} > 1",
            "message": "m", "tags": ["a:b"], "options": {"notify_audit": false}, "priority": null,
            "created": "2026-01-01T00:00:00+00:00", "modified": "2026-01-02T00:00:00+00:00",
            "overall_state": "OK", "org_id": 321, "creator": {"handle": "x@example.com"},
            "restricted_roles": null, "multi": false
        }))
        .expect("a monitor");
        let live = live_from_wire(&sent).expect("has an id");
        assert_eq!(live.creator.as_deref(), Some("x@example.com"));
        assert_eq!(live.to_wire(), sent);
    }

    fn composite(id: i64, query: &str) -> LiveMonitor {
        LiveMonitor {
            id,
            body: MonitorBody {
                name: "c p95 5xx".into(),
                monitor_type: "composite".into(),
                query: query.into(),
                ..MonitorBody::default()
            },
            modified: None,
            creator: None,
            server: Default::default(),
        }
    }

    #[test]
    fn only_monc_own_composites_rewritten_first_do_not_block() {
        let own = composite(20, "10 && !30");
        let rewritten = [&own];
        let ours =
            vec!["monitor [10,raw p95] is referenced in composite monitors: [20,c p95 5xx]".into()];
        assert_eq!(foreign_blocker((10, "raw p95"), &ours, &rewritten), None);
        let foreign =
            vec!["monitor [10,raw] is referenced in composite monitors: [20,c], [77,x]".into()];
        assert!(foreign_blocker((10, "raw"), &foreign, &rewritten).is_some());
        let unexplained = vec!["monitor is used by an SLO".into()];
        assert!(foreign_blocker((10, "raw"), &unexplained, &[]).is_some());
        let mut app_1 = composite(21, "10 && !30");
        app_1.body.name = "[t0] app 1".into();
        let mut app_11 = composite(22, "11 && !30");
        app_11.body.name = "[t0] app 11".into();
        let both = [&app_1, &app_11];
        let shared = vec![
            "monitor [30,db] is referenced in composite monitors: [21,[t0] app 1], [22,[t0] app 11]"
                .into(),
        ];
        assert_eq!(foreign_blocker((30, "db"), &shared, &both), None);
        let gone = vec!["Monitor not found".into()];
        assert_eq!(foreign_blocker((10, "raw"), &gone, &[]), None);
    }
}
