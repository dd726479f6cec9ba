//! Terraform's string functions that need more than one line.

use hcl::Value;
use hcl::eval::FuncArgs;

use super::functions::Args;

/// Indenting by more than this is a mistake (and would allocate without bound).
const MAX_INDENT: i64 = 1000;

/// `chomp`: every newline sequence at the end removed.
pub fn chomp(text: &str) -> &str {
    text.trim_end_matches(['\n', '\r'])
}

/// `indent(spaces, string)`: every line but the first starts with `spaces` spaces.
pub fn indent(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let spaces = a.whole_number(0)?;
    if !(0..=MAX_INDENT).contains(&spaces) {
        return Err(format!(
            "the number of spaces must be between 0 and {MAX_INDENT}, got {spaces}"
        ));
    }
    let pad = format!("\n{}", " ".repeat(spaces as usize));
    Ok(a.string(1)?.replace('\n', &pad).into())
}

pub fn strrev(text: &str) -> String {
    text.chars().rev().collect()
}
