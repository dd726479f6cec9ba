//! What hcl-rs's evaluator cannot do for Terraform's language, done where the evaluator sees
//! the expression:
//!
//! - `try` and `can` need their arguments unevaluated (hcl-rs evaluates every argument before
//!   calling a function, so an error in one would end the whole evaluation);
//! - a `for` expression walks a map in the lexical order of its keys (hcl-rs walks it in the
//!   order it was written);
//! - a conditional evaluates only the branch it takes, so a `try` or `for` in the other branch
//!   is never run.
//!
//! An expression holding none of these is evaluated by hcl-rs as it is. Otherwise each such
//! part is evaluated here into its value, and hcl-rs evaluates what is left. In a template, a
//! `%{for}` directive walks a map in key order too, but a `try`/`can` in its body is evaluated
//! as an ordinary call (its arguments first), since the body's variables exist only in hcl-rs.

use hcl::eval::{Context, Error, ErrorKind, Evaluate};
use hcl::expr::{
    Conditional, Expression, ForExpr, FuncCall, FuncName, ObjectKey, Operation, TraversalOperator,
};
use hcl::template::{Directive, Element, Template};
use hcl::{Map, Value};

use super::functions::short;

type Result<T> = std::result::Result<T, Error>;

/// Evaluates `expr` as Terraform would.
pub(super) fn evaluate(expr: &Expression, ctx: &Context) -> Result<Value> {
    if !needs_care(expr) {
        return expr.evaluate(ctx);
    }
    resolve(expr, ctx)?.evaluate(ctx)
}

/// Whether `expr` holds a `for`, a `try`/`can` call or a template directive.
pub(super) fn needs_care(expr: &Expression) -> bool {
    match expr {
        Expression::ForExpr(_) => true,
        Expression::FuncCall(call) => is_lazy(call) || call.args.iter().any(needs_care),
        Expression::Array(items) => items.iter().any(needs_care),
        Expression::Object(map) => map.iter().any(|(key, value)| {
            matches!(key, ObjectKey::Expression(k) if needs_care(k)) || needs_care(value)
        }),
        Expression::TemplateExpr(template) => {
            Template::from_expr(template).is_ok_and(|t| template_needs_care(&t))
        }
        Expression::Traversal(traversal) => {
            needs_care(&traversal.expr)
                || traversal
                    .operators
                    .iter()
                    .any(|op| matches!(op, TraversalOperator::Index(i) if needs_care(i)))
        }
        Expression::Parenthesis(inner) => needs_care(inner),
        Expression::Conditional(c) => {
            needs_care(&c.cond_expr) || needs_care(&c.true_expr) || needs_care(&c.false_expr)
        }
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(u) => needs_care(&u.expr),
            Operation::Binary(b) => needs_care(&b.lhs_expr) || needs_care(&b.rhs_expr),
        },
        _ => false,
    }
}

fn template_needs_care(template: &Template) -> bool {
    template.elements().iter().any(|element| match element {
        Element::Literal(_) => false,
        Element::Interpolation(i) => needs_care(&i.expr),
        Element::Directive(_) => true,
    })
}

fn is_lazy(call: &FuncCall) -> bool {
    call.name.namespace.is_empty()
        && (matches!(call.name.name.as_str(), "try" | "can")
            || super::files::NAMES.contains(&call.name.name.as_str()))
}

/// `expr` with every part that needs care replaced by its value.
fn resolve(expr: &Expression, ctx: &Context) -> Result<Expression> {
    if !needs_care(expr) {
        return Ok(expr.clone());
    }
    let resolved = match expr {
        Expression::ForExpr(for_expr) => Expression::from(for_each(for_expr, ctx)?),
        Expression::FuncCall(call) if is_lazy(call) => Expression::from(special_call(call, ctx)?),
        Expression::Conditional(c) => return conditional(c, ctx),
        Expression::TemplateExpr(template) => {
            let mut template = Template::from_expr(template).map_err(message)?;
            resolve_template(&mut template, ctx)?;
            Expression::from(template.evaluate(ctx)?)
        }
        Expression::FuncCall(call) => {
            let mut call = call.clone();
            for arg in &mut call.args {
                *arg = resolve(arg, ctx)?;
            }
            Expression::FuncCall(call)
        }
        Expression::Array(items) => Expression::Array(
            items
                .iter()
                .map(|item| resolve(item, ctx))
                .collect::<Result<_>>()?,
        ),
        Expression::Object(map) => {
            let mut resolved = hcl::expr::Object::new();
            for (key, value) in map {
                let key = match key {
                    ObjectKey::Expression(k) => ObjectKey::Expression(resolve(k, ctx)?),
                    other => other.clone(),
                };
                resolved.insert(key, resolve(value, ctx)?);
            }
            Expression::Object(resolved)
        }
        Expression::Traversal(traversal) => {
            let mut traversal = traversal.clone();
            traversal.expr = resolve(&traversal.expr, ctx)?;
            for op in &mut traversal.operators {
                if let TraversalOperator::Index(index) = op {
                    *index = resolve(index, ctx)?;
                }
            }
            Expression::Traversal(traversal)
        }
        Expression::Parenthesis(inner) => Expression::Parenthesis(Box::new(resolve(inner, ctx)?)),
        Expression::Operation(op) => {
            let mut op = op.clone();
            match op.as_mut() {
                Operation::Unary(u) => u.expr = resolve(&u.expr, ctx)?,
                Operation::Binary(b) => {
                    b.lhs_expr = resolve(&b.lhs_expr, ctx)?;
                    b.rhs_expr = resolve(&b.rhs_expr, ctx)?;
                }
            }
            Expression::Operation(op)
        }
        other => other.clone(),
    };
    Ok(resolved)
}

fn message(error: impl std::fmt::Display) -> Error {
    Error::from(ErrorKind::Message(error.to_string()))
}

/// Only the branch taken is resolved (and so evaluated).
fn conditional(c: &Conditional, ctx: &Context) -> Result<Expression> {
    match evaluate(&c.cond_expr, ctx)? {
        Value::Bool(true) => resolve(&c.true_expr, ctx),
        Value::Bool(false) => resolve(&c.false_expr, ctx),
        other => Err(Error::from(ErrorKind::Unexpected(other, "a boolean"))),
    }
}

/// The interpolations and `%{if}` conditions of a template, and the collections of its
/// `%{for}` directives (maps put in key order); the bodies of `%{for}` are left to hcl-rs.
fn resolve_template(template: &mut Template, ctx: &Context) -> Result<()> {
    for element in template.elements_mut() {
        match element {
            Element::Literal(_) => {}
            Element::Interpolation(i) => i.expr = resolve(&i.expr, ctx)?,
            Element::Directive(directive) => match directive.as_mut() {
                Directive::If(d) => {
                    d.cond_expr = resolve(&d.cond_expr, ctx)?;
                    resolve_template(&mut d.true_template, ctx)?;
                    if let Some(t) = &mut d.false_template {
                        resolve_template(t, ctx)?;
                    }
                }
                Directive::For(d) => {
                    let collection = in_key_order(evaluate(&d.collection_expr, ctx)?);
                    d.collection_expr = Expression::from(collection);
                }
            },
        }
    }
    Ok(())
}

/// A map with its entries in key order (the order a `for` walks them).
fn in_key_order(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        other => other,
    }
}

/// The pairs a `for` walks: (index, element) of a list, (key, value) of a map in key order.
fn pairs(collection: Value) -> Result<Vec<(Value, Value)>> {
    match in_key_order(collection) {
        Value::Array(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::from(i as u64), v))
            .collect()),
        Value::Object(map) => Ok(map.into_iter().map(|(k, v)| (Value::from(k), v)).collect()),
        other => Err(message(format!(
            "a `for` walks a list or an object, got {} ({})",
            super::describe_value(&other),
            short(&other)
        ))),
    }
}

/// A `for` expression. Its variables live in one copy of the context, rebound per element.
fn for_each(f: &ForExpr, ctx: &Context) -> Result<Value> {
    let mut scope = ctx.clone();
    let mut list = Vec::new();
    let mut object: Map<String, Value> = Map::new();
    for (key, value) in pairs(evaluate(&f.collection_expr, ctx)?)? {
        if let Some(key_var) = &f.key_var {
            scope.declare_var(key_var.clone(), key);
        }
        scope.declare_var(f.value_var.clone(), value);
        if let Some(cond) = &f.cond_expr {
            match evaluate(cond, &scope)? {
                Value::Bool(true) => {}
                Value::Bool(false) => continue,
                other => {
                    return Err(message(format!(
                        "the `if` of a `for` must be true or false, got {} ({})",
                        super::describe_value(&other),
                        short(&other)
                    )));
                }
            }
        }
        let value = evaluate(&f.value_expr, &scope)?;
        let Some(key_expr) = &f.key_expr else {
            list.push(value);
            continue;
        };
        let key = match evaluate(key_expr, &scope)? {
            Value::String(s) => s,
            key @ (Value::Number(_) | Value::Bool(_)) => key.to_string(),
            other => return Err(Error::from(ErrorKind::Unexpected(other, "a string key"))),
        };
        if f.grouping {
            let group = object
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = group {
                items.push(value);
            }
        } else if object.contains_key(&key) {
            return Err(message(format!(
                "the `for` gives the key {key:?} twice: write `...` after the value to group \
                 the values of a key into a list"
            )));
        } else {
            object.insert(key, value);
        }
    }
    Ok(match f.key_expr {
        Some(_) => Value::Object(object),
        None => Value::Array(list),
    })
}

/// A call of `try`, `can`, or a file function (which needs the context's project directory).
fn special_call(call: &FuncCall, ctx: &Context) -> Result<Value> {
    let name = call.name.name.as_str();
    if matches!(name, "try" | "can") {
        return lazy_call(call, ctx);
    }
    let mut args = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        args.push(evaluate(arg, ctx)?);
    }
    if call.expand_final {
        let spread = args.pop().unwrap_or(Value::Null);
        let Value::Array(items) = spread else {
            return Err(Error::from(ErrorKind::Unexpected(
                spread,
                "a list to spread",
            )));
        };
        args.extend(items);
    }
    super::files::call(name, &args, ctx)
        .map_err(|why| Error::from(ErrorKind::FuncCall(call.name.clone(), why)))
}

/// A template (of `templatefile`) rendered as Terraform would.
pub(super) fn render(mut template: Template, ctx: &Context) -> Result<String> {
    resolve_template(&mut template, ctx)?;
    template.evaluate(ctx)
}

/// `try(a, b, ...)`: the first argument that evaluates without an error; `can(a)`: whether
/// `a` does. A misspelt function or variable name is not caught: Terraform refuses it before
/// evaluating anything, and hiding a typo behind a fallback would be worse.
fn lazy_call(call: &FuncCall, ctx: &Context) -> Result<Value> {
    let name = call.name.name.as_str();
    let failed = |why: String| Error::from(ErrorKind::FuncCall(FuncName::new(name), why));
    if name == "can" && call.args.len() != 1 {
        return Err(failed(format!(
            "takes 1 argument, got {} arguments",
            call.args.len()
        )));
    }
    if call.args.is_empty() {
        return Err(failed("takes at least 1 argument, got 0 arguments".into()));
    }
    let mut last = String::new();
    for arg in &call.args {
        match attempt(arg, ctx) {
            Ok(_) if name == "can" => return Ok(Value::Bool(true)),
            Ok(value) => return Ok(value),
            Err(Some(error)) if is_static(&error) => return Err(error),
            Err(Some(error)) => last = super::EvalFailure::from_error(&error).message,
            Err(None) => last = super::EvalFailure::arithmetic().message,
        }
    }
    if name == "can" {
        return Ok(Value::Bool(false));
    }
    Err(failed(format!(
        "no argument evaluated without an error; the last failed with: {last}"
    )))
}

/// One argument of `try`/`can`: its value, or its error (`None` for an arithmetic error,
/// which hcl-rs reports by panicking or with a non-finite number; see `super::evaluate`).
fn attempt(arg: &Expression, ctx: &Context) -> std::result::Result<Value, Option<Error>> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| evaluate(arg, ctx)));
    match result {
        Ok(Ok(value)) if super::has_non_finite_number(&value) => Err(None),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Some(error)),
        Err(_) => Err(None),
    }
}

fn is_static(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::UndefinedFunc(_) | ErrorKind::UndefinedVar(_)
    )
}
