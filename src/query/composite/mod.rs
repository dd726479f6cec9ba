//! Datadog composite monitor queries: monitor IDs or `monitor.<name>["<index>"]` references
//! joined by `!`, `&&` and `||` (tightest first), with parentheses.

mod lexer;

use crate::query::Cursor;
use std::ops::Range;

use lexer::{Kind, OPERATOR_HELP, Token};

use super::QueryError;

/// One monitor in a composite query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operand {
    /// A Datadog monitor ID: `12345`.
    Id(u64),
    /// A symbolic reference to a monitor monc defines: `monitor.db_down` or
    /// `monitor.db_down["prod"]`.
    Ref {
        template: String,
        index: Option<String>,
    },
    /// A monitor monc defines, by its key (`l2/db_cpu/prod-tokyo-1`): what a [`Operand::Ref`]
    /// becomes once compiled. The parser never produces it.
    Key(String),
}

/// As written in a query: `12345`, `monitor.db_down["prod"]`, or the key.
impl std::fmt::Display for Operand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operand::Id(id) => write!(f, "{id}"),
            Operand::Ref {
                template,
                index: Some(index),
            } => write!(f, "monitor.{template}[\"{index}\"]"),
            Operand::Ref {
                template,
                index: None,
            } => write!(f, "monitor.{template}"),
            Operand::Key(key) => f.write_str(key),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CompositeExpr {
    Operand {
        operand: Operand,
        span: Range<usize>,
    },
    Not(Box<CompositeExpr>),
    And(Box<CompositeExpr>, Box<CompositeExpr>),
    Or(Box<CompositeExpr>, Box<CompositeExpr>),
}

impl CompositeExpr {
    /// Every operand with its span, in source order.
    pub fn operands(&self) -> Vec<(&Operand, Range<usize>)> {
        let mut found = Vec::new();
        self.collect_operands(&mut found);
        found
    }

    /// Every operand with whether it counts for the composite (`true`) or against it, under
    /// an odd number of `!` (`false`): in `(A || B) && !C`, A and B count for, C against.
    pub fn operands_with_polarity(&self) -> Vec<(&Operand, bool)> {
        let mut found = Vec::new();
        self.collect_with_polarity(true, &mut found);
        found
    }

    fn collect_with_polarity<'e>(&'e self, positive: bool, found: &mut Vec<(&'e Operand, bool)>) {
        match self {
            CompositeExpr::Operand { operand, .. } => found.push((operand, positive)),
            CompositeExpr::Not(inner) => inner.collect_with_polarity(!positive, found),
            CompositeExpr::And(left, right) | CompositeExpr::Or(left, right) => {
                left.collect_with_polarity(positive, found);
                right.collect_with_polarity(positive, found);
            }
        }
    }

    fn collect_operands<'e>(&'e self, found: &mut Vec<(&'e Operand, Range<usize>)>) {
        match self {
            CompositeExpr::Operand { operand, span } => found.push((operand, span.clone())),
            CompositeExpr::Not(inner) => inner.collect_operands(found),
            CompositeExpr::And(left, right) | CompositeExpr::Or(left, right) => {
                left.collect_operands(found);
                right.collect_operands(found);
            }
        }
    }

    /// `query` (the text this tree was parsed from) with each operand replaced by
    /// `replace(operand)` and everything else (parentheses, spacing) as written.
    pub fn replace_operands_in(&self, query: &str, replace: &dyn Fn(&Operand) -> String) -> String {
        let mut out = String::with_capacity(query.len());
        let mut at = 0;
        for (operand, span) in self.operands() {
            out.push_str(&query[at..span.start]);
            out.push_str(&replace(operand));
            at = span.end;
        }
        out.push_str(&query[at..]);
        out
    }

    /// The same tree with every operand replaced by `map(operand)`; spans are kept.
    pub fn map_operands(&self, map: &dyn Fn(&Operand) -> Operand) -> CompositeExpr {
        let boxed = |e: &CompositeExpr| Box::new(e.map_operands(map));
        match self {
            CompositeExpr::Operand { operand, span } => CompositeExpr::Operand {
                operand: map(operand),
                span: span.clone(),
            },
            CompositeExpr::Not(inner) => CompositeExpr::Not(boxed(inner)),
            CompositeExpr::And(l, r) => CompositeExpr::And(boxed(l), boxed(r)),
            CompositeExpr::Or(l, r) => CompositeExpr::Or(boxed(l), boxed(r)),
        }
    }

    /// `target && !s1 && !s2`: the shape of every composite monc generates, left-nested as the
    /// parser builds it. Its spans are empty: it was never text.
    pub fn suppression(
        target: Operand,
        suppressors: impl IntoIterator<Item = Operand>,
    ) -> CompositeExpr {
        let leaf = |operand| CompositeExpr::Operand {
            operand,
            span: 0..0,
        };
        suppressors
            .into_iter()
            .fold(leaf(target), |expr, suppressor| {
                let not = CompositeExpr::Not(Box::new(leaf(suppressor)));
                CompositeExpr::And(Box::new(expr), Box::new(not))
            })
    }

    /// `(target, suppressors)` of an expression of the [`CompositeExpr::suppression`] shape with
    /// at least one suppressor.
    pub fn as_suppression(&self) -> Option<(&Operand, Vec<&Operand>)> {
        let (target, suppressors) = self.and_not_chain()?;
        (!suppressors.is_empty()).then_some((target, suppressors))
    }

    fn and_not_chain(&self) -> Option<(&Operand, Vec<&Operand>)> {
        match self {
            CompositeExpr::Operand { operand, .. } => Some((operand, Vec::new())),
            CompositeExpr::And(left, right) => {
                let (target, mut suppressors) = left.and_not_chain()?;
                let CompositeExpr::Not(inner) = right.as_ref() else {
                    return None;
                };
                let CompositeExpr::Operand { operand, .. } = inner.as_ref() else {
                    return None;
                };
                suppressors.push(operand);
                Some((target, suppressors))
            }
            _ => None,
        }
    }

    /// Canonical text with minimal parentheses, e.g. `1 && !(2 || 3)`; `name` renders each
    /// operand. Parsing the result gives back the same tree (spans aside).
    pub fn render(&self, name: &dyn Fn(&Operand) -> String) -> String {
        match self {
            CompositeExpr::Operand { operand, .. } => name(operand),
            CompositeExpr::Not(inner) => format!("!{}", inner.render_within(NOT, name)),
            CompositeExpr::And(left, right) => format!(
                "{} && {}",
                left.render_within(AND, name),
                right.render_within(AND + 1, name)
            ),
            CompositeExpr::Or(left, right) => format!(
                "{} || {}",
                left.render_within_or(OR, name),
                right.render_within_or(OR + 1, name)
            ),
        }
    }

    /// Renders in a position that needs at least `min_precedence`, parenthesizing if looser.
    /// A right operand asks for one more than its parent: `a && (b && c)` keeps its parens
    /// because the parser builds left-nested trees.
    fn render_within(&self, min_precedence: u8, name: &dyn Fn(&Operand) -> String) -> String {
        let text = self.render(name);
        if self.precedence() < min_precedence {
            format!("({text})")
        } else {
            text
        }
    }

    /// As an operand of `||`: an `&&` gets parentheses although the parser would not need
    /// them, because Datadog does not document that `&&` binds tighter.
    fn render_within_or(&self, min_precedence: u8, name: &dyn Fn(&Operand) -> String) -> String {
        match self {
            CompositeExpr::And(..) => format!("({})", self.render(name)),
            _ => self.render_within(min_precedence, name),
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            CompositeExpr::Or(..) => OR,
            CompositeExpr::And(..) => AND,
            CompositeExpr::Not(..) => NOT,
            CompositeExpr::Operand { .. } => NOT + 1,
        }
    }
}

const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
/// Deeper nesting is rejected so that parsing, rendering and dropping never overflow the stack.
const MAX_DEPTH: usize = 100;
const OPERAND_HELP: &str =
    "an operand is a monitor ID like `12345` or a reference like `monitor.db_down[\"prod\"]`";

/// The operator that first mixes `&&` and `||` at one level without parentheses (the `&&` of
/// `a || b && c`). Datadog's documentation does not say which binds tighter; monc and its
/// emulator read `&&` first. `None` for a query that does not lex.
pub fn unparenthesized_mix(query: &str) -> Option<Range<usize>> {
    let tokens = lexer::tokenize(query).ok()?;
    // Per open parenthesis: the operator kind seen at that level.
    let mut levels: Vec<Option<Kind>> = vec![None];
    for token in tokens {
        match token.kind {
            Kind::LParen => levels.push(None),
            Kind::RParen => {
                levels.pop();
                if levels.is_empty() {
                    return None;
                }
            }
            Kind::And | Kind::Or => match levels.last_mut()? {
                Some(seen) if *seen != token.kind => return Some(token.span),
                level => *level = Some(token.kind),
            },
            _ => {}
        }
    }
    None
}

pub fn parse_composite_query(query: &str) -> Result<CompositeExpr, QueryError> {
    let tokens = lexer::tokenize(query)?;
    if tokens.is_empty() {
        return Err(QueryError::new("empty composite query", 0..query.len())
            .with_help("combine monitors like `1 && !2`"));
    }
    let mut parser = Parser {
        cursor: Cursor::new(query, tokens),
        depth: 0,
    };
    let expr = parser.parse_or()?;
    parser.expect_end()?;
    Ok(expr)
}

struct Parser<'q> {
    cursor: Cursor<'q, Kind>,
    depth: usize,
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

/// Expressions, loosest first.
impl Parser<'_> {
    fn parse_or(&mut self) -> Result<CompositeExpr, QueryError> {
        let mut left = self.parse_and()?;
        while let Some(operator) = self.eat(Kind::Or) {
            self.expect_operand_after(&operator)?;
            let right = self.parse_and()?;
            left = CompositeExpr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<CompositeExpr, QueryError> {
        let mut left = self.parse_not()?;
        while let Some(operator) = self.eat(Kind::And) {
            self.expect_operand_after(&operator)?;
            let right = self.parse_not()?;
            left = CompositeExpr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> Result<CompositeExpr, QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(
                "composite query is nested too deeply",
                self.here(),
            ));
        }
        let expr = match self.eat(Kind::Not) {
            Some(operator) => {
                self.expect_operand_after(&operator)?;
                CompositeExpr::Not(Box::new(self.parse_not()?))
            }
            None => self.parse_primary()?,
        };
        self.depth -= 1;
        Ok(expr)
    }

    /// An operator followed by nothing (or by `)` or another binary operator) is dangling.
    fn expect_operand_after(&self, operator: &Token) -> Result<(), QueryError> {
        let starts_operand = matches!(
            self.peek_kind(),
            Some(Kind::Word | Kind::LParen | Kind::Not)
        );
        if starts_operand {
            return Ok(());
        }
        let op = self.text(operator);
        Err(QueryError::new(
            format!(
                "dangling `{op}`: expected a monitor after it, found {}",
                self.describe_next()
            ),
            operator.span.clone(),
        )
        .with_help(OPERAND_HELP))
    }

    fn parse_primary(&mut self) -> Result<CompositeExpr, QueryError> {
        match self.peek_kind() {
            Some(Kind::LParen) => self.parse_parenthesized(),
            Some(Kind::Word) => self.parse_operand(),
            _ => Err(QueryError::new(
                format!("expected a monitor, found {}", self.describe_next()),
                self.here(),
            )
            .with_help(OPERAND_HELP)),
        }
    }

    fn parse_parenthesized(&mut self) -> Result<CompositeExpr, QueryError> {
        let open = self.advance().ok_or_else(|| self.unexpected_end())?;
        let inner = self.parse_or()?;
        if self.eat(Kind::RParen).is_some() {
            return Ok(inner);
        }
        if self.peek().is_none() {
            return Err(QueryError::new("unclosed `(`", open.span).with_help("add a matching `)`"));
        }
        Err(self.missing_operator_error())
    }

    fn expect_end(&self) -> Result<(), QueryError> {
        match self.peek_kind() {
            None => Ok(()),
            Some(Kind::RParen) => Err(QueryError::new("unmatched `)`", self.here())
                .with_help("remove it or add a matching `(`")),
            Some(_) => Err(self.missing_operator_error()),
        }
    }

    fn missing_operator_error(&self) -> QueryError {
        if let Some(error) = self.peek().and_then(|t| self.word_operator_error(t)) {
            return error;
        }
        QueryError::new(
            format!("expected `&&`, `||` or `)`, found {}", self.describe_next()),
            self.here(),
        )
        .with_help(OPERATOR_HELP)
    }

    /// `and`, `or`, `not` written as words.
    fn word_operator_error(&self, token: &Token) -> Option<QueryError> {
        let text = self.text(token);
        let is_word_operator = ["and", "or", "not"]
            .iter()
            .any(|word| text.eq_ignore_ascii_case(word));
        is_word_operator.then(|| {
            QueryError::new(format!("unknown operator `{text}`"), token.span.clone())
                .with_help(OPERATOR_HELP)
        })
    }

    fn unexpected_end(&self) -> QueryError {
        let end = self.query.len();
        QueryError::new("unexpected end of the composite query", end..end)
    }
}

/// Operands: `12345`, `monitor.name`, `monitor.name["index"]`.
impl Parser<'_> {
    fn parse_operand(&mut self) -> Result<CompositeExpr, QueryError> {
        let word = self.advance().ok_or_else(|| self.unexpected_end())?;
        let text = self.text(&word);
        if text.chars().all(|c| c.is_ascii_digit()) {
            return self.monitor_id(&word);
        }
        if text == "monitor" {
            return self.monitor_reference(&word);
        }
        Err(self.word_operator_error(&word).unwrap_or_else(|| {
            QueryError::new(format!("`{text}` is not a monitor"), word.span.clone())
                .with_help(OPERAND_HELP)
        }))
    }

    fn monitor_id(&self, word: &Token) -> Result<CompositeExpr, QueryError> {
        match self.text(word).parse::<u64>() {
            Ok(id) => Ok(CompositeExpr::Operand {
                operand: Operand::Id(id),
                span: word.span.clone(),
            }),
            Err(_) => Err(QueryError::new(
                "monitor ID is too large",
                word.span.clone(),
            )),
        }
    }

    fn monitor_reference(&mut self, monitor: &Token) -> Result<CompositeExpr, QueryError> {
        let template = self.reference_name()?;
        let index = self.reference_index()?;
        let end = self.pos.checked_sub(1).and_then(|i| self.tokens.get(i));
        let span = monitor.span.start..end.map_or(monitor.span.end, |t| t.span.end);
        Ok(CompositeExpr::Operand {
            operand: Operand::Ref { template, index },
            span,
        })
    }

    fn reference_name(&mut self) -> Result<String, QueryError> {
        let name = self.eat(Kind::Dot).and_then(|_| self.eat(Kind::Word));
        match name {
            Some(name) => Ok(self.text(&name).to_string()),
            None => Err(QueryError::new(
                format!(
                    "expected `.<name>` after `monitor`, found {}",
                    self.describe_next()
                ),
                self.here(),
            )
            .with_help("refer to a monitor like `monitor.db_down`")),
        }
    }

    fn reference_index(&mut self) -> Result<Option<String>, QueryError> {
        let Some(open) = self.eat(Kind::LBracket) else {
            return Ok(None);
        };
        let Some(index) = self.eat(Kind::Str) else {
            return Err(QueryError::new(
                format!(
                    "expected a quoted index like `[\"prod\"]`, found {}",
                    self.describe_next()
                ),
                self.here(),
            ));
        };
        if self.eat(Kind::RBracket).is_none() {
            return Err(QueryError::new("unclosed `[`", open.span).with_help("add a matching `]`"));
        }
        let quoted = self.text(&index);
        let unquoted = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("");
        Ok(Some(unquoted.to_string()))
    }
}

#[cfg(test)]
mod tests;
