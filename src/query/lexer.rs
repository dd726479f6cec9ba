//! Tokens of the monitor query languages but composites. Scopes (`{...}`) are kept as one raw
//! token because tag values may contain almost anything (`:`, `/`, `-`, `*`, `!`, spaces, `IN (a,b)`).

use crate::query::QueryError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Identifier, metric name, window or number: a run of `[A-Za-z0-9_.]`.
    Word,
    /// A quoted string, quotes included.
    Str,
    /// A `{...}` scope or group-by list, braces included.
    Braced,
    LParen,
    RParen,
    Comma,
    Colon,
    Dot,
    Assign,
    Plus,
    Minus,
    Star,
    Slash,
    Gt,
    Ge,
    Lt,
    Le,
    EqEq,
    NotEq,
}

pub(crate) type Token = crate::query::Token<Kind>;

pub(crate) fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let mut lexer = Lexer {
        query,
        pos: 0,
        tokens: Vec::new(),
    };
    while let Some(ch) = lexer.peek_char() {
        lexer.lex_one(ch)?;
    }
    Ok(lexer.tokens)
}

struct Lexer<'q> {
    query: &'q str,
    pos: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.query.get(self.pos..).unwrap_or("")
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn second_char(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn push(&mut self, kind: Kind, len: usize) {
        self.tokens.push(Token {
            kind,
            span: self.pos..self.pos + len,
        });
        self.pos += len;
    }

    fn lex_one(&mut self, ch: char) -> Result<(), QueryError> {
        let next = self.second_char();
        match ch {
            c if c.is_whitespace() => self.pos += c.len_utf8(),
            '.' if next.is_some_and(|n| n.is_ascii_digit()) => self.lex_word(),
            c if is_word_char(c) && c != '.' => self.lex_word(),
            '.' => self.push(Kind::Dot, 1),
            '\'' | '"' => self.lex_string(ch)?,
            '{' => self.lex_braced()?,
            '}' => return Err(self.unexpected_char_error(ch, "unmatched `}`")),
            '>' | '<' | '=' | '!' => self.lex_operator(ch, next)?,
            _ => self.lex_punctuation(ch)?,
        }
        Ok(())
    }

    fn lex_punctuation(&mut self, ch: char) -> Result<(), QueryError> {
        let kind = match ch {
            '(' => Kind::LParen,
            ')' => Kind::RParen,
            ',' => Kind::Comma,
            ':' => Kind::Colon,
            '+' => Kind::Plus,
            '-' => Kind::Minus,
            '*' => Kind::Star,
            '/' => Kind::Slash,
            _ => {
                let message = format!("unexpected character `{ch}`");
                return Err(self.unexpected_char_error(ch, &message));
            }
        };
        self.push(kind, 1);
        Ok(())
    }

    fn lex_operator(&mut self, ch: char, next: Option<char>) -> Result<(), QueryError> {
        let (kind, len) = match (ch, next) {
            ('>', Some('=')) => (Kind::Ge, 2),
            ('<', Some('=')) => (Kind::Le, 2),
            ('=', Some('=')) => (Kind::EqEq, 2),
            ('!', Some('=')) => (Kind::NotEq, 2),
            ('>', _) => (Kind::Gt, 1),
            ('<', _) => (Kind::Lt, 1),
            ('=', _) => (Kind::Assign, 1),
            _ => {
                return Err(self
                    .unexpected_char_error(ch, "unexpected `!` outside a scope")
                    .with_help("negate a tag inside the scope, e.g. `{!env:staging}`"));
            }
        };
        self.push(kind, len);
        Ok(())
    }

    /// A run of word characters; a run that starts like a number may contain an exponent
    /// sign (`1e-5`).
    fn lex_word(&mut self) {
        let rest = self.rest();
        let mut len: usize = 0;
        let mut previous = None;
        for c in rest.chars() {
            let exponent_sign = matches!(c, '+' | '-')
                && matches!(previous, Some('e' | 'E'))
                && is_numeric_mantissa(rest.get(..len.saturating_sub(1)).unwrap_or(""));
            if !(is_word_char(c) || exponent_sign) {
                break;
            }
            len += c.len_utf8();
            previous = Some(c);
        }
        self.push(Kind::Word, len);
    }

    /// A quoted string; a backslash escapes the next character (`"@url:\"/api\""`, as log
    /// searches write a phrase).
    fn lex_string(&mut self, quote: char) -> Result<(), QueryError> {
        let body = self.rest().get(1..).unwrap_or("");
        let mut escaped = false;
        let close = body.char_indices().find(|&(_, c)| {
            let closes = c == quote && !escaped;
            escaped = c == '\\' && !escaped;
            closes
        });
        match close {
            Some((end, _)) => {
                self.push(Kind::Str, end + 2);
                Ok(())
            }
            None => Err(
                QueryError::new("unterminated string", self.pos..self.pos + 1)
                    .with_help(format!("close the string with a matching {quote}")),
            ),
        }
    }

    /// A scope or tag list: from this `{` to the next `}`. A `{` before that `}` means this one
    /// was never closed (`{* by {host} > 500`): say so here, not at a later token.
    fn lex_braced(&mut self) -> Result<(), QueryError> {
        let inner = &self.rest()[1..];
        match inner.find(['{', '}']) {
            Some(close) if inner[close..].starts_with('}') => {
                self.push(Kind::Braced, close + 2);
                Ok(())
            }
            _ => Err(QueryError::new("unclosed `{`", self.pos..self.pos + 1)
                .with_help("add a matching `}` to close the scope, e.g. `{*}` or `{env:prod}`")),
        }
    }

    fn unexpected_char_error(&self, ch: char, message: &str) -> QueryError {
        QueryError::new(message, self.pos..self.pos + ch.len_utf8())
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

fn is_numeric_mantissa(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(query: &str) -> Vec<Kind> {
        tokenize(query)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn lexes_metric_method_chain() {
        use Kind::*;
        assert_eq!(
            kinds("sum:a.b{*}.as_count() >= -1e-5"),
            vec![
                Word, Colon, Word, Braced, Dot, Word, LParen, RParen, Ge, Minus, Word
            ]
        );
    }

    #[test]
    fn an_unclosed_scope_is_reported_at_its_opening_brace() {
        let query = "avg(last_5m):avg:c{* by {host} > 500";
        let error = tokenize(query).expect_err("unclosed");
        assert_eq!(error.message, "unclosed `{`");
        assert_eq!(error.span, 18..19);
        assert!(tokenize("avg(last_5m):avg:c{*} by {host} > 500").is_ok());
    }

    #[test]
    fn a_backslash_escapes_a_quote_inside_a_string() {
        let query = r#"logs("@url:\"/api\"") > 1"#;
        assert_eq!(kinds(query)[2], Kind::Str);
        assert_eq!(tokenize(query).unwrap()[2].span, 5..20);
    }

    #[test]
    fn leading_dot_number_is_a_word() {
        assert_eq!(kinds(".5"), vec![Kind::Word]);
    }

    #[test]
    fn unterminated_string_points_at_quote() {
        let err = tokenize("f('abc").unwrap_err();
        assert_eq!(err.span, 2..3);
    }

    #[test]
    fn multibyte_unexpected_char_span_is_whole_char() {
        let err = tokenize("a é").unwrap_err();
        assert_eq!(err.span, 2..4);
    }
}
