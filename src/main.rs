use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// monc compiles tiered monitor definitions into Datadog monitors with composite suppression.
#[derive(Debug, Parser)]
#[command(name = "monc", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve a local emulator of the Datadog Monitor API on 127.0.0.1.
    Emulator(monc::emulator::EmulatorArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Emulator(args) => monc::emulator::run(args),
    }
}
