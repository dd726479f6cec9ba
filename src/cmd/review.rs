use std::path::PathBuf;

use monc::review::{self, ReviewOptions, render, window};

use super::ConfigArgs;
use super::connect::{OrgArgs, connect};
use super::error::{CommandResult, Error, Status};
use super::org;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReviewFormat {
    /// A summary for a terminal: the reduction, the noisiest monitors, the inventory.
    Human,
    /// The monthly review document: tables, the reduction figure up top.
    Markdown,
    /// One JSON document for scripts (the contract: monitors[].key, .alerts,
    /// .seconds_in_alert; suppression.pages_without, .pages_with, .reduction_percent).
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReviewArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    /// The window: the last DURATION up to --to (or now): 30d, 2w, 12h.
    #[arg(long, value_name = "DURATION", conflicts_with = "from")]
    pub since: Option<String>,
    /// Start of the window (UTC): 2026-11-01, 2026-11-01T08:00:00Z or with an offset.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// End of the window (UTC) [default: now].
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    #[command(flatten)]
    pub tenants: super::TenantArgs,
    /// How to print the review.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReviewFormat,
    /// Write the review to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub(crate) fn run(args: &ReviewArgs) -> CommandResult {
    org::block_on(review_command(args))
}

/// The default window when neither --since nor --from is given.
const DEFAULT_SINCE: &str = "30d";

/// `(from, to)` in milliseconds from the arguments, or what is wrong with them.
fn window_of(args: &ReviewArgs, now_ms: i64) -> Result<(i64, i64), String> {
    let instant = |flag: &str, text: &str| {
        window::parse_instant_ms(text).ok_or_else(|| {
            format!(
                "{flag} {text:?} is not a time\nhelp: write a date (2026-11-01) or a time \
                 (2026-11-01T08:00:00Z, 2026-11-01T10:00:00+02:00), in UTC unless an offset is given"
            )
        })
    };
    let to = match &args.to {
        Some(text) => instant("--to", text)?,
        None => now_ms,
    };
    let from = match (&args.from, &args.since) {
        (Some(text), _) => instant("--from", text)?,
        (None, since) => {
            let since = since.as_deref().unwrap_or(DEFAULT_SINCE);
            let span = window::parse_duration_ms(since).ok_or_else(|| {
                format!(
                    "--since {since:?} is not a duration\nhelp: a number and a unit: 30d, 2w, \
                     12h, 90m"
                )
            })?;
            to.saturating_sub(span)
        }
    };
    if from >= to {
        return Err(format!(
            "the window is empty: it starts at {} and ends at {}\nhelp: --from must be before --to",
            window::format_instant(from),
            window::format_instant(to)
        ));
    }
    Ok((from, to))
}

async fn review_command(args: &ReviewArgs) -> CommandResult {
    let (from_ms, to_ms) = window_of(args, review::now_ms())?;
    let tenants = org::selected_tenants(&args.tenants.tenant)?.unwrap_or_default();
    if let Some(path) = &args.output {
        super::check_output_file("--output", path)?;
    }
    let checked = org::checked_config(&args.config)?;
    if let Some(error) = super::unknown_tenants(&tenants, &checked.model) {
        return Err(error);
    }
    let site = checked.model.project.site.as_deref();
    let connection = connect(&args.org, &args.config.dir, site).await?;
    let options = ReviewOptions {
        from_ms,
        to_ms,
        tenants,
    };
    let review = review::review(&connection.client, &checked, &options).await;
    // The local org closes (and saves) before anything is printed.
    drop(connection);
    let review = review?;
    let text = match args.format {
        ReviewFormat::Human => render::human(&review),
        ReviewFormat::Markdown => render::markdown(&review),
        ReviewFormat::Json => render::json(&review),
    };
    match &args.output {
        Some(path) => monc::atomic_file::write_private(path, text.as_bytes())
            .map_err(|e| Error::Message(format!("cannot write {}: {e}", path.display())))?,
        None => out!("{text}"),
    }
    Ok(Status::Ok)
}
