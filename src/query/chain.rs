//! Monitor queries written as a source and a chain of calls:
//! - service checks: `"http.can_connect".over("env:prod").by("host").last(2).count_by_status()`;
//! - searches of logs, events, RUM, spans, CI, audit… :
//!   `logs("service:web status:error").index("main").rollup("count").by("host").last("5m") > 100`;
//! - formulas over `options.variables`: `formula("query1 / query2 * 100").last("5m") > 10`;
//! - SLO and process alerts: `error_budget("id").over("7d") > 50`,
//!   `processes("nginx").over("env:prod").rollup("count").last("10m") < 1`.
//!
//! The shape is checked strictly (quotes, parentheses, dots, the comparison at the end), and so
//! are the methods whose arguments Datadog documents (`last`, `rollup`, `over`,
//! `count_by_status`). Method names monc does not know are accepted unless they are one typo
//! away from a known one: Datadog adds methods, and a false error blocks a working monitor.

use std::ops::Range;

use super::condition::{Condition, next_is_comparator, parse_condition};
use super::lexer::{self, Kind, Token};
use super::{Cursor, QueryError, check_typo, typo_of};

/// What a chained query reads from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `"http.can_connect"`: the service check named.
    Check(String),
    /// `logs(...)`, `formula(...)`, `error_budget(...)`: the source function's name.
    Function(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChainQuery {
    pub source: Source,
    /// The check name with its quotes, or the function name without its arguments.
    pub source_span: Range<usize>,
    /// The comparison at the end; a service check has none.
    pub condition: Option<Condition>,
    /// The `N` of a service check's `.last(N)`: how many check runs it counts.
    pub check_runs: Option<u32>,
    /// The quoted argument of a source function (the search, formula or SLO id), unquoted,
    /// with the span of that text inside its quotes.
    pub argument: Option<Argument>,
}

/// A quoted argument's text and its span (inside the quotes).
pub type Argument = (String, Range<usize>);

impl ChainQuery {
    /// For a `formula("…")`: the names it reads from `options.variables` (`query1`, `run_query`),
    /// with their spans in the query. Function names (`exclude_null(`), numbers and quoted
    /// arguments are left out.
    pub fn formula_variables(&self) -> Vec<(String, Range<usize>)> {
        let (Source::Function(name), Some((formula, span))) = (&self.source, &self.argument) else {
            return Vec::new();
        };
        if name != "formula" {
            return Vec::new();
        }
        identifiers(formula)
            .into_iter()
            .map(|(ident, at)| {
                (
                    ident.to_string(),
                    span.start + at.start..span.start + at.end,
                )
            })
            .collect()
    }
}

/// Identifiers of a formula that are not called (`query1` in `abs(query1) * 2`), skipping
/// numbers (`1e5`) and quoted text.
fn identifiers(formula: &str) -> Vec<(&str, Range<usize>)> {
    let bytes = formula.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let c = bytes[at];
        let run_end = |from: usize| {
            (from..bytes.len())
                .find(|&i| {
                    !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                })
                .unwrap_or(bytes.len())
        };
        if c == b'\'' || c == b'"' {
            at = (at + 1..bytes.len())
                .find(|&i| bytes[i] == c)
                .map_or(bytes.len(), |i| i + 1);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = run_end(at);
            let called = formula[end..].trim_start().starts_with('(');
            if !called {
                found.push((&formula[at..end], at..end));
            }
            at = end;
        } else if c.is_ascii_digit() {
            at = run_end(at);
        } else {
            at += 1;
        }
    }
    found
}

const CHECK_HELP: &str = "a service check query looks like `\"http.can_connect\".over(\"env:prod\").by(\"host\").last(2).count_by_status()`";
const SEARCH_HELP: &str = "a search query looks like `logs(\"status:error\").index(\"main\").rollup(\"count\").by(\"host\").last(\"5m\") > 100`";
/// Methods whose use Datadog documents; a name one typo away from these is an error.
const KNOWN_METHODS: &[&str] = &[
    "by",
    "count_by_status",
    "index",
    "last",
    "long_window",
    "over",
    "rollup",
    "short_window",
    "anomaly",
];
/// Roll-up methods of search monitors (`count`, `avg`, `cardinality` in the API reference; the
/// others in the monitor editor); percentiles such as `pc95` are accepted as they are.
const ROLLUP_METHODS: &[&str] = &["count", "cardinality", "avg", "sum", "min", "max", "median"];
/// Datadog counts at most 100 check runs.
const MAX_CHECK_RUNS: u32 = 100;

pub fn parse_chain_query(query: &str) -> Result<ChainQuery, QueryError> {
    let tokens = lexer::tokenize(query)?;
    let mut parser = Parser {
        cursor: Cursor::new(query, tokens),
    };
    let (source, source_span, argument) = parser.parse_source()?;
    let mut methods = Vec::new();
    while let Some(dot) = parser.cursor.eat(Kind::Dot) {
        methods.push(parser.parse_method(&dot)?);
    }
    let help = match source {
        Source::Check(_) => CHECK_HELP,
        Source::Function(_) => SEARCH_HELP,
    };
    let condition_start = parser.cursor.here().start;
    let condition = if next_is_comparator(&parser.cursor) {
        Some(parse_condition(&mut parser.cursor, help)?)
    } else {
        None
    };
    parser.expect_end(help)?;
    let mut check_runs = None;
    for method in &methods {
        check_method(query, method, &source, &mut check_runs)?;
    }
    let parsed = ChainQuery {
        source,
        source_span,
        condition,
        check_runs,
        argument,
    };
    match &parsed.source {
        Source::Check(_) => check_service_check(&parsed, &methods, condition_start)?,
        Source::Function(_) => check_function_source(query, &parsed)?,
    }
    Ok(parsed)
}

/// One `name(arguments)` of the chain (or its source function).
struct Call {
    name: String,
    name_span: Range<usize>,
    /// From the name to the closing parenthesis.
    span: Range<usize>,
    args: Vec<Arg>,
}

#[derive(Debug)]
enum Arg {
    /// A quoted string: its content, without the quotes.
    Str(String, Range<usize>),
    /// A bare word or number (`count`, `10d`, `2`, `-1`).
    Word(String, Range<usize>),
    /// `name=value`.
    Named(Range<usize>),
}

impl Arg {
    fn span(&self) -> Range<usize> {
        match self {
            Arg::Str(_, span) | Arg::Word(_, span) | Arg::Named(span) => span.clone(),
        }
    }

    /// The text of a string or bare word argument.
    fn value(&self) -> Option<&str> {
        match self {
            Arg::Str(text, _) | Arg::Word(text, _) => Some(text),
            Arg::Named(_) => None,
        }
    }
}

struct Parser<'q> {
    cursor: Cursor<'q, Kind>,
}

impl Parser<'_> {
    /// A quoted check name, or a source function with its arguments.
    /// The source, its span, and a source function's quoted argument.
    fn parse_source(&mut self) -> Result<(Source, Range<usize>, Option<Argument>), QueryError> {
        if let Some(name) = self.cursor.eat(Kind::Str) {
            let text = unquote(self.cursor.text(&name));
            if text.trim().is_empty() {
                return Err(
                    QueryError::new("empty service check name", name.span).with_help(CHECK_HELP)
                );
            }
            return Ok((Source::Check(text.to_string()), name.span, None));
        }
        if self.cursor.peek_kind() != Some(Kind::Word) {
            return Err(QueryError::new(
                format!(
                    "expected a quoted check name or a function like `logs(...)`, found {}",
                    self.cursor.describe_next()
                ),
                self.cursor.here(),
            )
            .with_help(SEARCH_HELP));
        }
        self.expect_quoted_first_argument()?;
        let call = self.parse_call()?;
        let source = Source::Function(call.name.clone());
        let argument = match call.args.first() {
            Some(Arg::Str(text, span)) => Some((text.clone(), span.start + 1..span.end - 1)),
            _ => None,
        };
        Ok((source, call.name_span, argument))
    }

    /// `logs("…")`, `formula("…")`, `error_budget("…")`: a source function takes its search,
    /// formula or SLO id as a quoted string. Checked before the arguments are parsed, so that
    /// `logs(status:error)` is one error about quoting rather than one about the `:`.
    fn expect_quoted_first_argument(&self) -> Result<(), QueryError> {
        let name_end = self.cursor.pos + self.dashed_name_len();
        let tokens = &self.cursor.tokens;
        if tokens.get(name_end).map(|t| t.kind) != Some(Kind::LParen) {
            return Ok(()); // parse_call reports the missing `(`
        }
        let Some(first) = tokens.get(name_end + 1) else {
            return Ok(()); // parse_call reports the unclosed `(`
        };
        let name = &self.cursor.query[self.cursor.here().start..tokens[name_end - 1].span.end];
        let (message, span) = match first.kind {
            Kind::Str => return Ok(()),
            Kind::RParen => (
                format!("`{name}()` needs a quoted argument"),
                self.cursor.here().start..first.span.end,
            ),
            _ => {
                let close = tokens[name_end + 1..]
                    .iter()
                    .position(|t| t.kind == Kind::RParen)
                    .map_or(self.cursor.query.len(), |at| tokens[name_end + at].span.end);
                (
                    format!("`{name}(…)` takes a quoted string"),
                    first.span.start..close,
                )
            }
        };
        Err(QueryError::new(message, span)
            .with_help(format!("quote it, e.g. `{name}(\"service:web status:error\")`, or `{name}(\"*\")` for everything")))
    }

    /// How many tokens a dashed name at the cursor spans (`ci-pipelines` is three).
    fn dashed_name_len(&self) -> usize {
        let tokens = &self.cursor.tokens[self.cursor.pos..];
        let mut len = 1;
        loop {
            match (tokens.get(len), tokens.get(len + 1)) {
                (Some(dash), Some(word))
                    if dash.kind == Kind::Minus
                        && word.kind == Kind::Word
                        && dash.span.start == tokens[len - 1].span.end
                        && word.span.start == dash.span.end =>
                {
                    len += 2
                }
                _ => return len,
            }
        }
    }

    /// `.name(arguments)`, the cursor just past the dot.
    fn parse_method(&mut self, dot: &Token) -> Result<Call, QueryError> {
        if self.cursor.peek_kind() == Some(Kind::Word) {
            return self.parse_call();
        }
        Err(QueryError::new(
            format!(
                "expected a method like `.last(\"5m\")` after `.`, found {}",
                self.cursor.describe_next()
            ),
            dot.span.start..self.cursor.here().end.max(dot.span.end),
        ))
    }

    /// `name(arguments)`; a name may hold dashes (`ci-pipelines`, `error-tracking-rum`).
    fn parse_call(&mut self) -> Result<Call, QueryError> {
        let name_span = self.parse_dashed_name();
        let name = self.cursor.query[name_span.clone()].to_string();
        let Some(open) = self.cursor.eat(Kind::LParen) else {
            return Err(QueryError::new(
                format!(
                    "expected `(` after `{name}`, found {}",
                    self.cursor.describe_next()
                ),
                self.cursor.here(),
            )
            .with_help(format!("call it with its arguments, e.g. `{name}(\"…\")`")));
        };
        let args = self.parse_arguments(&open)?;
        let end = self.cursor.tokens[self.cursor.pos - 1].span.end;
        Ok(Call {
            name,
            span: name_span.start..end,
            name_span,
            args,
        })
    }

    /// Words joined by dashes with no space between them, as one name.
    fn parse_dashed_name(&mut self) -> Range<usize> {
        let len = self.dashed_name_len();
        let start = self.cursor.here().start;
        self.cursor.pos += len;
        let end = self
            .cursor
            .tokens
            .get(self.cursor.pos - 1)
            .map_or(start, |t| t.span.end);
        start..end
    }

    /// The arguments up to the closing parenthesis, the `(` just eaten.
    fn parse_arguments(&mut self, open: &Token) -> Result<Vec<Arg>, QueryError> {
        let mut args = Vec::new();
        if self.cursor.eat(Kind::RParen).is_some() {
            return Ok(args);
        }
        loop {
            args.push(self.parse_argument()?);
            if self.cursor.eat(Kind::Comma).is_some() {
                continue;
            }
            if self.cursor.eat(Kind::RParen).is_some() {
                return Ok(args);
            }
            if self.cursor.peek().is_none() {
                return Err(QueryError::new("unclosed `(`", open.span.clone())
                    .with_help("add a matching `)`"));
            }
            return Err(QueryError::new(
                format!("expected `,` or `)`, found {}", self.cursor.describe_next()),
                self.cursor.here(),
            ));
        }
    }

    fn parse_argument(&mut self) -> Result<Arg, QueryError> {
        let Some(first) = self.cursor.peek().cloned() else {
            return Err(self.expected_argument_error());
        };
        match (first.kind, self.cursor.peek_kind_at(1)) {
            (Kind::Str, _) => {
                self.cursor.advance();
                let text = unquote(self.cursor.text(&first)).to_string();
                Ok(Arg::Str(text, first.span))
            }
            (Kind::Word, Some(Kind::Assign)) => {
                self.cursor.pos += 2;
                self.cursor.eat(Kind::Minus);
                let value = self
                    .cursor
                    .eat(Kind::Str)
                    .or_else(|| self.cursor.eat(Kind::Word));
                let Some(value) = value else {
                    return Err(QueryError::new(
                        format!(
                            "expected a value after `=`, found {}",
                            self.cursor.describe_next()
                        ),
                        self.cursor.here(),
                    ));
                };
                Ok(Arg::Named(first.span.start..value.span.end))
            }
            (Kind::Minus, Some(Kind::Word)) => {
                self.cursor.pos += 2;
                let span = first.span.start..self.cursor.tokens[self.cursor.pos - 1].span.end;
                Ok(Arg::Word(self.cursor.query[span.clone()].to_string(), span))
            }
            (Kind::Word, _) => {
                let span = self.parse_dashed_name();
                Ok(Arg::Word(self.cursor.query[span.clone()].to_string(), span))
            }
            _ => Err(self.expected_argument_error()),
        }
    }

    fn expected_argument_error(&self) -> QueryError {
        QueryError::new(
            format!(
                "expected an argument (a quoted string, a number or a name), found {}",
                self.cursor.describe_next()
            ),
            self.cursor.here(),
        )
    }

    fn expect_end(&self, help: &str) -> Result<(), QueryError> {
        match self.cursor.peek() {
            None => Ok(()),
            Some(token) => Err(QueryError::new(
                format!("unexpected `{}`", self.cursor.text(token)),
                token.span.start..self.cursor.query.len(),
            )
            .with_help(help)),
        }
    }
}

fn unquote(text: &str) -> &str {
    text.get(1..text.len().saturating_sub(1)).unwrap_or("")
}

/// The arguments of the methods whose use Datadog documents.
fn check_method(
    query: &str,
    method: &Call,
    source: &Source,
    check_runs: &mut Option<u32>,
) -> Result<(), QueryError> {
    match method.name.as_str() {
        "last" => match source {
            Source::Check(_) => *check_runs = Some(check_runs_argument(query, method)?),
            Source::Function(_) => check_window_argument(query, method)?,
        },
        "rollup" => check_rollup(method)?,
        "over" | "by" | "index" => check_has_arguments(method)?,
        "count_by_status" if !method.args.is_empty() => {
            return Err(QueryError::new(
                "`.count_by_status()` takes no arguments",
                method.span.clone(),
            )
            .with_help("write `.count_by_status()`"));
        }
        name => check_typo("method", name, method.name_span.clone(), KNOWN_METHODS)?,
    }
    Ok(())
}

fn check_has_arguments(method: &Call) -> Result<(), QueryError> {
    if method.args.is_empty() {
        return Err(QueryError::new(
            format!("`.{}()` needs at least one argument", method.name),
            method.span.clone(),
        )
        .with_help(format!(
            "name the tags, e.g. `.{}(\"*\")` for all, or `.{}(\"env:prod\")`",
            method.name, method.name
        )));
    }
    Ok(())
}

/// `.last(2)` of a service check: how many runs, 1 to 100.
fn check_runs_argument(query: &str, method: &Call) -> Result<u32, QueryError> {
    let help = "count the last N check runs, e.g. `.last(2)`; N is 1 to 100 and at least the largest threshold";
    let [arg] = method.args.as_slice() else {
        return Err(
            QueryError::new("`.last(…)` takes one count", method.span.clone()).with_help(help),
        );
    };
    let text = arg.value().unwrap_or(&query[arg.span()]);
    match text.parse::<u32>() {
        Ok(runs) if (1..=MAX_CHECK_RUNS).contains(&runs) => Ok(runs),
        _ => Err(QueryError::new(
            format!("`{text}` is not a count of check runs from 1 to {MAX_CHECK_RUNS}"),
            arg.span(),
        )
        .with_help(help)),
    }
}

/// `.last("5m")` of a search or formula: a non-empty time window.
fn check_window_argument(query: &str, method: &Call) -> Result<(), QueryError> {
    let help = "write the evaluation window as a count and a unit, e.g. `.last(\"5m\")`, `.last(\"1h\")` or `.last(\"1d\")`";
    let [arg] = method.args.as_slice() else {
        return Err(
            QueryError::new("`.last(…)` takes one time window", method.span.clone())
                .with_help(help),
        );
    };
    let text = arg.value().unwrap_or(&query[arg.span()]);
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (count, unit) = text.split_at(digits);
    if count.is_empty() || !["s", "m", "h", "d", "w", "mo"].contains(&unit) {
        return Err(
            QueryError::new(format!("unknown time window `{text}`"), arg.span()).with_help(help),
        );
    }
    if count.bytes().all(|b| b == b'0') {
        return Err(
            QueryError::new(format!("the time window `{text}` is empty"), arg.span())
                .with_help(help),
        );
    }
    Ok(())
}

/// `.rollup("avg", "@duration")`: a known roll-up method first (or one monc does not know but
/// that is no typo of a known one).
fn check_rollup(method: &Call) -> Result<(), QueryError> {
    let help = "roll up with count, cardinality, avg, sum, min, max, median or a percentile like pc95, e.g. `.rollup(\"count\")`";
    let Some(first) = method.args.first() else {
        return Err(
            QueryError::new("`.rollup()` needs a roll-up method", method.span.clone())
                .with_help(help),
        );
    };
    let Some(name) = first.value() else {
        return Err(QueryError::new("expected a roll-up method", first.span()).with_help(help));
    };
    if name.is_empty() || typo_of(name, ROLLUP_METHODS).is_some() {
        return Err(
            QueryError::new(format!("unknown roll-up method `{name}`"), first.span())
                .with_help(help),
        );
    }
    Ok(())
}

/// `.over(…)`, `.last(N)` and `.count_by_status()` last: what Datadog's API reference requires of
/// a service check query; it has no comparison (its thresholds count check runs).
fn check_service_check(
    parsed: &ChainQuery,
    methods: &[Call],
    condition_start: usize,
) -> Result<(), QueryError> {
    if let Some(condition) = &parsed.condition {
        return Err(QueryError::new(
            "a service check query has no comparison",
            condition_start..condition.threshold_span.end,
        )
        .with_help("end the query with `.count_by_status()` and set the counts in `thresholds = { critical = 1, ok = 1 }`"));
    }
    for required in ["over", "last"] {
        if !methods.iter().any(|m| m.name == required) {
            let at = methods
                .last()
                .map_or(parsed.source_span.end, |m| m.span.end);
            return Err(
                QueryError::new(format!("missing `.{required}(…)`"), at..at).with_help(CHECK_HELP)
            );
        }
    }
    let end = methods
        .last()
        .map_or(parsed.source_span.end, |m| m.span.end);
    let after_count = match methods.iter().position(|m| m.name == "count_by_status") {
        Some(at) if at + 1 == methods.len() => return Ok(()),
        // What follows `.count_by_status()` is out of place.
        Some(at) => methods[at].span.end..end,
        None => end..end,
    };
    Err(QueryError::new(
        "a service check query ends with `.count_by_status()`",
        after_count,
    )
    .with_help(CHECK_HELP))
}

/// A search, formula or SLO query ends with a comparison.
fn check_function_source(query: &str, parsed: &ChainQuery) -> Result<(), QueryError> {
    if parsed.condition.is_none() {
        return Err(
            QueryError::new("missing comparison and threshold", query.len()..query.len())
                .with_help(SEARCH_HELP),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
