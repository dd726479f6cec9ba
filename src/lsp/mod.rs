//! `monc lsp`: monc's checks while typing, over the Language Server Protocol on stdio.
//!
//! Built on `lsp-server` + `lsp-types` (rust-analyzer's own transport and types): synchronous,
//! no async runtime; the checks run on one thread of their own (see [`checker`]).
//!
//! - [`server`]: the main loop (messages, documents, publishing, requests).
//! - [`documents`]: the open documents and the projects they are in.
//! - [`checker`]: `monc::check` on the unsaved buffers, debounced and cancelled by newer edits.
//! - [`diagnostics`]: monc's diagnostics as LSP diagnostics; [`code_actions`]: quick fixes.
//! - [`cursor`]: what is under the cursor; [`navigate`] (definition, references), [`hover`],
//!   [`completion`], [`formatting`] (`monc fmt`), [`symbols`] (document outline).

pub mod checker;
pub mod code_actions;
pub mod completion;
pub mod cursor;
pub mod diagnostics;
pub mod documents;
pub mod formatting;
pub mod hover;
pub mod navigate;
pub mod position;
pub mod server;
pub mod symbols;

use std::path::PathBuf;

use crate::Checked;

pub use server::serve;

/// Where a position request points: the document, the byte offset in it, and the last check
/// of its project (if one has completed).
pub struct At<'a> {
    pub path: PathBuf,
    pub text: &'a str,
    pub offset: usize,
    pub checked: Option<&'a Checked>,
    pub documents: &'a documents::Documents,
}

impl At<'_> {
    /// The current text of a project file: the open document's, else the one checked.
    pub fn text_of<'s>(&'s self, path: &std::path::Path, checked: &'s str) -> &'s str {
        self.documents.text(path).unwrap_or(checked)
    }
}
