use super::*;

fn parse(query: &str) -> ChainQuery {
    match parse_chain_query(query) {
        Ok(parsed) => parsed,
        Err(err) => panic!("{query}\n{err:?}"),
    }
}

fn error(query: &str) -> QueryError {
    match parse_chain_query(query) {
        Ok(parsed) => panic!("{query} parsed as {parsed:?}"),
        Err(err) => err,
    }
}

/// The text the error points at.
fn pointed(query: &str) -> String {
    let err = error(query);
    query[err.span.clone()].to_string()
}

#[test]
fn published_and_recorded_forms_parse() {
    for query in [
        r#""http.can_connect".over("instance:foo","env:prod").by("host").last(2).count_by_status()"#,
        r#""ntp.in_sync".over("*").last(2).count_by_status()"#,
        r#""downdetector".over("*").by("company").last(2).count_by_status()"#,
        r#"logs("service:web status:error").index("main").rollup("count").by("host").last("5m") > 100"#,
        r#"logs("*").index("*").rollup("avg", "@duration").by("@code").last("5m") > 1000000000"#,
        r#"logs("service:foo AND type:error").index("main").rollup("count").by("source,status").last("5m") > 2"#,
        r#"events("status:error source:seagence").rollup("count").last("5m") > 0"#,
        r#"events('priority:all sources:watchdog').by('service,resource_name').rollup('count').last('30m') > 0"#,
        r#"ci-pipelines("ci_level:pipeline @git.branch:staging*").rollup("count").by("@git.branch,@ci.pipeline.name").last("5m") >= 1"#,
        r#"error-tracking-rum("service:foo AND @error.source:source").rollup("count").by("@issue.id").last("1h") >= 1"#,
        r#"trace-analytics("env:prod operation_name:pylons.request").rollup("count").by("*").last("5m") > 100"#,
        r#"llm-observability("*").rollup("count").last("2h") > 0"#,
        r#"formula("query1 / query2 * 100").last("15m") >= 0.8"#,
        r#"formula("exclude_null(query1)").last("7d").anomaly(direction="above", threshold=10) >= 5"#,
        r#"formula("failed_runs(run_query)").by(job_name,workspace_name).last(10d) > 0"#,
        r#"formula("query1").rollup("sum").last("5m") > 124"#,
        r#"error_budget("abc123").over("7d") > 50"#,
        r#"processes('nginx').over('env:prod').rollup('count').last('10m') < 1"#,
        r#"logs("@url:\"/api/v1\"").index("*").rollup("pc95", "@duration").last("5m") > -1.5"#,
    ] {
        parse(query);
    }
}

#[test]
fn a_search_exposes_its_source_and_condition() {
    let query = r#"logs("status:error").rollup("count").last("5m") >= 100"#;
    let parsed = parse(query);
    assert_eq!(parsed.source, Source::Function("logs".into()));
    assert_eq!(parsed.source_span, 0..4);
    let condition = parsed.condition.expect("a condition");
    assert_eq!(condition.comparator, crate::query::Comparator::Ge);
    assert_eq!(condition.threshold, 100.0);
    assert_eq!(&query[condition.threshold_span], "100");
}

#[test]
fn a_service_check_exposes_its_check_and_runs() {
    let query = r#""http.can_connect".over("*").last(3).count_by_status()"#;
    let parsed = parse(query);
    assert_eq!(parsed.source, Source::Check("http.can_connect".into()));
    assert_eq!(parsed.condition, None);
    assert_eq!(parsed.check_runs, Some(3));
    assert_eq!(
        parse(r#"ci-tests("x").rollup("count").last("5m") > 1"#).source,
        Source::Function("ci-tests".into())
    );
}

#[test]
fn malformed_searches_are_reported_where_they_break() {
    let cases = [
        (r#"logs("status:error).last("5m") > 1"#, "\""),
        (r#"logs("a").rollup("count").last("5m") >"#, ""),
        (r#"logs("a").rollup("count").last("5m")"#, ""),
        (r#"logs("a").rollup("count").last("5m") > 1 1"#, "1"),
        (r#"logs("a").rollup("count")..last("5m") > 1"#, ".."),
        (r#"logs("a").rollup("count").last("5m" > 1"#, ">"),
        (r#"logs("a".rollup("count").last("5m") > 1"#, "."),
        (r#"logs(status:error).last("5m") > 1"#, "status:error"),
        (r#"logs().last("5m") > 1"#, "logs()"),
        (r#"logs("a").rollup("cuont").last("5m") > 1"#, "\"cuont\""),
        (r#"logs("a").rolup("count").last("5m") > 1"#, "rolup"),
        (r#"logs("a").rollup("count").last("0m") > 1"#, "\"0m\""),
        (
            r#"logs("a").rollup("count").last("5 minutes") > 1"#,
            "\"5 minutes\"",
        ),
        (r#"logs("a").rollup("count").last() > 1"#, "last()"),
        (r#"logs("a").rollup("count",).last("5m") > 1"#, ")"),
        (r#"logs("a").rollup("count").by().last("5m") > 1"#, "by()"),
    ];
    for (query, at) in cases {
        assert_eq!(pointed(query), at, "{query}: {:?}", error(query));
    }
}

#[test]
fn malformed_service_checks_are_reported_where_they_break() {
    let cases = [
        (
            r#""http.can_connect".over("*").last(2).count_by_status() > 1"#,
            "> 1",
        ),
        (r#""http.can_connect".over("*").last(2)"#, ""),
        (r#""http.can_connect".last(2).count_by_status()"#, ""),
        (r#""http.can_connect".over("*").count_by_status()"#, ""),
        (
            r#""http.can_connect".over().last(2).count_by_status()"#,
            "over()",
        ),
        (
            r#""http.can_connect".over("*").last(0).count_by_status()"#,
            "0",
        ),
        (
            r#""http.can_connect".over("*").last(101).count_by_status()"#,
            "101",
        ),
        (
            r#""http.can_connect".over("*").last("5m").count_by_status()"#,
            "\"5m\"",
        ),
        (r#""".over("*").last(2).count_by_status()"#, "\"\""),
        (
            r#""http.can_connect".over("*").last(2).count_by_status(1)"#,
            "count_by_status(1)",
        ),
        (
            r#""http.can_connect".over("*").last(2).count_by_status().by("host")"#,
            ".by(\"host\")",
        ),
    ];
    for (query, at) in cases {
        assert_eq!(pointed(query), at, "{query}: {:?}", error(query));
    }
}

#[test]
fn unknown_methods_far_from_known_ones_are_accepted() {
    parse(r#"formula("query1").last("5m").timeshift("1d") > 1"#);
}

#[test]
fn a_formula_names_its_variables() {
    let query =
        r#"formula("exclude_null(query1) / query_2 * 1e5 + top(q3, 10, 'max')").last("5m") > 1"#;
    let names: Vec<(String, &str)> = parse(query)
        .formula_variables()
        .into_iter()
        .map(|(name, span)| (name, &query[span]))
        .collect();
    assert_eq!(
        names,
        [
            ("query1".into(), "query1"),
            ("query_2".into(), "query_2"),
            ("q3".into(), "q3")
        ]
    );
    assert!(
        parse(r#"logs("a b").rollup("count").last("5m") > 1"#)
            .formula_variables()
            .is_empty()
    );
}
