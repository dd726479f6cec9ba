//! Typed `vars` of tenants and clusters, declared once as Terraform declares variables:
//!
//! ```hcl
//! tenant_vars {
//!   variable "error_rate_max" {
//!     type    = number
//!     default = 0.05
//!     validation {
//!       condition     = var.error_rate_max > 0 && var.error_rate_max < 1
//!       error_message = "error_rate_max is a fraction, between 0 and 1."
//!     }
//!   }
//! }
//! ```
//!
//! in `monc.hcl` or a file of `tenants/` (`cluster_vars` for clusters). Each tenant is checked
//! against it at its own file and line: a var missing, of the wrong type, not declared (a
//! warning: undeclared vars keep working), or failing a validation with the user's message.
//! Values are converted to their type and defaults filled in. Without a declaration, vars stay
//! untyped, as before.

use std::collections::HashMap;
use std::ops::Range;

use hcl::Value;
use hcl::edit::Span as _;
use hcl::edit::expr::{Expression as EditExpr, ObjectKey};
use hcl::edit::structure::{Attribute, Block, Structure};

use super::types::{Type, convert, parse_type};
use super::{Loader, ParsedFile};
use crate::diagnostic::{Code, Diagnostic, FileId, Span, Spanned, did_you_mean};
use crate::eval;

/// The blocks that declare vars, and the kind of block whose vars they declare.
pub(super) const SCHEMA_BLOCKS: &[(&str, &str)] =
    &[("tenant_vars", "tenant"), ("cluster_vars", "cluster")];

const VARIABLE_ATTRS: &[&str] = &["type", "default", "description", "nullable"];
const VALIDATION_ATTRS: &[&str] = &["condition", "error_message"];

/// One `variable "name" { ... }` of a `tenant_vars` or `cluster_vars` block.
#[derive(Debug)]
pub(super) struct VarDecl {
    name: Spanned<String>,
    ty: Type,
    default: Option<Value>,
    /// `nullable = false`: a null value is as good as none (the default applies).
    nullable: bool,
    validations: Vec<Validation>,
}

#[derive(Debug)]
struct Validation {
    condition: hcl::Expression,
    condition_span: Span,
    error_message: hcl::Expression,
}

/// Where a tenant writes its vars: the `vars` attribute, and each key and value in it.
struct Written {
    vars: Option<Span>,
    keys: HashMap<String, (Span, Span)>,
}

impl Written {
    /// The value of var `name` as written, else the `vars` attribute, else the block's name.
    fn value(&self, name: &str, block: &Span) -> Span {
        self.keys
            .get(name)
            .map(|(_, value)| value.clone())
            .or_else(|| self.vars.clone())
            .unwrap_or_else(|| block.clone())
    }
}

impl Loader {
    /// Reads the `tenant_vars` and `cluster_vars` blocks of monc.hcl and tenants/.
    pub(super) fn load_var_schemas(&mut self, files: &[&ParsedFile]) {
        for file in files {
            for structure in file.body.iter() {
                let Structure::Block(block) = structure else {
                    continue;
                };
                let ident = block.ident.as_str();
                if let Some(&(_, kind)) = SCHEMA_BLOCKS.iter().find(|(b, _)| *b == ident) {
                    self.var_schema_block(file.id, block, kind);
                }
            }
        }
    }

    fn var_schema_block(&mut self, id: FileId, block: &Block, kind: &'static str) {
        let what = block.ident.as_str().to_string();
        if let Some(label) = block.labels.first() {
            self.error(
                Diagnostic::error(
                    Code::BlockName,
                    self.span(id, label.span()),
                    format!("a `{what}` block has no name"),
                )
                .label("remove this label")
                .help(format!(
                    "write `{what} {{ variable \"name\" {{ type = string }} }}`"
                )),
            );
        }
        for attr in block.body.attributes() {
            self.check_known(id, attr, &[], &what);
        }
        // Declared, even if empty: then every var a tenant sets must be declared.
        self.var_schemas.entry(kind).or_default();
        for inner in block.body.blocks() {
            if inner.ident.as_str() != "variable" {
                self.unknown_block(id, inner, &["variable"], &format!("a `{what}` block"));
                continue;
            }
            if let Some(decl) = self.variable(id, inner, kind) {
                self.var_schemas.entry(kind).or_default().push(decl);
            }
        }
    }

    /// `variable "name" { type = ..., default = ..., validation { ... } }`.
    fn variable(&mut self, id: FileId, block: &Block, kind: &'static str) -> Option<VarDecl> {
        let label = self.one_label(
            id,
            block,
            "variable",
            "variable \"some_name\" { type = string }",
        )?;
        let name = Spanned {
            value: label.as_str().to_string(),
            span: self.span(id, label.span()),
        };
        let what = if kind == "tenant" {
            "tenant var"
        } else {
            "cluster var"
        };
        if self.is_duplicate(&name, what) {
            return None;
        }
        let attrs = self.known_attributes(id, block, VARIABLE_ATTRS, "variable");
        // A type or default in error is reported once: the variable stays declared (as `any`,
        // with a null default) so that tenants using it are not reported again.
        let ty = match attrs.get("type") {
            Some(attr) => self.type_constraint(id, attr).unwrap_or(Type::Any),
            None => Type::Any,
        };
        let default = attrs
            .get("default")
            .map(|attr| self.typed_default(id, attr, &ty).unwrap_or(Value::Null));
        let nullable = match attrs.get("nullable") {
            Some(attr) => match self.static_value(id, attr) {
                Some(Value::Bool(nullable)) => nullable,
                Some(other) => {
                    self.wrong_type(id, attr, "a boolean (true or false)", &other);
                    true
                }
                None => true,
            },
            None => true,
        };
        let mut validations = Vec::new();
        for inner in block.body.blocks() {
            if inner.ident.as_str() != "validation" {
                self.unknown_block(id, inner, &["validation"], "a `variable` block");
            } else if let Some(validation) = self.validation(id, inner) {
                validations.push(validation);
            }
        }
        Some(VarDecl {
            name,
            ty,
            default,
            nullable,
            validations,
        })
    }

    fn type_constraint(&mut self, id: FileId, attr: &Attribute) -> Option<Type> {
        match parse_type(&attr.value) {
            Ok(ty) => Some(ty),
            Err(error) => {
                let span = self.span(id, error.range.or(attr.value.span()));
                let word = self.model.sources.text(&span).to_string();
                let types = [
                    "string", "number", "bool", "any", "list", "set", "map", "object", "tuple",
                ];
                let help = match did_you_mean(&word, types) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "write a Terraform type: `string`, `number`, `bool`, `any`, \
                             `list(string)`, `set(string)`, `map(number)`, `object({ name = \
                             string, port = optional(number, 80) })` or `tuple([string, number])`"
                        .into(),
                };
                self.error(
                    Diagnostic::error(
                        Code::InvalidType,
                        span,
                        format!("not a type constraint: {}", error.message),
                    )
                    .label("not a type")
                    .help(help),
                );
                None
            }
        }
    }

    fn typed_default(&mut self, id: FileId, attr: &Attribute, ty: &Type) -> Option<Value> {
        let value = self.static_value(id, attr)?;
        match convert(&value, ty) {
            Ok(value) => Some(value),
            Err(mismatch) => {
                self.error(
                    Diagnostic::error(
                        Code::WrongType,
                        self.span(id, attr.value.span()),
                        format!(
                            "the default does not fit `type = {}`: {}",
                            ty.describe(),
                            mismatch.describe()
                        ),
                    )
                    .label("does not fit the type")
                    .help("change the default, or the type"),
                );
                None
            }
        }
    }

    fn validation(&mut self, id: FileId, block: &Block) -> Option<Validation> {
        let attrs = self.known_attributes(id, block, VALIDATION_ATTRS, "validation");
        let missing: Vec<&str> = VALIDATION_ATTRS
            .iter()
            .copied()
            .filter(|k| !attrs.contains_key(k))
            .collect();
        if !missing.is_empty() {
            self.missing_attributes(id, block, &missing, "validation");
            return None;
        }
        let condition = attrs["condition"];
        Some(Validation {
            condition: condition.value.clone().into(),
            condition_span: self.span(id, condition.value.span()),
            error_message: attrs["error_message"].value.clone().into(),
        })
    }

    /// Checks the `vars` of a tenant or cluster (`kind`) against its declaration, converting
    /// them and filling in defaults; nothing when no vars are declared for `kind`. The declared
    /// vars reported missing or of the wrong type are left out, and returned.
    pub(super) fn typed_vars(
        &mut self,
        id: FileId,
        block: &Block,
        kind: &'static str,
        name: &Spanned<String>,
        object: &mut hcl::Map<String, Value>,
    ) -> Vec<String> {
        let Some(decls) = self.var_schemas.remove(kind) else {
            return Vec::new();
        };
        let mut in_error = Vec::new();
        let written = self.written(id, block);
        if let Some(Value::Object(vars)) = object.get("vars")
            // Written with keys but empty: `vars` did not evaluate (reported).
            && (!vars.is_empty() || written.keys.is_empty())
        {
            let typed = self.check_vars(&decls, vars, &written, kind, name);
            in_error = decls
                .iter()
                .map(|d| &d.name.value)
                .filter(|var| !typed.contains_key(*var))
                .cloned()
                .collect();
            object.insert("vars".into(), Value::Object(typed));
        }
        self.var_schemas.insert(kind, decls);
        in_error
    }

    fn check_vars(
        &mut self,
        decls: &[VarDecl],
        vars: &hcl::Map<String, Value>,
        written: &Written,
        kind: &str,
        name: &Spanned<String>,
    ) -> hcl::Map<String, Value> {
        let mut typed = vars.clone();
        let mut valid = Vec::new();
        for decl in decls {
            let var = &decl.name.value;
            // As in Terraform: a null given for a `nullable = false` var takes its default.
            let given = vars.get(var).filter(|v| decl.nullable || !v.is_null());
            let value = match (given, &decl.default) {
                (Some(value), _) => convert(value, &decl.ty).map_err(|mismatch| {
                    Diagnostic::error(
                        Code::WrongType,
                        written.value(var, &name.span),
                        format!(
                            "var `{var}` of {kind} `{}` is not of type `{}`: {}",
                            name.value,
                            decl.ty.describe(),
                            mismatch.describe()
                        ),
                    )
                    .label(format!("not `{}`", decl.ty.describe()))
                    .related("declared here", decl.name.span.clone())
                    .help(format!(
                        "write a value of type `{}` (its declaration is in `{kind}_vars`)",
                        decl.ty.describe()
                    ))
                }),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(missing_var(decl, kind, name, written)),
            };
            match value {
                Ok(value) => {
                    typed.insert(var.clone(), value);
                    valid.push(decl);
                }
                Err(diagnostic) => {
                    typed.shift_remove(var);
                    self.error(diagnostic);
                }
            }
        }
        self.undeclared_vars(decls, vars, written, kind, name);
        self.validate_vars(&valid, &typed, written, kind, name);
        typed
    }

    /// `monc::unknown-var` (a warning: the var keeps working) for each var not declared.
    fn undeclared_vars(
        &mut self,
        decls: &[VarDecl],
        vars: &hcl::Map<String, Value>,
        written: &Written,
        kind: &str,
        name: &Spanned<String>,
    ) {
        let declared = || decls.iter().map(|d| d.name.value.as_str());
        for var in vars.keys().filter(|v| !declared().any(|d| d == v.as_str())) {
            let span = written
                .keys
                .get(var)
                .map(|(key, _)| key.clone())
                .unwrap_or_else(|| written.value(var, &name.span));
            let help = match did_you_mean(var, declared()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "declare it in `{kind}_vars` (`variable \"{var}\" {{ type = ... }}`), or \
                     remove it"
                ),
            };
            self.error(
                Diagnostic::warning(
                    Code::UnknownVar,
                    span,
                    format!(
                        "{kind} `{}` sets var `{var}`, which `{kind}_vars` does not declare",
                        name.value
                    ),
                )
                .label("not declared")
                .help(help),
            );
        }
    }

    /// Runs the `validation` blocks of the vars that have a value of their type.
    fn validate_vars(
        &mut self,
        valid: &[&VarDecl],
        typed: &hcl::Map<String, Value>,
        written: &Written,
        kind: &str,
        name: &Spanned<String>,
    ) {
        if valid.iter().all(|d| d.validations.is_empty()) {
            return;
        }
        let mut ctx = self
            .validation_ctx
            .take()
            .unwrap_or_else(|| self.ctx.clone());
        ctx.declare_var("var", Value::Object(typed.clone()));
        for decl in valid {
            for validation in &decl.validations {
                let span = written.value(&decl.name.value, &name.span);
                if let Some(d) = failed_validation(&ctx, decl, validation, span, kind, name) {
                    self.error(d);
                }
            }
        }
        self.validation_ctx = Some(ctx);
    }

    /// The spans of the `vars` attribute of a block and of each key and value in it.
    fn written(&self, id: FileId, block: &Block) -> Written {
        let Some(attr) = block.body.get_attribute("vars") else {
            return Written {
                vars: None,
                keys: HashMap::new(),
            };
        };
        let mut keys = HashMap::new();
        if let EditExpr::Object(object) = &attr.value {
            for (key, value) in object.iter() {
                let (text, range): (String, Option<Range<usize>>) = match key {
                    ObjectKey::Ident(ident) => (ident.as_str().to_string(), ident.span()),
                    ObjectKey::Expression(EditExpr::String(s)) => (s.value().to_string(), s.span()),
                    ObjectKey::Expression(other) => (String::new(), other.span()),
                };
                let spans = (self.span(id, range), self.span(id, value.expr().span()));
                keys.insert(text, spans);
            }
        }
        Written {
            vars: Some(self.span(id, attr.value.span())),
            keys,
        }
    }
}

/// `monc::missing-var` for a declared var without a default that a tenant does not set.
fn missing_var(
    decl: &VarDecl,
    kind: &str,
    name: &Spanned<String>,
    written: &Written,
) -> Diagnostic {
    let var = &decl.name.value;
    let span = written.vars.clone().unwrap_or_else(|| name.span.clone());
    Diagnostic::error(
        Code::MissingVar,
        span,
        format!(
            "{kind} `{}` does not set var `{var}`, which has no default",
            name.value
        ),
    )
    .label(format!("no `{var}` here"))
    .related("declared here", decl.name.span.clone())
    .help(format!(
        "add `{var} = <{}>` to the `vars` of {kind} `{}`, or give the variable a `default`",
        decl.ty.describe(),
        name.value
    ))
}

/// `monc::var-validation` when `validation`'s condition does not hold for the var's value, or
/// cannot be evaluated.
fn failed_validation(
    ctx: &hcl::eval::Context<'static>,
    decl: &VarDecl,
    validation: &Validation,
    span: Span,
    kind: &str,
    name: &Spanned<String>,
) -> Option<Diagnostic> {
    let var = &decl.name.value;
    let (message, label) = match eval::evaluate(&validation.condition, ctx) {
        Ok(Value::Bool(true)) => return None,
        Ok(Value::Bool(false)) => {
            let message = match eval::evaluate(&validation.error_message, ctx) {
                Ok(Value::String(message)) => message,
                Ok(other) => format!("`{var}` fails its validation ({other} as error_message)"),
                Err(failure) => format!(
                    "`{var}` fails its validation (error_message: {})",
                    failure.message
                ),
            };
            (
                format!("{kind} `{}`: {message}", name.value),
                format!("fails the validation of `{var}`"),
            )
        }
        Ok(other) => (
            format!(
                "the validation of `{var}` must be true or false, found {}",
                eval::describe_value(&other)
            ),
            "checked here".to_string(),
        ),
        Err(failure) => (
            format!(
                "the validation of `{var}` cannot be evaluated for {kind} `{}`: {}",
                name.value, failure.message
            ),
            "checked here".to_string(),
        ),
    };
    Some(
        Diagnostic::error(Code::VarValidation, span, message)
            .label(label)
            .related("the condition", validation.condition_span.clone())
            .help(format!(
                "change `{var}` of {kind} `{}` so that the condition holds (the condition sees \
                 the {kind}'s vars as `var.<name>`)",
                name.value
            )),
    )
}
