//! `monc init`: a small, valid, commented project to start from.

use std::path::{Path, PathBuf};

use super::error::{CommandResult, Error, Status};

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Directory to create the project in (created if missing).
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// The files of a new project and what each holds.
const FILES: &[(&str, &str)] = &[
    ("monc.hcl", include_str!("init/monc.hcl")),
    ("tenants/clusters.hcl", include_str!("init/clusters.hcl")),
    (
        "tenants/example.hcl",
        include_str!("init/example-tenant.hcl"),
    ),
    ("monitors/monitors.hcl", include_str!("init/monitors.hcl")),
    (
        "alert-tests/example.hcl",
        include_str!("init/alert-tests.hcl"),
    ),
    // The local org and the backups hold the org's data: never committed by `git add -A`.
    (
        ".gitignore",
        "# monc's local state: the emulated org (--org local) and backups of the org's monitors.\n.monc/\n",
    ),
];

/// What `init` refuses to write over: any file it would write, and the other layouts' files.
const TAKEN: &[&str] = &[
    "monc.hcl",
    "tenants",
    "monitors",
    "alert-tests",
    "tenants.hcl",
    "monitors.hcl",
];

pub(crate) fn run(args: &InitArgs) -> CommandResult {
    let taken: Vec<&str> = TAKEN
        .iter()
        .copied()
        .filter(|name| std::fs::symlink_metadata(args.dir.join(name)).is_ok())
        .collect();
    if !taken.is_empty() {
        return Err(Error::Message(format!(
            "{} already holds a monc project ({}); nothing was written\nhelp: run `monc init -C NEW_DIR` to start a project elsewhere",
            args.dir.display(),
            taken.join(", ")
        )));
    }
    let had_gitignore = args.dir.join(".gitignore").exists();
    write_files(&args.dir)?;
    for (name, _) in FILES {
        let verb = if *name == ".gitignore" && had_gitignore {
            "updated"
        } else {
            "created"
        };
        outln!("{verb} {}", args.dir.join(name).display());
    }
    outln!(
        "\nNext:\n  monc validate{dir}              check the project\n  monc test{dir}                  run alert-tests/\n  monc diff --org local{dir}      plan against a local emulated org",
        dir = dir_flag(&args.dir)
    );
    Ok(Status::Ok)
}

fn dir_flag(dir: &Path) -> String {
    if dir == Path::new(".") {
        String::new()
    } else {
        format!(" -C {}", dir.display())
    }
}

/// Writes every file, or (on the first failure) removes what it wrote, so a failed init
/// leaves the directory as it was.
fn write_files(dir: &Path) -> Result<(), Error> {
    let mut created: Vec<PathBuf> = Vec::new();
    let result = FILES.iter().try_for_each(|(name, text)| {
        let path = dir.join(name);
        for parent in missing_parents(&path) {
            std::fs::create_dir(&parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            created.push(parent);
        }
        let text = match *name {
            "monc.hcl" => with_project_name(text, dir),
            // A repository's own .gitignore is kept: `.monc/` is added to it if missing.
            ".gitignore" if path.exists() => return ignore_monc_dir(&path),
            _ => text.to_string(),
        };
        monc::atomic_file::write(&path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        created.push(path);
        Ok(())
    });
    if result.is_err() {
        for path in created.iter().rev() {
            let _ = std::fs::remove_file(path).or_else(|_| std::fs::remove_dir(path));
        }
    }
    result
}

/// Adds `.monc/` to an existing .gitignore that does not ignore it yet.
fn ignore_monc_dir(path: &Path) -> Result<(), Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if text
        .lines()
        .any(|l| matches!(l.trim(), ".monc/" | ".monc" | "/.monc/" | "/.monc"))
    {
        return Ok(());
    }
    let separator = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    monc::atomic_file::write(path, format!("{text}{separator}.monc/\n").as_bytes())
        .map_err(|e| Error::Message(format!("cannot write {}: {e}", path.display())))
}

/// monc.hcl naming the project after its directory, so that a second project in the same org
/// never takes the first's monitors for its own.
fn with_project_name(text: &str, dir: &Path) -> String {
    let name = project_name(dir);
    text.replacen("PROJECT_NAME", &name, 1)
}

/// The directory's name as a tag value: lowercase letters, digits, `-` `_` `.`; `project` when
/// nothing is left.
fn project_name(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let base = absolute
        .components()
        .next_back()
        .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '-',
        })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.starts_with(|c: char| c.is_ascii_lowercase()) {
        trimmed.chars().take(100).collect()
    } else if trimmed.is_empty() {
        "project".into()
    } else {
        format!("p-{}", trimmed.chars().take(98).collect::<String>())
    }
}

/// The directories above `path` that do not exist yet, outermost first.
fn missing_parents(path: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = path
        .ancestors()
        .skip(1)
        .take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}
