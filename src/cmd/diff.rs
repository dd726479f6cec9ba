use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::connect::OrgArgs;
use monc::output::{self, plan as render};
use monc::plan::Plan;

use monc::sync::validate_remotely;

use super::ConfigArgs;
use super::org::{self, CHANGES_PENDING};

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
    /// How to print the plan (JSON and Markdown are for machines and pull requests).
    #[arg(long, value_enum, default_value = "human")]
    pub format: PlanFormat,
    /// Write the plan to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub tenants: super::TenantArgs,
    /// Post a drift summary to the Slack incoming webhook in MONC_SLACK_WEBHOOK_URL when there is
    /// drift. A missing or plain-http webhook is an error at once, drift or not.
    #[arg(long)]
    pub notify_slack: bool,
    /// Also ask Datadog to validate every monitor to create or update (as `sync` always does
    /// before writing): exit 1 if it refuses any.
    #[arg(long)]
    pub validate: bool,
    #[command(flatten)]
    pub claim: super::ClaimArgs,
}

pub fn run(args: &DiffArgs) -> ExitCode {
    let runtime = match org::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(diff(args))
}

/// What `diff` needs besides the org, checked before the config is read or the org contacted:
/// a mistake here must fail every run, not only a run that finds drift.
struct Preflight {
    only: Option<Vec<String>>,
    slack_webhook: Option<String>,
}

fn preflight(args: &DiffArgs) -> Result<Preflight, ExitCode> {
    let only = org::selected_tenants(&args.tenants.tenant)?;
    let slack_webhook = if args.notify_slack {
        Some(monc::notify::slack_webhook_url().map_err(org::fail)?)
    } else {
        None
    };
    if let Some(path) = &args.output {
        check_output_file(path).map_err(org::fail)?;
    }
    Ok(Preflight {
        only,
        slack_webhook,
    })
}

/// `--output FILE` can be created: its directory exists and FILE is not a directory.
pub(super) fn check_output_file(path: &Path) -> Result<(), String> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!(
            "--output {}: the directory {} does not exist",
            path.display(),
            dir.display()
        ));
    }
    if path.is_dir() {
        return Err(format!(
            "--output {} is a directory; name a file",
            path.display()
        ));
    }
    Ok(())
}

async fn diff(args: &DiffArgs) -> ExitCode {
    let preflight = match preflight(args) {
        Ok(preflight) => preflight,
        Err(code) => return code,
    };
    let planned = match org::prepare(
        &args.config,
        &args.org,
        preflight.only.as_deref(),
        args.claim.claim_unnamed,
    )
    .await
    {
        Ok(p) => p,
        Err(code) => return code,
    };
    let refused = if args.validate {
        validate(&planned).await
    } else {
        0
    };
    let reported = report(args, &planned.plan, preflight.slack_webhook.as_deref()).await;
    for at in &planned.done_moves {
        eoutln!(
            "note: the moved block at {at} has done its job: no monitor in the org has a key it \
             moves from, so it can be removed"
        );
    }
    org::close(planned.connection).await;
    match reported {
        Err(message) => org::fail(message),
        Ok(()) if refused > 0 => org::fail(format!(
            "Datadog refused or could not validate {refused} monitor(s) (see above)"
        )),
        Ok(()) if planned.plan.has_changes() => ExitCode::from(CHANGES_PENDING),
        Ok(()) => ExitCode::SUCCESS,
    }
}

/// Asks the API about every create and update; prints each refusal and each monitor it could
/// not ask about. Returns how many of either.
async fn validate(planned: &org::Planned) -> usize {
    let bar = super::progress_bar(false);
    let shown = bar.clone();
    let progress: monc::sync::Validating = std::sync::Arc::new(move |done, total| {
        shown.set_length(total as u64);
        shown.set_position(done as u64);
    });
    bar.set_message("validating with Datadog");
    let validation = validate_remotely(&planned.connection.client, &planned.plan, &progress).await;
    bar.finish_and_clear();
    for outcome in &validation.failures {
        if let Some(error) = &outcome.error {
            eoutln!("refused  {}: {error}", monc::escape::line(&outcome.key));
        }
    }
    for outcome in &validation.unavailable {
        if let Some(error) = &outcome.error {
            eoutln!(
                "could not validate  {}: {error}",
                monc::escape::line(&outcome.key)
            );
        }
    }
    eoutln!(
        "Validated {} monitor(s) with Datadog; {} refused; {} could not be validated; {} composite(s) can only be validated once the monitors they name exist.",
        validation.checked,
        validation.failures.len(),
        validation.unavailable.len(),
        validation.deferred.len()
    );
    validation.failures.len() + validation.unavailable.len()
}

/// Writes the plan where asked, and posts drift to Slack when there is some.
async fn report(args: &DiffArgs, plan: &Plan, slack_webhook: Option<&str>) -> Result<(), String> {
    let text = match args.format {
        PlanFormat::Human => {
            render::render_human(plan, args.output.is_none() && output::stdout_colour())
        }
        PlanFormat::Markdown => render::render_markdown(plan, "monc plan"),
        PlanFormat::Json => render::render_json(plan),
    };
    match &args.output {
        Some(path) => monc::atomic_file::write_private(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => out!("{text}"),
    }
    if let Some(url) = slack_webhook
        && plan.drifted().next().is_some()
    {
        monc::notify::slack_drift(plan, url).await?;
    }
    Ok(())
}
