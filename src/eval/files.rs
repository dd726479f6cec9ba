//! Terraform's file functions, kept inside the project directory: `file`, `fileexists`,
//! `fileset`, `templatefile`. A path is relative to the project (`path.root` and `path.module`
//! are `.`); an absolute path, or one whose `..` or symbolic link leads out of the project,
//! is refused, so a template cannot read the rest of the machine.
//!
//! hcl-rs gives a function only its arguments, so these are called where the evaluator sees
//! the call and the context (see `lazy`), which holds the project directory.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::path::{Component, Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl::expr::{Expression, Variable};
use hcl::template::Template;
use hcl::{Identifier, Map, Value};

use super::functions::Args;

/// The context variable holding the project directory. Not an HCL identifier (it has
/// spaces): no expression can name it.
const PROJECT_DIR: &str = "monc project directory";

/// A file read by `file` or `templatefile` larger than this is refused.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// `fileset` looks at no more entries than this.
const MAX_ENTRIES: usize = 100_000;

pub(super) const NAMES: [&str; 11] = [
    "file",
    "fileexists",
    "fileset",
    "templatefile",
    "filebase64",
    "filemd5",
    "filesha1",
    "filesha256",
    "filesha512",
    "filebase64sha256",
    "filebase64sha512",
];

/// Declares `path.root`, `path.module` and the project directory.
pub(super) fn declare_project(ctx: &mut Context, root: &Path) {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let dot = Value::from(".");
    let path: Map<String, Value> = [("root".into(), dot.clone()), ("module".into(), dot)]
        .into_iter()
        .collect();
    ctx.declare_var("path", path);
    ctx.declare_var(
        Identifier::unchecked(PROJECT_DIR),
        root.to_string_lossy().into_owned(),
    );
}

fn project_dir(ctx: &Context) -> Result<PathBuf, String> {
    match Expression::Variable(Variable::unchecked(PROJECT_DIR)).evaluate(ctx) {
        Ok(Value::String(dir)) => Ok(PathBuf::from(dir)),
        _ => Err("files can be read only in a project's configuration".into()),
    }
}

/// Calls file function `name` (one of [`NAMES`]) with evaluated arguments.
pub(super) fn call(name: &str, a: &[Value], ctx: &Context) -> Result<Value, String> {
    let root = project_dir(ctx)?;
    match name {
        "file" => {
            a.arity(1)?;
            read(&root, &a.string(0)?).map(Value::from)
        }
        "fileexists" => {
            a.arity(1)?;
            exists(&root, &a.string(0)?).map(Value::from)
        }
        "fileset" => {
            a.arity(2)?;
            fileset(&root, &a.string(0)?, &a.string(1)?)
        }
        "templatefile" => {
            a.arity(2)?;
            template_file(&root, &a.string(0)?, &a[1])
        }
        "filebase64" => {
            a.arity(1)?;
            Ok(STANDARD.encode(read_bytes(&root, &a.string(0)?)?).into())
        }
        // filemd5, filesha256, ...: the hash of the same name without `file`.
        hash => {
            a.arity(1)?;
            let bytes = read_bytes(&root, &a.string(0)?)?;
            Ok(super::hashes::hash(&hash["file".len()..], &bytes).into())
        }
    }
}

/// `given` inside the project: relative, and no `..` or link leading out.
fn inside(root: &Path, given: &str) -> Result<PathBuf, String> {
    let outside =
        || format!("`{given}` is outside the project: give a path inside the project directory");
    let path = Path::new(given);
    if path.is_absolute() || path.has_root() {
        return Err(format!(
            "`{given}` is an absolute path: give a path relative to the project directory"
        ));
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop().ok_or_else(outside)?;
            }
            Component::Normal(part) => parts.push(part),
            Component::RootDir | Component::Prefix(_) => return Err(outside()),
        }
    }
    let full: PathBuf = parts
        .iter()
        .fold(root.to_path_buf(), |p, part| p.join(part));
    match full.canonicalize() {
        Ok(real) if !real.starts_with(root) => Err(format!(
            "`{given}` leads outside the project through a symbolic link"
        )),
        _ => Ok(full),
    }
}

fn read(root: &Path, given: &str) -> Result<String, String> {
    String::from_utf8(read_bytes(root, given)?).map_err(|_| format!("`{given}` is not UTF-8 text"))
}

fn read_bytes(root: &Path, given: &str) -> Result<Vec<u8>, String> {
    let path = inside(root, given)?;
    let cannot = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => format!("there is no file `{given}` in the project"),
        _ => format!("cannot read `{given}`: {e}"),
    };
    if path.is_dir() {
        return Err(format!("`{given}` is a directory, not a file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .map_err(cannot)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "`{given}` is larger than {} MiB",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    Ok(bytes)
}

fn exists(root: &Path, given: &str) -> Result<bool, String> {
    let path = inside(root, given)?;
    if path.is_dir() {
        return Err(format!("`{given}` is a directory, not a file"));
    }
    Ok(path.is_file())
}

/// `fileset(path, pattern)`: the files under `path` whose path relative to it matches
/// `pattern`, sorted.
fn fileset(root: &Path, given: &str, pattern: &str) -> Result<Value, String> {
    let base = inside(root, given)?;
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("{pattern:?} is not a valid pattern: {e}"))?
        .compile_matcher();
    let mut found = Vec::new();
    let mut pending = vec![base.clone()];
    let mut seen = 0usize;
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(format!(
                    "`{given}` holds more than {MAX_ENTRIES} entries: give a smaller directory"
                ));
            }
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            // A link counts only when it is a file inside the project.
            let is_file = kind.is_file()
                || path
                    .canonicalize()
                    .is_ok_and(|real| real.starts_with(root) && real.is_file());
            let relative = path.strip_prefix(&base).unwrap_or(&path);
            let relative = relative.to_string_lossy().replace('\\', "/");
            if is_file && matcher.is_match(&relative) {
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(Value::Array(found.into_iter().map(Value::from).collect()))
}

thread_local! {
    static IN_TEMPLATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks a template being rendered, until dropped (also on a panic): a template may not
/// render another, so that none can render itself forever.
struct Rendering;

impl Rendering {
    fn start(function: &str) -> Result<Rendering, String> {
        if IN_TEMPLATE.with(|flag| flag.replace(true)) {
            return Err(format!(
                "cannot call `{function}` inside a template (Terraform refuses it too)"
            ));
        }
        Ok(Rendering)
    }
}

impl Drop for Rendering {
    fn drop(&mut self) {
        IN_TEMPLATE.with(|flag| flag.set(false));
    }
}

/// `templatefile(path, vars)`: the file rendered as a template that sees `vars` (and the
/// functions), nothing else.
fn template_file(root: &Path, given: &str, vars: &Value) -> Result<Value, String> {
    let _rendering = Rendering::start("templatefile")?;
    let text = read(root, given)?;
    render(&text, vars, super::base_context_in(root)).map_err(|why| format!("in `{given}`: {why}"))
}

/// `templatestring(string, vars)`: the string rendered as a template, as `templatefile`
/// renders a file.
pub(super) fn template_string(a: hcl::eval::FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let _rendering = Rendering::start("templatestring")?;
    render(&a.string(0)?, &a[1], super::base_context())
}

fn render(text: &str, vars: &Value, mut ctx: Context<'static>) -> Result<Value, String> {
    let Value::Object(vars) = vars else {
        return Err(format!(
            "argument 2 must be an object of the template's variables, got {}",
            super::describe_value(vars)
        ));
    };
    let template: Template = text
        .parse()
        .map_err(|e| format!("not a valid template: {e}"))?;
    for (name, value) in vars {
        let name = Identifier::new(name.clone())
            .map_err(|_| format!("{name:?} cannot be a template variable's name"))?;
        ctx.declare_var(name, value.clone());
    }
    super::lazy::render(template, &ctx)
        .map(Value::from)
        .map_err(|e| super::EvalFailure::from_error(&e).message)
}

/// Go's `filepath.Base`, which Terraform's `basename` calls.
pub(super) fn basename(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match (path.is_empty(), trimmed.is_empty()) {
        (true, _) => ".".into(),
        (false, true) => "/".into(),
        _ => trimmed.rsplit('/').next().unwrap_or(trimmed).into(),
    }
}

/// Go's `filepath.Dir`, which Terraform's `dirname` calls: all but the last element, cleaned.
pub(super) fn dirname(path: &str) -> String {
    match path.rfind('/') {
        Some(last) => clean(&path[..=last]),
        None => ".".into(),
    }
}

/// Go's `filepath.Clean`: no empty or `.` elements, `..` applied where it can be.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}
