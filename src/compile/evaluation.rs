//! Evaluating a field for one instance, and the diagnostics of an evaluation that fails: the
//! variable, key or function it lacks, and where.

use std::collections::{HashMap, HashSet};

use hcl::Value;
use serde_json::Map as JsonMap;

use super::{Instance, InstanceScope};
use crate::diagnostic::{Code, Diagnostic, Span, join_help, suggestion_help};
use crate::eval::describe_value;
use crate::eval::{self, EvalFailure, Missing};
use crate::model::{FanOut, Field, Model};

/// Which keys the `tenant`/`cluster` objects have, for the diagnostics of a missing one.
pub(super) struct InstanceKeys {
    /// How many tenants have each key, directly or in their `vars`.
    tenants: HashMap<String, usize>,
    /// The same for clusters.
    clusters: HashMap<String, usize>,
    /// Every key of the `tenant`/`cluster` objects and their nested objects, sorted.
    known: Vec<String>,
}

impl InstanceKeys {
    pub(super) fn new(model: &Model, cluster_values: &[Value]) -> InstanceKeys {
        let mut known: Vec<String> = model
            .tenants
            .iter()
            .map(|t| &t.value)
            .chain(cluster_values)
            .flat_map(nested_keys)
            .collect::<HashSet<&String>>()
            .into_iter()
            .cloned()
            .collect();
        known.sort();
        InstanceKeys {
            tenants: count_keys(model.tenants.iter().map(|t| &t.value)),
            clusters: count_keys(model.clusters.iter().map(|c| &c.value)),
            known,
        }
    }
}

/// The keys of an object and of the objects it holds.
fn nested_keys(value: &Value) -> Vec<&String> {
    let Value::Object(object) = value else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for (k, v) in object {
        keys.push(k);
        if let Value::Object(inner) = v {
            keys.extend(inner.keys());
        }
    }
    keys
}

/// How many of `values` have each key, directly or in their `vars`.
fn count_keys<'v>(values: impl Iterator<Item = &'v Value>) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for value in values {
        let Value::Object(object) = value else {
            continue;
        };
        let mut own: HashSet<&String> = object.keys().collect();
        if let Some(Value::Object(vars)) = object.get("vars") {
            own.extend(vars.keys());
        }
        for key in own {
            *counts.entry(key.clone()).or_default() += 1;
        }
    }
    counts
}

impl<'c, 'm, 'd> InstanceScope<'c, 'm, 'd> {
    pub(super) fn value(&mut self, field: &Field, what: &str) -> Option<Value> {
        if !field.divisions.is_empty() {
            let key = self.compiler.key(self.template, self.instance);
            let what = format!("`{what}` for `{key}`");
            if let Some(d) = crate::load::division_by_zero(&field.divisions, self.ctx, &what) {
                self.report(d);
                return None;
            }
        }
        match field.prepared.evaluate(self.ctx, self.vars) {
            Ok(value) => Some(value),
            Err(failure) if self.is_local_in_error(field, &failure) => {
                self.failed = true; // reported where the local is used or defined
                None
            }
            Err(failure) if self.is_var_in_error(&failure) => {
                self.failed = true; // reported at the tenant or cluster, against its declaration
                None
            }
            Err(failure) => {
                let d = self.eval_diagnostic(field, what, failure);
                self.report(d);
                None
            }
        }
    }

    /// A declared var of this instance's tenant or cluster that is missing or of the wrong type:
    /// the loader reported it.
    fn is_var_in_error(&self, failure: &EvalFailure) -> bool {
        let Some(Missing::Key(key)) = &failure.missing else {
            return false;
        };
        let model = self.compiler.model;
        let in_error = match self.instance {
            Instance::Tenant(t) => &model.tenants[t].vars_in_error,
            Instance::Cluster(c) => &model.clusters[c].vars_in_error,
            Instance::Once | Instance::Each(..) => return false,
        };
        in_error.contains(key)
    }

    /// `local.x` for a local that is unknown or whose value is in error: the loader reported it.
    fn is_local_in_error(&self, field: &Field, failure: &EvalFailure) -> bool {
        let Some(Missing::Key(key)) = &failure.missing else {
            return false;
        };
        let locals = &self.compiler.model.locals;
        field
            .locals
            .iter()
            .any(|used| used.value == *key && !locals.values.contains_key(key))
    }

    /// The call in `field` that failed: the only call of that function, else the first one that
    /// fails on its own.
    fn failed_call(&self, field: &Field, function: &str) -> Option<Span> {
        let calls: Vec<&crate::model::Call> =
            field.calls.iter().filter(|c| c.name == function).collect();
        if let [call] = calls.as_slice() {
            return Some(call.span.clone());
        }
        calls
            .iter()
            .find(|call| eval::evaluate(&call.expr, self.ctx).is_err())
            .or(calls.first())
            .map(|call| call.span.clone())
    }

    fn call_diagnostic(
        &self,
        field: &Field,
        what: &str,
        failure: &EvalFailure,
        name: &str,
    ) -> Diagnostic {
        let span = self
            .failed_call(field, name)
            .unwrap_or_else(|| field.span.clone());
        let help = match eval::signature(name) {
            Some(signature) => {
                format!("call it as `{signature}`; it works as Terraform's `{name}`")
            }
            None => "check the function's arguments".to_string(),
        };
        Diagnostic::error(
            Code::FunctionCall,
            span,
            format!(
                "cannot evaluate `{what}` for `{}`: {}",
                self.compiler.key(self.template, self.instance),
                failure.message
            ),
        )
        .label(format!("this call of `{name}`"))
        .help(help)
    }

    fn eval_diagnostic(&self, field: &Field, what: &str, failure: EvalFailure) -> Diagnostic {
        if let Some(name) = &failure.function {
            return self.call_diagnostic(field, what, &failure, name);
        }
        if let Some(Missing::Key(key)) = &failure.missing
            && let Some(diagnostic) = self.instance_lacking(key)
        {
            return diagnostic;
        }
        let source = self.compiler.model.sources.text(&field.span);
        let quote = match &failure.missing {
            Some(Missing::Variable(_)) => crate::load::quote_hint(source),
            _ => None,
        };
        let help = match &failure.missing {
            _ if quote.is_some() => quote.unwrap_or_default(),
            Some(Missing::Variable(name)) => {
                let vars = self.variables_in_scope();
                join_help(
                    suggestion_help(name, "variable", vars.iter().copied()),
                    &format!("this monitor sees {}", self.scope_description()),
                )
            }
            Some(Missing::Function(name)) => {
                suggestion_help(name, "function", eval::function_names())
            }
            Some(Missing::Key(key)) => {
                let keys = self.known_keys();
                // Never suggest the very name that is missing.
                let others = keys.iter().map(String::as_str).filter(|k| k != key);
                join_help(
                    suggestion_help(key, "key", others),
                    "check the spelling, or add it to `vars` of every tenant/cluster",
                )
            }
            None => "check the expression's types and operators".to_string(),
        };
        let span = match &failure.missing {
            Some(Missing::Function(name)) => self.failed_call(field, name),
            _ => None,
        };
        Diagnostic::error(
            Code::Eval,
            span.unwrap_or_else(|| field.span.clone()),
            format!(
                "cannot evaluate `{what}` for `{}`: {}",
                self.compiler.key(self.template, self.instance),
                failure.message
            ),
        )
        .label("while evaluating this")
        .help(help)
    }

    /// When this tenant (or cluster) lacks a key its siblings have, the mistake is in the tenant,
    /// not the template: one diagnostic at the tenant, however many fields use the key (the
    /// same code, span and label are counted once).
    fn instance_lacking(&self, key: &str) -> Option<Diagnostic> {
        let model = self.compiler.model;
        let keys = self.compiler.instance_keys();
        let (kind, name, counts) = match self.instance {
            Instance::Tenant(t) => ("tenant", &model.tenants[t].name, &keys.tenants),
            Instance::Cluster(c) => ("cluster", &model.clusters[c].name, &keys.clusters),
            Instance::Once | Instance::Each(..) => return None,
        };
        let sharing = counts.get(key).copied().unwrap_or(0);
        if sharing == 0 {
            return None;
        }
        Some(
            Diagnostic::error(
                Code::Eval,
                name.span.clone(),
                format!(
                    "{kind} `{}` has no `{key}`, which `{}` uses ({sharing} other {kind}s have it)",
                    name.value, self.template.name.value
                ),
            )
            .label(format!("has no `{key}`"))
            .help(format!(
                "add `{key} = ...` to the `vars` of {kind} `{}`",
                name.value
            )),
        )
    }

    fn variables_in_scope(&self) -> Vec<&'static str> {
        match self.instance {
            Instance::Once => vec![],
            Instance::Cluster(_) => vec!["cluster"],
            Instance::Tenant(_) => vec!["tenant", "cluster"],
            Instance::Each(..) => vec!["each"],
        }
    }

    fn scope_description(&self) -> &'static str {
        match self.template.fan_out.value {
            FanOut::Once => "no variables (it is a single monitor; add `for_each` to fan out)",
            FanOut::PerCluster => "`cluster` (for_each = clusters)",
            FanOut::PerTenant => "`tenant` and its `cluster` (for_each = tenants)",
            FanOut::PerKey => "`each.key` and `each.value` (for_each over a map or set)",
        }
    }

    /// Every key of the `tenant`/`cluster` objects and their `vars`, for suggestions.
    fn known_keys(&self) -> &[String] {
        &self.compiler.instance_keys().known
    }

    pub(super) fn string(&mut self, field: &Field, what: &str) -> String {
        match self.value(field, what) {
            Some(Value::String(s)) => {
                // A rendered list or object shows a bracket: only then look closer (it costs a
                // second evaluation of the interpolations).
                // Queries always hold `{` (scopes) and a collection in one fails its own check.
                let may_hold_collection = what != "query" && (s.contains('[') || s.contains('{'));
                if let Some(collection) = may_hold_collection
                    .then(|| field.prepared.interpolated_collection(self.ctx, self.vars))
                    .flatten()
                {
                    self.report(
                        Diagnostic::error(
                            Code::WrongType,
                            field.span.clone(),
                            format!("{collection} is interpolated into `{what}`"),
                        )
                        .label(format!("renders {collection} as text"))
                        .help("interpolate one value, or join a list: `${join(\", \", tenant.vars.list)}`"),
                    );
                }
                s
            }
            Some(other @ (Value::Number(_) | Value::Bool(_))) => other.to_string(),
            Some(other) => {
                self.wrong_type(field, what, "a string", &other);
                String::new()
            }
            None => String::new(),
        }
    }

    pub(super) fn strings(&mut self, field: &Field, what: &str) -> Vec<String> {
        match self.value(field, what) {
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .into_iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            Some(other) => {
                self.wrong_type(field, what, "a list of strings", &other);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    pub(super) fn object(
        &mut self,
        field: &Field,
        what: &str,
    ) -> JsonMap<String, serde_json::Value> {
        match self.value(field, what) {
            Some(value @ Value::Object(_)) => match serde_json::to_value(&value) {
                Ok(serde_json::Value::Object(map)) => map,
                _ => JsonMap::new(),
            },
            Some(other) => {
                self.wrong_type(field, what, "an object like `{ key = value }`", &other);
                JsonMap::new()
            }
            None => JsonMap::new(),
        }
    }

    pub(super) fn wrong_type(&mut self, field: &Field, what: &str, expected: &str, found: &Value) {
        self.report(
            Diagnostic::error(
                Code::WrongType,
                field.span.clone(),
                format!(
                    "`{what}` must be {expected}, found {}",
                    describe_value(found)
                ),
            )
            .label(format!("expected {expected}"))
            .help(format!(
                "change `{what}` so that it evaluates to {expected}"
            )),
        );
    }

    pub(super) fn report(&mut self, diagnostic: Diagnostic) {
        if diagnostic.is_error() {
            self.failed = true;
        }
        self.diagnostics.push(diagnostic);
    }
}
