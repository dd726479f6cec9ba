//! monc's diagnostics as LSP diagnostics: the same code, message, range, severity and help as
//! `monc validate`, published for every file of the project that has any.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    PublishDiagnosticsParams, Url,
};

use super::checker::{Analysis, Failure};
use super::position::LineIndex;
use crate::diagnostic::{Diagnostic, FileId, Severity, SourceMap, Span};
use crate::output::message_with_count;

/// What to publish for one analysis: every file with diagnostics, and an empty list for each
/// file in `previous` that has none now (so that fixed problems disappear). A project that
/// cannot be read at all has its error on the file at fault, or on the `open` documents when
/// a directory is at fault.
pub fn publications(
    analysis: &Analysis,
    previous: &BTreeSet<Url>,
    open: &[Url],
) -> Vec<PublishDiagnosticsParams> {
    let mut by_file = match &analysis.result {
        Ok(checked) => by_file(checked.diagnostics.iter(), &checked.model.sources),
        Err(Failure::Load(error)) => load_error(error, open),
        Err(Failure::Panic(_)) => return Vec::new(), // keep what was shown; the log says why
    };
    for uri in previous {
        by_file.entry(uri.clone()).or_default();
    }
    by_file
        .into_iter()
        .map(|(uri, diagnostics)| PublishDiagnosticsParams::new(uri, diagnostics, None))
        .collect()
}

fn by_file<'d>(
    diagnostics: impl Iterator<Item = &'d Diagnostic>,
    sources: &SourceMap,
) -> BTreeMap<Url, Vec<lsp_types::Diagnostic>> {
    let mut converter = Converter {
        sources,
        indexes: HashMap::new(),
    };
    let mut by_file: BTreeMap<Url, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
    for diagnostic in diagnostics {
        let Some(uri) = converter.uri(diagnostic.span.file) else {
            continue;
        };
        let converted = converter.diagnostic(diagnostic);
        by_file.entry(uri).or_default().push(converted);
    }
    by_file
}

/// A file or directory that cannot be read: `monc validate`'s error, at the top of that file
/// (of each open document, for a directory).
fn load_error(
    error: &crate::load::LoadError,
    open: &[Url],
) -> BTreeMap<Url, Vec<lsp_types::Diagnostic>> {
    let diagnostic = lsp_types::Diagnostic {
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("monc".into()),
        message: format!(
            "{}: {}\nhelp: {}",
            error.path.display(),
            error.message,
            error.help
        ),
        ..lsp_types::Diagnostic::default()
    };
    let at_fault = Url::from_file_path(&error.path)
        .ok()
        .filter(|_| error.path.is_file());
    let files = match at_fault {
        Some(uri) => vec![uri],
        None => open.to_vec(),
    };
    files
        .into_iter()
        .map(|uri| (uri, vec![diagnostic.clone()]))
        .collect()
}

/// Converts spans with one line index per file, built once.
pub struct Converter<'s> {
    pub sources: &'s SourceMap,
    pub indexes: HashMap<FileId, LineIndex<'s>>,
}

impl<'s> Converter<'s> {
    pub fn new(sources: &'s SourceMap) -> Converter<'s> {
        Converter {
            sources,
            indexes: HashMap::new(),
        }
    }

    pub fn uri(&self, file: FileId) -> Option<Url> {
        Url::from_file_path(&self.sources.file(file).path).ok()
    }

    pub fn range(&mut self, span: &Span) -> lsp_types::Range {
        let sources = self.sources;
        self.indexes
            .entry(span.file)
            .or_insert_with(|| LineIndex::new(&sources.file(span.file).text))
            .range(&span.range)
    }

    pub fn location(&mut self, span: &Span) -> Option<Location> {
        Some(Location::new(self.uri(span.file)?, self.range(span)))
    }

    fn diagnostic(&mut self, d: &Diagnostic) -> lsp_types::Diagnostic {
        let mut message = message_with_count(d);
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let related: Vec<DiagnosticRelatedInformation> = d
            .related
            .iter()
            .filter_map(|(label, span)| {
                Some(DiagnosticRelatedInformation {
                    location: self.location(span)?,
                    message: label.clone(),
                })
            })
            .collect();
        lsp_types::Diagnostic {
            range: self.range(&d.span),
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.as_str().into())),
            source: Some("monc".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            // The label and help, for quick fixes (code actions get the diagnostic back).
            data: Some(serde_json::json!({ "label": d.label, "help": d.help })),
            ..lsp_types::Diagnostic::default()
        }
    }
}
