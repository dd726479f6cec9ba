//! `monc fmt`: lay out every HCL file of a project canonically, like `terraform fmt`.

use std::path::{Path, PathBuf};

use monc::layout::format_hcl;

use super::ConfigArgs;
use super::error::{CommandResult, Error, Status};

#[derive(Debug, clap::Args)]
pub(crate) struct FmtArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Files or directories to format instead of the project's (monc.hcl, tenants, monitors,
    /// alert-tests).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any (for CI
    /// and pre-commit hooks).
    #[arg(long)]
    pub check: bool,
    /// Print the changes as a unified diff (with --check, nothing is written either).
    #[arg(long)]
    pub diff: bool,
}

pub(crate) fn run(args: &FmtArgs) -> CommandResult {
    let files = files_to_format(args)?;
    let mut failed = false;
    let mut unformatted = 0;
    for file in &files {
        match format_file(file, args) {
            Ok(changed) => unformatted += usize::from(changed),
            Err(message) => {
                eoutln!("error: {}: {message}", file.display());
                failed = true;
            }
        }
    }
    if args.check && unformatted > 0 {
        return Err(Error::Closing(format!(
            "monc: {unformatted} of {} file(s) not formatted; run `monc fmt`",
            files.len()
        )));
    }
    // Each file that could not be formatted is named above.
    Ok(if failed { Status::Error } else { Status::Ok })
}

/// Formats one file; whether it was (or, with --check, would be) changed.
fn format_file(path: &Path, args: &FmtArgs) -> Result<bool, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let formatted = format_hcl(&text).map_err(|e| e.to_string())?;
    if formatted == text {
        return Ok(false);
    }
    outln!("{}", path.display());
    if args.diff {
        outln!("{}", unified_diff(path, &text, &formatted));
    }
    if !args.check {
        monc::atomic_file::write(path, formatted.as_bytes())
            .map_err(|e| format!("cannot write: {e}"))?;
    }
    Ok(true)
}

fn unified_diff(path: &Path, before: &str, after: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .header(&name, &name)
        .to_string()
}

/// The files named on the command line, or the project's: its configuration and its
/// alert tests.
fn files_to_format(args: &FmtArgs) -> Result<Vec<PathBuf>, Error> {
    if !args.paths.is_empty() {
        let mut files = Vec::new();
        for path in &args.paths {
            files.extend(hcl_files_at(path)?);
        }
        return Ok(files);
    }
    let options = args.config.load_options();
    let mut files = monc::load::project_files(&options)
        .map_err(|e| format!("{}: {}\nhelp: {}", e.path.display(), e.message, e.help))?;
    let tests = args.config.dir.join("alert-tests");
    if tests.is_dir() {
        files.extend(hcl_files_at(&tests)?);
    }
    Ok(files)
}

fn hcl_files_at(path: &Path) -> Result<Vec<PathBuf>, Error> {
    monc::load::hcl_files(
        path,
        "given",
        "name .hcl files, or directories that hold them",
    )
    .map_err(|e| {
        Error::Message(format!(
            "{}: {}\nhelp: {}",
            e.path.display(),
            e.message,
            e.help
        ))
    })
}
