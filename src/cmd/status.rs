use std::io::IsTerminal;
use std::time::Duration;

use monc::output::{self, status as render};
use monc::status::{self, SetState, StatusReport};
use monc::{Checked, datadog::Client};

use super::ConfigArgs;
use super::connect::{Connection, OrgArgs, connect};
use super::error::{CommandResult, Error, Status};
use super::org;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StatusFormat {
    /// The headline and the tier tree, for a terminal.
    Human,
    /// One JSON document (the same data).
    Json,
    /// Markdown, for a chat message or an incident document.
    Markdown,
}

#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    /// Only this tenant's view: its monitors and the shared monitors that stand between them
    /// and a page (every one listed, OK ones too).
    #[arg(long, value_name = "NAME")]
    pub tenant: Option<String>,
    /// How to print the status.
    #[arg(long, value_enum, default_value = "human")]
    pub format: StatusFormat,
    /// Read the org again every SECONDS and redraw (in place on a terminal; one report after
    /// another otherwise) until interrupted.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub watch: Option<u64>,
    /// Drill helper, for the local emulator only (--org local, or an --api-url on loopback):
    /// put a monitor (or one group) in a state first. KEY=STATE or KEY[GROUP]=STATE, STATE one
    /// of OK, Warn, Alert, "No Data"; KEY `*` is every monitor but the composites (which follow
    /// their members). Repeatable; all apply within one evaluation, in the order given.
    #[arg(long, value_name = "KEY=STATE")]
    pub set: Vec<SetState>,
    /// With --set: the states took hold at TIME (UTC: 2026-11-03T10:00:00Z), not now. The
    /// emulator logs them as monitor events of that time, which `monc review` reads: a month
    /// of history laid down in seconds.
    #[arg(long, value_name = "TIME", requires = "set", value_parser = parse_at)]
    pub at: Option<i64>,
}

fn parse_at(text: &str) -> Result<i64, String> {
    monc::review::window::parse_instant_ms(text).ok_or_else(|| {
        format!("{text:?} is not a time: write 2026-11-03T10:00:00Z (UTC) or add an offset")
    })
}

pub(crate) fn run(args: &StatusArgs) -> CommandResult {
    org::block_on(status(args))
}

async fn status(args: &StatusArgs) -> CommandResult {
    let checked = org::checked_config(&args.config)?;
    if let Some(tenant) = &args.tenant
        && let Some(error) = super::unknown_tenants(std::slice::from_ref(tenant), &checked.model)
    {
        return Err(error);
    }
    let site = checked.model.project.site.as_deref();
    let connection = connect(&args.org, &args.config.dir, site).await?;
    set_states(args, &connection, &checked).await?;
    show(args, &connection.client, &checked).await
}

/// `--set`: only against the local emulator, whose extension endpoint does it.
async fn set_states(
    args: &StatusArgs,
    connection: &Connection,
    checked: &Checked,
) -> Result<(), Error> {
    if args.set.is_empty() {
        return Ok(());
    }
    let Some(control) = &connection.emulator_control else {
        return Err(Error::Message(format!(
            "--set only drives the local emulator (--org local, or `monc emulator` with an \
             --api-url on 127.0.0.1); {} is not one: a real org's states come from its data",
            connection.client.base_url()
        )));
    };
    let ids = status::ids_by_key(&connection.client, checked).await?;
    let mut states = Vec::new();
    for set in &args.set {
        if set.key == "*" {
            // Every raw monitor (composites follow their members).
            let mut raw: Vec<i64> = ids
                .values()
                .filter(|(_, c)| !c)
                .map(|(id, _)| *id)
                .collect();
            raw.sort_unstable();
            states.extend(
                raw.into_iter()
                    .map(|id| (id, set.group.clone(), set.state.clone())),
            );
            continue;
        }
        let (id, _) = ids.get(&set.key).ok_or_else(|| {
            Error::Message(format!(
                "--set {}: no monitor with that key in the org; run `monc sync` first, or check \
                 the key (`monc graph` lists them)",
                set.key
            ))
        })?;
        states.push((*id, set.group.clone(), set.state.clone()));
    }
    control
        .set_states(&states, args.at)
        .await
        .map_err(|e| Error::Message(format!("--set: {e}")))
}

/// Prints the status once, or every `--watch` seconds until interrupted.
async fn show(args: &StatusArgs, client: &Client, checked: &Checked) -> CommandResult {
    let terminal = std::io::stdout().is_terminal();
    loop {
        let report = status::read(client, checked, args.tenant.as_deref()).await?;
        let text = rendered(args, &report, terminal);
        let frame = match args.watch {
            Some(_) => render::watch_frame(&text, terminal),
            None => text,
        };
        let shown = super::console::stdout(format_args!("{frame}"));
        if !shown && args.watch.is_some() {
            // Nobody sees the frames any more: watching on would only burn the rate limit.
            return Ok(Status::Error);
        }
        match args.watch {
            Some(seconds) => tokio::time::sleep(Duration::from_secs(seconds)).await,
            None if report.paging => return Ok(Status::Paging),
            None => return Ok(Status::Ok),
        }
    }
}

fn rendered(args: &StatusArgs, report: &StatusReport, terminal: bool) -> String {
    match args.format {
        StatusFormat::Human => {
            render::render_human(report, output::use_colour(terminal), args.tenant.is_some())
        }
        StatusFormat::Json => render::render_json(report),
        StatusFormat::Markdown => render::render_markdown(report),
    }
}
