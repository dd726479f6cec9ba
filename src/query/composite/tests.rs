use super::*;

fn parse(query: &str) -> CompositeExpr {
    match parse_composite_query(query) {
        Ok(expr) => expr,
        Err(err) => panic!("{query}\n{err:?}"),
    }
}

fn error(query: &str) -> QueryError {
    match parse_composite_query(query) {
        Ok(expr) => panic!("{query} parsed as {expr:?}"),
        Err(err) => err,
    }
}

fn pointed(query: &str) -> (String, &str) {
    let err = error(query);
    let text = &query[err.span.clone()];
    (err.message, text)
}

fn canonical(query: &str) -> String {
    parse(query).render(&Operand::to_string)
}

fn id(id: u64, span: Range<usize>) -> CompositeExpr {
    CompositeExpr::Operand {
        operand: Operand::Id(id),
        span,
    }
}

#[test]
fn parses_single_id() {
    assert_eq!(parse(" 42 "), id(42, 1..3));
}

#[test]
fn not_binds_tighter_than_and_tighter_than_or() {
    let expr = parse("!1 && 2 || 3");
    let expected = CompositeExpr::Or(
        Box::new(CompositeExpr::And(
            Box::new(CompositeExpr::Not(Box::new(id(1, 1..2)))),
            Box::new(id(2, 6..7)),
        )),
        Box::new(id(3, 11..12)),
    );
    assert_eq!(expr, expected);
}

#[test]
fn and_is_left_associative() {
    let expected = CompositeExpr::And(
        Box::new(CompositeExpr::And(
            Box::new(id(1, 0..1)),
            Box::new(id(2, 5..6)),
        )),
        Box::new(id(3, 10..11)),
    );
    assert_eq!(parse("1 && 2 && 3"), expected);
}

#[test]
fn parses_references_with_and_without_index() {
    let query = "monitor.db_down[\"prod-1\"] && !monitor.Api_5xx";
    let operands: Vec<(Operand, &str)> = parse(query)
        .operands()
        .into_iter()
        .map(|(operand, span)| (operand.clone(), &query[span]))
        .collect();
    assert_eq!(
        operands,
        vec![
            (
                Operand::Ref {
                    template: "db_down".into(),
                    index: Some("prod-1".into())
                },
                "monitor.db_down[\"prod-1\"]"
            ),
            (
                Operand::Ref {
                    template: "Api_5xx".into(),
                    index: None
                },
                "monitor.Api_5xx"
            ),
        ]
    );
}

#[test]
fn whitespace_is_allowed_anywhere_between_tokens() {
    let expr = parse(" ( monitor . a [ \"x\" ] ||\n2 )&&!\t3 ");
    assert_eq!(
        expr.render(&Operand::to_string),
        "(monitor.a[\"x\"] || 2) && !3"
    );
}

#[test]
fn operands_are_in_source_order() {
    let ids: Vec<Operand> = parse("(3 || 1) && !(2 && 5)")
        .operands()
        .into_iter()
        .map(|(operand, _)| operand.clone())
        .collect();
    assert_eq!(ids, [3, 1, 2, 5].map(Operand::Id));
}

/// Parentheses only where they change the meaning, plus around an `&&` within `||`: which of
/// the two binds tighter is not documented by Datadog, so what monc writes never depends on it.
#[test]
fn renders_with_minimal_parentheses() {
    assert_eq!(canonical("((1)) && (!((2) || 3))"), "1 && !(2 || 3)");
    assert_eq!(canonical("(1 && 2) || 3"), "(1 && 2) || 3");
    assert_eq!(canonical("1 || 2 && !3"), "1 || (2 && !3)");
    assert!(unparenthesized_mix(&canonical("1 && 2 || 3 && 4 || 5")).is_none());
    assert_eq!(canonical("1 && (2 || 3)"), "1 && (2 || 3)");
    assert_eq!(canonical("(1 || 2) && 3"), "(1 || 2) && 3");
    assert_eq!(canonical("!!1"), "!!1");
    assert_eq!(canonical("!(1 && 2)"), "!(1 && 2)");
}

#[test]
fn render_keeps_parentheses_that_change_nesting() {
    assert_eq!(canonical("1 && (2 && 3)"), "1 && (2 && 3)");
    assert_eq!(canonical("(1 || 2) || 3"), "1 || 2 || 3");
}

#[test]
fn rejects_empty_query() {
    let err = error("   ");
    assert_eq!(err.message, "empty composite query");
    assert_eq!(err.span, 0..3);
}

#[test]
fn rejects_dangling_binary_operator() {
    assert_eq!(
        pointed("1 &&"),
        (
            "dangling `&&`: expected a monitor after it, found the end of the query".into(),
            "&&"
        )
    );
    assert_eq!(
        pointed("(1 || ) && 2"),
        (
            "dangling `||`: expected a monitor after it, found `)`".into(),
            "||"
        )
    );
    assert_eq!(pointed("1 && !").1, "!");
}

#[test]
fn rejects_leading_operator() {
    assert_eq!(
        pointed("|| 1"),
        ("expected a monitor, found `||`".into(), "||")
    );
}

#[test]
fn rejects_unclosed_paren_pointing_at_it() {
    assert_eq!(pointed("1 && (2 || 3"), ("unclosed `(`".into(), "("));
}

#[test]
fn rejects_unmatched_closing_paren() {
    assert_eq!(pointed("1 && 2)"), ("unmatched `)`".into(), ")"));
}

#[test]
fn rejects_single_ampersand_and_pipe() {
    let err = error("1 & 2");
    assert_eq!(
        (err.message.as_str(), err.span),
        ("unknown operator `&`", 2..3)
    );
    assert_eq!(err.help.as_deref(), Some("use && / || / !"));
    assert_eq!(pointed("1 | 2"), ("unknown operator `|`".into(), "|"));
}

#[test]
fn rejects_word_operators() {
    for (query, word) in [("1 and 2", "and"), ("1 OR 2", "OR"), ("not 1", "not")] {
        let err = error(query);
        assert_eq!(err.message, format!("unknown operator `{word}`"));
        assert_eq!(&query[err.span], word);
        assert_eq!(err.help.as_deref(), Some("use && / || / !"));
    }
}

#[test]
fn rejects_adjacent_operands() {
    assert_eq!(
        pointed("1 2"),
        ("expected `&&`, `||` or `)`, found `2`".into(), "2")
    );
}

#[test]
fn rejects_unknown_word_operand() {
    assert_eq!(
        pointed("1 && db_down"),
        ("`db_down` is not a monitor".into(), "db_down")
    );
}

#[test]
fn rejects_malformed_references() {
    assert_eq!(
        pointed("monitor && 1"),
        (
            "expected `.<name>` after `monitor`, found `&&`".into(),
            "&&"
        )
    );
    assert_eq!(
        pointed("monitor.a[prod]"),
        (
            "expected a quoted index like `[\"prod\"]`, found `prod`".into(),
            "prod"
        )
    );
    assert_eq!(
        pointed("monitor.a[\"prod\" && 1"),
        ("unclosed `[`".into(), "[")
    );
    assert_eq!(
        pointed("monitor.a[\"prod"),
        ("unterminated string".into(), "\"")
    );
}

#[test]
fn rejects_too_large_id() {
    assert_eq!(
        pointed("99999999999999999999999"),
        ("monitor ID is too large".into(), "99999999999999999999999")
    );
}

#[test]
fn rejects_unexpected_character() {
    assert_eq!(pointed("1 && é"), ("unexpected character `é`".into(), "é"));
}

#[test]
fn rejects_excessive_nesting_without_overflowing() {
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(error(&deep).message, "composite query is nested too deeply");
    let nots = format!("{}1", "!".repeat(5000));
    assert_eq!(error(&nots).message, "composite query is nested too deeply");
}

#[test]
fn a_suppression_renders_as_the_composite_monc_writes_and_is_recognised_back() {
    let built = CompositeExpr::suppression(Operand::Id(1), [Operand::Id(2), Operand::Id(3)]);
    assert_eq!(built.render(&Operand::to_string), "1 && !2 && !3");
    let parsed = parse("1 && !2 && !3");
    let parts = |e: &CompositeExpr| {
        e.as_suppression()
            .map(|(a, bs)| (a.clone(), bs.into_iter().cloned().collect::<Vec<_>>()))
    };
    assert_eq!(parts(&parsed), parts(&built));
    assert_eq!(
        parts(&parsed),
        Some((Operand::Id(1), vec![Operand::Id(2), Operand::Id(3)]))
    );
    for other in ["1", "1 && 2", "1 || !2", "!2 && 1", "1 && !(2 || 3)"] {
        assert_eq!(parts(&parse(other)), None, "{other}");
    }
}

#[test]
fn mixing_and_and_or_at_one_level_is_found_at_the_second_kind() {
    fn at(query: &str) -> Option<&str> {
        unparenthesized_mix(query).map(|span| &query[span])
    }
    assert_eq!(at("1 || 2 && !3"), Some("&&"));
    assert_eq!(at("1 && 2 || 3"), Some("||"));
    assert_eq!(at("(1 || 2) && !3"), None);
    assert_eq!(at("1 && (2 || 3) && !4"), None);
    assert_eq!(at("1 && 2 && !3"), None);
    assert_eq!(at("!(1 || 2 && 3)"), Some("&&"), "inside parentheses too");
    assert_eq!(at("1 ||| 2"), None, "not a query: reported elsewhere");
    assert_eq!(at("1 && 2) || (3"), None, "unbalanced: reported elsewhere");
}

#[test]
fn operands_are_replaced_in_the_text_as_written() {
    let query = " ((1))&&!( 2 ||3 ) ";
    let replaced = parse(query).replace_operands_in(query, &|operand| format!("m{operand}"));
    assert_eq!(replaced, " ((m1))&&!( m2 ||m3 ) ");
}
