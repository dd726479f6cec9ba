//! Rendering `monc test` results: the scenario table, failure details, the suppression matrix
//! and shared-outage counts, or one JSON document.

use crate::alert_test::{EdgeCheck, Outage, Verdict};

/// Everything `monc test` found.
pub struct TestReport {
    pub verdicts: Vec<Verdict>,
    pub matrix: Option<Vec<EdgeCheck>>,
    pub outages: Vec<Outage>,
}

impl TestReport {
    pub fn failed(&self) -> bool {
        self.verdicts.iter().any(|v| !v.passed) || self.matrix.iter().flatten().any(|c| !c.passed())
    }
}

/// The table a person reads.
pub fn human(report: &TestReport) -> String {
    let mut out = String::new();
    if !report.verdicts.is_empty() {
        out.push_str(&verdict_table(&report.verdicts));
        out.push_str(&failure_details(&report.verdicts));
        let failed = report.verdicts.iter().filter(|v| !v.passed).count();
        out.push_str(&format!(
            "\n{} scenarios: {} passed, {failed} failed\n",
            report.verdicts.len(),
            report.verdicts.len() - failed
        ));
    }
    if let Some(matrix) = &report.matrix {
        out.push_str(&matrix_text(matrix));
    }
    if !report.outages.is_empty() {
        out.push_str("\nShared outages (every monitor listed alerting at once):\n");
        for o in &report.outages {
            out.push_str(&format!(
                "  {}: {} pages without suppression, {} with ({})\n",
                o.name,
                o.pages_without_suppression.len(),
                o.pages.len(),
                o.pages.join(", ")
            ));
        }
    }
    out
}

fn verdict_table(verdicts: &[Verdict]) -> String {
    let header = ["", "scenario", "expected pages", "actual pages"].map(String::from);
    let rows: Vec<[String; 4]> = verdicts
        .iter()
        .map(|v| {
            let expected: Vec<&str> = v.expected.iter().map(|p| p.key.as_str()).collect();
            let mut actual: Vec<&str> = v.actual.iter().map(|p| p.key.as_str()).collect();
            actual.dedup();
            [
                if v.passed { "✓" } else { "✗" }.to_string(),
                v.scenario.clone(),
                cell(&expected),
                cell(&actual),
            ]
        })
        .collect();
    table(&header, &rows)
}

fn cell(keys: &[&str]) -> String {
    if keys.is_empty() {
        "(none)".into()
    } else {
        keys.join("\n")
    }
}

/// A plain-text table; cells may span several lines.
fn table(header: &[String; 4], rows: &[[String; 4]]) -> String {
    let width = |col: usize| {
        std::iter::once(header)
            .chain(rows)
            .flat_map(|r| {
                r[col]
                    .lines()
                    .map(|l| l.chars().count())
                    .collect::<Vec<_>>()
            })
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..4).map(width).collect();
    let mut out = String::new();
    let mut line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    };
    line([&header[0], &header[1], &header[2], &header[3]]);
    let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    line([&rule[0], &rule[1], &rule[2], &rule[3]]);
    for row in rows {
        let lines: Vec<Vec<&str>> = row.iter().map(|c| c.lines().collect()).collect();
        let height = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for i in 0..height {
            let at = |c: usize| lines[c].get(i).copied().unwrap_or("");
            line([at(0), at(1), at(2), at(3)]);
        }
    }
    out
}

fn failure_details(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    for v in verdicts.iter().filter(|v| !v.passed) {
        out.push_str(&format!("\n✗ {} ({}:{})\n", v.scenario, v.file, v.line));
        for key in &v.missing {
            out.push_str(&format!("  - expected {key} to page; it stays silent\n"));
        }
        for key in &v.unexpected {
            let who = v.actual.iter().find(|p| &p.key == key);
            let who = who.map(|p| p.notify.join(" ")).unwrap_or_default();
            out.push_str(&format!("  + {key} pages {who} without being expected\n"));
        }
        for (key, want, got) in &v.wrong_handles {
            out.push_str(&format!(
                "  ~ {key} notifies {} instead of {}\n",
                got.join(" "),
                want.join(" ")
            ));
        }
        for (key, want, got) in &v.wrong_groups {
            out.push_str(&format!(
                "  ~ {key} pages for groups {} instead of {}\n",
                got.join(" "),
                want.join(" ")
            ));
        }
        for key in &v.no_data {
            out.push_str(&format!(
                "  note: {key} is in No Data (a member has no data), so it does not page\n"
            ));
        }
    }
    out
}

fn matrix_text(matrix: &[EdgeCheck]) -> String {
    let mut out =
        String::from("\nSuppression matrix (target alerting; suppressor OK / Alert / No Data):\n");
    for c in matrix {
        let mark = if c.passed() { "✓" } else { "✗" };
        let ok = if c.pages_when_ok { "pages" } else { "SILENT" };
        let alert = if c.silent_when_alert {
            "silent"
        } else {
            "PAGES"
        };
        let no_data = match (c.pages_when_no_data, c.is_risk()) {
            (true, _) => "pages".to_string(),
            (false, true) => "silent, nobody told (risk)".to_string(),
            (false, false) => format!("silent, {} told", c.no_data_told.join(" ")),
        };
        let through = if c.through_page {
            format!(" (through {})", c.composite)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "  {mark} {} → {}{through}: {ok} / {alert} / {no_data}\n",
            c.suppressor, c.target
        ));
    }
    let failed = matrix.iter().filter(|c| !c.passed()).count();
    let risks = matrix.iter().filter(|c| c.is_risk()).count();
    out.push_str(&format!(
        "{} edges: {} checked ({failed} failed); {risks} where a suppressor's No Data silences the target unnoticed\n",
        matrix.len(),
        matrix.len() * 2
    ));
    if risks > 0 {
        out.push_str("  help: Datadog evaluates `!NoData` as No Data, so the composite goes No Data and keeps its last state; give those suppressors `notify_no_data = true` (they then page about their missing data) or accept the gap\n");
    }
    out
}

/// One JSON document.
pub fn json(report: &TestReport) -> String {
    let document = serde_json::json!({
        "passed": !report.failed(),
        "scenarios": report.verdicts,
        "matrix": report.matrix,
        "outages": report.outages,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}
