//! `monc fmt`: the canonical layout of an HCL file, the way `terraform fmt` lays out its own.
//!
//! Only whitespace outside strings changes: every line is indented two spaces per open bracket,
//! `name = value` gets one space either side of `=`, the `=` of consecutive one-line attributes line up,
//! trailing whitespace goes, and the file ends with one newline. Heredoc bodies, block comments
//! and comments' text are kept byte for byte. Before a result is returned, both texts are
//! parsed and compared: a layout that would change what the file means is refused.

use crate::load::scan::{LineDepth, line_depths};

/// Why a file could not be formatted.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FormatError {
    #[error("the file has a syntax error; `monc validate` locates it")]
    Syntax,
    #[error(
        "formatting would change what the file means; it is left as it is (a monc bug: please report it with the file)"
    )]
    WouldChangeMeaning,
}

/// The file laid out canonically (unchanged text when it already is).
pub fn format_hcl(text: &str) -> Result<String, FormatError> {
    let before = hcl::parse(text).map_err(|_| FormatError::Syntax)?;
    let depths = line_depths(text).ok_or(FormatError::Syntax)?;
    let lines = layout_lines(text, &depths);
    let mut formatted = align_attributes(lines).join("\n");
    let trimmed_len = formatted.trim_end_matches('\n').len();
    formatted.truncate(trimmed_len);
    if !formatted.is_empty() {
        formatted.push('\n');
    }
    match hcl::parse(&formatted) {
        Ok(after) if after == before => Ok(formatted),
        _ => Err(FormatError::WouldChangeMeaning),
    }
}

/// A line of output: re-indented text, or a line kept verbatim (heredoc bodies and the like).
#[derive(Debug)]
enum Line {
    Laid {
        depth: usize,
        text: String,
        /// Its value goes on over the next lines (`vars = {`, `message = <<-EOT`): like
        /// `terraform fmt`, such a line is not aligned with its neighbours.
        continues: bool,
    },
    Verbatim(String),
}

fn layout_lines(text: &str, depths: &[LineDepth]) -> Vec<Line> {
    let mut starts = depths.iter().peekable();
    let mut offset = 0;
    // Each line with the brackets open where it starts, if it may be laid out.
    let mut raw_lines: Vec<(&str, Option<usize>)> = Vec::new();
    for piece in text.split('\n') {
        let raw = piece.strip_suffix('\r').unwrap_or(piece);
        while starts.next_if(|d| d.start < offset).is_some() {}
        let depth = starts.peek().filter(|d| d.start == offset).map(|d| d.depth);
        raw_lines.push((raw, depth));
        offset += piece.len() + 1;
    }
    let continues = |index: usize, depth: usize| match raw_lines.get(index + 1) {
        Some((_, None)) => true,
        Some((_, Some(next))) => *next > depth,
        None => false,
    };
    raw_lines
        .iter()
        .enumerate()
        .map(|(index, (raw, depth))| match depth {
            None => Line::Verbatim(raw.to_string()),
            Some(depth) => laid(raw, *depth, continues(index, *depth)),
        })
        .collect()
}

/// A line re-indented for `depth` open brackets; a line that starts by closing one sits at its
/// opener's level.
fn laid(raw: &str, depth: usize, continues: bool) -> Line {
    let text = raw.trim();
    let closes = text.starts_with(['}', ']', ')']);
    Line::Laid {
        depth: depth.saturating_sub(usize::from(closes)),
        text: spaced_assignment(text).unwrap_or_else(|| text.to_string()),
        continues,
    }
}

/// `name=value` as `name = value`; `None` when the line is not an attribute.
fn spaced_assignment(text: &str) -> Option<String> {
    let (name, value) = split_attribute(text)?;
    Some(format!("{name} = {value}"))
}

/// An attribute line's name and value: `name = value` where `name` is an identifier (or a
/// quoted object key) and `=` is not part of `==`.
fn split_attribute(text: &str) -> Option<(&str, &str)> {
    let name_len = if let Some(quoted) = text.strip_prefix('"') {
        quoted.find('"')? + 2
    } else {
        text.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))?
    };
    if name_len == 0 {
        return None;
    }
    let (name, rest) = text.split_at(name_len);
    let value = rest.trim_start().strip_prefix('=')?;
    if value.starts_with(['=', '>']) {
        return None;
    }
    Some((name, value.trim_start()))
}

/// Lines up the `=` of attributes on consecutive lines at the same depth.
fn align_attributes(lines: Vec<Line>) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut run: Vec<(usize, String)> = Vec::new();
    for line in lines {
        match line {
            Line::Laid {
                depth,
                text,
                continues: false,
            } if split_attribute(&text).is_some()
                && run.first().is_none_or(|(d, _)| *d == depth) =>
            {
                run.push((depth, text));
            }
            other => {
                flush_run(&mut run, &mut out);
                match other {
                    Line::Laid {
                        depth,
                        text,
                        continues: false,
                    } if split_attribute(&text).is_some() => run.push((depth, text)),
                    Line::Laid { depth, text, .. } => out.push(indented(depth, &text)),
                    Line::Verbatim(text) => out.push(text),
                }
            }
        }
    }
    flush_run(&mut run, &mut out);
    out
}

fn flush_run(run: &mut Vec<(usize, String)>, out: &mut Vec<String>) {
    let width = run
        .iter()
        .filter_map(|(_, text)| split_attribute(text))
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(0);
    for (depth, text) in run.drain(..) {
        let Some((name, value)) = split_attribute(&text) else {
            continue;
        };
        let pad = width - name.chars().count();
        let line = format!("{name}{} = {value}", " ".repeat(pad));
        out.push(indented(depth, line.trim_end()));
    }
}

fn indented(depth: usize, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{}{text}", "  ".repeat(depth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messy_file_is_laid_out_like_terraform_fmt() {
        let messy = "monitor \"a\" {\n      tier=\"L0\"\n  name    =   \"x\"   \n\n    options = {\n  timeout_h = 1\n   notify_no_data=true\n      }\n  # a comment\n    suppressed_by = [\n monitor.b,\n]\n}\n\n\n";
        let want = "monitor \"a\" {\n  tier = \"L0\"\n  name = \"x\"\n\n  options = {\n    timeout_h      = 1\n    notify_no_data = true\n  }\n  # a comment\n  suppressed_by = [\n    monitor.b,\n  ]\n}\n";
        assert_eq!(format_hcl(messy).as_deref(), Ok(want));
        // Like `terraform fmt`: a value over several lines is not aligned with its neighbours.
        let terraform = "a {\n  ami           = 1\n  instance_type = 2\n  tags = {\n    Name = 3\n  }\n  message = <<-EOT\n    x\n  EOT\n}\n";
        assert_eq!(format_hcl(terraform).as_deref(), Ok(terraform));
        assert_eq!(format_hcl(want).as_deref(), Ok(want), "idempotent");
    }

    #[test]
    fn heredoc_bodies_strings_and_comments_are_kept() {
        let text = "monitor \"a\" {\n  message = <<-EOT\n      keep   this {\n   EOT\n  query   = \"a  =  b {x}\"\n  /* keep\n       this */\n  q2 = \"x\" # a  =  b\n}\n";
        let formatted = format_hcl(text).expect("formats");
        assert!(
            formatted.contains("      keep   this {\n   EOT\n"),
            "{formatted}"
        );
        assert!(formatted.contains("\"a  =  b {x}\""), "{formatted}");
        assert!(formatted.contains("       this */"), "{formatted}");
        assert!(formatted.contains("# a  =  b"), "{formatted}");
    }

    #[test]
    fn a_file_with_a_syntax_error_is_refused() {
        assert_eq!(format_hcl("monitor \"a\" {\n"), Err(FormatError::Syntax));
    }

    #[test]
    fn crlf_line_endings_become_lf() {
        let text = "a = 1\r\nbb  = 2\r\n";
        assert_eq!(format_hcl(text).as_deref(), Ok("a  = 1\nbb = 2\n"));
    }

    /// Every one-character deletion or duplication of a sample file: no panic, and whatever
    /// formats is a fixed point of the formatter.
    #[test]
    fn mutated_files_never_panic_and_format_idempotently() {
        let sample = "locals {\n  a = \"x ${b} \\\" }\"\n}\nmonitor \"m\" {\n  tier=\"L0\" # c\n  message = <<-EOT\n    hi {\n  EOT\n  options = {\n    t = [1,\n      2]\n  }\n  /* x\n  */\n}\n";
        let chars: Vec<(usize, char)> = sample.char_indices().collect();
        for &(at, c) in &chars {
            let deleted = format!("{}{}", &sample[..at], &sample[at + c.len_utf8()..]);
            let doubled = format!("{}{c}{}", &sample[..at], &sample[at..]);
            for text in [deleted, doubled] {
                let result = format_hcl(&text);
                assert_ne!(result, Err(FormatError::WouldChangeMeaning), "{text:?}");
                if let Ok(once) = result {
                    assert_eq!(format_hcl(&once).as_deref(), Ok(once.as_str()), "{text:?}");
                }
            }
        }
    }
}
