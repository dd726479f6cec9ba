//! One monitor's alert history, counted as its events stream past: triggers (per group), time
//! in Alert / Warn / No Data, state changes, last trigger and alert durations. Nothing of the
//! events themselves is kept.

use std::collections::{BTreeMap, HashMap};

use crate::datadog::MonitorEvent;

/// A state as the Events API names it (`source_state` / `destination_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventState {
    Ok,
    Warn,
    Alert,
    NoData,
    /// Anything else (`Ignored`, `Skipped`, `Unknown`, ...): counted as a change, not as time.
    Other,
}

impl EventState {
    pub fn parse(text: &str) -> EventState {
        match text.trim().to_ascii_lowercase().as_str() {
            "ok" => EventState::Ok,
            "warn" | "warning" => EventState::Warn,
            "alert" => EventState::Alert,
            "no data" | "no_data" | "nodata" => EventState::NoData,
            _ => EventState::Other,
        }
    }

    /// Alert and Warn notify: moving into one of them from any other state is a trigger.
    pub fn triggered(self) -> bool {
        matches!(self, EventState::Alert | EventState::Warn)
    }
}

/// Where one group stands: its state since when, and when its current alert began.
#[derive(Debug, Clone, Copy)]
struct GroupClock {
    state: EventState,
    since_ms: i64,
    alert_since_ms: Option<i64>,
}

/// The counters of one monitor over the review window.
#[derive(Debug, Clone, Default)]
pub struct MonitorHistory {
    /// Triggers (into Alert or Warn from another state) in the window.
    pub triggers: u64,
    /// Triggers per group, for monitors with groups.
    pub triggers_by_group: BTreeMap<String, u64>,
    /// Group-seconds in each state: summed over the monitor's groups.
    pub ms_in_alert: i64,
    pub ms_in_warn: i64,
    pub ms_in_no_data: i64,
    pub state_changes: u64,
    pub last_triggered_ms: Option<i64>,
    /// Every alert episode's length (clipped to the window), for the median: one number per
    /// trigger, never an event.
    pub alert_durations_ms: Vec<i64>,
    /// Set by [`MonitorHistory::finish`]: when the oldest alert still open at the window's end
    /// began (the window's start for one open since before it), if any group is in Alert or
    /// Warn then.
    pub open_alert_since_ms: Option<i64>,
    groups: HashMap<Option<String>, GroupClock>,
}

impl MonitorHistory {
    /// Counts one event. The window starts at `from_ms`: a group's first event says, in its
    /// source state, where the group stood since then.
    pub fn observe(&mut self, event: &MonitorEvent, from_ms: i64) {
        let from = EventState::parse(&event.from);
        let to = EventState::parse(&event.to);
        let at = event.at_ms.max(from_ms);
        let clock = self
            .groups
            .entry(event.group.clone())
            .or_insert_with(|| GroupClock {
                state: from,
                since_ms: from_ms,
                alert_since_ms: from.triggered().then_some(from_ms),
            });
        let previous = *clock;
        add_time(
            &mut self.ms_in_alert,
            &mut self.ms_in_warn,
            &mut self.ms_in_no_data,
            previous.state,
            at - previous.since_ms,
        );
        self.state_changes += 1;
        clock.state = to;
        clock.since_ms = at;
        if to.triggered() && !previous.state.triggered() {
            self.triggers += 1;
            if let Some(group) = &event.group {
                *self.triggers_by_group.entry(group.clone()).or_default() += 1;
            }
            self.last_triggered_ms = Some(self.last_triggered_ms.unwrap_or(at).max(at));
            clock.alert_since_ms = Some(at);
        } else if !to.triggered()
            && let Some(start) = previous.alert_since_ms
        {
            self.alert_durations_ms.push(at - start);
            clock.alert_since_ms = None;
        }
    }

    /// The monitor stood in `state` through the whole window from `from_ms` (the org's listing
    /// says so); counted only when no event of it was seen, as its events say better.
    pub fn stood_through(&mut self, state: EventState, from_ms: i64) {
        if self.state_changes > 0 || !self.groups.is_empty() {
            return;
        }
        let clock = GroupClock {
            state,
            since_ms: from_ms,
            alert_since_ms: state.triggered().then_some(from_ms),
        };
        self.groups.insert(None, clock);
    }

    /// Closes the window at `to_ms`: the time each group has spent in its last state, and the
    /// alerts still open.
    pub fn finish(&mut self, to_ms: i64) {
        let clocks: Vec<GroupClock> = self.groups.values().copied().collect();
        for clock in &clocks {
            add_time(
                &mut self.ms_in_alert,
                &mut self.ms_in_warn,
                &mut self.ms_in_no_data,
                clock.state,
                (to_ms - clock.since_ms).max(0),
            );
            if let Some(start) = clock.alert_since_ms {
                self.alert_durations_ms.push((to_ms - start).max(0));
            }
        }
        self.open_alert_since_ms = clocks
            .iter()
            .filter(|clock| clock.state.triggered())
            .filter_map(|clock| clock.alert_since_ms)
            .min();
        self.groups.clear();
    }

    /// The median alert duration in milliseconds (the lower of the two middle ones).
    pub fn median_alert_ms(&self) -> Option<i64> {
        let mut durations = self.alert_durations_ms.clone();
        durations.sort_unstable();
        let middle = durations.len().checked_sub(1)? / 2;
        durations.get(middle).copied()
    }
}

fn add_time(alert: &mut i64, warn: &mut i64, no_data: &mut i64, state: EventState, ms: i64) {
    match state {
        EventState::Alert => *alert += ms,
        EventState::Warn => *warn += ms,
        EventState::NoData => *no_data += ms,
        EventState::Ok | EventState::Other => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at_ms: i64, group: Option<&str>, from: &str, to: &str) -> MonitorEvent {
        MonitorEvent {
            monitor_id: 1,
            group: group.map(str::to_owned),
            at_ms,
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn triggers_time_in_state_and_durations_are_counted_per_group() {
        let mut history = MonitorHistory::default();
        history.observe(&event(1_000, Some("host:a"), "OK", "Alert"), 0);
        history.observe(&event(4_000, Some("host:a"), "Alert", "OK"), 0);
        history.observe(&event(5_000, Some("host:b"), "OK", "Warn"), 0);
        history.finish(10_000);
        assert_eq!(history.triggers, 2);
        assert_eq!(history.triggers_by_group["host:a"], 1);
        assert_eq!(history.ms_in_alert, 3_000);
        assert_eq!(history.ms_in_warn, 5_000);
        assert_eq!(history.state_changes, 3);
        assert_eq!(history.last_triggered_ms, Some(5_000));
        assert_eq!(history.median_alert_ms(), Some(3_000));
    }

    #[test]
    fn an_alert_open_when_the_window_starts_counts_from_the_start() {
        let mut history = MonitorHistory::default();
        history.observe(&event(2_000, None, "Alert", "OK"), 500);
        history.finish(3_000);
        assert_eq!(history.triggers, 0);
        assert_eq!(history.ms_in_alert, 1_500);
        assert_eq!(history.alert_durations_ms, vec![1_500]);
        assert_eq!(history.open_alert_since_ms, None, "it recovered");
    }

    #[test]
    fn the_oldest_alert_still_open_at_the_end_is_kept() {
        let mut history = MonitorHistory::default();
        history.observe(&event(2_000, Some("a"), "Alert", "Warn"), 500);
        history.observe(&event(2_500, Some("b"), "OK", "Alert"), 500);
        history.observe(&event(2_600, Some("c"), "OK", "Alert"), 500);
        history.observe(&event(2_700, Some("c"), "Alert", "OK"), 500);
        history.finish(3_000);
        assert_eq!(
            history.open_alert_since_ms,
            Some(500),
            "group a has been alerting since before the window"
        );
        let mut later = MonitorHistory::default();
        later.observe(&event(2_500, None, "OK", "Alert"), 500);
        later.finish(3_000);
        assert_eq!(later.open_alert_since_ms, Some(2_500));
    }

    #[test]
    fn a_state_that_stood_through_the_window_counts_only_without_events() {
        let mut quiet = MonitorHistory::default();
        quiet.stood_through(EventState::Alert, 500);
        quiet.finish(3_000);
        assert_eq!(quiet.ms_in_alert, 2_500);
        assert_eq!(quiet.open_alert_since_ms, Some(500));
        assert_eq!((quiet.triggers, quiet.state_changes), (0, 0));
        let mut busy = MonitorHistory::default();
        busy.observe(&event(2_000, None, "OK", "Alert"), 500);
        busy.stood_through(EventState::Alert, 500);
        busy.finish(3_000);
        assert_eq!(busy.ms_in_alert, 1_000, "its events say better");
    }
}
