use std::path::PathBuf;

use super::connect::{OrgArgs, OrgKind, connect};
use monc::backup::{Backup, RestorePlan, Step, check_org, org_id_of, plan_restore, restore};
use monc::datadog::{ApiError, Client, Monitor, is_loopback};
use monc::load::LoadOptions;
use monc::model::Project;
use monc::output::plan::render_fields_human;
use monc::plan::Ownership;
use monc::plan::live::read_owned;

use super::error::{CommandResult, Error, Status};
use super::org;

#[derive(Debug, clap::Args)]
pub(crate) struct RestoreArgs {
    /// A backup written by `monc sync` (.monc/backups/<timestamp>.json).
    pub file: PathBuf,
    /// The org to restore into; without --org, --api-url or --site, the org the backup names
    /// (a backup of a local emulator needs --org local or --api-url).
    #[command(flatten)]
    pub org: OrgArgs,
    /// Project directory (for `--org local`, whose state lives in DIR/.monc).
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Restore without asking (for CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Restore although monc cannot check that the org is the backup's: an org without any
    /// monitor does not say its id, and a backup of an older monc may not record one.
    #[arg(long)]
    pub allow_unidentified_org: bool,
}

pub(crate) fn run(args: &RestoreArgs) -> CommandResult {
    org::block_on(run_restore(args))
}

async fn run_restore(args: &RestoreArgs) -> CommandResult {
    let project = project_settings(args);
    let ownership = Ownership::of(&project);
    let backup = Backup::read(&args.file, &ownership).map_err(|error| {
        Error::Message(format!(
            "cannot read backup {}: {error}",
            args.file.display()
        ))
    })?;
    let org_args = org_of_backup(&args.org, &backup)?;
    let connection = connect(&org_args, &args.dir, project.site.as_deref()).await?;
    plan_and_restore(args, &backup, &connection.client).await
}

/// Where to restore: the org the flags name or, without any, the one the backup names. A
/// backup of a loopback API (the local emulator, whose port changes every run) names no org
/// monc can reach again, and one of an older monc names none: both need a flag.
fn org_of_backup(flags: &OrgArgs, backup: &Backup) -> Result<OrgArgs, Error> {
    if flags.org.is_some() || flags.api_url.is_some() || flags.site.is_some() {
        return Ok(flags.clone());
    }
    if backup.api.is_empty() {
        return Err(Error::from(
            "the backup does not record the org it came from; say where to restore it with \
             --org local, --api-url URL or --site SITE",
        ));
    }
    if is_loopback(&backup.api) {
        return Err(Error::Message(format!(
            "the backup was taken from a local emulator ({}); restore it with --org local (the \
             project's local org) or --api-url URL (a running `monc emulator`)",
            backup.api
        )));
    }
    Ok(OrgArgs {
        org: Some(OrgKind::Env),
        api_url: Some(backup.api.clone()),
        site: None,
    })
}

async fn plan_and_restore(args: &RestoreArgs, backup: &Backup, client: &Client) -> CommandResult {
    let ownership = backup.ownership();
    let live = read_owned(client, &ownership).await?;
    let org_id = org_id_of_target(client, &live).await?;
    check_org(
        backup,
        client.base_url(),
        org_id,
        args.allow_unidentified_org,
    )
    .map_err(|error| Error::Message(format!("{error}; nothing was changed")))?;
    let plan = plan_restore(backup, &live);
    print_plan(&plan);
    let refused = plan.count(|s| matches!(s, Step::Refuse { .. })) > 0;
    if plan.writes() == 0 {
        eoutln!("Nothing to restore.");
        // The monitors left alone are in the plan printed above.
        return Ok(if refused { Status::Error } else { Status::Ok });
    }
    org::confirm_or_refuse(args.yes, "Restore these monitors?")?;
    let outcomes = restore(client, &plan, &ownership).await;
    let mut failed = refused;
    for outcome in &outcomes {
        match (&outcome.error, outcome.id) {
            (Some(error), _) => {
                failed = true;
                eoutln!("failed    {}: {error}", monc::escape::line(&outcome.key));
            }
            (None, id) => outln!(
                "restored  {} (id {})",
                monc::escape::line(&outcome.key),
                id.unwrap_or_default()
            ),
        }
    }
    Ok(if failed { Status::Error } else { Status::Ok })
}

/// The id of the org restore talks to: what its monitors carry (monc's own if it has any,
/// else any one monitor of the org); `None` for an org without monitors.
async fn org_id_of_target(client: &Client, owned: &[Monitor]) -> Result<Option<i64>, ApiError> {
    if let Some(org_id) = org_id_of(owned.iter()) {
        return Ok(Some(org_id));
    }
    let any = client.any_monitor().await?;
    Ok(org_id_of(any.iter()))
}

fn print_plan(plan: &RestorePlan) {
    let colour = monc::output::stderr_colour();
    for item in &plan.items {
        let key = monc::escape::line(&item.key);
        let line = match &item.step {
            Step::Unchanged { id } => {
                format!("  = {key}  (id {id}, already as in the backup)")
            }
            Step::Update { id } => format!(
                "  ~ {key}  (id {id})\n{}",
                render_fields_human(&item.fields, colour).trim_end()
            ),
            Step::Create => format!("  + {key}  (gone: created again)"),
            Step::Refuse { reason } => format!(
                "  ! \"{}\" left alone: {}",
                monc::escape::line(&item.name),
                monc::escape::line(reason)
            ),
        };
        eoutln!("{line}");
    }
    eoutln!(
        "Restore: {} to write, {} already as in the backup, {} left alone.",
        plan.writes(),
        plan.count(|s| matches!(s, Step::Unchanged { .. })),
        plan.count(|s| matches!(s, Step::Refuse { .. })),
    );
}

/// The settings of the project in `-C DIR`: its ownership tags, for backups written before they
/// recorded their own, and its site.
fn project_settings(args: &RestoreArgs) -> Project {
    monc::check(&LoadOptions::in_dir(&args.dir))
        .map(|checked| checked.model.project)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup_of(api: &str) -> Backup {
        let ownership = Ownership::of(&monc::model::Project::default());
        Backup::new(api, &ownership, Vec::new(), &[])
    }

    /// Without org flags restore goes where the backup was taken, or refuses: never to the
    /// default site.
    #[test]
    fn without_flags_the_org_is_the_backups() {
        let site = org_of_backup(&OrgArgs::default(), &backup_of("https://api.datadoghq.eu/"))
            .expect("the backup's site");
        assert_eq!(site.api_url.as_deref(), Some("https://api.datadoghq.eu/"));
        let local = org_of_backup(&OrgArgs::default(), &backup_of("http://127.0.0.1:41234/"))
            .expect_err("a local emulator is not reachable again")
            .to_string();
        assert!(local.contains("--org local"), "{local}");
        let unknown = org_of_backup(&OrgArgs::default(), &backup_of(""))
            .expect_err("no org")
            .to_string();
        assert!(unknown.contains("--api-url"), "{unknown}");
        let flags = OrgArgs {
            org: Some(OrgKind::Local),
            ..OrgArgs::default()
        };
        let chosen = org_of_backup(&flags, &backup_of("https://api.datadoghq.eu/")).expect("flags");
        assert_eq!(chosen.org, Some(OrgKind::Local), "flags decide when given");
    }
}
