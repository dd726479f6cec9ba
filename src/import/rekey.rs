//! Re-keying monitors adopted before under other keys (a first import without
//! `--detect-tenants` adopted `l3/web_app_errors`; a re-import folds it into
//! `l3/errors/web-app`): import writes the `moved` blocks that say so, and the next sync
//! rewrites their key tags and keeps their ids, as for any rename ([`crate::moved`]).

use std::collections::HashSet;
use std::path::Path;

use crate::model::{key_without_tier, partner_key};

use super::write_hcl::quoted;

/// The file under `monitors/` the blocks go to.
pub const MOVED_FILE: &str = "moved-by-import.hcl";

/// A live monitor that carries the key `from` and is adopted under the key `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rekey {
    pub from: String,
    pub to: String,
    /// A composite monc generates (`<key>/composite`): its monitor's block moves it too.
    pub generated_composite: bool,
}

/// Whether the monitor adopted as `to` may leave its key `from`: no monitor of the project
/// (`compiled`, keys without tier) has `from` any more, and both keys are of the same kind.
pub fn may_move(
    from: &str,
    to: &str,
    generated_composite: bool,
    compiled: &HashSet<String>,
) -> bool {
    let suffixed = |key: &str| key.ends_with("/composite");
    !compiled.contains(key_without_tier(from))
        && (!generated_composite || (suffixed(from) && suffixed(to)))
}

/// Rekeys of generated composites whose monitor is not re-keyed along with them: their
/// monitor's block is what moves them, so without it they cannot move.
pub fn orphan_composites(rekeys: &[Rekey]) -> Vec<&Rekey> {
    let raw: HashSet<(String, String)> = rekeys
        .iter()
        .filter(|r| !r.generated_composite)
        .map(|r| (r.from.clone(), r.to.clone()))
        .collect();
    rekeys
        .iter()
        .filter(|r| r.generated_composite)
        .filter(|r| {
            !raw.contains(&(
                partner_key(&r.from, true).into(),
                partner_key(&r.to, true).into(),
            ))
        })
        .collect()
}

/// The `moved` block of a monitor's rekey (`None` for a generated composite, which moves with
/// its monitor, and for a key not of the form `tier/template[/instance]`).
pub fn moved_block(rekey: &Rekey) -> Option<String> {
    if rekey.generated_composite {
        return None;
    }
    Some(format!(
        "moved {{\n  from = {}\n  to   = {}\n}}\n",
        address(&rekey.from)?,
        address(&rekey.to)?
    ))
}

/// `l3/errors/web-app` → `monitor.errors["web-app"]`.
fn address(key: &str) -> Option<String> {
    let mut parts = key_without_tier(key).split('/');
    let template = parts.next().filter(|t| !t.is_empty())?;
    let address = match parts.next() {
        Some(instance) => format!("monitor.{template}[{}]", quoted(instance)),
        None => format!("monitor.{template}"),
    };
    parts.next().is_none().then_some(address)
}

/// Adds the blocks not in `path` yet (blocks stay harmlessly once done, so earlier ones are
/// kept); returns how many were added.
pub fn write_moved_file(path: &Path, blocks: &[String]) -> Result<usize, String> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Written by `monc import`: monitors adopted before under other keys, re-keyed.\n\
             # The next sync rewrites their key tags and keeps their ids; the blocks may stay.\n"
                .to_string()
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let new: Vec<&String> = blocks
        .iter()
        .filter(|b| !existing.contains(b.as_str()))
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    let mut text = existing;
    for block in &new {
        text.push('\n');
        text.push_str(block);
    }
    crate::atomic_file::write(path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(new.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_name_template_and_instance() {
        let rekey = |from: &str, to: &str| Rekey {
            from: from.into(),
            to: to.into(),
            generated_composite: false,
        };
        assert_eq!(
            moved_block(&rekey("l3/web_app_errors", "l2/errors/web-app")).as_deref(),
            Some(
                "moved {\n  from = monitor.web_app_errors\n  to   = monitor.errors[\"web-app\"]\n}\n"
            )
        );
        assert_eq!(moved_block(&rekey("l3/a/b/c", "l3/errors")), None);
        let composite = Rekey {
            generated_composite: true,
            ..rekey("l3/a/composite", "l3/b/x/composite")
        };
        assert_eq!(orphan_composites(std::slice::from_ref(&composite)).len(), 1);
        assert!(orphan_composites(&[composite, rekey("l3/a", "l3/b/x")]).is_empty());
    }
}
