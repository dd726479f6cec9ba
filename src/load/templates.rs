//! `monitors/`: `monitor` and `page` templates, kept unevaluated (compile evaluates them per
//! instance), with their tier, fan-out, type and references checked here.

use std::collections::HashMap;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression as EditExpr, TraversalOperator};
use hcl::edit::structure::{Attribute, Block, Structure};

use super::references::scan;
use super::{Loader, ParsedFile};
use crate::diagnostic::{
    Code, Diagnostic, FileId, Span, Spanned, did_you_mean, join_help, suggestion_help,
};
use crate::eval;
use crate::model::{COMPOSITE_TYPE, Field, Reference, Template};

/// The Datadog monitor types monc can create (the API spec's `MonitorType` list, plus
/// `data-jobs alert`, which recorded traffic shows accepted, less `synthetics alert`: see
/// `not_creatable_help`); others are reported with a suggestion.
pub const MONITOR_TYPES: &[&str] = &[
    "metric alert",
    "query alert",
    "composite",
    "service check",
    "event alert",
    "event-v2 alert",
    "log alert",
    "process alert",
    "rum alert",
    "trace-analytics alert",
    "slo alert",
    "audit alert",
    "ci-pipelines alert",
    "ci-tests alert",
    "error-tracking alert",
    "database-monitoring alert",
    "network-performance alert",
    "cost alert",
    "data-quality alert",
    "llm-observability alert",
    "data-jobs alert",
    "network-path alert",
];

/// Types Datadog reads and lists, but creates only through another API: monc writes monitors
/// with `POST /api/v1/monitor`, so a template of one of these could never be synced.
/// Documented: "Synthetic monitors are created through the Synthetics API" (the Monitor API's
/// "Create a monitor", Notes).
pub fn not_creatable_help(monitor_type: &str) -> Option<&'static str> {
    match monitor_type {
        "synthetics alert" => Some(
            "Datadog creates a Synthetic test's monitor with the test (Synthetics API or the \
             Synthetic Monitoring pages), and the Monitor API refuses to create one; configure \
             its alerting in the test, or alert on the test's results with a `query alert`",
        ),
        _ => None,
    }
}

pub const TEMPLATE_ATTRS: &[&str] = &[
    "tier",
    "for_each",
    "name",
    "type",
    "query",
    "message",
    "thresholds",
    "options",
    "tags",
    "priority",
    "notify",
    "suppressed_by",
    "ignore",
    "enabled",
    "composite",
    "raw",
];

/// Attributes of a `page` block: a monitor template without a query of its own, paging for
/// the monitors it names.
pub const PAGE_ATTRS: &[&str] = &[
    "tier", "for_each", "name", "message", "tags", "priority", "notify", "monitors", "ignore",
    "enabled",
];

impl Loader {
    pub(super) fn load_monitors_file(&mut self, file: Option<ParsedFile>) {
        let Some(ParsedFile { id, body }) = file else {
            return;
        };
        for structure in body.iter() {
            match structure {
                Structure::Block(block) if matches!(block.ident.as_str(), "monitor" | "page") => {
                    match self.load_template(id, block) {
                        Some(template) => {
                            if !self.is_duplicate(&template.name, "monitor") {
                                self.model.templates.push(template);
                            }
                        }
                        None => {
                            let names = block.labels.iter().map(|l| l.as_str().to_string());
                            self.model.templates_in_error.extend(names);
                        }
                    }
                }
                Structure::Block(block) if block.ident.as_str() == "moved" => {
                    if let Some(moved) = self.load_move(id, block) {
                        self.model.moves.push(moved);
                    }
                }
                Structure::Block(block) if block.ident.as_str() == "locals" => {}
                Structure::Block(block) => self.unknown_block(
                    id,
                    block,
                    &["monitor", "page", "moved", "locals"],
                    "a monitors file",
                ),
                Structure::Attribute(attr) => self.error(
                    Diagnostic::error(
                        Code::UnknownAttribute,
                        self.span(id, attr.key.span()),
                        format!(
                            "unexpected attribute `{}` at the top of a monitors file",
                            attr.key.as_str()
                        ),
                    )
                    .label("not inside a block")
                    .help("monitors files hold `monitor \"name\" { ... }` blocks"),
                ),
            }
        }
    }

    pub(super) fn load_template(&mut self, id: FileId, block: &Block) -> Option<Template> {
        let is_page = block.ident.as_str() == "page";
        let what = if is_page { "page" } else { "monitor" };
        let name = self.block_name(id, block, what)?;
        self.reject_blocks(
            id,
            &block.body,
            what,
            "use attributes such as `options = { ... }`",
        );
        let known = if is_page { PAGE_ATTRS } else { TEMPLATE_ATTRS };
        let attrs: HashMap<&str, &Attribute> = block
            .body
            .attributes()
            .filter(|a| self.check_known(id, a, known, what))
            .map(|a| (a.key.as_str(), a))
            .collect();
        let required: &[&str] = if is_page {
            &["tier", "name", "monitors"]
        } else {
            &["tier", "name", "type", "query"]
        };
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|k| !attrs.contains_key(k))
            .collect();
        if !missing.is_empty() {
            self.missing_attributes(id, block, &missing, what);
            return None;
        }
        let tier = self.tier(id, attrs["tier"])?;
        let (fan_out, each) = self.fan_out(id, attrs.get("for_each").copied(), block)?;
        let monitor_type = match attrs.get("type") {
            Some(attr) => self.monitor_type(id, attr)?,
            None => Spanned {
                value: COMPOSITE_TYPE.to_string(),
                span: self.span(id, block.ident.span()),
            },
        };
        let fields: HashMap<&str, Field> = attrs
            .iter()
            .filter(|(key, _)| {
                !matches!(
                    **key,
                    "suppressed_by" | "ignore" | "tier" | "for_each" | "type" | "monitors"
                )
            })
            .map(|(key, attr)| (*key, field_of(id, attr)))
            .collect();
        let uses: Vec<Spanned<String>> = fields.values().flat_map(|f| f.locals.clone()).collect();
        self.check_locals(&uses);
        let field = |key: &str| fields.get(key).cloned();
        let (suppressed_by, suppressed_by_span) = match attrs.get("suppressed_by") {
            Some(attr) => (
                self.references(id, attr)?,
                Some(self.span(id, attr.value.span())),
            ),
            None => (Vec::new(), None),
        };
        let (pages_for, pages_for_span) = match attrs.get("monitors") {
            Some(attr) => (
                self.references(id, attr)?,
                Some(self.span(id, attr.value.span())),
            ),
            None => (Vec::new(), None),
        };
        // A page has no query of its own: monc builds it from `monitors`.
        let query = match attrs.get("monitors") {
            Some(attr) => Field {
                expr: hcl::Expression::String(String::new()),
                is_literal: false,
                calls: Vec::new(),
                locals: Vec::new(),
                divisions: Vec::new(),
                prepared: std::sync::Arc::new(eval::Prepared::new(hcl::Expression::String(
                    String::new(),
                ))),
                ..field_of(id, attr)
            },
            None => field("query")?,
        };
        Some(Template {
            name,
            tier,
            fan_out,
            each,
            monitor_type,
            display_name: field("name")?,
            query,
            message: field("message"),
            thresholds: field("thresholds"),
            options: field("options"),
            tags: field("tags"),
            priority: field("priority"),
            notify: field("notify"),
            enabled: field("enabled"),
            composite_text: field("composite"),
            raw_text: field("raw"),
            suppressed_by,
            suppressed_by_span,
            pages_for,
            pages_for_span,
            ignore: self.ignored_codes(id, attrs.get("ignore").copied()),
            span: self.span(id, block.span()),
        })
    }

    pub(super) fn tier(&mut self, id: FileId, attr: &Attribute) -> Option<Spanned<usize>> {
        let tier = self.static_string(id, attr)?;
        let span = self.span(id, attr.value.span());
        let tiers = &self.model.project.tiers;
        match tiers.iter().position(|t| *t == tier) {
            Some(index) => Some(Spanned { value: index, span }),
            None => {
                let help = join_help(
                    suggestion_help(&tier, "tier", tiers.iter().map(String::as_str)),
                    &format!(
                        "tiers are listed, lowest first, in `tiers` of monc.hcl (now: {})",
                        tiers.join(", ")
                    ),
                );
                self.error(
                    Diagnostic::error(Code::UnknownTier, span, format!("unknown tier `{tier}`"))
                        .label("not a declared tier")
                        .help(help),
                );
                None
            }
        }
    }

    pub(super) fn monitor_type(&mut self, id: FileId, attr: &Attribute) -> Option<Spanned<String>> {
        let value = self.static_string(id, attr)?;
        let span = self.span(id, attr.value.span());
        if let Some(help) = not_creatable_help(&value) {
            self.error(
                Diagnostic::error(
                    Code::UnknownType,
                    span,
                    format!("a `{value}` monitor cannot be created through the Monitor API"),
                )
                .label("not a type monc can create")
                .help(help),
            );
            return None;
        }
        if MONITOR_TYPES.contains(&value.as_str()) {
            return Some(Spanned { value, span });
        }
        let help = match did_you_mean(&value, MONITOR_TYPES.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => "common types: \"metric alert\", \"query alert\", \"service check\", \"log alert\", \"composite\"".into(),
        };
        self.error(
            Diagnostic::error(
                Code::UnknownType,
                span,
                format!("unknown monitor type `{value}`"),
            )
            .label("not a Datadog monitor type")
            .help(help),
        );
        None
    }

    /// `suppressed_by = [monitor.a, monitor.b[tenant.cluster]]`
    pub(super) fn references(&mut self, id: FileId, attr: &Attribute) -> Option<Vec<Reference>> {
        let EditExpr::Array(items) = &attr.value else {
            let span = self.span(id, attr.value.span());
            self.error(
                Diagnostic::error(Code::WrongType, span, "`suppressed_by` must be a list of monitor references")
                    .label("expected a list")
                    .help("write a list, e.g. `suppressed_by = [monitor.<name>, monitor.<name>[tenant.cluster]]`"),
            );
            return None;
        };
        let references: Vec<Option<Reference>> =
            items.iter().map(|item| self.reference(id, item)).collect();
        references.into_iter().collect()
    }

    pub(super) fn reference(&mut self, id: FileId, expr: &EditExpr) -> Option<Reference> {
        let span = self.span(id, expr.span());
        let parsed = parse_reference(expr);
        match parsed {
            Some((name, name_span, index)) => {
                let index = index.map(|e| field_of_expr(id, e));
                if let Some(index) = &index {
                    self.check_locals(&index.locals);
                }
                Some(Reference {
                    template: Spanned {
                        value: name,
                        span: self.span(id, Some(name_span)),
                    },
                    index,
                    span,
                })
            }
            None => {
                self.error(
                    Diagnostic::error(Code::BadReference, span, "not a monitor reference")
                        .label("expected `monitor.<name>` or `monitor.<name>[<index>]`")
                        .help("refer to another monitor template by name, `monitor.<name>`, or to one instance of it, e.g. `monitor.<name>[tenant.cluster]`"),
                );
                None
            }
        }
    }
}

/// Splits `monitor.<name>[<index>]` into its parts.
pub(crate) fn parse_reference(
    expr: &EditExpr,
) -> Option<(String, std::ops::Range<usize>, Option<&EditExpr>)> {
    let EditExpr::Traversal(traversal) = expr else {
        return None;
    };
    let EditExpr::Variable(root) = &traversal.expr else {
        return None;
    };
    if root.as_str() != "monitor" {
        return None;
    }
    match traversal.operators.as_slice() {
        [name] => {
            let TraversalOperator::GetAttr(ident) = name.value() else {
                return None;
            };
            Some((ident.as_str().to_string(), ident.span()?, None))
        }
        [name, index] => {
            let TraversalOperator::GetAttr(ident) = name.value() else {
                return None;
            };
            let TraversalOperator::Index(index) = index.value() else {
                return None;
            };
            Some((ident.as_str().to_string(), ident.span()?, Some(index)))
        }
        _ => None,
    }
}

pub(super) fn field_of(id: FileId, attr: &Attribute) -> Field {
    field_of_expr(id, &attr.value)
}

pub(super) fn field_of_expr(id: FileId, edit_expr: &EditExpr) -> Field {
    let scan = scan(id, edit_expr);
    let expr: hcl::Expression = edit_expr.clone().into();
    Field {
        prepared: std::sync::Arc::new(eval::Prepared::new(expr.clone())),
        expr,
        span: Span::new(id, edit_expr.span().unwrap_or(0..0)),
        is_literal: matches!(
            edit_expr,
            EditExpr::String(_) | EditExpr::Number(_) | EditExpr::Bool(_)
        ),
        calls: scan.calls,
        locals: scan.locals,
        divisions: scan.divisions,
    }
}
