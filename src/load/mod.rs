//! Reading `monc.hcl`, `tenants/` and `monitors/` into the [`Model`], keeping the span of everything.
//!
//! One file per job: finding the files ([`files`]), parsing them ([`parse`]), `locals`, the
//! project settings ([`project`]), tenants and clusters ([`tenants`], their typed vars in
//! [`vars`] with Terraform's types in [`types`]), monitor templates ([`templates`], with
//! [`for_each`], [`moves`] and [`ignored`]), and the checks they share ([`checks`]).

mod checks;
mod files;
mod for_each;
mod ignored;
mod locals;
mod moves;
mod parse;
mod project;
mod references;
mod templates;
mod tenants;
mod types;
mod vars;

pub use files::{HclListing, hcl_files, hcl_listing, project_files};
pub use project::PROJECT_ATTRS;
pub use project::{
    monc_tag_key, monc_tag_key_warning, monc_written_keys, reserved_prefix, reserved_tag,
};
pub use references::{division_by_zero, quote_hint};
pub(crate) use templates::parse_reference;
pub use templates::{MONITOR_TYPES, PAGE_ATTRS, TEMPLATE_ATTRS, not_creatable_help};
pub use tenants::{CLUSTER_ATTRS, TENANT_ATTRS};

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use hcl::edit::structure::Body;

pub(crate) mod scan;

use crate::diagnostic::{Diagnostic, Diagnostics, FileId, Span};
use crate::eval::{self, base_context};
use crate::model::Model;
use files::{is_config_file, is_present, project_listing, refuse_both_layouts};

/// Where the configuration lives.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `monc.hcl`; missing is fine.
    pub project_file: PathBuf,
    /// A directory of `*.hcl` files or a single file.
    pub tenants: PathBuf,
    pub monitors: PathBuf,
    /// Texts read instead of the files on disk, by path: the unsaved buffers of `monc lsp`.
    pub overlay: Overlay,
}

/// File texts by path that take the place of what is on disk (empty for the CLI).
pub type Overlay = std::sync::Arc<HashMap<PathBuf, String>>;

impl LoadOptions {
    /// `DIR/tenants/` and `DIR/monitors/`, or `DIR/tenants.hcl` and `DIR/monitors.hcl` when
    /// a small project keeps each in one file.
    pub fn in_dir(root: &Path) -> LoadOptions {
        let dir_or_file = |name: &str| {
            let dir = root.join(name);
            let file = root.join(format!("{name}.hcl"));
            // Chosen by what is there, not by what can be read: an unreadable tenants.hcl is
            // reported as such, not as a missing tenants/ directory.
            if !is_present(&dir) && is_present(&file) {
                file
            } else {
                dir
            }
        };
        LoadOptions {
            project_file: root.join("monc.hcl"),
            tenants: dir_or_file("tenants"),
            monitors: dir_or_file("monitors"),
            overlay: Overlay::default(),
        }
    }
}

/// A file or directory that could not be read at all (as opposed to a mistake inside a file).
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub message: String,
    pub help: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for LoadError {}

/// Reads and checks the structure of every configuration file.
pub fn load(options: &LoadOptions) -> Result<(Model, Diagnostics), LoadError> {
    refuse_both_layouts(&options.tenants, "tenants")?;
    refuse_both_layouts(&options.monitors, "monitors")?;
    let mut loader = Loader {
        overlay: options.overlay.clone(),
        ..Loader::default()
    };
    loader.model.root = match options.project_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    loader.ctx = eval::base_context_in(&loader.model.root);
    // monc.hcl is optional, but only when nothing is there: a dangling link would otherwise
    // fall back to the default ownership tags.
    let project = if is_present(&options.project_file) && is_config_file(&options.project_file)? {
        loader.read(&options.project_file)?
    } else {
        None
    };
    let mut read_all = |path: &Path, what: &str| -> Result<Vec<Option<ParsedFile>>, LoadError> {
        let listing = project_listing(path, what)?;
        let mut files = Vec::new();
        for file in &listing.read {
            files.push(loader.read(file)?);
        }
        for entry in &listing.not_read {
            loader.warn_not_read(entry, what);
        }
        Ok(files)
    };
    let tenants = read_all(&options.tenants, "tenants")?;
    let monitors = read_all(&options.monitors, "monitors")?;
    // Locals of any file are usable in every file: read them all before anything else.
    let all: Vec<&ParsedFile> = project
        .iter()
        .chain(tenants.iter().flatten())
        .chain(monitors.iter().flatten())
        .collect();
    loader.load_locals(&all);
    // Declared vars are checked as each tenant is loaded: read them first.
    let declaring: Vec<&ParsedFile> = project.iter().chain(tenants.iter().flatten()).collect();
    loader.load_var_schemas(&declaring);
    loader.load_project_file(project);
    tenants
        .into_iter()
        .for_each(|f| loader.load_tenants_file(f));
    monitors
        .into_iter()
        .for_each(|f| loader.load_monitors_file(f));
    loader.check_tenant_clusters();
    Ok((loader.model, loader.diagnostics))
}

/// A parsed file: its id and body, or nothing if it had a syntax error (already reported).
pub(super) struct ParsedFile {
    pub(super) id: FileId,
    pub(super) body: Body,
}

pub(super) struct Loader {
    model: Model,
    diagnostics: Diagnostics,
    /// What expressions in the files see: the functions, and `local` once the locals are read.
    ctx: hcl::eval::Context<'static>,
    /// The first definition of every tenant, cluster and template name, by kind.
    defined: HashMap<(&'static str, String), Span>,
    /// What `for_each` expressions see: `ctx` with `tenants` and `clusters`, built when the
    /// first one is met.
    for_each_ctx: Option<hcl::eval::Context<'static>>,
    /// The vars declared for tenants and for clusters (`tenant_vars`, `cluster_vars`), by kind.
    var_schemas: HashMap<&'static str, Vec<vars::VarDecl>>,
    /// What `validation` conditions see: `ctx` with `var` rebound per tenant or cluster.
    validation_ctx: Option<hcl::eval::Context<'static>>,
    /// [`LoadOptions::overlay`].
    overlay: Overlay,
}

impl Default for Loader {
    fn default() -> Loader {
        Loader {
            model: Model::default(),
            diagnostics: Diagnostics::default(),
            ctx: base_context(),
            defined: HashMap::new(),
            for_each_ctx: None,
            var_schemas: HashMap::new(),
            validation_ctx: None,
            overlay: Overlay::default(),
        }
    }
}

impl Loader {
    pub(super) fn span(&self, file: FileId, range: Option<std::ops::Range<usize>>) -> Span {
        Span::new(file, range.unwrap_or(0..0))
    }

    pub(super) fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}
