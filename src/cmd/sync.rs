use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use monc::datadog::OrgArgs;
use monc::output::{self, plan as render};
use monc::plan::Action;
use monc::sync::{ApplyOptions, Report, apply};

use super::ConfigArgs;
use super::org::{self, CHANGES_PENDING, ERROR, Planned};

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    /// Delete monitors monc owns that are no longer in the config (composites first).
    #[arg(long)]
    pub prune: bool,
    /// Apply without asking (for CI). Without it (or --dry-run), sync needs a terminal to ask at.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show the plan and stop; the same as `monc diff`.
    #[arg(long)]
    pub dry_run: bool,
    /// Only these tenants (comma-separated), plus the shared monitors they need: for staged rollouts.
    #[arg(long, value_name = "TENANTS")]
    pub only: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &SyncArgs) -> ExitCode {
    let runtime = match org::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(sync(args))
}

/// Checks the arguments before the config is read or the org contacted; returns the tenants
/// `--only` selects.
fn preflight(args: &SyncArgs) -> Result<Option<Vec<String>>, ExitCode> {
    let only = org::selected_tenants(&args.only)?;
    // Without --yes, changes are applied only after asking at a terminal. Without one, this
    // run could never apply anything: say so now, not after reading the org and only in a
    // week when there happen to be changes.
    if !args.yes && !args.dry_run && !std::io::stdin().is_terminal() {
        return Err(org::fail(
            "no terminal to confirm the plan; pass --yes to apply it (and --prune to delete \
             orphans), or --dry-run to only show it",
        ));
    }
    Ok(only)
}

async fn sync(args: &SyncArgs) -> ExitCode {
    let only = match preflight(args) {
        Ok(only) => only,
        Err(code) => return code,
    };
    let mut planned = match org::prepare(&args.config, &args.org, only.as_deref()).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    if !args.json {
        eprint!(
            "{}",
            render::render_human(&planned.plan, output::stderr_colour())
        );
    }
    if args.dry_run || !planned.plan.has_changes() {
        let code = if planned.plan.has_changes() {
            CHANGES_PENDING
        } else {
            0
        };
        org::close(planned.connection).await;
        return ExitCode::from(code);
    }
    let prune = match confirm(args, &planned) {
        Ok(prune) => prune,
        Err(code) => {
            org::close(planned.connection).await;
            return code;
        }
    };
    let report = apply_with_progress(&mut planned, &args.config.dir, prune, args.json).await;
    print_report(&report, &planned, args.json);
    let failed = report.failures().next().is_some();
    org::close(planned.connection).await;
    if failed {
        ExitCode::from(ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// Asks at the terminal (the preflight made sure there is one) unless `--yes`. Returns whether
/// to delete orphans.
fn confirm(args: &SyncArgs, planned: &Planned) -> Result<bool, ExitCode> {
    let orphans = planned.plan.count(Action::Delete);
    if args.yes {
        return Ok(args.prune);
    }
    if !ask("Apply these changes?")? {
        eprintln!("Nothing was changed.");
        return Err(ExitCode::SUCCESS);
    }
    if orphans > 0 && !args.prune {
        return ask(&format!(
            "Also delete the {orphans} monitor(s) no longer in the config?"
        ));
    }
    Ok(args.prune)
}

fn ask(question: &str) -> Result<bool, ExitCode> {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|_| ExitCode::from(ERROR))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

async fn apply_with_progress(
    planned: &mut Planned,
    dir: &Path,
    prune: bool,
    quiet: bool,
) -> Report {
    let bar = ProgressBar::new(0);
    if quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    let progress_bar = bar.clone();
    let options = ApplyOptions {
        ownership: planned.ownership.clone(),
        prune,
        backup_dir: dir.join(".monc").join("backups"),
        progress: Arc::new(move |done, total, key| {
            progress_bar.set_length(total as u64);
            progress_bar.set_position(done as u64);
            progress_bar.set_message(key.to_string());
        }),
    };
    let report = apply(
        &planned.connection.client,
        &planned.plan,
        &planned.live_wire,
        &options,
    )
    .await;
    bar.finish_and_clear();
    report
}

fn print_report(report: &Report, planned: &Planned, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    // The local org's emulator stops when monc exits, so links to it would lead nowhere.
    let base = planned
        .connection
        .emulator
        .is_none()
        .then_some(&planned.connection.site_ui_base);
    for outcome in &report.outcomes {
        match (&outcome.error, outcome.id, base) {
            (Some(error), _, _) => eprintln!("failed  {}: {error}", outcome.key),
            (None, Some(id), Some(base)) if outcome.action != Action::Delete => {
                println!(
                    "{:<8}{}  {base}/monitors/{id}",
                    verb(outcome.action),
                    outcome.key
                )
            }
            (None, _, _) => println!("{:<8}{}", verb(outcome.action), outcome.key),
        }
    }
    if let Some(backup) = &report.backup {
        println!(
            "Backup of the previous versions: {} (restore with `monc restore {}`)",
            backup.display(),
            backup.display()
        );
    }
    if !report.orphans_kept.is_empty() {
        println!(
            "Kept {} monitor(s) no longer in the config; delete them with --prune.",
            report.orphans_kept.len()
        );
    }
    let failures = report.failures().count();
    println!(
        "Applied: {} created, {} updated, {} deleted{}.",
        report.succeeded(Action::Create),
        report.succeeded(Action::Update),
        report.succeeded(Action::Delete),
        if failures > 0 {
            format!(", {failures} failed (run `monc sync` again to finish)")
        } else {
            String::new()
        }
    );
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Delete => "deleted",
        Action::Unchanged => "kept",
    }
}
