//! `ignore = ["monc::..."]` of a template: the codes silenced inside it.

use hcl::edit::Span as _;
use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::Attribute;

use super::Loader;
use crate::diagnostic::{Code, Diagnostic, FileId, Span, Spanned, suggestion_help};

impl Loader {
    /// `ignore = ["monc::no-data-suppressor", ...]`. An entry that names no code, or a code that
    /// cannot be ignored, is reported and left out; the template itself is fine.
    pub(super) fn ignored_codes(
        &mut self,
        id: FileId,
        attr: Option<&Attribute>,
    ) -> Vec<Spanned<Code>> {
        let Some(attr) = attr else {
            return Vec::new();
        };
        let EditExpr::Array(items) = &attr.value else {
            self.error(
                Diagnostic::error(
                    Code::WrongType,
                    self.span(id, attr.value.span()),
                    "`ignore` must be a list of diagnostic codes",
                )
                .label("expected a list")
                .help("write e.g. `ignore = [\"monc::no-data-suppressor\"]`"),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.ignored_code(id, item))
            .collect()
    }

    pub(super) fn ignored_code(&mut self, id: FileId, item: &EditExpr) -> Option<Spanned<Code>> {
        let span = self.span(id, item.span());
        let EditExpr::String(text) = item else {
            self.error(
                Diagnostic::error(
                    Code::WrongType,
                    span,
                    "an `ignore` entry must be a quoted code",
                )
                .label("expected a string")
                .help("write the code as monc reports it, e.g. `\"monc::duplicate-name\"`"),
            );
            return None;
        };
        let text = text.value().as_str();
        match Code::parse(text) {
            Some(code) if code.can_be_ignored() => Some(Spanned { value: code, span }),
            Some(code) => {
                self.error(cannot_be_ignored(code, span));
                None
            }
            None => {
                self.error(unknown_code(text, span));
                None
            }
        }
    }
}

pub(super) fn cannot_be_ignored(code: Code, span: Span) -> Diagnostic {
    let ignorable: Vec<&str> = Code::ignorable().map(Code::as_str).collect();
    Diagnostic::error(
        Code::InvalidIgnore,
        span,
        format!("`{code}` cannot be ignored"),
    )
    .label("always reported")
    .help(format!(
        "only checks of monc's own judgement can be ignored ({}); fix this one instead",
        ignorable.join(", ")
    ))
}

pub(super) fn unknown_code(text: &str, span: Span) -> Diagnostic {
    let ignorable = Code::ignorable().map(Code::as_str);
    Diagnostic::error(
        Code::InvalidIgnore,
        span,
        format!("unknown diagnostic code `{text}`"),
    )
    .label("not a monc code")
    .help(suggestion_help(text, "ignorable code", ignorable))
}
