//! `locals { env = "prod" }` in any configuration file: named values every expression can use
//! as `local.env`. Locals may use other locals; they are evaluated dependencies first, and a
//! cycle is reported where it closes.

use std::collections::HashMap;

use hcl::edit::Span as _;
use hcl::edit::structure::{Block, Structure};

use super::references::scan;
use super::{Loader, ParsedFile};
use crate::diagnostic::{Code, Diagnostic, FileId, Span, Spanned, suggestion_help};
use crate::eval;

/// One `name = expression` of a `locals` block.
struct LocalDef {
    name: Spanned<String>,
    expr: hcl::Expression,
    value_span: Span,
    uses: Vec<Spanned<String>>,
    divisions: Vec<crate::model::Division>,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Visiting,
    Done { ok: bool },
}

impl Loader {
    /// Reads the `locals` blocks of every file, evaluates them and makes `local` available to
    /// everything loaded after.
    pub(super) fn load_locals(&mut self, files: &[&ParsedFile]) {
        let mut defs = Vec::new();
        for file in files {
            for structure in file.body.iter() {
                if let Structure::Block(block) = structure
                    && block.ident.as_str() == "locals"
                {
                    self.locals_block(file.id, block, &mut defs);
                }
            }
        }
        self.model.locals.defined = defs.iter().map(|d| d.name.clone()).collect();
        let index: HashMap<String, usize> = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.value.clone(), i))
            .collect();
        let mut state = vec![None; defs.len()];
        for i in 0..defs.len() {
            let mut path = Vec::new();
            self.evaluate_local(i, &defs, &index, &mut state, &mut path);
        }
        self.ctx.declare_var("local", self.model.locals.value());
    }

    fn locals_block(&mut self, id: FileId, block: &Block, defs: &mut Vec<LocalDef>) {
        if !block.labels.is_empty() {
            self.error(
                Diagnostic::error(
                    Code::BlockName,
                    self.span(id, block.ident.span()),
                    "a `locals` block takes no name",
                )
                .label("remove the name")
                .help("write `locals { env = \"prod\" }` and use it as `local.env`"),
            );
        }
        self.reject_blocks(id, &block.body, "locals", "write `name = value` attributes");
        for attr in block.body.attributes() {
            let name = Spanned {
                value: attr.key.as_str().to_string(),
                span: self.span(id, attr.key.span()),
            };
            if let Some(first) = defs.iter().find(|d| d.name.value == name.value) {
                let first = first.name.span.clone();
                self.error(
                    Diagnostic::error(
                        Code::DuplicateDefinition,
                        name.span.clone(),
                        format!("local `{}` is defined twice", name.value),
                    )
                    .label("second definition")
                    .related("first defined here", first)
                    .help("rename one of them or remove the copy; every local name must be unique across all files"),
                );
                continue;
            }
            let scanned = scan(id, &attr.value);
            defs.push(LocalDef {
                name,
                expr: attr.value.clone().into(),
                value_span: self.span(id, attr.value.span()),
                uses: scanned.locals,
                divisions: scanned.divisions,
            });
        }
    }

    /// Evaluates local `i` after the locals it uses; false when it (or one it uses) failed.
    fn evaluate_local(
        &mut self,
        i: usize,
        defs: &[LocalDef],
        index: &HashMap<String, usize>,
        state: &mut Vec<Option<State>>,
        path: &mut Vec<usize>,
    ) -> bool {
        if let Some(State::Done { ok }) = state[i] {
            return ok;
        }
        state[i] = Some(State::Visiting);
        path.push(i);
        let mut ok = true;
        for used in &defs[i].uses {
            let Some(&j) = index.get(&used.value) else {
                self.unknown_local(used);
                ok = false;
                continue;
            };
            if state[j] == Some(State::Visiting) {
                self.local_cycle(used, defs, path, j);
                ok = false;
            } else {
                ok &= self.evaluate_local(j, defs, index, state, path);
            }
        }
        path.pop();
        let ok = ok && self.local_value(&defs[i]);
        state[i] = Some(State::Done { ok });
        ok
    }

    fn local_value(&mut self, def: &LocalDef) -> bool {
        let mut ctx = self.ctx.clone();
        ctx.declare_var("local", self.model.locals.value());
        let what = format!("local `{}`", def.name.value);
        if let Some(d) = super::references::division_by_zero(&def.divisions, &ctx, &what) {
            self.error(d);
            return false;
        }
        match eval::evaluate(&def.expr, &ctx) {
            Ok(value) => {
                self.model
                    .locals
                    .values
                    .insert(def.name.value.clone(), value);
                true
            }
            Err(failure) => {
                self.error(
                    Diagnostic::error(
                        Code::Eval,
                        def.value_span.clone(),
                        format!("cannot evaluate local `{}`: {}", def.name.value, failure.message),
                    )
                    .label("here")
                    .help("a local is computed once, from constants, functions and other locals; `tenant` and `cluster` are not in scope"),
                );
                false
            }
        }
    }

    fn local_cycle(
        &mut self,
        used: &Spanned<String>,
        defs: &[LocalDef],
        path: &[usize],
        to: usize,
    ) {
        let start = path.iter().position(|&p| p == to).unwrap_or(0);
        let mut names: Vec<&str> = path[start..]
            .iter()
            .map(|&p| defs[p].name.value.as_str())
            .collect();
        names.push(defs[to].name.value.as_str());
        self.error(
            Diagnostic::error(
                Code::LocalCycle,
                used.span.clone(),
                format!(
                    "local `{}` depends on itself: {}",
                    defs[to].name.value,
                    names.join(" → ")
                ),
            )
            .label("closes the cycle")
            .related("the cycle starts here", defs[to].name.span.clone())
            .help("a local may use other locals, but not itself through them; compute one of them from constants"),
        );
    }

    /// `local.<name>` for a name no `locals` block defines.
    pub(super) fn unknown_local(&mut self, used: &Spanned<String>) {
        if self.model.has_unparsed_files {
            // It may be defined in the file that did not parse: one mistake, one error.
            return;
        }
        let names: Vec<&str> = self
            .model
            .locals
            .defined
            .iter()
            .map(|d| d.value.as_str())
            .collect();
        let help = suggestion_help(&used.value, "local", names.iter().copied());
        self.error(
            Diagnostic::error(
                Code::UnknownLocal,
                used.span.clone(),
                format!("unknown local `{}`", used.value),
            )
            .label("no `locals` block defines it")
            .help(format!(
                "{help}; define it in a `locals {{ ... }}` block of monc.hcl or any other file"
            )),
        );
    }

    /// Reports every `local.<name>` in `uses` that is not defined; true when all are.
    pub(super) fn check_locals(&mut self, uses: &[Spanned<String>]) -> bool {
        let mut ok = true;
        for used in uses {
            if !self.model.locals.is_defined(&used.value) {
                self.unknown_local(used);
                ok = false;
            }
        }
        ok
    }
}
