//! Per-monitor silencing, like ruff's `noqa`: `ignore = ["monc::…"]` in a `monitor` block drops
//! the diagnostics of those codes reported inside that block, for every monitor it stamps out.

use std::collections::HashSet;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::model::Model;

/// An `ignore` entry: the index of its template, and its place in the list.
type Entry = (usize, usize);

/// Drops the diagnostics that templates ignore, and reports the entries that silence nothing.
pub fn apply(model: &Model, diagnostics: &mut Diagnostics) {
    let mut used = HashSet::new();
    diagnostics.retain(|d| match silencing_entry(model, d) {
        Some(entry) => {
            used.insert(entry);
            false
        }
        None => true,
    });
    // An error can keep the checks an entry is meant for from running (a monitor that does not
    // compile is never checked), and then every entry would look unused.
    if !diagnostics.has_errors() {
        diagnostics.extend(unused_entries(model, &used));
    }
}

/// The entry that silences `d`: in the template whose block holds where `d` points.
fn silencing_entry(model: &Model, d: &Diagnostic) -> Option<Entry> {
    let (index, template) = model
        .templates
        .iter()
        .enumerate()
        .find(|(_, t)| contains(&t.span, &d.span))?;
    let position = template.ignore.iter().position(|c| c.value == d.code)?;
    Some((index, position))
}

fn contains(outer: &Span, inner: &Span) -> bool {
    outer.file == inner.file
        && outer.range.start <= inner.range.start
        && inner.range.end <= outer.range.end
}

fn unused_entries<'m>(
    model: &'m Model,
    used: &'m HashSet<Entry>,
) -> impl Iterator<Item = Diagnostic> + 'm {
    model
        .templates
        .iter()
        .enumerate()
        .flat_map(move |(t, template)| {
            template
                .ignore
                .iter()
                .enumerate()
                .filter(move |(i, _)| !used.contains(&(t, *i)))
                .map(move |(_, code)| unused(&template.name.value, code.value, code.span.clone()))
        })
}

fn unused(template: &str, code: Code, span: Span) -> Diagnostic {
    Diagnostic::warning(
        Code::UnusedIgnore,
        span,
        format!("`{code}` is ignored in `{template}`, which does not report it"),
    )
    .label("silences nothing")
    .help("remove it from `ignore`: left there, it would hide the next real problem of this kind")
}
