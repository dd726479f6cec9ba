//! `monc review` replays history through monc's model of the composites; the emulator
//! computes them on its own and logs each composite's transitions. On random histories, the
//! pages the replay counts for each composite (and each `page`) must equal that composite's
//! own triggers in the event log.

use std::collections::{BTreeMap, HashMap};

use monc::datadog::{EventWindow, MonitorEvent};
use monc::load::LoadOptions;
use monc::review::{ReviewOptions, review};
use monc_emulator::{MonitorStatus, StateChange};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common;

/// One evaluation cycle: some raw monitors (by position) moved to some states.
type Step = Vec<(usize, MonitorStatus)>;

fn status() -> impl Strategy<Value = MonitorStatus> {
    prop::sample::select(vec![
        MonitorStatus::Ok,
        MonitorStatus::Alert,
        MonitorStatus::Alert,
        MonitorStatus::Warn,
        MonitorStatus::NoData,
    ])
}

fn history(raw: usize) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(prop::collection::vec((0..raw, status()), 1..5), 1..16)
}

const DAY_MS: i64 = 86_400_000;
/// 2026-11-01T00:00:00Z: each case gets its own day after it.
const START_MS: i64 = 1_793_491_200_000;

/// Triggers (into Alert or Warn from another state) per monitor id, from the event log.
fn triggers_by_id(events: &[MonitorEvent]) -> HashMap<i64, u64> {
    let triggered = |s: &str| matches!(s, "Alert" | "Warn");
    let mut triggers = HashMap::new();
    for event in events {
        if triggered(&event.to) && !triggered(&event.from) {
            *triggers.entry(event.monitor_id).or_default() += 1;
        }
    }
    triggers
}

#[test]
fn on_random_histories_the_replay_counts_what_the_composites_did() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (emulator, client) = runtime.block_on(common::start());
    let dir = common::reference_copy("review_props", "random");
    runtime.block_on(common::sync(&dir, &client, false));
    let checked = monc::check(&LoadOptions::in_dir(&dir)).expect("loads");
    let graph = &checked.graph;
    // The raw monitors a drill can set (composites and pages follow their members).
    let raw: Vec<i64> = graph
        .monitors
        .iter()
        .filter(|m| m.composite.is_none())
        .map(|m| common::id_of(&emulator, &m.key))
        .collect();
    // Every monitor that pages through its own transitions: generated composites and pages.
    let mut pagers: BTreeMap<String, i64> = graph
        .composites
        .iter()
        .map(|c| (c.key.to_string(), common::id_of(&emulator, &c.key)))
        .collect();
    for monitor in graph.monitors.iter().filter(|m| m.composite.is_some()) {
        pagers.insert(
            monitor.key.to_string(),
            common::id_of(&emulator, &monitor.key),
        );
    }
    let case = std::sync::atomic::AtomicI64::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 32,
        ..Config::default()
    });
    runner
        .run(&history(raw.len()), |steps| {
            let day = START_MS + case.fetch_add(1, std::sync::atomic::Ordering::SeqCst) * DAY_MS;
            let all_ok: Vec<StateChange> = raw
                .iter()
                .map(|&id| StateChange {
                    monitor_id: id,
                    group: None,
                    status: MonitorStatus::Ok,
                })
                .collect();
            emulator.set_states_at(&all_ok, Some(day)).expect("set");
            for (n, step) in steps.iter().enumerate() {
                let changes: Vec<StateChange> = step
                    .iter()
                    .map(|(i, status)| StateChange {
                        monitor_id: raw[*i],
                        group: None,
                        status: *status,
                    })
                    .collect();
                let at = day + (n as i64 + 1) * 60_000;
                emulator.set_states_at(&changes, Some(at)).expect("set");
            }
            let options = ReviewOptions {
                from_ms: day,
                to_ms: day + DAY_MS - 1,
                tenants: Vec::new(),
            };
            let reviewed = runtime
                .block_on(review(&client, &checked, &options))
                .expect("reviewed");
            let mut events = Vec::new();
            let window = EventWindow {
                from_ms: options.from_ms,
                to_ms: options.to_ms,
                query: "source:alert".into(),
            };
            runtime
                .block_on(client.stream_monitor_events(&window, |page| events.extend(page)))
                .expect("read");
            let recorded = triggers_by_id(&events);
            for (key, id) in &pagers {
                let replayed = reviewed.suppression.by_pager.get(key).copied().unwrap_or(0);
                let own = recorded.get(id).copied().unwrap_or(0);
                prop_assert_eq!(replayed, own, "{} in history {:?}", key, steps);
            }
            prop_assert!(reviewed.suppression.disagreements.is_empty());
            Ok(())
        })
        .expect("the replay and the composites agree");
    runtime.block_on(emulator.shutdown());
}
