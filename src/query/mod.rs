//! Parsers for the two query languages monc must understand: Datadog metric monitor queries
//! (`avg(last_5m):avg:system.cpu.user{*} > 90`) and composite monitor queries (`1 && !(2 || 3)`).
//!
//! Both are hand-written recursive-descent parsers over a small lexer; they never panic and
//! every [`QueryError::span`] is a byte range into the query on `char` boundaries.

pub mod composite;
pub mod metric;

pub use composite::{CompositeExpr, Operand, parse_composite_query};
pub use metric::{Comparator, MetricQuery, parse_metric_query};

use std::ops::Range;

/// A syntax error inside a query string; `span` is a byte range into the query (always within
/// `0..=len`, on char boundaries).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub message: String,
    pub span: Range<usize>,
    pub help: Option<String>,
}

impl QueryError {
    pub(crate) fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        QueryError {
            message: message.into(),
            span,
            help: None,
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

/// The text a span covers, or `""` if the span does not fit (never panics).
pub(crate) fn slice<'q>(query: &'q str, span: &Range<usize>) -> &'q str {
    query.get(span.clone()).unwrap_or("")
}
