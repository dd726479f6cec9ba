//! Checks shared by every kind of block: names, known and required attributes, and values
//! computed once from constants, functions and locals.

use std::collections::HashMap;

use hcl::edit::Span as _;
use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::{Attribute, Block, Body};

use super::Loader;
use super::vars::SCHEMA_BLOCKS;

/// What a value in monc.hcl and tenants/ may use, for the help of one that fails.
const STATIC_SCOPE: &str = "values in monc.hcl and tenants/ are computed once, from constants, \
     functions and `local.<name>`; `tenant` and `cluster` are not in scope";
use super::references::{self, quote_hint, scan};
use crate::diagnostic::{Code, Diagnostic, FileId, Spanned, did_you_mean};
use crate::english::plural;
use crate::eval::{self, describe_value};
use crate::model::check_name;

impl Loader {
    /// The one label of `block` (`what "name" { ... }`), or `monc::block-name` showing
    /// `example`.
    pub(super) fn one_label<'b>(
        &mut self,
        id: FileId,
        block: &'b Block,
        what: &str,
        example: &str,
    ) -> Option<&'b hcl::edit::structure::BlockLabel> {
        let [label] = block.labels.as_slice() else {
            let span = self.span(id, block.ident.span());
            self.error(
                Diagnostic::error(
                    Code::BlockName,
                    span,
                    format!("a `{what}` block needs exactly one name"),
                )
                .label("name missing or repeated")
                .help(format!("write `{example}`")),
            );
            return None;
        };
        Some(label)
    }

    /// The attributes of `block` that a `what` takes (`allowed`), by name; the others are
    /// reported.
    pub(super) fn known_attributes<'b>(
        &mut self,
        id: FileId,
        block: &'b Block,
        allowed: &[&str],
        what: &str,
    ) -> HashMap<&'b str, &'b Attribute> {
        block
            .body
            .attributes()
            .filter(|a| self.check_known(id, a, allowed, what))
            .map(|a| (a.key.as_str(), a))
            .collect()
    }

    pub(super) fn block_name(
        &mut self,
        id: FileId,
        block: &Block,
        what: &str,
    ) -> Option<Spanned<String>> {
        let label = self.one_label(id, block, what, &format!("{what} \"some-name\" {{ ... }}"))?;
        let name = label.as_str().to_string();
        let name_span = self.span(id, label.span());
        if let Err(problem) = check_name(&name) {
            self.error(
                Diagnostic::error(
                    Code::InvalidName,
                    name_span,
                    format!("invalid {what} name `{name}`: {problem}"),
                )
                .label("becomes part of monitor keys and tags")
                .help(
                    "use lowercase letters, digits, `-` and `_`, starting with a letter or digit",
                ),
            );
            return None;
        }
        Some(Spanned {
            value: name,
            span: name_span,
        })
    }

    /// Whether a `what` of this name was defined before (reported); a lookup, not a scan, so
    /// that loading stays linear in tenants.
    pub(super) fn is_duplicate(&mut self, name: &Spanned<String>, what: &'static str) -> bool {
        let first = match self.defined.entry((what, name.value.clone())) {
            std::collections::hash_map::Entry::Occupied(first) => first.get().clone(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(name.span.clone());
                return false;
            }
        };
        let d = Diagnostic::error(
            Code::DuplicateDefinition,
            name.span.clone(),
            format!("{what} `{}` is defined twice", name.value),
        )
        .label("second definition")
        .related("first defined here", first)
        .help(format!(
            "rename one of them or remove the copy; every {what} name must be unique"
        ));
        self.error(d);
        true
    }

    pub(super) fn check_known(
        &mut self,
        id: FileId,
        attr: &Attribute,
        allowed: &[&str],
        what: &str,
    ) -> bool {
        let key = attr.key.as_str();
        if allowed.contains(&key) {
            return true;
        }
        let help = match did_you_mean(key, allowed.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("a {what} takes: {}", allowed.join(", ")),
        };
        self.error(
            Diagnostic::error(
                Code::UnknownAttribute,
                self.span(id, attr.key.span()),
                format!("unknown attribute `{key}` in {what}"),
            )
            .label("unknown attribute")
            .help(help),
        );
        false
    }

    pub(super) fn missing_attributes(
        &mut self,
        id: FileId,
        block: &Block,
        missing: &[&str],
        what: &str,
    ) {
        let names: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        let span = self.span(
            id,
            block
                .labels
                .first()
                .and_then(|l| l.span())
                .or(block.ident.span()),
        );
        self.error(
            Diagnostic::error(
                Code::MissingAttribute,
                span,
                format!(
                    "{what} is missing required attribute{} {}",
                    plural(missing.len()),
                    names.join(", ")
                ),
            )
            .label(format!("this {what}"))
            .help(format!("add {} to the block", names.join(" and "))),
        );
    }

    pub(super) fn required_static_string(
        &mut self,
        id: FileId,
        block: &Block,
        key: &str,
        what: &str,
    ) -> Option<Spanned<String>> {
        let Some(attr) = block.body.get_attribute(key) else {
            self.missing_attributes(id, block, &[key], what);
            return None;
        };
        let value = self.static_string(id, attr)?;
        Some(Spanned {
            value,
            span: self.span(id, attr.value.span()),
        })
    }

    pub(super) fn reject_blocks(&mut self, id: FileId, body: &Body, what: &str, help: &str) {
        let top_level_allowed = what == "monc.hcl";
        for block in body.blocks() {
            let ident = block.ident.as_str();
            if top_level_allowed
                && (ident == "locals" || SCHEMA_BLOCKS.iter().any(|(b, _)| *b == ident))
            {
                continue;
            }
            self.error(
                Diagnostic::error(
                    Code::UnknownBlock,
                    self.span(id, block.ident.span()),
                    format!("unexpected block `{}` in {what}", block.ident.as_str()),
                )
                .label("blocks are not allowed here")
                .help(help.to_string()),
            );
        }
    }

    pub(super) fn unknown_block(
        &mut self,
        id: FileId,
        block: &Block,
        allowed: &[&str],
        place: &str,
    ) {
        let name = block.ident.as_str();
        let help = match did_you_mean(name, allowed.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("{place} holds {} blocks", allowed.join(" and ")),
        };
        self.error(
            Diagnostic::error(
                Code::UnknownBlock,
                self.span(id, block.ident.span()),
                format!("unknown block `{name}` in {place}"),
            )
            .label("unknown block type")
            .help(help),
        );
    }

    pub(super) fn static_value(&mut self, id: FileId, attr: &Attribute) -> Option<hcl::Value> {
        let ctx = std::mem::take(&mut self.ctx);
        let value = self.value_in(id, &attr.value, attr.key.as_str(), &ctx, STATIC_SCOPE);
        self.ctx = ctx;
        value
    }

    /// The value of `expr` (of attribute `key`) in `ctx`, or nothing once what is wrong is
    /// reported; `scope` says, in the help of a failure, what the expression may use.
    pub(super) fn value_in(
        &mut self,
        id: FileId,
        expr: &EditExpr,
        key: &str,
        ctx: &hcl::eval::Context<'static>,
        scope: &str,
    ) -> Option<hcl::Value> {
        let scanned = scan(id, expr);
        if !self.check_locals(&scanned.locals) {
            return None;
        }
        let what = format!("`{key}`");
        if let Some(d) = references::division_by_zero(&scanned.divisions, ctx, &what) {
            self.error(d);
            return None;
        }
        let hcl_expr: hcl::Expression = expr.clone().into();
        match eval::evaluate(&hcl_expr, ctx) {
            Ok(value) => Some(value),
            Err(failure) => {
                let span = self.span(id, expr.span());
                let quote = match failure.missing {
                    Some(eval::Missing::Variable(_)) => quote_hint(self.model.sources.text(&span)),
                    _ => None,
                };
                self.error(
                    Diagnostic::error(
                        Code::Eval,
                        span,
                        format!("cannot evaluate `{key}`: {}", failure.message),
                    )
                    .label("here")
                    .help(quote.unwrap_or_else(|| scope.to_string())),
                );
                None
            }
        }
    }

    pub(super) fn static_string(&mut self, id: FileId, attr: &Attribute) -> Option<String> {
        match self.static_value(id, attr)? {
            hcl::Value::String(s) => Some(s),
            other => {
                self.wrong_type(id, attr, "a string", &other);
                None
            }
        }
    }

    pub(super) fn static_strings(&mut self, id: FileId, attr: &Attribute) -> Option<Vec<String>> {
        let value = self.static_value(id, attr)?;
        if ValueShape::StringList.matches(&value) {
            return Some(strings_in(Some(&value)));
        }
        self.wrong_type(id, attr, "a list of strings", &value);
        None
    }

    pub(super) fn wrong_type(
        &mut self,
        id: FileId,
        attr: &Attribute,
        expected: &str,
        found: &hcl::Value,
    ) {
        self.error(
            Diagnostic::error(
                Code::WrongType,
                self.span(id, attr.value.span()),
                format!(
                    "`{}` must be {expected}, found {}",
                    attr.key.as_str(),
                    describe_value(found)
                ),
            )
            .label(format!("expected {expected}"))
            .help(format!(
                "change the value of `{}` to {expected}",
                attr.key.as_str()
            )),
        );
    }
}

#[derive(Clone, Copy)]
pub(super) enum ValueShape {
    String,
    StringList,
    Object,
}

impl ValueShape {
    pub(super) fn matches(self, value: &hcl::Value) -> bool {
        match (self, value) {
            (ValueShape::String, hcl::Value::String(_)) => true,
            (ValueShape::Object, hcl::Value::Object(_)) => true,
            (ValueShape::StringList, hcl::Value::Array(items)) => {
                items.iter().all(hcl::Value::is_string)
            }
            _ => false,
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            ValueShape::String => "a string",
            ValueShape::StringList => "a list of strings",
            ValueShape::Object => "an object like `{ key = \"value\" }`",
        }
    }
}

pub(super) fn strings_in(value: Option<&hcl::Value>) -> Vec<String> {
    value
        .and_then(hcl::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
