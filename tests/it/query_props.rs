//! Properties of the query parsers (metric, chained, composite): they never panic, error spans
//! always fit the input, and composite rendering round-trips.

use std::ops::Range;

use monc::query::{
    CompositeExpr, Operand, QueryError, parse_chain_query, parse_composite_query,
    parse_metric_query, parse_monitor_query,
};
use proptest::prelude::*;

const VALID_METRIC_QUERIES: &[&str] = &[
    "avg(last_5m):avg:system.cpu.user{env:prod,cluster:prod-tokyo-1} by {host} > 90",
    "sum(last_5m):sum:trace.http.request.errors{service:acme-api,env:prod}.as_count() / sum:trace.http.request.hits{service:acme-api,env:prod}.as_count() > 0.05",
    "max(last_1h):avg:kubernetes.cpu.usage.total{*} by {kube_cluster_name,kube_namespace}.rollup(avg, 60) >= 1e9",
    "min(last_5m):(avg:a{*} - avg:b{*}) * 100 < -5",
    "change(avg(last_5m),last_5m):avg:x{a IN (b,c)} > 10",
    "avg(last_4h):anomalies(avg:x{a:b} by {host}, 'basic', 2, direction='above', alert_window='last_15m', interval=60) >= 1",
    "max(next_1w):forecast(avg:disk.in_use{!a:b AND c:d} by {host}, 'linear', 1, history='1w') >= .9",
];

const VALID_CHAIN_QUERIES: &[&str] = &[
    r#""http.can_connect".over("instance:foo","env:prod").by("host").last(2).count_by_status()"#,
    r#"logs("service:web status:error").index("main").rollup("count").by("host").last("5m") > 100"#,
    r#"ci-pipelines("@ci.status:error").rollup("avg", "@duration").by("@git.branch,@ci.pipeline.name").last("5m") >= 1"#,
    r#"formula("exclude_null(query1)").last("7d").anomaly(direction="above", threshold=10) >= 5"#,
    r#"events('sources:watchdog \'quoted\'').by('service').rollup('count').last('30m') > 0"#,
];

const VALID_COMPOSITE_QUERIES: &[&str] = &[
    "1 && !(2 || 3)",
    "monitor.db_down[\"prod\"] || (monitor.api && !42)",
    "!!(monitor.a_1 && 7) || monitor.b[\"x y\"]",
];

/// Where an error span must lie: inside the input, ordered, on char boundaries.
fn assert_span_fits(query: &str, result: Result<(), QueryError>) -> Result<(), TestCaseError> {
    if let Err(err) = result {
        let Range { start, end } = err.span;
        prop_assert!(start <= end && end <= query.len(), "{err:?} in {query:?}");
        prop_assert!(
            query.is_char_boundary(start) && query.is_char_boundary(end),
            "{err:?} in {query:?}"
        );
        prop_assert!(!err.message.is_empty());
    }
    Ok(())
}

fn check_both_parsers(query: &str) -> Result<(), TestCaseError> {
    assert_span_fits(query, parse_metric_query(query).map(|_| ()))?;
    assert_span_fits(query, parse_chain_query(query).map(|_| ()))?;
    for monitor_type in ["query alert", "service check", "log alert", "slo alert"] {
        assert_span_fits(query, parse_monitor_query(monitor_type, query).map(|_| ()))?;
    }
    assert_span_fits(query, parse_composite_query(query).map(|_| ()))
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
}

/// Characters that matter to the grammars, plus a few multi-byte ones.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(
            "(){}[]:,.'\"!&|<>=+-*/ _$e0123456789abymonitor"
                .chars()
                .collect::<Vec<_>>()
        ),
        prop::sample::select(vec!['é', '→', '日', '\u{0}', '\n']),
        any::<char>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), interesting_char()).prop_map(|(at, c)| Mutation::Insert(at, c)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), interesting_char()).prop_map(|(at, c)| Mutation::Replace(at, c)),
    ]
}

fn mutate(query: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = query.chars().collect();
    for mutation in mutations {
        let len = chars.len();
        match *mutation {
            Mutation::Insert(at, c) => chars.insert(at % (len + 1), c),
            Mutation::Delete(at) if len > 0 => {
                chars.remove(at % len);
            }
            Mutation::Replace(at, c) if len > 0 => chars[at % len] = c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![
        any::<u64>().prop_map(Operand::Id),
        ("[A-Za-z0-9_]{1,8}", prop::option::of("[a-z0-9 _.:-]{0,6}"))
            .prop_map(|(template, index)| Operand::Ref { template, index }),
    ]
}

fn composite_tree() -> impl Strategy<Value = CompositeExpr> {
    let leaf = operand().prop_map(|operand| CompositeExpr::Operand {
        operand,
        span: 0..0,
    });
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| CompositeExpr::Not(Box::new(e))),
            (inner.clone(), inner.clone())
                .prop_map(|(l, r)| CompositeExpr::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner).prop_map(|(l, r)| CompositeExpr::Or(Box::new(l), Box::new(r))),
        ]
    })
}

/// Source text for a tree with redundant parentheses and random whitespace.
fn composite_source() -> impl Strategy<Value = String> {
    let space = prop::sample::select(vec!["", " ", "  ", "\n", "\t"]);
    let leaf =
        (operand(), space.clone()).prop_map(|(operand, s)| format!("{s}{}{s}", display(&operand)));
    leaf.prop_recursive(6, 48, 2, move |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("!{e}")),
            inner.clone().prop_map(|e| format!("({e})")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l}) && ({r})")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("{l}&&{r}")),
            (inner.clone(), inner).prop_map(|(l, r)| format!("{l} || {r}")),
        ]
    })
}

fn display(operand: &Operand) -> String {
    match operand {
        Operand::Id(id) => id.to_string(),
        Operand::Ref {
            template,
            index: None,
        } => format!("monitor.{template}"),
        Operand::Ref {
            template,
            index: Some(index),
        } => format!("monitor.{template}[\"{index}\"]"),
        Operand::Key(key) => key.clone(),
    }
}

/// The tree without spans, for structural comparison.
fn structure(expr: &CompositeExpr) -> CompositeExpr {
    let boxed = |e: &CompositeExpr| Box::new(structure(e));
    match expr {
        CompositeExpr::Operand { operand, .. } => CompositeExpr::Operand {
            operand: operand.clone(),
            span: 0..0,
        },
        CompositeExpr::Not(inner) => CompositeExpr::Not(boxed(inner)),
        CompositeExpr::And(l, r) => CompositeExpr::And(boxed(l), boxed(r)),
        CompositeExpr::Or(l, r) => CompositeExpr::Or(boxed(l), boxed(r)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic_and_spans_fit(query in any::<String>()) {
        check_both_parsers(&query)?;
    }

    #[test]
    fn grammar_alphabet_strings_never_panic_and_spans_fit(
        chars in prop::collection::vec(interesting_char(), 0..80)
    ) {
        check_both_parsers(&chars.into_iter().collect::<String>())?;
    }

    #[test]
    fn mutated_metric_queries_never_panic_and_spans_fit(
        query in prop::sample::select(VALID_METRIC_QUERIES),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        check_both_parsers(&mutate(query, &mutations))?;
    }

    #[test]
    fn mutated_chain_queries_never_panic_and_spans_fit(
        query in prop::sample::select(VALID_CHAIN_QUERIES),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        check_both_parsers(&mutate(query, &mutations))?;
    }

    #[test]
    fn mutated_composite_queries_never_panic_and_spans_fit(
        query in prop::sample::select(VALID_COMPOSITE_QUERIES),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        check_both_parsers(&mutate(query, &mutations))?;
    }

    #[test]
    fn composite_parse_render_parse_is_stable(query in composite_source()) {
        let parsed = parse_composite_query(&query);
        prop_assert!(parsed.is_ok(), "{query:?}: {parsed:?}");
        let parsed = parsed.unwrap();
        let rendered = parsed.render(&display);
        let reparsed = parse_composite_query(&rendered);
        prop_assert!(reparsed.is_ok(), "{rendered:?}: {reparsed:?}");
        prop_assert_eq!(structure(&reparsed.unwrap()), structure(&parsed));
    }

    #[test]
    fn rendering_any_tree_parses_back_to_it(tree in composite_tree()) {
        let rendered = tree.render(&display);
        let parsed = parse_composite_query(&rendered);
        prop_assert!(parsed.is_ok(), "{rendered:?}: {parsed:?}");
        let parsed = parsed.unwrap();
        prop_assert_eq!(structure(&parsed), tree);
        prop_assert_eq!(parsed.render(&display), rendered);
    }

    #[test]
    fn composite_operand_spans_cover_their_source(query in composite_source()) {
        let parsed = parse_composite_query(&query).unwrap();
        for (operand, span) in parsed.operands() {
            let expected = display(operand);
            prop_assert_eq!(query.get(span), Some(expected.as_str()));
        }
    }
}

#[test]
fn valid_seed_queries_parse() {
    for query in VALID_METRIC_QUERIES {
        assert!(parse_metric_query(query).is_ok(), "{query}");
    }
    for query in VALID_CHAIN_QUERIES {
        assert!(parse_chain_query(query).is_ok(), "{query}");
    }
    for query in VALID_COMPOSITE_QUERIES {
        assert!(parse_composite_query(query).is_ok(), "{query}");
    }
}
