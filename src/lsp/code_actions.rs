//! Quick fixes for diagnostics whose help is mechanical: "did you mean `x`?" replaces the
//! misspelt name with `x`; "add `y = ...` to the `vars` of tenant `t`" adds `y` to that
//! tenant's `vars`, with the value another tenant gives it as a start.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, TextEdit, Url, WorkspaceEdit};

use super::cursor::is_name_char;
use super::position::LineIndex;
use crate::Checked;

/// The quick fixes for the diagnostics the client sent back (monc's, with their help in `data`).
pub fn quick_fixes(
    uri: &Url,
    text: &str,
    diagnostics: &[lsp_types::Diagnostic],
    checked: Option<&Checked>,
) -> Vec<CodeActionOrCommand> {
    diagnostics
        .iter()
        .filter(|d| d.source.as_deref() == Some("monc"))
        .filter_map(|d| did_you_mean(uri, text, d).or_else(|| missing_var(uri, text, d, checked?)))
        .map(CodeActionOrCommand::CodeAction)
        .collect()
}

fn help_of(diagnostic: &lsp_types::Diagnostic) -> Option<&str> {
    diagnostic.data.as_ref()?.get("help")?.as_str()
}

fn quick_fix(
    uri: &Url,
    title: String,
    edit: TextEdit,
    diagnostic: &lsp_types::Diagnostic,
) -> CodeAction {
    let edit = WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
        ..WorkspaceEdit::default()
    };
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(edit),
        is_preferred: Some(true),
        ..CodeAction::default()
    }
}

fn did_you_mean(uri: &Url, text: &str, diagnostic: &lsp_types::Diagnostic) -> Option<CodeAction> {
    let help = help_of(diagnostic)?;
    let suggestion = help.strip_prefix("did you mean `")?.split('`').next()?;
    let index = LineIndex::new(text);
    let span = index.offset(diagnostic.range.start)..index.offset(diagnostic.range.end);
    let written = text.get(span.clone())?;
    // The misspelt name is the last name in the span (`monitor.x[…]` → `x`, `"x"` → `x`).
    let (start, end) = last_name(written, suggestion)?;
    let range = index.range(&(span.start + start..span.start + end));
    let edit = TextEdit::new(range, suggestion.to_string());
    Some(quick_fix(
        uri,
        format!("change to `{suggestion}`"),
        edit,
        diagnostic,
    ))
}

/// "add `key = ...` to the `vars` of tenant `name`" (or cluster), at the block the diagnostic
/// points into: `key = <another tenant's value>` in its `vars`, or a `vars` block with it.
fn missing_var(
    uri: &Url,
    text: &str,
    diagnostic: &lsp_types::Diagnostic,
    checked: &Checked,
) -> Option<CodeAction> {
    let help = help_of(diagnostic)?;
    // "add `key = ...` to the `vars` of tenant `t`" (an undeclared var a template uses) or
    // "add `key = <number>` to the `vars` of tenant `t`, or give ..." (a declared one).
    let (key, rest) = help.strip_prefix("add `")?.split_once(" = ")?;
    let (_, rest) = rest.split_once("` to the `vars` of ")?;
    let (kind, rest) = rest.split_once(" `")?;
    let owner = rest.split('`').next()?;
    let (example, value) = example_value(checked, kind, key)?;
    let index = LineIndex::new(text);
    // The diagnostic points at the block, or (a declared var) at its `vars`: the block is
    // the last `tenant "…"` (or cluster) header that starts at or before it.
    let at = index.offset(diagnostic.range.start);
    let opener = format!("{kind} \"");
    let until = (at + opener.len()).min(text.len());
    let header = text.get(..until)?.rfind(&opener).unwrap_or(at);
    let open = header + text.get(header..)?.find('{')?;
    let close = block_end(text, open)?;
    let (at, insert) = vars_insertion(text, open, close, &format!("{key} = {value}"))?;
    let position = index.position(at);
    let edit = TextEdit::new(lsp_types::Range::new(position, position), insert);
    let title =
        format!("add `{key} = {value}` to {kind} `{owner}` (the value of {kind} `{example}`)");
    Some(quick_fix(uri, title, edit, diagnostic))
}

/// The first other tenant's (cluster's) value of `key`, written as HCL.
fn example_value(checked: &Checked, kind: &str, key: &str) -> Option<(String, String)> {
    let model = &checked.model;
    let owners: Vec<(&str, &hcl::Value)> = match kind {
        "tenant" => model
            .tenants
            .iter()
            .map(|t| (t.name.value.as_str(), &t.value))
            .collect(),
        "cluster" => model
            .clusters
            .iter()
            .map(|c| (c.name.value.as_str(), &c.value))
            .collect(),
        _ => return None,
    };
    owners.into_iter().find_map(|(name, value)| {
        let value = value.as_object()?.get("vars")?.as_object()?.get(key)?;
        let written = hcl::format::to_string(&hcl::Expression::from(value.clone())).ok()?;
        Some((name.to_string(), written))
    })
}

/// Where and what to insert in the block `open..=close` so that its `vars` hold `entry`.
fn vars_insertion(text: &str, open: usize, close: usize, entry: &str) -> Option<(usize, String)> {
    let block = &text[open..close];
    let mut line_start = 0;
    for line in block.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let is_vars = trimmed
            .strip_prefix("vars")
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if is_vars && line.contains('{') {
            if let Some(inline_close) = line.rfind('}') {
                // `vars = { a = 1 }`: one more element before the brace.
                let at = open + line_start + line[..inline_close].trim_end().len();
                return Some((at, format!(", {entry}")));
            }
            return Some((
                open + line_start + line.len(),
                format!("{indent}  {entry}\n"),
            ));
        }
        line_start += line.len();
    }
    // No `vars` yet: one, after the block's header line.
    let after_header = open + block.find('\n')? + 1;
    Some((after_header, format!("  vars = {{\n    {entry}\n  }}\n")))
}

/// The offset of the `}` closing the `{` at `open` (strings and comments skipped).
fn block_end(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut chars = text[open..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if in_string => _ = chars.next(),
            '"' => in_string = !in_string,
            '\n' => in_string = false,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
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

    #[test]
    fn a_missing_var_goes_into_the_blocks_vars() {
        let insert = |text: &str| {
            let open = text.find('{').unwrap();
            let close = block_end(text, open).unwrap();
            let (at, what) = vars_insertion(text, open, close, "k = 1").unwrap();
            format!("{}{what}{}", &text[..at], &text[at..])
        };
        assert_eq!(
            insert("tenant \"a\" {\n  cluster = \"}\"\n  vars = {\n    s = 2\n  }\n}\n"),
            "tenant \"a\" {\n  cluster = \"}\"\n  vars = {\n    k = 1\n    s = 2\n  }\n}\n"
        );
        assert_eq!(
            insert("tenant \"a\" {\n  vars = { s = 2 }\n}\n"),
            "tenant \"a\" {\n  vars = { s = 2, k = 1 }\n}\n"
        );
        assert_eq!(
            insert("tenant \"a\" {\n  cluster = \"c\"\n}\n"),
            "tenant \"a\" {\n  vars = {\n    k = 1\n  }\n  cluster = \"c\"\n}\n"
        );
    }
}
