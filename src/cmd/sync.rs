use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::connect::OrgArgs;
use monc::escape;
use monc::output::{self, plan as render};
use monc::plan::Action;
use monc::plan::saved::SavedPlan;
use monc::sync::{ApplyOptions, ChangeError, Outcome, Report, apply};

use super::ConfigArgs;
use super::error::{CommandResult, Error, Status};
use super::org::{self, Planned};

#[derive(Debug, clap::Args)]
pub(crate) struct SyncArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    /// Delete monitors monc owns that are no longer in the config (composites first).
    #[arg(long)]
    pub prune: bool,
    /// Apply without asking (for CI). Without it (or --dry-run), sync needs a terminal to ask at.
    /// Monitors no longer in the config that were edited outside monc are then kept (see
    /// --delete-edited).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --yes --prune: also delete monitors no longer in the config that someone edited
    /// outside monc (without it they are kept and reported; at a terminal the plan asks).
    #[arg(long)]
    pub delete_edited: bool,
    /// Show the plan and stop; the same as `monc diff`.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub tenants: super::TenantArgs,
    #[command(flatten)]
    pub claim: super::ClaimArgs,
    /// How to print the result: `human` (a line per change as it is applied, then a summary)
    /// or `json` (a line per change, then one report document). With --dry-run, the plan as
    /// `monc diff` prints it, on standard output.
    #[arg(long, value_enum, default_value = "human")]
    pub format: SyncFormat,
    /// Apply the plan `monc diff --out FILE` saved: exactly its changes, or nothing (exit 1,
    /// naming what moved) when the configuration, the org, or a monitor it touches changed
    /// since. The plan holds its planning flags (--tenant, --prune, --claim-unnamed): they,
    /// --delete-edited and --dry-run cannot be given with it.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["dry_run", "prune", "delete_edited", "tenant", "claim_unnamed"]
    )]
    pub plan: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SyncFormat {
    Human,
    Json,
}

pub(crate) fn run(args: &SyncArgs) -> CommandResult {
    org::block_on(sync(args))
}

/// Checks the arguments before the config is read or the org contacted; returns the tenants
/// `--tenant` selects.
fn preflight(args: &SyncArgs) -> Result<Option<Vec<String>>, Error> {
    let only = org::selected_tenants(&args.tenants.tenant)?;
    // Without --yes, changes are applied only after asking at a terminal. Without one, this
    // run could never apply anything: say so now, not after reading the org and only in a
    // week when there happen to be changes.
    if !args.yes && !args.dry_run && !std::io::stdin().is_terminal() {
        return Err(Error::from(if args.plan.is_some() {
            "no terminal to confirm the plan; pass --yes to apply it"
        } else {
            "no terminal to confirm the plan; pass --yes to apply it (and --prune to delete \
             orphans), or --dry-run to only show it"
        }));
    }
    Ok(only)
}

async fn sync(args: &SyncArgs) -> CommandResult {
    let json = args.format == SyncFormat::Json;
    let only = preflight(args)?;
    let saved = match &args.plan {
        Some(path) => Some(SavedPlan::read(path)?),
        None => None,
    };
    let (only, claim_unnamed) = match &saved {
        Some(saved) => (saved.options.tenants.clone(), saved.options.claim_unnamed),
        None => (only, args.claim.claim_unnamed),
    };
    let mut planned = org::prepare(&args.config, &args.org, only.as_deref(), claim_unnamed).await?;
    if let Some(saved) = &saved {
        still_holds(saved, &planned, args.plan.as_deref())?;
    } else if args.yes && !args.delete_edited {
        planned.plan.keep_edited_deletes();
    }
    if args.dry_run {
        // The same as `monc diff`: the plan on stdout, in the format asked for.
        let plan = if json {
            render::render_json(&planned.plan)
        } else {
            render::render_human(&planned.plan, output::stdout_colour())
        };
        out!("{plan}");
    } else if !json {
        eout!(
            "{}",
            render::render_human(&planned.plan, output::stderr_colour())
        );
    }
    if args.dry_run || !planned.plan.has_changes() {
        return Ok(if planned.plan.has_changes() {
            Status::ChangesPending
        } else {
            Status::Ok
        });
    }
    let prune = match &saved {
        Some(saved) => {
            org::confirm_or_refuse(args.yes, "Apply this saved plan?")?;
            saved.options.prune
        }
        None => confirm(args, &planned)?,
    };
    let report = apply_with_progress(&mut planned, &args.config.dir, prune, json).await;
    // A saved plan's deletes are decided when it is made (`--plan` refuses `--prune`).
    let prune_hint = if saved.is_some() {
        "make the plan with `monc diff --prune --out FILE` to delete them"
    } else {
        "delete them with --prune"
    };
    print_report(&report, json, prune_hint);
    // What failed is in the report printed above.
    Ok(if report.incomplete() {
        Status::Error
    } else {
        Status::Ok
    })
}

/// A saved plan is applied only if planning again gives the same plan: the same configuration,
/// org and project, and every change against the same live monitor, as last modified then.
fn still_holds(saved: &SavedPlan, planned: &Planned, path: Option<&Path>) -> Result<(), Error> {
    let now = SavedPlan::of(
        &planned.plan,
        super::diff::saved_org(planned),
        saved.options.clone(),
    );
    let moved = saved.differences(&now);
    if moved.is_empty() {
        return Ok(());
    }
    let shown = path.map(|p| p.display().to_string()).unwrap_or_default();
    // The first few name what moved; a plan applied twice would list every change.
    const SHOWN: usize = 20;
    let mut lines: Vec<String> = moved
        .iter()
        .take(SHOWN)
        .map(|m| format!("  {}", escape::line(m)))
        .collect();
    if moved.len() > SHOWN {
        lines.push(format!("  ... and {} more", moved.len() - SHOWN));
    }
    Err(Error::Message(format!(
        "the plan in {shown} no longer holds, so nothing was written:\n{}\nhelp: make the \
         plan again (`monc diff --out {shown}`), review it, and apply that one",
        lines.join("\n")
    )))
}

/// Asks at the terminal (the preflight made sure there is one) unless `--yes`. Returns whether
/// to delete orphans.
fn confirm(args: &SyncArgs, planned: &Planned) -> Result<bool, Error> {
    org::confirm_or_refuse(args.yes, "Apply these changes?")?;
    let orphans = planned.plan.count(Action::Delete);
    if orphans > 0 && !args.prune && !args.yes {
        return org::ask(&format!(
            "Also delete the {orphans} monitor(s) no longer in the config?"
        ));
    }
    Ok(args.prune)
}

async fn apply_with_progress(planned: &mut Planned, dir: &Path, prune: bool, json: bool) -> Report {
    let bar = super::progress_bar(json);
    let progress_bar = bar.clone();
    let validating_bar = bar.clone();
    let links = planned.connection.site_ui_base.clone();
    let cancel = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(cancel_on_signal(cancel.clone()));
    let options = ApplyOptions {
        ownership: planned.ownership.clone(),
        prune,
        backup_dir: dir.join(".monc").join("backups"),
        progress: Arc::new(move |done, total, outcome| {
            progress_bar.set_length(total as u64);
            progress_bar.set_position(done as u64);
            progress_bar.set_message(escape::line(&outcome.key).into_owned());
            progress_bar.suspend(|| print_outcome(outcome, links.as_deref(), json));
        }),
        cancel,
        validate_first: true,
        // Validating a large plan takes seconds: shown on the same bar as the writes after it.
        validating: Arc::new(move |done, total| {
            validating_bar.set_length(total as u64);
            validating_bar.set_position(done as u64);
            validating_bar.set_message("validating with Datadog");
        }),
    };
    let report = apply(
        &planned.connection.client,
        &planned.plan,
        &planned.live,
        &options,
    )
    .await;
    watcher.abort();
    bar.finish_and_clear();
    report
}

/// On the first SIGINT or SIGTERM: start no further change, let those in flight finish and
/// report. A second signal stops at once.
async fn cancel_on_signal(cancel: Arc<AtomicBool>) {
    for _ in 0..2 {
        if !signal_received().await {
            return;
        }
        if cancel.swap(true, Ordering::SeqCst) {
            eoutln!("monc: interrupted again; stopping now");
            #[expect(
                clippy::exit,
                reason = "a second signal stops at once: no unwinding through the requests in flight"
            )]
            std::process::exit(i32::from(Status::Error.code()));
        }
        eoutln!(
            "monc: interrupted; finishing the requests in flight and starting no more \
             (interrupt again to stop at once)"
        );
    }
}

/// Waits for SIGINT or SIGTERM; false if signals cannot be watched.
async fn signal_received() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return false;
        };
        tokio::select! {
            _ = interrupt.recv() => true,
            _ = terminate.recv() => true,
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// One applied change, printed (and flushed) the moment it is done. With --format json the lines go
/// to stderr, so that stdout stays one JSON document.
fn print_outcome(outcome: &Outcome, links: Option<&str>, json: bool) {
    let line = match (&outcome.error, outcome.id, links) {
        (Some(error), _, _) => {
            eoutln!(
                "failed  {}: {}",
                escape::line(&outcome.key),
                escape::lines(&error.to_string())
            );
            return;
        }
        (None, Some(id), Some(base)) if outcome.action != Action::Delete => format!(
            "{:<8}{}  {base}/monitors/{id}",
            verb(outcome.action),
            escape::line(&outcome.key)
        ),
        (None, _, _) => format!("{:<8}{}", verb(outcome.action), escape::line(&outcome.key)),
    };
    if json {
        eoutln!("{line}");
    } else {
        outln!("{line}");
    }
}

fn print_report(report: &Report, json: bool, prune_hint: &str) {
    if let Some(error) = &report.backup_error {
        eoutln!("error: {error}");
    }
    let not_validated = if report.validation_failed {
        Some(format!(
            "Datadog refused {} monitor(s) when asked to validate them; nothing was written",
            report.outcomes.len()
        ))
    } else if report.validation_unavailable {
        Some(format!(
            "could not validate {} monitor(s) with Datadog: the API gave no answer after every \
             retry (nothing was refused); nothing was written, run `monc sync` again",
            report.outcomes.len()
        ))
    } else {
        None
    };
    if let Some(headline) = not_validated {
        eoutln!("error: {headline}:");
        for outcome in &report.outcomes {
            if let Some(error) = &outcome.error {
                eoutln!(
                    "  {}: {}",
                    escape::line(&outcome.key),
                    escape::lines(&error.to_string())
                );
            }
        }
    }
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    if let Some(backup) = &report.backup {
        outln!(
            "Backup of the previous versions: {} (restore with `monc restore {}`)",
            backup.display(),
            backup.display()
        );
    }
    if !report.orphans_kept.is_empty() {
        outln!(
            "Kept {} monitor(s) no longer in the config; {prune_hint}.",
            report.orphans_kept.len()
        );
    }
    if !report.blocked.is_empty() {
        outln!(
            "Kept {} monitor(s) that cannot be deleted: {} (see the plan above).",
            report.blocked.len(),
            escape::line(&report.blocked.join(", "))
        );
    }
    let not_started = report
        .failures()
        .filter(|o| o.error == Some(ChangeError::NotStarted))
        .count();
    let failures = report.failures().count() - not_started;
    let mut tail = String::new();
    if failures > 0 {
        tail.push_str(&format!(", {failures} failed"));
    }
    if not_started > 0 {
        tail.push_str(&format!(", {not_started} not started (interrupted)"));
    }
    if !tail.is_empty() {
        tail.push_str(" (run `monc sync` again to finish)");
    }
    outln!(
        "Applied: {} created, {} updated, {} deleted{tail}.",
        report.succeeded(Action::Create),
        report.succeeded(Action::Update),
        report.succeeded(Action::Delete),
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
