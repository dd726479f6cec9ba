//! Evaluating HCL expressions: the function library and readable evaluation errors.

use hcl::Value;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};

/// Functions available in every expression. HCL itself ships none.
pub fn base_context() -> Context<'static> {
    let mut ctx = Context::new();
    let string = || FuncDef::builder().param(ParamType::String);
    ctx.declare_func(
        "lower",
        string().build(|a| Ok(str_arg(&a, 0).to_lowercase().into())),
    );
    ctx.declare_func(
        "upper",
        string().build(|a| Ok(str_arg(&a, 0).to_uppercase().into())),
    );
    ctx.declare_func(
        "trimspace",
        string().build(|a| Ok(str_arg(&a, 0).trim().into())),
    );
    ctx.declare_func(
        "replace",
        string()
            .param(ParamType::String)
            .param(ParamType::String)
            .build(|a| {
                Ok(str_arg(&a, 0)
                    .replace(str_arg(&a, 1), str_arg(&a, 2))
                    .into())
            }),
    );
    ctx.declare_func(
        "join",
        FuncDef::builder()
            .param(ParamType::String)
            .param(ParamType::array_of(ParamType::Any))
            .build(join),
    );
    ctx.declare_func(
        "concat",
        FuncDef::builder()
            .variadic_param(ParamType::array_of(ParamType::Any))
            .build(concat),
    );
    ctx
}

/// Names of the functions declared by [`base_context`], for suggestions.
pub const FUNCTIONS: &[&str] = &["lower", "upper", "trimspace", "replace", "join", "concat"];

fn str_arg(args: &FuncArgs, index: usize) -> &str {
    args.get(index).and_then(Value::as_str).unwrap_or_default()
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let separator = str_arg(&args, 0).to_owned();
    let items = args
        .get(1)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let parts: Vec<String> = items.iter().map(value_to_text).collect();
    Ok(parts.join(&separator).into())
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let lists = args.into_values();
    let joined: Vec<Value> = lists
        .into_iter()
        .flat_map(|list| match list {
            Value::Array(items) => items,
            other => vec![other],
        })
        .collect();
    Ok(Value::Array(joined))
}

/// How a value reads when interpolated into a string.
pub fn value_to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Evaluates an expression; on failure returns the error's message and a hint for the user.
///
/// hcl-rs's number arithmetic panics on an integer `%` by zero and on integer overflow (and, in
/// debug builds, on any non-finite result such as `1 / 0`): found by fuzzing. A user's typo must
/// be a diagnostic, not a crash, so such a panic is caught here and its message kept off stderr.
pub fn evaluate(expr: &hcl::Expression, ctx: &Context) -> Result<Value, EvalFailure> {
    silence_panics_during_evaluation();
    EVALUATING.with(|flag| flag.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| expr.evaluate(ctx)));
    EVALUATING.with(|flag| flag.set(false));
    match result {
        Ok(Ok(value)) if has_non_finite_number(&value) => Err(EvalFailure::arithmetic()),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(EvalFailure::from_error(&error)),
        Err(_) => Err(EvalFailure::arithmetic()),
    }
}

thread_local! {
    static EVALUATING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs (once) a panic hook that stays quiet for panics caught by [`evaluate`] and reports
/// every other panic as before.
fn silence_panics_during_evaluation() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EVALUATING.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

fn has_non_finite_number(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.as_f64().is_some_and(|f| !f.is_finite()),
        Value::Array(items) => items.iter().any(has_non_finite_number),
        Value::Object(map) => map.values().any(has_non_finite_number),
        _ => false,
    }
}

#[derive(Debug, Clone)]
pub struct EvalFailure {
    pub message: String,
    /// The name that was not found, when that is the problem (for "did you mean").
    pub missing: Option<Missing>,
}

#[derive(Debug, Clone)]
pub enum Missing {
    Variable(String),
    Function(String),
    Key(String),
}

impl EvalFailure {
    fn arithmetic() -> EvalFailure {
        EvalFailure {
            message: "arithmetic error: division by zero, or a number too large".into(),
            missing: None,
        }
    }

    fn from_error(error: &hcl::eval::Error) -> EvalFailure {
        use hcl::eval::ErrorKind;
        let missing = match error.kind() {
            ErrorKind::UndefinedVar(name) => Some(Missing::Variable(name.to_string())),
            ErrorKind::UndefinedFunc(name) => Some(Missing::Function(name.to_string())),
            ErrorKind::NoSuchKey(key) => Some(Missing::Key(key.clone())),
            _ => None,
        };
        let message = match &missing {
            Some(Missing::Variable(name)) => format!("unknown variable `{name}`"),
            Some(Missing::Function(name)) => format!("unknown function `{name}`"),
            Some(Missing::Key(key)) => format!("no value named `{key}` here"),
            None => error.kind().to_string(),
        };
        EvalFailure { message, missing }
    }
}

/// A list or object interpolated into a string template (`"x ${[1, 2]}"`): evaluation renders
/// it as text nobody meant to write. Returns what it is ("a list", "an object").
pub fn interpolated_collection(expr: &hcl::Expression, ctx: &Context) -> Option<&'static str> {
    let hcl::Expression::TemplateExpr(template) = expr else {
        return None;
    };
    let template = hcl::template::Template::from_expr(template).ok()?;
    template
        .elements()
        .iter()
        .find_map(|element| match element {
            hcl::template::Element::Interpolation(interpolation) => {
                match evaluate(&interpolation.expr, ctx).ok()? {
                    value @ (Value::Array(_) | Value::Object(_)) => Some(describe_value(&value)),
                    _ => None,
                }
            }
            _ => None,
        })
}

/// How a value reads in a diagnostic ("a list", "a number", ...).
pub fn describe_value(value: &hcl::Value) -> &'static str {
    match value {
        hcl::Value::Null => "null",
        hcl::Value::Bool(_) => "a boolean",
        hcl::Value::Number(_) => "a number",
        hcl::Value::String(_) => "a string",
        hcl::Value::Array(_) => "a list",
        hcl::Value::Object(_) => "an object",
    }
}
