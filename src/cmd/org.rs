//! What `diff`, `sync` and `restore` share: a checked config, a connection, the live monitors
//! and the plan between them.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use monc::datadog::Monitor;

use super::connect::{Connection, OrgArgs, connect};
use monc::output;
use monc::plan::live::plan_against_org;
use monc::plan::{Ownership, Plan};
use monc::{Checked, check};

use super::ConfigArgs;

/// Exit code for errors: never the "no changes" 0 nor the "changes" 2.
pub const ERROR: u8 = 1;

/// Exit code of `diff` and `sync --dry-run` when the org differs from the config; no other
/// outcome of any command may use it (scheduled drift checks report it instead of failing).
pub const CHANGES_PENDING: u8 = 2;

pub struct Planned {
    pub connection: Connection,
    pub live_wire: Vec<Monitor>,
    pub plan: Plan,
    pub ownership: Ownership,
    /// Where each `moved` block that has done its job stands (`file:line:col`).
    pub done_moves: Vec<String>,
}

/// Checks the config (printing diagnostics), connects and plans; `only` (from
/// [`selected_tenants`]) limits the plan to those tenants, `None` plans for every tenant.
/// Errors are already reported.
pub async fn prepare(
    config: &ConfigArgs,
    org: &OrgArgs,
    only: Option<&[String]>,
    claim_unnamed: bool,
) -> Result<Planned, ExitCode> {
    let checked = checked_config(config)?;
    let ownership = Ownership {
        claim_unnamed,
        ..Ownership::of(&checked.model.project)
    };
    if let Some(error) = super::unknown_tenants(only.unwrap_or_default(), &checked.model) {
        eoutln!("{error}");
        return Err(ExitCode::from(ERROR));
    }
    let connection = connect(org, &config.dir, checked.model.project.site.as_deref())
        .await
        .map_err(report_api_error)?;
    let org = plan_against_org(
        &connection.client,
        &checked,
        &ownership,
        only.unwrap_or(&[]),
    )
    .await
    .map_err(report_api_error)?;
    if !org.plan.move_conflicts.is_empty() {
        for conflict in &org.plan.move_conflicts {
            eoutln!("error: {}", conflict.describe());
        }
        close(connection).await;
        return Err(fail(
            "`moved` blocks conflict with the org (see above); nothing was changed",
        ));
    }
    let done_moves = done_moves(&checked, &org.plan, &ownership);
    Ok(Planned {
        connection,
        live_wire: org.wire,
        plan: org.plan,
        ownership,
        done_moves,
    })
}

/// `moved` blocks no monitor of the org needs any more, by where they stand.
fn done_moves(checked: &Checked, plan: &monc::plan::Plan, ownership: &Ownership) -> Vec<String> {
    let live_keys: std::collections::HashSet<&str> = plan
        .changes
        .iter()
        .filter_map(|c| c.live.as_ref()?.tag_value(&ownership.key_tag))
        .map(monc::model::key_without_tier)
        .collect();
    let sources = &checked.model.sources;
    monc::moved::done(&checked.model, &live_keys)
        .into_iter()
        .map(|moved| {
            let (line, col) = sources.line_col(moved.span.file, moved.span.range.start);
            let path = monc::diagnostic::display_path(&sources.file(moved.span.file).path);
            format!("{path}:{line}:{col}")
        })
        .collect()
}

pub fn checked_config(config: &ConfigArgs) -> Result<Checked, ExitCode> {
    let checked = check(&config.load_options()).map_err(|error| {
        eoutln!("error: {error}\nhelp: {}", error.help);
        ExitCode::from(ERROR)
    })?;
    if checked.diagnostics.has_errors() {
        let diagnostics: Vec<_> = checked.diagnostics.iter().cloned().collect();
        eout!(
            "{}",
            output::render_human(
                &diagnostics,
                &checked.model.sources,
                output::stderr_colour()
            )
        );
        eoutln!("monc: the configuration has errors; fix them first (see `monc validate`)");
        return Err(ExitCode::from(ERROR));
    }
    Ok(checked)
}

/// Reports an error and gives the exit code for it.
pub fn fail(message: impl std::fmt::Display) -> ExitCode {
    eoutln!("error: {message}");
    ExitCode::from(ERROR)
}

pub fn report_api_error(error: monc::datadog::ApiError) -> ExitCode {
    eoutln!("error: {error}");
    ExitCode::from(ERROR)
}

/// The tenants `--tenant` selects (`--tenant a,b` and `--tenant a --tenant b` both work), or
/// `None` without it: every tenant. A `--tenant` naming nobody (`--tenant ''`: say an
/// empty variable in a CI script) is a usage error: read as "no restriction" it applied every
/// tenant's monitors during a staged rollout.
pub fn selected_tenants(only: &[String]) -> Result<Option<Vec<String>>, ExitCode> {
    if only.is_empty() {
        return Ok(None);
    }
    let names: Vec<String> = only
        .iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        eoutln!(
            "error: --tenant {:?} names no tenant\nhelp: name the tenants to plan for \
             (`--tenant NAME,NAME`), or leave --tenant out to plan for every tenant",
            only.join(",")
        );
        return Err(ExitCode::from(ERROR));
    }
    Ok(Some(names))
}

pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Runtime::new().map_err(|e| {
        eoutln!("error: cannot start the async runtime: {e}");
        ExitCode::from(ERROR)
    })
}

/// Stops the local emulator (if any) so its state file is complete.
pub async fn close(connection: Connection) {
    if let Some(emulator) = connection.emulator {
        emulator.shutdown().await;
    }
}

/// Goes ahead with `--yes`; otherwise asks at a terminal, and refuses without one. Declining
/// is not success: nothing was applied (exit 1).
pub fn confirm_or_refuse(yes: bool, question: &str) -> Result<(), ExitCode> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        eoutln!("error: no terminal to confirm the plan; pass --yes to apply it");
        return Err(ExitCode::from(ERROR));
    }
    if ask(question)? {
        Ok(())
    } else {
        eoutln!("Nothing was applied.");
        Err(ExitCode::from(ERROR))
    }
}

/// A yes/no question at the terminal; anything but yes is no.
pub fn ask(question: &str) -> Result<bool, ExitCode> {
    eout!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|_| ExitCode::from(ERROR))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
