//! Datadog metric monitor queries ("metric alert" / "query alert"):
//! `<time_aggr>(<window>):<expression> <comparator> <threshold>`.
//!
//! Liberal about what Datadog accepts but monc cannot know (unknown functions and their
//! arguments, tag syntax inside scopes); strict about structure.

mod names;
mod scope;

use crate::query::Cursor;
use std::ops::Range;

use super::condition::{Comparator, Condition, is_number, next_is_comparator, parse_condition};
use super::lexer::{self, Kind, Token};
use super::{QueryError, check_typo, slice};

#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    /// Tag keys of every `by {...}` clause, deduped, in first-seen order.
    pub group_by: Vec<String>,
    pub comparator: Comparator,
    pub threshold: f64,
    /// Span of the threshold literal, including a leading `-`.
    pub threshold_span: Range<usize>,
    /// Metric names referenced, deduped, in first-seen order.
    pub metrics: Vec<String>,
}

impl MetricQuery {
    /// The comparison at the end of the query.
    pub fn condition(&self) -> Condition {
        Condition {
            comparator: self.comparator,
            threshold: self.threshold,
            threshold_span: self.threshold_span.clone(),
        }
    }
}

pub fn parse_metric_query(query: &str) -> Result<MetricQuery, QueryError> {
    let tokens = lexer::tokenize(query)?;
    let mut parser = Parser {
        cursor: Cursor::new(query, tokens),
        depth: 0,
        group_by: Vec::new(),
        metrics: Vec::new(),
    };
    parser.parse_time_aggregation()?;
    parser.expect_colon_after_time_aggregation()?;
    parser.parse_expression()?;
    let condition = parse_condition(&mut parser.cursor, COMPARISON_HELP)?;
    parser.parse_legacy_group_by()?;
    parser.expect_end()?;
    // Kept by every compiled monitor: no room left from growing them (issue 26).
    parser.group_by.shrink_to_fit();
    parser.metrics.shrink_to_fit();
    Ok(MetricQuery {
        group_by: parser.group_by,
        comparator: condition.comparator,
        threshold: condition.threshold,
        threshold_span: condition.threshold_span,
        metrics: parser.metrics,
    })
}

/// `percentile` is the time aggregation of a distribution's percentile (`percentile(last_5m):p99:…`),
/// as in Datadog's APM latency monitors on `trace.*` distribution metrics.
const TIME_AGGREGATORS: &[&str] = &[
    "avg",
    "sum",
    "min",
    "max",
    "change",
    "pct_change",
    "percentile",
];
const CHANGE_AGGREGATORS: &[&str] = &["change", "pct_change"];
const SPACE_AGGREGATORS: &[&str] = &["avg", "sum", "min", "max", "count"];
const WINDOW_UNITS: &[&str] = &["mo", "m", "h", "d", "w"];
/// Deeper nesting is rejected so that parsing never overflows the stack.
const MAX_DEPTH: usize = 100;
const SHAPE_HELP: &str =
    "a metric monitor query looks like `avg(last_5m):avg:system.cpu.user{*} > 90`";
const COMPARISON_HELP: &str = "a metric monitor query ends with a comparison like `> 90`";

struct Parser<'q> {
    cursor: Cursor<'q, Kind>,
    depth: usize,
    group_by: Vec<String>,
    metrics: Vec<String>,
}

impl<'q> std::ops::Deref for Parser<'q> {
    type Target = Cursor<'q, Kind>;

    fn deref(&self) -> &Self::Target {
        &self.cursor
    }
}

impl std::ops::DerefMut for Parser<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.cursor
    }
}

impl Parser<'_> {
    fn expect_closing_paren(&mut self, open: &Token) -> Result<(), QueryError> {
        if self.eat(Kind::RParen).is_some() {
            return Ok(());
        }
        if self.peek().is_none() {
            return Err(
                QueryError::new("unclosed `(`", open.span.clone()).with_help("add a matching `)`")
            );
        }
        Err(QueryError::new(
            format!("expected `)` or `,`, found {}", self.describe_next()),
            self.here(),
        ))
    }
}

/// The time aggregation: `avg(last_5m)` or `change(avg(last_5m),last_5m)`.
impl Parser<'_> {
    fn parse_time_aggregation(&mut self) -> Result<(), QueryError> {
        let name = self.expect_time_aggregator()?;
        let open = self.eat(Kind::LParen).ok_or_else(|| {
            QueryError::new(
                format!(
                    "expected `(` after the time aggregator `{}`",
                    self.text(&name)
                ),
                self.here(),
            )
            .with_help("write the evaluation window in parentheses, e.g. `avg(last_5m)`")
        })?;
        let is_change = CHANGE_AGGREGATORS.contains(&self.text(&name));
        if is_change && self.peek_kind_at(1) == Some(Kind::LParen) {
            self.parse_change_arguments()?;
        } else {
            self.expect_window(false)?;
        }
        self.expect_closing_paren(&open)
    }

    fn expect_time_aggregator(&mut self) -> Result<Token, QueryError> {
        let Some(name) = self.eat(Kind::Word) else {
            return Err(QueryError::new(
                format!(
                    "expected a time aggregation like `avg(last_5m)`, found {}",
                    self.describe_next()
                ),
                self.here(),
            )
            .with_help(SHAPE_HELP));
        };
        if !TIME_AGGREGATORS.contains(&self.text(&name)) {
            return Err(QueryError::new(
                format!("unknown time aggregator `{}`", self.text(&name)),
                name.span,
            )
            .with_help("use one of avg, sum, min, max, change, pct_change, percentile"));
        }
        Ok(name)
    }

    /// `avg(last_5m),last_5m` inside `change(...)`; the second window may be `5m_ago`.
    fn parse_change_arguments(&mut self) -> Result<(), QueryError> {
        let inner = self.expect_time_aggregator()?;
        if CHANGE_AGGREGATORS.contains(&self.text(&inner)) {
            return Err(
                QueryError::new("`change` aggregations cannot be nested", inner.span)
                    .with_help("use e.g. `change(avg(last_5m),last_5m)`"),
            );
        }
        let open = self.eat(Kind::LParen).ok_or_else(|| {
            QueryError::new("expected `(` after the time aggregator", self.here())
        })?;
        self.expect_window(false)?;
        self.expect_closing_paren(&open)?;
        if self.eat(Kind::Comma).is_none() {
            return Err(QueryError::new(
                format!(
                    "expected `,` and a comparison window, found {}",
                    self.describe_next()
                ),
                self.here(),
            )
            .with_help("use e.g. `change(avg(last_5m),last_5m)`"));
        }
        self.expect_window(true)
    }

    fn expect_window(&mut self, allow_shift: bool) -> Result<(), QueryError> {
        let Some(window) = self.eat(Kind::Word) else {
            return Err(QueryError::new(
                format!(
                    "expected a time window like `last_5m`, found {}",
                    self.describe_next()
                ),
                self.here(),
            ));
        };
        let text = self.text(&window);
        if is_window(text) || (allow_shift && is_time_shift(text)) {
            if is_zero_duration(text) {
                return Err(QueryError::new(
                    format!("the time window `{text}` is empty"),
                    window.span,
                )
                .with_help("a window needs at least one unit, e.g. `last_5m`"));
            }
            return Ok(());
        }
        Err(
            QueryError::new(format!("unknown time window `{text}`"), window.span).with_help(
                "use `last_<N><unit>` with unit m, h, d, w or mo, e.g. `last_5m` or `last_1h`",
            ),
        )
    }

    fn expect_colon_after_time_aggregation(&mut self) -> Result<(), QueryError> {
        if self.eat(Kind::Colon).is_some() {
            return Ok(());
        }
        Err(QueryError::new(
            format!(
                "expected `:` after the time aggregation, found {}",
                self.describe_next()
            ),
            self.here(),
        )
        .with_help(SHAPE_HELP))
    }
}

/// `last_5m`, `next_1w`, `current_1mo`.
fn is_window(text: &str) -> bool {
    ["last_", "next_", "current_"]
        .iter()
        .any(|prefix| text.strip_prefix(prefix).is_some_and(is_duration))
}

/// `last_0m`, `0h_ago`: a window or shift of no time at all.
fn is_zero_duration(text: &str) -> bool {
    text.split('_')
        .find(|part| part.starts_with(|c: char| c.is_ascii_digit()))
        .is_some_and(|duration| {
            duration
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .bytes()
                .all(|b| b == b'0')
        })
}

/// `5m_ago`, the shift of a `change(...)` comparison.
fn is_time_shift(text: &str) -> bool {
    text.strip_suffix("_ago").is_some_and(is_duration)
}

/// `5m`, `12h`, `1mo`: a positive count followed by a unit.
fn is_duration(text: &str) -> bool {
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (count, unit) = text.split_at(digits);
    !count.is_empty() && WINDOW_UNITS.contains(&unit)
}

/// The arithmetic expression between `:` and the comparator.
impl Parser<'_> {
    fn parse_expression(&mut self) -> Result<(), QueryError> {
        self.parse_term()?;
        while self
            .eat(Kind::Plus)
            .or_else(|| self.eat(Kind::Minus))
            .is_some()
        {
            self.parse_term()?;
        }
        Ok(())
    }

    fn parse_term(&mut self) -> Result<(), QueryError> {
        self.parse_unary()?;
        while self
            .eat(Kind::Star)
            .or_else(|| self.eat(Kind::Slash))
            .is_some()
        {
            self.parse_unary()?;
        }
        Ok(())
    }

    fn parse_unary(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new("query is nested too deeply", self.here()));
        }
        // Unary `-` and `+` (published monitors write `anomalies(+ avg:…, 'agile', 2)`).
        if self
            .eat(Kind::Minus)
            .or_else(|| self.eat(Kind::Plus))
            .is_some()
        {
            self.parse_unary()?;
        } else {
            self.parse_primary()?;
            self.parse_postfix()?;
        }
        self.depth -= 1;
        Ok(())
    }

    fn parse_primary(&mut self) -> Result<(), QueryError> {
        match self.peek_kind() {
            Some(Kind::LParen) => self.parse_parenthesized(),
            Some(Kind::Word) if self.next_is_number() => {
                self.advance();
                Ok(())
            }
            Some(Kind::Word) => self.parse_metric_or_call(),
            _ => Err(self.expected_metric_error()),
        }
    }

    fn parse_parenthesized(&mut self) -> Result<(), QueryError> {
        let open = self.advance().ok_or_else(|| self.expected_metric_error())?;
        self.parse_expression()?;
        if self.eat(Kind::RParen).is_some() {
            return Ok(());
        }
        if self.peek().is_none() || next_is_comparator(&self.cursor) {
            return Err(QueryError::new("unclosed `(`", open.span).with_help("add a matching `)`"));
        }
        Err(QueryError::new(
            format!(
                "expected an operator or `)`, found {}",
                self.describe_next()
            ),
            self.here(),
        ))
    }

    fn parse_metric_or_call(&mut self) -> Result<(), QueryError> {
        match self.peek_kind_at(1) {
            Some(Kind::Colon) => self.parse_aggregated_metric(),
            Some(Kind::LParen) => self.parse_function_call(),
            Some(Kind::Braced) => self.parse_metric_name_and_scope(),
            _ => Err(self.expected_metric_error()),
        }
    }

    /// `avg:system.cpu.user{*}`.
    fn parse_aggregated_metric(&mut self) -> Result<(), QueryError> {
        let aggregator = self.advance().ok_or_else(|| self.expected_metric_error())?;
        if !is_space_aggregator(self.text(&aggregator)) {
            return Err(QueryError::new(
                format!("unknown space aggregator `{}`", self.text(&aggregator)),
                aggregator.span,
            )
            .with_help("use avg, sum, min, max, count or a percentile like p95"));
        }
        self.advance(); // the `:`
        if self.peek_kind() != Some(Kind::Word) || self.next_is_number() {
            return Err(QueryError::new(
                format!(
                    "expected a metric name after `{}:`, found {}",
                    self.text(&aggregator),
                    self.describe_next()
                ),
                self.here(),
            ));
        }
        self.parse_metric_name_and_scope()
    }

    fn parse_metric_name_and_scope(&mut self) -> Result<(), QueryError> {
        let name = self.advance().ok_or_else(|| self.expected_metric_error())?;
        let Some(scope) = self.eat(Kind::Braced) else {
            return Err(QueryError::new(
                format!(
                    "expected a scope like `{{*}}` after the metric `{}`",
                    self.text(&name)
                ),
                self.here(),
            )
            .with_help(
                "every metric needs a scope: `{*}` for all sources, or tags like `{env:prod}`",
            ));
        };
        scope::check_scope(self.query, &scope.span)?;
        let name = self.text(&name).to_string();
        if !self.metrics.contains(&name) {
            self.metrics.push(name);
        }
        Ok(())
    }

    /// `abs(...)`, `anomalies(..., 'basic', 2, direction='above')`: any function name is allowed.
    fn parse_function_call(&mut self) -> Result<(), QueryError> {
        if let Some(name) = self.advance() {
            check_typo("function", self.text(&name), name.span, names::FUNCTIONS)?;
        }
        self.parse_arguments()
    }

    /// `( [argument {, argument}] )`, starting at the `(`.
    fn parse_arguments(&mut self) -> Result<(), QueryError> {
        let open = self.advance().ok_or_else(|| self.expected_metric_error())?;
        if self.eat(Kind::RParen).is_some() {
            return Ok(());
        }
        loop {
            self.parse_argument()?;
            if self.eat(Kind::Comma).is_none() {
                return self.expect_closing_paren(&open);
            }
        }
    }

    /// A named argument `interval=60`, a string, a bare word such as `avg` or `zero`, or an
    /// expression.
    fn parse_argument(&mut self) -> Result<(), QueryError> {
        let next_is_word = self.peek_kind() == Some(Kind::Word) && !self.next_is_number();
        match (self.peek_kind(), self.peek_kind_at(1)) {
            (Some(Kind::Word), Some(Kind::Assign)) if next_is_word => {
                let name = self.here();
                let text = slice(self.query, &name);
                check_typo("argument", text, name, names::NAMED_ARGUMENTS)?;
                self.pos += 2;
                self.parse_argument_value()
            }
            (Some(Kind::Str), _) => {
                self.advance();
                Ok(())
            }
            (Some(Kind::Word), Some(Kind::Comma | Kind::RParen)) if next_is_word => {
                self.advance();
                Ok(())
            }
            // A list of tag keys, as in `sum(<metric> by {a,b}, { a })`.
            (Some(Kind::Braced), Some(Kind::Comma | Kind::RParen)) => {
                self.advance();
                Ok(())
            }
            _ => self.parse_expression(),
        }
    }

    fn parse_argument_value(&mut self) -> Result<(), QueryError> {
        self.eat(Kind::Minus);
        if self
            .eat(Kind::Str)
            .or_else(|| self.eat(Kind::Word))
            .is_some()
        {
            return Ok(());
        }
        Err(QueryError::new(
            format!("expected a value after `=`, found {}", self.describe_next()),
            self.here(),
        ))
    }

    /// `by {host}` and `.method(args)` after a metric, call or parenthesized expression.
    fn parse_postfix(&mut self) -> Result<(), QueryError> {
        loop {
            match self.peek_kind() {
                Some(Kind::Dot) => self.parse_method()?,
                Some(Kind::Word) if self.peek().is_some_and(|t| self.text(t) == "by") => {
                    self.parse_group_by()?
                }
                _ => return Ok(()),
            }
        }
    }

    fn parse_method(&mut self) -> Result<(), QueryError> {
        let dot = self.advance().ok_or_else(|| self.expected_metric_error())?;
        let name = self.eat(Kind::Word);
        if let Some(name) = name.filter(|_| self.peek_kind() == Some(Kind::LParen)) {
            check_typo("function", self.text(&name), name.span, names::FUNCTIONS)?;
            return self.parse_arguments();
        }
        Err(QueryError::new(
            "expected a function call like `.as_count()` after `.`",
            dot.span.start..self.here().end.max(dot.span.end),
        ))
    }

    fn parse_group_by(&mut self) -> Result<(), QueryError> {
        let by = self.advance().ok_or_else(|| self.expected_metric_error())?;
        let Some(list) = self.eat(Kind::Braced) else {
            return Err(QueryError::new(
                format!("expected `{{` after `by`, found {}", self.describe_next()),
                self.here(),
            )
            .with_help("group with a list of tag keys in braces, e.g. `by {host}`")
            .with_span_if_empty(by.span));
        };
        for key in scope::group_by_keys(self.query, &list.span)? {
            if !self.group_by.contains(&key) {
                self.group_by.push(key);
            }
        }
        Ok(())
    }

    fn next_is_number(&self) -> bool {
        self.peek().is_some_and(|t| is_number(self.text(t)))
    }

    fn expected_metric_error(&self) -> QueryError {
        QueryError::new(
            format!(
                "expected a metric like `avg:system.cpu.user{{*}}`, found {}",
                self.describe_next()
            ),
            self.here(),
        )
        .with_help(SHAPE_HELP)
    }
}

impl QueryError {
    /// Points at `fallback` when the error would otherwise be an empty span at the end.
    fn with_span_if_empty(mut self, fallback: Range<usize>) -> Self {
        if self.span.is_empty() {
            self.span = fallback;
        }
        self
    }
}

/// What may follow the threshold.
impl Parser<'_> {
    /// The legacy placement `… > 0.9 by {host}`, which Datadog still accepts in published
    /// monitors: the grouping counts as if written after the metric.
    fn parse_legacy_group_by(&mut self) -> Result<(), QueryError> {
        if self.peek().is_some_and(|t| self.text(t) == "by") {
            self.parse_group_by()?;
        }
        Ok(())
    }

    fn expect_end(&self) -> Result<(), QueryError> {
        match self.peek() {
            None => Ok(()),
            Some(token) => Err(QueryError::new(
                format!("unexpected `{}` after the threshold", self.text(token)),
                token.span.start..self.query.len(),
            )
            .with_help("the threshold must be the last thing in a metric monitor query")),
        }
    }
}

fn is_space_aggregator(name: &str) -> bool {
    let percentile = name
        .strip_prefix('p')
        .is_some_and(|rest| is_number(rest) && !rest.starts_with('.'));
    SPACE_AGGREGATORS.contains(&name) || percentile
}

#[cfg(test)]
mod tests;
