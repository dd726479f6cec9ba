//! Go to definition and find references, from the last check of the project.

use lsp_types::{Location, Url};

use super::At;
use super::cursor::{Target, is_name_char, target_at};
use super::diagnostics::Converter;
use super::position::LineIndex;
use crate::Checked;
use crate::diagnostic::Span;

/// Where what the cursor names is defined: a template, a tenant or cluster (an instance
/// index), each tenant's (cluster's) definition of a var, a local.
pub fn definition(at: &At<'_>) -> Vec<Location> {
    let (Some(target), Some(checked)) = (target_at(at.text, at.offset), at.checked) else {
        return Vec::new();
    };
    let mut converter = Converter::new(&checked.model.sources);
    definitions(&target, checked)
        .iter()
        .filter_map(|span| converter.location(span))
        .collect()
}

/// The spans that define `target`.
pub fn definitions(target: &Target, checked: &Checked) -> Vec<Span> {
    let model = &checked.model;
    let tenant = |name: &str| model.tenants.iter().find(|t| t.name.value == name);
    let cluster = |name: &str| model.clusters.iter().find(|c| c.name.value == name);
    match target {
        Target::Template(name) => template_span(checked, name).into_iter().collect(),
        Target::Instance { index, .. } | Target::Name(index) => tenant(index)
            .map(|t| t.name.span.clone())
            .or_else(|| cluster(index).map(|c| c.name.span.clone()))
            .into_iter()
            .collect(),
        Target::Tenant(name) => tenant(name)
            .map(|t| t.name.span.clone())
            .into_iter()
            .collect(),
        Target::Cluster(name) => cluster(name)
            .map(|c| c.name.span.clone())
            .into_iter()
            .collect(),
        Target::TenantAttr(_) => model.tenants.iter().map(|t| t.name.span.clone()).collect(),
        Target::ClusterAttr(_) => model.clusters.iter().map(|c| c.name.span.clone()).collect(),
        Target::TenantVar(var) => {
            let blocks = model.tenants.iter().map(|t| &t.name.span);
            blocks
                .filter_map(|span| var_in_block(checked, span, var))
                .collect()
        }
        Target::ClusterVar(var) => {
            let blocks = model.clusters.iter().map(|c| &c.name.span);
            blocks
                .filter_map(|span| var_in_block(checked, span, var))
                .collect()
        }
        Target::Local(name) => model
            .locals
            .defined
            .iter()
            .filter(|local| local.value == *name)
            .map(|local| local.span.clone())
            .collect(),
        Target::Function(_) => Vec::new(),
    }
}

pub fn template_span(checked: &Checked, name: &str) -> Option<Span> {
    let template = checked
        .model
        .templates
        .iter()
        .find(|t| t.name.value == name)?;
    Some(template.name.span.clone())
}

/// `var = ` inside the block whose name is at `name` (up to the next top-level block).
fn var_in_block(checked: &Checked, name: &Span, var: &str) -> Option<Span> {
    let text = &checked.model.sources.file(name.file).text;
    let block = &text[name.range.end.min(text.len())..];
    let block_end = block.find("\n}").map_or(block.len(), |i| i + 2);
    let found = find_names(&block[..block_end], var)
        .find(|&i| block[i + var.len()..].trim_start().starts_with('='))?;
    let start = name.range.end + found;
    Some(Span::new(name.file, start..start + var.len()))
}

/// Every place that names what the cursor names: a template (`monitor.x`), a tenant or a
/// cluster (its quoted name), a local (`local.z`), a var (`tenant.vars.y`), with its definition.
pub fn references(at: &At<'_>) -> Vec<Location> {
    let (Some(target), Some(checked)) = (target_at(at.text, at.offset), at.checked) else {
        return Vec::new();
    };
    let (prefix, name, suffix) = match &target {
        Target::Template(name) => ("monitor.", name, ""),
        Target::Local(name) => ("local.", name, ""),
        Target::TenantVar(name) => ("tenant.vars.", name, ""),
        Target::ClusterVar(name) => ("cluster.vars.", name, ""),
        Target::Tenant(name)
        | Target::Cluster(name)
        | Target::Name(name)
        | Target::Instance { index: name, .. } => ("\"", name, "\""),
        _ => return Vec::new(),
    };
    let mut locations = Vec::new();
    let sources = &checked.model.sources;
    for file in sources.files() {
        let text = at.text_of(&file.path, &file.text);
        let Ok(uri) = Url::from_file_path(&file.path) else {
            continue;
        };
        let index = LineIndex::new(text);
        locations.extend(
            occurrences(text, prefix, name, suffix)
                .into_iter()
                .map(|range| Location::new(uri.clone(), index.range(&range))),
        );
    }
    // Template and local definitions are not written with their prefix: add them.
    if matches!(target, Target::Template(_) | Target::Local(_)) {
        let mut converter = Converter::new(sources);
        locations.extend(
            definitions(&target, checked)
                .iter()
                .filter_map(|span| converter.location(span)),
        );
    }
    locations
}

/// The byte ranges of `name` where it is written as `prefix name suffix`, whole.
fn occurrences(text: &str, prefix: &str, name: &str, suffix: &str) -> Vec<std::ops::Range<usize>> {
    let pattern = format!("{prefix}{name}{suffix}");
    let needs_word_start = prefix.chars().next().is_none_or(is_name_char);
    text.match_indices(&pattern)
        .filter_map(|(i, _)| {
            let before_ok = !needs_word_start
                || !text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| is_name_char(c) || c == '.');
            let end = i + pattern.len();
            let after_ok = !text[end..].chars().next().is_some_and(is_name_char);
            let start = i + prefix.len();
            (before_ok && after_ok).then_some(start..start + name.len())
        })
        .collect()
}

/// Offsets where `name` is written as a whole word.
fn find_names(text: &str, name: &str) -> impl Iterator<Item = usize> {
    occurrences(text, "", name, "").into_iter().map(|r| r.start)
}
