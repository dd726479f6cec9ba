//! `moved { from = monitor.old  to = monitor.new }` blocks, read; what they may move is checked
//! against the whole configuration in [`crate::moved`].

use std::collections::HashMap;

use hcl::edit::Span as _;
use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::{Attribute, Block};

use super::Loader;
use super::templates::parse_reference;
use crate::diagnostic::{Code, Diagnostic, FileId, Spanned};
use crate::model::{Move, MoveEnd};

impl Loader {
    /// `moved { from = monitor.old  to = monitor.new }`, Terraform's syntax for a rename; either
    /// side may name one instance (`monitor.old["acme"]`). What it may move is checked later
    /// ([`crate::moved::check`]), against the whole configuration.
    pub(super) fn load_move(&mut self, id: FileId, block: &Block) -> Option<Move> {
        let what = "moved block";
        self.reject_blocks(
            id,
            &block.body,
            what,
            "write `from = monitor.old` and `to = monitor.new`",
        );
        if let Some(label) = block.labels.first() {
            self.error(
                Diagnostic::error(
                    Code::BlockName,
                    self.span(id, label.span()),
                    "a `moved` block has no name",
                )
                .label("remove this label")
                .help("write `moved { from = monitor.old  to = monitor.new }`"),
            );
        }
        let attrs: HashMap<&str, &Attribute> = block
            .body
            .attributes()
            .filter(|a| self.check_known(id, a, &["from", "to"], what))
            .map(|a| (a.key.as_str(), a))
            .collect();
        let missing: Vec<&str> = ["from", "to"]
            .into_iter()
            .filter(|k| !attrs.contains_key(k))
            .collect();
        if !missing.is_empty() {
            self.missing_attributes(id, block, &missing, what);
            return None;
        }
        let from = self.move_end(id, attrs["from"]);
        let to = self.move_end(id, attrs["to"]);
        Some(Move {
            from: from?,
            to: to?,
            span: self.span(id, block.span()),
        })
    }

    /// `monitor.<name>` or `monitor.<name>["<tenant or cluster>"]`: a literal instance, since a
    /// `moved` block names monitors that exist now, not an expression per instance.
    pub(super) fn move_end(&mut self, id: FileId, attr: &Attribute) -> Option<MoveEnd> {
        let span = self.span(id, attr.value.span());
        let Some((name, name_span, index)) = parse_reference(&attr.value) else {
            self.error(
                Diagnostic::error(Code::BadReference, span, "not a monitor reference")
                    .label("expected `monitor.<name>` or `monitor.<name>[\"<instance>\"]`")
                    .help(format!(
                        "write `{} = monitor.<name>`, or `monitor.<name>[\"<tenant or cluster>\"]` for one tenant's (or cluster's) monitor",
                        attr.key.as_str()
                    )),
            );
            return None;
        };
        let instance = match index {
            None => None,
            Some(EditExpr::String(instance)) => Some(Spanned {
                value: instance.value().to_string(),
                span: self.span(id, instance.span()),
            }),
            Some(other) => {
                self.error(
                    Diagnostic::error(
                        Code::WrongType,
                        self.span(id, other.span()),
                        "the instance of a moved monitor must be a quoted tenant or cluster name",
                    )
                    .label("not a string literal")
                    .help("write the name itself, e.g. `monitor.<name>[\"<tenant or cluster>\"]`"),
                );
                return None;
            }
        };
        Some(MoveEnd {
            template: Spanned {
                value: name,
                span: self.span(id, Some(name_span)),
            },
            instance,
            span,
        })
    }
}
