use monc::english::counted;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use monc::datadog::Monitor;

use super::connect::{Connection, OrgArgs, connect};
use monc::import::rekey::{self, Rekey};
use monc::import::{self, AdoptOutcome, Adopted, Adoption, Destination, Import, Settings};
use monc::load::LoadOptions;
use monc::model::{Model, key_without_tier};
use monc::plan::Ownership;

use super::ConfigArgs;
use super::error::{CommandResult, Error, Status};
use super::org;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  monc import --from export.json                     write monitors/imported.hcl from an export
  monc import --from terraform.tfstate --adopt       leave Terraform: same monitors, same ids
  monc import --tag team:payments                    read the org (DD_API_KEY/DD_APP_KEY)
  monc import --name '[acme]' --detect-tenants customer --output monitors/customers.hcl
  monc import --tag team:payments --adopt --force    write, then tag the live monitors as monc's
  monc diff                                          the adopted monitors show as updates

Without --adopt nothing in the org changes. With it, each imported monitor gets the ownership tag
and its key tag (e.g. monc-key:l3/api_errors) and nothing else; the next `monc sync` rewrites them
in place.")]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    /// Read monitors from a JSON export instead of the org: one monitor object as the API
    /// returns it, an array of them, or a directory of *.json files ({"definition": ...}
    /// wrappers are accepted); or from a Terraform state file (format version 4): its
    /// `datadog_monitor` resources, adopted by id with --adopt. Repeatable, and a directory of
    /// *.tfstate files (or of TEAM/terraform.tfstate) reads them all: each state's name
    /// (TEAM) is the tenant of monitors that differ only by it.
    #[arg(long, value_name = "FILE_OR_DIR")]
    pub from: Vec<PathBuf>,
    /// Only monitors carrying this key:value tag (repeatable: all must match).
    #[arg(long = "tag", value_name = "KEY:VALUE")]
    pub tags: Vec<String>,
    /// Only monitors whose name contains SUBSTRING (case-insensitive).
    #[arg(long = "name", value_name = "SUBSTRING")]
    pub name: Option<String>,
    /// File for the generated templates, inside the monitors directory; detected tenants go to
    /// a file of the same name in the tenants directory [default: DIR/monitors/imported.hcl]
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite the generated files if they exist.
    #[arg(long)]
    pub force: bool,
    /// Tier of the imported monitors [default: the project's top tier]. Monitors that suppress
    /// others through a composite go one tier lower.
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,
    /// Collapse monitors that differ only in the value of this tag (and that value in their
    /// name, query, message) into one `for_each = tenants` template, and declare the tenants;
    /// also those that each page through their own composite `A && !B`, and composites kept as
    /// written over each tenant's own monitors. The tag's value in the query's scope
    /// ({TAGKEY:x,...}) counts too; a monitor only some tenants have gets `enabled` for them.
    /// Prints, for each such group not folded, why. From a Terraform state, module instance
    /// keys (and state names, for several states) are tenants too.
    #[arg(long, value_name = "TAGKEY")]
    pub detect_tenants: Option<String>,
    /// Leave out the tags of this key (repeatable; `--drop-tag team` drops `team:x` and a bare
    /// `team`). Without it, tags under the key of monc's ownership tag (`managed-by:terraform`)
    /// are dropped anyway, and `tier:`, `tenant:`, `cluster:` (which monc writes itself)
    /// renamed `severity:`, `imported-tenant:`, `imported-cluster:`.
    #[arg(long = "drop-tag", value_name = "TAGKEY")]
    pub drop_tags: Vec<String>,
    /// Rename the key of these tags (repeatable): `--rename-tag tier=priority` writes
    /// `tier:critical` as `priority:critical`; `--rename-tag tier=tier` keeps them as they are.
    #[arg(long = "rename-tag", value_name = "OLD=NEW", value_parser = parse_rename)]
    pub rename_tags: Vec<(String, String)>,
    /// After writing valid HCL, tag the live monitors with the ownership and key tags so the
    /// next diff updates them instead of creating duplicates. Changes the org.
    #[arg(long)]
    pub adopt: bool,
}

pub(crate) fn run(args: &ImportArgs) -> CommandResult {
    let new_dirs = missing_project_dirs(&args.config.load_options());
    let result = org::block_on(async { import(args).await.map(|()| Status::Ok) });
    if result.is_err() {
        // A failed import leaves nothing behind: the directories it made for a new project go
        // again (only if still empty: `remove_dir` refuses anything else).
        for dir in new_dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
    result
}

async fn import(args: &ImportArgs) -> Result<(), Error> {
    // Before anything is written: with --from and --adopt the org comes after the files.
    args.org.check_choice()?;
    let options = args.config.load_options();
    let model = project_model(&options)?;
    let to = destination(args, &options)?;
    let replacing = [to.monitors_file.clone(), to.tenants_file.clone()];
    let mut settings = settings(args, &model, if args.force { &replacing } else { &[] })?;
    let mut connection = None;
    let monitors = match args.from.is_empty() {
        false => read_files(args, &mut settings)?,
        true => {
            let c = connection.insert(connect_org(args, &model).await?);
            read_org(c, args).await?
        }
    };
    if monitors.is_empty() {
        return Err("no monitors matched; check --tag / --name (or the export)".into());
    }
    let imported = import::build(&monitors, &settings);
    for line in &imported.skipped {
        eoutln!("skipped {}", monc::escape::line(line));
    }
    for line in imported.not_folded.iter().chain(&imported.tag_changes) {
        eoutln!("note: {}", monc::escape::line(line));
    }
    if imported.templates.is_empty() {
        return Err(match monitors.len() {
            1 => Error::from(
                "nothing to import: the 1 monitor found was skipped (above); nothing was written",
            ),
            n => Error::Message(format!(
                "nothing to import: all {n} monitors found were skipped (above); nothing was written"
            )),
        });
    }
    let written = import::write_files(&imported, &to)?;
    report_written(&imported, &written);
    let (adoptions, compiled) = check_written(&options, &imported)?;
    if !args.adopt {
        print_next_steps(&adoptions);
        return Ok(());
    }
    let connection = match connection {
        Some(c) => c,
        None => connect_org(args, &model).await?,
    };
    let ownership = Ownership::of(&model.project);
    let mut outcomes = import::adopt(&connection.client, &adoptions, &ownership, &compiled).await;
    write_rekeys(&options, &mut outcomes)?;
    report_adoptions(&outcomes)
}

/// The monitors of the `--from` files that --tag and --name keep: JSON exports, and Terraform
/// state files (directories of them too), whose addresses, and names when there are several,
/// become tenant hints in `settings`. A monitor in two files is imported once.
fn read_files(args: &ImportArgs, settings: &mut Settings) -> Result<Vec<Monitor>, Error> {
    let keep = |monitors| import::read::filter(monitors, &args.tags, args.name.as_deref());
    let files = from_files(&args.from);
    let states = files.iter().filter(|(_, state)| state.is_some()).count();
    let mut monitors = Vec::new();
    let mut places = Vec::new();
    let mut errors = 0;
    let mut with_errors = Vec::new();
    for (path, state) in files {
        let Some(text) = state else {
            monitors.extend(keep(import::read::read_export(&path)?));
            continue;
        };
        let name = (states > 1)
            .then(|| import::tfstate::state_name(&path))
            .flatten();
        let found = import::tfstate::read_state(&text, name.as_deref())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let (kept, unmappable) = kept_of_state(args, &path, found, &mut places);
        if unmappable > 0 {
            errors += unmappable;
            with_errors.push(path.display().to_string());
        }
        monitors.extend(kept);
    }
    if errors > 0 {
        let verb = if with_errors.len() == 1 {
            "holds"
        } else {
            "hold"
        };
        return Err(Error::Message(format!(
            "{} {verb} {} monc cannot map (above); nothing was written",
            with_errors.join(", "),
            counted(errors, "attribute")
        )));
    }
    settings.tenant_hints = import::tfstate::tenant_hints(&places);
    Ok(once_each(monitors))
}

/// The `--from` paths as files, each with its text if it is a Terraform state: a directory
/// holding state files stands for them ([`import::tfstate::state_files`]); any other path is
/// read as an export.
fn from_files(from: &[PathBuf]) -> Vec<(PathBuf, Option<String>)> {
    let state_text = |path: &Path| {
        path.is_file()
            .then(|| std::fs::read_to_string(path).ok())
            .flatten()
            .filter(|text| import::tfstate::is_state(text))
    };
    let mut files = Vec::new();
    for path in from {
        let states = match path.is_dir() {
            true => import::tfstate::state_files(path),
            false => Vec::new(),
        };
        if states.is_empty() {
            files.push((path.clone(), state_text(path)));
        }
        for state in states {
            let text = state_text(&state);
            files.push((state, text));
        }
    }
    files
}

/// The monitors of one state that --tag and --name keep, printing what was skipped and the
/// notes and errors about them; their places go to `places`. Returns them and how many errors.
fn kept_of_state(
    args: &ImportArgs,
    path: &Path,
    found: import::tfstate::StateMonitors,
    places: &mut Vec<(i64, import::tfstate::Place)>,
) -> (Vec<Monitor>, usize) {
    for line in &found.skipped {
        eoutln!("skipped {}", monc::escape::line(line));
    }
    let monitors = import::read::filter(found.monitors, &args.tags, args.name.as_deref());
    let kept: HashSet<i64> = monitors.iter().filter_map(|m| m.id).collect();
    let of_kept = |lines: Vec<(i64, String)>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|(id, _)| kept.contains(id))
            .map(|(_, line)| line)
            .collect()
    };
    for line in of_kept(found.notes) {
        eoutln!("note: {}: {}", path.display(), monc::escape::line(&line));
    }
    let errors = of_kept(found.errors);
    for line in &errors {
        eoutln!("error: {}: {}", path.display(), monc::escape::line(line));
    }
    places.extend(found.places);
    (monitors, errors.len())
}

/// `monitors` with each id once (the first), saying which were left out.
fn once_each(monitors: Vec<Monitor>) -> Vec<Monitor> {
    let mut seen = HashSet::new();
    let mut once = Vec::new();
    for m in monitors {
        if let Some(id) = m.id
            && !seen.insert(id)
        {
            eoutln!(
                "skipped monitor {id} \"{}\": a second copy (in two of the files read); imported once",
                monc::escape::line(&m.body.name)
            );
            continue;
        }
        once.push(m);
    }
    once
}

/// `tenants/` and `monitors/` if the project does not have them yet.
fn missing_project_dirs(options: &LoadOptions) -> Vec<PathBuf> {
    [&options.tenants, &options.monitors]
        .into_iter()
        .filter(|dir| !dir.exists())
        .cloned()
        .collect()
}

/// The project as it is before the import; a new project gets empty `tenants/` and `monitors/`.
fn project_model(options: &LoadOptions) -> Result<Model, Error> {
    for dir in [&options.tenants, &options.monitors] {
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    monc::load::load(options)
        .map(|(model, _)| model)
        .map_err(|e| Error::Message(format!("{e}\nhelp: {}", e.help)))
}

fn settings(args: &ImportArgs, model: &Model, replacing: &[PathBuf]) -> Result<Settings, Error> {
    let source = match args.from.is_empty() {
        false => {
            let paths: Vec<String> = args.from.iter().map(|p| p.display().to_string()).collect();
            paths.join(", ")
        }
        true => "the org".to_string(),
    };
    let mut settings = Settings::for_project(model, &source, replacing);
    if let Some(tier) = &args.tier {
        settings = settings.with_tier(tier)?;
    }
    settings.detect_tenants = args.detect_tenants.clone();
    settings.drop_tags = args.drop_tags.clone();
    settings.rename_tags = args.rename_tags.clone();
    Ok(settings)
}

/// `OLD=NEW` of `--rename-tag`: two tag keys.
fn parse_rename(text: &str) -> Result<(String, String), String> {
    let (old, new) = text
        .split_once('=')
        .filter(|(old, new)| !old.is_empty() && !new.is_empty() && !new.contains(':'))
        .ok_or_else(|| format!("`{text}` is not OLD=NEW with two tag keys, e.g. tier=severity"))?;
    Ok((old.to_string(), new.to_string()))
}

async fn connect_org(args: &ImportArgs, model: &Model) -> Result<Connection, Error> {
    Ok(connect(&args.org, &args.config.dir, model.project.site.as_deref()).await?)
}

async fn read_org(connection: &Connection, args: &ImportArgs) -> Result<Vec<Monitor>, Error> {
    let monitors = connection.client.list_monitors(&args.tags).await?;
    Ok(import::read::filter(
        monitors,
        &args.tags,
        args.name.as_deref(),
    ))
}

/// Where the generated files go: new files in the project's `monitors/` and `tenants/`
/// directories, which `load` reads. A project that keeps each in one file has nowhere to put
/// a new file: that is said before anything is written.
fn destination(args: &ImportArgs, options: &LoadOptions) -> Result<Destination, Error> {
    for (dir, what) in [
        (&options.monitors, "monitors"),
        (&options.tenants, "tenants"),
    ] {
        if dir.is_file() {
            return Err(Error::Message(format!(
                "this project keeps its {what} in one file, {}; import writes new files into a `{what}/` directory\n\
                 help: move to the directory layout first (`mkdir {what} && mv {} {what}/`), then import again; nothing was written",
                dir.display(),
                dir.display()
            )));
        }
    }
    let monitors_file = match &args.output {
        None => options.monitors.join("imported.hcl"),
        Some(file) => {
            let file = args.config.dir.join(file);
            if !file
                .parent()
                .is_some_and(|dir| same_dir(dir, &options.monitors))
            {
                return Err(Error::Message(format!(
                    "--output {} is not in the monitors directory {}, so monc would not read it\n\
                     help: name a file in it, e.g. --output {}",
                    file.display(),
                    options.monitors.display(),
                    options.monitors.join("imported.hcl").display()
                )));
            }
            file
        }
    };
    let name = monitors_file.file_name().unwrap_or_default();
    Ok(Destination {
        tenants_file: options.tenants.join(name),
        monitors_file,
        force: args.force,
    })
}

/// Whether two paths name the same directory (`./monitors` and `/abs/monitors`), by their
/// canonical forms when both exist.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn report_written(imported: &Import, written: &[PathBuf]) {
    let monitors = imported.adoptions().len();
    outln!(
        "wrote {} ({} for {})",
        display(written.first()),
        counted(imported.templates.len(), "template"),
        counted(monitors, "live monitor")
    );
    if let (Some(tenants), Some(file)) = (&imported.tenants, written.get(1)) {
        outln!(
            "wrote {} ({} on cluster `{}`)",
            file.display(),
            counted(tenants.new_tenants.len(), "tenant"),
            tenants.cluster
        );
    }
}

fn display(path: Option<&PathBuf>) -> String {
    path.map(|p| p.display().to_string()).unwrap_or_default()
}

/// Compiles the project with the new files; on errors prints them and refuses to adopt. Returns
/// the adoptions whose keys the project really compiles to, and the keys (without tier) it
/// compiles to.
fn check_written(
    options: &LoadOptions,
    imported: &Import,
) -> Result<(Vec<Adoption>, HashSet<String>), Error> {
    let checked = checked_project(options)?;
    let (known, unknown) = import::adoptable(&checked, imported);
    for a in &unknown {
        eoutln!(
            "warning: monitor {} \"{}\" would have key {} but the project does not compile to it; not adopted",
            a.id,
            a.name,
            a.key
        );
    }
    let compiled = import::compiled_keys(&checked)
        .iter()
        .map(|key| key_without_tier(key).to_string())
        .collect();
    Ok((known, compiled))
}

/// The project as written, checked; its errors printed and refused.
fn checked_project(options: &LoadOptions) -> Result<monc::Checked, Error> {
    let checked = monc::check(options).map_err(|e| format!("{e}\nhelp: {}", e.help))?;
    if checked.diagnostics.has_errors() {
        let diagnostics: Vec<_> = checked.diagnostics.iter().cloned().collect();
        eout!(
            "{}",
            monc::output::render_human(
                &diagnostics,
                &checked.model.sources,
                monc::output::stderr_colour()
            )
        );
        return Err(Error::from(
            "the imported files were written but the project does not validate; fix the \
             problems above (or edit the generated file); nothing in the org was changed",
        ));
    }
    Ok(checked)
}

/// Writes the `moved` blocks that re-key monitors adopted before under other keys, and checks
/// the project with them. A generated composite whose monitor is not re-keyed with it cannot
/// move (its monitor's block is what moves it): that is its failure.
fn write_rekeys(options: &LoadOptions, outcomes: &mut [AdoptOutcome]) -> Result<(), Error> {
    let rekeys: Vec<Rekey> = outcomes
        .iter()
        .filter_map(|o| match &o.result {
            Ok(Adopted::Rekeyed(rekey)) => Some(rekey.clone()),
            _ => None,
        })
        .collect();
    let orphans: Vec<Rekey> = rekey::orphan_composites(&rekeys)
        .into_iter()
        .cloned()
        .collect();
    for outcome in outcomes.iter_mut() {
        if let Ok(Adopted::Rekeyed(r)) = &outcome.result
            && orphans.contains(r)
        {
            outcome.result = Err(format!(
                "it carries `{}`, and its monitor is not re-keyed with it (above), which is what would move it",
                r.from
            ));
        }
    }
    let blocks: Vec<String> = rekeys.iter().filter_map(rekey::moved_block).collect();
    if blocks.is_empty() {
        return Ok(());
    }
    let path = options.monitors.join(rekey::MOVED_FILE);
    let added = rekey::write_moved_file(&path, &blocks)?;
    outln!(
        "wrote {} ({} re-keying monitors adopted before under other keys)",
        path.display(),
        counted(added, "new moved block")
    );
    checked_project(options).map(|_| ()).map_err(|_| {
        Error::Message(format!(
            "the moved blocks in {} do not validate (above); fix or remove them; the re-keyed monitors were not changed",
            path.display()
        ))
    })
}

fn print_next_steps(adoptions: &[Adoption]) {
    if adoptions.is_empty() {
        outln!("next: monc validate; monc sync creates these monitors");
    } else {
        outln!(
            "next: re-run with --adopt --force to tag the {} as monc's (the org is unchanged so far);\n      \
             without adoption, `monc sync` would create copies next to them",
            counted(adoptions.len(), "live monitor")
        );
    }
}

fn report_adoptions(outcomes: &[import::AdoptOutcome]) -> Result<(), Error> {
    let mut failed = 0;
    for outcome in outcomes {
        let a = &outcome.adoption;
        match &outcome.result {
            Ok(Adopted::Tagged) => {
                outln!("adopted   {} (id {})", monc::escape::line(&a.key), a.id)
            }
            Ok(Adopted::Rekeyed(rekey)) => outln!(
                "re-keyed  {} (id {}): was {}; the next sync moves it (moved block)",
                monc::escape::line(&a.key),
                a.id,
                monc::escape::line(&rekey.from)
            ),
            Ok(Adopted::Unchanged) => outln!(
                "unchanged {} (id {}): already adopted",
                monc::escape::line(&a.key),
                a.id
            ),
            Err(error) => {
                failed += 1;
                eoutln!(
                    "failed    {} (id {}): {}",
                    monc::escape::line(&a.key),
                    a.id,
                    monc::escape::lines(error)
                );
            }
        }
    }
    if failed > 0 {
        return Err(Error::Message(format!(
            "{failed} monitors could not be adopted; re-running `monc import --adopt --force` retries them"
        )));
    }
    outln!("next: monc diff shows the adopted monitors as updates; monc sync applies them");
    Ok(())
}
