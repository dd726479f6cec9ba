//! Tokens of a composite monitor query: `1 && !(monitor.db_down["prod"] || 3)`.

use crate::query::QueryError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A run of `[A-Za-z0-9_]`: a monitor ID, `monitor`, a reference name, or a stray word.
    Word,
    /// A double-quoted string, quotes included.
    Str,
    Dot,
    LBracket,
    RBracket,
    LParen,
    RParen,
    And,
    Or,
    Not,
}

pub(super) type Token = crate::query::Token<Kind>;

pub(super) const OPERATOR_HELP: &str = "use && / || / !";

pub(super) fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(rest) = query.get(pos..) {
        let Some(ch) = rest.chars().next() else { break };
        if ch.is_whitespace() {
            pos += ch.len_utf8();
            continue;
        }
        let (kind, len) = lex_token(rest, ch).map_err(|(message, len, help)| {
            let err = QueryError::new(message, pos..pos + len);
            match help {
                Some(help) => err.with_help(help),
                None => err,
            }
        })?;
        tokens.push(Token {
            kind,
            span: pos..pos + len,
        });
        pos += len;
    }
    Ok(tokens)
}

/// A lexing failure: message, length of the offending text, help.
type LexFailure = (String, usize, Option<&'static str>);

fn lex_token(rest: &str, ch: char) -> Result<(Kind, usize), LexFailure> {
    let doubled = rest.chars().nth(1) == Some(ch);
    match ch {
        '&' | '|' if doubled => Ok((if ch == '&' { Kind::And } else { Kind::Or }, 2)),
        '&' | '|' => Err((format!("unknown operator `{ch}`"), 1, Some(OPERATOR_HELP))),
        '!' => Ok((Kind::Not, 1)),
        '(' => Ok((Kind::LParen, 1)),
        ')' => Ok((Kind::RParen, 1)),
        '[' => Ok((Kind::LBracket, 1)),
        ']' => Ok((Kind::RBracket, 1)),
        '.' => Ok((Kind::Dot, 1)),
        '"' => lex_string(rest),
        c if is_word_char(c) => Ok((Kind::Word, word_len(rest))),
        _ => Err((
            format!("unexpected character `{ch}`"),
            ch.len_utf8(),
            Some(OPERATOR_HELP),
        )),
    }
}

fn lex_string(rest: &str) -> Result<(Kind, usize), LexFailure> {
    let body = rest.get(1..).unwrap_or("");
    match body.find('"') {
        Some(end) => Ok((Kind::Str, end + 2)),
        None => Err((
            "unterminated string".to_string(),
            1,
            Some("close the index with a matching `\"`"),
        )),
    }
}

pub(super) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn word_len(rest: &str) -> usize {
    rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_operators_and_references() {
        use Kind::*;
        let kinds: Vec<Kind> = tokenize("!(1&&monitor.a[\"x\"])||2")
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                Not, LParen, Word, And, Word, Dot, Word, LBracket, Str, RBracket, RParen, Or, Word
            ]
        );
    }

    #[test]
    fn single_ampersand_is_unknown_operator() {
        let err = tokenize("1 & 2").unwrap_err();
        assert_eq!(err.message, "unknown operator `&`");
        assert_eq!(err.span, 2..3);
        assert_eq!(err.help.as_deref(), Some(OPERATOR_HELP));
    }
}
