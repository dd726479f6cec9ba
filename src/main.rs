use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[macro_use]
mod cmd;

use cmd::error::{CommandResult, Status};

/// monc compiles tiered monitor definitions into Datadog monitors with composite suppression.
///
/// Platform (L0) and shared-infrastructure (L2) problems silence the per-tenant (L3) alerts they
/// cause: every suppressed monitor pages only through a generated composite `L3 && !L2 && !L0`.
///
/// Typical flow:
///   monc init -C my-alerts         start a project (or work in an existing one)
///   monc validate                  check tenants/ and monitors/ locally
///   monc diff --org local          plan against an org (here the built-in local emulator)
///   monc sync --org local          apply the plan
///
/// Exit codes (every command; scripts and scheduled jobs may rely on them):
///   0  success; for diff and sync --dry-run: no changes
///   1  any error: a usage mistake (unknown flag or value), an unreadable or invalid
///      configuration, a failed API call or change
///   2  changes pending: only diff and sync --dry-run
///   3  something is paging right now: only status
#[derive(Debug, Parser)]
#[command(name = "monc", version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a project: a small, valid, commented monc.hcl, tenants/, monitors/, alert-tests/
    ///
    /// Refuses to write into a directory that already holds a project.
    ///
    ///   monc init -C my-alerts && monc validate -C my-alerts
    #[command(verbatim_doc_comment)]
    Init(cmd::init::InitArgs),
    /// Parse, compile and check the configuration; exit 1 if anything is wrong.
    ///
    /// Reads monc.hcl (optional), tenants/*.hcl and monitors/*.hcl. Every problem is reported
    /// with its file, line and column, a stable code and a hint. Exit codes: 0 clean (warnings
    /// allowed unless --strict), 1 problems found or the files could not be read.
    Validate(cmd::validate::ValidateArgs),
    /// Lay out every HCL file canonically, like `terraform fmt`; --check for CI
    ///
    /// Formats monc.hcl, tenants, monitors and alert-tests (or the PATHs given): two-space
    /// indentation per bracket, one space around `=`, the `=` of consecutive one-line
    /// attributes aligned. Comments, strings and heredoc text are kept as written, and a layout
    /// that would change what a file means is refused. Lists the files it changed.
    ///
    /// Exit codes: 0 done (with --check: everything is formatted), 1 a file is not formatted
    /// (--check) or cannot be.
    ///
    ///   monc fmt                       rewrite the project's files
    ///   monc fmt --check --diff        in CI: show what is off, change nothing
    #[command(verbatim_doc_comment)]
    Fmt(cmd::fmt::FmtArgs),
    /// Explain a check: what a diagnostic code catches, and whether it may be ignored
    ///
    ///   monc explain monc::moved        one code (the `monc::` prefix may be left out)
    ///   monc explain                    every code, a line each
    #[command(verbatim_doc_comment)]
    Explain(cmd::explain::ExplainArgs),
    /// Show what `sync` would change in the org; exit 0 no changes, 2 changes, 1 error.
    ///
    /// Reads the monitors monc owns (one paginated listing filtered by the ownership tag),
    /// compares them with the config after normalising what the API fills in, and shows
    /// creates (+), updates (~, field by field), deletes (-), and monitors changed outside monc
    /// (drift). `--format markdown --output drift.md` writes a report for pull requests or a
    /// scheduled drift check; `--out plan.json` saves the plan for `monc sync --plan plan.json`.
    Diff(cmd::diff::DiffArgs),
    /// Apply the plan: constituents before composites, a backup first, deletes only with --prune.
    ///
    /// Asks for confirmation at a terminal; pass --yes in CI. Re-running after a partial failure
    /// finishes the job; a monitor changed in Datadog since the plan was read is not overwritten.
    /// `--plan plan.json` applies exactly a plan saved by `monc diff --out plan.json`, or
    /// nothing if the configuration, the org or a monitor it touches changed since.
    /// Exit codes: 0 applied (or nothing to do), 1 an error or a failed change, 2 --dry-run with
    /// changes pending.
    Sync(cmd::sync::SyncArgs),
    /// Write templates for monitors that already exist (org or JSON export), and adopt them.
    ///
    /// The generated monitors/imported.hcl compiles back to the same monitors. Composites
    /// `A && !B` become `suppressed_by`; --detect-tenants TAGKEY folds per-tenant copies into one
    /// template. --adopt then tags the live monitors as monc's, so the next sync updates them in
    /// place instead of creating duplicates.
    Import(cmd::import::ImportArgs),
    /// Put back the monitors saved in a backup written by `monc sync`.
    ///
    /// Only into the org the backup came from, and only monitors carrying monc's ownership tag:
    /// each is found by its key (a second run changes nothing), re-read before it is written, and
    /// never written over a monitor monc does not own. Shows the plan and asks; pass --yes in CI.
    /// Exit codes: 0 restored (or nothing to do), 1 an error, a refusal or a monitor left alone.
    Restore(cmd::restore::RestoreArgs),
    /// Draw the tier graph: monitors by tier, suppression edges, the composites that page
    ///
    /// Mermaid source by default (a .mmd file; GitHub renders it inside a ```mermaid block in
    /// pull requests and READMEs: --format markdown prints it with that fence), or Graphviz DOT
    /// with --format dot. --tenant NAME draws one tenant's slice: its monitors plus
    /// the shared monitors that silence them. Composites are the hexagon "page" nodes, labelled
    /// with the handles they notify.
    ///
    ///   monc graph --tenant acme > acme.mmd
    ///   monc graph --format dot | dot -Tsvg > graph.svg
    #[command(verbatim_doc_comment)]
    Graph(cmd::graph::GraphArgs),
    /// Unit-test the alert logic: which notifications fire when given monitors alert
    ///
    /// Reads scenarios from alert-tests/*.hcl (or PATH), evaluates the compiled composites with
    /// Datadog's semantics (&& least severe, || most severe, !NoData is No Data, groups matched
    /// by common tag values) and prints scenario, expected pages, actual pages, ✓/✗. Also
    /// reports each cluster's outage: pages without suppression vs. with. Exit 0 all pass,
    /// 1 any failure, a mistake in a test file or files that cannot be read.
    ///
    ///   monc test                      run alert-tests/
    ///   monc test --matrix             also check every suppression edge three ways
    ///   monc test --outage l2/alb_5xx/prod-tokyo-1
    #[command(verbatim_doc_comment)]
    Test(cmd::test::TestArgs),
    /// The live incident view: what alerts now, what pages, what is suppressed and by which
    ///
    /// Reads the org (the owned monitors, with their groups' states) and prints a headline,
    /// then the tier tree: each monitor under the closest monitor that suppresses it, with its
    /// state (Alert, Warn, No Data, OK, muted) and alerting groups; for an alerting monitor,
    /// whether its composite pages or which shared monitor (and group) suppresses it now. A
    /// suppressor in No Data is flagged: its composites cannot page. Monitors missing in the
    /// org or changed outside monc are marked !.
    ///
    /// Exit codes: 0 nothing pages, 3 something pages (scripts may poll it), 1 an error.
    ///
    ///   monc status --org local
    ///   monc status --tenant acme --format markdown
    ///   monc status --watch 10
    ///   monc status --org local --set l2/db_cpu/prod-tokyo-1=Alert    (a drill)
    #[command(verbatim_doc_comment)]
    Status(cmd::status::StatusArgs),
    /// The monthly review: noise, suppression and inventory, from the org's alert history
    ///
    /// Reads the owned monitors and their state changes (Datadog's Events API, source:alert)
    /// over the window, and reports: per monitor, alerts (per group), time in Alert / Warn /
    /// No Data, state changes per day, last trigger, median alert duration, the noisiest first
    /// with what to consider; what tiered suppression did, by replaying the history through
    /// the tier graph (pages without vs. with, per tenant and per shared outage, checked
    /// against the composites' own history); and the inventory: duplicates (owned, or a
    /// foreign monitor like an owned one), mutes over a week, monitors that notify nobody,
    /// templates whose instances never fired. Exit 0, or 1 on an error.
    ///
    /// The monthly routine, beside the weekly `monc diff`:
    ///   monc review --since 30d --format markdown --output review-2026-11.md
    ///       read it at the review meeting: remove what never fires, retune what fires often
    ///       and briefly, merge duplicates; then `monc diff` and `monc sync` the changes
    ///   monc review --from 2026-11-01 --to 2026-12-01 --tenant acme
    ///   monc review --since 30d --format json | jq '.suppression.reduction_percent'
    ///
    /// Drill it on the local emulator: `monc status --org local --set KEY=Alert --at TIME`
    /// lays down history at any time, then `monc review --org local`.
    #[command(verbatim_doc_comment)]
    Review(cmd::review::ReviewArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish
    ///
    ///   monc completions bash > ~/.local/share/bash-completion/completions/monc
    ///   monc completions zsh > "${fpath[1]}/_monc"
    ///   monc completions fish > ~/.config/fish/completions/monc.fish
    #[command(verbatim_doc_comment)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Serve a local emulator of the Datadog Monitor API on 127.0.0.1
    ///
    /// The same emulator `--org local` embeds: full monitor objects with the defaults Datadog
    /// fills in, composites, pagination, tag filters, search, validation, rate limits, and fault
    /// injection for drills (--fault-5xx, --fault-reset, --fault-drop, --latency, --rate-limit).
    /// It follows recorded Datadog traffic; what no recording backs is marked GUESS in its source.
    /// With --state FILE a write is answered only once it is in FILE, ids are never reused, and
    /// one process at a time may use FILE. Point monc at it with --api-url:
    ///
    ///   monc emulator --state .monc/local-org.json &
    ///   DD_API_KEY=local DD_APP_KEY=local monc diff --api-url http://127.0.0.1:8787
    #[command(verbatim_doc_comment)]
    Emulator(cmd::emulator::EmulatorArgs),
    /// Language server on stdio: monc's diagnostics while typing, in any editor
    ///
    /// Speaks the Language Server Protocol on stdin/stdout for the *.hcl files of a monc
    /// project (the nearest directory above the file holding monc.hcl, tenants/ or monitors/):
    /// `monc validate`'s diagnostics from the unsaved buffers, quick fixes, go to definition,
    /// references, hover, completion, formatting (`monc fmt`'s layout) and document symbols.
    /// An editor starts it; it writes no file. Setup for VS Code, Neovim, Helix, Zed and Emacs:
    /// docs/editors.md.
    ///
    ///   command: monc lsp          (the editor's language-server setting)
    #[command(verbatim_doc_comment)]
    Lsp(cmd::lsp::LspArgs),
}

/// The one place a command's error is printed and its exit status becomes the process's exit
/// code (the contract is [`Status`]'s).
fn main() -> ExitCode {
    ignore_file_size_signal();
    let status = match Cli::try_parse() {
        Ok(cli) => run(cli.command).unwrap_or_else(|error| {
            error.print();
            Status::Error
        }),
        Err(error) => clap_exit(&error),
    };
    cmd::console::final_status(status).into()
}

fn run(command: Command) -> CommandResult {
    match command {
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Diff(args) => cmd::diff::run(&args),
        Command::Sync(args) => cmd::sync::run(&args),
        Command::Import(args) => cmd::import::run(&args),
        Command::Restore(args) => cmd::restore::run(&args),
        Command::Graph(args) => cmd::graph::run(&args),
        Command::Test(args) => cmd::test::run(&args),
        Command::Status(args) => cmd::status::run(&args),
        Command::Review(args) => cmd::review::run(&args),
        Command::Emulator(args) => cmd::emulator::run(&args),
        Command::Init(args) => cmd::init::run(&args),
        Command::Fmt(args) => cmd::fmt::run(&args),
        Command::Explain(args) => cmd::explain::run(&args),
        Command::Lsp(args) => cmd::lsp::run(&args),
        Command::Completions { shell } => print_completions(shell),
    }
}

/// Generated into memory first: `generate` panics when it cannot write.
fn print_completions(shell: clap_complete::Shell) -> CommandResult {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "monc", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(Status::Ok)
}

/// By default a process that writes past its file-size limit (`ulimit -f`) is killed by
/// SIGXFSZ, mid-write. Ignored, the write fails with EFBIG, and monc reports it and changes
/// nothing (backups are written before any change).
#[allow(
    unsafe_code,
    reason = "libc::signal has no safe wrapper in the dependencies; the one unsafe of monc"
)]
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN at start-up, before any thread exists,
    // has no memory-safety preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Terraform's words for monc's commands, for a user who types them out of habit.
fn terraform_tip(error: &clap::Error) -> Option<&'static str> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(typed)) = error.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    match typed.as_str() {
        "plan" => Some(
            "tip: Terraform's `plan` is `monc diff` (exit 2 when changes are pending; \
             `--format markdown` for a pull request)",
        ),
        "apply" => {
            Some("tip: Terraform's `apply` is `monc sync` (`--yes` to apply without asking)")
        }
        _ => None,
    }
}

/// Prints clap's message. `--help` and `--version` succeed; every usage mistake exits 1, not
/// clap's default 2, which `diff` reserves for "changes pending": a misspelt flag in a
/// scheduled drift check must fail the job, not look like drift.
fn clap_exit(error: &clap::Error) -> Status {
    // Like any output that cannot be written (see `cmd::console`), an error.
    if error.print().is_err() {
        return Status::Error;
    }
    if let Some(tip) = terraform_tip(error) {
        eoutln!("\n{tip}");
    }
    if error.exit_code() == 0 {
        Status::Ok
    } else {
        Status::Error
    }
}
