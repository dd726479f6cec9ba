//! Rendering for people and machines: diagnostics, plans, colour decisions.

pub mod graph;
pub mod plan;
pub mod status;
pub mod test;

use std::fmt;
use std::io::IsTerminal;

use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use crate::diagnostic::{Code, Diagnostic, Note, Severity, SourceFile, SourceMap, display_path};

/// Whether to use ANSI colours: only on a terminal, and never with NO_COLOR.
pub fn use_colour(stream_is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    stream_is_terminal && !no_color
}

pub fn stderr_colour() -> bool {
    use_colour(std::io::stderr().is_terminal())
}

pub fn stdout_colour() -> bool {
    use_colour(std::io::stdout().is_terminal())
}

/// Renders diagnostics with source excerpts, as miette does.
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceMap, colour: bool) -> String {
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diagnostics {
        let report = Report::new(d, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&render_short_one(d, sources));
        }
        out.push('\n');
    }
    out
}

/// `file:line:col: error[code]: message`, one per line.
pub fn render_short(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    diagnostics
        .iter()
        .map(|d| render_short_one(d, sources))
        .collect()
}

/// `file:line:col: note: message`, one line per note (`validate --verbose`).
pub fn render_notes(notes: &[Note], sources: &SourceMap) -> String {
    notes
        .iter()
        .map(|note| {
            let (line, col) = sources.line_col(note.span.file, note.span.range.start);
            let path = display_path(&sources.file(note.span.file).path);
            format!("{path}:{line}:{col}: note: {}\n", note.message)
        })
        .collect()
}

fn render_short_one(d: &Diagnostic, sources: &SourceMap) -> String {
    let (line, col) = sources.line_col(d.span.file, d.span.range.start);
    let path = display_path(&sources.file(d.span.file).path);
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let help = d
        .help
        .as_deref()
        .map(|h| format!(" (help: {h})"))
        .unwrap_or_default();
    format!(
        "{path}:{line}:{col}: {severity}[{}]: {}{help}\n",
        d.code,
        message_with_count(d)
    )
}

pub fn message_with_count(d: &Diagnostic) -> String {
    if d.occurrences > 1 {
        let more = d.occurrences - 1;
        let noun = if more == 1 { "monitor" } else { "monitors" };
        format!("{} (also in {more} more {noun})", d.message)
    } else {
        d.message.clone()
    }
}

/// Adapts a [`Diagnostic`] to miette, quoting its file.
struct Report {
    message: String,
    code: Code,
    severity: miette::Severity,
    help: Option<String>,
    source: Excerpt,
    labels: Vec<LabeledSpan>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Report {
        let file = sources.file(d.span.file);
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(d.label.clone()).filter(|l| !l.is_empty()),
            source_span(&d.span.range),
        )];
        let mut notes = Vec::new();
        for (label, span) in &d.related {
            if span.file == d.span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(label.clone()),
                    source_span(&span.range),
                ));
            } else {
                let (line, col) = sources.line_col(span.file, span.range.start);
                let path = display_path(&sources.file(span.file).path);
                notes.push(format!("{label} at {path}:{line}:{col}"));
            }
        }
        let help = match (&d.help, notes.is_empty()) {
            (Some(h), true) => Some(h.clone()),
            (Some(h), false) => Some(format!("{h}\n{}", notes.join("\n"))),
            (None, false) => Some(notes.join("\n")),
            (None, true) => None,
        };
        Report {
            message: message_with_count(d),
            code: d.code,
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help,
            source: Excerpt::around(file, &labels),
            labels,
        }
    }
}

/// The lines of a file around a diagnostic's labels, as miette reads them. miette finds a
/// span's lines by scanning its source from the start: handed whole files, every diagnostic
/// cost the size of its file (and a copy of it), thousands of them in a big file minutes
/// (issue 21). Offsets and line numbers stay the file's.
struct Excerpt {
    name: String,
    text: Arc<str>,
    /// Byte offset where the excerpt starts (a line start) and ends.
    start: usize,
    end: usize,
    /// Zero-based line of `start`.
    first_line: usize,
}

impl Excerpt {
    /// Lines beyond the labels' kept for context: more than the handler's context lines (1).
    const MARGIN: usize = 3;

    fn around(file: &SourceFile, labels: &[LabeledSpan]) -> Excerpt {
        let low = labels.iter().map(|l| l.offset()).min().unwrap_or(0);
        let high = labels
            .iter()
            .map(|l| l.offset() + l.len())
            .max()
            .unwrap_or(0);
        let first_line = file.line_of(low).saturating_sub(Excerpt::MARGIN);
        let last_line = file.line_of(high) + Excerpt::MARGIN;
        Excerpt {
            name: display_path(&file.path),
            text: file.text.clone(),
            start: file.line_start(first_line),
            end: file.line_start(last_line + 1),
            first_line,
        }
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let local_offset = span
            .offset()
            .checked_sub(self.start)
            .ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new(local_offset.into(), span.len());
        let window = self
            .text
            .as_bytes()
            .get(self.start..self.end)
            .unwrap_or_default();
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let read = contents.span();
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            SourceSpan::new((read.offset() + self.start).into(), read.len()),
            contents.line() + self.first_line,
            contents.column(),
            contents.line_count() + self.first_line,
        )))
    }
}

fn source_span(range: &std::ops::Range<usize>) -> SourceSpan {
    SourceSpan::new(range.start.into(), range.end.saturating_sub(range.start))
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;

    fn sources_with(text: &str) -> (SourceMap, crate::diagnostic::FileId) {
        let mut sources = SourceMap::default();
        let id = sources.add("big.hcl".into(), text.to_string());
        (sources, id)
    }

    #[test]
    fn an_excerpt_quotes_the_lines_and_numbers_of_the_whole_file() {
        let text: String = (1..=40).map(|i| format!("line{i} = {i}\n")).collect();
        let (sources, id) = sources_with(&text);
        let at = text.find("line30").expect("line 30");
        let first = text.find("line2 ").expect("line 2");
        let d = Diagnostic::error(Code::Eval, Span::new(id, at..at + 6), "bad")
            .label("here")
            .related("first here", Span::new(id, first..first + 5));
        let out = render_human(&[d], &sources, false);
        assert!(out.contains("big.hcl:30:1"), "{out}");
        assert!(out.contains("30 │ line30 = 30"), "{out}");
        assert!(out.contains(" 2 │ line2 = 2"), "{out}");
        assert!(out.contains("first here"), "{out}");
    }

    /// 5,000 diagnostics near the end of a 16 MB file: miette scanned the whole file for each
    /// (80 GB byte by byte, and a copy of the file each time); an excerpt makes it instant.
    #[test]
    fn rendering_does_not_scan_the_whole_file_per_diagnostic() {
        let text = "x = 1\n".repeat(16 << 20 >> 3);
        let (sources, id) = sources_with(&text);
        let diagnostics: Vec<Diagnostic> = (0..5000)
            .map(|i| {
                let at = text.len() - 6 * (i + 1);
                Diagnostic::error(Code::Eval, Span::new(id, at..at + 1), format!("d{i}"))
                    .label("here")
            })
            .collect();
        let out = render_human(&diagnostics, &sources, false);
        let last_line = text.len() / 6;
        assert!(
            out.contains(&format!("big.hcl:{last_line}:1")),
            "{}",
            &out[..2000]
        );
    }
}
