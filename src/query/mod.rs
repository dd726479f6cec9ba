//! Parsers for the query languages monc must understand: Datadog metric monitor queries
//! (`avg(last_5m):avg:system.cpu.user{*} > 90`), chained queries of service checks, searches
//! and formulas (`logs("status:error").rollup("count").last("5m") > 100`, see [`chain`]), and
//! composite monitor queries (`1 && !(2 || 3)`).
//!
//! All are hand-written recursive-descent parsers over a small lexer; they never panic and
//! every [`QueryError::span`] is a byte range into the query on `char` boundaries.

pub mod chain;
pub mod composite;
mod condition;
mod lexer;
pub mod metric;
mod monitor;

pub use chain::{ChainQuery, Source, parse_chain_query};
pub use composite::{CompositeExpr, Operand, parse_composite_query, unparenthesized_mix};
pub use condition::{Comparator, Condition};
pub use metric::{MetricQuery, parse_metric_query};
pub use monitor::{MonitorQuery, example_query, parse_monitor_query};

use std::ops::Range;

/// A syntax error inside a query string; `span` is a byte range into the query (always within
/// `0..=len`, on char boundaries).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub message: String,
    pub span: Range<usize>,
    pub help: Option<String>,
    /// false for a query that is well formed but does not fit its monitor type.
    pub is_syntax: bool,
}

impl QueryError {
    pub(crate) fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        QueryError {
            message: message.into(),
            span,
            help: None,
            is_syntax: true,
        }
    }

    /// A query of another kind than its monitor type reads (`logs(...)` on an `event-v2 alert`).
    pub(crate) fn wrong_type(message: impl Into<String>, span: Range<usize>) -> Self {
        QueryError {
            is_syntax: false,
            ..QueryError::new(message, span)
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (at {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for QueryError {}

/// The known name `name` is one typo from (one character deleted, added, replaced, or two
/// swapped), if it is not itself known. Only names of letters and `_`, four or more long, are
/// judged: numbered variants (`ewma_7`, `top10_max`) and short names are too close to each
/// other to tell a typo from a name monc does not know. Stricter than
/// [`crate::diagnostic::did_you_mean`] on purpose: that one suggests among names the user must
/// pick from; this one decides whether a query names something Datadog may know and monc does
/// not (no error) or a typo (an error).
pub(crate) fn typo_of<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let judged = name.len() >= 4 && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if !judged || known.contains(&name) {
        return None;
    }
    known
        .iter()
        .copied()
        .find(|k| strsim::damerau_levenshtein(name, k) == 1)
}

/// A "did you mean" error at `span` for a name one typo from a known one.
pub(crate) fn check_typo(
    what: &str,
    name: &str,
    span: Range<usize>,
    known: &[&str],
) -> Result<(), QueryError> {
    match typo_of(name, known) {
        Some(meant) => Err(QueryError::new(format!("unknown {what} `{name}`"), span)
            .with_help(format!("did you mean `{meant}`?"))),
        None => Ok(()),
    }
}

/// The text a span covers, or `""` if the span does not fit (never panics).
pub(crate) fn slice<'q>(query: &'q str, span: &Range<usize>) -> &'q str {
    query.get(span.clone()).unwrap_or("")
}

/// A token of either query language: its kind and where it stands in the query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<K> {
    pub kind: K,
    pub span: Range<usize>,
}

/// Walks a token list; both parsers are built on it.
pub(crate) struct Cursor<'q, K> {
    pub query: &'q str,
    pub tokens: Vec<Token<K>>,
    pub pos: usize,
}

impl<'q, K: Copy + PartialEq> Cursor<'q, K> {
    pub(crate) fn new(query: &'q str, tokens: Vec<Token<K>>) -> Self {
        Cursor {
            query,
            tokens,
            pos: 0,
        }
    }

    pub(crate) fn peek(&self) -> Option<&Token<K>> {
        self.tokens.get(self.pos)
    }

    pub(crate) fn peek_kind(&self) -> Option<K> {
        self.peek().map(|t| t.kind)
    }

    pub(crate) fn peek_kind_at(&self, ahead: usize) -> Option<K> {
        self.tokens.get(self.pos + ahead).map(|t| t.kind)
    }

    pub(crate) fn advance(&mut self) -> Option<Token<K>> {
        let token = self.tokens.get(self.pos).cloned();
        if token.is_some() {
            self.pos += 1;
        }
        token
    }

    pub(crate) fn eat(&mut self, kind: K) -> Option<Token<K>> {
        if self.peek_kind() == Some(kind) {
            self.advance()
        } else {
            None
        }
    }

    pub(crate) fn text(&self, token: &Token<K>) -> &'q str {
        slice(self.query, &token.span)
    }

    pub(crate) fn end_span(&self) -> Range<usize> {
        self.query.len()..self.query.len()
    }

    /// The span of the next token, or the empty span at the end of the query.
    pub(crate) fn here(&self) -> Range<usize> {
        self.peek()
            .map_or_else(|| self.end_span(), |t| t.span.clone())
    }

    /// How to name the next token in a message: "`foo`" or "the end of the query".
    pub(crate) fn describe_next(&self) -> String {
        match self.peek() {
            Some(token) => format!("`{}`", self.text(token)),
            None => "the end of the query".to_string(),
        }
    }
}
