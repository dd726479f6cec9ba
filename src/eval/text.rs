//! Terraform's string functions that need more than one line.

use hcl::Value;
use hcl::eval::FuncArgs;

use super::functions::Args;

/// Refuses a result of `bytes` bytes (an estimate from the arguments) above the one limit on
/// evaluated values ([`super::MAX_VALUE_BYTES`]), before it is built: a call must not turn a few
/// kilobytes into gigabytes.
pub(super) fn fits(bytes: usize) -> Result<(), String> {
    super::check_result_size(bytes)
}

/// Indenting by more than this is a mistake (and would allocate without bound).
const MAX_INDENT: i64 = 1000;

/// `chomp`: every newline sequence at the end removed.
pub(super) fn chomp(text: &str) -> &str {
    text.trim_end_matches(['\n', '\r'])
}

/// `indent(spaces, string)`: every line but the first starts with `spaces` spaces.
pub(super) fn indent(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let spaces = a.whole_number(0)?;
    if !(0..=MAX_INDENT).contains(&spaces) {
        return Err(format!(
            "the number of spaces must be between 0 and {MAX_INDENT}, got {spaces}"
        ));
    }
    let text = a.string(1)?;
    let lines = text.matches('\n').count();
    fits(
        text.len()
            .saturating_add(lines.saturating_mul(spaces as usize)),
    )?;
    let pad = format!("\n{}", " ".repeat(spaces as usize));
    Ok(text.replace('\n', &pad).into())
}

pub(super) fn strrev(text: &str) -> String {
    text.chars().rev().collect()
}
