//! `moved { from = monitor.old  to = monitor.new }`: Terraform's syntax for a rename. monc keeps
//! no state, so a rename would otherwise delete every live monitor of the old template and
//! create new ones (new ids break dashboards, SLOs and links, and lose history). A move tells the
//! plan which live keys a desired monitor may have had before; [`crate::plan`] then updates the
//! live one (its key tag rewritten) instead.
//!
//! As in Terraform, blocks stay in the code harmlessly once they have done their job: chains
//! (`A → B`, later `B → C`) resolve, a block whose `to` is no longer defined (renamed again, or
//! its tenant removed) is a note, not an error, and a block whose old monitor is not in the org
//! does nothing. What can never work is an error: a `from` still defined, one monitor moved to
//! two places, or blocks in a cycle.

use std::collections::HashSet;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Note, did_you_mean};
use crate::model::{FanOut, Model, Move, MoveEnd, Template};

/// Reports every `moved` block that can never be carried out (errors), and every block that no
/// longer applies to the configuration (notes, for `validate --verbose`).
pub fn check(model: &Model, diagnostics: &mut Diagnostics, notes: &mut Vec<Note>) {
    for (i, moved) in model.moves.iter().enumerate() {
        let problems = [
            check_from(model, moved),
            check_against_earlier(&model.moves[..i], moved),
        ];
        diagnostics.extend(problems.into_iter().flatten());
        if continued(model, &moved.to) {
            continue;
        }
        match no_longer_applies(model, &moved.to) {
            Some(Stale::Done(note)) => notes.push(note),
            Some(Stale::Typo(warning)) => diagnostics.push(warning),
            None => {}
        }
    }
}

/// The keys, without their tier, that the monitor of `template` for `instance` (its tenant or
/// cluster; `None` for a single monitor) may have had before `moved` blocks renamed it: the
/// nearest rename first, then the ones before it along chains (`A → B`, `B → C` gives `B`, `A`
/// for `C`), each once.
pub fn previous_keys(model: &Model, template: &str, instance: Option<&str>) -> Vec<String> {
    let mut keys = Vec::new();
    let mut seen: HashSet<(String, Option<String>)> = HashSet::new();
    let mut frontier = vec![(template.to_string(), instance.map(String::from))];
    while let Some((template, instance)) = frontier.pop() {
        for moved in model.moves.iter().filter(|m| {
            m.to.template.value == template
                && m.to
                    .instance
                    .as_ref()
                    .is_none_or(|i| Some(&i.value) == instance.as_ref())
        }) {
            let old_instance = match (&moved.from.instance, &moved.to.instance) {
                (Some(from), _) => Some(from.value.clone()),
                // A whole template moved: each instance keeps its tenant or cluster.
                (None, None) => instance.clone(),
                // One instance was the single monitor of the old template.
                (None, Some(_)) => None,
            };
            let old = (moved.from.template.value.clone(), old_instance);
            if seen.insert(old.clone()) {
                keys.push(match &old.1 {
                    Some(i) => format!("{}/{i}", old.0),
                    None => old.0.clone(),
                });
                frontier.insert(0, old);
            }
        }
    }
    keys
}

/// The blocks that have done their job: no monitor in the org (`live_keys`, keys without their
/// tier) has a key they move from. They can be removed; Terraform users remove such blocks too.
pub fn done<'a>(model: &'a Model, live_keys: &HashSet<&str>) -> Vec<&'a Move> {
    model
        .moves
        .iter()
        .filter(|moved| !live_keys.iter().any(|key| moves_from(&moved.from, key)))
        .collect()
}

/// Whether `key` (without its tier) is one of the keys `from` names: `x/acme` for
/// `monitor.x["acme"]`; `x`, `x/<anything>` for `monitor.x`.
fn moves_from(from: &MoveEnd, key: &str) -> bool {
    let template = from.template.value.as_str();
    match &from.instance {
        Some(instance) => key
            .strip_prefix(template)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| {
                rest == instance.value || rest.strip_suffix("/composite") == Some(&instance.value)
            }),
        None => {
            key == template
                || key
                    .strip_prefix(template)
                    .is_some_and(|r| r.starts_with('/'))
        }
    }
}

fn template<'a>(model: &'a Model, name: &str) -> Option<&'a Template> {
    model.templates.iter().find(|t| t.name.value == name)
}

/// The tenants, clusters or `for_each` keys `template` is stamped out for.
fn instances<'m>(model: &'m Model, template: &'m Template) -> Vec<&'m str> {
    match template.fan_out.value {
        FanOut::Once => Vec::new(),
        FanOut::PerCluster => model
            .clusters
            .iter()
            .map(|c| c.name.value.as_str())
            .collect(),
        FanOut::PerTenant => model
            .tenants
            .iter()
            .map(|t| t.name.value.as_str())
            .collect(),
        FanOut::PerKey => template.each.iter().map(|e| e.key.as_str()).collect(),
    }
}

/// Another block moves `to` on (a chain): then `to` need not be defined any more.
fn continued(model: &Model, to: &MoveEnd) -> bool {
    model.moves.iter().any(|m| overlaps(&m.from, to))
}

/// What to say when `to` names no monitor of the configuration as it is now: renamed again
/// without a block of its own, or its tenant or cluster removed. The block then does nothing and
/// can be removed once no monitor in the org has its old key: a note. A name close to one that
/// is defined is more likely a typo that would cost the monitors their ids: a warning.
fn no_longer_applies(model: &Model, to: &MoveEnd) -> Option<Stale> {
    let (why, span, close) = match template(model, &to.template.value) {
        None if model.may_define_template(&to.template.value) => return None,
        None => {
            let names = model.templates.iter().map(|t| t.name.value.as_str());
            let close = did_you_mean(&to.template.value, names).map(|b| format!("monitor.{b}"));
            let why = format!(
                "`to` names monitor `{}`, which is not defined",
                to.template.value
            );
            (why, to.template.span.clone(), close)
        }
        Some(target) => {
            let instance = to.instance.as_ref()?;
            let known = instances(model, target);
            if known.contains(&instance.value.as_str()) {
                return None;
            }
            let close =
                did_you_mean(&instance.value, known.iter().copied()).map(|b| format!("\"{b}\""));
            let why = format!(
                "monitor `{}` has no instance `{}` ({})",
                to.template.value,
                instance.value,
                target.fan_out.value.describe()
            );
            (why, instance.span.clone(), close)
        }
    };
    Some(match close {
        Some(best) => Stale::Typo(
            Diagnostic::warning(
                Code::Moved,
                span,
                format!("{why}: this moved block does nothing"),
            )
            .label("not defined")
            .help(format!(
                "did you mean `{best}`? Without it the old monitors are deleted and created again \
                 with new ids"
            )),
        ),
        None => Stale::Done(Note {
            span,
            message: format!(
                "this moved block no longer applies: {why}; it does nothing, and can be removed \
                 once no monitor in the org has the key it moves from"
            ),
        }),
    })
}

/// A `moved` block whose `to` is gone.
enum Stale {
    /// Renamed or removed since: harmless.
    Done(Note),
    /// Close to a name that is defined: probably a typo.
    Typo(Diagnostic),
}

/// `from` names a monitor that is no longer configured (else it would be both kept and moved),
/// and not the same monitor as `to`. `from = monitor.x` with `to = monitor.x["acme"]` is the
/// single monitor `x` becoming one instance of `x` (Terraform's move into `for_each`).
fn check_from(model: &Model, moved: &Move) -> Option<Diagnostic> {
    let from = &moved.from;
    let single_to_instance = from.instance.is_none() && moved.to.instance.is_some();
    if overlaps(from, &moved.to) && !single_to_instance {
        return Some(
            Diagnostic::error(
                Code::Moved,
                from.span.clone(),
                format!("`from` and `to` both name {}", from.describe()),
            )
            .label("moved onto itself")
            .help("remove this moved block, or name the old and the new monitor"),
        );
    }
    let existing = template(model, &from.template.value)?;
    let still_defined = match &from.instance {
        None if single_to_instance => existing.fan_out.value == FanOut::Once,
        None => true,
        Some(instance) => instances(model, existing).contains(&instance.value.as_str()),
    };
    still_defined.then(|| {
        Diagnostic::error(
            Code::Moved,
            from.span.clone(),
            format!(
                "{} is still defined, so it cannot have moved",
                from.describe()
            ),
        )
        .label("still in the configuration")
        .related("defined here", existing.name.span.clone())
        .help(format!(
            "`from` is the old name: remove or rename the old definition (its monitors become {}), or remove this moved block",
            moved.to.describe()
        ))
    })
}

/// Two sides name the same monitors: the same template, and the same instance or all of them.
fn overlaps(a: &MoveEnd, b: &MoveEnd) -> bool {
    a.template.value == b.template.value
        && match (&a.instance, &b.instance) {
            (Some(x), Some(y)) => x.value == y.value,
            _ => true,
        }
}

/// A move that repeats or loops with an earlier one. Chains (`A → B`, `B → C`) and several
/// old names for one new monitor are fine: the plan takes over whichever old monitor is live.
fn check_against_earlier(earlier: &[Move], moved: &Move) -> Option<Diagnostic> {
    earlier.iter().find_map(|first| {
        let (span, message, label, help) = if overlaps(&first.from, &moved.from) {
            (
                &moved.from.span,
                format!("{} is moved a second time", moved.from.describe()),
                "moved again",
                "keep one moved block per old monitor: it can become only one new monitor",
            )
        } else if overlaps(&first.to, &moved.from) && overlaps(&first.from, &moved.to) {
            (
                &moved.from.span,
                format!(
                    "moved blocks in a cycle: {} and {} are moved onto each other",
                    moved.from.describe(),
                    moved.to.describe()
                ),
                "part of a cycle",
                "remove one of the two moved blocks",
            )
        } else {
            return None;
        };
        Some(
            Diagnostic::error(Code::Moved, span.clone(), message)
                .label(label)
                .related("the other moved block", first.span.clone())
                .help(help),
        )
    })
}
