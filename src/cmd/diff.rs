use std::path::PathBuf;
use std::process::ExitCode;

use monc::datadog::OrgArgs;
use monc::output::{self, plan as render};

use super::ConfigArgs;
use super::org::{self, ERROR};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Terraform-style plan for a terminal.
    Human,
    /// Markdown for a pull-request comment or a drift report.
    Markdown,
    /// One JSON document.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    #[arg(long, value_enum, default_value = "human")]
    pub format: PlanFormat,
    /// Write the plan to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only these tenants (comma-separated), plus the shared monitors they need.
    #[arg(long, value_name = "TENANTS")]
    pub only: Vec<String>,
    /// Post a drift summary to the Slack incoming webhook in MONC_SLACK_WEBHOOK_URL when there is drift.
    #[arg(long)]
    pub notify_slack: bool,
}

pub fn run(args: &DiffArgs) -> ExitCode {
    let runtime = match org::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(diff(args))
}

async fn diff(args: &DiffArgs) -> ExitCode {
    let planned = match org::prepare(&args.config, &args.org, &org::split_tenants(&args.only)).await
    {
        Ok(p) => p,
        Err(code) => return code,
    };
    let plan = &planned.plan;
    let text = match args.format {
        PlanFormat::Human => render::render_human(
            plan,
            args.output.is_none()
                && output::use_colour(std::io::IsTerminal::is_terminal(&std::io::stdout())),
        ),
        PlanFormat::Markdown => render::render_markdown(plan, "monc plan"),
        PlanFormat::Json => render::render_json(plan),
    };
    let written = match &args.output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    };
    if let Err(message) = written {
        eprintln!("error: {message}");
        return ExitCode::from(ERROR);
    }
    if args.notify_slack
        && plan.drifted().next().is_some()
        && let Err(message) = monc::notify::slack_drift(plan).await
    {
        eprintln!("error: {message}");
        return ExitCode::from(ERROR);
    }
    org::close(planned.connection).await;
    if plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
