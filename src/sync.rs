//! Applying a plan to the org: constituents before composites, composites deleted before what
//! they reference, a backup before anything is changed, and no duplicate when an answer is lost.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::backup::Backup;
use crate::datadog::{ApiError, Client, Monitor, MonitorContext};
use crate::emit::EmittedMonitor;
use crate::model::{MonitorKey, is_composite, partner_key};
use crate::plan::{
    Action, Change, Definition, LiveMonitor, Ownership, Plan, apply_order, apply_rank, marker_line,
    parse_marker,
};

/// Called after every change with (done, total, outcome), as it happens: what was applied is
/// on record even if monc is killed a moment later.
pub type Progress = Arc<dyn Fn(usize, usize, &Outcome) + Send + Sync>;

/// What `apply` needs besides the plan.
pub struct ApplyOptions {
    pub ownership: Ownership,
    /// Delete orphans; without it they are reported and left alone.
    pub prune: bool,
    /// Where to write the snapshot of monitors about to be changed or deleted.
    pub backup_dir: PathBuf,
    pub progress: Progress,
    /// Set (e.g. on SIGINT/SIGTERM) to start no further change; those in flight finish.
    pub cancel: Arc<AtomicBool>,
    /// Ask the API to validate every create and update first; one refusal means no write.
    pub validate_first: bool,
    /// Called with (validated, total) as the API answers each validation.
    pub validating: Validating,
}

/// Called with (answered, total) while the API validates a plan's monitors.
pub type Validating = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// For callers that show no progress.
pub fn no_progress() -> Validating {
    Arc::new(|_, _| {})
}

/// Why one change was not applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(
        "changed in Datadog since the plan was made (modified {0}); run `monc diff` again and review"
    )]
    ChangedSincePlan(String),
    #[error("it no longer carries {0}; monc leaves it alone")]
    NoLongerOwned(String),
    #[error("skipped: it needs {0} which could not be created")]
    MissingDependencies(String),
    #[error("the API kept dropping its answer; run `monc sync` again")]
    AnswersLost,
    #[error(
        "could not be validated (not a refusal: {0}); nothing was written, run `monc sync` again"
    )]
    NotValidated(String),
    #[error("kept with {0}, which could not be deleted (a pair is never half deleted)")]
    KeptWithPartner(String),
    #[error("not applied: interrupted before it started")]
    NotStarted,
    #[error("internal error: {0}")]
    Internal(String),
}

fn as_text<S: serde::Serializer>(
    error: &Option<ChangeError>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match error {
        Some(error) => serializer.serialize_some(&error.to_string()),
        None => serializer.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub key: MonitorKey,
    pub action: Action,
    pub id: Option<i64>,
    /// None when it worked.
    #[serde(serialize_with = "as_text")]
    pub error: Option<ChangeError>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub backup: Option<PathBuf>,
    /// The backup could not be written whole: nothing was changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_error: Option<String>,
    /// Orphans left in place because --prune was not given.
    pub orphans_kept: Vec<MonitorKey>,
    /// Deletes that cannot be carried out (see [`Change::blocked`]).
    pub blocked: Vec<MonitorKey>,
    /// `moved` blocks whose old and new monitor are both live: nothing was written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub move_conflicts: Vec<String>,
    /// Stopped early: the changes not started are reported as not applied.
    pub interrupted: bool,
    /// Monitors the API validated before anything was written.
    pub validated: usize,
    /// The API refused some monitors when asked to validate them: nothing was written, and
    /// `outcomes` holds the refusals.
    pub validation_failed: bool,
    /// Some monitors could not be validated (no answer after every retry): nothing was
    /// written, and `outcomes` holds them.
    pub validation_unavailable: bool,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.error.is_some())
    }

    /// Anything short of the whole plan applied.
    pub fn incomplete(&self) -> bool {
        self.failures().next().is_some()
            || self.interrupted
            || self.backup_error.is_some()
            || self.validation_failed
            || self.validation_unavailable
            || !self.move_conflicts.is_empty()
    }

    pub fn succeeded(&self, action: Action) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.action == action && o.error.is_none())
            .count()
    }
}

/// Applies the plan. Independent work goes on when something fails; every failure is reported.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    live: &[LiveMonitor],
    options: &ApplyOptions,
) -> Report {
    let mut report = Report {
        blocked: plan.blocked().map(|c| c.key.clone()).collect(),
        move_conflicts: plan.move_conflicts.iter().map(|c| c.describe()).collect(),
        ..Report::default()
    };
    if !report.move_conflicts.is_empty() {
        return report;
    }
    let ordered: Vec<&Change> = apply_order(plan)
        .into_iter()
        .filter(|c| {
            let keep = c.action != Action::Delete
                || options.prune
                || c.drift == Some(crate::plan::Drift::Duplicate);
            if !keep {
                report.orphans_kept.push(c.key.clone());
            }
            keep
        })
        .collect();
    if ordered.is_empty() {
        return report;
    }
    if options.validate_first {
        let validation = validate_remotely(client, plan, &options.validating).await;
        report.validated = validation.checked;
        if !validation.failures.is_empty() {
            report.outcomes = validation.failures;
            report.validation_failed = true;
            return report;
        }
        if !validation.unavailable.is_empty() {
            report.outcomes = validation.unavailable;
            report.validation_unavailable = true;
            return report;
        }
    }
    let (ordered, kept_pairs) = check_pairs_before_deleting(client, ordered, options).await;
    report.outcomes.extend(kept_pairs);
    if ordered.is_empty() {
        return report;
    }
    match write_backup(client, options, &ordered, live) {
        Ok(path) => report.backup = path,
        Err(error) => {
            report.backup_error = Some(format!(
                "could not write the backup to {}, so nothing was changed: {error}",
                options.backup_dir.display()
            ));
            return report;
        }
    }
    // What composites may point at: never a monitor about to be deleted (a duplicate shares
    // its key with the monitor that is kept).
    let mut ids: HashMap<MonitorKey, i64> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Delete)
        .filter_map(|c| Some((c.key.clone(), c.live.as_ref()?.id)))
        .collect();
    let total = ordered.len();
    let mut done = 0;
    for phase in phases(&ordered) {
        let outcomes = run_phase(client, &phase, &ids, options, &mut done, total).await;
        report.interrupted |= options.cancel.load(Ordering::SeqCst);
        for outcome in &outcomes {
            match (outcome.action, outcome.id, &outcome.error) {
                // A deleted duplicate shares its key with the monitor that is kept.
                (Action::Delete, id, None) if ids.get(&outcome.key) == id.as_ref() => {
                    ids.remove(&outcome.key);
                }
                (Action::Delete, _, None) => {}
                (_, Some(id), None) => {
                    ids.insert(outcome.key.clone(), id);
                }
                _ => {}
            }
        }
        report.outcomes.extend(outcomes);
    }
    report
}

/// Before any delete, the monitors whose composite is deleted with them are read afresh: one
/// changed since the plan (or no longer monc's) is kept, and so is its composite. Composites go
/// first, so without this a monitor that then could not be deleted would be left without its
/// composite, notifying nobody.
async fn check_pairs_before_deleting<'a>(
    client: &Client,
    ordered: Vec<&'a Change>,
    options: &ApplyOptions,
) -> (Vec<&'a Change>, Vec<Outcome>) {
    let deleting: HashMap<&str, &Change> = ordered
        .iter()
        .filter(|c| c.action == Action::Delete && c.drift != Some(crate::plan::Drift::Duplicate))
        .map(|c| (c.key.as_str(), *c))
        .collect();
    let mut checks = JoinSet::new();
    for change in deleting.values() {
        let Some(live) = change
            .live
            .as_ref()
            .filter(|l| !is_composite(&l.body.monitor_type))
        else {
            continue;
        };
        let partner = partner_key(&change.key, false); // a raw monitor (filtered above)
        if !deleting.contains_key(partner.as_str()) {
            continue;
        }
        let (client, live, key) = (client.clone(), live.clone(), change.key.clone());
        let ownership = options.ownership.clone();
        checks.spawn(async move {
            let fresh = match client.get_monitor(live.id).await {
                Ok(current) => still_as_planned(&current, &live, &ownership),
                Err(error) if error.is_not_found() => Ok(()),
                Err(error) => Err(error.into()),
            };
            (key, partner, live.id, fresh)
        });
    }
    let mut outcomes = Vec::new();
    let mut kept: HashSet<MonitorKey> = HashSet::new();
    while let Some(joined) = checks.join_next().await {
        let Ok((key, partner, id, Err(error))) = joined else {
            continue;
        };
        let partner_id = deleting
            .get(partner.as_str())
            .and_then(|c| c.live.as_ref())
            .map(|l| l.id);
        outcomes.push(Outcome {
            key: partner.clone(),
            action: Action::Delete,
            id: partner_id,
            error: Some(ChangeError::KeptWithPartner(key.to_string())),
        });
        outcomes.push(Outcome {
            key: key.clone(),
            action: Action::Delete,
            id: Some(id),
            error: Some(error),
        });
        kept.extend([key, partner]);
    }
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    let ordered = ordered
        .into_iter()
        .filter(|c| !(c.action == Action::Delete && kept.contains(&c.key)))
        .collect();
    (ordered, outcomes)
}

/// What the API said of the plan's creates and updates before any write.
#[derive(Debug, Default)]
pub struct RemoteValidation {
    /// Monitors the API validated.
    pub checked: usize,
    /// Composites that name monitors not created yet: the API can only check them once
    /// those exist (at apply time).
    pub deferred: Vec<MonitorKey>,
    /// Monitors the API refused, with its message.
    pub failures: Vec<Outcome>,
    /// Monitors the API could not be asked about (no answer, or 5xx, after every retry):
    /// not refused, but not validated either.
    pub unavailable: Vec<Outcome>,
}

/// How many times a validation that got no answer is asked again, after the client's own
/// retries: under a flaky API a large plan still gets every answer.
const VALIDATION_ROUNDS: usize = 3;

/// One create or update to validate.
#[derive(Clone)]
struct ValidationJob {
    key: MonitorKey,
    action: Action,
    id: Option<i64>,
    body: Monitor,
}

/// Asks the API (`POST /api/v1/monitor/validate`, `/{id}/validate` for updates) about every
/// create and update of `plan`, as Terraform does at plan time. Requests go through the same
/// client, so they count against the rate limit like any other. A refusal is a 4xx about the
/// monitor; a validation that got no answer is asked again (whole rounds, after the client's
/// retries) and, if it still has none, reported as unavailable, never as refused.
pub async fn validate_remotely(
    client: &Client,
    plan: &Plan,
    progress: &Validating,
) -> RemoteValidation {
    let ids: HashMap<MonitorKey, i64> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Delete)
        .filter_map(|c| Some((c.key.clone(), c.live.as_ref()?.id)))
        .collect();
    let mut validation = RemoteValidation::default();
    let mut jobs = Vec::new();
    for change in apply_order(plan)
        .into_iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update))
    {
        let Some(desired) = &change.desired else {
            continue;
        };
        match wire_body(desired, &ids) {
            Ok(body) => jobs.push(ValidationJob {
                key: change.key.clone(),
                action: change.action,
                id: change.live.as_ref().map(|l| l.id),
                body,
            }),
            Err(_) => validation.deferred.push(change.key.clone()),
        }
    }
    let mut unanswered = Vec::new();
    let total = jobs.len();
    let answered = |checked: usize| progress(checked, total);
    for _ in 0..VALIDATION_ROUNDS {
        if jobs.is_empty() {
            break;
        }
        unanswered = validation_round(client, jobs, &mut validation, &answered).await;
        jobs = unanswered.iter().map(|(job, _)| job.clone()).collect();
    }
    validation.unavailable = unanswered
        .into_iter()
        .map(|(job, why)| Outcome {
            key: job.key,
            action: job.action,
            id: job.id,
            error: Some(ChangeError::NotValidated(why)),
        })
        .collect();
    validation.failures.sort_by(|a, b| a.key.cmp(&b.key));
    validation.unavailable.sort_by(|a, b| a.key.cmp(&b.key));
    validation
}

/// Validates `jobs` at once; returns those that got no answer, with what happened.
async fn validation_round(
    client: &Client,
    jobs: Vec<ValidationJob>,
    validation: &mut RemoteValidation,
    answered: &(dyn Fn(usize) + Sync),
) -> Vec<(ValidationJob, String)> {
    let mut tasks = JoinSet::new();
    for job in jobs {
        let client = client.clone();
        tasks.spawn(async move {
            let result = match job.id {
                Some(id) => client.validate_existing_monitor(id, &job.body).await,
                None => client.validate_monitor(&job.body).await,
            };
            (job, result)
        });
    }
    let mut again = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((job, result)) = joined else {
            continue;
        };
        match result {
            Ok(()) => validation.checked += 1,
            Err(error) if error.is_transient() => again.push((job, error.to_string())),
            Err(error) => {
                validation.checked += 1;
                validation.failures.push(Outcome {
                    key: job.key.clone(),
                    action: job.action,
                    id: job.id,
                    error: Some(ChangeError::Api(error.for_monitor(MonitorContext {
                        key: Some(job.key.into()),
                        ..MonitorContext::default()
                    }))),
                });
            }
        }
        answered(validation.checked);
    }
    again
}

/// Consecutive changes of the same rank can run in parallel; ranks run one after another.
fn phases<'a>(ordered: &[&'a Change]) -> Vec<Vec<&'a Change>> {
    let mut phases: Vec<Vec<&Change>> = Vec::new();
    for change in ordered {
        match phases.last_mut() {
            Some(phase) if apply_rank(phase[0]) == apply_rank(change) => phase.push(change),
            _ => phases.push(vec![change]),
        }
    }
    phases
}

async fn run_phase(
    client: &Client,
    phase: &[&Change],
    ids: &HashMap<MonitorKey, i64>,
    options: &ApplyOptions,
    done: &mut usize,
    total: usize,
) -> Vec<Outcome> {
    // A change starts only when a slot is free, so that an interruption stops the changes not
    // yet started instead of finding them all queued inside the client.
    let slots = Arc::new(Semaphore::new(client.options().max_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for change in phase {
        let client = client.clone();
        let change = (*change).clone();
        let ids = ids.clone();
        let ownership = options.ownership.clone();
        let slots = slots.clone();
        let cancel = options.cancel.clone();
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            if cancel.load(Ordering::SeqCst) {
                return not_started(&change);
            }
            apply_one(&client, &change, &ids, &ownership).await
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.unwrap_or_else(|e| Outcome {
            key: "(task)".into(),
            action: Action::Unchanged,
            id: None,
            error: Some(ChangeError::Internal(e.to_string())),
        });
        *done += 1;
        (options.progress)(*done, total, &outcome);
        outcomes.push(outcome);
    }
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    outcomes
}

fn not_started(change: &Change) -> Outcome {
    Outcome {
        key: change.key.clone(),
        action: change.action,
        id: change.live.as_ref().map(|l| l.id),
        error: Some(ChangeError::NotStarted),
    }
}

async fn apply_one(
    client: &Client,
    change: &Change,
    ids: &HashMap<MonitorKey, i64>,
    ownership: &Ownership,
) -> Outcome {
    let result = match change.action {
        Action::Create => create(client, change, ids, ownership).await,
        Action::Update => update(client, change, ids, ownership).await,
        Action::Delete => delete(client, change, ownership).await,
        Action::Unchanged => Ok(change.live.as_ref().map(|l| l.id)),
    };
    let (id, error) = match result {
        Ok(id) => (id, None),
        Err(ChangeError::Api(error)) => (
            change.live.as_ref().map(|l| l.id),
            Some(ChangeError::Api(error.for_monitor(MonitorContext {
                key: Some(change.key.to_string()),
                ..MonitorContext::default()
            }))),
        ),
        Err(error) => (change.live.as_ref().map(|l| l.id), Some(error)),
    };
    Outcome {
        key: change.key.clone(),
        action: change.action,
        id,
        error,
    }
}

/// The wire body for a desired monitor, composite constituents turned into IDs.
pub fn wire_body(
    desired: &EmittedMonitor,
    ids: &HashMap<MonitorKey, i64>,
) -> Result<Monitor, ChangeError> {
    let missing: Vec<&str> = desired
        .body
        .query
        .dependencies()
        .into_iter()
        .filter(|k| !ids.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        return Err(ChangeError::MissingDependencies(missing.join(", ")));
    }
    let revision = Definition::of_desired(desired).revision();
    let mut body = desired
        .body
        .clone()
        .map_query(|query| query.render(|k| ids.get(k).map(i64::to_string).unwrap_or_default()));
    body.message = format!(
        "{}\n\n{}",
        body.message.trim_end(),
        marker_line(&desired.key, &revision)
    )
    .trim_start()
    .to_string();
    // Mute state belongs to downtimes and the UI; sending it would unmute or mute.
    body.options.remove(crate::plan::normalize::MUTE_STATE);
    let monitor = Monitor {
        body,
        ..Monitor::default()
    };
    Ok(monitor)
}

/// Creates a monitor; if the answer was lost, looks the key up before trying again, so a lost
/// answer never becomes a duplicate.
async fn create(
    client: &Client,
    change: &Change,
    ids: &HashMap<MonitorKey, i64>,
    ownership: &Ownership,
) -> Result<Option<i64>, ChangeError> {
    let desired = change
        .desired
        .as_ref()
        .ok_or_else(|| ChangeError::Internal("nothing to create".into()))?;
    let body = wire_body(desired, ids)?;
    let key_tag = format!("{}:{}", ownership.key_tag, desired.key);
    for _ in 0..3 {
        match client.create_monitor(&body).await {
            Ok(created) => return Ok(created.id),
            Err(ApiError::ResponseLost { .. }) => {
                let tags = [ownership.owner_tag.clone(), key_tag.clone()];
                let found = client.list_monitors(&tags).await?;
                // The server's tag filter is not trusted: only a monitor of this project that
                // carries the key and monc's marker for it is the one this create made, never
                // another project's monitor with the same key, nor a clone.
                let made_here = |m: &&Monitor| {
                    m.has_all_tags(&tags)
                        && ownership.owns(&m.body.tags)
                        && parse_marker(&m.body.message).is_some_and(|(key, _)| desired.key == key)
                };
                if let Some(existing) = found.iter().find(made_here) {
                    return Ok(existing.id);
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(ChangeError::AnswersLost)
}

/// Updates a monitor unless it changed since the plan was made: a newer edit is never overwritten.
/// The body is ready before the fresh read, so only the PUT itself separates the check from the
/// write (the API has no conditional update).
async fn update(
    client: &Client,
    change: &Change,
    ids: &HashMap<MonitorKey, i64>,
    ownership: &Ownership,
) -> Result<Option<i64>, ChangeError> {
    let (Some(desired), Some(live)) = (&change.desired, &change.live) else {
        return Err(ChangeError::Internal("nothing to update".into()));
    };
    let body = wire_body(desired, ids)?;
    let current = client.get_monitor(live.id).await?;
    still_as_planned(&current, live, ownership)?;
    client.update_monitor(live.id, &body).await?;
    Ok(Some(live.id))
}

/// Deletes a monitor after the same fresh check as an update: an edit made since the plan was
/// read is never lost.
async fn delete(
    client: &Client,
    change: &Change,
    ownership: &Ownership,
) -> Result<Option<i64>, ChangeError> {
    let live = change
        .live
        .as_ref()
        .ok_or_else(|| ChangeError::Internal("nothing to delete".into()))?;
    match client.get_monitor(live.id).await {
        Ok(current) => still_as_planned(&current, live, ownership)?,
        Err(error) if error.is_not_found() => return Ok(Some(live.id)),
        Err(error) => return Err(error.into()),
    }
    // Never forced: a composite monc does not own may still use this monitor.
    match client.delete_monitor(live.id, false).await {
        Ok(()) => Ok(Some(live.id)),
        Err(error) if error.is_not_found() => Ok(Some(live.id)),
        Err(error) => Err(error.into()),
    }
}

/// The monitor as just read is the one the plan was made from: still monc's, not modified since.
fn still_as_planned(
    current: &Monitor,
    planned: &LiveMonitor,
    ownership: &Ownership,
) -> Result<(), ChangeError> {
    if !ownership.owns(&current.body.tags) {
        return Err(ChangeError::NoLongerOwned(ownership.describe()));
    }
    if current.modified != planned.modified {
        return Err(ChangeError::ChangedSincePlan(
            current
                .modified
                .clone()
                .unwrap_or_else(|| "at an unknown time".into()),
        ));
    }
    Ok(())
}

/// Writes the full wire form of every monitor about to be updated or deleted.
fn write_backup(
    client: &Client,
    options: &ApplyOptions,
    ordered: &[&Change],
    live: &[LiveMonitor],
) -> std::io::Result<Option<PathBuf>> {
    let touched: HashSet<i64> = ordered
        .iter()
        .filter(|c| matches!(c.action, Action::Update | Action::Delete))
        .filter_map(|c| c.live.as_ref().map(|l| l.id))
        .collect();
    if touched.is_empty() {
        return Ok(None);
    }
    let org: Vec<Monitor> = live.iter().map(LiveMonitor::to_wire).collect();
    let monitors: Vec<Monitor> = org
        .iter()
        .filter(|m| m.id.is_some_and(|id| touched.contains(&id)))
        .cloned()
        .collect();
    let backup = Backup::new(client.base_url(), &options.ownership, monitors, &org);
    backup.write(&options.backup_dir).map(Some)
}
