//! What `diff`, `sync` and `restore` share: a checked config, a connection, the live monitors
//! and the plan between them.

use std::process::ExitCode;

use monc::datadog::{Connection, Monitor, OrgArgs, connect};
use monc::output;
use monc::plan::{Ownership, Plan, desired_monitors, plan};
use monc::sync::{live_from_wire, read_owned, restrict_to_tenants};
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
}

/// Checks the config (printing diagnostics), connects and plans. Errors are already reported.
pub async fn prepare(
    config: &ConfigArgs,
    org: &OrgArgs,
    only: &[String],
) -> Result<Planned, ExitCode> {
    let checked = checked_config(config)?;
    let ownership = Ownership {
        owner_tag: checked.model.project.owner_tag.clone(),
        key_tag: checked.model.project.key_tag.clone(),
    };
    let unknown: Vec<&String> = only
        .iter()
        .filter(|t| !checked.model.tenants.iter().any(|x| x.name.value == **t))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        eprintln!(
            "error: --only names unknown tenant(s): {}",
            names.join(", ")
        );
        return Err(ExitCode::from(ERROR));
    }
    let desired = desired_monitors(&checked);
    let connection = connect(org, &config.dir).await.map_err(report_api_error)?;
    let live_wire = read_owned(&connection.client, &ownership)
        .await
        .map_err(report_api_error)?;
    let live: Vec<_> = live_wire.iter().filter_map(live_from_wire).collect();
    let mut plan = plan(&desired, &live, &ownership);
    if !only.is_empty() {
        plan = restrict_to_tenants(plan, &desired, only);
    }
    Ok(Planned {
        connection,
        live_wire,
        plan,
        ownership,
    })
}

fn checked_config(config: &ConfigArgs) -> Result<Checked, ExitCode> {
    let checked = check(&config.load_options()).map_err(|error| {
        eprintln!("error: {error}\nhelp: {}", error.help);
        ExitCode::from(ERROR)
    })?;
    if checked.diagnostics.has_errors() {
        let mut diagnostics: Vec<_> = checked.diagnostics.iter().cloned().collect();
        diagnostics.sort_by_key(|d| (d.span.file, d.span.range.start));
        eprint!(
            "{}",
            output::render_human(
                &diagnostics,
                &checked.model.sources,
                output::stderr_colour()
            )
        );
        eprintln!("monc: the configuration has errors; fix them first (see `monc validate`)");
        return Err(ExitCode::from(ERROR));
    }
    Ok(checked)
}

pub fn report_api_error(error: monc::datadog::ApiError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(ERROR)
}

/// `--only a,b` and `--only a --only b` both work.
pub fn split_tenants(only: &[String]) -> Vec<String> {
    only.iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Runtime::new().map_err(|e| {
        eprintln!("error: cannot start the async runtime: {e}");
        ExitCode::from(ERROR)
    })
}

/// Stops the local emulator (if any) so its state file is complete.
pub async fn close(connection: Connection) {
    if let Some(emulator) = connection.emulator {
        emulator.shutdown().await;
    }
}
