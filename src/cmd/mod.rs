//! One module per subcommand: argument parsing and exit codes, no pipeline logic.

/// `println!` that ignores a closed stdout: a command that writes to the org must not panic, or
/// stop half-way, because the reader of its output went away (`monc sync --yes | head -1`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub mod connect;
pub mod diff;
pub mod emulator;
pub mod graph;
pub mod import;
pub mod org;
pub mod restore;
pub mod status;
pub mod sync;
pub mod test;
pub mod validate;

use std::path::PathBuf;

use monc::load::LoadOptions;

/// Where the configuration is; shared by every command that reads it.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Project directory holding monc.hcl, tenants/ and monitors/.
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
    pub fn load_options(&self) -> LoadOptions {
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
