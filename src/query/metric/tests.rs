use super::*;

fn parse(query: &str) -> MetricQuery {
    match parse_metric_query(query) {
        Ok(parsed) => parsed,
        Err(err) => panic!("{query}\n{err:?}"),
    }
}

fn error(query: &str) -> QueryError {
    match parse_metric_query(query) {
        Ok(parsed) => panic!("{query} parsed as {parsed:?}"),
        Err(err) => err,
    }
}

/// The text an error points at.
fn pointed(query: &str) -> (String, &str) {
    let err = error(query);
    let text = &query[err.span.clone()];
    (err.message, text)
}

#[test]
fn parses_basic_query_with_group_by() {
    let query = "avg(last_5m):avg:system.cpu.user{env:prod,cluster:prod-tokyo-1} by {host} > 90";
    let q = parse(query);
    assert_eq!(q.group_by, ["host"]);
    assert_eq!(q.comparator, Comparator::Gt);
    assert_eq!(q.threshold, 90.0);
    assert_eq!(q.threshold_span, query.len() - 2..query.len());
    assert_eq!(q.metrics, ["system.cpu.user"]);
}

#[test]
fn parses_as_count_on_scope_with_slashes() {
    let q = parse(
        "sum(last_10m):sum:aws.applicationelb.httpcode_elb_5xx{loadbalancer:app/prod-alb/abc}.as_count() > 100",
    );
    assert_eq!(q.threshold, 100.0);
    assert!(q.group_by.is_empty());
}

#[test]
fn parses_ratio_of_two_metrics() {
    let q = parse(
        "sum(last_5m):sum:trace.http.request.errors{service:acme-api,env:prod}.as_count() / sum:trace.http.request.hits{service:acme-api,env:prod}.as_count() > 0.05",
    );
    assert_eq!(q.threshold, 0.05);
    assert_eq!(
        q.metrics,
        ["trace.http.request.errors", "trace.http.request.hits"]
    );
}

#[test]
fn parses_percentile_space_aggregator() {
    let q =
        parse("avg(last_15m):p95:trace.http.request{service:acme-api} by {resource_name} > 0.8");
    assert_eq!(q.group_by, ["resource_name"]);
}

#[test]
fn parses_percentile_time_aggregator_of_a_distribution() {
    let q = parse("percentile(last_5m):p99:trace.http.request{service:web} by {resource_name} > 2");
    assert_eq!(q.group_by, ["resource_name"]);
    assert_eq!(q.threshold, 2.0);
}

#[test]
fn parses_rollup_after_group_by_and_exponent_threshold() {
    let q = parse(
        "max(last_1h):avg:kubernetes.cpu.usage.total{*} by {kube_cluster_name,kube_namespace}.rollup(avg, 60) >= 1e9",
    );
    assert_eq!(q.group_by, ["kube_cluster_name", "kube_namespace"]);
    assert_eq!(q.comparator, Comparator::Ge);
    assert_eq!(q.threshold, 1e9);
}

#[test]
fn parses_arithmetic_and_negative_threshold() {
    let query = "min(last_5m):(avg:a{*} - avg:b{*}) * 100 < -5";
    let q = parse(query);
    assert_eq!(q.comparator, Comparator::Lt);
    assert_eq!(q.threshold, -5.0);
    assert_eq!(&query[q.threshold_span], "-5");
    assert_eq!(q.metrics, ["a", "b"]);
}

#[test]
fn parses_nested_functions() {
    assert_eq!(parse("avg(last_5m):abs(diff(avg:x{*})) > 3").threshold, 3.0);
}

#[test]
fn parses_change_time_aggregations() {
    parse("change(avg(last_5m),last_5m):avg:x{*} > 10");
    parse("pct_change(avg(last_1h),last_1h):avg:x{*} by {host} < -50");
    parse("change(max(last_5m),5m_ago):avg:x{*} > 10");
}

#[test]
fn parses_anomalies_with_named_arguments() {
    let q = parse(
        "avg(last_4h):anomalies(avg:x{a:b} by {host}, 'basic', 2, direction='above', alert_window='last_15m', interval=60, count_default_zero='true') >= 1",
    );
    assert_eq!(q.group_by, ["host"]);
    assert_eq!(q.threshold, 1.0);
}

#[test]
fn parses_forecast_over_next_window() {
    let q = parse(
        "max(next_1w):forecast(avg:disk.in_use{*} by {host}, 'linear', 1, interval='60m', history='1w', model='default') >= 0.9",
    );
    assert_eq!(q.threshold, 0.9);
}

#[test]
fn parses_outliers() {
    parse("avg(last_1h):outliers(avg:x{*} by {host}, 'DBSCAN', 3) > 0");
}

#[test]
fn parses_every_scope_form() {
    for scope in [
        "{*}",
        "{a:b,!c:d}",
        "{a:b AND c:d}",
        "{host:x OR host:y}",
        "{a:b-*}",
        "{a:b,c IN (x,y)}",
        "{env:$env}",
    ] {
        parse(&format!("avg(last_5m):avg:x{scope} > 1"));
    }
}

#[test]
fn parses_every_function_form() {
    for expression in [
        "avg:x{*}.as_count()",
        "avg:x{*}.as_rate()",
        "avg:x{*}.rollup(sum, 60)",
        "avg:x{*}.fill(null)",
        "avg:x{*}.fill(zero, 10)",
        "top(avg:x{*} by {host}, 10, 'mean', 'desc')",
        "week_before(avg:x{*})",
        "timeshift(avg:x{*}, -3600)",
        "per_second(avg:x{*})",
        "default_zero(avg:x{*})",
        "some_future_function(avg:x{*}, \"double quoted\")",
    ] {
        parse(&format!("avg(last_5m):{expression} > 1"));
    }
}

#[test]
fn parses_every_number_form() {
    for (literal, value) in [
        ("1e9", 1e9),
        ("-5", -5.0),
        ("0.05", 0.05),
        (".5", 0.5),
        ("1e-3", 1e-3),
    ] {
        assert_eq!(
            parse(&format!("avg(last_5m):avg:x{{*}} > {literal}")).threshold,
            value
        );
    }
}

#[test]
fn parses_every_comparator() {
    for (text, comparator) in [
        (">", Comparator::Gt),
        (">=", Comparator::Ge),
        ("<", Comparator::Lt),
        ("<=", Comparator::Le),
        ("==", Comparator::Eq),
        ("!=", Comparator::Ne),
    ] {
        let q = parse(&format!("avg(last_5m):avg:x{{*}} {text} 1"));
        assert_eq!(q.comparator, comparator);
        assert_eq!(comparator.as_str(), text);
        assert_eq!(comparator.is_above(), text.starts_with('>'));
    }
}

#[test]
fn group_by_is_union_of_all_clauses_deduped() {
    let q = parse("avg(last_5m):avg:a{*} by {host,env} / avg:b{*} by {host, zone} > 1");
    assert_eq!(q.group_by, ["host", "env", "zone"]);
}

#[test]
fn parses_current_window_and_by_after_methods() {
    parse("avg(current_1mo):avg:system.load.5{*} > 0.5");
    let q = parse("sum(last_5m):sum:x{*}.as_count() by {host} > 1");
    assert_eq!(q.group_by, ["host"]);
}

#[test]
fn rejects_missing_comparison() {
    let query = "avg(last_5m):avg:x{*}";
    let err = error(query);
    assert_eq!(err.message, "missing comparison and threshold");
    assert_eq!(err.span, query.len()..query.len());
    assert_eq!(err.help.as_deref(), Some(COMPARISON_HELP));
}

#[test]
fn rejects_missing_threshold() {
    let query = "avg(last_5m):avg:x{*} >";
    let err = error(query);
    assert_eq!(
        err.message,
        "expected a threshold number after `>`, found the end of the query"
    );
    assert_eq!(err.span, query.len()..query.len());
}

#[test]
fn rejects_non_numeric_threshold() {
    assert_eq!(
        pointed("avg(last_5m):avg:x{*} > high"),
        (
            "expected a threshold number after `>`, found `high`".into(),
            "high"
        )
    );
}

#[test]
fn rejects_missing_colon_after_time_aggregation() {
    assert_eq!(
        pointed("avg(last_5m) avg:x{*} > 1"),
        (
            "expected `:` after the time aggregation, found `avg`".into(),
            "avg"
        )
    );
}

#[test]
fn rejects_unknown_time_window() {
    let err = error("avg(last_5x):avg:x{*} > 1");
    assert_eq!(err.message, "unknown time window `last_5x`");
    assert_eq!(err.span, 4..11);
    assert!(err.help.is_some());
}

#[test]
fn rejects_unknown_time_aggregator() {
    assert_eq!(
        pointed("mean(last_5m):avg:x{*} > 1"),
        ("unknown time aggregator `mean`".into(), "mean")
    );
}

#[test]
fn rejects_unknown_space_aggregator() {
    assert_eq!(
        pointed("avg(last_5m):average:x{*} > 1"),
        ("unknown space aggregator `average`".into(), "average")
    );
}

#[test]
fn rejects_unclosed_paren_pointing_at_it() {
    let err = error("min(last_5m):(avg:a{*} - avg:b{*} * 100 < -5");
    assert_eq!(err.message, "unclosed `(`");
    assert_eq!(err.span, 13..14);
}

#[test]
fn rejects_unclosed_function_paren() {
    let err = error("avg(last_5m):abs(avg:a{*} > 5");
    assert_eq!(err.message, "expected `)` or `,`, found `>`");
    let err = error("avg(last_5m):abs(avg:a{*}");
    assert_eq!(err.message, "unclosed `(`");
    assert_eq!(err.span, 16..17);
}

#[test]
fn rejects_unmatched_closing_paren() {
    assert_eq!(
        pointed("avg(last_5m):avg:a{*}) > 5"),
        ("unmatched `)`".into(), ")")
    );
}

#[test]
fn rejects_unclosed_brace() {
    let err = error("avg(last_5m):avg:a{env:prod > 5");
    assert_eq!(err.message, "unclosed `{`");
    assert_eq!(err.span, 18..19);
}

#[test]
fn rejects_empty_scope() {
    assert_eq!(
        pointed("avg(last_5m):avg:a{} > 5"),
        ("empty scope `{}`".into(), "{}")
    );
}

#[test]
fn rejects_metric_without_scope() {
    let err = error("avg(last_5m):avg:system.load.1 > 5");
    assert_eq!(
        err.message,
        "expected a scope like `{*}` after the metric `system.load.1`"
    );
    assert_eq!(err.span, 31..32);
}

#[test]
fn rejects_by_without_brace() {
    assert_eq!(
        pointed("avg(last_5m):avg:a{*} by host > 5"),
        ("expected `{` after `by`, found `host`".into(), "host")
    );
}

#[test]
fn rejects_empty_group_by_tag() {
    let query = "avg(last_5m):avg:a{*} by {host,} > 5";
    let err = error(query);
    assert_eq!(err.message, "empty tag in `by {}`");
    assert_eq!(err.span, 31..31);
    assert_eq!(
        pointed("avg(last_5m):avg:a{*} by {} > 5").0,
        "empty tag in `by {}`"
    );
}

#[test]
fn rejects_trailing_garbage() {
    let err = error("avg(last_5m):avg:a{*} > 5 foo bar");
    assert_eq!(err.message, "unexpected `foo` after the threshold");
    assert_eq!(err.span, 26..33);
}

#[test]
fn rejects_single_equals() {
    assert_eq!(
        pointed("avg(last_5m):avg:a{*} = 5"),
        ("`=` is not a comparison".into(), "=")
    );
}

#[test]
fn rejects_bare_word_in_expression() {
    assert_eq!(
        pointed("avg(last_5m):foo > 5"),
        (
            "expected a metric like `avg:system.cpu.user{*}`, found `foo`".into(),
            "foo"
        )
    );
}

#[test]
fn rejects_empty_query() {
    let err = error("");
    assert_eq!(err.span, 0..0);
}

#[test]
fn rejects_out_of_range_threshold() {
    assert_eq!(
        pointed("avg(last_5m):avg:a{*} > -1e999"),
        ("threshold is out of range".into(), "-1e999")
    );
}

#[test]
fn rejects_dangling_operator() {
    assert_eq!(
        pointed("avg(last_5m):avg:a{*} + > 5"),
        (
            "expected a metric like `avg:system.cpu.user{*}`, found `>`".into(),
            ">"
        )
    );
}

#[test]
fn rejects_excessive_nesting_without_overflowing() {
    for nested in [
        format!("{}avg:a{{*}}{}", "(".repeat(5000), ")".repeat(5000)),
        format!("{}avg:a{{*}}{}", "abs(".repeat(5000), ")".repeat(5000)),
        format!("{}avg:a{{*}}", "-".repeat(5000)),
    ] {
        let err = error(&format!("avg(last_5m):{nested} > 1"));
        assert_eq!(err.message, "query is nested too deeply");
    }
}

/// Forms Datadog accepts in its published monitors (issue 12).
#[test]
fn published_forms_parse() {
    let unary_plus = parse_metric_query(
        "avg(last_4h):anomalies(+ avg:apache.performance.cpu_load{*} by {host}, 'agile', 2) >= 1",
    )
    .expect("unary plus");
    assert_eq!(unary_plus.group_by, ["host"]);
    let legacy = parse_metric_query(
        "avg(last_15m):avg:postgresql.percent_usage_connections{*} > 0.9 by {host}",
    )
    .expect("by after the threshold");
    assert_eq!(legacy.group_by, ["host"]);
    assert_eq!(legacy.threshold, 0.9);
    parse_metric_query(
        "max(last_5m):sum(max:sqlserver.ao.replica_status{*} by {availability_group_name,replica_server_name}.rollup(max, 60), { availability_group_name }) > 1",
    )
    .expect("a tag list as an argument");
    assert!(parse_metric_query("avg(last_5m):avg:a{*} > 1 by host").is_err());
    assert!(parse_metric_query("avg(last_5m):avg:a{*} > 1 by {host} extra").is_err());
}

#[test]
fn an_empty_window_is_an_error() {
    let error = parse_metric_query("avg(last_0m):avg:a{*} > 1").expect_err("empty window");
    assert!(error.message.contains("is empty"), "{}", error.message);
    assert!(parse_metric_query("avg(last_00h):avg:a{*} > 1").is_err());
    assert!(parse_metric_query("avg(last_10m):avg:a{*} > 1").is_ok());
    assert!(parse_metric_query("pct_change(avg(last_5m),0m_ago):avg:a{*} > 1").is_err());
}

#[test]
fn a_function_or_argument_name_one_typo_from_a_known_one_is_an_error() {
    let cases = [
        (
            "avg(last_5m):avg:a{*}.as_countt() > 1",
            "as_countt",
            "did you mean `as_count`?",
        ),
        (
            "avg(last_5m):avg:a{*}.filll(zero) > 1",
            "filll",
            "did you mean `fill`?",
        ),
        (
            "avg(last_5m):per_minuet(avg:a{*}) > 1",
            "per_minuet",
            "did you mean `per_minute`?",
        ),
        (
            "avg(last_5m):anomaliess(avg:a{*}, 'basic', 2) > 1",
            "anomaliess",
            "did you mean `anomalies`?",
        ),
        (
            "avg(last_5m):anomalies(avg:a{*}, 'basic', 2, directoin='above') > 1",
            "directoin",
            "did you mean `direction`?",
        ),
    ];
    for (query, at, help) in cases {
        let err = error(query);
        assert_eq!(&query[err.span.clone()], at, "{query}: {err:?}");
        assert_eq!(err.help.as_deref(), Some(help), "{query}");
    }
}

#[test]
fn names_monc_does_not_know_and_numbered_variants_are_accepted() {
    for query in [
        "avg(last_5m):ewma_7(avg:a{*}) > 1",
        "avg(last_5m):median_9(avg:a{*}) > 1",
        "avg(last_5m):top10_max(avg:a{*} by {host}) > 1",
        "avg(last_5m):some_new_function(avg:a{*}) > 1",
        "avg(last_5m):anomalies(avg:a{*}, 'basic', 2, new_option='x') > 1",
    ] {
        parse(query);
    }
}
