//! Quick fixes for diagnostics whose help is mechanical: "did you mean `x`?" replaces the
//! misspelt name with `x`.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, TextEdit, Url, WorkspaceEdit};

use super::cursor::is_name_char;
use super::position::LineIndex;

/// The quick fixes for the diagnostics the client sent back (monc's, with their help in `data`).
pub fn quick_fixes(
    uri: &Url,
    text: &str,
    diagnostics: &[lsp_types::Diagnostic],
) -> Vec<CodeActionOrCommand> {
    diagnostics
        .iter()
        .filter(|d| d.source.as_deref() == Some("monc"))
        .filter_map(|d| did_you_mean(uri, text, d))
        .map(CodeActionOrCommand::CodeAction)
        .collect()
}

fn did_you_mean(uri: &Url, text: &str, diagnostic: &lsp_types::Diagnostic) -> Option<CodeAction> {
    let help = diagnostic.data.as_ref()?.get("help")?.as_str()?;
    let suggestion = help.strip_prefix("did you mean `")?.split('`').next()?;
    let index = LineIndex::new(text);
    let span = index.offset(diagnostic.range.start)..index.offset(diagnostic.range.end);
    let written = text.get(span.clone())?;
    // The misspelt name is the last name in the span (`monitor.x[…]` → `x`, `"x"` → `x`).
    let (start, end) = last_name(written, suggestion)?;
    let range = index.range(&(span.start + start..span.start + end));
    let edit = WorkspaceEdit {
        changes: Some(HashMap::from([(
            uri.clone(),
            vec![TextEdit::new(range, suggestion.to_string())],
        )])),
        ..WorkspaceEdit::default()
    };
    Some(CodeAction {
        title: format!("change to `{suggestion}`"),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(edit),
        is_preferred: Some(true),
        ..CodeAction::default()
    })
}

/// Where the name to replace is in the diagnostic's text: the one most like the suggestion.
fn last_name(written: &str, suggestion: &str) -> Option<(usize, usize)> {
    let mut names = Vec::new();
    let mut start = None;
    for (i, c) in written
        .char_indices()
        .chain(std::iter::once((written.len(), ' ')))
    {
        match (is_name_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                names.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    // As close as `did_you_mean` requires: otherwise the misspelt name is not in the span
    // (`monitor.x[tenant.cluster]` naming a cluster that is missing), and there is no fix.
    let score = |&(s, e): &(usize, usize)| strsim::jaro_winkler(&written[s..e], suggestion);
    names
        .into_iter()
        .filter(|&(s, e)| &written[s..e] != suggestion)
        .filter(|name| {
            score(name) > 0.8 || written[name.0..name.1].eq_ignore_ascii_case(suggestion)
        })
        .max_by(|a, b| score(a).total_cmp(&score(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_most_like_the_suggestion_is_replaced() {
        assert_eq!(
            last_name("monitor.alb_5x[tenant.cluster]", "alb_5xx"),
            Some((8, 14))
        );
        assert_eq!(last_name("suppresed_by", "suppressed_by"), Some((0, 12)));
        assert_eq!(last_name("\"l3\"", "L3"), Some((1, 3)));
        assert_eq!(last_name("monitor.x[tenant.cluster]", "prod-tokyo-9"), None);
    }
}
