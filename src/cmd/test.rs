use std::path::PathBuf;
use std::process::ExitCode;

use monc::Checked;
use monc::alert_test::{self, EdgeCheck, Outage, Verdict};
use monc::output;

use super::ConfigArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// A table: scenario, expected pages, actual pages, ✓/✗.
    Human,
    /// One JSON document with every verdict, matrix check and outage.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Scenario files: a directory of *.hcl files or one file [default: DIR/alert-tests]
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Also check every suppression edge: suppressor OK (target pages), Alert (target silent),
    /// No Data (reported: the composite goes No Data and does not page).
    #[arg(long)]
    pub matrix: bool,
    /// Report pages with and without suppression for a shared outage: `cluster:NAME` (every
    /// monitor of the cluster and its tenants alerting) or a monitor key (it and everything it
    /// suppresses alerting). Repeatable. Without it, every cluster's outage is reported.
    #[arg(long, value_name = "SPEC")]
    pub outage: Vec<String>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: TestFormat,
}

struct Report {
    verdicts: Vec<Verdict>,
    matrix: Option<Vec<EdgeCheck>>,
    outages: Vec<Outage>,
}

impl Report {
    fn failed(&self) -> bool {
        self.verdicts.iter().any(|v| !v.passed) || self.matrix.iter().flatten().any(|c| !c.passed())
    }
}

pub fn run(args: &TestArgs) -> ExitCode {
    let mut checked = match monc::check(&args.config.load_options()) {
        Ok(checked) => checked,
        Err(error) => {
            eprintln!("error: {error}\nhelp: {}", error.help);
            return ExitCode::FAILURE;
        }
    };
    if checked.diagnostics.has_errors() {
        eprintln!("error: the configuration has errors; run `monc validate` to see them");
        return ExitCode::FAILURE;
    }
    let verdicts = match scenarios(args, &mut checked) {
        Ok(verdicts) => verdicts,
        Err(code) => return code,
    };
    let outages = match outages(args, &checked) {
        Ok(outages) => outages,
        Err(code) => return code,
    };
    let report = Report {
        verdicts,
        matrix: args.matrix.then(|| alert_test::matrix(&checked.graph)),
        outages,
    };
    match args.format {
        TestFormat::Human => print!("{}", human(&report)),
        TestFormat::Json => println!("{}", json(&report)),
    }
    if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Loads and runs the scenarios; a missing default directory is fine with `--matrix`.
fn scenarios(args: &TestArgs, checked: &mut Checked) -> Result<Vec<Verdict>, ExitCode> {
    let path = args
        .path
        .clone()
        .unwrap_or_else(|| args.config.dir.join("alert-tests"));
    if args.path.is_none() && !path.exists() && args.matrix {
        return Ok(Vec::new());
    }
    let mut diagnostics = monc::diagnostic::Diagnostics::default();
    let Checked { model, graph, .. } = checked;
    let scenarios = alert_test::load(&path, model, graph, &mut diagnostics).map_err(|error| {
        eprintln!("error: {error}\nhelp: {}", error.help);
        ExitCode::FAILURE
    })?;
    if !diagnostics.is_empty() {
        let sorted = diagnostics.into_sorted();
        eprint!(
            "{}",
            output::render_human(&sorted, &model.sources, output::stderr_colour())
        );
        eprintln!("monc: the alert tests have {} problem(s)", sorted.len());
        return Err(ExitCode::FAILURE);
    }
    Ok(scenarios
        .iter()
        .map(|s| alert_test::run(model, graph, s))
        .collect())
}

fn outages(args: &TestArgs, checked: &Checked) -> Result<Vec<Outage>, ExitCode> {
    let specs: Vec<String> = if args.outage.is_empty() {
        let clusters = checked.model.clusters.iter();
        clusters
            .map(|c| format!("cluster:{}", c.name.value))
            .collect()
    } else {
        args.outage.clone()
    };
    specs
        .iter()
        .map(|spec| {
            alert_test::outage(&checked.model, &checked.graph, spec).ok_or_else(|| {
                eprintln!(
                    "error: --outage `{spec}` names no cluster or monitor\nhelp: write `cluster:<name>` or a monitor key such as `l2/alb_5xx/prod-tokyo-1` (`monc graph` shows them)"
                );
                ExitCode::FAILURE
            })
        })
        .collect()
}

fn human(report: &Report) -> String {
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
                o.alerting.len(),
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
        out.push_str(&format!(
            "  {mark} {} → {}: {ok} / {alert} / {no_data}\n",
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

fn json(report: &Report) -> String {
    let document = serde_json::json!({
        "passed": !report.failed(),
        "scenarios": report.verdicts,
        "matrix": report.matrix,
        "outages": report.outages,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}
