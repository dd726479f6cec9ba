//! Reading `monc.hcl`, `tenants/` and `monitors/` into the [`Model`], keeping the span of everything.

mod locals;
mod references;

pub use references::{division_by_zero, quote_hint};

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression as EditExpr, TraversalOperator};
use hcl::edit::structure::{Attribute, Block, Body, Structure};

pub(crate) mod scan;

use crate::datadog::Site;
use crate::diagnostic::{
    Code, Diagnostic, Diagnostics, FileId, Span, Spanned, did_you_mean, join_help, suggestion_help,
};
use crate::english::plural;
use crate::eval::{self, base_context, describe_value};
use crate::model::{
    COMPOSITE_TYPE, Cluster, FanOut, Field, Model, Move, MoveEnd, PROJECT_TAG_KEY, Project,
    Reference, Template, Tenant, check_name, check_tag,
};
use references::scan;

/// Where the configuration lives.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `monc.hcl`; missing is fine.
    pub project_file: PathBuf,
    /// A directory of `*.hcl` files or a single file.
    pub tenants: PathBuf,
    pub monitors: PathBuf,
}

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

/// The Datadog monitor types monc can create (the API spec's `MonitorType` list, plus
/// `data-jobs alert`, which recorded traffic shows accepted, less `synthetics alert`: see
/// `not_creatable_help`); others are reported with a suggestion.
pub const MONITOR_TYPES: &[&str] = &[
    "metric alert",
    "query alert",
    "composite",
    "service check",
    "event alert",
    "event-v2 alert",
    "log alert",
    "process alert",
    "rum alert",
    "trace-analytics alert",
    "slo alert",
    "audit alert",
    "ci-pipelines alert",
    "ci-tests alert",
    "error-tracking alert",
    "database-monitoring alert",
    "network-performance alert",
    "cost alert",
    "data-quality alert",
    "llm-observability alert",
    "data-jobs alert",
    "network-path alert",
];

/// Types Datadog reads and lists, but creates only through another API: monc writes monitors
/// with `POST /api/v1/monitor`, so a template of one of these could never be synced.
/// Documented: "Synthetic monitors are created through the Synthetics API" (the Monitor API's
/// "Create a monitor", Notes).
pub fn not_creatable_help(monitor_type: &str) -> Option<&'static str> {
    match monitor_type {
        "synthetics alert" => Some(
            "Datadog creates a Synthetic test's monitor with the test (Synthetics API or the \
             Synthetic Monitoring pages), and the Monitor API refuses to create one; configure \
             its alerting in the test, or alert on the test's results with a `query alert`",
        ),
        _ => None,
    }
}

const PROJECT_ATTRS: &[&str] = &[
    "project",
    "tiers",
    "owner_tag",
    "key_tag",
    "default_tags",
    "notify",
    "site",
];
const CLUSTER_ATTRS: &[&str] = &["region", "notify", "tags", "vars"];
const TENANT_ATTRS: &[&str] = &["cluster", "notify", "tags", "vars"];
const TEMPLATE_ATTRS: &[&str] = &[
    "tier",
    "for_each",
    "name",
    "type",
    "query",
    "message",
    "thresholds",
    "options",
    "tags",
    "priority",
    "notify",
    "suppressed_by",
    "ignore",
    "enabled",
    "composite",
    "raw",
];

/// Attributes of a `page` block: a monitor template without a query of its own, paging for
/// the monitors it names.
const PAGE_ATTRS: &[&str] = &[
    "tier", "for_each", "name", "message", "tags", "priority", "notify", "monitors", "ignore",
    "enabled",
];

/// Reads and checks the structure of every configuration file.
pub fn load(options: &LoadOptions) -> Result<(Model, Diagnostics), LoadError> {
    refuse_both_layouts(&options.tenants, "tenants")?;
    refuse_both_layouts(&options.monitors, "monitors")?;
    let mut loader = Loader::default();
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

/// How much of `tag` is monc's own, if any: the whole ownership tag, or `<key_tag>:` of a key
/// tag. monc writes both on every monitor itself; the same tags in the configuration make the
/// desired monitor differ from what monc writes back, so every sync rewrites it.
pub fn reserved_prefix(project: &Project, tag: &str) -> Option<usize> {
    if tag == project.owner_tag {
        return Some(tag.len());
    }
    // The project tag decides which project may write a monitor: only monc writes it.
    if is_project_tag(tag) {
        return Some(PROJECT_TAG_KEY.len() + usize::from(tag.len() > PROJECT_TAG_KEY.len()));
    }
    let rest = tag.strip_prefix(project.key_tag.as_str())?;
    if rest.starts_with(':') {
        Some(project.key_tag.len() + 1)
    } else if rest.is_empty() {
        Some(tag.len())
    } else {
        None
    }
}

/// `monc::reserved-tag` for a tag written in `default_tags` or a template's `tags`, if it is
/// one of monc's own (see [`reserved_prefix`]).
pub fn reserved_tag(project: &Project, tag: &str, span: Span) -> Option<Diagnostic> {
    reserved_prefix(project, tag)?;
    let (message, help) = if is_project_tag(tag) {
        (
            format!(
                "`{tag}` uses `{PROJECT_TAG_KEY}`, the tag that says which monc project wrote a monitor"
            ),
            format!(
                "remove it: monc writes `{PROJECT_TAG_KEY}:<name>` itself from `project` in \
                 monc.hcl; written by hand it could hand the monitor to another project"
            ),
        )
    } else if tag == project.owner_tag {
        (
            format!("`{tag}` is the ownership tag monc adds to every monitor it manages"),
            format!(
                "remove it: monc writes `{tag}` itself (`owner_tag` in monc.hcl); written by \
                 hand it makes every sync rewrite the monitors"
            ),
        )
    } else {
        let key_tag = &project.key_tag;
        (
            format!("`{tag}` uses `{key_tag}`, the tag under which monc stores each monitor's key"),
            format!(
                "remove it: monc tags every monitor with `{key_tag}:<its key>` itself (`key_tag` \
                 in monc.hcl); a second key tag makes every sync rewrite the monitors"
            ),
        )
    };
    Some(
        Diagnostic::error(Code::ReservedTag, span, message)
            .label("reserved for monc")
            .help(help),
    )
}

/// `monc-project` or `monc-project:<anything>`.
fn is_project_tag(tag: &str) -> bool {
    tag.strip_prefix(PROJECT_TAG_KEY)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
}

/// The tag keys monc writes values under itself, besides the reserved ownership and key tags:
/// `tier`, `tenant`, `cluster` and the owner tag's key (`managed-by` of `managed-by:monc`;
/// `monc-project` is reserved). The tag key of `tag` when it is one of them and `tag` is not
/// reserved.
pub fn monc_tag_key<'t>(project: &Project, tag: &'t str) -> Option<&'t str> {
    if reserved_prefix(project, tag).is_some() {
        return None; // monc::reserved-tag, an error
    }
    let key = tag.split_once(':').map_or(tag, |(key, _)| key);
    monc_written_keys(&project.owner_tag)
        .contains(&key)
        .then_some(key)
}

/// The tag keys monc writes values under itself: `tier`, `tenant`, `cluster` and the key of the
/// ownership tag `owner_tag` (`managed-by` of `managed-by:monc`).
pub fn monc_written_keys(owner_tag: &str) -> [&str; 4] {
    let owner_key = owner_tag.split_once(':').map_or(owner_tag, |(key, _)| key);
    ["tier", "tenant", "cluster", owner_key]
}

/// `monc::monc-tag-key` for `tag`, written under a key monc writes itself; `detail` says what
/// monc writes there (` (\`tier:l3\` on \`l3/errors/acme\`)`), or is empty.
pub fn monc_tag_key_warning(tag: &str, key: &str, detail: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        Code::MoncTagKey,
        span,
        format!("`{tag}` uses the tag key `{key}`, which monc writes itself{detail}"),
    )
    .label(format!("monc writes `{key}:` itself"))
    .help(format!(
        "the monitor would carry both, and a search by `{key}:` finds two values; rename this \
         tag's key (e.g. `severity`, `source`), or remove it"
    ))
}

/// Every configuration file of a project, in the order `load` reads them: `monc.hcl` (if
/// present), then the tenants' and the monitors' files.
pub fn project_files(options: &LoadOptions) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    if is_present(&options.project_file) && is_config_file(&options.project_file)? {
        files.push(options.project_file.clone());
    }
    files.extend(project_hcl_files(&options.tenants, "tenants")?);
    files.extend(project_hcl_files(&options.monitors, "monitors")?);
    Ok(files)
}

/// `tenants/` beside `tenants.hcl`: monc would read the directory and silently ignore the
/// file, and the tenants in it would look deleted.
fn refuse_both_layouts(dir: &Path, what: &str) -> Result<(), LoadError> {
    let file = dir.with_extension("hcl");
    if !(dir.is_dir() && is_present(&file)) {
        return Ok(());
    }
    Err(LoadError {
        path: file.clone(),
        message: format!(
            "both `{}` and `{}` exist; monc reads {what} from one place",
            dir.display(),
            file.display()
        ),
        help: format!(
            "move what `{}` holds into a file in `{}/` (any name ending in .hcl), or remove the directory to keep the single-file layout",
            file.display(),
            dir.display()
        ),
    })
}

/// [`hcl_files`] of the project's `tenants` or `monitors`.
fn project_hcl_files(path: &Path, what: &str) -> Result<Vec<PathBuf>, LoadError> {
    project_listing(path, what).map(|listing| listing.read)
}

/// [`hcl_listing`] of the project's `tenants` or `monitors`.
fn project_listing(path: &Path, what: &str) -> Result<HclListing, LoadError> {
    let help = format!(
        "run monc in a project directory that has `{what}/` (or point at one with `-C DIR`), start a project with `monc init`, or pass --{what} PATH"
    );
    hcl_listing(path, what, &help)
}

/// What a directory of configuration files holds, from one listing of it.
#[derive(Debug, Default)]
pub struct HclListing {
    /// The `*.hcl` files directly in it, in name order: what monc reads.
    pub read: Vec<PathBuf>,
    /// Everything else in it (other names, subdirectories), in name order, except names
    /// starting with `.`: monc skips these, and says so, since definitions in them would
    /// silently be missing.
    pub not_read: Vec<PathBuf>,
}

/// `*.hcl` files of a directory in name order, or the path itself if it is not a directory;
/// `help` says what to do when the directory cannot be listed.
pub fn hcl_files(path: &Path, what: &str, help: &str) -> Result<Vec<PathBuf>, LoadError> {
    hcl_listing(path, what, help).map(|listing| listing.read)
}

/// [`hcl_files`], with the entries of the directory that are not read.
pub fn hcl_listing(path: &Path, what: &str, help: &str) -> Result<HclListing, LoadError> {
    if is_present(path) && !path.is_dir() {
        is_config_file(path)?;
        return Ok(HclListing {
            read: vec![path.to_path_buf()],
            not_read: Vec::new(),
        });
    }
    let unlistable = |e: std::io::Error| LoadError {
        path: path.to_path_buf(),
        message: format!("cannot read the {what} directory: {e}"),
        help: help.to_string(),
    };
    let mut listing = HclListing::default();
    for entry in std::fs::read_dir(path).map_err(unlistable)? {
        let entry = entry.map_err(unlistable)?.path();
        if entry.extension().is_some_and(|ext| ext == "hcl") && is_config_file(&entry)? {
            listing.read.push(entry);
        } else if !is_dotfile(&entry) {
            listing.not_read.push(entry);
        }
    }
    listing.read.sort();
    listing.not_read.sort();
    Ok(listing)
}

/// `.git`, `.x.hcl.swp`, `.DS_Store`: hidden on purpose, and left alone.
fn is_dotfile(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.as_encoded_bytes().starts_with(b"."))
}

/// Whether anything at all (even a dangling symbolic link) has this name.
fn is_present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether a configuration file found by name is to be read: a file, or a link to one. A
/// directory named `x.hcl` is skipped. Anything else (a dangling or looping link, a path that
/// may not be searched, a device) is an error, never an absent file: the monitors it defines
/// would look deleted, and `sync --prune` would delete them.
fn is_config_file(path: &Path) -> Result<bool, LoadError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(false),
        Ok(meta) if meta.is_file() => Ok(true),
        Ok(_) => Err(unreadable_file(path, "not a regular file".into())),
        Err(error) => Err(unreadable_file(path, unresolvable(path, &error))),
    }
}

/// Why `path` cannot be opened, naming the link target when it is a symbolic link.
fn unresolvable(path: &Path, error: &std::io::Error) -> String {
    match std::fs::read_link(path) {
        Ok(target) => format!(
            "it is a symbolic link to `{}` that cannot be followed: {error}",
            target.display()
        ),
        Err(_) => error.to_string(),
    }
}

fn unreadable_file(path: &Path, why: String) -> LoadError {
    LoadError {
        path: path.to_path_buf(),
        message: format!("cannot read this configuration file: {why}"),
        help: "fix the link or remove the file: monc never treats an unreadable configuration \
               file as absent, since its monitors would look deleted"
            .into(),
    }
}

/// A parsed file: its id and body, or nothing if it had a syntax error (already reported).
struct ParsedFile {
    id: FileId,
    body: Body,
}

struct Loader {
    model: Model,
    diagnostics: Diagnostics,
    /// What expressions in the files see: the functions, and `local` once the locals are read.
    ctx: hcl::eval::Context<'static>,
    /// The first definition of every tenant, cluster and template name, by kind.
    defined: HashMap<(&'static str, String), Span>,
}

impl Default for Loader {
    fn default() -> Loader {
        Loader {
            model: Model::default(),
            diagnostics: Diagnostics::default(),
            ctx: base_context(),
            defined: HashMap::new(),
        }
    }
}

impl Loader {
    fn read(&mut self, path: &Path) -> Result<Option<ParsedFile>, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            path: path.to_path_buf(),
            message: format!("cannot read file: {e}"),
            help: "check the path and that the file is UTF-8 text".into(),
        })?;
        // Editors on Windows may start a file with a UTF-8 byte-order mark; HCL does not allow
        // one, and it means nothing in UTF-8.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        let parsed = hcl::edit::parser::parse_body(&text);
        let id = self.model.sources.add(path.to_path_buf(), text);
        match parsed {
            Ok(body) => {
                self.warn_swallowed_blocks(id);
                Ok(Some(ParsedFile { id, body }))
            }
            Err(error) => {
                self.report_syntax_error(id, &error);
                self.model.has_unparsed_files = true;
                Ok(None)
            }
        }
    }

    fn report_syntax_error(&mut self, file: FileId, error: &hcl::edit::parser::Error) {
        let text = &self.model.sources.file(file).text;
        let offset = error.location().offset();
        let diagnostic = match scan::first_mistake(text) {
            // The scan names mistakes at their start; the parser, where it gave up. A finding
            // after the parser's position is not the mistake the parser met.
            Some(finding) if finding_start(&finding) <= offset => located_mistake(file, finding),
            _ => {
                let start = char_start(text, offset);
                let end = next_char_end(text, start);
                let message = error.message().trim().to_string();
                Diagnostic::error(
                    Code::Syntax,
                    Span::new(file, start..end),
                    format!("HCL syntax error: {message}"),
                )
                .label("here")
                .help("check for a missing quote, bracket, `=` or newline before this point")
            }
        };
        self.diagnostics.push(diagnostic);
    }

    /// A heredoc that runs on through a block header parses, and the block is silently part of
    /// its text: warn at the heredoc.
    fn warn_swallowed_blocks(&mut self, file: FileId) {
        let text = &self.model.sources.file(file).text;
        let found = scan::swallowed_blocks(text, &["monitor", "tenant", "cluster"]);
        for swallowed in found {
            let header = text[swallowed.header.clone()].to_string();
            let marker = &swallowed.marker;
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::SwallowedBlock,
                    Span::new(file, swallowed.opener),
                    format!("this heredoc runs on through `{header}`: that block is part of its text, not a block"),
                )
                .label(format!("heredoc ends only at a later line holding just `{marker}`"))
                .related("read as text", Span::new(file, swallowed.header))
                .help(format!("end the heredoc with a line holding only `{marker}` before the block (is its closing marker misspelt?)")),
            );
        }
    }

    /// `monc::file-not-read` for an entry of the `what` directory that is not read. It gets
    /// an empty text in the source map: diagnostics point into a file, and this one's content
    /// is not monc's to read (it may be a directory, or anything at all).
    fn warn_not_read(&mut self, entry: &Path, what: &str) {
        // Escaped: a newline in a file name must not forge a line of the report.
        let name = entry
            .file_name()
            .map(|name| crate::escape::line(&name.to_string_lossy()).into_owned())
            .unwrap_or_default();
        let (name, why) = if entry.is_dir() {
            (format!("{name}/"), "monc does not look into subdirectories")
        } else if Path::new(&name)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("hcl"))
        {
            (
                name,
                "monc reads only names ending in `.hcl`, in lower case",
            )
        } else {
            (name, "monc reads only names ending in `.hcl`")
        };
        let id = self.model.sources.add(entry.to_path_buf(), String::new());
        self.diagnostics.push(
            Diagnostic::warning(
                Code::FileNotRead,
                Span::new(id, 0..0),
                format!("`{name}` is not read: {why}"),
            )
            .label("not read")
            .help(format!(
                "monc reads the `*.hcl` files directly in the {what} directory, in name order, \
                 and leaves names starting with `.` alone: rename or move `{name}` if it is \
                 meant to be read, or move it out of the directory"
            )),
        );
    }

    fn span(&self, file: FileId, range: Option<std::ops::Range<usize>>) -> Span {
        Span::new(file, range.unwrap_or(0..0))
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    // ---- monc.hcl ----

    fn load_project_file(&mut self, file: Option<ParsedFile>) {
        let Some(ParsedFile { id, body }) = file else {
            return;
        };
        self.reject_blocks(
            id,
            &body,
            "monc.hcl",
            "project settings are plain attributes (and `locals { ... }` blocks)",
        );
        let mut project = Project::default();
        for attr in body.attributes() {
            if !self.check_known(id, attr, PROJECT_ATTRS, "monc.hcl") {
                continue;
            }
            match attr.key.as_str() {
                "project" => {
                    let name = self.static_string(id, attr);
                    // Written as the tag `monc-project:<name>`: it must make a valid tag.
                    self.check_ownership_tag(id, attr, name.as_deref(), "project", |n| {
                        format!("{PROJECT_TAG_KEY}:{n}")
                    });
                    project.name = name;
                }
                "tiers" => {
                    if let Some(tiers) = self.static_strings(id, attr) {
                        project.tiers = tiers;
                    }
                }
                "owner_tag" => {
                    let tag = self.static_string(id, attr);
                    self.check_ownership_tag(id, attr, tag.as_deref(), "owner_tag", |t| {
                        t.to_string()
                    });
                    set_some(&mut project.owner_tag, tag)
                }
                "key_tag" => {
                    let key = self.static_string(id, attr);
                    // A tag key: `<key_tag>:<monitor key>` must be a valid tag, so no `:` in it.
                    self.check_ownership_tag(id, attr, key.as_deref(), "key_tag", |k| {
                        if k.contains(':') {
                            format!("{k}!")
                        } else {
                            format!("{k}:x")
                        }
                    });
                    set_some(&mut project.key_tag, key)
                }
                "default_tags" => {
                    set_some(&mut project.default_tags, self.static_strings(id, attr))
                }
                "notify" => set_some(&mut project.notify, self.static_strings(id, attr)),
                "site" => {
                    let site = self.static_string(id, attr);
                    self.check_site(id, attr, site.as_deref());
                    project.site = site;
                }
                _ => {}
            }
        }
        // After the loop: owner_tag and key_tag may come after default_tags in the file.
        if let Some(attr) = body.attributes().find(|a| a.key.as_str() == "default_tags") {
            self.check_reserved_default_tags(id, attr, &project);
        }
        self.model.project = project;
    }

    /// `site` decides where the keys go: only a site Datadog publishes (see
    /// [`Site::known`]), never a host of the user's choosing (`--api-url` is for that).
    fn check_site(&mut self, id: FileId, attr: &Attribute, value: Option<&str>) {
        let Some(value) = value else {
            return;
        };
        if Site::parse(value).is_ok() {
            return;
        }
        let known = Site::known().join(", ");
        let help = match did_you_mean(value, Site::known().iter().copied()) {
            Some(best) => format!("did you mean `{best}`? The Datadog sites are {known}"),
            None => format!("the Datadog sites are {known}; for another API, pass --api-url"),
        };
        let span = self.string_literal_span(id, attr, value);
        self.error(
            Diagnostic::error(
                Code::UnknownSite,
                span,
                format!("unknown Datadog site {value:?}"),
            )
            .label("not a Datadog site")
            .help(help),
        );
    }

    /// `owner_tag` and `key_tag` end up on every monitor: they must make valid Datadog tags,
    /// as anything in `default_tags` must.
    fn check_ownership_tag(
        &mut self,
        id: FileId,
        attr: &Attribute,
        value: Option<&str>,
        what: &str,
        as_tag: impl Fn(&str) -> String,
    ) {
        let Some(value) = value else {
            return;
        };
        let problem = match check_tag(&as_tag(value)) {
            Err(_) if what == "key_tag" && value.contains(':') => {
                "it must be a tag key, without `:`".to_string()
            }
            Err(problem) => problem,
            Ok(()) => return,
        };
        let span = self.span(id, attr.value.span());
        self.error(
            Diagnostic::error(Code::InvalidTag, span, format!("invalid `{what}` {value:?}: {problem}"))
                .label("not a valid Datadog tag")
                .help("Datadog tags start with a letter, are at most 200 characters, and use letters, digits, `_ - : . /`"),
        );
    }

    fn check_reserved_default_tags(&mut self, id: FileId, attr: &Attribute, project: &Project) {
        for tag in &project.default_tags {
            let span = self.string_literal_span(id, attr, tag);
            if let Some(diagnostic) = reserved_tag(project, tag, span.clone()) {
                self.error(diagnostic);
            } else if let Some(key) = monc_tag_key(project, tag) {
                self.error(monc_tag_key_warning(tag, key, "", span));
            }
        }
    }

    /// The span of `"value"` inside the attribute's value when it appears there once, without
    /// its quotes; else the whole value.
    fn string_literal_span(&self, id: FileId, attr: &Attribute, value: &str) -> Span {
        let whole = self.span(id, attr.value.span());
        let source = self.model.sources.text(&whole);
        let quoted = format!("\"{value}\"");
        match source.find(&quoted) {
            Some(offset) if source.matches(&quoted).count() == 1 => {
                let start = whole.range.start + offset + 1;
                Span::new(id, start..start + value.len())
            }
            _ => whole,
        }
    }

    // ---- tenants/ ----

    fn load_tenants_file(&mut self, file: Option<ParsedFile>) {
        let Some(ParsedFile { id, body }) = file else {
            return;
        };
        for structure in body.iter() {
            match structure {
                Structure::Block(block) if block.ident.as_str() == "cluster" => {
                    self.load_cluster(id, block)
                }
                Structure::Block(block) if block.ident.as_str() == "tenant" => {
                    self.load_tenant(id, block)
                }
                Structure::Block(block) if block.ident.as_str() == "locals" => {}
                Structure::Block(block) => self.unknown_block(
                    id,
                    block,
                    &["cluster", "tenant", "locals"],
                    "a tenants file",
                ),
                Structure::Attribute(attr) => self.error(
                    Diagnostic::error(
                        Code::UnknownAttribute,
                        self.span(id, attr.key.span()),
                        format!("unexpected attribute `{}` at the top of a tenants file", attr.key.as_str()),
                    )
                    .label("not inside a block")
                    .help("tenants files hold `cluster \"name\" { ... }` and `tenant \"name\" { ... }` blocks"),
                ),
            }
        }
    }

    fn load_cluster(&mut self, id: FileId, block: &Block) {
        let Some(name) = self.block_name(id, block, "cluster") else {
            return;
        };
        let mut object = self.block_object(id, block, CLUSTER_ATTRS, "cluster");
        let notify = strings_in(object.get("notify"));
        object.insert("name".into(), name.value.clone().into());
        if self.is_duplicate(&name, "cluster") {
            return;
        }
        self.model.clusters.push(Cluster {
            name,
            value: hcl::Value::Object(object),
            notify,
        });
    }

    fn load_tenant(&mut self, id: FileId, block: &Block) {
        let Some(name) = self.block_name(id, block, "tenant") else {
            return;
        };
        let mut object = self.block_object(id, block, TENANT_ATTRS, "tenant");
        let Some(cluster) = self.required_static_string(id, block, "cluster", "tenant") else {
            return;
        };
        let notify = strings_in(object.get("notify"));
        object.insert("name".into(), name.value.clone().into());
        if self.is_duplicate(&name, "tenant") {
            return;
        }
        self.model.tenants.push(Tenant {
            name,
            cluster,
            value: hcl::Value::Object(object),
            notify,
        });
    }

    /// Evaluates every attribute of a cluster/tenant block into one object.
    fn block_object(
        &mut self,
        id: FileId,
        block: &Block,
        allowed: &[&str],
        what: &str,
    ) -> hcl::Map<String, hcl::Value> {
        self.reject_blocks(
            id,
            &block.body,
            what,
            "use attributes such as `vars = { ... }`",
        );
        let mut object = hcl::Map::new();
        for attr in block.body.attributes() {
            if !self.check_known(id, attr, allowed, what) {
                continue;
            }
            if let Some(value) = self.static_value(id, attr)
                && self.check_shape(id, attr, &value)
            {
                object.insert(attr.key.as_str().to_string(), value);
            }
        }
        for key in ["notify", "tags"] {
            object
                .entry(key.to_string())
                .or_insert_with(|| hcl::Value::Array(vec![]));
        }
        object
            .entry("vars".to_string())
            .or_insert_with(|| hcl::Value::Object(hcl::Map::new()));
        object
    }

    /// `notify` and `tags` are lists of strings, `vars` an object, the rest strings.
    fn check_shape(&mut self, id: FileId, attr: &Attribute, value: &hcl::Value) -> bool {
        let expected = match attr.key.as_str() {
            "notify" | "tags" => ValueShape::StringList,
            "vars" => ValueShape::Object,
            _ => ValueShape::String,
        };
        if expected.matches(value) {
            return true;
        }
        self.wrong_type(id, attr, expected.describe(), value);
        false
    }

    fn check_tenant_clusters(&mut self) {
        let names: Vec<String> = self
            .model
            .clusters
            .iter()
            .map(|c| c.name.value.clone())
            .collect();
        let unknown: Vec<Spanned<String>> = self
            .model
            .tenants
            .iter()
            .filter(|t| !names.contains(&t.cluster.value))
            .map(|t| t.cluster.clone())
            .collect();
        for cluster in unknown {
            let help = join_help(
                suggestion_help(&cluster.value, "cluster", names.iter().map(String::as_str)),
                "clusters are declared with `cluster \"name\" { ... }` in tenants/",
            );
            self.error(
                Diagnostic::error(
                    Code::UnknownCluster,
                    cluster.span,
                    format!("tenant refers to unknown cluster `{}`", cluster.value),
                )
                .label("no cluster with this name")
                .help(help),
            );
        }
    }

    // ---- monitors/ ----

    fn load_monitors_file(&mut self, file: Option<ParsedFile>) {
        let Some(ParsedFile { id, body }) = file else {
            return;
        };
        for structure in body.iter() {
            match structure {
                Structure::Block(block) if matches!(block.ident.as_str(), "monitor" | "page") => {
                    match self.load_template(id, block) {
                        Some(template) => {
                            if !self.is_duplicate(&template.name, "monitor") {
                                self.model.templates.push(template);
                            }
                        }
                        None => {
                            let names = block.labels.iter().map(|l| l.as_str().to_string());
                            self.model.templates_in_error.extend(names);
                        }
                    }
                }
                Structure::Block(block) if block.ident.as_str() == "moved" => {
                    if let Some(moved) = self.load_move(id, block) {
                        self.model.moves.push(moved);
                    }
                }
                Structure::Block(block) if block.ident.as_str() == "locals" => {}
                Structure::Block(block) => self.unknown_block(
                    id,
                    block,
                    &["monitor", "page", "moved", "locals"],
                    "a monitors file",
                ),
                Structure::Attribute(attr) => self.error(
                    Diagnostic::error(
                        Code::UnknownAttribute,
                        self.span(id, attr.key.span()),
                        format!(
                            "unexpected attribute `{}` at the top of a monitors file",
                            attr.key.as_str()
                        ),
                    )
                    .label("not inside a block")
                    .help("monitors files hold `monitor \"name\" { ... }` blocks"),
                ),
            }
        }
    }

    fn load_template(&mut self, id: FileId, block: &Block) -> Option<Template> {
        let is_page = block.ident.as_str() == "page";
        let what = if is_page { "page" } else { "monitor" };
        let name = self.block_name(id, block, what)?;
        self.reject_blocks(
            id,
            &block.body,
            what,
            "use attributes such as `options = { ... }`",
        );
        let known = if is_page { PAGE_ATTRS } else { TEMPLATE_ATTRS };
        let attrs: HashMap<&str, &Attribute> = block
            .body
            .attributes()
            .filter(|a| self.check_known(id, a, known, what))
            .map(|a| (a.key.as_str(), a))
            .collect();
        let required: &[&str] = if is_page {
            &["tier", "name", "monitors"]
        } else {
            &["tier", "name", "type", "query"]
        };
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|k| !attrs.contains_key(k))
            .collect();
        if !missing.is_empty() {
            self.missing_attributes(id, block, &missing, what);
            return None;
        }
        let tier = self.tier(id, attrs["tier"])?;
        let fan_out = self.fan_out(id, attrs.get("for_each").copied(), block)?;
        let monitor_type = match attrs.get("type") {
            Some(attr) => self.monitor_type(id, attr)?,
            None => Spanned {
                value: COMPOSITE_TYPE.to_string(),
                span: self.span(id, block.ident.span()),
            },
        };
        let fields: HashMap<&str, Field> = attrs
            .iter()
            .filter(|(key, _)| {
                !matches!(
                    **key,
                    "suppressed_by" | "ignore" | "tier" | "for_each" | "type" | "monitors"
                )
            })
            .map(|(key, attr)| (*key, field_of(id, attr)))
            .collect();
        let uses: Vec<Spanned<String>> = fields.values().flat_map(|f| f.locals.clone()).collect();
        self.check_locals(&uses);
        let field = |key: &str| fields.get(key).cloned();
        let (suppressed_by, suppressed_by_span) = match attrs.get("suppressed_by") {
            Some(attr) => (
                self.references(id, attr)?,
                Some(self.span(id, attr.value.span())),
            ),
            None => (Vec::new(), None),
        };
        let (pages_for, pages_for_span) = match attrs.get("monitors") {
            Some(attr) => (
                self.references(id, attr)?,
                Some(self.span(id, attr.value.span())),
            ),
            None => (Vec::new(), None),
        };
        // A page has no query of its own: monc builds it from `monitors`.
        let query = match attrs.get("monitors") {
            Some(attr) => Field {
                expr: hcl::Expression::String(String::new()),
                is_literal: false,
                calls: Vec::new(),
                locals: Vec::new(),
                divisions: Vec::new(),
                prepared: std::sync::Arc::new(eval::Prepared::new(hcl::Expression::String(
                    String::new(),
                ))),
                ..field_of(id, attr)
            },
            None => field("query")?,
        };
        Some(Template {
            name,
            tier,
            fan_out,
            monitor_type,
            display_name: field("name")?,
            query,
            message: field("message"),
            thresholds: field("thresholds"),
            options: field("options"),
            tags: field("tags"),
            priority: field("priority"),
            notify: field("notify"),
            enabled: field("enabled"),
            composite_text: field("composite"),
            raw_text: field("raw"),
            suppressed_by,
            suppressed_by_span,
            pages_for,
            pages_for_span,
            ignore: self.ignored_codes(id, attrs.get("ignore").copied()),
            span: self.span(id, block.span()),
        })
    }

    /// `moved { from = monitor.old  to = monitor.new }`, Terraform's syntax for a rename; either
    /// side may name one instance (`monitor.old["acme"]`). What it may move is checked later
    /// ([`crate::moved::check`]), against the whole configuration.
    fn load_move(&mut self, id: FileId, block: &Block) -> Option<Move> {
        let what = "moved block";
        self.reject_blocks(
            id,
            &block.body,
            what,
            "write `from = monitor.old` and `to = monitor.new`",
        );
        if let Some(label) = block.labels.first() {
            self.error(
                Diagnostic::error(
                    Code::BlockName,
                    self.span(id, label.span()),
                    "a `moved` block has no name",
                )
                .label("remove this label")
                .help("write `moved { from = monitor.old  to = monitor.new }`"),
            );
        }
        let attrs: HashMap<&str, &Attribute> = block
            .body
            .attributes()
            .filter(|a| self.check_known(id, a, &["from", "to"], what))
            .map(|a| (a.key.as_str(), a))
            .collect();
        let missing: Vec<&str> = ["from", "to"]
            .into_iter()
            .filter(|k| !attrs.contains_key(k))
            .collect();
        if !missing.is_empty() {
            self.missing_attributes(id, block, &missing, what);
            return None;
        }
        let from = self.move_end(id, attrs["from"]);
        let to = self.move_end(id, attrs["to"]);
        Some(Move {
            from: from?,
            to: to?,
            span: self.span(id, block.span()),
        })
    }

    /// `monitor.<name>` or `monitor.<name>["<tenant or cluster>"]`: a literal instance, since a
    /// `moved` block names monitors that exist now, not an expression per instance.
    fn move_end(&mut self, id: FileId, attr: &Attribute) -> Option<MoveEnd> {
        let span = self.span(id, attr.value.span());
        let Some((name, name_span, index)) = parse_reference(&attr.value) else {
            self.error(
                Diagnostic::error(Code::BadReference, span, "not a monitor reference")
                    .label("expected `monitor.<name>` or `monitor.<name>[\"<instance>\"]`")
                    .help(format!(
                        "write `{} = monitor.<name>`, or `monitor.<name>[\"<tenant or cluster>\"]` for one tenant's (or cluster's) monitor",
                        attr.key.as_str()
                    )),
            );
            return None;
        };
        let instance = match index {
            None => None,
            Some(EditExpr::String(instance)) => Some(Spanned {
                value: instance.value().to_string(),
                span: self.span(id, instance.span()),
            }),
            Some(other) => {
                self.error(
                    Diagnostic::error(
                        Code::WrongType,
                        self.span(id, other.span()),
                        "the instance of a moved monitor must be a quoted tenant or cluster name",
                    )
                    .label("not a string literal")
                    .help("write the name itself, e.g. `monitor.<name>[\"<tenant or cluster>\"]`"),
                );
                return None;
            }
        };
        Some(MoveEnd {
            template: Spanned {
                value: name,
                span: self.span(id, Some(name_span)),
            },
            instance,
            span,
        })
    }

    /// `ignore = ["monc::no-data-suppressor", ...]`. An entry that names no code, or a code that
    /// cannot be ignored, is reported and left out; the template itself is fine.
    fn ignored_codes(&mut self, id: FileId, attr: Option<&Attribute>) -> Vec<Spanned<Code>> {
        let Some(attr) = attr else {
            return Vec::new();
        };
        let EditExpr::Array(items) = &attr.value else {
            self.error(
                Diagnostic::error(
                    Code::WrongType,
                    self.span(id, attr.value.span()),
                    "`ignore` must be a list of diagnostic codes",
                )
                .label("expected a list")
                .help("write e.g. `ignore = [\"monc::no-data-suppressor\"]`"),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.ignored_code(id, item))
            .collect()
    }

    fn ignored_code(&mut self, id: FileId, item: &EditExpr) -> Option<Spanned<Code>> {
        let span = self.span(id, item.span());
        let EditExpr::String(text) = item else {
            self.error(
                Diagnostic::error(
                    Code::WrongType,
                    span,
                    "an `ignore` entry must be a quoted code",
                )
                .label("expected a string")
                .help("write the code as monc reports it, e.g. `\"monc::duplicate-name\"`"),
            );
            return None;
        };
        let text = text.value().as_str();
        match Code::parse(text) {
            Some(code) if code.can_be_ignored() => Some(Spanned { value: code, span }),
            Some(code) => {
                self.error(cannot_be_ignored(code, span));
                None
            }
            None => {
                self.error(unknown_code(text, span));
                None
            }
        }
    }

    fn tier(&mut self, id: FileId, attr: &Attribute) -> Option<Spanned<usize>> {
        let tier = self.static_string(id, attr)?;
        let span = self.span(id, attr.value.span());
        let tiers = &self.model.project.tiers;
        match tiers.iter().position(|t| *t == tier) {
            Some(index) => Some(Spanned { value: index, span }),
            None => {
                let help = join_help(
                    suggestion_help(&tier, "tier", tiers.iter().map(String::as_str)),
                    &format!(
                        "tiers are listed, lowest first, in `tiers` of monc.hcl (now: {})",
                        tiers.join(", ")
                    ),
                );
                self.error(
                    Diagnostic::error(Code::UnknownTier, span, format!("unknown tier `{tier}`"))
                        .label("not a declared tier")
                        .help(help),
                );
                None
            }
        }
    }

    fn fan_out(
        &mut self,
        id: FileId,
        attr: Option<&Attribute>,
        block: &Block,
    ) -> Option<Spanned<FanOut>> {
        let Some(attr) = attr else {
            let span = self.span(id, block.ident.span());
            return Some(Spanned {
                value: FanOut::Once,
                span,
            });
        };
        let span = self.span(id, attr.value.span());
        let word = match &attr.value {
            EditExpr::Variable(ident) => Some(ident.as_str().to_string()),
            EditExpr::String(s) => Some(s.value().clone()),
            _ => None,
        };
        let fan_out = match word.as_deref() {
            Some("tenants") => FanOut::PerTenant,
            Some("clusters") => FanOut::PerCluster,
            other => {
                let help = match other.and_then(|w| did_you_mean(w, ["tenants", "clusters"])) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "write `for_each = tenants` (one monitor per tenant) or `for_each = clusters` (one per cluster); leave it out for a single monitor".into(),
                };
                self.error(
                    Diagnostic::error(
                        Code::InvalidForEach,
                        span,
                        "`for_each` must be `tenants` or `clusters`",
                    )
                    .label("unknown fan-out")
                    .help(help),
                );
                return None;
            }
        };
        Some(Spanned {
            value: fan_out,
            span,
        })
    }

    fn monitor_type(&mut self, id: FileId, attr: &Attribute) -> Option<Spanned<String>> {
        let value = self.static_string(id, attr)?;
        let span = self.span(id, attr.value.span());
        if let Some(help) = not_creatable_help(&value) {
            self.error(
                Diagnostic::error(
                    Code::UnknownType,
                    span,
                    format!("a `{value}` monitor cannot be created through the Monitor API"),
                )
                .label("not a type monc can create")
                .help(help),
            );
            return None;
        }
        if MONITOR_TYPES.contains(&value.as_str()) {
            return Some(Spanned { value, span });
        }
        let help = match did_you_mean(&value, MONITOR_TYPES.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => "common types: \"metric alert\", \"query alert\", \"service check\", \"log alert\", \"composite\"".into(),
        };
        self.error(
            Diagnostic::error(
                Code::UnknownType,
                span,
                format!("unknown monitor type `{value}`"),
            )
            .label("not a Datadog monitor type")
            .help(help),
        );
        None
    }

    /// `suppressed_by = [monitor.a, monitor.b[tenant.cluster]]`
    fn references(&mut self, id: FileId, attr: &Attribute) -> Option<Vec<Reference>> {
        let EditExpr::Array(items) = &attr.value else {
            let span = self.span(id, attr.value.span());
            self.error(
                Diagnostic::error(Code::WrongType, span, "`suppressed_by` must be a list of monitor references")
                    .label("expected a list")
                    .help("write a list, e.g. `suppressed_by = [monitor.<name>, monitor.<name>[tenant.cluster]]`"),
            );
            return None;
        };
        let references: Vec<Option<Reference>> =
            items.iter().map(|item| self.reference(id, item)).collect();
        references.into_iter().collect()
    }

    fn reference(&mut self, id: FileId, expr: &EditExpr) -> Option<Reference> {
        let span = self.span(id, expr.span());
        let parsed = parse_reference(expr);
        match parsed {
            Some((name, name_span, index)) => {
                let index = index.map(|e| field_of_expr(id, e));
                if let Some(index) = &index {
                    self.check_locals(&index.locals);
                }
                Some(Reference {
                    template: Spanned {
                        value: name,
                        span: self.span(id, Some(name_span)),
                    },
                    index,
                    span,
                })
            }
            None => {
                self.error(
                    Diagnostic::error(Code::BadReference, span, "not a monitor reference")
                        .label("expected `monitor.<name>` or `monitor.<name>[<index>]`")
                        .help("refer to another monitor template by name, `monitor.<name>`, or to one instance of it, e.g. `monitor.<name>[tenant.cluster]`"),
                );
                None
            }
        }
    }

    // ---- shared helpers ----

    fn block_name(&mut self, id: FileId, block: &Block, what: &str) -> Option<Spanned<String>> {
        let span = self.span(id, block.ident.span());
        let [label] = block.labels.as_slice() else {
            self.error(
                Diagnostic::error(
                    Code::BlockName,
                    span,
                    format!("a `{what}` block needs exactly one name"),
                )
                .label("name missing or repeated")
                .help(format!("write `{what} \"some-name\" {{ ... }}`")),
            );
            return None;
        };
        let name = label.as_str().to_string();
        let name_span = self.span(id, label.span());
        if let Err(problem) = check_name(&name) {
            self.error(
                Diagnostic::error(
                    Code::InvalidName,
                    name_span,
                    format!("invalid {what} name `{name}`: {problem}"),
                )
                .label("becomes part of monitor keys and tags")
                .help(
                    "use lowercase letters, digits, `-` and `_`, starting with a letter or digit",
                ),
            );
            return None;
        }
        Some(Spanned {
            value: name,
            span: name_span,
        })
    }

    /// Whether a `what` of this name was defined before (reported); a lookup, not a scan, so
    /// that loading stays linear in tenants.
    fn is_duplicate(&mut self, name: &Spanned<String>, what: &'static str) -> bool {
        let first = match self.defined.entry((what, name.value.clone())) {
            std::collections::hash_map::Entry::Occupied(first) => first.get().clone(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(name.span.clone());
                return false;
            }
        };
        let d = Diagnostic::error(
            Code::DuplicateDefinition,
            name.span.clone(),
            format!("{what} `{}` is defined twice", name.value),
        )
        .label("second definition")
        .related("first defined here", first)
        .help(format!(
            "rename one of them or remove the copy; every {what} name must be unique"
        ));
        self.error(d);
        true
    }

    fn check_known(&mut self, id: FileId, attr: &Attribute, allowed: &[&str], what: &str) -> bool {
        let key = attr.key.as_str();
        if allowed.contains(&key) {
            return true;
        }
        let help = match did_you_mean(key, allowed.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("a {what} takes: {}", allowed.join(", ")),
        };
        self.error(
            Diagnostic::error(
                Code::UnknownAttribute,
                self.span(id, attr.key.span()),
                format!("unknown attribute `{key}` in {what}"),
            )
            .label("unknown attribute")
            .help(help),
        );
        false
    }

    fn missing_attributes(&mut self, id: FileId, block: &Block, missing: &[&str], what: &str) {
        let names: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        let span = self.span(
            id,
            block
                .labels
                .first()
                .and_then(|l| l.span())
                .or(block.ident.span()),
        );
        self.error(
            Diagnostic::error(
                Code::MissingAttribute,
                span,
                format!(
                    "{what} is missing required attribute{} {}",
                    plural(missing.len()),
                    names.join(", ")
                ),
            )
            .label(format!("this {what}"))
            .help(format!("add {} to the block", names.join(" and "))),
        );
    }

    fn required_static_string(
        &mut self,
        id: FileId,
        block: &Block,
        key: &str,
        what: &str,
    ) -> Option<Spanned<String>> {
        let Some(attr) = block.body.get_attribute(key) else {
            self.missing_attributes(id, block, &[key], what);
            return None;
        };
        let value = self.static_string(id, attr)?;
        Some(Spanned {
            value,
            span: self.span(id, attr.value.span()),
        })
    }

    fn reject_blocks(&mut self, id: FileId, body: &Body, what: &str, help: &str) {
        let locals_allowed = what == "monc.hcl";
        for block in body.blocks() {
            if locals_allowed && block.ident.as_str() == "locals" {
                continue;
            }
            self.error(
                Diagnostic::error(
                    Code::UnknownBlock,
                    self.span(id, block.ident.span()),
                    format!("unexpected block `{}` in {what}", block.ident.as_str()),
                )
                .label("blocks are not allowed here")
                .help(help.to_string()),
            );
        }
    }

    fn unknown_block(&mut self, id: FileId, block: &Block, allowed: &[&str], place: &str) {
        let name = block.ident.as_str();
        let help = match did_you_mean(name, allowed.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("{place} holds {} blocks", allowed.join(" and ")),
        };
        self.error(
            Diagnostic::error(
                Code::UnknownBlock,
                self.span(id, block.ident.span()),
                format!("unknown block `{name}` in {place}"),
            )
            .label("unknown block type")
            .help(help),
        );
    }

    fn static_value(&mut self, id: FileId, attr: &Attribute) -> Option<hcl::Value> {
        let scanned = scan(id, &attr.value);
        if !self.check_locals(&scanned.locals) {
            return None;
        }
        let what = format!("`{}`", attr.key.as_str());
        if let Some(d) = references::division_by_zero(&scanned.divisions, &self.ctx, &what) {
            self.error(d);
            return None;
        }
        let expr: hcl::Expression = attr.value.clone().into();
        match eval::evaluate(&expr, &self.ctx) {
            Ok(value) => Some(value),
            Err(failure) => {
                let span = self.span(id, attr.value.span());
                let quote = match failure.missing {
                    Some(eval::Missing::Variable(_)) => quote_hint(self.model.sources.text(&span)),
                    _ => None,
                };
                self.error(
                    Diagnostic::error(
                        Code::Eval,
                        span,
                        format!("cannot evaluate `{}`: {}", attr.key.as_str(), failure.message),
                    )
                    .label("here")
                    .help(quote.unwrap_or_else(|| "values in monc.hcl and tenants/ are computed once, from constants, functions and `local.<name>`; `tenant` and `cluster` are not in scope".into())),
                );
                None
            }
        }
    }

    fn static_string(&mut self, id: FileId, attr: &Attribute) -> Option<String> {
        match self.static_value(id, attr)? {
            hcl::Value::String(s) => Some(s),
            other => {
                self.wrong_type(id, attr, "a string", &other);
                None
            }
        }
    }

    fn static_strings(&mut self, id: FileId, attr: &Attribute) -> Option<Vec<String>> {
        let value = self.static_value(id, attr)?;
        if ValueShape::StringList.matches(&value) {
            return Some(strings_in(Some(&value)));
        }
        self.wrong_type(id, attr, "a list of strings", &value);
        None
    }

    fn wrong_type(&mut self, id: FileId, attr: &Attribute, expected: &str, found: &hcl::Value) {
        self.error(
            Diagnostic::error(
                Code::WrongType,
                self.span(id, attr.value.span()),
                format!(
                    "`{}` must be {expected}, found {}",
                    attr.key.as_str(),
                    describe_value(found)
                ),
            )
            .label(format!("expected {expected}"))
            .help(format!(
                "change the value of `{}` to {expected}",
                attr.key.as_str()
            )),
        );
    }
}

#[derive(Clone, Copy)]
enum ValueShape {
    String,
    StringList,
    Object,
}

impl ValueShape {
    fn matches(self, value: &hcl::Value) -> bool {
        match (self, value) {
            (ValueShape::String, hcl::Value::String(_)) => true,
            (ValueShape::Object, hcl::Value::Object(_)) => true,
            (ValueShape::StringList, hcl::Value::Array(items)) => {
                items.iter().all(hcl::Value::is_string)
            }
            _ => false,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ValueShape::String => "a string",
            ValueShape::StringList => "a list of strings",
            ValueShape::Object => "an object like `{ key = \"value\" }`",
        }
    }
}

/// Splits `monitor.<name>[<index>]` into its parts.
pub(crate) fn parse_reference(
    expr: &EditExpr,
) -> Option<(String, std::ops::Range<usize>, Option<&EditExpr>)> {
    let EditExpr::Traversal(traversal) = expr else {
        return None;
    };
    let EditExpr::Variable(root) = &traversal.expr else {
        return None;
    };
    if root.as_str() != "monitor" {
        return None;
    }
    match traversal.operators.as_slice() {
        [name] => {
            let TraversalOperator::GetAttr(ident) = name.value() else {
                return None;
            };
            Some((ident.as_str().to_string(), ident.span()?, None))
        }
        [name, index] => {
            let TraversalOperator::GetAttr(ident) = name.value() else {
                return None;
            };
            let TraversalOperator::Index(index) = index.value() else {
                return None;
            };
            Some((ident.as_str().to_string(), ident.span()?, Some(index)))
        }
        _ => None,
    }
}

fn field_of(id: FileId, attr: &Attribute) -> Field {
    field_of_expr(id, &attr.value)
}

fn field_of_expr(id: FileId, edit_expr: &EditExpr) -> Field {
    let scan = scan(id, edit_expr);
    let expr: hcl::Expression = edit_expr.clone().into();
    Field {
        prepared: std::sync::Arc::new(eval::Prepared::new(expr.clone())),
        expr,
        span: Span::new(id, edit_expr.span().unwrap_or(0..0)),
        is_literal: matches!(
            edit_expr,
            EditExpr::String(_) | EditExpr::Number(_) | EditExpr::Bool(_)
        ),
        calls: scan.calls,
        locals: scan.locals,
        divisions: scan.divisions,
    }
}

fn cannot_be_ignored(code: Code, span: Span) -> Diagnostic {
    let ignorable: Vec<&str> = Code::ignorable().map(Code::as_str).collect();
    Diagnostic::error(
        Code::InvalidIgnore,
        span,
        format!("`{code}` cannot be ignored"),
    )
    .label("always reported")
    .help(format!(
        "only checks of monc's own judgement can be ignored ({}); fix this one instead",
        ignorable.join(", ")
    ))
}

fn unknown_code(text: &str, span: Span) -> Diagnostic {
    let ignorable = Code::ignorable().map(Code::as_str);
    Diagnostic::error(
        Code::InvalidIgnore,
        span,
        format!("unknown diagnostic code `{text}`"),
    )
    .label("not a monc code")
    .help(suggestion_help(text, "ignorable code", ignorable))
}

fn strings_in(value: Option<&hcl::Value>) -> Vec<String> {
    value
        .and_then(hcl::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn set_some<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

fn finding_start(finding: &scan::Finding) -> usize {
    match finding {
        scan::Finding::UnterminatedString { start } => *start,
        scan::Finding::UnterminatedHeredoc { opener, .. } => opener.start,
        scan::Finding::Unclosed { open, .. } => *open,
        scan::Finding::Mismatched { close, .. } | scan::Finding::Unopened { close } => *close,
    }
}

/// A syntax mistake named at its start: the quote, heredoc or bracket that is never closed.
fn located_mistake(file: FileId, finding: scan::Finding) -> Diagnostic {
    use scan::Finding;
    let at = |range: std::ops::Range<usize>| Span::new(file, range);
    match finding {
        Finding::UnterminatedString { start } => Diagnostic::error(
            Code::Syntax,
            at(start..start + 1),
            "unterminated string: this `\"` is not closed before the end of its line",
        )
        .label("string starts here")
        .help("close the string with `\"` on the same line; for text over several lines use a heredoc (`<<-EOT` ... `EOT`)"),
        Finding::UnterminatedHeredoc { opener, marker } => Diagnostic::error(
            Code::Syntax,
            at(opener),
            format!("unterminated heredoc: no line after this holds only `{marker}`"),
        )
        .label("heredoc starts here")
        .help(format!("end the heredoc with a line holding only `{marker}` (check the closing marker's spelling)")),
        Finding::Unclosed { open, bracket } => {
            let (what, close) = match bracket {
                '{' => ("block", '}'),
                '[' => ("list", ']'),
                _ => ("parenthesis", ')'),
            };
            Diagnostic::error(
                Code::Syntax,
                at(open..open + 1),
                format!("unclosed {what}: this `{bracket}` is never closed"),
            )
            .label("opened here")
            .help(format!("add the matching `{close}`; everything after it is read as part of this {what}"))
        }
        Finding::Mismatched { open, close } => Diagnostic::error(
            Code::Syntax,
            at(close..close + 1),
            "mismatched bracket: this closes a different kind of bracket",
        )
        .label("closes the wrong bracket")
        .related("opened here", at(open..open + 1))
        .help("make the opening and closing brackets match: `{ }`, `[ ]`, `( )`"),
        Finding::Unopened { close } => Diagnostic::error(
            Code::Syntax,
            at(close..close + 1),
            "this closing bracket closes nothing",
        )
        .label("nothing open here")
        .help("remove it, or add the opening bracket it belongs to"),
    }
}

/// The end of the character at `start`; an offset inside a character (hcl-rs can report one)
/// counts as that character's.
fn next_char_end(text: &str, start: usize) -> usize {
    let start = char_start(text, start);
    text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8())
}

/// `offset` moved back to the start of the character it falls in (or to the end of `text`).
fn char_start(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_offset_inside_a_character_does_not_panic() {
        // Found by tests/it/load_props.rs: hcl-rs placed a syntax error inside `𰏠` (4 bytes).
        let text = "𰏠{ጓ";
        assert_eq!(next_char_end(text, 1), 4);
        assert_eq!(next_char_end(text, 6), 8);
        assert_eq!(next_char_end(text, 99), text.len());
    }

    #[test]
    fn reserved_tags_are_the_owner_tag_and_the_key_tag_key() {
        let project = Project::default();
        assert_eq!(reserved_prefix(&project, "managed-by:monc"), Some(15));
        assert_eq!(reserved_prefix(&project, "monc-key:l0/x"), Some(9));
        assert_eq!(reserved_prefix(&project, "monc-key"), Some(8));
        assert_eq!(reserved_prefix(&project, "managed-by:terraform"), None);
        assert_eq!(reserved_prefix(&project, "monc-keys:x"), None);
        assert_eq!(reserved_prefix(&project, "team:sre"), None);
        assert_eq!(reserved_prefix(&project, "monc-project:payments"), Some(13));
        assert_eq!(reserved_prefix(&project, "monc-projects:x"), None);
    }
}
