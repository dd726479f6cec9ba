//! A lexical scan of an HCL file, for what the parser reports poorly: where an unterminated
//! string or heredoc starts, which brace was never closed, and a heredoc whose closing marker
//! was mistyped so that it swallowed the blocks written after it.
//!
//! The parser (hcl-edit) reports where it gave up, which for these mistakes is far from the
//! mistake: an unclosed `{` is found at the end of the file, an unterminated string on the next
//! line. The scan tracks strings, interpolations, heredocs, comments and brackets, so it can
//! point at their start. It never fails and never panics; when it finds nothing, the parser's
//! own message stands.

use std::ops::Range;

/// A mistake the scan locates at its start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Finding {
    /// A `"` whose line ends before its closing quote.
    UnterminatedString { start: usize },
    /// `<<EOT` with no line holding only `EOT` after it.
    UnterminatedHeredoc {
        opener: Range<usize>,
        marker: String,
    },
    /// A bracket never closed (at the end of the file, or closed by a brace indented less than
    /// the line that opened it, which closed its parent instead).
    Unclosed { open: usize, bracket: char },
    /// A closing bracket of the wrong kind.
    Mismatched { open: usize, close: usize },
    /// A closing bracket with nothing open.
    Unopened { close: usize },
}

/// A heredoc whose body holds a line that looks like a block header (`monitor "x" {`): its
/// intended closing marker was probably mistyped, and it runs on through the next block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SwallowedBlock {
    pub opener: Range<usize>,
    pub marker: String,
    pub header: Range<usize>,
}

/// The first syntax mistake the scan can locate, if any.
pub(crate) fn first_mistake(text: &str) -> Option<Finding> {
    let mut scanner = Scanner::new(text);
    scanner.run();
    scanner.mistake
}

/// Where each line that starts outside a heredoc body or block comment starts, and how many
/// brackets are open there: what a formatter may re-indent. Lines not listed are kept as they
/// are. `None` when the file has a mistake the scan can locate.
pub(crate) fn line_depths(text: &str) -> Option<Vec<LineDepth>> {
    let mut scanner = Scanner::new(text);
    scanner.lines = Some(vec![LineDepth { start: 0, depth: 0 }]);
    scanner.run();
    match scanner.mistake {
        Some(_) => None,
        None => scanner.lines,
    }
}

/// A line a formatter may re-indent: its start offset and the brackets open before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LineDepth {
    pub start: usize,
    pub depth: usize,
}

/// Heredocs in a file that swallowed a block header.
pub(crate) fn swallowed_blocks(text: &str, header_words: &[&str]) -> Vec<SwallowedBlock> {
    let mut scanner = Scanner::new(text);
    scanner.run();
    scanner
        .heredocs
        .into_iter()
        .filter_map(|heredoc| {
            let header = block_header_in(text, heredoc.body.clone(), header_words)?;
            Some(SwallowedBlock {
                opener: heredoc.opener,
                marker: heredoc.marker,
                header,
            })
        })
        .collect()
}

/// The first line of `body` that starts like `monitor "name" {`.
fn block_header_in(text: &str, body: Range<usize>, words: &[&str]) -> Option<Range<usize>> {
    let mut offset = body.start;
    for line in text.get(body)?.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let header = trimmed.trim_end();
        if words.iter().any(|w| looks_like_header(header, w)) {
            return Some(offset + indent..offset + indent + header.len());
        }
        offset += line.len();
    }
    None
}

fn looks_like_header(line: &str, word: &str) -> bool {
    let Some(rest) = line.strip_prefix(word) else {
        return false;
    };
    let rest = rest.trim_start();
    rest.len() < line.len() - word.len() && rest.starts_with('"') && rest.ends_with('{')
}

struct Heredoc {
    opener: Range<usize>,
    marker: String,
    body: Range<usize>,
}

/// What an open bracket was, and where.
#[derive(Clone, Copy)]
struct Open {
    bracket: char,
    at: usize,
    /// Indentation of the line it stands on.
    indent: usize,
    /// `${` or `%{` inside a string: its `}` returns to the string.
    in_template: bool,
}

struct Scanner<'t> {
    text: &'t str,
    pos: usize,
    stack: Vec<Open>,
    heredocs: Vec<Heredoc>,
    mistake: Option<Finding>,
    /// The first bracket closed by a brace indented less than its own line.
    suspect: Option<Open>,
    /// Opening quotes of the strings being read (a string holds interpolations, which hold
    /// strings).
    string_starts: Vec<usize>,
    /// Filled by [`line_depths`] only.
    lines: Option<Vec<LineDepth>>,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str) -> Self {
        Scanner {
            text,
            pos: 0,
            stack: Vec::new(),
            heredocs: Vec::new(),
            mistake: None,
            suspect: None,
            lines: None,
            string_starts: Vec::new(),
        }
    }

    fn rest(&self) -> &'t str {
        &self.text[self.pos..]
    }

    fn run(&mut self) {
        while self.mistake.is_none() {
            let Some(c) = self.rest().chars().next() else {
                break;
            };
            self.step(c);
        }
        if self.mistake.is_none() && !self.stack.is_empty() {
            let open = self.suspect.unwrap_or(self.stack[0]);
            self.mistake = Some(Finding::Unclosed {
                open: open.at,
                bracket: open.bracket,
            });
        }
    }

    fn step(&mut self, c: char) {
        let rest = self.rest();
        if c == '#' || rest.starts_with("//") {
            self.skip_line();
        } else if let Some(comment) = rest.strip_prefix("/*") {
            self.pos = comment
                .find("*/")
                .map_or(self.text.len(), |i| self.pos + 2 + i + 2);
        } else if c == '"' {
            self.string();
        } else if rest.starts_with("<<") {
            self.heredoc();
        } else if matches!(c, '{' | '[' | '(') {
            self.open(c, false);
            self.pos += 1;
        } else if matches!(c, '}' | ']' | ')') {
            self.close(c);
        } else if c == '\n' {
            self.pos += 1;
            let depth = self.stack.len();
            if let Some(lines) = &mut self.lines {
                lines.push(LineDepth {
                    start: self.pos,
                    depth,
                });
            }
        } else {
            self.pos += c.len_utf8();
        }
    }

    fn skip_line(&mut self) {
        self.pos = self
            .rest()
            .find('\n')
            .map_or(self.text.len(), |i| self.pos + i);
    }

    fn open(&mut self, bracket: char, in_template: bool) {
        let indent = indentation_of_line_at(self.text, self.pos);
        self.stack.push(Open {
            bracket,
            at: self.pos,
            indent,
            in_template,
        });
    }

    fn close(&mut self, c: char) {
        let at = self.pos;
        self.pos += 1;
        let Some(open) = self.stack.pop() else {
            self.mistake = Some(Finding::Unopened { close: at });
            return;
        };
        if matching(open.bracket) != c {
            self.mistake = Some(Finding::Mismatched {
                open: open.at,
                close: at,
            });
        } else if open.in_template {
            self.string_body();
        } else if c == '}' && self.suspect.is_none() && self.closes_a_parent(&open, at) {
            // The brace sits left of the line that opened this bracket: it was probably
            // written to close an outer block, so this one was left open. Only a suspicion
            // until the end of the file shows a bracket left open.
            self.suspect = Some(open);
        }
    }

    /// Whether a `}` at `at` is indented less than the line of the bracket it matched, and
    /// stands first on its line (a one-line `{ a = 1 }` says nothing about indentation).
    fn closes_a_parent(&self, open: &Open, at: usize) -> bool {
        let line_start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        let first_on_line = self.text[line_start..at].trim().is_empty();
        first_on_line && at - line_start < open.indent
    }

    /// A quoted string from its opening quote.
    fn string(&mut self) {
        self.string_starts.push(self.pos);
        self.pos += 1;
        self.string_body();
    }

    /// The rest of a quoted string, up to its closing quote or an interpolation.
    fn string_body(&mut self) {
        let bytes = self.text.as_bytes();
        let mut i = self.pos;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    self.pos = i + 1;
                    self.string_starts.pop();
                    return;
                }
                b'\n' => break,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    if bytes.get(i.wrapping_sub(1)) == Some(&bytes[i]) {
                        // `$${` and `%%{` are escapes, not interpolations.
                        i += 2;
                        continue;
                    }
                    self.pos = i + 1;
                    self.open('{', true);
                    self.pos += 1;
                    return;
                }
                _ => i += 1,
            }
        }
        let start = self.string_starts.last().copied().unwrap_or(self.pos);
        self.mistake = Some(Finding::UnterminatedString { start });
    }

    /// `<<EOT` or `<<-EOT`, up to the line holding only the marker.
    fn heredoc(&mut self) {
        let opener_start = self.pos;
        let rest = self.rest();
        let after = rest[2..].strip_prefix('-').unwrap_or(&rest[2..]);
        let marker: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if marker.is_empty() {
            self.pos += 2;
            return;
        }
        let opener_end = opener_start + (rest.len() - after.len()) + marker.len();
        let body_start = self.text[opener_end..]
            .find('\n')
            .map_or(self.text.len(), |i| opener_end + i + 1);
        let mut offset = body_start;
        for line in self.text[body_start..].split_inclusive('\n') {
            if line.trim() == marker {
                self.heredocs.push(Heredoc {
                    opener: opener_start..opener_end,
                    marker,
                    body: body_start..offset,
                });
                self.pos = offset + line.trim_end_matches(['\n', '\r']).len();
                return;
            }
            offset += line.len();
        }
        self.mistake = Some(Finding::UnterminatedHeredoc {
            opener: opener_start..opener_end,
            marker,
        });
    }
}

fn matching(open: char) -> char {
    match open {
        '{' => '}',
        '[' => ']',
        _ => ')',
    }
}

fn indentation_of_line_at(text: &str, at: usize) -> usize {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mistake(text: &str) -> Option<Finding> {
        first_mistake(text)
    }

    #[test]
    fn a_valid_file_has_no_mistake() {
        let text = "monitor \"a\" {\n  name = \"x ${tenant.name} \\\" }\"\n  message = <<-EOT\n    hi {{host.name}} ${join(\",\", [\"a\"])}\n  EOT\n  thresholds = { critical = 1 }\n  q = \"$${not} %%{no}\"\n}\n# a } comment\n/* { */\n";
        assert_eq!(mistake(text), None);
    }

    #[test]
    fn an_unterminated_string_is_found_at_its_quote() {
        let text = "monitor \"a\" {\n  name = \"abc\n  type = \"metric alert\"\n}\n";
        assert_eq!(
            mistake(text),
            Some(Finding::UnterminatedString { start: 23 })
        );
    }

    #[test]
    fn an_unterminated_string_after_an_interpolation_is_found_at_its_quote() {
        let text = "x = \"a ${b} c\ny = 1\n";
        assert_eq!(
            mistake(text),
            Some(Finding::UnterminatedString { start: 4 })
        );
    }

    #[test]
    fn an_unclosed_block_is_found_at_its_brace() {
        let text = "monitor \"a\" {\n  name = \"x\"\n\nmonitor \"b\" {\n  name = \"y\"\n}\n";
        assert_eq!(
            mistake(text),
            Some(Finding::Unclosed {
                open: 12,
                bracket: '{'
            })
        );
    }

    #[test]
    fn an_unclosed_inner_object_is_found_by_the_outer_brace_indentation() {
        let text = "monitor \"a\" {\n  thresholds = {\n    critical = 1\n}\n";
        let open = text.find("= {").unwrap() + 2;
        assert_eq!(
            mistake(text),
            Some(Finding::Unclosed { open, bracket: '{' })
        );
    }

    #[test]
    fn an_unterminated_heredoc_is_found_at_its_opener() {
        let text = "m {\n  message = <<EOT\n  hello\n  EOF\n}\n";
        assert_eq!(
            mistake(text),
            Some(Finding::UnterminatedHeredoc {
                opener: 16..21,
                marker: "EOT".into()
            })
        );
    }

    #[test]
    fn a_heredoc_with_a_wrong_marker_swallowing_a_block_is_found() {
        let text = "monitor \"a\" {\n  message = <<EOT\n  hi\n  EOF\n}\n\nmonitor \"b\" {\n  message = <<EOT\n  x\n  EOT\n}\n";
        let found = swallowed_blocks(text, &["monitor"]);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].header.clone()], "monitor \"b\" {");
        assert_eq!(&text[found[0].opener.clone()], "<<EOT");
    }

    #[test]
    fn mismatched_and_unopened_brackets_are_found() {
        assert_eq!(
            mistake("a = [1, 2}\n"),
            Some(Finding::Mismatched { open: 4, close: 9 })
        );
        assert_eq!(mistake("a = 1\n}\n"), Some(Finding::Unopened { close: 6 }));
    }

    #[test]
    fn any_input_is_scanned_without_panic() {
        for text in [
            "\"", "<<", "<<-", "${", "\"${", "\"\\", "é\"", "{\"${\"", "/*", "<<E\n",
        ] {
            let _ = first_mistake(text);
            let _ = swallowed_blocks(text, &["monitor"]);
        }
    }
}
