//! Formatting a whole document with `monc fmt`'s layout; the editor applies the edit (monc
//! writes nothing).

use lsp_types::{Position, Range, TextEdit};

use super::position::LineIndex;
use crate::layout::format_hcl;

/// One edit replacing the document with its formatted text; none when it is formatted; an
/// error (the document is left alone) when it cannot be formatted, e.g. a syntax error.
pub fn format(text: &str) -> Result<Vec<TextEdit>, String> {
    let formatted = format_hcl(text).map_err(|e| format!("monc fmt: {e}"))?;
    if formatted == text {
        return Ok(Vec::new());
    }
    let end = LineIndex::new(text).position(text.len());
    Ok(vec![TextEdit::new(
        Range::new(Position::new(0, 0), end),
        formatted,
    )])
}
