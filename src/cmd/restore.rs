use std::path::PathBuf;
use std::process::ExitCode;

use monc::datadog::{Monitor, OrgArgs, connect};

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
}

pub fn run(args: &RestoreArgs) -> ExitCode {
    let runtime = match org::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(restore(args))
}

async fn restore(args: &RestoreArgs) -> ExitCode {
    let backup: Vec<Monitor> = match std::fs::read_to_string(&args.file)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(monitors) => monitors,
        Err(error) => {
            eprintln!("error: cannot read backup {}: {error}", args.file.display());
            return ExitCode::from(ERROR);
        }
    };
    let connection = match connect(&args.org, &args.dir).await {
        Ok(c) => c,
        Err(error) => return org::report_api_error(error),
    };
    let outcomes = monc::sync::restore(&connection.client, &backup).await;
    let mut failed = false;
    for outcome in &outcomes {
        match &outcome.error {
            Some(error) => {
                failed = true;
                eprintln!("failed    {}: {error}", outcome.key);
            }
            None => println!(
                "restored  {} (id {})",
                outcome.key,
                outcome.id.unwrap_or_default()
            ),
        }
    }
    org::close(connection).await;
    if failed {
        ExitCode::from(ERROR)
    } else {
        ExitCode::SUCCESS
    }
}
