//! What `diff`, `sync` and `restore` share: a checked config, a connection, the live monitors
//! and the plan between them.

use std::io::{BufRead, IsTerminal};

use super::connect::{Connection, OrgArgs, connect};
use monc::output;
use monc::plan::live::plan_against_org;
use monc::plan::{LiveMonitor, Ownership, Plan};
use monc::{Checked, check};

use super::ConfigArgs;
use super::error::{CommandResult, Error};

pub(crate) struct Planned {
    pub connection: Connection,
    /// The owned monitors as read.
    pub live: Vec<LiveMonitor>,
    pub plan: Plan,
    pub ownership: Ownership,
    /// Where each `moved` block that has done its job stands (`file:line:col`).
    pub done_moves: Vec<String>,
}

/// Checks the config (printing diagnostics), connects and plans; `only` (from
/// [`selected_tenants`]) limits the plan to those tenants, `None` plans for every tenant.
pub(crate) async fn prepare(
    config: &ConfigArgs,
    org: &OrgArgs,
    only: Option<&[String]>,
    claim_unnamed: bool,
) -> Result<Planned, Error> {
    let checked = checked_config(config)?;
    let ownership = Ownership {
        claim_unnamed,
        ..Ownership::of(&checked.model.project)
    };
    if let Some(error) = super::unknown_tenants(only.unwrap_or_default(), &checked.model) {
        return Err(error);
    }
    let connection = connect(org, &config.dir, checked.model.project.site.as_deref()).await?;
    let org = plan_against_org(
        &connection.client,
        &checked,
        &ownership,
        only.unwrap_or(&[]),
    )
    .await?;
    if !org.plan.move_conflicts.is_empty() {
        for conflict in &org.plan.move_conflicts {
            eoutln!("error: {}", conflict.describe());
        }
        return Err(Error::from(
            "`moved` blocks conflict with the org (see above); nothing was changed",
        ));
    }
    let done_moves = done_moves(&checked, &org.plan, &ownership);
    Ok(Planned {
        connection,
        live: org.live,
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

pub(crate) fn checked_config(config: &ConfigArgs) -> Result<Checked, Error> {
    let checked = check(&config.load_options())
        .map_err(|error| Error::Message(format!("{error}\nhelp: {}", error.help)))?;
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
        return Err(Error::Closing(
            "monc: the configuration has errors; fix them first (see `monc validate`)".into(),
        ));
    }
    Ok(checked)
}

/// The tenants `--tenant` selects (`--tenant a,b` and `--tenant a --tenant b` both work), or
/// `None` without it: every tenant. A `--tenant` naming nobody (`--tenant ''`: say an
/// empty variable in a CI script) is a usage error: read as "no restriction" it applied every
/// tenant's monitors during a staged rollout.
pub(crate) fn selected_tenants(only: &[String]) -> Result<Option<Vec<String>>, Error> {
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
        return Err(Error::Message(format!(
            "--tenant {:?} names no tenant\nhelp: name the tenants to plan for \
             (`--tenant NAME,NAME`), or leave --tenant out to plan for every tenant",
            only.join(",")
        )));
    }
    Ok(Some(names))
}

/// Runs a command that talks to an org on a new async runtime. Whatever the command held (a
/// [`Connection`], and with it the local org's emulator) is dropped before the runtime
/// returns, on every path: dropping the emulator's handle stops it, saves its state file and
/// releases the file's lock (see `monc_emulator::EmulatorHandle`), so no command closes it by
/// hand and the error is printed, by `main`, once the org is closed.
pub(crate) fn block_on(command: impl std::future::Future<Output = CommandResult>) -> CommandResult {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| Error::Message(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(command)
}

/// Goes ahead with `--yes`; otherwise asks at a terminal, and refuses without one. Declining
/// is not success: nothing was applied (exit 1).
pub(crate) fn confirm_or_refuse(yes: bool, question: &str) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::from(
            "no terminal to confirm the plan; pass --yes to apply it",
        ));
    }
    if ask(question)? {
        Ok(())
    } else {
        Err(Error::Closing("Nothing was applied.".into()))
    }
}

/// A yes/no question at the terminal; anything but yes is no. A terminal that cannot be read
/// is an error that says so (it used to exit 1 without a word).
pub(crate) fn ask(question: &str) -> Result<bool, Error> {
    eout!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Message(format!("cannot read the answer from the terminal: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
