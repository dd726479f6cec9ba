//! Completion: block and attribute names, templates after `monitor.`, tenants and clusters in
//! `[...]`, `tenant.vars.` keys, locals, functions, option and threshold names, monitor types.

use std::collections::BTreeSet;

use lsp_types::{CompletionItem, CompletionItemKind};

use super::At;
use super::cursor::{enclosing_blocks, floor_boundary, is_name_char, path_before};
use crate::Checked;
use crate::load::{
    CLUSTER_ATTRS, MONITOR_TYPES, PAGE_ATTRS, PROJECT_ATTRS, TEMPLATE_ATTRS, TENANT_ATTRS,
};
use crate::model::KNOWN_THRESHOLDS;
use crate::validate::KNOWN_OPTIONS;

/// Attributes of `tenant` and `cluster` in templates (`tenant.name`, `cluster.region`…).
const TENANT_FIELDS: &[&str] = &["name", "cluster", "notify", "tags", "vars"];
const CLUSTER_FIELDS: &[&str] = &["name", "region", "notify", "tags", "vars", "tenants"];

pub fn complete(at: &At<'_>) -> Vec<CompletionItem> {
    let offset = floor_boundary(at.text, at.offset);
    let start = offset
        - at.text[..offset]
            .chars()
            .rev()
            .take_while(|c| is_name_char(*c))
            .map(char::len_utf8)
            .sum::<usize>();
    let before = &at.text[..start];
    let path = path_before(at.text, start);
    if !path.is_empty() {
        return after_dot(&path, at.checked);
    }
    let line = before.rsplit('\n').next().unwrap_or("");
    if before.ends_with("[\"") || before.ends_with('[') {
        return instances(line, at.checked, !before.ends_with('"'));
    }
    if line.trim_start().starts_with("type") && line.contains('"') {
        return items(
            MONITOR_TYPES.iter().copied(),
            CompletionItemKind::ENUM_MEMBER,
        );
    }
    let blocks = enclosing_blocks(at.text, start);
    let at_line_start = line.trim().is_empty();
    match blocks.last().map(String::as_str) {
        Some("options") if at_line_start => {
            items(KNOWN_OPTIONS.iter().copied(), CompletionItemKind::PROPERTY)
        }
        Some("thresholds") if at_line_start => items(
            KNOWN_THRESHOLDS.iter().copied(),
            CompletionItemKind::PROPERTY,
        ),
        Some("vars") if at_line_start => match (blocks.first().map(String::as_str), at.checked) {
            // The keys other tenants (clusters) set, for a tenant being written.
            (Some("tenant"), Some(checked)) => {
                var_keys(checked.model.tenants.iter().map(|t| &t.value))
            }
            (Some("cluster"), Some(checked)) => {
                var_keys(checked.model.clusters.iter().map(|c| &c.value))
            }
            _ => Vec::new(),
        },
        Some(block) if at_line_start && blocks.len() == 1 => items(
            attributes(block).iter().copied(),
            CompletionItemKind::PROPERTY,
        ),
        None if at_line_start => top_level(at),
        _ => expressions(at.checked),
    }
}

fn after_dot(path: &[&str], checked: Option<&Checked>) -> Vec<CompletionItem> {
    let Some(checked) = checked else {
        return match path {
            ["tenant"] => items(TENANT_FIELDS.iter().copied(), CompletionItemKind::FIELD),
            ["cluster"] => items(CLUSTER_FIELDS.iter().copied(), CompletionItemKind::FIELD),
            _ => Vec::new(),
        };
    };
    let model = &checked.model;
    match path {
        ["monitor"] => items(
            model.templates.iter().map(|t| t.name.value.as_str()),
            CompletionItemKind::REFERENCE,
        ),
        ["local"] => items(
            model.locals.values.keys().map(String::as_str),
            CompletionItemKind::VARIABLE,
        ),
        ["tenant"] => items(TENANT_FIELDS.iter().copied(), CompletionItemKind::FIELD),
        ["cluster"] => items(CLUSTER_FIELDS.iter().copied(), CompletionItemKind::FIELD),
        ["tenant", "vars"] => var_keys(model.tenants.iter().map(|t| &t.value)),
        ["cluster", "vars"] => var_keys(model.clusters.iter().map(|c| &c.value)),
        _ => Vec::new(),
    }
}

/// Every key of the `vars` of these tenants (clusters).
fn var_keys<'v>(values: impl Iterator<Item = &'v hcl::Value>) -> Vec<CompletionItem> {
    let keys: BTreeSet<&str> = values
        .filter_map(|value| value.as_object()?.get("vars")?.as_object())
        .flat_map(|vars| vars.keys().map(String::as_str))
        .collect();
    items(keys.into_iter(), CompletionItemKind::FIELD)
}

/// Inside `monitor.x[`: the tenants and clusters by name (quoted unless the quote is typed),
/// and `tenant.cluster`.
fn instances(line: &str, checked: Option<&Checked>, quote: bool) -> Vec<CompletionItem> {
    let Some(checked) = checked else {
        return Vec::new();
    };
    let names = checked
        .model
        .tenants
        .iter()
        .map(|t| t.name.value.as_str())
        .chain(checked.model.clusters.iter().map(|c| c.name.value.as_str()));
    let mut list: Vec<CompletionItem> = names
        .map(|name| CompletionItem {
            label: name.to_string(),
            kind: Some(CompletionItemKind::VALUE),
            insert_text: quote.then(|| format!("\"{name}\"")),
            ..CompletionItem::default()
        })
        .collect();
    if quote && line.contains("monitor.") {
        list.extend(items(
            ["tenant.cluster"].into_iter(),
            CompletionItemKind::VARIABLE,
        ));
    }
    list
}

fn attributes(block: &str) -> &'static [&'static str] {
    match block {
        "monitor" => TEMPLATE_ATTRS,
        "page" => PAGE_ATTRS,
        "tenant" => TENANT_ATTRS,
        "cluster" => CLUSTER_ATTRS,
        "moved" => &["from", "to"],
        _ => &[],
    }
}

/// Blocks at the top of a file, by which file it is.
fn top_level(at: &At<'_>) -> Vec<CompletionItem> {
    let in_dir = |name: &str| {
        at.path
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == name)
            || at.path.file_stem().is_some_and(|n| n == name)
    };
    let (blocks, attrs): (&[&str], &[&str]) = if in_dir("monitors") {
        (&["monitor", "page", "moved", "locals"], &[])
    } else if in_dir("tenants") {
        (&["tenant", "cluster", "locals"], &[])
    } else {
        (&["locals"], PROJECT_ATTRS)
    };
    let mut list = items(blocks.iter().copied(), CompletionItemKind::KEYWORD);
    list.extend(items(attrs.iter().copied(), CompletionItemKind::PROPERTY));
    list
}

/// In an expression: the roots of references, locals and functions.
fn expressions(checked: Option<&Checked>) -> Vec<CompletionItem> {
    let mut list = items(
        [
            "monitor", "tenant", "cluster", "local", "tenants", "clusters",
        ]
        .into_iter(),
        CompletionItemKind::KEYWORD,
    );
    list.extend(crate::eval::function_names().map(|name| CompletionItem {
        label: name.to_string(),
        kind: Some(CompletionItemKind::FUNCTION),
        detail: crate::eval::signature(name).map(str::to_string),
        ..CompletionItem::default()
    }));
    if let Some(checked) = checked {
        list.extend(
            items(
                checked.model.locals.values.keys().map(|k| k.as_str()),
                CompletionItemKind::VARIABLE,
            )
            .into_iter()
            .map(|mut item| {
                item.insert_text = Some(format!("local.{}", item.label));
                item.label = format!("local.{}", item.label);
                item
            }),
        );
    }
    list
}

fn items<'a>(
    labels: impl Iterator<Item = &'a str>,
    kind: CompletionItemKind,
) -> Vec<CompletionItem> {
    labels
        .map(|label| CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            ..CompletionItem::default()
        })
        .collect()
}
