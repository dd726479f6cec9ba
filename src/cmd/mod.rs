//! One module per subcommand: argument parsing and exit codes, no pipeline logic.

// `print!`, `println!`, `eprint!` and `eprintln!` for commands, through `console`: a write
// that fails never panics nor stops a command half-way; `console` remembers it, and the
// command exits 1.

/// `print!` to stdout through [`console`].
macro_rules! out {
    ($($arg:tt)*) => {{
        $crate::cmd::console::stdout(format_args!($($arg)*));
    }};
}

/// `println!` to stdout through [`console`].
macro_rules! outln {
    ($($arg:tt)*) => {{
        $crate::cmd::console::stdout(format_args!("{}\n", format_args!($($arg)*)));
    }};
}

/// `eprint!` to stderr through [`console`].
macro_rules! eout {
    ($($arg:tt)*) => {{
        $crate::cmd::console::stderr(format_args!($($arg)*));
    }};
}

/// `eprintln!` to stderr through [`console`].
macro_rules! eoutln {
    ($($arg:tt)*) => {{
        $crate::cmd::console::stderr(format_args!("{}\n", format_args!($($arg)*)));
    }};
}

pub(crate) mod connect;
pub(crate) mod console;
pub(crate) mod diff;
pub(crate) mod emulator;
pub(crate) mod emulator_control;
pub(crate) mod error;
pub(crate) mod explain;
pub(crate) mod fmt;
pub(crate) mod graph;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod lsp;
pub(crate) mod org;
pub(crate) mod restore;
pub(crate) mod review;
pub(crate) mod status;
pub(crate) mod sync;
pub(crate) mod test;
pub(crate) mod validate;

use std::path::PathBuf;

use monc::load::LoadOptions;

/// Where the configuration is; shared by every command that reads it.
#[derive(Debug, clap::Args)]
pub(crate) struct ConfigArgs {
    /// Project directory: monc.hcl (optional), tenants/ and monitors/ (or, for a small
    /// project, tenants.hcl and monitors.hcl; both forms at once is an error).
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Tenant definitions: a directory of *.hcl files or one file [default: DIR/tenants]
    #[arg(long, value_name = "PATH")]
    pub tenants: Option<PathBuf>,
    /// Monitor templates: a directory of *.hcl files or one file [default: DIR/monitors]
    #[arg(long, value_name = "PATH")]
    pub monitors: Option<PathBuf>,
}

impl ConfigArgs {
    pub(crate) fn load_options(&self) -> LoadOptions {
        let mut options = LoadOptions::in_dir(&self.dir);
        if let Some(tenants) = &self.tenants {
            options.tenants = tenants.clone();
        }
        if let Some(monitors) = &self.monitors {
            options.monitors = monitors.clone();
        }
        options
    }
}

/// The one tenant filter, the same on every command that takes one.
#[derive(Debug, clap::Args)]
pub(crate) struct TenantArgs {
    /// Only these tenants (comma-separated or repeated), plus the shared monitors that
    /// suppress them: for staged rollouts and one tenant's view.
    #[arg(long = "tenant", alias = "only", value_name = "TENANT")]
    pub tenant: Vec<String>,
}

/// `--output FILE` (or `--out FILE`) can be created: its directory exists and FILE is not a
/// directory.
pub(crate) fn check_output_file(flag: &str, path: &std::path::Path) -> Result<(), error::Error> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    if !dir.is_dir() {
        return Err(error::Error::Message(format!(
            "{flag} {}: the directory {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    if path.is_dir() {
        return Err(error::Error::Message(format!(
            "{flag} {} is a directory; name a file",
            path.display()
        )));
    }
    Ok(())
}

/// A progress bar on stderr, hidden when stderr is not a terminal (or `hidden`, for JSON).
pub(crate) fn progress_bar(hidden: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let bar = indicatif::ProgressBar::new(0);
    if hidden || !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    bar
}

/// Taking over monitors a project wrote before it had a name, the same on `diff` and `sync`.
#[derive(Debug, clap::Args)]
pub(crate) struct ClaimArgs {
    /// With `project` set in monc.hcl: also take over monc's monitors that record no project
    /// (this project's own, written before it was named), instead of leaving them alone and
    /// creating its own beside them. Check first with `monc diff --claim-unnamed`.
    #[arg(long)]
    pub claim_unnamed: bool,
}

/// The tenants named that the configuration does not define, as an error with "did you
/// mean", or `None` when every one is known.
pub(crate) fn unknown_tenants(
    named: &[String],
    model: &monc::model::Model,
) -> Option<error::Error> {
    let known = || model.tenants.iter().map(|t| t.name.value.as_str());
    let unknown: Vec<&String> = named
        .iter()
        .filter(|name| !known().any(|k| k == name.as_str()))
        .collect();
    let first = unknown.first()?;
    let listed: Vec<String> = unknown.iter().map(|name| format!("`{name}`")).collect();
    Some(error::Error::Message(format!(
        "--tenant names unknown tenant(s): {}\nhelp: {}",
        listed.join(", "),
        monc::diagnostic::suggestion_help(first, "tenant", known())
    )))
}
