//! Terraform's number functions beyond rounding, and its type conversions.

use hcl::Value;
use hcl::eval::FuncArgs;

use super::functions::{Args, number};

/// `parseint(string, base)`: bases 2 to 62, digits `0-9a-zA-Z` (case-insensitive up to
/// base 36, as Go's `big.Int.SetString` that Terraform calls).
pub(super) fn parseint(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let text = a.string(0)?;
    let base = a.whole_number(1)?;
    if !(2..=62).contains(&base) {
        return Err(format!("the base must be between 2 and 62, got {base}"));
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let not_a_number = || format!("{text:?} is not a base {base} number");
    if digits.is_empty() {
        return Err(not_a_number());
    }
    let mut total: i128 = 0;
    for c in digits.chars() {
        let digit = digit_value(c, base).ok_or_else(not_a_number)?;
        total = total
            .checked_mul(i128::from(base))
            .and_then(|t| t.checked_add(i128::from(digit)))
            .filter(|t| *t < 1 << 53)
            .ok_or_else(|| format!("{text:?} is too large a number"))?;
    }
    Ok(Value::from(if negative { -total } else { total } as i64))
}

fn digit_value(c: char, base: i64) -> Option<u32> {
    let value = match c {
        '0'..='9' => c as u32 - '0' as u32,
        'a'..='z' => c as u32 - 'a' as u32 + 10,
        'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
        'A'..='Z' => c as u32 - 'A' as u32 + 36,
        _ => return None,
    };
    (i64::from(value) < base).then_some(value)
}

pub(super) fn log(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let (value, base) = (a.number(0)?, a.number(1)?);
    number(value.ln() / base.ln())
        .map_err(|_| format!("log({value}, {base}) is not a finite number"))
}

pub(super) fn signum(n: f64) -> Value {
    Value::from(if n > 0.0 {
        1
    } else if n < 0.0 {
        -1
    } else {
        0
    })
}

pub(super) fn to_bool(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    match &a[0] {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        _ => Err(a.wrong(0, "a boolean or a string holding one")),
    }
}

/// `type(value)`: the type as Terraform writes it (`string`, `tuple([number])`,
/// `object({a: bool})`).
pub(super) fn type_name(value: &Value) -> String {
    match value {
        Value::Null => "dynamic".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(items) => {
            let types: Vec<String> = items.iter().map(type_name).collect();
            format!("tuple([{}])", types.join(", "))
        }
        Value::Object(map) => {
            let mut fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", type_name(v)))
                .collect();
            fields.sort();
            format!("object({{{}}})", fields.join(", "))
        }
    }
}
