//! The emulator computes composite states on its own (as Datadog's stand-in it may not borrow
//! monc's model of Datadog); `monc test` simulates them. On random member states the two must
//! agree, so each checks the other.

use crate::common;
use std::collections::{BTreeSet, HashMap};

use monc::alert_test::simulate::{self, State, Status};
use monc::datadog::{Client, Monitor};
use monc::query::{CompositeExpr, Operand};
use monc_emulator::{EmulatorHandle, MonitorStatus, StateChange};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

const GROUPS: [&str; 3] = ["host:a", "host:b", "service:c"];

fn state() -> impl Strategy<Value = State> {
    prop::sample::select(vec![State::Ok, State::NoData, State::Warn, State::Alert])
}

/// A simple member, or a multi-alert one reporting some of the groups.
fn member_status() -> impl Strategy<Value = Status> {
    prop_oneof![
        state().prop_map(Status::Simple),
        prop::collection::btree_map(prop::sample::select(GROUPS.to_vec()), state(), 1..=3)
            .prop_map(|groups| {
                Status::Groups(groups.into_iter().map(|(g, s)| (g.to_owned(), s)).collect())
            }),
    ]
}

/// A composite over members 0..4.
fn tree() -> impl Strategy<Value = CompositeExpr> {
    let leaf = (0u64..4).prop_map(|i| CompositeExpr::Operand {
        operand: Operand::Id(i),
        span: 0..0,
    });
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| CompositeExpr::Not(Box::new(e))),
            (inner.clone(), inner.clone())
                .prop_map(|(l, r)| CompositeExpr::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner).prop_map(|(l, r)| CompositeExpr::Or(Box::new(l), Box::new(r))),
        ]
    })
}

fn emulator_status(state: State) -> MonitorStatus {
    match state {
        State::Ok => MonitorStatus::Ok,
        State::NoData => MonitorStatus::NoData,
        State::Warn => MonitorStatus::Warn,
        State::Alert => MonitorStatus::Alert,
    }
}

/// The changes that put monitor `id` in `status` (named groups, or the whole monitor).
fn changes(id: i64, status: &Status) -> Vec<StateChange> {
    match status {
        Status::Simple(state) => vec![StateChange {
            monitor_id: id,
            group: None,
            status: emulator_status(*state),
        }],
        Status::Groups(groups) => groups
            .iter()
            .map(|(group, state)| StateChange {
                monitor_id: id,
                group: Some(group.clone()),
                status: emulator_status(*state),
            })
            .collect(),
    }
}

/// A composite's state per group as listed with `group_states=all` (`None`: a simple one).
fn listed_states(monitor: &Monitor) -> BTreeSet<(Option<String>, String)> {
    let groups = monitor.extra["state"]["groups"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    groups
        .iter()
        .map(|(name, group)| {
            let name = (name != "*").then(|| name.clone());
            (
                name,
                group["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn monc_states(results: Vec<(Option<String>, State)>) -> BTreeSet<(Option<String>, String)> {
    results
        .into_iter()
        .map(|(group, state)| (group, state.name().to_owned()))
        .collect()
}

struct Org {
    runtime: tokio::runtime::Runtime,
    emulator: EmulatorHandle,
    client: Client,
}

impl Org {
    fn start() -> Org {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (emulator, client) = runtime.block_on(common::start());
        Org {
            runtime,
            emulator,
            client,
        }
    }

    fn listed(&self, tag: &str) -> Vec<Monitor> {
        self.runtime
            .block_on(self.client.list_monitors_with_states(&[tag.to_owned()]))
            .expect("listed")
    }
}

/// Any composite expression, any member states: a fresh composite's state per group (its last
/// known state is "No Data", so even a No Data result shows as computed) equals `monc test`'s.
#[test]
fn the_emulator_and_monc_test_agree_on_any_composite() {
    let org = Org::start();
    let case = std::sync::atomic::AtomicU32::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    let strategy = (tree(), prop::collection::vec(member_status(), 4));
    let result = runner.run(&strategy, |(expr, statuses)| {
        let number = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tag = format!("case:{number}");
        let ids: Vec<i64> = (0..4)
            .map(|i| {
                let body = json!({"name": format!("m{i}"), "type": "query alert",
                    "query": "avg(last_5m):avg:x{*} by {host} > 1", "tags": [tag]});
                org.emulator.insert_monitor(body).expect("member")
            })
            .collect();
        let all: Vec<StateChange> = ids
            .iter()
            .zip(&statuses)
            .flat_map(|(&id, status)| changes(id, status))
            .collect();
        org.emulator.set_states(&all).expect("states");
        let query = expr.render(&|operand| match operand {
            Operand::Id(i) => ids[*i as usize].to_string(),
            other => panic!("{other:?}"),
        });
        let composite = json!({"name": "c", "type": "composite", "query": query, "tags": [tag]});
        let composite_id = org.emulator.insert_monitor(composite).expect("composite");
        let listed = org.listed(&tag);
        let live = listed
            .iter()
            .find(|m| m.id == Some(composite_id))
            .expect("listed");
        let by_index = |i: u64| statuses[i as usize].clone();
        let expected = monc_states(simulate::evaluate_grouped(&expr, &by_index));
        prop_assert_eq!(listed_states(live), expected, "{}", query);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// The reference setup's own composites (`target && !suppressor...`, and its pages
/// `(a || b) && !suppressor...`): which page in the emulator is what `monc test` says pages.
#[test]
fn the_reference_composites_page_in_the_emulator_as_monc_test_says() {
    let org = Org::start();
    let dir = common::reference_copy("status-props", "reference");
    org.runtime.block_on(common::sync(&dir, &org.client, false));
    let checked = monc::check(&monc::load::LoadOptions::in_dir(&dir)).expect("loads");
    let graph = &checked.graph;
    let ids: Vec<i64> = graph
        .monitors
        .iter()
        .map(|m| common::id_of(&org.emulator, &m.key))
        .collect();
    let raw: Vec<usize> = (0..graph.monitors.len())
        .filter(|&i| graph.monitors[i].body.monitor_type != "composite")
        .collect();
    let multi = |i: usize| graph.monitors[i].body.query.contains(" by {");
    let groups = ["resource_name:/login", "resource_name:/checkout"];
    let per_monitor = move |i: usize| -> BoxedStrategy<Status> {
        if multi(i) {
            (state(), state())
                .prop_map(move |(a, b)| {
                    Status::Groups(vec![(groups[0].into(), a), (groups[1].into(), b)])
                })
                .boxed()
        } else {
            state().prop_map(Status::Simple).boxed()
        }
    };
    let strategy: Vec<BoxedStrategy<Status>> = raw.iter().map(|&i| per_monitor(i)).collect();
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    let result = runner.run(&strategy, |statuses| {
        // Everything OK first, so that every composite's last known state is OK (as `monc
        // test` assumes), then the case's states in one evaluation cycle.
        let reset: Vec<StateChange> = raw
            .iter()
            .flat_map(|&i| {
                let ok = match multi(i) {
                    true => {
                        Status::Groups(groups.iter().map(|g| (g.to_string(), State::Ok)).collect())
                    }
                    false => Status::Simple(State::Ok),
                };
                changes(ids[i], &ok)
            })
            .collect();
        org.emulator.set_states(&reset).expect("reset");
        let case: Vec<StateChange> = raw
            .iter()
            .zip(&statuses)
            .flat_map(|(&i, status)| changes(ids[i], status))
            .collect();
        org.emulator.set_states(&case).expect("states");
        let by_index: HashMap<usize, Status> = raw.iter().copied().zip(statuses).collect();
        let outcome = simulate::simulate(graph, &by_index);
        let expected: BTreeSet<(String, Option<String>, String)> = outcome
            .pages
            .iter()
            // Composites only (generated ones are not in `monitors`; pages are composites).
            .filter(|p| {
                graph
                    .monitor(&p.key)
                    .is_none_or(|m| m.body.monitor_type == "composite")
            })
            .map(|p| (p.key.clone(), p.group.clone(), p.state.name().to_owned()))
            .collect();
        let actual: BTreeSet<(String, Option<String>, String)> = org
            .listed("managed-by:monc")
            .iter()
            .filter(|m| m.body.monitor_type == "composite")
            .flat_map(|m| {
                let key = common::key_of(&serde_json::to_value(m).unwrap_or(Value::Null))
                    .unwrap_or_default();
                listed_states(m)
                    .into_iter()
                    .filter(|(_, state)| state == "Alert" || state == "Warn")
                    .map(move |(group, state)| (key.clone(), group, state))
            })
            .collect();
        prop_assert_eq!(actual, expected);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
