//! The outline of a document: templates, pages, tenants, clusters and locals, read from the
//! document's own text (no check needed).

use hcl::edit::Span as _;
use hcl::edit::structure::{Block, Structure};
use lsp_types::{DocumentSymbol, SymbolKind};

use super::position::LineIndex;

/// The document's symbols; none while it does not parse.
pub fn document_symbols(text: &str) -> Vec<DocumentSymbol> {
    let Ok(body) = hcl::edit::parser::parse_body(text) else {
        return Vec::new();
    };
    let index = LineIndex::new(text);
    let mut symbols = Vec::new();
    for block in body.iter().filter_map(Structure::as_block) {
        match block.ident.as_str() {
            "locals" => symbols.extend(locals(block, &index)),
            ident => symbols.extend(labelled(block, ident, &index)),
        }
    }
    symbols
}

fn labelled(block: &Block, ident: &str, index: &LineIndex<'_>) -> Option<DocumentSymbol> {
    let kind = match ident {
        "monitor" => SymbolKind::CLASS,
        "page" => SymbolKind::INTERFACE,
        "tenant" => SymbolKind::OBJECT,
        "cluster" => SymbolKind::NAMESPACE,
        _ => return None,
    };
    let label = block.labels.first()?;
    symbol(
        label.as_str().to_string(),
        ident,
        kind,
        index,
        block.span()?,
        label.span()?,
    )
}

fn locals(block: &Block, index: &LineIndex<'_>) -> Vec<DocumentSymbol> {
    block
        .body
        .iter()
        .filter_map(Structure::as_attribute)
        .filter_map(|attr| {
            symbol(
                attr.key.as_str().to_string(),
                "local",
                SymbolKind::VARIABLE,
                index,
                attr.span()?,
                attr.key.span()?,
            )
        })
        .collect()
}

#[allow(
    deprecated,
    reason = "`deprecated` is a field every DocumentSymbol must set"
)]
fn symbol(
    name: String,
    detail: &str,
    kind: SymbolKind,
    index: &LineIndex<'_>,
    whole: std::ops::Range<usize>,
    name_span: std::ops::Range<usize>,
) -> Option<DocumentSymbol> {
    Some(DocumentSymbol {
        name,
        detail: Some(detail.to_string()),
        kind,
        tags: None,
        deprecated: None,
        range: index.range(&whole),
        selection_range: index.range(&name_span),
        children: None,
    })
}
