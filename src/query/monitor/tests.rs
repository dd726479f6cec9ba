use super::*;

fn error(monitor_type: &str, query: &str) -> QueryError {
    match parse_monitor_query(monitor_type, query) {
        Ok(parsed) => panic!("{monitor_type}: {query} parsed as {parsed:?}"),
        Err(err) => err,
    }
}

#[test]
fn each_type_reads_its_own_kind_of_query() {
    let ok = [
        ("query alert", "avg(last_5m):avg:cpu{*} > 90"),
        ("metric alert", r#"formula("query1").last("5m") > 1"#),
        (
            "service check",
            r#""ntp.in_sync".over("*").last(2).count_by_status()"#,
        ),
        ("log alert", r#"logs("a").rollup("count").last("5m") > 1"#),
        (
            "log alert",
            r#"formula("derivative(query)").last("15m") > 10000"#,
        ),
        (
            "event-v2 alert",
            r#"events("a").rollup("count").last("5m") > 0"#,
        ),
        ("rum alert", r#"rum("a").rollup("count").last("5m") > 0"#),
        (
            "trace-analytics alert",
            r#"traces("@error:true").rollup("count").last("5m") > 3"#,
        ),
        (
            "error-tracking alert",
            r#"error-tracking-logs("service:web").index("*").rollup("count").by("issue.id").last("1d") >= 1"#,
        ),
        (
            "cost alert",
            r#"formula("exclude_null(query1)").last("7d") >= 5"#,
        ),
        (
            "slo alert",
            r#"burn_rate("id").over("30d").long_window("1h").short_window("5m") > 14"#,
        ),
    ];
    for (monitor_type, query) in ok {
        let parsed = parse_monitor_query(monitor_type, query);
        assert!(
            matches!(parsed, Ok(Some(_))),
            "{monitor_type}: {query}: {parsed:?}"
        );
    }
}

#[test]
fn error_tracking_new_and_high_impact_issue_forms_of_the_api_reference_are_read() {
    for query in [
        r#"error-tracking("service:web").source("backend").new().rollup("count").by("@issue.id").last("1h") > 0"#,
        r#"error-tracking("service:web").source("browser").impact().rollup("cardinality", "@usr.id").by("@issue.id").last("1h") > 10"#,
    ] {
        let parsed = parse_monitor_query("error-tracking alert", query);
        assert!(matches!(parsed, Ok(Some(_))), "{query}: {parsed:?}");
    }
}

#[test]
fn types_monc_does_not_read_pass_through() {
    for monitor_type in ["synthetics alert", "network-path alert", "composite"] {
        assert_eq!(parse_monitor_query(monitor_type, "anything"), Ok(None));
    }
}

#[test]
fn a_query_of_another_type_is_a_type_error_at_its_source() {
    let cases = [
        (
            "event-v2 alert",
            r#"logs("a").rollup("count").last("5m") > 1"#,
            "logs",
        ),
        (
            "log alert",
            r#"events("a").rollup("count").last("5m") > 1"#,
            "events",
        ),
        (
            "log alert",
            r#""ntp.in_sync".over("*").last(2).count_by_status()"#,
            r#""ntp.in_sync""#,
        ),
        (
            "service check",
            r#"logs("a").rollup("count").last("5m") > 1"#,
            "logs",
        ),
        (
            "service check",
            "avg(last_5m):avg:cpu{*} > 90",
            "avg(last_5m):avg:cpu{*} > 90",
        ),
        (
            "query alert",
            r#"logs("a").rollup("count").last("5m") > 1"#,
            "logs",
        ),
        (
            "query alert",
            r#""ntp.in_sync".over("*").last(2).count_by_status()"#,
            r#""ntp.in_sync""#,
        ),
        (
            "slo alert",
            r#"formula("query1").last("5m") > 1"#,
            "formula",
        ),
    ];
    for (monitor_type, query, at) in cases {
        let err = error(monitor_type, query);
        assert!(!err.is_syntax, "{monitor_type}: {query}: {err:?}");
        assert_eq!(&query[err.span.clone()], at, "{monitor_type}: {query}");
    }
}

#[test]
fn an_unknown_source_is_a_syntax_error_with_a_suggestion() {
    let err = error("log alert", r#"lgos("a").rollup("count").last("5m") > 1"#);
    assert!(err.is_syntax);
    assert_eq!(err.span, 0..4);
    assert_eq!(err.help.as_deref(), Some("did you mean `logs(…)`?"));
}

#[test]
fn a_malformed_metric_query_stays_a_syntax_error() {
    let err = error("query alert", "avg(last_5m):avg:cpu{*} >");
    assert!(err.is_syntax);
}
