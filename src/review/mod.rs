//! `monc review`: the monthly inventory and noise report, from the org's own alert history.
//!
//! The owned monitors are listed, their state changes streamed from the Events API page by
//! page into per-monitor counters ([`history`]) and through the tier graph ([`replay`]); the
//! inventory ([`inventory`]) needs the org's monitors only. Memory grows with the monitors and
//! their groups (and one duration per alert episode, for the median), not with the events.

pub mod history;
pub mod inventory;
pub mod render;
pub mod replay;
pub mod window;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::Checked;
use crate::compile::Instance;
use crate::datadog::{ApiError, Client, EventReadStats, EventWindow, MonitorEvent};
use crate::plan::Ownership;

use history::{EventState, MonitorHistory};
use inventory::Inventory;
use replay::{Incident, Replay, TenantPages};

/// The Events API search for monitor state changes (the issue's; GUESS: that it selects them
/// all and nothing else: events without a transition are skipped anyway).
pub const MONITOR_EVENTS_QUERY: &str = "source:alert";

/// What to review.
#[derive(Debug, Clone)]
pub struct ReviewOptions {
    pub from_ms: i64,
    pub to_ms: i64,
    /// Only these tenants' monitors and pages (and the shared monitors that suppress them).
    pub tenants: Vec<String>,
}

/// Where an entry stands: its tier and tenant (`(shared)` for the shared monitors); `None` for
/// a monitor the configuration does not define (a foreign one, or an owned one whose template
/// is gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub tier: Option<String>,
    pub tenant: Option<String>,
}

impl Place {
    pub fn foreign() -> Place {
        Place {
            tier: None,
            tenant: None,
        }
    }

    /// The monitor at `index` of the graph.
    pub fn of_monitor(checked: &Checked, index: usize) -> Place {
        let monitor = &checked.graph.monitors[index];
        let tenant = match monitor.instance {
            Instance::Tenant(t) => checked.model.tenants[t].name.value.clone(),
            _ => replay::SHARED.to_owned(),
        };
        Place {
            tier: checked.model.project.tiers.get(monitor.tier).cloned(),
            tenant: Some(tenant),
        }
    }

    /// A monitor's key, or a generated composite's (its monitor's place).
    pub fn of_key(checked: &Checked, key: &str) -> Place {
        let graph = &checked.graph;
        let index = graph.index_of(key).or_else(|| {
            let composite = graph.composites.iter().find(|c| c.key.as_str() == key)?;
            Some(composite.target)
        });
        index.map_or_else(Place::foreign, |index| Place::of_monitor(checked, index))
    }
}

/// One owned monitor's month.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorReview {
    pub key: String,
    pub tier: String,
    /// The tenant, or `(shared)`.
    pub tenant: String,
    /// Triggers (into Alert or Warn) in the window.
    pub alerts: u64,
    /// Triggers per group, for monitors with groups.
    pub alerts_by_group: BTreeMap<String, u64>,
    /// Seconds in each state, summed over the monitor's groups.
    pub seconds_in_alert: i64,
    pub seconds_in_warn: i64,
    pub seconds_in_no_data: i64,
    pub state_changes: u64,
    /// State changes per day of the window.
    pub flapping_per_day: f64,
    pub last_triggered: Option<String>,
    pub median_alert_seconds: Option<i64>,
    /// In Alert or Warn at the window's end since this instant, before the window or for
    /// longer than [`STUCK_MS`]; `None` otherwise.
    pub stuck_in_alert_since: Option<String>,
    /// What to consider, most pressing first.
    pub consider: Vec<String>,
}

/// Pages with and without the tier composites.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub pages_without: u64,
    pub pages_with: u64,
    /// `None` when nothing would have paged.
    pub reduction_percent: Option<f64>,
    pub by_tenant: BTreeMap<String, TenantPages>,
    /// Pages with suppression, by the monitor that sent them (a composite, a page, or a monitor
    /// that pages itself).
    pub by_pager: BTreeMap<String, u64>,
    pub incidents: Vec<IncidentReview>,
    /// The composites' own triggers in the history, against the replay's pages: each pager
    /// whose two counts differ (empty when they agree or the history has no composite events).
    pub disagreements: Vec<Disagreement>,
    /// Whether the history held any event of a composite (or `page`) to compare with.
    pub composite_events_seen: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentReview {
    pub key: String,
    pub started: String,
    pub ended: Option<String>,
    pub pages_without: u64,
    pub pages_with: u64,
    pub reduction_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub key: String,
    /// Pages the replay counts.
    pub replayed: u64,
    /// Triggers of the composite in the history.
    pub recorded: u64,
}

/// The whole review.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub from: String,
    pub to: String,
    pub events_read: u64,
    /// Events that were no monitor state change monc can use (no transition, no timestamp).
    pub events_skipped: u64,
    /// Events of monitors monc does not own.
    pub events_foreign: u64,
    pub suppression: Suppression,
    /// Noisiest first.
    pub monitors: Vec<MonitorReview>,
    pub inventory: Inventory,
}

/// What an owned monitor id stands for in the graph.
#[derive(Debug, Clone, Copy)]
enum Owned {
    /// A monitor of the graph (raw, or a user's composite / page).
    Monitor(usize),
    /// The composite monc generated for the monitor at this index.
    Composite(usize),
}

/// Reads the org and its history and builds the review.
pub async fn review(
    client: &Client,
    checked: &Checked,
    options: &ReviewOptions,
) -> Result<Review, ApiError> {
    let org = client.list_monitors(&[]).await?;
    let ownership = Ownership::of(&checked.model.project);
    let key_tag = format!("{}:", ownership.key_tag);
    let owned_key: HashMap<i64, String> = org
        .iter()
        .filter(|m| ownership.owns(&m.body.tags))
        .filter_map(|m| {
            let key = m.body.tags.iter().find_map(|t| t.strip_prefix(&key_tag))?;
            Some((m.id?, key.to_owned()))
        })
        .collect();
    let roles = roles(checked, &owned_key);
    let standing = standing_states(&org, &roles, options, now_ms());
    let mut state = Reading::new(checked, options, &standing);
    let window = EventWindow {
        from_ms: options.from_ms,
        to_ms: options.to_ms,
        query: MONITOR_EVENTS_QUERY.to_owned(),
    };
    let stats = client
        .stream_monitor_events(&window, |page| state.take_page(page, &roles))
        .await?;
    Ok(state.finish(checked, &org, &owned_key, options, &stats, &standing))
}

/// The owned monitors (of the graph) whose listed `overall_state` held through the whole
/// window: unchanged since before its start (`overall_state_modified`), or, for a listing
/// without that field, read when the window ends (`listed_at_ms`). Their events, if any, say
/// better; these states are where a monitor without events stood (issue 27: one alerting
/// since before the window and silent in it is stuck, though it has no event).
fn standing_states(
    org: &[crate::datadog::Monitor],
    roles: &HashMap<i64, Owned>,
    options: &ReviewOptions,
    listed_at_ms: i64,
) -> HashMap<usize, EventState> {
    org.iter()
        .filter_map(|monitor| {
            let Some(Owned::Monitor(index)) = roles.get(&monitor.id?) else {
                return None;
            };
            let state = EventState::parse(monitor.overall_state.as_deref()?);
            let modified = monitor
                .extra
                .get("overall_state_modified")
                .and_then(serde_json::Value::as_str)
                .and_then(listed_instant_ms);
            let held = match modified {
                Some(since) => since <= options.from_ms,
                None => options.to_ms >= listed_at_ms,
            };
            (held && state != EventState::Other).then_some((*index, state))
        })
        .collect()
}

/// An instant of the Monitor API (`2026-10-25T00:00:00+00:00`, whole or fractional seconds).
fn listed_instant_ms(text: &str) -> Option<i64> {
    let whole = match text.get(19..20) {
        Some(".") => {
            let rest = &text[20..];
            let zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{}{zone}", &text[..19])
        }
        _ => text.to_owned(),
    };
    window::parse_instant_ms(&whole)
}

fn roles(checked: &Checked, owned_key: &HashMap<i64, String>) -> HashMap<i64, Owned> {
    let graph = &checked.graph;
    let composite_of: HashMap<&str, usize> = graph
        .composites
        .iter()
        .map(|c| (c.key.as_str(), c.target))
        .collect();
    owned_key
        .iter()
        .filter_map(|(&id, key)| {
            let role = match (graph.index_of(key), composite_of.get(key.as_str())) {
                (Some(index), _) => Owned::Monitor(index),
                (None, Some(&target)) => Owned::Composite(target),
                (None, None) => return None,
            };
            Some((id, role))
        })
        .collect()
}

/// The counters while the history streams past.
struct Reading<'a> {
    from_ms: i64,
    histories: Vec<MonitorHistory>,
    replay: Replay<'a>,
    /// Triggers of each pager (composite or page) as the history records them.
    recorded_pages: BTreeMap<String, u64>,
    composite_events_seen: bool,
    foreign: u64,
}

impl<'a> Reading<'a> {
    fn new(
        checked: &'a Checked,
        options: &ReviewOptions,
        standing: &HashMap<usize, EventState>,
    ) -> Reading<'a> {
        let mut replay = Replay::new(checked);
        for (&index, &state) in standing {
            if !replay.is_pager_composite(index) {
                replay.stand(index, state);
            }
        }
        Reading {
            from_ms: options.from_ms,
            histories: vec![MonitorHistory::default(); checked.graph.monitors.len()],
            replay,
            recorded_pages: BTreeMap::new(),
            composite_events_seen: false,
            foreign: 0,
        }
    }

    fn take_page(&mut self, page: Vec<MonitorEvent>, roles: &HashMap<i64, Owned>) {
        for event in page {
            match roles.get(&event.monitor_id) {
                Some(Owned::Monitor(index)) => self.take_monitor_event(*index, &event),
                Some(Owned::Composite(target)) => {
                    let key = format!("{}/composite", self.replay_key(*target));
                    self.take_pager_event(key, &event);
                }
                None => self.foreign += 1,
            }
        }
    }

    fn replay_key(&self, index: usize) -> String {
        self.replay.monitor_key(index).to_owned()
    }

    fn take_monitor_event(&mut self, index: usize, event: &MonitorEvent) {
        self.histories[index].observe(event, self.from_ms);
        if self.replay.is_pager_composite(index) {
            // A user's composite or page: its state is computed, its own events are pages.
            let key = self.replay_key(index);
            self.take_pager_event(key, event);
            return;
        }
        let to = EventState::parse(&event.to);
        self.replay
            .observe(index, event.group.as_deref(), to, event.at_ms);
    }

    fn take_pager_event(&mut self, key: String, event: &MonitorEvent) {
        self.composite_events_seen = true;
        let from = EventState::parse(&event.from);
        let to = EventState::parse(&event.to);
        if to.triggered() && !from.triggered() {
            *self.recorded_pages.entry(key).or_default() += 1;
        }
    }

    fn finish(
        mut self,
        checked: &Checked,
        org: &[crate::datadog::Monitor],
        owned_key: &HashMap<i64, String>,
        options: &ReviewOptions,
        stats: &EventReadStats,
        standing: &HashMap<usize, EventState>,
    ) -> Review {
        self.replay.finish();
        for (&index, &state) in standing {
            self.histories[index].stood_through(state, options.from_ms);
        }
        for history in &mut self.histories {
            history.finish(options.to_ms);
        }
        let days = ((options.to_ms - options.from_ms) as f64 / 86_400_000.0).max(1.0 / 24.0);
        let owned: std::collections::HashSet<&str> =
            owned_key.values().map(String::as_str).collect();
        let mut monitors: Vec<MonitorReview> = checked
            .graph
            .monitors
            .iter()
            .zip(&self.histories)
            .enumerate()
            .filter(|(_, (m, _))| owned.contains(m.key.as_str()))
            .map(|(index, (_, h))| monitor_review(checked, index, h, days, options))
            .filter(|m| in_scope(m, &options.tenants))
            .collect();
        monitors.sort_by(|a, b| {
            (b.alerts, b.state_changes, &a.key).cmp(&(a.alerts, a.state_changes, &b.key))
        });
        let triggers: HashMap<String, u64> =
            monitors.iter().map(|m| (m.key.clone(), m.alerts)).collect();
        // A mute's length counts from now, whatever the window: it is the org's present.
        let view = inventory::View::of(checked, &options.tenants);
        let mut inventory =
            inventory::inventory(checked, org, owned_key, &triggers, now_ms(), &view);
        inventory.stuck_in_alert = stuck_in_alert(&monitors);
        inventory.stuck_in_alert.retain(|s| view.shows_key(&s.key));
        let suppression = self.suppression(&options.tenants);
        Review {
            from: window::format_instant(options.from_ms),
            to: window::format_instant(options.to_ms),
            events_read: stats.events,
            events_skipped: stats.skipped,
            events_foreign: self.foreign,
            suppression,
            monitors,
            inventory,
        }
    }

    fn suppression(&self, tenants: &[String]) -> Suppression {
        let replay = &self.replay;
        let by_tenant: BTreeMap<String, TenantPages> = replay
            .by_tenant
            .iter()
            .filter(|(t, _)| tenants.is_empty() || tenants.contains(t))
            .map(|(t, p)| (t.clone(), p.clone()))
            .collect();
        let (without, with) = match tenants.is_empty() {
            true => (replay.pages_without, replay.pages_with),
            false => by_tenant
                .values()
                .fold((0, 0), |(w, p), t| (w + t.pages_without, p + t.pages_with)),
        };
        let in_view = |tenant: &String| tenants.is_empty() || tenants.contains(tenant);
        let replayed: BTreeMap<String, u64> = replay
            .pages_by_pager
            .iter()
            .map(|(key, (_, pages))| (key.clone(), *pages))
            .collect();
        let disagreements = match self.composite_events_seen {
            true => disagreements(&replayed, &self.recorded_pages),
            false => Vec::new(),
        };
        Suppression {
            pages_without: without,
            pages_with: with,
            reduction_percent: reduction(without, with),
            by_tenant,
            by_pager: replay
                .pages_by_pager
                .iter()
                .filter(|(_, (tenant, pages))| *pages > 0 && in_view(tenant))
                .map(|(key, (_, pages))| (key.clone(), *pages))
                .collect(),
            incidents: replay.incidents.iter().map(incident_review).collect(),
            disagreements,
            composite_events_seen: self.composite_events_seen,
        }
    }
}

/// Pagers that are composites (generated or the user's), whose counts the history can check.
fn disagreements(
    replayed: &BTreeMap<String, u64>,
    recorded: &BTreeMap<String, u64>,
) -> Vec<Disagreement> {
    let keys: std::collections::BTreeSet<&String> = replayed
        .keys()
        .filter(|k| recorded.contains_key(*k) || k.ends_with("/composite"))
        .chain(recorded.keys())
        .collect();
    keys.into_iter()
        .map(|key| Disagreement {
            key: key.clone(),
            replayed: replayed.get(key).copied().unwrap_or(0),
            recorded: recorded.get(key).copied().unwrap_or(0),
        })
        .filter(|d| d.replayed != d.recorded)
        .collect()
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// `(without - with) / without` in per cent, one decimal.
pub fn reduction(without: u64, with: u64) -> Option<f64> {
    (without > 0).then(|| {
        let percent = (without.saturating_sub(with)) as f64 * 100.0 / without as f64;
        (percent * 10.0).round() / 10.0
    })
}

fn incident_review(incident: &Incident) -> IncidentReview {
    IncidentReview {
        key: incident.key.clone(),
        started: window::format_instant(incident.started_ms),
        ended: incident.ended_ms.map(window::format_instant),
        pages_without: incident.pages_without,
        pages_with: incident.pages_with,
        reduction_percent: reduction(incident.pages_without, incident.pages_with),
    }
}

/// The stuck monitors of the review, in key order.
fn stuck_in_alert(monitors: &[MonitorReview]) -> Vec<inventory::Stuck> {
    let mut stuck: Vec<inventory::Stuck> = monitors
        .iter()
        .filter_map(|m| {
            Some(inventory::Stuck {
                key: m.key.clone(),
                since: m.stuck_in_alert_since.clone()?,
                place: Place {
                    tier: Some(m.tier.clone()),
                    tenant: Some(m.tenant.clone()),
                },
            })
        })
        .collect();
    stuck.sort_by(|a, b| a.key.cmp(&b.key));
    stuck
}

/// A monitor is in a tenant's review when it is the tenant's or is shared.
fn in_scope(monitor: &MonitorReview, tenants: &[String]) -> bool {
    tenants.is_empty() || tenants.contains(&monitor.tenant) || monitor.tenant == replay::SHARED
}

fn monitor_review(
    checked: &Checked,
    index: usize,
    history: &MonitorHistory,
    days: f64,
    options: &ReviewOptions,
) -> MonitorReview {
    let monitor = &checked.graph.monitors[index];
    let place = Place::of_monitor(checked, index);
    let median = history.median_alert_ms().map(|ms| ms / 1000);
    let flapping = ((history.state_changes as f64 / days) * 100.0).round() / 100.0;
    let window_ms = options.to_ms - options.from_ms;
    let stuck_since_ms = history
        .open_alert_since_ms
        .filter(|&since| since <= options.from_ms || options.to_ms - since > STUCK_MS);
    let mut review = MonitorReview {
        key: monitor.key.to_string(),
        tier: place.tier.unwrap_or_default(),
        tenant: place.tenant.unwrap_or_default(),
        alerts: history.triggers,
        alerts_by_group: history.triggers_by_group.clone(),
        seconds_in_alert: history.ms_in_alert / 1000,
        seconds_in_warn: history.ms_in_warn / 1000,
        seconds_in_no_data: history.ms_in_no_data / 1000,
        state_changes: history.state_changes,
        flapping_per_day: flapping,
        last_triggered: history.last_triggered_ms.map(window::format_instant),
        median_alert_seconds: median,
        stuck_in_alert_since: stuck_since_ms.map(window::format_instant),
        consider: Vec::new(),
    };
    let stuck_seconds = stuck_since_ms.map(|since| (options.to_ms - since) / 1000);
    review.consider = consider(&review, window_ms, stuck_seconds);
    review
}

/// An alert open this long at the window's end is stuck: a week outlasts any incident the
/// tiers are for and a weekly on-call rotation, so nobody on call owns it any more (the same
/// week as [`inventory::LONG_MUTE_MS`]; Datadog's Monitor Quality page does not publish its own).
pub const STUCK_MS: i64 = 7 * 86_400 * 1000;

/// Alerts that fire this often and end this fast are noise: 4 or more in the window, lasting a
/// quarter of an hour or less at the median.
const OFTEN: u64 = 4;
const BRIEF_SECONDS: i64 = 15 * 60;
/// More state changes a day than this is flapping.
const FLAPPING_PER_DAY: f64 = 2.0;

/// `stuck_seconds`: how long a stuck monitor has been alerting at the window's end.
fn consider(review: &MonitorReview, window_ms: i64, stuck_seconds: Option<i64>) -> Vec<String> {
    let mut advice = Vec::new();
    if let (Some(since), Some(seconds)) = (&review.stuck_in_alert_since, stuck_seconds) {
        advice.push(format!(
            "stuck in Alert since {since} ({}): fix the cause, or the threshold if this state is normal",
            render::duration(seconds)
        ));
    }
    if review.alerts >= OFTEN
        && review
            .median_alert_seconds
            .is_some_and(|s| s <= BRIEF_SECONDS)
    {
        advice.push(
            "fires often and briefly: raise the threshold or lengthen the evaluation window"
                .to_owned(),
        );
    }
    if review.flapping_per_day > FLAPPING_PER_DAY {
        advice.push(
            "flaps: add a recovery threshold, or require a full window (require_full_window)"
                .to_owned(),
        );
    }
    if stuck_seconds.is_none() && review.seconds_in_alert * 1000 * 2 > window_ms {
        advice.push(
            "in Alert most of the window: stuck? fix the cause, or the threshold if this is normal"
                .to_owned(),
        );
    }
    if review.seconds_in_no_data * 1000 * 2 > window_ms {
        advice.push(
            "in No Data most of the time: check that its metric still reports, and its query"
                .to_owned(),
        );
    }
    if review.alerts == 0 && review.seconds_in_alert == 0 && review.seconds_in_warn == 0 {
        advice.push("never fired in the window: it may not be needed".to_owned());
    }
    advice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(key: &str) -> MonitorReview {
        MonitorReview {
            key: key.into(),
            tier: "L3".into(),
            tenant: "acme".into(),
            alerts: 0,
            alerts_by_group: BTreeMap::new(),
            seconds_in_alert: 0,
            seconds_in_warn: 0,
            seconds_in_no_data: 0,
            state_changes: 0,
            flapping_per_day: 0.0,
            last_triggered: None,
            median_alert_seconds: None,
            stuck_in_alert_since: None,
            consider: Vec::new(),
        }
    }

    #[test]
    fn advice_names_each_kind_of_noise_once() {
        let day_ms = 86_400_000;
        let mut stuck = quiet("stuck");
        stuck.alerts = 1;
        stuck.seconds_in_alert = 86_400 * 20;
        assert_eq!(consider(&stuck, 30 * day_ms, None).len(), 1);
        assert!(consider(&stuck, 30 * day_ms, None)[0].starts_with("in Alert most of the window"));
        stuck.stuck_in_alert_since = Some("2026-11-10T00:00:00Z".into());
        let advice = consider(&stuck, 30 * day_ms, Some(86_400 * 20));
        assert_eq!(
            advice,
            [
                "stuck in Alert since 2026-11-10T00:00:00Z (20d 0h): fix the cause, or the threshold if this state is normal"
            ],
            "one hint for one stuck alert"
        );
        let mut noisy = quiet("noisy");
        noisy.alerts = 12;
        noisy.seconds_in_alert = 600;
        noisy.median_alert_seconds = Some(50);
        noisy.flapping_per_day = 3.0;
        let advice = consider(&noisy, 30 * day_ms, None);
        assert!(
            advice[0].starts_with("fires often and briefly"),
            "{advice:?}"
        );
        assert!(advice[1].starts_with("flaps"), "{advice:?}");
        let mut missing = quiet("missing");
        missing.seconds_in_no_data = 86_400 * 29;
        let advice = consider(&missing, 30 * day_ms, None);
        assert!(
            advice[0].starts_with("in No Data most of the time"),
            "{advice:?}"
        );
        assert_eq!(reduction(9, 5), Some(44.4));
        assert_eq!(
            listed_instant_ms("2026-10-25T00:00:00.546640+00:00"),
            listed_instant_ms("2026-10-25T00:00:00Z")
        );
        assert_eq!(reduction(0, 0), None);
    }
}
