//! `suppressed_by`, a page's `monitors` and a composite query's operands: each
//! `monitor.<name>[<index>]` resolved to the key of one concrete monitor, or reported.

use std::collections::HashMap;

use super::{Instance, InstanceScope, ResolvedRef, Skip};
use crate::diagnostic::{Code, Diagnostic, Note, Span, join_help, suggestion_help};
use crate::eval::describe_value;
use crate::model::{FanOut, Field, Reference, Template};
use crate::query::{CompositeExpr, Operand, parse_composite_query, unparenthesized_mix};

/// The `[index]` of a reference: an HCL expression in `suppressed_by`, plain text inside a
/// composite query (already interpolated).
struct Index<'a> {
    span: Span,
    value: IndexValue<'a>,
}

enum IndexValue<'a> {
    Expr(&'a Field),
    Text(&'a str),
}

impl<'c, 'm, 'd> InstanceScope<'c, 'm, 'd> {
    /// A page's members, `a || b || ...`, each resolved like a `suppressed_by` entry.
    pub(super) fn page_members(&mut self) -> Option<CompositeExpr> {
        let members: Vec<ResolvedRef> = self
            .template
            .pages_for
            .iter()
            .filter_map(|r| self.resolve(r))
            .collect();
        let leaf = |member: &ResolvedRef| CompositeExpr::Operand {
            operand: Operand::Key(member.key.to_string()),
            span: 0..0,
        };
        let mut members = members.iter();
        let first = leaf(members.next()?);
        Some(members.fold(first, |expr, member| {
            CompositeExpr::Or(Box::new(expr), Box::new(leaf(member)))
        }))
    }

    pub(super) fn resolve_references(&mut self) -> Vec<ResolvedRef> {
        let references = &self.template.suppressed_by;
        references.iter().filter_map(|r| self.resolve(r)).collect()
    }

    fn resolve(&mut self, reference: &Reference) -> Option<ResolvedRef> {
        let target = self.target_template(
            &reference.template.value,
            &reference.template.span,
            "`suppressed_by`",
        )?;
        let index = reference.index.as_ref().map(|field| Index {
            span: field.span.clone(),
            value: IndexValue::Expr(field),
        });
        let instance = self.target_instance(target, index, &reference.span)?;
        let key = self.compiler.suppressor_key(target, instance);
        match self.skip_of(target, instance) {
            Some(Skip::Disabled) => {
                self.note_dropped(reference, &key);
                return None;
            }
            // Its `enabled` is in error (reported): the reference is left out quietly.
            Some(Skip::Broken) => return None,
            None => {}
        }
        Some(ResolvedRef {
            key,
            span: reference.span.clone(),
        })
    }

    fn skip_of(&self, target: &Template, instance: Instance) -> Option<Skip> {
        let index = self.compiler.templates_by_name[target.name.value.as_str()];
        self.compiler.skipped.get(&(index, instance)).copied()
    }

    /// A suppressor whose `enabled` is false is left out of the composite: the monitor is
    /// still suppressed by the others (or pages by itself when none is left).
    fn note_dropped(&mut self, reference: &Reference, key: &str) {
        let this = self.compiler.key(self.template, self.instance);
        let message = if self.template.is_page() {
            format!(
                "page `{this}` leaves out `{key}`: that monitor is disabled (`enabled` is false for it)"
            )
        } else {
            format!(
                "`{this}` is not suppressed by `{key}`: that monitor is disabled (`enabled` is false for it)"
            )
        };
        if let Some(notes) = self.notes.as_deref_mut() {
            notes.push(Note {
                span: reference.span.clone(),
                message,
            });
        }
    }

    /// `a || b && c`: valid, but which operator binds tighter is not documented by Datadog.
    fn warn_unparenthesized_mix(&mut self, query: &str) {
        let Some(range) = unparenthesized_mix(query) else {
            return;
        };
        let span = self
            .template
            .query
            .span_within(&self.compiler.model.sources, query, range);
        self.report(
            Diagnostic::warning(
                Code::CompositePrecedence,
                span,
                format!(
                    "the composite query of `{}` mixes `&&` and `||` without parentheses",
                    self.compiler.key(self.template, self.instance)
                ),
            )
            .label("mixed with the other operator at the same level")
            .help("Datadog's documentation does not say which binds tighter (monc reads `&&` first, `a || (b && c)`); add parentheses to say which you mean"),
        );
    }

    /// Parses a composite template's evaluated query and resolves its `monitor.<name>[...]`
    /// operands to keys, with the same rules as `suppressed_by`.
    pub(super) fn resolve_composite(&mut self, query: &str) -> Option<CompositeExpr> {
        let field = &self.template.query;
        let sources = &self.compiler.model.sources;
        let expr = match parse_composite_query(query) {
            Ok(expr) => expr,
            Err(error) => {
                let span = field.span_within(sources, query, error.span.clone());
                let help = error.help.clone().unwrap_or_else(|| {
                    "a composite query combines monitors like `monitor.db_down[\"prod\"] && !monitor.region_health`".into()
                });
                self.report(
                    Diagnostic::error(
                        Code::CompositeQuery,
                        span,
                        format!(
                            "invalid composite query for `{}`: {}",
                            self.compiler.key(self.template, self.instance),
                            error.message
                        ),
                    )
                    .label("here")
                    .help(help),
                );
                return None;
            }
        };
        self.warn_unparenthesized_mix(query);
        let mut keys = HashMap::new();
        let mut ok = true;
        for (operand, range) in expr.operands() {
            let Operand::Ref { template, index } = operand else {
                continue;
            };
            let span = field.span_within(sources, query, range);
            let key = self
                .target_template(template, &span, "the composite query")
                .and_then(|target| {
                    let index = index.as_deref().map(|text| Index {
                        span: span.clone(),
                        value: IndexValue::Text(text),
                    });
                    let instance = self.target_instance(target, index, &span)?;
                    let key = self.compiler.key(target, instance);
                    match self.skip_of(target, instance) {
                        Some(Skip::Disabled) => {
                            self.disabled_in_composite(&key, &span);
                            None
                        }
                        Some(Skip::Broken) => {
                            self.failed = true;
                            None
                        }
                        None => Some(key),
                    }
                });
            match key {
                Some(key) => {
                    keys.insert(operand.clone(), key);
                }
                None => ok = false,
            }
        }
        ok.then(|| {
            expr.map_operands(&|operand| match keys.get(operand) {
                Some(key) => Operand::Key(key.clone()),
                None => operand.clone(),
            })
        })
    }

    /// A composite query can never name a monitor that does not exist: unlike `suppressed_by`,
    /// an operand cannot be left out without changing what the query means.
    fn disabled_in_composite(&mut self, key: &str, span: &Span) {
        self.report(
            Diagnostic::error(
                Code::DisabledMonitor,
                span.clone(),
                format!(
                    "the composite query of `{}` names `{key}`, which is disabled (`enabled` is false for it)",
                    self.compiler.key(self.template, self.instance)
                ),
            )
            .label("this monitor is not created")
            .help("give this composite the same `enabled` condition, or enable the monitor it names"),
        );
    }

    /// The template a reference names, or an `unknown-monitor` error (`what` says where).
    fn target_template(&mut self, name: &str, span: &Span, what: &str) -> Option<&'m Template> {
        let compiler = self.compiler;
        let Some(&target_index) = compiler.templates_by_name.get(name) else {
            if compiler.model.may_define_template(name) {
                // The template did not load (reported), or may be in the file that did not
                // parse: one mistake, one error.
                self.failed = true;
                return None;
            }
            let names = compiler.templates_by_name.keys().copied();
            let help = suggestion_help(name, "monitor", names);
            self.report(
                Diagnostic::error(
                    Code::UnknownMonitor,
                    span.clone(),
                    format!("{what} refers to unknown monitor `{name}`"),
                )
                .label("no monitor template with this name")
                .help(help),
            );
            return None;
        };
        Some(&compiler.model.templates[target_index])
    }

    /// Which instance of the target template a reference picks, from its `[index]`.
    fn target_instance(
        &mut self,
        target: &Template,
        index: Option<Index<'_>>,
        reference_span: &Span,
    ) -> Option<Instance> {
        let name = &target.name.value;
        let index = match (index, target.fan_out.value) {
            (None, FanOut::Once) => return Some(Instance::Once),
            (Some(index), FanOut::Once) => {
                self.report(
                    Diagnostic::error(
                        Code::UnexpectedIndex,
                        index.span.clone(),
                        format!("`{name}` is a single monitor and takes no index"),
                    )
                    .label("remove this index")
                    .help(format!("write `monitor.{name}`")),
                );
                return None;
            }
            (None, fan_out) => {
                let example = match fan_out {
                    FanOut::PerCluster => "tenant.cluster",
                    FanOut::PerKey => "each.key",
                    _ => "tenant.name",
                };
                self.report(
                    Diagnostic::error(
                        Code::MissingIndex,
                        reference_span.clone(),
                        format!("`{name}` has {}; say which one", fan_out.describe()),
                    )
                    .label("needs an index")
                    .help(format!("write `monitor.{name}[{example}]`")),
                );
                return None;
            }
            (Some(index), _) => index,
        };
        let wanted = match index.value {
            IndexValue::Text(text) => text.to_string(),
            IndexValue::Expr(field) => {
                let value = self.value(field, "index")?;
                let Some(wanted) = value.as_str() else {
                    self.report(
                        Diagnostic::error(
                            Code::WrongType,
                            index.span.clone(),
                            format!("an index must be a name, found {}", describe_value(&value)),
                        )
                        .label("expected a string")
                        .help("index with a cluster or tenant name, e.g. `[tenant.cluster]`"),
                    );
                    return None;
                };
                wanted.to_string()
            }
        };
        self.find_instance(&wanted, target, &index.span)
    }

    fn find_instance(
        &mut self,
        wanted: &str,
        target: &Template,
        index_span: &Span,
    ) -> Option<Instance> {
        let compiler = self.compiler;
        if target.fan_out.value == FanOut::PerKey {
            return self.find_key(wanted, target, index_span);
        }
        let (found, names, what) = match target.fan_out.value {
            FanOut::PerCluster => (
                compiler
                    .clusters_by_name
                    .get(wanted)
                    .map(|&c| Instance::Cluster(c)),
                &compiler.clusters_by_name,
                "cluster",
            ),
            _ => (
                compiler
                    .tenants_by_name
                    .get(wanted)
                    .map(|&t| Instance::Tenant(t)),
                &compiler.tenants_by_name,
                "tenant",
            ),
        };
        if found.is_none() {
            let help = suggestion_help(wanted, what, names.keys().copied());
            self.report(
                Diagnostic::error(
                    Code::UnknownInstance,
                    index_span.clone(),
                    format!(
                        "`{}` has no instance for {what} `{wanted}`",
                        target.name.value
                    ),
                )
                .label(format!("evaluates to \"{wanted}\""))
                .help(help),
            );
        }
        found
    }

    /// The instance of a `for_each` map or set whose key is `wanted`.
    fn find_key(&mut self, wanted: &str, target: &Template, index_span: &Span) -> Option<Instance> {
        let template = self.compiler.templates_by_name[target.name.value.as_str()];
        let keys = &self.compiler.each_by_key[template];
        if let Some(&i) = keys.get(wanted) {
            return Some(Instance::Each(template, i));
        }
        let help = join_help(
            suggestion_help(wanted, "key", target.each.iter().map(|e| e.key.as_str())),
            &format!(
                "`{}` has one monitor per key of its `for_each`",
                target.name.value
            ),
        );
        self.report(
            Diagnostic::error(
                Code::UnknownInstance,
                index_span.clone(),
                format!("`{}` has no instance for key `{wanted}`", target.name.value),
            )
            .label(format!("evaluates to \"{wanted}\""))
            .help(help),
        );
        None
    }
}
