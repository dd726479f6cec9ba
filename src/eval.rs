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
pub fn evaluate(expr: &hcl::Expression, ctx: &Context) -> Result<Value, EvalFailure> {
    expr.evaluate(ctx).map_err(|e| EvalFailure::from_error(&e))
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
