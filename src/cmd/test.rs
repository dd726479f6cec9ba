use std::path::PathBuf;

use monc::Checked;
use monc::alert_test::{self, Outage, Verdict};
use monc::output;
use monc::output::test::{self as render_test, TestReport};

use super::ConfigArgs;
use super::error::{CommandResult, Error, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TestFormat {
    /// A table: scenario, expected pages, actual pages, ✓/✗.
    Human,
    /// One JSON document with every verdict, matrix check and outage.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
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
    /// How to print the results.
    #[arg(long, value_enum, default_value = "human")]
    pub format: TestFormat,
}

pub(crate) fn run(args: &TestArgs) -> CommandResult {
    let mut checked = super::org::checked_config(&args.config)?;
    let verdicts = scenarios(args, &mut checked)?;
    let outages = outages(args, &checked)?;
    let report = TestReport {
        verdicts,
        matrix: args.matrix.then(|| alert_test::matrix(&checked.graph)),
        outages,
    };
    match args.format {
        TestFormat::Human => out!("{}", render_test::human(&report)),
        TestFormat::Json => outln!("{}", render_test::json(&report)),
    }
    // Each failing scenario is marked in the results printed above.
    Ok(if report.failed() {
        Status::Error
    } else {
        Status::Ok
    })
}

/// Loads and runs the scenarios; a missing default directory is fine with `--matrix`.
fn scenarios(args: &TestArgs, checked: &mut Checked) -> Result<Vec<Verdict>, Error> {
    let path = args
        .path
        .clone()
        .unwrap_or_else(|| args.config.dir.join("alert-tests"));
    if args.path.is_none() && !path.exists() && args.matrix {
        return Ok(Vec::new());
    }
    let mut diagnostics = monc::diagnostic::Diagnostics::default();
    let Checked { model, graph, .. } = checked;
    let scenarios = alert_test::load(&path, model, graph, &mut diagnostics)
        .map_err(|error| Error::Message(format!("{error}\nhelp: {}", error.help)))?;
    if !diagnostics.is_empty() {
        let sorted = diagnostics.into_sorted();
        eout!(
            "{}",
            output::render_human(&sorted, &model.sources, output::stderr_colour())
        );
        return Err(Error::Closing(format!(
            "monc: the alert tests have {} problem(s)",
            sorted.len()
        )));
    }
    Ok(scenarios
        .iter()
        .map(|s| alert_test::run(model, graph, s))
        .collect())
}

fn outages(args: &TestArgs, checked: &Checked) -> Result<Vec<Outage>, Error> {
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
                Error::Message(format!(
                    "--outage `{spec}` names no cluster or monitor\nhelp: write `cluster:<name>` or a monitor key, `<tier>/<template>[/<cluster or tenant>]` (`monc graph` shows them)"
                ))
            })
        })
        .collect()
}
