//! An expression prepared once for being evaluated for every instance of its template.
//!
//! hcl-rs evaluates a traversal (`tenant.vars.service`) by cloning the whole variable first
//! (the tenant, or the cluster with the names of all its tenants), and parses the text of every
//! string template (`"svc-${tenant.name}"`) again on each evaluation: together more than half of
//! compiling 1,000 tenants. Here the shapes templates are made of (literals, paths into
//! variables, string templates of those, lists and objects of those) are read once, and
//! evaluated by borrowing the variables' values.
//!
//! The fast path only ever succeeds with the value hcl-rs would give. Whenever it cannot (a
//! name or key missing, a value of another type, any other kind of expression), the whole
//! expression is evaluated as before, by [`super::lazy`] and hcl-rs, so that errors, and
//! everything Terraform's language adds, are exactly theirs.

use hcl::eval::{Context, Evaluate};
use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::template::{Element, Strip, Template};
use hcl::{Map, Value};

/// The variables of one instance (`tenant`, `cluster`, `local`), by reference: the same values
/// its [`Context`] declares. A name not here is looked up the slow way.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vars<'v> {
    pub names: [(&'v str, Option<&'v Value>); 3],
}

impl<'v> Vars<'v> {
    fn get(&self, name: &str) -> Option<&'v Value> {
        self.names
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, value)| *value)
    }
}

/// An expression, with the parts the fast path can evaluate read once.
#[derive(Debug)]
pub struct Prepared {
    /// As written: what the slow path evaluates.
    pub expr: Expression,
    /// Whether the slow path needs [`super::lazy`] (a `for`, `try`, `can`, file function or
    /// template directive somewhere in it), decided once.
    needs_care: bool,
    fast: Fast,
}

#[derive(Debug)]
enum Fast {
    /// A literal: null, a boolean, a number or a string.
    Literal(Value),
    /// `name.attr["key"][0]`.
    Path(String, Vec<Step>),
    /// A string template without directives or strip markers (`~`).
    Template(Vec<Part>),
    Array(Vec<Fast>),
    /// Keys that are identifiers or quoted strings.
    Object(Vec<(String, Fast)>),
    /// A part hcl-rs evaluates as it is (it needs none of [`super::lazy`]'s care).
    Plain(Expression),
    /// Anything else: the whole expression goes the slow way.
    Slow,
}

#[derive(Debug)]
enum Step {
    Attr(String),
    Index(usize),
}

#[derive(Debug)]
enum Part {
    Literal(String),
    /// Its expression as written too, for [`Prepared::interpolated_collection`].
    Interpolation(Fast, Expression),
}

impl Prepared {
    pub fn new(expr: Expression) -> Prepared {
        let needs_care = super::lazy::needs_care(&expr);
        let fast = if needs_care {
            Fast::Slow
        } else {
            Fast::of(&expr)
        };
        Prepared {
            expr,
            needs_care,
            fast,
        }
    }

    /// The value of the expression, as [`super::evaluate`] gives it (errors included).
    pub fn evaluate(&self, ctx: &Context, vars: Vars) -> Result<Value, super::EvalFailure> {
        super::guarded(|| match self.fast.evaluate(ctx, vars) {
            Some(value) => Ok(value),
            None => self.evaluate_slowly(ctx),
        })
    }

    fn evaluate_slowly(&self, ctx: &Context) -> hcl::eval::EvalResult<Value> {
        if self.needs_care {
            super::lazy::evaluate(&self.expr, ctx)
        } else {
            self.expr.evaluate(ctx)
        }
    }

    /// For a string template: the first list or object one of its interpolations gives
    /// ("a list", "an object"), which evaluation renders as text nobody meant to write.
    pub fn interpolated_collection(&self, ctx: &Context, vars: Vars) -> Option<&'static str> {
        let Fast::Template(parts) = &self.fast else {
            return None;
        };
        parts.iter().find_map(|part| {
            let Part::Interpolation(fast, expr) = part else {
                return None;
            };
            let value = match fast.evaluate(ctx, vars) {
                Some(value) => value,
                None => super::evaluate(expr, ctx).ok()?,
            };
            matches!(value, Value::Array(_) | Value::Object(_))
                .then(|| super::describe_value(&value))
        })
    }
}

impl Fast {
    fn of(expr: &Expression) -> Fast {
        match expr {
            Expression::Null | Expression::Bool(_) | Expression::Number(_) => {
                Fast::Literal(Value::from(expr.clone()))
            }
            Expression::String(text) => Fast::Literal(Value::String(text.clone())),
            Expression::Variable(name) => Fast::Path(name.to_string(), Vec::new()),
            Expression::Traversal(traversal) => path(&traversal.expr, &traversal.operators)
                .unwrap_or_else(|| Fast::Plain(expr.clone())),
            Expression::TemplateExpr(template) => Template::from_expr(template)
                .ok()
                .and_then(|t| template_parts(&t))
                .unwrap_or(Fast::Slow),
            Expression::Array(items) => Fast::Array(items.iter().map(Fast::of).collect()),
            Expression::Object(object) => object
                .iter()
                .map(|(key, value)| Some((object_key(key)?, Fast::of(value))))
                .collect::<Option<Vec<_>>>()
                .map_or_else(|| Fast::Plain(expr.clone()), Fast::Object),
            other => Fast::Plain(other.clone()),
        }
    }

    /// The value, when every part of it could be had without the slow path.
    fn evaluate(&self, ctx: &Context, vars: Vars) -> Option<Value> {
        match self {
            Fast::Literal(value) => Some(value.clone()),
            Fast::Path(name, steps) => follow(vars.get(name)?, steps).cloned(),
            Fast::Template(parts) => render(parts, ctx, vars),
            Fast::Array(items) => items.iter().map(|item| item.evaluate(ctx, vars)).collect(),
            Fast::Object(entries) => entries
                .iter()
                .map(|(key, value)| Some((key.clone(), value.evaluate(ctx, vars)?)))
                .collect::<Option<Map<String, Value>>>()
                .map(Value::Object),
            Fast::Plain(expr) => expr.evaluate(ctx).ok(),
            Fast::Slow => None,
        }
    }
}

/// `name.attr["key"][0]`, or `None` for any other traversal (splats, computed indexes).
fn path(root: &Expression, operators: &[TraversalOperator]) -> Option<Fast> {
    let Expression::Variable(name) = root else {
        return None;
    };
    let steps = operators
        .iter()
        .map(|operator| match operator {
            TraversalOperator::GetAttr(attr) => Some(Step::Attr(attr.to_string())),
            TraversalOperator::LegacyIndex(index) => usize::try_from(*index).ok().map(Step::Index),
            TraversalOperator::Index(Expression::String(key)) => Some(Step::Attr(key.clone())),
            TraversalOperator::Index(Expression::Number(number)) => number
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .map(Step::Index),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Fast::Path(name.to_string(), steps))
}

fn follow<'v>(mut value: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    for step in steps {
        value = match step {
            Step::Attr(key) => value.as_object()?.get(key)?,
            Step::Index(index) => value.as_array()?.get(*index)?,
        };
    }
    Some(value)
}

/// The parts of a template hcl-rs renders element by element: literals and interpolations,
/// none of them stripping whitespace.
fn template_parts(template: &Template) -> Option<Fast> {
    template
        .elements()
        .iter()
        .map(|element| match element {
            Element::Literal(text) => Some(Part::Literal(text.clone())),
            Element::Interpolation(i) if i.strip == Strip::None => {
                Some(Part::Interpolation(Fast::of(&i.expr), i.expr.clone()))
            }
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .map(Fast::Template)
}

/// A template's value: the value of its only interpolation, as it is (hcl-rs's unwrapping
/// rule), otherwise the text of its parts.
fn render(parts: &[Part], ctx: &Context, vars: Vars) -> Option<Value> {
    if let [Part::Interpolation(only, _)] = parts {
        return only.evaluate(ctx, vars);
    }
    let mut text = String::new();
    for part in parts {
        match part {
            Part::Literal(literal) => text.push_str(literal),
            Part::Interpolation(fast, _) => match fast.evaluate(ctx, vars)? {
                Value::String(s) => text.push_str(&s),
                other => text.push_str(&other.to_string()),
            },
        }
    }
    Some(Value::String(text))
}

/// An object key hcl-rs turns into this same string: an identifier or a quoted string.
fn object_key(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Identifier(name) => Some(name.to_string()),
        ObjectKey::Expression(Expression::String(text)) => Some(text.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use hcl::Value;

    use super::{Prepared, Vars};

    fn expression(text: &str) -> hcl::Expression {
        let body: hcl::Body = hcl::from_str(&format!("x = {text}")).expect("parses");
        body.attributes().next().expect("x").expr().clone()
    }

    fn value(text: &str) -> Value {
        let ctx = super::super::base_context();
        super::super::evaluate(&expression(text), &ctx).expect("evaluates")
    }

    /// Every expression gives through [`Prepared`] exactly what [`super::super::evaluate`]
    /// gives it: the same value, or the same error.
    #[test]
    fn prepared_evaluation_gives_what_the_evaluator_gives() {
        let tenant = value(
            r#"{ name = "acme", cluster = "c1", vars = { service = "svc", limit = 5, list = ["a", "b"], nested = { deep = true } } }"#,
        );
        let cluster =
            value(r#"{ name = "c1", tenants = ["acme", "beta"], vars = { db = "db-1" } }"#);
        let local = value(r#"{ prefix = "p", count = 2 }"#);
        let mut ctx = super::super::base_context();
        ctx.declare_var("tenant", tenant.clone());
        ctx.declare_var("cluster", cluster.clone());
        ctx.declare_var("local", local.clone());
        let vars = Vars {
            names: [
                ("tenant", Some(&tenant)),
                ("cluster", Some(&cluster)),
                ("local", Some(&local)),
            ],
        };
        let cases = [
            r#""plain""#,
            "5",
            "null",
            "true",
            "tenant",
            "tenant.name",
            "tenant.vars.limit",
            r#"tenant.vars["service"]"#,
            "tenant.vars.list[1]",
            "tenant.vars.list.0",
            "tenant.vars.list[5]",
            "tenant.vars.missing",
            "tenant.name.nope",
            "tenant.vars.nested.deep",
            "cluster.tenants",
            "local.prefix",
            "local.nope",
            "unknown.var",
            "tenant.vars.list[*]",
            r#""${tenant.vars.limit}""#,
            r#""${tenant.vars.list}""#,
            r#""[${tenant.name}] on ${cluster.name}: ${tenant.vars.limit} ${tenant.vars.nested.deep} ${local.count}""#,
            r#""x ${tenant.vars.missing}""#,
            r#""x ${upper(tenant.name)} ${tenant.vars.limit + 1}""#,
            r#""x ${"in ${tenant.name}"}""#,
            r#""x ${~ tenant.name ~} y""#,
            r#""%{ if tenant.vars.limit > 3 }big%{ else }small%{ endif }""#,
            r#"["service:${tenant.vars.service}", "team:sre", tenant.name]"#,
            r#"["x", tenant.vars.missing]"#,
            r#"{ a = tenant.name, "b" = "${cluster.name}-x", c = [1, 2] }"#,
            r#"{ (tenant.name) = 1 }"#,
            r#"try(tenant.vars.missing, "fallback")"#,
            r#"[for k, v in tenant.vars : k]"#,
            r#"tenant.vars.limit > 3 ? "big" : "small""#,
            r#""${join(",", tenant.vars.list)}""#,
        ];
        for case in cases {
            let expr = expression(case);
            let expected = super::super::evaluate(&expr, &ctx).map_err(|f| f.message);
            let prepared = Prepared::new(expr);
            let got = prepared.evaluate(&ctx, vars).map_err(|f| f.message);
            assert_eq!(got, expected, "{case}");
            // Without the borrowed variables, the slow path gives the same.
            let slow = prepared
                .evaluate(&ctx, Vars::default())
                .map_err(|f| f.message);
            assert_eq!(slow, expected, "{case} (slow path)");
        }
    }
}
