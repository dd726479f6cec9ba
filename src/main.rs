use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// monc compiles tiered monitor definitions into Datadog monitors with composite suppression.
///
/// Platform (L0) and shared-infrastructure (L2) problems silence the per-tenant (L3) alerts they
/// cause: every suppressed monitor pages only through a generated composite `L3 && !L2 && !L0`.
///
/// Typical flow:
///   monc validate                  check tenants/ and monitors/ locally
///   monc diff --org local          plan against an org (here the built-in local emulator)
///   monc sync --org local          apply the plan
#[derive(Debug, Parser)]
#[command(name = "monc", version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse, compile and check the configuration; exit 1 if anything is wrong.
    ///
    /// Reads monc.hcl (optional), tenants/*.hcl and monitors/*.hcl. Every problem is reported
    /// with its file, line and column, a stable code and a hint. Exit codes: 0 clean (warnings
    /// allowed unless --strict), 1 problems found, 2 the files could not be read.
    Validate(cmd::validate::ValidateArgs),
    /// Serve a local emulator of the Datadog Monitor API on 127.0.0.1.
    Emulator(monc::emulator::EmulatorArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Emulator(args) => monc::emulator::run(args),
    }
}
