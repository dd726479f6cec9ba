//! `monc emulator`: serves the local Monitor API emulator in the foreground.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use monc_emulator::{Emulator, EmulatorConfig, FaultConfig, StartError};

use super::error::{CommandResult, Error, Status};
use super::{console, org};

/// Not a port of the Datadog Agent's (8125 DogStatsD, 8126 traces, 5000-5002 and 8222 internal),
/// which often runs on the same machine.
const DEFAULT_PORT: u16 = 8787;

/// Arguments of `monc emulator`.
#[derive(Debug, clap::Args)]
pub(crate) struct EmulatorArgs {
    /// Directory a relative --state FILE is found in.
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Persist monitors to this JSON file (in memory only when absent).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Rate limit as REQUESTS/PERIOD, e.g. 100/10s.
    #[arg(long, value_name = "N/PERIOD", value_parser = parse_rate_limit)]
    pub rate_limit: Option<(u32, Duration)>,
    /// Latency added to every answer, e.g. 50ms.
    #[arg(long, value_parser = parse_duration)]
    pub latency: Option<Duration>,
    /// Fraction of requests answered 500/503 (0..1).
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub fault_5xx: f64,
    /// Fraction of requests whose connection is cut before anything happens.
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub fault_reset: f64,
    /// Fraction of requests carried out whose answer is then lost.
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub fault_drop: f64,
    /// Seed of the fault dice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Answer 429 with an HTML page instead of Datadog's JSON errors.
    #[arg(long)]
    pub html_429: bool,
    /// Listen on all interfaces (0.0.0.0) instead of 127.0.0.1. Anyone who can reach the port
    /// can then use the emulator.
    #[arg(long)]
    pub listen_all_interfaces: bool,
}

impl EmulatorArgs {
    fn config(&self) -> EmulatorConfig {
        let bind = if self.listen_all_interfaces {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        EmulatorConfig {
            port: self.port,
            bind,
            state_file: self.state.as_ref().map(|state| self.dir.join(state)),
            rate_limit: self.rate_limit,
            faults: FaultConfig {
                latency: self.latency.unwrap_or_default(),
                error_rate_5xx: self.fault_5xx,
                reset_rate: self.fault_reset,
                drop_after_commit_rate: self.fault_drop,
                seed: self.seed,
                html_429: self.html_429,
            },
            org_id: None,
        }
    }
}

/// Runs `monc emulator` in the foreground until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &EmulatorArgs) -> CommandResult {
    org::block_on(serve_until_interrupted(args.config()))
}

async fn serve_until_interrupted(config: EmulatorConfig) -> CommandResult {
    let state = config.state_file.clone();
    let handle = Emulator::start(config).await.map_err(start_error)?;
    let url = handle.base_url();
    let state_line = match &state {
        Some(path) => format!("  state: {}", path.display()),
        None => "  state: in memory (pass --state FILE to keep it)".into(),
    };
    print_banner(&[
        format!("monc emulator: Datadog Monitor API (v1) at {url}"),
        state_line,
        "Point monc (or any Datadog client) at it:".into(),
        "  export DD_API_KEY=local DD_APP_KEY=local".into(),
        format!("  monc sync --api-url {url}"),
        "Press Ctrl-C to stop.".into(),
    ]);
    let stopped = stop_requested().await;
    if let Ok(signal) = &stopped {
        console::stderr_best_effort(format_args!("monc emulator: {signal} received, stopping\n"));
    }
    handle.shutdown().await;
    // Serving could not be stopped on request: an error (it used to exit 0 after saying so).
    stopped.map(|_| Status::Ok).map_err(|error| {
        Error::Closing(format!(
            "monc emulator: cannot wait for Ctrl-C or SIGTERM: {error}"
        ))
    })
}

/// Why the emulator did not start, with what to do when its port is taken.
fn start_error(error: StartError) -> Error {
    let mut text = format!("monc emulator: {error}");
    if let StartError::Listen { addr, source } = &error
        && source.kind() == std::io::ErrorKind::AddrInUse
    {
        text.push_str(&format!(
            "\nhelp: another program listens on port {}; pick another with `--port N` (`--port 0` picks a free one)",
            addr.port()
        ));
    }
    Error::Closing(text)
}

/// Waits for Ctrl-C or, on Unix, SIGTERM: `kill`, systemd and container runtimes stop a
/// process with SIGTERM, and it must shut down as gracefully as on Ctrl-C.
#[cfg(unix)]
async fn stop_requested() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted.map(|()| "Ctrl-C"),
        _ = terminate.recv() => Ok("SIGTERM"),
    }
}

#[cfg(not(unix))]
async fn stop_requested() -> std::io::Result<&'static str> {
    tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
}

/// Prints to stdout. A closed stdout (`monc emulator | head -1`, a supervisor that read the
/// URL) neither stops the server nor makes its exit code 1.
fn print_banner(lines: &[String]) {
    console::stdout_best_effort(format_args!("{}\n", lines.join("\n")));
}

fn parse_fraction(raw: &str) -> Result<f64, String> {
    let value: f64 = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not a number"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{raw} is not a fraction between 0 and 1"))
    }
}

/// `250ms`, `10s`, `1.5s`, `2m`.
pub(crate) fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration like 50ms or 10s"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit {unit:?} in {raw:?}; use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{raw:?} is out of range"))
}

/// `100/10s` → (100, 10s).
pub(crate) fn parse_rate_limit(raw: &str) -> Result<(u32, Duration), String> {
    let (count, period) = raw
        .split_once('/')
        .ok_or_else(|| format!("{raw:?} is not REQUESTS/PERIOD like 100/10s"))?;
    let count: u32 = count
        .trim()
        .parse()
        .map_err(|_| format!("{count:?} is not a request count"))?;
    let period = parse_duration(period)?;
    if count == 0 || period.is_zero() {
        return Err("rate limit needs at least 1 request per non-zero period".into());
    }
    Ok((count, period))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_values() {
        assert_eq!(
            parse_rate_limit("100/10s"),
            Ok((100, Duration::from_secs(10)))
        );
        assert_eq!(parse_duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_rate_limit("0/1s").is_err());
        assert!(parse_rate_limit("10").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_fraction("1.5").is_err());
    }
}
