use std::path::{Path, PathBuf};

use super::connect::OrgArgs;
use monc::output::{self, plan as render};
use monc::plan::Plan;
use monc::plan::saved::{PlanOptions, SavedOrg, SavedPlan};

use monc::sync::validate_remotely;

use super::ConfigArgs;
use super::error::{CommandResult, Error, Status};
use super::org;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PlanFormat {
    /// Terraform-style plan for a terminal.
    Human,
    /// Markdown for a pull-request comment or a drift report.
    Markdown,
    /// One JSON document.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
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
    /// Also save the plan to FILE for `monc sync --plan FILE`, which applies exactly it, or
    /// nothing if the configuration or the org moved since (like `terraform plan -out`). The
    /// file holds the org's monitors: it is written private (0600).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With --out: the saved plan also deletes the monitors no longer in the config (as
    /// `sync --prune`); without it `sync --plan` keeps them.
    #[arg(long, requires = "out")]
    pub prune: bool,
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

pub(crate) fn run(args: &DiffArgs) -> CommandResult {
    org::block_on(diff(args))
}

/// What `diff` needs besides the org, checked before the config is read or the org contacted:
/// a mistake here must fail every run, not only a run that finds drift.
struct Preflight {
    only: Option<Vec<String>>,
    slack_webhook: Option<String>,
}

fn preflight(args: &DiffArgs) -> Result<Preflight, Error> {
    let only = org::selected_tenants(&args.tenants.tenant)?;
    let slack_webhook = if args.notify_slack {
        Some(monc::slack::slack_webhook_url()?)
    } else {
        None
    };
    for (flag, path) in [("--output", &args.output), ("--out", &args.out)] {
        if let Some(path) = path {
            super::check_output_file(flag, path)?;
        }
    }
    Ok(Preflight {
        only,
        slack_webhook,
    })
}

async fn diff(args: &DiffArgs) -> CommandResult {
    let preflight = preflight(args)?;
    let planned = org::prepare(
        &args.config,
        &args.org,
        preflight.only.as_deref(),
        args.claim.claim_unnamed,
    )
    .await?;
    let refused = if args.validate {
        validate(&planned).await
    } else {
        0
    };
    let saved = match &args.out {
        Some(path) => save(path, &planned, saved_options(args, preflight.only.clone())),
        None => Ok(()),
    };
    let reported = match saved {
        Ok(()) => report(args, &planned.plan, preflight.slack_webhook.as_deref()).await,
        Err(error) => Err(error),
    };
    for at in &planned.done_moves {
        eoutln!(
            "note: the moved block at {at} has done its job: no monitor in the org has a key it \
             moves from, so it can be removed"
        );
    }
    reported?;
    if refused > 0 {
        return Err(Error::Message(format!(
            "Datadog refused or could not validate {refused} monitor(s) (see above)"
        )));
    }
    Ok(if planned.plan.has_changes() {
        Status::ChangesPending
    } else {
        Status::Ok
    })
}

fn saved_options(args: &DiffArgs, tenants: Option<Vec<String>>) -> PlanOptions {
    PlanOptions {
        tenants,
        claim_unnamed: args.claim.claim_unnamed,
        prune: args.prune,
    }
}

/// Writes the plan for `sync --plan`, atomically and private (it holds the org's monitors).
fn save(path: &Path, planned: &org::Planned, options: PlanOptions) -> Result<(), Error> {
    let saved = SavedPlan::of(&planned.plan, saved_org(planned), options);
    monc::atomic_file::write_private(path, saved.to_file_text().as_bytes())
        .map_err(|e| Error::Message(format!("cannot write the plan to {}: {e}", path.display())))
}

/// The org a plan is made against: `local`, or the API origin, with the org id its monitors
/// carry and the project's ownership tags.
pub(crate) fn saved_org(planned: &org::Planned) -> SavedOrg {
    let api = if planned.connection.is_local() {
        "local".to_string()
    } else {
        planned.connection.client.base_url().to_string()
    };
    SavedOrg {
        api,
        org_id: monc::backup::org_id_in(planned.live.iter().map(|l| &l.server.extra)),
        owner_tag: planned.ownership.owner_tag.clone(),
        key_tag: planned.ownership.key_tag.clone(),
        project: planned.ownership.project.clone(),
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
async fn report(args: &DiffArgs, plan: &Plan, slack_webhook: Option<&str>) -> Result<(), Error> {
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
        monc::slack::slack_drift(plan, url).await?;
    }
    Ok(())
}
