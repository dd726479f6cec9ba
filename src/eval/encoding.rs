//! Terraform's encoding functions: JSON, YAML, CSV, base64 and URL query encoding.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hcl::eval::FuncArgs;
use hcl::{Map, Value};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::functions::Args;

/// A value with every object's keys in lexical order, the only order Terraform's objects have.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        other => other.clone(),
    }
}

/// `jsonencode`: keys sorted, and `<`, `>`, `&`, U+2028, U+2029 escaped as Terraform does
/// (they appear only inside JSON strings, so replacing them in the text is safe).
pub(super) fn json_encode(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    let text = serde_json::to_string(&sorted(&a[0])).map_err(|e| e.to_string())?;
    let escaped = text
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    Ok(escaped.into())
}

pub(super) fn json_decode(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    serde_json::from_str(&a.string(0)?).map_err(|e| format!("argument 1 is not valid JSON: {e}"))
}

/// `yamlencode`: the same value as Terraform's, though Terraform quotes every string and
/// this leaves plain strings unquoted.
pub(super) fn yaml_encode(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    serde_norway::to_string(&sorted(&a[0]))
        .map(Value::from)
        .map_err(|e| e.to_string())
}

/// `yamldecode`: serde_norway refuses documents whose aliases expand without bound.
pub(super) fn yaml_decode(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    serde_norway::from_str(&a.string(0)?).map_err(|e| format!("argument 1 is not valid YAML: {e}"))
}

/// `csvdecode`: the first line names the columns; each other line becomes an object of
/// strings. Every line must have as many fields as the first.
pub(super) fn csv_decode(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    let text = a.string(0)?;
    let invalid = |e: csv::Error| format!("argument 1 is not valid CSV: {e}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(invalid)?.clone();
    if headers.is_empty() {
        return Err("argument 1 has no header line naming the columns".into());
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(invalid)?;
        let row: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect();
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

pub(super) fn base64_encode(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    Ok(STANDARD.encode(a.string(0)?).into())
}

pub(super) fn base64_decode(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    let bytes = STANDARD
        .decode(a.string(0)?)
        .map_err(|e| format!("argument 1 is not valid base64: {e}"))?;
    String::from_utf8(bytes)
        .map(Value::from)
        .map_err(|_| "the decoded bytes are not UTF-8 text".into())
}

/// Characters Go's `url.QueryEscape` (Terraform's `urlencode`) leaves as they are.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `urlencode`: a space becomes `+`, every other reserved byte `%XX`.
pub(super) fn url_encode(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    let text = a.string(0)?;
    let parts: Vec<String> = text
        .split(' ')
        .map(|part| utf8_percent_encode(part, QUERY).to_string())
        .collect();
    Ok(parts.join("+").into())
}
