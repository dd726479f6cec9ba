//! `moved { from = monitor.old  to = monitor.new }`: Terraform's syntax for a rename. monc keeps
//! no state, so a rename would otherwise delete every live monitor of the old template and
//! create new ones (new ids break dashboards, SLOs and links, and lose history). A move tells the
//! plan which live key a desired monitor had before; [`crate::plan`] then updates that monitor
//! (its key tag rewritten) instead.
//!
//! Checked here, against the whole configuration: `to` must be defined, `from` must not be any
//! more, and moves may neither repeat, chain nor loop (monc does not follow chains: each block
//! names the monitor as it is live and as it is configured now).

use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::model::{FanOut, Model, Move, MoveEnd, Template};

/// Reports every `moved` block that cannot be carried out as written.
pub fn check(model: &Model, diagnostics: &mut Diagnostics) {
    for (i, moved) in model.moves.iter().enumerate() {
        let problems = [
            check_to(model, &moved.to),
            check_from(model, moved),
            check_against_earlier(&model.moves[..i], moved),
        ];
        diagnostics.extend(problems.into_iter().flatten());
    }
}

/// The key, without its tier, that the monitor of `template` for `instance` (its tenant or
/// cluster; `None` for a single monitor) had before a `moved` block renamed it.
pub fn previous_key(model: &Model, template: &str, instance: Option<&str>) -> Option<String> {
    let moved = model.moves.iter().find(|m| {
        m.to.template.value == template
            && m.to
                .instance
                .as_ref()
                .is_none_or(|i| Some(i.value.as_str()) == instance)
    })?;
    let old_instance = match (&moved.from.instance, &moved.to.instance) {
        (Some(from), _) => Some(from.value.as_str()),
        // A whole template moved: each instance keeps its tenant or cluster.
        (None, None) => instance,
        // One instance became the single monitor of another template.
        (None, Some(_)) => None,
    };
    Some(match old_instance {
        Some(old) => format!("{}/{old}", moved.from.template.value),
        None => moved.from.template.value.clone(),
    })
}

fn template<'a>(model: &'a Model, name: &str) -> Option<&'a Template> {
    model.templates.iter().find(|t| t.name.value == name)
}

/// The tenants or clusters a template of `fan_out` is stamped out for.
fn instances(model: &Model, fan_out: FanOut) -> Vec<&str> {
    match fan_out {
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
    }
}

/// `to` names a monitor of the configuration as it is now.
fn check_to(model: &Model, to: &MoveEnd) -> Option<Diagnostic> {
    let Some(target) = template(model, &to.template.value) else {
        if model.may_define_template(&to.template.value) {
            return None;
        }
        let names = model.templates.iter().map(|t| t.name.value.as_str());
        let help = match did_you_mean(&to.template.value, names) {
            Some(best) => format!("did you mean `monitor.{best}`?"),
            None => format!(
                "`to` is the new name: define `monitor \"{}\"`, or name the template the monitors were renamed to",
                to.template.value
            ),
        };
        return Some(
            Diagnostic::error(
                Code::Moved,
                to.template.span.clone(),
                format!(
                    "`to` names monitor `{}`, which is not defined",
                    to.template.value
                ),
            )
            .label("no monitor template with this name")
            .help(help),
        );
    };
    let instance = to.instance.as_ref()?;
    let known = instances(model, target.fan_out.value);
    if known.contains(&instance.value.as_str()) {
        return None;
    }
    let (message, help) = if target.fan_out.value == FanOut::Once {
        (
            format!(
                "monitor `{}` is a single monitor; it has no instance `{}`",
                to.template.value, instance.value
            ),
            format!(
                "write `to = monitor.{}` without an index",
                to.template.value
            ),
        )
    } else {
        (
            format!(
                "monitor `{}` has no instance `{}` ({})",
                to.template.value,
                instance.value,
                target.fan_out.value.describe()
            ),
            match did_you_mean(&instance.value, known.iter().copied()) {
                Some(best) => format!("did you mean `\"{best}\"`?"),
                None => "name a tenant or cluster this monitor is stamped out for".to_string(),
            },
        )
    };
    Some(
        Diagnostic::error(Code::Moved, instance.span.clone(), message)
            .label("no such instance")
            .help(help),
    )
}

/// `from` names a monitor that is no longer configured (else it would be both kept and moved),
/// and not the same monitor as `to`.
fn check_from(model: &Model, moved: &Move) -> Option<Diagnostic> {
    let from = &moved.from;
    if overlaps(from, &moved.to) {
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
        None => true,
        Some(instance) => {
            instances(model, existing.fan_out.value).contains(&instance.value.as_str())
        }
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

/// A move that repeats, chains onto or loops with an earlier one.
fn check_against_earlier(earlier: &[Move], moved: &Move) -> Option<Diagnostic> {
    earlier.iter().find_map(|first| {
        let (span, message, label, help) = if overlaps(&first.from, &moved.from) {
            (
                &moved.from.span,
                format!("{} is moved a second time", moved.from.describe()),
                "moved again",
                "keep one moved block per old monitor".to_string(),
            )
        } else if overlaps(&first.to, &moved.to) {
            (
                &moved.to.span,
                format!(
                    "a second moved block moves monitors into {}",
                    moved.to.describe()
                ),
                "moved into twice",
                "keep one moved block per new monitor: one live monitor keeps each id".to_string(),
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
                "remove one of the two moved blocks".to_string(),
            )
        } else if overlaps(&first.to, &moved.from) || overlaps(&first.from, &moved.to) {
            let (span, start, end) = if overlaps(&first.to, &moved.from) {
                (&moved.from.span, &first.from, &moved.to)
            } else {
                (&moved.to.span, &moved.from, &first.to)
            };
            (
                span,
                "moved blocks in a chain: monc does not follow chains".to_string(),
                "continues another move",
                format!(
                    "replace the two blocks by one: `moved {{ from = {}  to = {} }}`",
                    start.describe(),
                    end.describe()
                ),
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
