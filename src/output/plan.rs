//! Plans for people (terminal, pull-request markdown) and machines (JSON).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use crate::english::natural_cmp;
use crate::escape;
use crate::model::tier_of_key;
use crate::plan::{Action, Change, Drift, FieldChange, Plan};

/// Colours for the terminal plan (and status); all empty when colour is off.
pub(super) struct Palette {
    pub(super) green: &'static str,
    pub(super) yellow: &'static str,
    pub(super) red: &'static str,
    pub(super) dim: &'static str,
    pub(super) bold: &'static str,
    pub(super) reset: &'static str,
}

impl Palette {
    pub(super) fn new(colour: bool) -> Palette {
        if colour {
            Palette {
                green: "\x1b[32m",
                yellow: "\x1b[33m",
                red: "\x1b[31m",
                dim: "\x1b[2m",
                bold: "\x1b[1m",
                reset: "\x1b[0m",
            }
        } else {
            Palette {
                green: "",
                yellow: "",
                red: "",
                dim: "",
                bold: "",
                reset: "",
            }
        }
    }

    fn for_action(&self, action: Action) -> &'static str {
        match action {
            Action::Create => self.green,
            Action::Update => self.yellow,
            Action::Delete => self.red,
            Action::Unchanged => self.dim,
        }
    }
}

fn symbol(action: Action) -> char {
    match action {
        Action::Create => '+',
        Action::Update => '~',
        Action::Delete => '-',
        Action::Unchanged => ' ',
    }
}

/// `Plan: 2 to create, 1 to update, 0 to delete.`
pub fn summary_line(plan: &Plan) -> String {
    let blocked = plan.blocked().count();
    if !plan.has_changes() {
        let also = if blocked > 0 {
            format!(" {blocked} cannot be deleted (see above).")
        } else {
            String::new()
        };
        return format!(
            "No changes. {} monitors are up to date.{also}",
            plan.count(Action::Unchanged)
        );
    }
    // Orphans go only with --prune (duplicates always): say so, or "4 to delete" followed by
    // "0 deleted" reads as a failure.
    let prune_only = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete && c.blocked.is_none())
        .filter(|c| c.drift != Some(Drift::Duplicate))
        .count();
    let mut notes = Vec::new();
    if prune_only > 0 {
        notes.push(format!("{prune_only} only with --prune"));
    }
    if blocked > 0 {
        notes.push(format!("{blocked} blocked, see above"));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    format!(
        "Plan: {} to create, {} to update, {} to delete{notes}.",
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Delete),
    )
}

/// Changes grouped by tier, then by tenant or cluster, in key order; numbers in names by value
/// (tenant `t2` before `t10`).
fn grouped(plan: &Plan) -> Vec<(String, Vec<&Change>)> {
    let mut groups: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
    for change in plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
    {
        groups.entry(group_title(change)).or_default().push(change);
    }
    let mut groups: Vec<(String, Vec<&Change>)> = groups.into_iter().collect();
    groups.sort_by(|(a, _), (b, _)| natural_cmp(a, b));
    for (_, changes) in &mut groups {
        changes.sort_by(|a, b| natural_cmp(&a.key, &b.key));
    }
    groups
}

fn group_title(change: &Change) -> String {
    let tier = tier_of_key(&change.key).to_uppercase();
    let tag = |name: &str| {
        change
            .desired
            .as_ref()
            .and_then(|d| {
                if name == "tenant" {
                    d.tenant.clone()
                } else {
                    d.cluster.clone()
                }
            })
            .or_else(|| {
                change
                    .live
                    .as_ref()
                    .and_then(|l| l.tag_value(name).map(String::from))
            })
    };
    // From the org's tags for a monitor no longer in the config: escaped where it is shown.
    match (tag("tenant"), tag("cluster")) {
        (Some(tenant), _) => format!("{tier} · tenant {tenant}"),
        (None, Some(cluster)) => format!("{tier} · cluster {cluster}"),
        _ => tier,
    }
}

fn drift_note(change: &Change) -> Option<String> {
    if let Some(reason) = &change.blocked {
        return Some(format!("cannot be deleted: {reason}"));
    }
    match (change.drift, change.action) {
        // Terraform says "has moved to"; the key tag is rewritten, the id kept.
        (None, _) if change.moved_from.is_some() => change
            .moved_from
            .as_ref()
            .map(|old| format!("moved from {old}")),
        (Some(drift), _) => Some(drift.describe().to_string()),
        (None, Action::Delete) => {
            Some("no longer in the config; deleted only with --prune".to_string())
        }
        _ => None,
    }
}

fn display_name(change: &Change) -> &str {
    change
        .desired
        .as_ref()
        .map(|d| d.body.name.as_str())
        .or(change.live.as_ref().map(|l| l.body.name.as_str()))
        .unwrap_or_default()
}

/// The terraform-style plan for a terminal.
pub fn render_human(plan: &Plan, colour: bool) -> String {
    let p = Palette::new(colour);
    let mut out = String::new();
    for (title, changes) in grouped(plan) {
        let _ = writeln!(out, "{}{}{}", p.bold, escape::line(&title), p.reset);
        for change in changes {
            render_change_human(&mut out, change, &p);
        }
        out.push('\n');
    }
    if !plan.owned_without_key.is_empty() {
        let ids: Vec<String> = plan.owned_without_key.iter().map(i64::to_string).collect();
        let _ = writeln!(
            out,
            "{}note:{} monitors {} carry the ownership tag but no key tag; monc leaves them alone.\n",
            p.yellow,
            p.reset,
            ids.join(", ")
        );
    }
    if let Some(note) = other_projects_note(plan) {
        let _ = writeln!(
            out,
            "{}note:{} {}\n",
            p.yellow,
            p.reset,
            escape::line(&note)
        );
    }
    for conflict in &plan.conflicts {
        let _ = writeln!(
            out,
            "{}warning:{} {}\n",
            p.yellow,
            p.reset,
            escape::line(&conflict.describe())
        );
    }
    let _ = writeln!(out, "{}{}{}", p.bold, summary_line(plan), p.reset);
    out
}

/// What the plan leaves alone because another monc project wrote it.
fn other_projects_note(plan: &Plan) -> Option<String> {
    if plan.other_projects.is_empty() {
        return None;
    }
    let total: usize = plan.other_projects.values().sum();
    let each: Vec<String> = plan
        .other_projects
        .iter()
        .map(|(name, count)| match name.as_str() {
            "" => format!("{count} by a project without a name"),
            name => format!("{count} by `{name}`"),
        })
        .collect();
    let unnamed = if plan.other_projects.contains_key("") {
        " If those without a name are this project's own from before `project` was set, \
         `--claim-unnamed` takes them over."
    } else {
        ""
    };
    Some(format!(
        "{total} monitor(s) in the org were written by another monc project ({}); this project \
         never changes or deletes them. To hand one over, set its `{}:` tag to the receiving \
         project's name.{unnamed}",
        each.join(", "),
        crate::model::PROJECT_TAG_KEY
    ))
}

fn render_change_human(out: &mut String, change: &Change, p: &Palette) {
    let colour = p.for_action(change.action);
    let note = drift_note(change)
        .map(|n| format!("  {}({}){}", p.dim, escape::line(&n), p.reset))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {colour}{} {}{}  \"{}\"{note}",
        symbol(change.action),
        escape::line(&change.key),
        p.reset,
        escape::line(display_name(change))
    );
    match change.action {
        Action::Update => {
            for field in &change.fields {
                render_field_human(out, field, p);
            }
        }
        Action::Create => render_created(out, change, p),
        _ => {}
    }
}

/// Every field a create sets, one line each, as Terraform shows a new resource's attributes:
/// a long message by its first line and how many follow.
fn render_created(out: &mut String, change: &Change, p: &Palette) {
    for (field, first, more) in created_fields(change) {
        let rest = more_lines(more);
        let rest = if rest.is_empty() {
            rest
        } else {
            format!("{}{rest}{}", p.dim, p.reset)
        };
        let _ = writeln!(out, "      {}{field}{} = {first}{rest}", p.dim, p.reset);
    }
}

/// A create's fields (its name is on the change's own line), escaped: what the monitor
/// watches first, who hears of it last. Each with its first line and how many lines follow.
fn created_fields(change: &Change) -> Vec<(String, String, usize)> {
    let rank = |field: &str| match field {
        "type" => 0,
        "query" => 1,
        f if f.starts_with("options.") => 2,
        "priority" => 3,
        "tags" => 4,
        _ => 5,
    };
    let mut fields: Vec<&FieldChange> =
        change.fields.iter().filter(|f| f.field != "name").collect();
    fields.sort_by_key(|f| rank(&f.field));
    fields
        .into_iter()
        .filter_map(|field| {
            let text = field.desired_text()?;
            let mut lines = text.lines();
            let first = escape::line(lines.next().unwrap_or_default()).into_owned();
            Some((
                escape::line(&field.field).into_owned(),
                first,
                lines.count(),
            ))
        })
        .collect()
}

/// ` … (2 more lines)`, or nothing.
fn more_lines(more: usize) -> String {
    if more == 0 {
        return String::new();
    }
    format!(" … ({more} more line{})", crate::english::plural(more))
}

/// Field-by-field differences as `monc diff` shows them under an update (restore's plan uses
/// them too).
pub fn render_fields_human(fields: &[FieldChange], colour: bool) -> String {
    let p = Palette::new(colour);
    let mut out = String::new();
    for field in fields {
        render_field_human(&mut out, field, &p);
    }
    out
}

fn render_field_human(out: &mut String, field: &FieldChange, p: &Palette) {
    let (live_text, desired_text) = (field.live_text(), field.desired_text());
    let live = live_text.as_deref().unwrap_or("");
    let desired = desired_text.as_deref().unwrap_or("");
    let _ = write!(out, "      {}:", escape::line(&field.field));
    if let Some((removed, added)) = list_changes(field) {
        out.push('\n');
        for (sign, colour, items) in [('-', p.red, removed), ('+', p.green, added)] {
            for item in items {
                let _ = writeln!(
                    out,
                    "        {colour}{sign} {}{}",
                    escape::line(item),
                    p.reset
                );
            }
        }
        return;
    }
    if !live.contains('\n') && !desired.contains('\n') && live.len() + desired.len() < 80 {
        let show = |v: &Option<serde_json::Value>, text: &Option<String>| match (v, text) {
            (None, _) | (_, None) => "(none)".to_string(),
            (Some(serde_json::Value::String(_)), Some(text)) => {
                format!("\"{}\"", escape::line(text))
            }
            (Some(_), Some(text)) => escape::line(text).into_owned(),
        };
        let _ = writeln!(
            out,
            " {} → {}",
            show(&field.live, &live_text),
            show(&field.desired, &desired_text)
        );
        return;
    }
    out.push('\n');
    for (tag, line) in line_diff(live, desired) {
        let (colour, sign) = match tag {
            ChangeTag::Delete => (p.red, '-'),
            ChangeTag::Insert => (p.green, '+'),
            ChangeTag::Equal => (p.dim, ' '),
        };
        let _ = writeln!(out, "        {colour}{sign} {line}{}", p.reset);
    }
}

/// For a list of strings (tags): the items removed and added, rather than two joined lines.
fn list_changes(field: &FieldChange) -> Option<(Vec<&str>, Vec<&str>)> {
    let (live, desired) = (strings(&field.live)?, strings(&field.desired)?);
    let removed = live
        .iter()
        .filter(|i| !desired.contains(i))
        .copied()
        .collect();
    let added = desired
        .iter()
        .filter(|i| !live.contains(i))
        .copied()
        .collect();
    Some((removed, added))
}

/// The items of a list of strings (none for no value); `None` for anything else.
fn strings(value: &Option<serde_json::Value>) -> Option<Vec<&str>> {
    match value {
        None => Some(Vec::new()),
        Some(serde_json::Value::Array(items)) => items.iter().map(|i| i.as_str()).collect(),
        Some(_) => None,
    }
}

/// Line by line for multi-line text; single long lines are shown as one removed and one added.
/// Each line is escaped: a carriage return or an escape sequence in it could redraw the plan.
fn line_diff(old: &str, new: &str) -> Vec<(ChangeTag, String)> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| {
            let line = c.value().trim_end_matches('\n');
            (c.tag(), escape::line(line).into_owned())
        })
        .collect()
}

/// Markdown for a pull-request comment or a drift report.
pub fn render_markdown(plan: &Plan, title: &str) -> String {
    let mut out = format!("## {title}\n\n**{}**\n\n", summary_line(plan));
    let drifted: Vec<&Change> = plan.drifted().collect();
    if !drifted.is_empty() {
        out.push_str(&drift_section(&drifted));
    }
    if let Some(note) = other_projects_note(plan) {
        let _ = writeln!(out, "_{}_\n", escape::markdown(&note));
    }
    if !plan.conflicts.is_empty() {
        out.push_str("### Monitors carrying monc's tags that monc did not write\n\n");
        for conflict in &plan.conflicts {
            let _ = writeln!(out, "- {}", escape::markdown(&conflict.describe()));
        }
        out.push('\n');
    }
    for (group, changes) in grouped(plan) {
        let _ = writeln!(out, "### {}\n", escape::markdown(&group));
        for change in changes {
            render_change_markdown(&mut out, change);
        }
        out.push('\n');
    }
    out
}

fn drift_section(drifted: &[&Change]) -> String {
    let mut out = String::from(
        "### Drift: changed outside monc\n\n| monitor | what | last modified | fix |\n|---|---|---|---|\n",
    );
    for change in drifted {
        let what = match change.drift {
            Some(Drift::DeletedOutsideMonc) => "deleted".to_string(),
            Some(Drift::Duplicate) => "duplicate".to_string(),
            Some(Drift::PointsAtDuplicate) => "points at a duplicate".to_string(),
            _ => change
                .fields
                .iter()
                .map(|f| markdown_code(&f.field))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let modified = change
            .live
            .as_ref()
            .and_then(|l| l.modified.as_deref())
            .map_or_else(|| "—".into(), escape::markdown);
        let _ = writeln!(
            out,
            "| {} | {what} | {modified} | `monc sync` restores the config; or change the config to keep the edit |",
            markdown_code(&change.key)
        );
    }
    out.push('\n');
    out
}

fn render_change_markdown(out: &mut String, change: &Change) {
    let note = drift_note(change)
        .map(|n| format!(" — _{}_", escape::markdown(&n)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "- `{}` {} {}{note}",
        symbol(change.action),
        markdown_code(&change.key),
        escape::markdown(display_name(change))
    );
    if change.action == Action::Create {
        out.push_str("\n  ```diff\n");
        for (field, first, more) in created_fields(change) {
            let _ = writeln!(out, "  + {field} = {first}{}", more_lines(more));
        }
        out.push_str("  ```\n");
        return;
    }
    if change.action != Action::Update || change.fields.is_empty() {
        return;
    }
    out.push_str("\n  ```diff\n");
    for field in &change.fields {
        let _ = writeln!(out, "  # {}", escape::line(&field.field));
        for (tag, line) in line_diff(
            &field.live_text().unwrap_or_default(),
            &field.desired_text().unwrap_or_default(),
        ) {
            let sign = match tag {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            let _ = writeln!(out, "  {sign} {line}");
        }
    }
    out.push_str("  ```\n");
}

/// `text` as inline code when that is safe (no backtick or table bar in it), else as escaped
/// Markdown: text from the org must not end the code span and add markup after it.
pub(super) fn markdown_code(text: &str) -> String {
    if text.contains(['`', '|']) {
        escape::markdown(text)
    } else {
        format!("`{}`", escape::line(text))
    }
}

/// The plan as one JSON document.
pub fn render_json(plan: &Plan) -> String {
    let document = serde_json::json!({
        "summary": {
            "create": plan.count(Action::Create),
            "update": plan.count(Action::Update),
            "delete": plan.count(Action::Delete),
            "unchanged": plan.count(Action::Unchanged),
            "drifted": plan.drifted().count(),
            "blocked": plan.blocked().count(),
        },
        "changes": plan.changes.iter().filter(|c| c.action != Action::Unchanged).collect::<Vec<_>>(),
        "owned_without_key": plan.owned_without_key,
        "conflicts": plan.conflicts,
        "other_projects": plan.other_projects,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}
