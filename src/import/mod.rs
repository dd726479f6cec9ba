//! `monc import`: turning monitors that already exist in Datadog into templates that compile
//! back to the same monitors, and adopting the live monitors so the next sync updates them in
//! place instead of creating duplicates.
//!
//! - [`read`] reads a JSON export, [`tfstate`] a Terraform state file; the command reads the
//!   org with [`crate::datadog::Client`].
//! - [`build`] decides templates: single monitors, per-tenant templates (`--detect-tenants`),
//!   composites `A && !B && !C` turned into `suppressed_by`, other composites as they are.
//! - [`write_hcl`] renders them; [`adopt`] tags the live monitors with the ownership and key tags.

mod adopt;
mod build;
pub mod read;
pub mod rekey;
mod tags;
pub mod tfstate;
mod tfstate_address;
mod tfstate_attributes;
pub mod write_hcl;

use serde_json::{Map as JsonMap, Value as Json};

pub use adopt::{AdoptOutcome, Adopted, adopt};
pub use build::build;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Span, Spanned};
use crate::model::Model;

/// A string that may mention the tenant: literal pieces joined by `${tenant.name}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(pub Vec<String>);

impl Text {
    pub fn literal(s: &str) -> Text {
        Text(vec![s.to_string()])
    }

    /// `s` with every occurrence of `tenant` replaced by the tenant placeholder.
    pub fn with_tenant(s: &str, tenant: &str) -> Text {
        Text(s.split(tenant).map(String::from).collect())
    }
}

/// One `monitor "name" { ... }` block to write.
#[derive(Debug, Clone)]
pub struct ImportedTemplate {
    pub name: String,
    pub tier: String,
    pub per_tenant: bool,
    pub display_name: Text,
    pub monitor_type: String,
    pub query: Text,
    pub message: Text,
    pub tags: Vec<Text>,
    pub thresholds: Option<Json>,
    pub options: JsonMap<String, Json>,
    pub priority: Option<i64>,
    /// Handles of the composite monc generates; in a per-tenant template they may name the
    /// tenant (`@slack-${tenant.name}-oncall`).
    pub notify: Vec<Text>,
    /// Names of single templates that suppress this one.
    pub suppressed_by: Vec<String>,
    /// `composite = { name, message }`: the adopted composite's own name and message, where
    /// they differ from this monitor's (which the generated composite takes otherwise).
    pub composite_name: Option<Text>,
    pub composite_message: Option<Text>,
    /// `composite = { options }`: the adopted composite's own options, where they differ from
    /// the few monc copies from this monitor.
    pub composite_options: Option<JsonMap<String, Json>>,
    pub comments: Vec<String>,
    /// Codes of checks `ignore`d for this template (`monc::duplicate-name`).
    pub ignore: Vec<String>,
    /// A per-tenant template that some tenants only have: `enabled` for these.
    pub enabled_for: Option<Vec<String>>,
    /// The live monitors this template takes over.
    pub adopts: Vec<Adoption>,
}

/// A live monitor and the key monc will know it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    pub id: i64,
    pub key: String,
    pub name: String,
    /// What the imported monitor was, so that adoption can tell it is still the same monitor.
    pub monitor_type: String,
    pub query: String,
}

impl Adoption {
    /// Adopting `monitor` (which must have an id) under `key`.
    pub fn of(monitor: &crate::datadog::Monitor, key: String) -> Option<Adoption> {
        Some(Adoption {
            id: monitor.id?,
            key,
            name: monitor.body.name.clone(),
            monitor_type: monitor.body.monitor_type.clone(),
            query: monitor.body.query.clone(),
        })
    }
}

/// Where detected tenants go.
#[derive(Debug, Clone)]
pub struct TenantPlacement {
    pub new_tenants: Vec<String>,
    pub cluster: String,
    /// True when the project has no cluster and the placeholder must be declared.
    pub declare_cluster: bool,
}

/// The outcome of [`build`]: what to write, what to adopt, what was left out.
#[derive(Debug, Clone, Default)]
pub struct Import {
    pub header: Vec<String>,
    pub templates: Vec<ImportedTemplate>,
    pub tenants: Option<TenantPlacement>,
    /// One line per monitor not imported, saying why.
    pub skipped: Vec<String>,
    /// `--detect-tenants`: one line per group of monitors that differ only in the tenant but
    /// were not folded into one per-tenant template, saying why.
    pub not_folded: Vec<String>,
    /// One line per tag of the old tool dropped or renamed (see [`tags`]), saying why.
    pub tag_changes: Vec<String>,
}

/// Splits the import's adoptions into those whose keys the checked project compiles to, and
/// those it does not (never adopted: the next sync would not recognise them).
pub fn adoptable(checked: &crate::Checked, imported: &Import) -> (Vec<Adoption>, Vec<Adoption>) {
    let keys = compiled_keys(checked);
    imported
        .adoptions()
        .into_iter()
        .partition(|a| keys.contains(&a.key))
}

/// The keys of the monitors the checked project compiles to.
pub fn compiled_keys(checked: &crate::Checked) -> std::collections::HashSet<String> {
    checked
        .emitted()
        .iter()
        .map(|d| d.key.to_string())
        .collect()
}

impl Import {
    pub fn adoptions(&self) -> Vec<Adoption> {
        self.templates
            .iter()
            .flat_map(|t| t.adopts.iter().cloned())
            .collect()
    }
}

/// What the import needs to know about the project it writes into.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tiers: Vec<String>,
    /// Index into `tiers` for monitors that suppress nothing (default: the top tier).
    pub tier: usize,
    /// Tag key whose values are tenant names (`--detect-tenants`).
    pub detect_tenants: Option<String>,
    /// Monitor id → tenant suggested by where it was defined (a Terraform module instance
    /// `module.level3["tenant-a"]`); used for monitors without the `--detect-tenants` tag.
    pub tenant_hints: std::collections::HashMap<i64, String>,
    pub owner_tag: String,
    /// `--drop-tag`: tag keys whose tags are left out.
    pub drop_tags: Vec<String>,
    /// `--rename-tag OLD=NEW`: tag keys renamed (`tier` → `tier` keeps them as they are).
    pub rename_tags: Vec<(String, String)>,
    pub existing_templates: Vec<String>,
    pub existing_tenants: Vec<String>,
    pub existing_clusters: Vec<String>,
    /// Where the monitors came from, for the header comment.
    pub source: String,
}

impl Settings {
    /// Settings for importing into the project `model` was loaded from. Definitions in
    /// `replacing` (the files this import overwrites) do not count as existing.
    pub fn for_project(model: &Model, source: &str, replacing: &[PathBuf]) -> Settings {
        let replaced: Vec<PathBuf> = replacing.iter().map(|p| canonical(p)).collect();
        let kept =
            |span: &Span| !replaced.contains(&canonical(&model.sources.file(span.file).path));
        let names = |items: Vec<&Spanned<String>>| -> Vec<String> {
            items
                .into_iter()
                .filter(|n| kept(&n.span))
                .map(|n| n.value.clone())
                .collect()
        };
        let tiers = model.project.tiers.clone();
        Settings {
            tier: tiers.len().saturating_sub(1),
            tiers,
            detect_tenants: None,
            tenant_hints: Default::default(),
            owner_tag: model.project.owner_tag.clone(),
            drop_tags: Vec::new(),
            rename_tags: Vec::new(),
            existing_templates: names(model.templates.iter().map(|t| &t.name).collect()),
            existing_tenants: names(model.tenants.iter().map(|t| &t.name).collect()),
            existing_clusters: names(model.clusters.iter().map(|c| &c.name).collect()),
            source: source.to_string(),
        }
    }

    /// `--tier NAME`, checked against the project's tiers.
    pub fn with_tier(mut self, tier: &str) -> Result<Settings, String> {
        self.tier = self.tiers.iter().position(|t| t == tier).ok_or_else(|| {
            format!(
                "unknown tier `{tier}`; this project's tiers are {} (set them in monc.hcl)",
                self.tiers.join(", ")
            )
        })?;
        Ok(self)
    }
}

/// Where [`write_files`] puts the generated HCL.
#[derive(Debug, Clone)]
pub struct Destination {
    /// e.g. `monitors/imported.hcl`
    pub monitors_file: std::path::PathBuf,
    /// e.g. `tenants/imported.hcl`; written only when tenants were detected.
    pub tenants_file: std::path::PathBuf,
    /// Overwrite existing files.
    pub force: bool,
}

/// Writes the monitors file (and the tenants file, if any); refuses to overwrite without `force`.
/// Returns the files written.
pub fn write_files(import: &Import, to: &Destination) -> Result<Vec<std::path::PathBuf>, String> {
    let mut files = vec![(to.monitors_file.clone(), write_hcl::monitors_file(import))];
    if let Some(tenants) = write_hcl::tenants_file(import) {
        files.push((to.tenants_file.clone(), tenants));
    }
    if !to.force
        && let Some((existing, _)) = files.iter().find(|(path, _)| path.exists())
    {
        return Err(format!(
            "{} already exists; pass --force to overwrite it, or --output FILE to write another file",
            existing.display()
        ));
    }
    for (path, text) in &files {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        crate::atomic_file::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
