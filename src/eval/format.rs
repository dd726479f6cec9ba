//! Terraform's `format` and `formatlist`: printf-style verbs (`%s %d %05.2f %q %v %#v %t %x`),
//! flags `-+# 0`, width, precision and `%[n]v` argument indices. Each verb converts its value
//! as Terraform does (a string holding a number formats with `%d`); an impossible conversion,
//! a missing or unused argument and an unknown verb are errors.

use hcl::Value;

use super::functions::short;
use super::{check_result_size, describe_value};

/// One `%...` directive of a spec.
#[derive(Default)]
struct Directive {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
    /// One-based argument index from `[n]`.
    index: Option<usize>,
    verb: char,
}

/// Widths and precisions beyond this are mistakes (and would allocate without bound).
const MAX_WIDTH: usize = 1000;

pub(super) fn format(spec: &str, values: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = 0usize;
    let mut used = vec![false; values.len()];
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let directive = parse_directive(&mut chars)?;
        if directive.verb == '%' {
            out.push('%');
            continue;
        }
        let position = directive.index.map_or(next, |n| n - 1);
        let value = values.get(position).ok_or_else(|| {
            format!(
                "`%{}` has no value: the spec asks for more values than the {} given",
                directive.verb,
                values.len()
            )
        })?;
        used[position] = true;
        next = position + 1;
        out.push_str(&render(&directive, value)?);
        check_result_size(out.len())?;
    }
    if let Some(unused) = used.iter().position(|u| !u) {
        return Err(format!(
            "argument {} ({}) is not used: the spec has no `%` verb left for it",
            unused + 2,
            short(&values[unused])
        ));
    }
    Ok(out)
}

/// `formatlist`: `format` once per element of the list arguments (which must all have the same
/// length); other arguments are repeated.
pub(super) fn format_list(spec: &str, values: &[Value]) -> Result<Value, String> {
    let mut length: Option<(usize, usize)> = None;
    for (index, value) in values.iter().enumerate() {
        if let Value::Array(items) = value {
            match length {
                Some((first, len)) if len != items.len() => {
                    return Err(format!(
                        "argument {} has {} elements, but argument {} has {len}: lists must have the same length",
                        index + 2,
                        items.len(),
                        first + 2
                    ));
                }
                Some(_) => {}
                None => length = Some((index, items.len())),
            }
        }
    }
    let rows = length.map_or(1, |(_, len)| len);
    let mut results = Vec::with_capacity(rows);
    let mut size = 0usize;
    for row in 0..rows {
        let row_values: Vec<Value> = values
            .iter()
            .map(|v| match v {
                Value::Array(items) => items[row].clone(),
                other => other.clone(),
            })
            .collect();
        let line = format(spec, &row_values)?;
        size += line.len() + 8;
        check_result_size(size)?;
        results.push(Value::from(line));
    }
    Ok(Value::Array(results))
}

fn parse_directive(chars: &mut std::iter::Peekable<std::str::Chars>) -> Result<Directive, String> {
    let mut d = Directive::default();
    while let Some(&c) = chars.peek() {
        match c {
            '-' => d.minus = true,
            '+' => d.plus = true,
            '#' => d.sharp = true,
            '0' => d.zero = true,
            ' ' => d.space = true,
            _ => break,
        }
        chars.next();
    }
    d.width = digits(chars);
    if chars.peek() == Some(&'.') {
        chars.next();
        d.precision = Some(digits(chars).unwrap_or(0));
    }
    if chars.peek() == Some(&'[') {
        chars.next();
        let index = digits(chars).filter(|n| *n > 0);
        if chars.next() != Some(']') || index.is_none() {
            return Err(
                "`%[` must be followed by an argument number and `]`, as in `%[1]s`".into(),
            );
        }
        d.index = index;
    }
    if d.width.max(d.precision).is_some_and(|n| n > MAX_WIDTH) {
        return Err(format!(
            "a width or precision over {MAX_WIDTH} makes a text nobody can read"
        ));
    }
    d.verb = chars
        .next()
        .ok_or("the spec ends with `%`; write `%%` for a percent sign")?;
    Ok(d)
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<usize> {
    let mut text = String::new();
    while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit()) {
        text.push(c);
        chars.next();
    }
    text.parse().ok()
}

fn render(d: &Directive, value: &Value) -> Result<String, String> {
    let cannot = |what: &str| {
        format!(
            "`%{}` needs {what}, got {} ({})",
            d.verb,
            describe_value(value),
            short(value)
        )
    };
    let body = match d.verb {
        'v' if d.sharp => json(value),
        'v' => match value {
            Value::String(s) => s.clone(),
            Value::Array(_) | Value::Object(_) => json(value),
            other => other.to_string(),
        },
        's' => truncate(
            &as_text(value).ok_or_else(|| cannot("a string"))?,
            d.precision,
        ),
        'q' => json(&Value::from(
            as_text(value).ok_or_else(|| cannot("a string"))?,
        )),
        't' => match value {
            Value::Bool(b) => b.to_string(),
            Value::String(s) if s == "true" || s == "false" => s.clone(),
            _ => return Err(cannot("a boolean")),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = as_number(value)
                .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
                .ok_or_else(|| cannot("a whole number"))? as i64;
            signed(d, n < 0, &integer(d.verb, n.unsigned_abs()))
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let n = as_number(value).ok_or_else(|| cannot("a number"))?;
            signed(d, n.is_sign_negative() && n != 0.0, &float(d, n.abs()))
        }
        other => {
            return Err(format!(
                "`%{other}` is not a format verb; use %s, %d, %f, %q, %t, %v, %#v, %x, %e or %g"
            ));
        }
    };
    Ok(pad(d, body))
}

/// A value as `%s` and `%q` read it: strings, and numbers and booleans converted.
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

fn json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn truncate(text: &str, precision: Option<usize>) -> String {
    match precision {
        Some(p) => text.chars().take(p).collect(),
        None => text.to_string(),
    }
}

fn integer(verb: char, n: u64) -> String {
    match verb {
        'b' => format!("{n:b}"),
        'o' => format!("{n:o}"),
        'x' => format!("{n:x}"),
        'X' => format!("{n:X}"),
        _ => n.to_string(),
    }
}

fn float(d: &Directive, n: f64) -> String {
    let precision = d.precision.unwrap_or(6);
    match d.verb {
        'e' => exponent(format!("{n:.precision$e}")),
        'E' => exponent(format!("{n:.precision$e}")).to_uppercase(),
        'g' | 'G' => {
            // The precision of `%g` counts significant digits.
            let text = match d.precision {
                Some(p) => format!("{:.*e}", p.max(1) - 1, n)
                    .parse::<f64>()
                    .map_or_else(|_| n.to_string(), |r| r.to_string()),
                None => n.to_string(),
            };
            if d.verb == 'G' {
                text.to_uppercase()
            } else {
                text
            }
        }
        _ => format!("{n:.precision$}"),
    }
}

/// Rust writes `1.5e2`; printf (and so Terraform) writes `1.5e+02`.
fn exponent(text: String) -> String {
    let Some((mantissa, exp)) = text.split_once('e') else {
        return text;
    };
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exp),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

fn signed(d: &Directive, negative: bool, digits: &str) -> String {
    let sign = if negative {
        "-"
    } else if d.plus {
        "+"
    } else if d.space {
        " "
    } else {
        ""
    };
    let width = d.width.unwrap_or(0);
    if d.zero && !d.minus && sign.len() + digits.len() < width {
        let zeros = "0".repeat(width - sign.len() - digits.len());
        return format!("{sign}{zeros}{digits}");
    }
    format!("{sign}{digits}")
}

fn pad(d: &Directive, body: String) -> String {
    let width = d.width.unwrap_or(0);
    let len = body.chars().count();
    if len >= width {
        return body;
    }
    let fill = " ".repeat(width - len);
    if d.minus { body + &fill } else { fill + &body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(spec: &str, values: &[Value]) -> String {
        format(spec, values).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    #[test]
    fn the_verbs_of_terraforms_documentation() {
        assert_eq!(f("Hello, %s!", &["Ander".into()]), "Hello, Ander!");
        assert_eq!(f("There are %d lights", &[4.into()]), "There are 4 lights");
        assert_eq!(f("%#v", &["hello".into()]), "\"hello\"");
        assert_eq!(f("%#v", &[true.into()]), "true");
        assert_eq!(f("%#v", &[Value::Null]), "null");
        assert_eq!(f("%v %v", &["a".into(), 1.5.into()]), "a 1.5");
        assert_eq!(f("%t", &[false.into()]), "false");
        assert_eq!(
            f("%b %o %x %X", &[5.into(), 8.into(), 255.into(), 255.into()]),
            "101 10 ff FF"
        );
        assert_eq!(f("%q", &["x\"y".into()]), "\"x\\\"y\"");
        assert_eq!(f("%.2f%%", &[12.3456.into()]), "12.35%");
        assert_eq!(f("%e", &[1500.into()]), "1.500000e+03");
        assert_eq!(f("%%", &[]), "%");
    }

    #[test]
    fn flags_width_precision_and_indices() {
        assert_eq!(f("%03d", &[7.into()]), "007");
        assert_eq!(f("%+d", &[7.into()]), "+7");
        assert_eq!(f("%-5s|", &["ab".into()]), "ab   |");
        assert_eq!(f("%5s|", &["ab".into()]), "   ab|");
        assert_eq!(f("%.3s", &["abcdef".into()]), "abc");
        assert_eq!(f("%06.2f", &[(-1.5).into()]), "-01.50");
        assert_eq!(f("%[2]s %[1]s", &["a".into(), "b".into()]), "b a");
        assert_eq!(f("%d", &["42".into()]), "42");
    }

    #[test]
    fn impossible_conversions_and_miscounted_values_are_errors() {
        let err = |spec: &str, values: &[Value]| format(spec, values).unwrap_err();
        assert!(err("%d", &["x".into()]).contains("`%d` needs a whole number, got a string"));
        assert!(err("%d", &[1.5.into()]).contains("whole number"));
        assert!(err("%s %s", &["a".into()]).contains("more values than the 1 given"));
        assert!(err("%s", &["a".into(), "b".into()]).contains("argument 3 (\"b\") is not used"));
        assert!(err("%y", &[1.into()]).contains("`%y` is not a format verb"));
        assert!(err("%s", &[Value::Array(vec![])]).contains("needs a string, got a list"));
        assert!(err("%999999999d", &[1.into()]).contains("width or precision over 1000"));
        assert!(err("%.999999999f", &[1.into()]).contains("width or precision over 1000"));
    }

    #[test]
    fn formatlist_zips_lists_and_repeats_scalars() {
        let names = Value::Array(vec!["Valentina".into(), "Ander".into()]);
        assert_eq!(
            format_list("%s, %s!", &["Hello".into(), names]).expect("formats"),
            Value::Array(vec!["Hello, Valentina!".into(), "Hello, Ander!".into()])
        );
        let short = Value::Array(vec!["a".into()]);
        let long = Value::Array(vec!["a".into(), "b".into()]);
        let error = format_list("%s%s", &[short, long]).unwrap_err();
        assert!(error.contains("same length"), "{error}");
        assert_eq!(
            format_list("%s", &["x".into()]).expect("formats"),
            Value::Array(vec!["x".into()])
        );
    }
}
