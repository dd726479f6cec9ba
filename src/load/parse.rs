//! Reading a configuration file into its syntax tree, and syntax errors named where the mistake
//! starts (the quote, heredoc or bracket never closed), not where the parser gave up.

use std::path::Path;

use super::scan;
use super::{LoadError, Loader, ParsedFile};
use crate::diagnostic::{Code, Diagnostic, FileId, Span};

impl Loader {
    pub(super) fn read(&mut self, path: &Path) -> Result<Option<ParsedFile>, LoadError> {
        let text = match self.overlay.get(path) {
            Some(text) => text.clone(),
            None => std::fs::read_to_string(path).map_err(|e| LoadError {
                path: path.to_path_buf(),
                message: format!("cannot read file: {e}"),
                help: "check the path and that the file is UTF-8 text".into(),
            })?,
        };
        // Editors on Windows may start a file with a UTF-8 byte-order mark; HCL does not allow
        // one, and it means nothing in UTF-8.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        let parsed = hcl::edit::parser::parse_body(&text);
        let id = self.model.sources.add(path.to_path_buf(), text);
        match parsed {
            Ok(body) => {
                self.warn_swallowed_blocks(id);
                Ok(Some(ParsedFile { id, body }))
            }
            Err(error) => {
                self.report_syntax_error(id, &error);
                self.model.has_unparsed_files = true;
                Ok(None)
            }
        }
    }

    pub(super) fn report_syntax_error(&mut self, file: FileId, error: &hcl::edit::parser::Error) {
        let text = &self.model.sources.file(file).text;
        let offset = error.location().offset();
        let diagnostic = match scan::first_mistake(text) {
            // The scan names mistakes at their start; the parser, where it gave up. A finding
            // after the parser's position is not the mistake the parser met.
            Some(finding) if finding_start(&finding) <= offset => located_mistake(file, finding),
            _ => {
                let start = char_start(text, offset);
                let end = next_char_end(text, start);
                let message = error.message().trim().to_string();
                Diagnostic::error(
                    Code::Syntax,
                    Span::new(file, start..end),
                    format!("HCL syntax error: {message}"),
                )
                .label("here")
                .help("check for a missing quote, bracket, `=` or newline before this point")
            }
        };
        self.diagnostics.push(diagnostic);
    }

    /// A heredoc that runs on through a block header parses, and the block is silently part of
    /// its text: warn at the heredoc.
    pub(super) fn warn_swallowed_blocks(&mut self, file: FileId) {
        let text = &self.model.sources.file(file).text;
        let found = scan::swallowed_blocks(text, &["monitor", "tenant", "cluster"]);
        for swallowed in found {
            let header = text[swallowed.header.clone()].to_string();
            let marker = &swallowed.marker;
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::SwallowedBlock,
                    Span::new(file, swallowed.opener),
                    format!("this heredoc runs on through `{header}`: that block is part of its text, not a block"),
                )
                .label(format!("heredoc ends only at a later line holding just `{marker}`"))
                .related("read as text", Span::new(file, swallowed.header))
                .help(format!("end the heredoc with a line holding only `{marker}` before the block (is its closing marker misspelt?)")),
            );
        }
    }

    /// `monc::file-not-read` for an entry of the `what` directory that is not read. It gets
    /// an empty text in the source map: diagnostics point into a file, and this one's content
    /// is not monc's to read (it may be a directory, or anything at all).
    pub(super) fn warn_not_read(&mut self, entry: &Path, what: &str) {
        // Escaped: a newline in a file name must not forge a line of the report.
        let name = entry
            .file_name()
            .map(|name| crate::escape::line(&name.to_string_lossy()).into_owned())
            .unwrap_or_default();
        let (name, why) = if entry.is_dir() {
            (format!("{name}/"), "monc does not look into subdirectories")
        } else if Path::new(&name)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("hcl"))
        {
            (
                name,
                "monc reads only names ending in `.hcl`, in lower case",
            )
        } else {
            (name, "monc reads only names ending in `.hcl`")
        };
        let id = self.model.sources.add(entry.to_path_buf(), String::new());
        self.diagnostics.push(
            Diagnostic::warning(
                Code::FileNotRead,
                Span::new(id, 0..0),
                format!("`{name}` is not read: {why}"),
            )
            .label("not read")
            .help(format!(
                "monc reads the `*.hcl` files directly in the {what} directory, in name order, \
                 and leaves names starting with `.` alone: rename or move `{name}` if it is \
                 meant to be read, or move it out of the directory"
            )),
        );
    }
}

pub(super) fn finding_start(finding: &scan::Finding) -> usize {
    match finding {
        scan::Finding::UnterminatedString { start } => *start,
        scan::Finding::UnterminatedHeredoc { opener, .. } => opener.start,
        scan::Finding::Unclosed { open, .. } => *open,
        scan::Finding::Mismatched { close, .. } | scan::Finding::Unopened { close } => *close,
    }
}

/// A syntax mistake named at its start: the quote, heredoc or bracket that is never closed.
pub(super) fn located_mistake(file: FileId, finding: scan::Finding) -> Diagnostic {
    use scan::Finding;
    let at = |range: std::ops::Range<usize>| Span::new(file, range);
    match finding {
        Finding::UnterminatedString { start } => Diagnostic::error(
            Code::Syntax,
            at(start..start + 1),
            "unterminated string: this `\"` is not closed before the end of its line",
        )
        .label("string starts here")
        .help("close the string with `\"` on the same line; for text over several lines use a heredoc (`<<-EOT` ... `EOT`)"),
        Finding::UnterminatedHeredoc { opener, marker } => Diagnostic::error(
            Code::Syntax,
            at(opener),
            format!("unterminated heredoc: no line after this holds only `{marker}`"),
        )
        .label("heredoc starts here")
        .help(format!("end the heredoc with a line holding only `{marker}` (check the closing marker's spelling)")),
        Finding::Unclosed { open, bracket } => {
            let (what, close) = match bracket {
                '{' => ("block", '}'),
                '[' => ("list", ']'),
                _ => ("parenthesis", ')'),
            };
            Diagnostic::error(
                Code::Syntax,
                at(open..open + 1),
                format!("unclosed {what}: this `{bracket}` is never closed"),
            )
            .label("opened here")
            .help(format!("add the matching `{close}`; everything after it is read as part of this {what}"))
        }
        Finding::Mismatched { open, close } => Diagnostic::error(
            Code::Syntax,
            at(close..close + 1),
            "mismatched bracket: this closes a different kind of bracket",
        )
        .label("closes the wrong bracket")
        .related("opened here", at(open..open + 1))
        .help("make the opening and closing brackets match: `{ }`, `[ ]`, `( )`"),
        Finding::Unopened { close } => Diagnostic::error(
            Code::Syntax,
            at(close..close + 1),
            "this closing bracket closes nothing",
        )
        .label("nothing open here")
        .help("remove it, or add the opening bracket it belongs to"),
    }
}

/// The end of the character at `start`; an offset inside a character (hcl-rs can report one)
/// counts as that character's.
pub(super) fn next_char_end(text: &str, start: usize) -> usize {
    let start = char_start(text, start);
    text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8())
}

/// `offset` moved back to the start of the character it falls in (or to the end of `text`).
pub(super) fn char_start(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn an_error_offset_inside_a_character_does_not_panic() {
        // Found by tests/it/load_props.rs: hcl-rs placed a syntax error inside `𰏠` (4 bytes).
        let text = "𰏠{ጓ";
        assert_eq!(next_char_end(text, 1), 4);
        assert_eq!(next_char_end(text, 6), 8);
        assert_eq!(next_char_end(text, 99), text.len());
    }
}
