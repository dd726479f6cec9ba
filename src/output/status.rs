//! `monc status` for people (a tier tree on the terminal, Markdown for chat and incident docs)
//! and machines (JSON).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::plan::{Palette, markdown_code};
use crate::escape;
use crate::status::{MonitorStatus, StatusReport, Suppression, Verdict};

/// Clears the screen from the top-left corner, so the next frame replaces the last one.
const HOME_AND_CLEAR: &str = "\x1b[H\x1b[2J";

/// One frame of `--watch`: on a terminal it is drawn in place (cursor home, screen cleared,
/// no scrolling); elsewhere (a pipe, a log file) frames simply follow each other.
pub fn watch_frame(text: &str, in_place: bool) -> String {
    if in_place {
        format!("{HOME_AND_CLEAR}{text}")
    } else {
        format!("{text}\n")
    }
}

pub fn render_json(report: &StatusReport) -> String {
    // A report holds only strings, numbers and lists: serialising it cannot fail.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// The headline, then the tier tree: each monitor under the closest monitor that suppresses
/// it. With `all`, OK monitors without anything to say are listed too; otherwise they are
/// counted ("… 5 more OK").
pub fn render_human(report: &StatusReport, colour: bool, all: bool) -> String {
    let p = Palette::new(colour);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{}{}",
        p.bold,
        escape::line(&report.headline),
        p.reset
    );
    out.push('\n');
    let tree = Tree::new(&report.monitors);
    tree.render(&mut out, &p, all);
    let marked = report
        .monitors
        .iter()
        .filter(|m| !m.marks.is_empty())
        .count();
    if marked > 0 {
        let _ = writeln!(
            out,
            "\n{marked} monitor(s) differ between the config and the org (marked !); see `monc diff`."
        );
    }
    out
}

struct Tree<'a> {
    roots: Vec<&'a MonitorStatus>,
    children: HashMap<&'a str, Vec<&'a MonitorStatus>>,
}

impl<'a> Tree<'a> {
    fn new(monitors: &'a [MonitorStatus]) -> Self {
        let present: HashSet<&str> = monitors.iter().map(|m| m.key.as_str()).collect();
        let mut roots = Vec::new();
        let mut children: HashMap<&str, Vec<&MonitorStatus>> = HashMap::new();
        for monitor in monitors {
            match monitor.parent.as_deref().filter(|p| present.contains(p)) {
                Some(parent) => children.entry(parent).or_default().push(monitor),
                None => roots.push(monitor),
            }
        }
        Tree { roots, children }
    }

    fn render(&self, out: &mut String, p: &Palette, all: bool) {
        self.render_level(out, p, all, &self.roots, None);
    }

    fn render_level(
        &self,
        out: &mut String,
        p: &Palette,
        all: bool,
        level: &[&MonitorStatus],
        indent: Option<&str>,
    ) {
        // `None`: the roots, drawn without branches.
        let top = indent.is_none();
        let indent = indent.unwrap_or("");
        let shown: Vec<&MonitorStatus> = level
            .iter()
            .copied()
            .filter(|m| all || self.worth_showing(m))
            .collect();
        let hidden = level.len() - shown.len();
        for (i, monitor) in shown.iter().enumerate() {
            let last = i + 1 == shown.len() && hidden == 0;
            let (branch, deeper) = match (top, last) {
                (true, _) => ("", String::new()),
                (false, true) => ("└─ ", format!("{indent}   ")),
                (false, false) => ("├─ ", format!("{indent}│  ")),
            };
            let _ = writeln!(out, "{indent}{branch}{}", line(monitor, p));
            for detail in details(monitor) {
                let _ = writeln!(out, "{deeper}   {}{detail}{}", p.dim, p.reset);
            }
            let kids = self.children.get(monitor.key.as_str()).cloned();
            self.render_level(out, p, all, &kids.unwrap_or_default(), Some(&deeper));
        }
        if hidden > 0 {
            let branch = if top { "" } else { "└─ " };
            let _ = writeln!(
                out,
                "{indent}{branch}{}… {hidden} more OK{}",
                p.dim, p.reset
            );
        }
    }

    /// Anything to say about it or beneath it: not OK, marked, or with such a descendant.
    fn worth_showing(&self, monitor: &MonitorStatus) -> bool {
        monitor.state != "OK"
            || monitor.muted
            || !monitor.marks.is_empty()
            || self
                .children
                .get(monitor.key.as_str())
                .is_some_and(|kids| kids.iter().any(|k| self.worth_showing(k)))
    }
}

/// `L3 l3/api_latency_p95/acme  ALERT  suppressed by l2/db_cpu/prod-tokyo-1`
fn line(monitor: &MonitorStatus, p: &Palette) -> String {
    let colour = match monitor.state.as_str() {
        "Alert" | "Missing" => p.red,
        "Warn" | "No Data" => p.yellow,
        "OK" => p.green,
        _ => "",
    };
    // The state, groups and marks come from the org: escaped like every text from there.
    let mut state = escape::line(&monitor.state).to_uppercase();
    if monitor.muted {
        state = format!("MUTED ({state})");
    }
    let mut text = format!(
        "{} {}  {colour}{state}{}",
        monitor.tier,
        escape::line(&monitor.key),
        p.reset
    );
    if let Some(verdict) = verdict_text(monitor) {
        let _ = write!(text, "  {}{}{}", p.bold, escape::line(&verdict), p.reset);
    }
    if !monitor.silencing.is_empty() {
        let _ = write!(
            text,
            "  {}No Data silences {} monitor(s) beneath{}",
            p.yellow,
            monitor.silencing.len(),
            p.reset
        );
    }
    for mark in &monitor.marks {
        let _ = write!(text, "  {}! {}{}", p.red, escape::line(mark), p.reset);
    }
    text
}

fn verdict_text(monitor: &MonitorStatus) -> Option<String> {
    match monitor.verdict? {
        Verdict::Quiet => None,
        Verdict::Paging => Some("→ PAGING".into()),
        Verdict::Suppressed => Some(format!(
            "suppressed by {}",
            suppressors(&monitor.suppressed_by, false)
        )),
        Verdict::SilencedByNoData => Some(format!(
            "silenced by No Data of {}",
            suppressors(&monitor.suppressed_by, true)
        )),
        Verdict::CompositeMissing => Some("pages nobody: its composite is not in the org".into()),
    }
}

/// The distinct suppressors (with their groups) of the reasons that are, or are not, No Data.
fn suppressors(reasons: &[Suppression], no_data: bool) -> String {
    let mut names: Vec<String> = Vec::new();
    for reason in reasons.iter().filter(|r| (r.state == "No Data") == no_data) {
        let name = match &reason.by_group {
            Some(group) => format!("{} ({group})", reason.by),
            None => reason.by.clone(),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// Lines under a monitor: its alerting groups, and which group a suppressor silences.
fn details(monitor: &MonitorStatus) -> Vec<String> {
    const MAX_GROUPS: usize = 5;
    let mut lines: Vec<String> = monitor
        .groups
        .iter()
        .take(MAX_GROUPS)
        .map(|g| format!("{}  {}", escape::line(&g.name), escape::line(&g.state)))
        .collect();
    if monitor.groups.len() > MAX_GROUPS {
        lines.push(format!(
            "… {} more group(s) not OK",
            monitor.groups.len() - MAX_GROUPS
        ));
    }
    lines
}

/// Markdown for a chat message or an incident document.
pub fn render_markdown(report: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "**{}**\n", escape::markdown(&report.headline));
    let notable: Vec<&MonitorStatus> = report
        .monitors
        .iter()
        .filter(|m| m.state != "OK" || m.muted || !m.marks.is_empty())
        .collect();
    if !notable.is_empty() {
        out.push_str("| Tier | Monitor | State | Now | Notes |\n|---|---|---|---|---|\n");
        for monitor in &notable {
            let mut state = monitor.state.clone();
            if monitor.muted {
                state.push_str(" (muted)");
            }
            let groups: Vec<String> = monitor
                .groups
                .iter()
                .map(|g| format!("{} {}", g.name, g.state))
                .collect();
            let mut notes = monitor.marks.clone();
            if !monitor.silencing.is_empty() {
                notes.push(format!(
                    "No Data silences {} monitor(s) beneath",
                    monitor.silencing.len()
                ));
            }
            notes.extend(groups);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                monitor.tier,
                markdown_code(&monitor.key),
                escape::markdown(&state),
                escape::markdown(&verdict_text(monitor).unwrap_or_default()),
                escape::markdown(&notes.join("; "))
            );
        }
        out.push('\n');
    }
    let ok = report.monitors.len() - notable.len();
    let _ = writeln!(out, "{ok} other monitor(s) OK.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_replace_each_other_only_on_a_terminal() {
        assert_eq!(watch_frame("a\n", true), "\x1b[H\x1b[2Ja\n");
        assert_eq!(watch_frame("a\n", false), "a\n\n");
    }
}
