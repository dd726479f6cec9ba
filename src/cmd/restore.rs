use std::path::PathBuf;
use std::process::ExitCode;

use super::connect::{OrgArgs, connect};
use monc::backup::{Backup, RestorePlan, Step, check_origin, plan_restore, restore};
use monc::load::LoadOptions;
use monc::model::Project;
use monc::plan::Ownership;
use monc::plan::live::read_owned;

use super::org::{self, ERROR};

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A backup written by `monc sync` (.monc/backups/<timestamp>.json).
    pub file: PathBuf,
    #[command(flatten)]
    pub org: OrgArgs,
    /// Project directory (for `--org local`, whose state lives in DIR/.monc).
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Restore without asking (for CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &RestoreArgs) -> ExitCode {
    let runtime = match org::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(run_restore(args))
}

async fn run_restore(args: &RestoreArgs) -> ExitCode {
    let project = project_settings(args);
    let ownership = Ownership {
        owner_tag: project.owner_tag,
        key_tag: project.key_tag,
    };
    let backup = match Backup::read(&args.file, &ownership) {
        Ok(backup) => backup,
        Err(error) => {
            eprintln!("error: cannot read backup {}: {error}", args.file.display());
            return ExitCode::from(ERROR);
        }
    };
    let connection = match connect(&args.org, &args.dir, project.site.as_deref()).await {
        Ok(c) => c,
        Err(error) => return org::report_api_error(error),
    };
    let code = plan_and_restore(args, &backup, &connection.client).await;
    org::close(connection).await;
    code
}

async fn plan_and_restore(
    args: &RestoreArgs,
    backup: &Backup,
    client: &monc::datadog::Client,
) -> ExitCode {
    let ownership = backup.ownership();
    let live = match read_owned(client, &ownership).await {
        Ok(live) => live,
        Err(error) => return org::report_api_error(error),
    };
    if let Err(error) = check_origin(backup, client.base_url(), &live) {
        eprintln!("error: {error}; nothing was changed");
        return ExitCode::from(ERROR);
    }
    let plan = plan_restore(backup, &live);
    print_plan(&plan);
    let refused = plan
        .items
        .iter()
        .any(|i| matches!(i.step, Step::Refuse { .. }));
    if plan.writes() == 0 {
        eprintln!("Nothing to restore.");
        return if refused {
            ExitCode::from(ERROR)
        } else {
            ExitCode::SUCCESS
        };
    }
    if let Err(code) = org::confirm_or_refuse(args.yes, "Restore these monitors?") {
        return code;
    }
    let outcomes = restore(client, &plan, &ownership).await;
    let mut failed = refused;
    for outcome in &outcomes {
        match (&outcome.error, outcome.id) {
            (Some(error), _) => {
                failed = true;
                eprintln!("failed    {}: {error}", outcome.key);
            }
            (None, id) => say!("restored  {} (id {})", outcome.key, id.unwrap_or_default()),
        }
    }
    if failed {
        ExitCode::from(ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_plan(plan: &RestorePlan) {
    for item in &plan.items {
        let line = match &item.step {
            Step::Unchanged { id } => {
                format!("  = {}  (id {id}, already as in the backup)", item.key)
            }
            Step::Update { id } => format!("  ~ {}  (id {id})", item.key),
            Step::Create => format!("  + {}  (gone: created again)", item.key),
            Step::Refuse { reason } => format!("  ! {:?} left alone: {reason}", item.name),
        };
        eprintln!("{line}");
    }
    eprintln!(
        "Restore: {} to write, {} already as in the backup, {} left alone.",
        plan.writes(),
        plan.items
            .iter()
            .filter(|i| matches!(i.step, Step::Unchanged { .. }))
            .count(),
        plan.items
            .iter()
            .filter(|i| matches!(i.step, Step::Refuse { .. }))
            .count()
    );
}

/// The settings of the project in `-C DIR`: its ownership tags, for backups written before they
/// recorded their own, and its site.
fn project_settings(args: &RestoreArgs) -> Project {
    monc::check(&LoadOptions::in_dir(&args.dir))
        .map(|checked| checked.model.project)
        .unwrap_or_default()
}
