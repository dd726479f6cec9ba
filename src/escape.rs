//! Text monc did not write (monitor names, messages, tags and keys from the org, a server's
//! error text, file names) made safe to show: anyone with monitor write access sets a name, and
//! an escape sequence in it could erase or hide lines of a plan under review. Control
//! characters and the Unicode characters that reorder or hide text are shown as `\u{..}`.

use std::borrow::Cow;

/// For one line on a terminal: every control character escaped, newlines included.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// For text shown over several lines on a terminal: newlines (and tabs) kept, every other
/// control character escaped.
pub fn lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// For inline Markdown (a table cell, a list item): one line, with everything Markdown or HTML
/// would act on escaped, so that text from the org cannot add a heading, a link, an image or an
/// HTML comment to a report.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in line(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // What adds structure to one line of Markdown: links and images need `[`, code
            // spans a backtick, tables a bar, emphasis `*`; `\\` could undo an escape. (`_`, so
            // common in keys, emphasises only at word boundaries and hides nothing.)
            '\\' | '`' | '*' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// For Slack's mrkdwn (a drift post): one line, with the three characters Slack asks to escape
/// (`&`, `<`, `>`: a `<url|text>` link could otherwise be planted) and backticks, which would end
/// the code span a key is shown in.
pub fn slack(text: &str) -> String {
    line(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "'")
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| is_unsafe(c) && !(keep_newlines && (c == '\n' || c == '\t'));
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// What a terminal acts on instead of showing: C0 and C1 controls and DEL, and the characters
/// that reorder (bidi overrides and isolates) or hide (zero-width) what follows.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_acted_on() {
        assert_eq!(line("ok"), "ok");
        assert_eq!(line("a\u{1b}[2Kb\r"), "a\\u{1b}[2Kb\\u{d}");
        assert_eq!(line("x\ny"), "x\\u{a}y");
        assert_eq!(lines("x\ny\u{202e}"), "x\ny\\u{202e}");
    }

    #[test]
    fn markdown_cannot_add_structure() {
        assert_eq!(
            markdown("a |\n## b <!-- [c](d)"),
            "a \\|\\\\u{a}## b &lt;!-- \\[c\\](d)"
        );
    }
}
