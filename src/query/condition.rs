//! The comparison that ends most monitor queries (`> 90`, `<= -0.5`): shared by the metric
//! parser and the parser of chained queries (`logs(...)…last("5m") > 100`).

use std::ops::Range;

use super::lexer::Kind;
use super::{Cursor, QueryError};

/// The comparison between the evaluated query and its threshold. Datadog's API documents
/// `<, <=, >, >=, ==, !=` for every query kind that ends with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Comparator {
    pub fn as_str(&self) -> &'static str {
        match self {
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Eq => "==",
            Comparator::Ne => "!=",
        }
    }

    /// true for > and >=
    pub fn is_above(&self) -> bool {
        matches!(self, Comparator::Gt | Comparator::Ge)
    }

    pub(super) fn from_kind(kind: Kind) -> Option<Comparator> {
        match kind {
            Kind::Gt => Some(Comparator::Gt),
            Kind::Ge => Some(Comparator::Ge),
            Kind::Lt => Some(Comparator::Lt),
            Kind::Le => Some(Comparator::Le),
            Kind::EqEq => Some(Comparator::Eq),
            Kind::NotEq => Some(Comparator::Ne),
            _ => None,
        }
    }
}

/// `> 90` at the end of a query: what `thresholds.critical` must equal.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub comparator: Comparator,
    pub threshold: f64,
    /// Span of the threshold literal, including a leading `-`.
    pub threshold_span: Range<usize>,
}

/// The comparator and threshold at the cursor; `help` says what the whole query looks like.
pub(super) fn parse_condition(
    cursor: &mut Cursor<'_, Kind>,
    help: &str,
) -> Result<Condition, QueryError> {
    let comparator = parse_comparator(cursor, help)?;
    let (threshold, threshold_span) = parse_threshold(cursor, comparator, help)?;
    Ok(Condition {
        comparator,
        threshold,
        threshold_span,
    })
}

pub(super) fn next_is_comparator(cursor: &Cursor<'_, Kind>) -> bool {
    cursor.peek_kind().and_then(Comparator::from_kind).is_some()
}

fn parse_comparator(cursor: &mut Cursor<'_, Kind>, help: &str) -> Result<Comparator, QueryError> {
    if let Some(comparator) = cursor.peek_kind().and_then(Comparator::from_kind) {
        cursor.advance();
        return Ok(comparator);
    }
    Err(missing_comparator_error(cursor, help))
}

fn missing_comparator_error(cursor: &Cursor<'_, Kind>, help: &str) -> QueryError {
    match cursor.peek_kind() {
        None => {
            QueryError::new("missing comparison and threshold", cursor.end_span()).with_help(help)
        }
        Some(Kind::RParen) => QueryError::new("unmatched `)`", cursor.here())
            .with_help("remove it or add a matching `(`"),
        Some(Kind::Assign) => QueryError::new("`=` is not a comparison", cursor.here())
            .with_help("use one of >, >=, <, <=, == or !="),
        Some(_) => QueryError::new(
            format!(
                "expected a comparison like `> 90`, found {}",
                cursor.describe_next()
            ),
            cursor.here(),
        )
        .with_help(help),
    }
}

fn parse_threshold(
    cursor: &mut Cursor<'_, Kind>,
    comparator: Comparator,
    help: &str,
) -> Result<(f64, Range<usize>), QueryError> {
    let minus = cursor.eat(Kind::Minus);
    let number = match cursor.peek() {
        Some(token) if token.kind == Kind::Word && is_number(cursor.text(token)) => token.clone(),
        _ => {
            return Err(QueryError::new(
                format!(
                    "expected a threshold number after `{}`, found {}",
                    comparator.as_str(),
                    cursor.describe_next()
                ),
                cursor.here(),
            )
            .with_help(help));
        }
    };
    cursor.advance();
    let start = minus.as_ref().map_or(number.span.start, |m| m.span.start);
    let span = start..number.span.end;
    let magnitude = parse_float(cursor.text(&number)).filter(|v| v.is_finite());
    let sign = if minus.is_some() { -1.0 } else { 1.0 };
    match magnitude {
        Some(magnitude) => Ok((sign * magnitude, span)),
        None => Err(QueryError::new("threshold is out of range", span)),
    }
}

pub(super) fn is_number(text: &str) -> bool {
    parse_float(text).is_some()
}

/// A decimal literal such as `90`, `0.05`, `.5` or `1e9`: Rust's float syntax without the
/// `inf`/`nan` words and signs.
fn parse_float(text: &str) -> Option<f64> {
    let starts_numeric = text.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    text.parse().ok().filter(|_| starts_numeric)
}
