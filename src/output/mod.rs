//! Rendering for people and machines: diagnostics, plans, colour decisions.

pub mod graph;
pub mod plan;
pub mod status;
pub mod test;

use std::fmt;
use std::io::IsTerminal;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode, SourceSpan,
};

use crate::diagnostic::{Code, Diagnostic, Note, Severity, SourceMap, display_path};

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source excerpts with labels (colour on a terminal unless NO_COLOR is set).
    Human,
    /// One line per problem: `file:line:col: error[code]: message`.
    Short,
    /// One JSON document with every diagnostic and a summary.
    Json,
}

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

fn message_with_count(d: &Diagnostic) -> String {
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
    source: NamedSource<String>,
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
            source: NamedSource::new(display_path(&file.path), file.text.to_string()),
            labels,
        }
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
