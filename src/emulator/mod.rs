//! Local emulator of the Datadog Monitor API (v1).

/// Arguments of `monc emulator`.
#[derive(Debug, clap::Args)]
pub struct EmulatorArgs {
    /// Port to listen on (127.0.0.1 only).
    #[arg(long, default_value_t = 8126)]
    pub port: u16,
}

/// Runs `monc emulator` until interrupted.
pub fn run(_args: EmulatorArgs) -> std::process::ExitCode {
    eprintln!("monc emulator: not implemented yet");
    std::process::ExitCode::FAILURE
}
