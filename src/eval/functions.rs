//! The function library, with Terraform's semantics: a Terraform user's `floor(x)`,
//! `lookup(m, k, d)` or `format("%03d", n)` means here what it means there.
//!
//! Every function takes its arguments unchecked and checks them itself, so that a wrong call
//! says which function, what it takes and what it got (hcl-rs's own checks speak of "position
//! 0" and types by their Rust names).
//!
//! The file is long for one reason: it is the table of every function (name, signature, body
//! glue), one entry each, so that the list a user reads in docs/language.md is one place here;
//! the bodies live by kind in `collections`, `text`, `numbers`, `encoding`, `files`, `hashes`
//! and `patterns`, and a third of the file is the tests of Terraform's documented examples.

use hcl::eval::{Func, FuncArgs};
use hcl::{Map, Value};

use super::format::{format, format_list};
use super::{
    check_result_size, collections, describe_value, encoding, files, hashes, numbers, patterns,
    text,
};

/// A function: its name, how it is called (for messages), and its body.
pub(super) struct Function {
    pub name: &'static str,
    pub signature: &'static str,
    pub body: Func,
}

/// Every function, in the order docs/language.md lists them.
pub(super) const FUNCTIONS: &[Function] = &[
    // strings
    f("lower", "lower(string)", |a| {
        a.arity(1)?;
        Ok(a.string(0)?.to_lowercase().into())
    }),
    f("upper", "upper(string)", |a| {
        a.arity(1)?;
        Ok(a.string(0)?.to_uppercase().into())
    }),
    f("title", "title(string)", |a| {
        a.arity(1)?;
        Ok(title(&a.string(0)?).into())
    }),
    f("trimspace", "trimspace(string)", |a| {
        a.arity(1)?;
        Ok(a.string(0)?.trim().into())
    }),
    f("trim", "trim(string, characters)", |a| {
        a.arity(2)?;
        let cut: Vec<char> = a.string(1)?.chars().collect();
        Ok(a.string(0)?.trim_matches(cut.as_slice()).into())
    }),
    f(
        "replace",
        "replace(string, substring or /regex/, replacement)",
        patterns::replace,
    ),
    f("regex", "regex(pattern, string)", patterns::regex),
    f("regexall", "regexall(pattern, string)", patterns::regexall),
    f("split", "split(separator, string)", split),
    f("join", "join(separator, list)", join),
    f("substr", "substr(string, offset, length)", substr),
    f("startswith", "startswith(string, prefix)", |a| {
        a.arity(2)?;
        Ok(a.string(0)?.starts_with(&a.string(1)?).into())
    }),
    f("endswith", "endswith(string, suffix)", |a| {
        a.arity(2)?;
        Ok(a.string(0)?.ends_with(&a.string(1)?).into())
    }),
    f("format", "format(spec, values...)", |a| {
        a.at_least(1)?;
        Ok(format(&a.string(0)?, &a[1..])?.into())
    }),
    f("formatlist", "formatlist(spec, values...)", |a| {
        a.at_least(1)?;
        format_list(&a.string(0)?, &a[1..])
    }),
    f("trimprefix", "trimprefix(string, prefix)", |a| {
        a.arity(2)?;
        let text = a.string(0)?;
        Ok(text.strip_prefix(&a.string(1)?).unwrap_or(&text).into())
    }),
    f("trimsuffix", "trimsuffix(string, suffix)", |a| {
        a.arity(2)?;
        let text = a.string(0)?;
        Ok(text.strip_suffix(&a.string(1)?).unwrap_or(&text).into())
    }),
    f("chomp", "chomp(string)", |a| {
        a.arity(1)?;
        Ok(text::chomp(&a.string(0)?).into())
    }),
    f("indent", "indent(spaces, string)", text::indent),
    f("strrev", "strrev(string)", |a| {
        a.arity(1)?;
        Ok(text::strrev(&a.string(0)?).into())
    }),
    f("strcontains", "strcontains(string, substring)", |a| {
        a.arity(2)?;
        Ok(a.string(0)?.contains(&a.string(1)?).into())
    }),
    // encodings
    f("jsonencode", "jsonencode(value)", encoding::json_encode),
    f("jsondecode", "jsondecode(string)", encoding::json_decode),
    f("yamlencode", "yamlencode(value)", encoding::yaml_encode),
    f("yamldecode", "yamldecode(string)", encoding::yaml_decode),
    f("csvdecode", "csvdecode(string)", encoding::csv_decode),
    f(
        "base64encode",
        "base64encode(string)",
        encoding::base64_encode,
    ),
    f(
        "base64decode",
        "base64decode(string)",
        encoding::base64_decode,
    ),
    f("urlencode", "urlencode(string)", encoding::url_encode),
    // files: called where the evaluator sees the project directory (see `lazy`); these
    // bodies run only where it cannot, in the body of a template's `%{for}`.
    f("file", "file(path)", in_for_body),
    f("fileexists", "fileexists(path)", in_for_body),
    f("fileset", "fileset(path, pattern)", in_for_body),
    f("templatefile", "templatefile(path, vars)", in_for_body),
    f("filebase64", "filebase64(path)", in_for_body),
    f("filemd5", "filemd5(path)", in_for_body),
    f("filesha1", "filesha1(path)", in_for_body),
    f("filesha256", "filesha256(path)", in_for_body),
    f("filesha512", "filesha512(path)", in_for_body),
    f("filebase64sha256", "filebase64sha256(path)", in_for_body),
    f("filebase64sha512", "filebase64sha512(path)", in_for_body),
    f(
        "templatestring",
        "templatestring(string, vars)",
        files::template_string,
    ),
    f("basename", "basename(path)", |a| {
        a.arity(1)?;
        Ok(files::basename(&a.string(0)?).into())
    }),
    f("dirname", "dirname(path)", |a| {
        a.arity(1)?;
        Ok(files::dirname(&a.string(0)?).into())
    }),
    // hashes
    f("md5", "md5(string)", |a| hash_of("md5", &a)),
    f("sha1", "sha1(string)", |a| hash_of("sha1", &a)),
    f("sha256", "sha256(string)", |a| hash_of("sha256", &a)),
    f("sha512", "sha512(string)", |a| hash_of("sha512", &a)),
    f("base64sha256", "base64sha256(string)", |a| {
        hash_of("base64sha256", &a)
    }),
    f("base64sha512", "base64sha512(string)", |a| {
        hash_of("base64sha512", &a)
    }),
    // numbers
    f("abs", "abs(number)", |a| {
        a.arity(1)?;
        number(a.number(0)?.abs())
    }),
    f("floor", "floor(number)", |a| {
        a.arity(1)?;
        number(a.number(0)?.floor())
    }),
    f("ceil", "ceil(number)", |a| {
        a.arity(1)?;
        number(a.number(0)?.ceil())
    }),
    f("min", "min(number, ...)", |a| extreme(&a, f64::min)),
    f("max", "max(number, ...)", |a| extreme(&a, f64::max)),
    f("parseint", "parseint(string, base)", numbers::parseint),
    f("pow", "pow(number, power)", |a| {
        a.arity(2)?;
        number(a.number(0)?.powf(a.number(1)?))
    }),
    f("log", "log(number, base)", numbers::log),
    f("signum", "signum(number)", |a| {
        a.arity(1)?;
        Ok(numbers::signum(a.number(0)?))
    }),
    // collections
    f("length", "length(string, list or object)", length),
    f("concat", "concat(list, ...)", concat),
    f("contains", "contains(list, value)", |a| {
        a.arity(2)?;
        Ok(a.list(0)?.contains(&a[1]).into())
    }),
    f("lookup", "lookup(object, key, default)", lookup),
    f("keys", "keys(object)", |a| {
        a.arity(1)?;
        Ok(Value::Array(
            sorted(a.object(0)?)
                .map(|(k, _)| Value::from(k.clone()))
                .collect(),
        ))
    }),
    f("values", "values(object)", |a| {
        a.arity(1)?;
        Ok(Value::Array(
            sorted(a.object(0)?).map(|(_, v)| v.clone()).collect(),
        ))
    }),
    f("coalesce", "coalesce(value, ...)", coalesce),
    f(
        "coalescelist",
        "coalescelist(list, ...)",
        collections::coalescelist,
    ),
    f("merge", "merge(object, ...)", collections::merge),
    f("alltrue", "alltrue(list)", |a| {
        Ok(collections::booleans(&a)?.into_iter().all(|b| b).into())
    }),
    f("anytrue", "anytrue(list)", |a| {
        Ok(collections::booleans(&a)?.into_iter().any(|b| b).into())
    }),
    f("distinct", "distinct(list)", |a| {
        a.arity(1)?;
        Ok(Value::Array(collections::distinct(a.list(0)?)))
    }),
    f("flatten", "flatten(list)", |a| {
        a.arity(1)?;
        let mut flat = Vec::new();
        collections::flatten(a.list(0)?, &mut flat);
        Ok(Value::Array(flat))
    }),
    f("sort", "sort(list)", collections::sort),
    f("element", "element(list, index)", collections::element),
    f("index", "index(list, value)", collections::index),
    f("slice", "slice(list, start, end)", collections::slice),
    f("range", "range(start, limit, step)", collections::range),
    f("zipmap", "zipmap(keys, values)", collections::zipmap),
    f("compact", "compact(list)", |a| {
        a.arity(1)?;
        let list = a.list(0)?;
        let kept = list
            .iter()
            .filter(|v| !v.is_null() && v.as_str() != Some(""));
        Ok(Value::Array(kept.cloned().collect()))
    }),
    f("reverse", "reverse(list)", |a| {
        a.arity(1)?;
        Ok(Value::Array(a.list(0)?.iter().rev().cloned().collect()))
    }),
    f("sum", "sum(list)", collections::sum),
    f("one", "one(list)", collections::one),
    f("setunion", "setunion(set, ...)", collections::set_union),
    f(
        "setintersection",
        "setintersection(set, ...)",
        collections::set_intersection,
    ),
    f(
        "setsubtract",
        "setsubtract(set, set)",
        collections::set_subtract,
    ),
    f("chunklist", "chunklist(list, size)", collections::chunklist),
    f(
        "matchkeys",
        "matchkeys(values, keys, searchset)",
        collections::matchkeys,
    ),
    f("transpose", "transpose(object)", collections::transpose),
    f(
        "setproduct",
        "setproduct(set, set, ...)",
        collections::setproduct,
    ),
    // errors: `try` and `can` are evaluated lazily (see `lazy`); these bodies run only where
    // that cannot be done, after every argument evaluated without an error.
    f("try", "try(expression, fallback, ...)", |a| {
        a.at_least(1)?;
        Ok(a[0].clone())
    }),
    f("can", "can(expression)", |a| {
        a.arity(1)?;
        Ok(Value::Bool(true))
    }),
    // conversions
    f("tostring", "tostring(value)", to_string),
    f("tonumber", "tonumber(value)", to_number),
    f("tobool", "tobool(value)", numbers::to_bool),
    f("tolist", "tolist(list)", |a| {
        a.arity(1)?;
        match &a[0] {
            Value::Null => Ok(Value::Null),
            _ => Ok(Value::Array(collections::unified(a.list(0)?))),
        }
    }),
    f("toset", "toset(list)", |a| {
        a.arity(1)?;
        match &a[0] {
            Value::Null => Ok(Value::Null),
            _ => Ok(Value::Array(collections::set(a.list(0)?))),
        }
    }),
    f("tomap", "tomap(object)", collections::to_map),
    f("type", "type(value)", |a| {
        a.arity(1)?;
        Ok(numbers::type_name(&a[0]).into())
    }),
];

const fn f(name: &'static str, signature: &'static str, body: Func) -> Function {
    Function {
        name,
        signature,
        body,
    }
}

/// Checks of a call's arguments that explain themselves.
pub(super) trait Args {
    fn count(&self) -> String;
    fn arity(&self, wanted: usize) -> Result<(), String>;
    fn at_least(&self, wanted: usize) -> Result<(), String>;
    fn wrong(&self, index: usize, expected: &str) -> String;
    fn string(&self, index: usize) -> Result<String, String>;
    fn number(&self, index: usize) -> Result<f64, String>;
    fn whole_number(&self, index: usize) -> Result<i64, String>;
    fn list(&self, index: usize) -> Result<&Vec<Value>, String>;
    fn object(&self, index: usize) -> Result<&Map<String, Value>, String>;
}

impl Args for [Value] {
    fn count(&self) -> String {
        match self.len() {
            1 => "1 argument".into(),
            n => format!("{n} arguments"),
        }
    }

    fn arity(&self, wanted: usize) -> Result<(), String> {
        if self.len() == wanted {
            return Ok(());
        }
        let noun = if wanted == 1 { "argument" } else { "arguments" };
        Err(format!("takes {wanted} {noun}, got {}", self.count()))
    }

    fn at_least(&self, wanted: usize) -> Result<(), String> {
        if self.len() >= wanted {
            return Ok(());
        }
        let noun = if wanted == 1 { "argument" } else { "arguments" };
        Err(format!(
            "takes at least {wanted} {noun}, got {}",
            self.count()
        ))
    }

    fn wrong(&self, index: usize, expected: &str) -> String {
        let value = &self[index];
        format!(
            "argument {} must be {expected}, got {} ({})",
            index + 1,
            describe_value(value),
            short(value)
        )
    }

    /// A string argument; numbers and booleans convert, as in Terraform.
    fn string(&self, index: usize) -> Result<String, String> {
        match &self[index] {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.wrong(index, "a string")),
        }
    }

    /// A number argument; a string holding a number converts, as in Terraform.
    fn number(&self, index: usize) -> Result<f64, String> {
        match &self[index] {
            Value::Number(n) => n.as_f64().ok_or_else(|| self.wrong(index, "a number")),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| self.wrong(index, "a number")),
            _ => Err(self.wrong(index, "a number")),
        }
    }

    fn whole_number(&self, index: usize) -> Result<i64, String> {
        let n = self.number(index)?;
        if n.fract() != 0.0 || n.abs() > 9.0e15 {
            return Err(self.wrong(index, "a whole number"));
        }
        Ok(n as i64)
    }

    fn list(&self, index: usize) -> Result<&Vec<Value>, String> {
        match &self[index] {
            Value::Array(items) => Ok(items),
            _ => Err(self.wrong(index, "a list")),
        }
    }

    fn object(&self, index: usize) -> Result<&Map<String, Value>, String> {
        match &self[index] {
            Value::Object(map) => Ok(map),
            _ => Err(self.wrong(index, "an object (a map)")),
        }
    }
}

/// A value as a message shows it: shortened when long.
pub(super) fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// A number as HCL keeps it: whole numbers as integers, so that they interpolate as `3`, not `3.0`.
pub(super) fn number(value: f64) -> Result<Value, String> {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        return Ok(Value::from(value as i64));
    }
    hcl::Number::from_f64(value)
        .map(Value::Number)
        .ok_or_else(|| "the result is not a finite number".to_string())
}

/// Terraform's `title`: the first letter of every word upper-cased; a word starts after
/// anything that is not a letter, a digit or `_` (Go's `strings.Title`).
fn title(text: &str) -> String {
    let mut previous_is_word = false;
    text.chars()
        .flat_map(|c| {
            let upper = !previous_is_word;
            previous_is_word = c.is_alphanumeric() || c == '_';
            let mapped: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                vec![c]
            };
            mapped
        })
        .collect()
}

fn hash_of(name: &str, a: &[Value]) -> Result<Value, String> {
    a.arity(1)?;
    Ok(hashes::hash(name, a.string(0)?.as_bytes()).into())
}

fn in_for_body(_: FuncArgs) -> Result<Value, String> {
    Err(
        "files cannot be read in the body of a template's `%{for}`: read the file outside \
         it, in a local, and use the local"
            .into(),
    )
}

fn split(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let separator = a.string(0)?;
    let text = a.string(1)?;
    if separator.is_empty() {
        // Go's strings.Split, which Terraform's `split` calls, splits into characters.
        return Ok(Value::Array(
            text.chars().map(|c| Value::from(c.to_string())).collect(),
        ));
    }
    Ok(Value::Array(
        text.split(separator.as_str()).map(Value::from).collect(),
    ))
}

fn join(a: FuncArgs) -> Result<Value, String> {
    a.at_least(2)?;
    let separator = a.string(0)?;
    let mut parts = Vec::new();
    for index in 1..a.len() {
        for item in a.list(index)? {
            match item {
                Value::Array(_) | Value::Object(_) => {
                    return Err(format!(
                        "argument {} must be a list of strings, but holds {}",
                        index + 1,
                        describe_value(item)
                    ));
                }
                other => parts.push(super::value_to_text(other)),
            }
        }
    }
    let size = parts.iter().map(|p| p.len() + separator.len()).sum();
    check_result_size(size)?;
    Ok(parts.join(&separator).into())
}

/// Terraform's `substr`: offset and length count characters; a negative offset counts from
/// the end, a length of -1 means "to the end"; a range past the end is cut short.
fn substr(a: FuncArgs) -> Result<Value, String> {
    a.arity(3)?;
    let chars: Vec<char> = a.string(0)?.chars().collect();
    let offset = a.whole_number(1)?;
    let length = a.whole_number(2)?;
    let total = chars.len() as i64;
    let start = if offset < 0 { total + offset } else { offset };
    if start < 0 || start > total {
        return Err(format!(
            "offset {offset} is outside the string of {total} characters"
        ));
    }
    let end = match length {
        -1 => total,
        l if l < 0 => return Err(format!("length must be -1 or more, got {l}")),
        l => (start + l).min(total),
    };
    Ok(chars[start as usize..end as usize]
        .iter()
        .collect::<String>()
        .into())
}

fn extreme(a: &[Value], pick: fn(f64, f64) -> f64) -> Result<Value, String> {
    a.at_least(1)?;
    let mut best = a.number(0)?;
    for index in 1..a.len() {
        best = pick(best, a.number(index)?);
    }
    number(best)
}

fn length(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    let n = match &a[0] {
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => return Err(a.wrong(0, "a string, a list or an object")),
    };
    Ok(Value::from(n as u64))
}

fn concat(a: FuncArgs) -> Result<Value, String> {
    let mut joined = Vec::new();
    for index in 0..a.len() {
        joined.extend(a.list(index)?.iter().cloned());
    }
    Ok(Value::Array(joined))
}

fn lookup(a: FuncArgs) -> Result<Value, String> {
    if !(2..=3).contains(&a.len()) {
        return Err(format!("takes 2 or 3 arguments, got {}", a.count()));
    }
    let map = a.object(0)?;
    let key = a.string(1)?;
    match (map.get(&key), a.get(2)) {
        (Some(value), _) => Ok(value.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(format!(
            "the object has no key {key:?}; give a default as the third argument"
        )),
    }
}

/// Entries in the lexicographic order of their keys, as Terraform's `keys` and `values` give them.
fn sorted(map: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter()
}

fn coalesce(a: FuncArgs) -> Result<Value, String> {
    a.at_least(1)?;
    a.iter()
        .find(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "every argument is null or an empty string".to_string())
}

fn to_string(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    match &a[0] {
        Value::Null => Ok(Value::Null),
        Value::Array(_) | Value::Object(_) => Err(a.wrong(0, "a string, a number or a boolean")),
        _ => Ok(a.string(0)?.into()),
    }
}

fn to_number(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    match &a[0] {
        Value::Null => Ok(Value::Null),
        Value::Number(_) | Value::String(_) => number(a.number(0)?),
        _ => Err(a.wrong(0, "a number or a string holding one")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluates `expr` (HCL) with the function library.
    fn eval(expr: &str) -> Result<Value, String> {
        let body: hcl::Body = hcl::from_str(&format!("x = {expr}")).expect("parses");
        let attribute = body.attributes().next().expect("x").clone();
        super::super::evaluate(attribute.expr(), &super::super::base_context())
            .map_err(|failure| failure.message)
    }

    fn ok(expr: &str) -> Value {
        eval(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    fn fails(expr: &str) -> String {
        match eval(expr) {
            Ok(value) => panic!("{expr} evaluated to {value}"),
            Err(message) => message,
        }
    }

    /// Functions whose result can outgrow their arguments refuse before building a value past
    /// the cap: `replace` of every character by 1 KB would have built 1 GB.
    #[test]
    fn results_past_the_value_cap_are_refused_before_they_are_built() {
        let kb = "y".repeat(1024);
        let mb = "x".repeat(1 << 20);
        for expr in [
            format!("replace(\"{mb}\", \"x\", \"{kb}\")"),
            format!("replace(\"{kb}\", \"\", \"{kb}\")"),
            format!("join(\",\", [\"{mb}\", \"{mb}\"])"),
            format!("format(\"%s%s\", \"{mb}\", \"{mb}\")"),
            format!("formatlist(\"%s\", [\"{mb}\", \"{mb}\"])"),
            format!("\"${{\"{mb}\"}}${{\"{mb}\"}}\""),
            format!("[for i in [1, 2] : \"{mb}\"]"),
        ] {
            let message = fails(&expr);
            assert!(
                message.contains("larger than 1 MiB"),
                "{}: {message}",
                &expr[..40]
            );
        }
        assert_eq!(
            ok(&format!("replace(\"{kb}\", \"y\", \"z\")")),
            Value::from("z".repeat(1024))
        );
    }

    #[test]
    fn numbers_as_in_terraform() {
        assert_eq!(ok("floor(4.9)"), Value::from(4));
        assert_eq!(ok("floor(-4.1)"), Value::from(-5));
        assert_eq!(ok("ceil(4.1)"), Value::from(5));
        assert_eq!(ok("ceil(5)"), Value::from(5));
        assert_eq!(ok("abs(-12.4)"), ok("12.4"));
        assert_eq!(ok("abs(23)"), Value::from(23));
        assert_eq!(ok("min(12, 54, 3)"), Value::from(3));
        assert_eq!(ok("max(12, 54, 3)"), Value::from(54));
        assert_eq!(ok("max(0.5, \"2\")"), Value::from(2));
        assert!(fails("min()").contains("at least 1 argument"));
        assert!(fails("floor(\"x\")").contains("argument 1 must be a number, got a string"));
    }

    #[test]
    fn strings_as_in_terraform() {
        assert_eq!(ok("title(\"hello world\")"), ok("\"Hello World\""));
        assert_eq!(ok("title(\"acme-api v2\")"), ok("\"Acme-Api V2\""));
        assert_eq!(ok("trim(\"?!hello?!\", \"!?\")"), ok("\"hello\""));
        assert_eq!(
            ok("split(\",\", \"foo,bar,baz\")"),
            ok("[\"foo\", \"bar\", \"baz\"]")
        );
        assert_eq!(ok("split(\",\", \"\")"), ok("[\"\"]"));
        assert_eq!(ok("substr(\"hello world\", 1, 4)"), ok("\"ello\""));
        assert_eq!(ok("substr(\"hello world\", -5, -1)"), ok("\"world\""));
        assert_eq!(ok("substr(\"hello\", 3, 10)"), ok("\"lo\""));
        assert_eq!(ok("substr(\"🤔🤷\", 0, 1)"), ok("\"🤔\""));
        assert!(fails("substr(\"hello\", 9, 1)").contains("outside the string"));
        assert_eq!(
            ok("startswith(\"hello world\", \"hello\")"),
            Value::Bool(true)
        );
        assert_eq!(
            ok("endswith(\"hello world\", \"hello\")"),
            Value::Bool(false)
        );
        assert_eq!(ok("upper(42)"), ok("\"42\""));
    }

    #[test]
    fn collections_as_in_terraform() {
        assert_eq!(ok("length(\"héllo\")"), Value::from(5));
        assert_eq!(ok("length([1, 2])"), Value::from(2));
        assert_eq!(ok("length({ a = 1 })"), Value::from(1));
        assert_eq!(ok("lookup({ a = \"ay\" }, \"a\", \"what?\")"), ok("\"ay\""));
        assert_eq!(
            ok("lookup({ a = \"ay\" }, \"c\", \"what?\")"),
            ok("\"what?\"")
        );
        assert!(fails("lookup({ a = 1 }, \"c\")").contains("no key \"c\""));
        assert_eq!(ok("keys({ b = 2, a = 1 })"), ok("[\"a\", \"b\"]"));
        assert_eq!(ok("values({ b = 2, a = 1 })"), ok("[1, 2]"));
        assert_eq!(ok("contains([\"a\", \"b\"], \"b\")"), Value::Bool(true));
        assert_eq!(ok("contains([\"a\", \"b\"], \"c\")"), Value::Bool(false));
        assert_eq!(ok("coalesce(\"\", null, \"b\")"), ok("\"b\""));
        assert_eq!(ok("coalesce(1, 2)"), Value::from(1));
        assert!(fails("coalesce(null, \"\")").contains("null or an empty string"));
        assert_eq!(ok("concat([1], [2, 3])"), ok("[1, 2, 3]"));
        assert!(fails("concat([1], 2)").contains("argument 2 must be a list"));
        assert_eq!(ok("join(\"-\", [\"a\", 1])"), ok("\"a-1\""));
    }

    #[test]
    fn conversions_as_in_terraform() {
        assert_eq!(ok("tostring(1)"), ok("\"1\""));
        assert_eq!(ok("tostring(true)"), ok("\"true\""));
        assert_eq!(ok("tostring(null)"), Value::Null);
        assert!(fails("tostring([])").contains("got a list"));
        assert_eq!(ok("tonumber(\"1\")"), Value::from(1));
        assert_eq!(ok("tonumber(\"0.25\")"), ok("0.25"));
        assert!(fails("tonumber(\"no\")").contains("must be a number"));
    }

    #[test]
    fn a_wrong_call_names_the_function_and_what_it_takes() {
        let message = fails("substr(\"x\", 1)");
        assert!(
            message.contains("`substr(string, offset, length)`"),
            "{message}"
        );
        assert!(
            message.contains("takes 3 arguments, got 2 arguments"),
            "{message}"
        );
    }
}
