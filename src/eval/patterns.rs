//! Terraform's regular-expression functions: `regex`, `regexall`, and `replace` with a
//! `/pattern/` substring. Terraform uses RE2 syntax, which the regex crate follows (both have
//! no look-around and no backreferences, so matching takes linear time).

use hcl::eval::FuncArgs;
use hcl::{Map, Value};
use regex::{Captures, Regex};

use super::functions::Args;

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        let why = e.to_string();
        let last = why.lines().last().unwrap_or_default().trim().to_string();
        format!("{pattern:?} is not a valid regular expression: {last}")
    })
}

/// What one match gives: the matched text without capture groups, a list of the groups, or an
/// object of the named groups (a group that took no part is null).
enum Shape {
    Whole,
    List,
    Named(Vec<String>),
}

fn shape(re: &Regex) -> Result<Shape, String> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return Ok(Shape::Whole);
    }
    match names.iter().filter(|n| n.is_some()).count() {
        0 => Ok(Shape::List),
        n if n == names.len() => Ok(Shape::Named(
            names.into_iter().flatten().map(String::from).collect(),
        )),
        _ => Err("the pattern must not mix named and unnamed capture groups".into()),
    }
}

fn result(shape: &Shape, captures: &Captures) -> Value {
    let group = |m: Option<regex::Match>| m.map_or(Value::Null, |m| m.as_str().into());
    match shape {
        Shape::Whole => group(captures.get(0)),
        Shape::List => Value::Array(captures.iter().skip(1).map(group).collect()),
        Shape::Named(names) => Value::Object(
            names
                .iter()
                .map(|name| (name.clone(), group(captures.name(name))))
                .collect::<Map<_, _>>(),
        ),
    }
}

pub(super) fn regex(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let re = compile(&a.string(0)?)?;
    let shape = shape(&re)?;
    let text = a.string(1)?;
    let captures = re
        .captures(&text)
        .ok_or_else(|| format!("the pattern has no match in {text:?}"))?;
    Ok(result(&shape, &captures))
}

pub(super) fn regexall(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let re = compile(&a.string(0)?)?;
    let shape = shape(&re)?;
    let text = a.string(1)?;
    let mut matches = Vec::new();
    let mut bytes = 0usize;
    for captures in re.captures_iter(&text) {
        // Every match, and every group of it, is a new string: count them as they come.
        bytes = captures
            .iter()
            .flatten()
            .fold(bytes, |total, m| total.saturating_add(m.len() + 8));
        super::text::fits(bytes)?;
        matches.push(result(&shape, &captures));
    }
    Ok(Value::Array(matches))
}

/// `replace(string, substring, replacement)`: a substring in slashes (`/w.*d/`) is a regular
/// expression, and the replacement may name its groups (`$1`, `${name}`).
pub(super) fn replace(a: FuncArgs) -> Result<Value, String> {
    a.arity(3)?;
    let (text, search, replacement) = (a.string(0)?, a.string(1)?, a.string(2)?);
    let pattern = search
        .strip_prefix('/')
        .and_then(|s| s.strip_suffix('/'))
        .filter(|_| search.len() > 1);
    match pattern {
        Some(pattern) => {
            let re = compile(pattern)?;
            fits_replaced(&text, re.find_iter(&text).count(), &replacement)?;
            Ok(re
                .replace_all(&text, replacement.as_str())
                .into_owned()
                .into())
        }
        None => {
            let count = match search.as_str() {
                // An empty substring matches before every character and at the end.
                "" => text.chars().count() + 1,
                _ => text.matches(search.as_str()).count(),
            };
            fits_replaced(&text, count, &replacement)?;
            Ok(text.replace(&search, &replacement).into())
        }
    }
}

/// `count` replacements by `replacement` (its `$n` references at most the whole text each).
fn fits_replaced(text: &str, count: usize, replacement: &str) -> Result<(), String> {
    let references = replacement.matches('$').count();
    let each = replacement
        .len()
        .saturating_add(references.saturating_mul(text.len()));
    super::text::fits(text.len().saturating_add(count.saturating_mul(each)))
}
