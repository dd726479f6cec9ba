//! Evaluating HCL expressions: the function library and readable evaluation errors.

mod collections;
mod encoding;
mod files;
mod format;
mod functions;
mod hashes;
mod lazy;
mod numbers;
mod patterns;
mod prepared;
mod text;

pub use prepared::{Prepared, Vars};

use hcl::Value;
use hcl::eval::{Context, FuncDef, ParamType};

/// Functions available in every expression (HCL itself ships none): Terraform's, by name and
/// meaning. Each checks its own arguments (see [`functions`]).
pub fn base_context() -> Context<'static> {
    let mut ctx = Context::new();
    for function in functions::FUNCTIONS {
        let def = FuncDef::builder()
            .variadic_param(ParamType::Any)
            .build(function.body);
        ctx.declare_func(function.name, def);
    }
    ctx
}

/// [`base_context`] for a project in `root`: `path.root` and `path.module` are `.`, and the
/// file functions read files inside `root` only.
pub fn base_context_in(root: &std::path::Path) -> Context<'static> {
    let mut ctx = base_context();
    files::declare_project(&mut ctx, root);
    ctx
}

/// Names of the functions declared by [`base_context`], for suggestions.
pub fn function_names() -> impl Iterator<Item = &'static str> + Clone {
    functions::FUNCTIONS.iter().map(|f| f.name)
}

/// How a function is called, as messages show it (`substr(string, offset, length)`).
pub fn signature(name: &str) -> Option<&'static str> {
    functions::FUNCTIONS
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.signature)
}

/// How a value reads when interpolated into a string.
pub fn value_to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Largest value one expression may evaluate to: a string's bytes, and for lists and objects
/// their members' (keys included) plus 8 bytes each. Values grow without bound from a small
/// input (40 locals that each double the last take 1 TB): a value past this is an error where
/// it is produced, not a memory blow-up. Real values (a message, a list of names) are KBs.
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// The error of a value past [`MAX_VALUE_BYTES`].
pub fn too_large_message() -> String {
    format!(
        "the value is larger than {} MiB, the most one expression may produce; values that \
         repeat others (a local that doubles another, nested `for`, `replace` or `format`) \
         grow without bound",
        MAX_VALUE_BYTES >> 20
    )
}

/// Whether `value` is larger than [`MAX_VALUE_BYTES`] (measured up to that bound only).
pub fn is_too_large(value: &Value) -> bool {
    let mut left = MAX_VALUE_BYTES;
    !fits(value, &mut left)
}

/// Takes `value`'s size from `left`; false once it runs out.
fn fits(value: &Value, left: &mut usize) -> bool {
    let own = match value {
        Value::String(s) => s.len(),
        Value::Object(map) => map.keys().map(String::len).sum::<usize>() + 8 * map.len(),
        Value::Array(items) => 8 * items.len(),
        _ => 8,
    };
    let Some(rest) = left.checked_sub(own) else {
        return false;
    };
    *left = rest;
    match value {
        Value::Array(items) => items.iter().all(|item| fits(item, left)),
        Value::Object(map) => map.values().all(|item| fits(item, left)),
        _ => true,
    }
}

/// For functions whose result could pass [`MAX_VALUE_BYTES`]: checks its size before it is
/// built.
pub fn check_result_size(bytes: usize) -> Result<(), String> {
    if bytes > MAX_VALUE_BYTES {
        return Err(too_large_message());
    }
    Ok(())
}

/// Evaluates an expression; on failure returns the error's message and a hint for the user.
///
/// hcl-rs's number arithmetic panics on an integer `%` by zero and on integer overflow (and, in
/// debug builds, on any non-finite result such as `1 / 0`): found by fuzzing. A user's typo must
/// be a diagnostic, not a crash, so such a panic is caught here and its message kept off stderr.
pub fn evaluate(expr: &hcl::Expression, ctx: &Context) -> Result<Value, EvalFailure> {
    guarded(|| lazy::evaluate(expr, ctx))
}

/// Runs one evaluation with its panics caught and its result checked (see [`evaluate`]).
fn guarded(run: impl FnOnce() -> hcl::eval::EvalResult<Value>) -> Result<Value, EvalFailure> {
    silence_panics_during_evaluation();
    EVALUATING.with(|flag| flag.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
    EVALUATING.with(|flag| flag.set(false));
    match result {
        Ok(Ok(value)) if has_non_finite_number(&value) => Err(EvalFailure::arithmetic()),
        Ok(Ok(value)) if is_too_large(&value) => Err(EvalFailure::too_large()),
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
    /// The function whose call failed (wrong arguments), to point at the call.
    pub function: Option<String>,
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
            function: None,
        }
    }

    fn too_large() -> EvalFailure {
        EvalFailure {
            message: too_large_message(),
            missing: None,
            function: None,
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
            None => match error.kind() {
                ErrorKind::FuncCall(name, why) => {
                    let call = signature(&name.to_string()).unwrap_or_default();
                    format!("wrong call of `{name}`: {why} (it is called as `{call}`)")
                }
                other => other.to_string(),
            },
        };
        let function = match error.kind() {
            ErrorKind::FuncCall(name, _) => Some(name.to_string()),
            _ => None,
        };
        EvalFailure {
            message,
            missing,
            function,
        }
    }
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

#[cfg(test)]
mod tests;
