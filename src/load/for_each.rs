//! `for_each` of a template: `tenants`, `clusters`, or, as in Terraform, any map or set of
//! strings (`for_each = local.cpu_variants`, `{ for t in tenants : t.name => t if t.vars.apm }`),
//! computed once when the project is loaded: one monitor per key, with `each.key` and
//! `each.value`.

use hcl::edit::Span as _;
use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::{Attribute, Block};

use super::Loader;
use crate::diagnostic::{Code, Diagnostic, FileId, Span, Spanned, did_you_mean};
use crate::eval::describe_value;
use crate::model::{Each, FanOut, check_name};

/// What a `for_each` expression may use, for the help of one that fails.
const FOR_EACH_SCOPE: &str = "`for_each` is computed once, when monc loads the project, from \
     constants, functions, `local.<name>`, `tenants` and `clusters` (maps of name to object, \
     e.g. `{ for t in tenants : t.name => t if t.vars.apm }`); `tenant`, `cluster` and `each` \
     are not in scope there";

/// What `for_each` takes, for help texts.
const FOR_EACH_FORMS: &str = "write `for_each = tenants` (one monitor per tenant), `for_each = \
     clusters` (one per cluster), or a map or set of strings (one per key, as `each.key` and \
     `each.value`); leave it out for a single monitor";

impl Loader {
    /// The fan-out of a template and, for a map or set, its instances in key order.
    pub(super) fn fan_out(
        &mut self,
        id: FileId,
        attr: Option<&Attribute>,
        block: &Block,
    ) -> Option<(Spanned<FanOut>, Vec<Each>)> {
        let Some(attr) = attr else {
            let span = self.span(id, block.ident.span());
            return Some((spanned(FanOut::Once, span), Vec::new()));
        };
        let span = self.span(id, attr.value.span());
        // A bare word (or, as before, a quoted one) names a collection of the project.
        let word = match &attr.value {
            EditExpr::Variable(ident) if ident.as_str() != "local" => Some(ident.as_str()),
            EditExpr::String(s) => Some(s.value().as_str()),
            _ => None,
        };
        match word {
            Some("tenants") => return Some((spanned(FanOut::PerTenant, span), Vec::new())),
            Some("clusters") => return Some((spanned(FanOut::PerCluster, span), Vec::new())),
            Some(other) => {
                self.error(unknown_collection(other, span));
                return None;
            }
            None => {}
        }
        let ctx = self.for_each_context();
        let value = self.value_in(id, &attr.value, "for_each", &ctx, FOR_EACH_SCOPE);
        self.for_each_ctx = Some(ctx);
        let each = self.instances_of(value?, &span)?;
        Some((spanned(FanOut::PerKey, span), each))
    }

    /// The context of `for_each` expressions: the loader's, with `tenants` and `clusters`
    /// (built once, after every tenant is loaded).
    fn for_each_context(&mut self) -> hcl::eval::Context<'static> {
        if let Some(ctx) = self.for_each_ctx.take() {
            return ctx;
        }
        let mut ctx = self.ctx.clone();
        let by_name =
            |items: Vec<(String, hcl::Value)>| hcl::Value::Object(items.into_iter().collect());
        let tenants = self.model.tenants.iter();
        ctx.declare_var(
            "tenants",
            by_name(
                tenants
                    .map(|t| (t.name.value.clone(), t.value.clone()))
                    .collect(),
            ),
        );
        let clusters = self.model.clusters.iter();
        ctx.declare_var(
            "clusters",
            by_name(
                clusters
                    .map(|c| (c.name.value.clone(), c.value.clone()))
                    .collect(),
            ),
        );
        ctx
    }

    /// One instance per key of a map, or per element of a set of strings, in key order (as
    /// Terraform iterates both); reported when `value` is neither or a key cannot be part of
    /// a monitor key.
    fn instances_of(&mut self, value: hcl::Value, span: &Span) -> Option<Vec<Each>> {
        let mut each = match value {
            hcl::Value::Object(map) => map
                .into_iter()
                .map(|(key, value)| Each { key, value })
                .collect(),
            hcl::Value::Array(items) => self.set_elements(items, span)?,
            other => {
                self.error(
                    Diagnostic::error(
                        Code::InvalidForEach,
                        span.clone(),
                        format!(
                            "`for_each` must be a map or a set of strings, found {}",
                            describe_value(&other)
                        ),
                    )
                    .label("not a map or a set")
                    .help(FOR_EACH_FORMS),
                );
                return None;
            }
        };
        each.sort_by(|a, b| a.key.cmp(&b.key));
        if let Some(bad) = each
            .iter()
            .find_map(|e| check_name(&e.key).err().map(|p| (e, p)))
        {
            let (bad, problem) = bad;
            self.error(
                Diagnostic::error(
                    Code::InvalidForEach,
                    span.clone(),
                    format!(
                        "`for_each` key {:?} cannot be part of a monitor key: {problem}",
                        bad.key
                    ),
                )
                .label("gives this key")
                .help(
                    "each key becomes part of the monitor's key and tags (`l2/cpu/<key>`): use \
                     lowercase letters, digits, `-` and `_`, starting with a letter or digit \
                     (e.g. build the map's keys with `lower(...)`)",
                ),
            );
            return None;
        }
        Some(each)
    }

    /// The elements of a set of strings (monc's sets are lists, as `toset` gives them): each
    /// is its own key and value. A list with a non-string or a repeated element is reported.
    fn set_elements(&mut self, items: Vec<hcl::Value>, span: &Span) -> Option<Vec<Each>> {
        let mut seen = std::collections::HashSet::new();
        let mut each = Vec::with_capacity(items.len());
        for item in items {
            let problem = match &item {
                hcl::Value::String(key) if seen.insert(key.clone()) => {
                    each.push(Each {
                        key: key.clone(),
                        value: item,
                    });
                    continue;
                }
                hcl::Value::String(key) => format!("it holds {key:?} twice"),
                other => format!("it holds {}", describe_value(other)),
            };
            self.error(
                Diagnostic::error(
                    Code::InvalidForEach,
                    span.clone(),
                    format!("`for_each` over a list must be a set of strings: {problem}"),
                )
                .label("not a set of strings")
                .help(
                    "as in Terraform, `for_each` takes a map or a set of strings: wrap a list of \
                     strings in `toset(...)` (which drops repeats), or build a map, e.g. \
                     `{ for v in <list> : v.name => v }`",
                ),
            );
            return None;
        }
        Some(each)
    }
}

fn spanned(fan_out: FanOut, span: Span) -> Spanned<FanOut> {
    Spanned {
        value: fan_out,
        span,
    }
}

/// `for_each = tenant` (or another word that names no collection).
fn unknown_collection(word: &str, span: Span) -> Diagnostic {
    let help = match did_you_mean(word, ["tenants", "clusters"]) {
        Some(best) => format!("did you mean `{best}`?"),
        None => FOR_EACH_FORMS.to_string(),
    };
    Diagnostic::error(
        Code::InvalidForEach,
        span,
        format!("`for_each = {word}` names no collection: monc has `tenants` and `clusters`"),
    )
    .label("unknown fan-out")
    .help(help)
}
