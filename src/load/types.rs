//! Terraform's type constraints (`string`, `number`, `bool`, `any`, `list(...)`, `set(...)`,
//! `map(...)`, `object({...})` with `optional(type, default)`, `tuple([...])`) and its
//! conversions between them: a number or a boolean converts to a string and back ("0.10" is
//! the number 0.1), anything else that does not match is a mismatch.

use std::ops::Range;

use hcl::Value;
use hcl::edit::Span as _;
use hcl::edit::expr::{Expression as EditExpr, ObjectKey};

use crate::eval::{self, describe_value};

/// A type constraint, as written in `type = ...`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(Vec<Attribute>),
    Tuple(Vec<Type>),
}

/// An attribute of an `object({...})` type.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Attribute {
    pub name: String,
    pub ty: Type,
    /// `optional(type)` or `optional(type, default)`: it may be left out.
    pub optional: bool,
    /// The default of `optional(type, default)`, converted to `ty`.
    pub default: Option<Value>,
}

/// A type expression that is not one: where (a byte range of the file) and why.
#[derive(Debug)]
pub(super) struct TypeError {
    pub range: Option<Range<usize>>,
    pub message: String,
}

/// A value that does not convert: the path to it inside the value (`sample` of
/// `apm.sample`, empty for the value itself) and what was expected and found.
#[derive(Debug, PartialEq)]
pub(super) struct Mismatch {
    pub path: Vec<String>,
    pub problem: String,
}

impl Type {
    /// The constraint as Terraform writes it, for messages.
    pub(super) fn describe(&self) -> String {
        match self {
            Type::Any => "any".into(),
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::List(t) => format!("list({})", t.describe()),
            Type::Set(t) => format!("set({})", t.describe()),
            Type::Map(t) => format!("map({})", t.describe()),
            Type::Tuple(items) => {
                let items: Vec<String> = items.iter().map(Type::describe).collect();
                format!("tuple([{}])", items.join(", "))
            }
            Type::Object(attrs) => {
                let attrs: Vec<String> = attrs
                    .iter()
                    .map(|a| match (a.optional, &a.default) {
                        (false, _) => format!("{} = {}", a.name, a.ty.describe()),
                        (true, None) => format!("{} = optional({})", a.name, a.ty.describe()),
                        (true, Some(d)) => {
                            format!("{} = optional({}, {d})", a.name, a.ty.describe())
                        }
                    })
                    .collect();
                format!("object({{ {} }})", attrs.join(", "))
            }
        }
    }
}

/// Reads a type constraint; `optional(...)` is allowed only as an attribute of `object`.
pub(super) fn parse_type(expr: &EditExpr) -> Result<Type, TypeError> {
    let error = |message: String| TypeError {
        range: expr.span(),
        message,
    };
    match expr {
        EditExpr::Variable(ident) => match ident.as_str() {
            "any" => Ok(Type::Any),
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            // Terraform's shorthands: `list` is `list(any)`.
            "list" => Ok(Type::List(Box::new(Type::Any))),
            "set" => Ok(Type::Set(Box::new(Type::Any))),
            "map" => Ok(Type::Map(Box::new(Type::Any))),
            other => Err(error(format!("`{other}` is not a type"))),
        },
        EditExpr::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&EditExpr> = call.args.iter().collect();
            match (name, args.as_slice()) {
                ("list", [t]) => Ok(Type::List(Box::new(parse_type(t)?))),
                ("set", [t]) => Ok(Type::Set(Box::new(parse_type(t)?))),
                ("map", [t]) => Ok(Type::Map(Box::new(parse_type(t)?))),
                ("object", [EditExpr::Object(object)]) => {
                    let mut attrs = Vec::new();
                    for (key, value) in object.iter() {
                        attrs.push(object_attribute(key, value.expr())?);
                    }
                    Ok(Type::Object(attrs))
                }
                ("tuple", [EditExpr::Array(items)]) => {
                    items.iter().map(parse_type).collect::<Result<_, _>>().map(Type::Tuple)
                }
                ("optional", _) => Err(error(
                    "`optional(...)` marks an attribute of `object({...})`, not a type of its own"
                        .into(),
                )),
                ("list" | "set" | "map", _) => {
                    Err(error(format!("`{name}(...)` takes one element type, e.g. `{name}(string)`")))
                }
                ("object", _) => Err(error(
                    "`object(...)` takes the attributes in braces, e.g. `object({ name = string })`"
                        .into(),
                )),
                ("tuple", _) => Err(error(
                    "`tuple(...)` takes a list of types, e.g. `tuple([string, number])`".into(),
                )),
                _ => Err(error(format!("`{name}(...)` is not a type"))),
            }
        }
        _ => Err(error(
            "a type is a word such as `string`, `number`, `bool`, `any`, or `list(...)`, \
             `set(...)`, `map(...)`, `object({...})`, `tuple([...])`"
                .into(),
        )),
    }
}

/// `name = type` or `name = optional(type[, default])` inside `object({...})`.
fn object_attribute(key: &ObjectKey, value: &EditExpr) -> Result<Attribute, TypeError> {
    let name = match key {
        ObjectKey::Ident(ident) => ident.as_str().to_string(),
        ObjectKey::Expression(EditExpr::String(s)) => s.value().to_string(),
        ObjectKey::Expression(other) => {
            return Err(TypeError {
                range: other.span(),
                message: "an attribute name of `object({...})` must be a name".into(),
            });
        }
    };
    let EditExpr::FuncCall(call) = value else {
        return Ok(Attribute {
            name,
            ty: parse_type(value)?,
            optional: false,
            default: None,
        });
    };
    if call.name.name.as_str() != "optional" {
        return Ok(Attribute {
            name,
            ty: parse_type(value)?,
            optional: false,
            default: None,
        });
    }
    let args: Vec<&EditExpr> = call.args.iter().collect();
    let (ty, default) = match args.as_slice() {
        [ty] => (parse_type(ty)?, None),
        [ty, default] => {
            let ty = parse_type(ty)?;
            let default = constant_default(default, &ty)?;
            (ty, Some(default))
        }
        _ => {
            return Err(TypeError {
                range: value.span(),
                message: "`optional(...)` takes a type and, optionally, a default: \
                          `optional(number, 127)`"
                    .into(),
            });
        }
    };
    Ok(Attribute {
        name,
        ty,
        optional: true,
        default,
    })
}

/// The default of `optional(type, default)`: a constant, converted to the type.
fn constant_default(expr: &EditExpr, ty: &Type) -> Result<Value, TypeError> {
    let error = |message: String| TypeError {
        range: expr.span(),
        message,
    };
    let value = eval::evaluate(&expr.clone().into(), &eval::base_context()).map_err(|failure| {
        error(format!(
            "the default cannot be computed: {}",
            failure.message
        ))
    })?;
    convert(&value, ty).map_err(|mismatch| {
        error(format!(
            "the default does not fit `{}`: {}",
            ty.describe(),
            mismatch.describe()
        ))
    })
}

impl Mismatch {
    fn at(problem: String) -> Mismatch {
        Mismatch {
            path: Vec::new(),
            problem,
        }
    }

    fn inside(mut self, step: String) -> Mismatch {
        self.path.insert(0, step);
        self
    }

    /// `attribute `sample`: a number is required, found a string`.
    pub(super) fn describe(&self) -> String {
        if self.path.is_empty() {
            self.problem.clone()
        } else {
            format!("`{}`: {}", self.path.join("."), self.problem)
        }
    }
}

/// `value` converted to `ty` as Terraform converts a variable's value, or why it does not.
pub(super) fn convert(value: &Value, ty: &Type) -> Result<Value, Mismatch> {
    let mismatch = |expected: &str| {
        Mismatch::at(format!(
            "{expected} is required, found {} {}",
            describe_value(value),
            short(value)
        ))
    };
    match (ty, value) {
        // Terraform's variables are nullable unless said otherwise.
        (_, Value::Null) | (Type::Any, _) => Ok(value.clone()),
        (Type::String, Value::String(_)) => Ok(value.clone()),
        (Type::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (Type::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
        (Type::String, _) => Err(mismatch("a string")),
        (Type::Number, Value::Number(_)) => Ok(value.clone()),
        (Type::Number, Value::String(s)) => number_in(s).ok_or_else(|| mismatch("a number")),
        (Type::Number, _) => Err(mismatch("a number")),
        (Type::Bool, Value::Bool(_)) => Ok(value.clone()),
        (Type::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Ok(Value::Bool(s == "true"))
        }
        (Type::Bool, _) => Err(mismatch("a boolean")),
        (Type::List(element), Value::Array(items)) => convert_items(items, element),
        (Type::List(_), _) => Err(mismatch("a list")),
        (Type::Set(element), Value::Array(items)) => {
            let Value::Array(mut items) = convert_items(items, element)? else {
                return Ok(Value::Null);
            };
            let mut seen = Vec::new();
            items.retain(|item| {
                let new = !seen.contains(item);
                if new {
                    seen.push(item.clone());
                }
                new
            });
            Ok(Value::Array(items))
        }
        (Type::Set(_), _) => Err(mismatch("a set")),
        (Type::Map(element), Value::Object(map)) => {
            let mut converted = hcl::Map::new();
            for (key, item) in map {
                let item = convert(item, element).map_err(|m| m.inside(key.clone()))?;
                converted.insert(key.clone(), item);
            }
            Ok(Value::Object(converted))
        }
        (Type::Map(_), _) => Err(mismatch("a map")),
        (Type::Object(attrs), Value::Object(map)) => convert_object(map, attrs),
        (Type::Object(_), _) => Err(mismatch("an object")),
        (Type::Tuple(types), Value::Array(items)) if types.len() == items.len() => {
            let mut converted = Vec::with_capacity(items.len());
            for (i, (item, ty)) in items.iter().zip(types).enumerate() {
                converted.push(convert(item, ty).map_err(|m| m.inside(format!("[{i}]")))?);
            }
            Ok(Value::Array(converted))
        }
        (Type::Tuple(types), _) => Err(mismatch(&format!(
            "a list of {} element{}",
            types.len(),
            crate::english::plural(types.len())
        ))),
    }
}

fn convert_items(items: &[Value], element: &Type) -> Result<Value, Mismatch> {
    let mut converted = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        converted.push(convert(item, element).map_err(|m| m.inside(format!("[{i}]")))?);
    }
    Ok(Value::Array(converted))
}

/// An object of the attributes of `attrs`: each converted, an optional one left out given its
/// default (or null), a required one left out a mismatch. Attributes the type does not name
/// are dropped, as Terraform drops them.
fn convert_object(map: &hcl::Map<String, Value>, attrs: &[Attribute]) -> Result<Value, Mismatch> {
    let mut converted = hcl::Map::new();
    for attr in attrs {
        let value = match map.get(&attr.name) {
            // Terraform applies an optional attribute's default to a null too.
            Some(Value::Null) | None if attr.optional => {
                attr.default.clone().unwrap_or(Value::Null)
            }
            Some(value) => convert(value, &attr.ty).map_err(|m| m.inside(attr.name.clone()))?,
            None => {
                return Err(Mismatch::at(format!(
                    "attribute `{}` is required",
                    attr.name
                )));
            }
        };
        converted.insert(attr.name.clone(), value);
    }
    Ok(Value::Object(converted))
}

/// A string that is a number, as Terraform reads one: "0.10" is 0.1.
fn number_in(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if let Ok(int) = trimmed.parse::<i64>() {
        return Some(Value::from(int));
    }
    let float = trimmed.parse::<f64>().ok().filter(|f| f.is_finite())?;
    hcl::Number::from_f64(float).map(Value::Number)
}

/// A short rendering of a value for messages: `"0.1x"`, `[...]`, `{...}`.
fn short(value: &Value) -> String {
    match value {
        Value::Array(_) => "[...]".into(),
        Value::Object(_) => "{...}".into(),
        Value::String(s) if s.chars().count() > 40 => {
            format!(
                "{:?}",
                format!("{}...", s.chars().take(40).collect::<String>())
            )
        }
        other => format!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Type {
        let body = hcl::edit::parser::parse_body(&format!("t = {text}")).expect("parses");
        let attr = body.attributes().next().expect("an attribute");
        parse_type(&attr.value).expect("a type")
    }

    fn value(text: &str) -> Value {
        hcl::from_str::<hcl::Map<String, Value>>(&format!("v = {text}")).expect("value")["v"]
            .clone()
    }

    #[test]
    fn primitive_values_convert_as_terraform_documents() {
        // "number and bool values are converted to string, and strings to them when they
        // represent one" (Terraform's type constraints, Conversion of Primitive Types).
        assert_eq!(convert(&value("15"), &ty("string")), Ok(value(r#""15""#)));
        assert_eq!(
            convert(&value("true"), &ty("string")),
            Ok(value(r#""true""#))
        );
        assert_eq!(
            convert(&value(r#""0.10""#), &ty("number")),
            Ok(value("0.1"))
        );
        assert_eq!(
            convert(&value(r#""false""#), &ty("bool")),
            Ok(value("false"))
        );
        let err = convert(&value(r#""ten""#), &ty("number")).expect_err("not a number");
        assert_eq!(
            err.describe(),
            r#"a number is required, found a string "ten""#
        );
        assert!(convert(&value("1"), &ty("bool")).is_err());
        assert!(convert(&value("[1]"), &ty("string")).is_err());
    }

    #[test]
    fn optional_attributes_take_their_default_as_in_terraforms_example() {
        // Terraform's documented `with_optional_attribute`.
        let t = ty("object({ a = string, b = optional(string), c = optional(number, 127) })");
        assert_eq!(
            convert(&value(r#"{ a = "x" }"#), &t),
            Ok(value(r#"{ a = "x", b = null, c = 127 }"#))
        );
        assert_eq!(
            convert(&value(r#"{ a = "x", c = null, d = 1 }"#), &t),
            Ok(value(r#"{ a = "x", b = null, c = 127 }"#))
        );
        let err = convert(&value("{ b = \"y\" }"), &t).expect_err("a is required");
        assert_eq!(err.describe(), "attribute `a` is required");
    }

    #[test]
    fn collections_convert_each_element_and_say_where_one_does_not() {
        assert_eq!(
            convert(&value(r#"["1", 2]"#), &ty("list(number)")),
            Ok(value("[1, 2]"))
        );
        assert_eq!(
            convert(&value(r#"["a", "b", "a"]"#), &ty("set(string)")),
            Ok(value(r#"["a", "b"]"#))
        );
        let err = convert(
            &value(r#"{ x = { s = "no" } }"#),
            &ty("map(object({ s = number }))"),
        )
        .expect_err("mismatch");
        assert_eq!(
            err.describe(),
            r#"`x.s`: a number is required, found a string "no""#
        );
        assert!(convert(&value(r#"["a"]"#), &ty("tuple([string, number])")).is_err());
        assert_eq!(
            convert(&value(r#"["a", "2"]"#), &ty("tuple([string, number])")),
            Ok(value(r#"["a", 2]"#))
        );
        assert_eq!(ty("list"), Type::List(Box::new(Type::Any)));
    }

    #[test]
    fn what_is_not_a_type_says_why() {
        let parse = |text: &str| {
            let body = hcl::edit::parser::parse_body(&format!("t = {text}")).expect("parses");
            let attr = body.attributes().next().expect("an attribute");
            parse_type(&attr.value).expect_err("not a type").message
        };
        assert_eq!(parse("strng"), "`strng` is not a type");
        assert!(parse("optional(string)").contains("attribute of `object"));
        assert!(parse("object({ a = optional(number, \"x\") })").contains("does not fit `number`"));
        assert!(parse("list(string, number)").contains("takes one element type"));
        assert!(parse("\"string\"").contains("a type is a word"));
    }
}
