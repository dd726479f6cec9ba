use monc::output;
use monc::{Checked, summary::Summary};

use super::ConfigArgs;
use super::error::{CommandResult, Error, Status};

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Source excerpts with labels (colour on a terminal unless NO_COLOR is set).
    Human,
    /// One line per problem: `file:line:col: error[code]: message`.
    Short,
    /// One JSON document with every diagnostic and a summary.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output format: `human` (source excerpts on stderr), `short` (one `file:line:col:` line per
    /// problem on stdout, for editors and grep), `json` (one document on stdout, even when the
    /// files cannot be read).
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Also show notes: what monc decided that is not a problem, such as a `suppressed_by`
    /// entry left out because the monitor it names is disabled (`enabled = false`).
    #[arg(long, short)]
    pub verbose: bool,
}

pub(crate) fn run(args: &ValidateArgs) -> CommandResult {
    let checked = match monc::check(&args.config.load_options()) {
        Ok(checked) => checked,
        Err(error) => {
            if args.format == Format::Json {
                // Machines get their one JSON document whatever happened.
                print_json_document(&serde_json::json!({
                    "ok": false,
                    "error": {
                        "path": error.path.display().to_string(),
                        "message": error.message,
                        "help": error.help,
                    },
                    "diagnostics": [],
                }));
            }
            return Err(Error::Message(format!("{error}\nhelp: {}", error.help)));
        }
    };
    let empty = checked.model.templates.is_empty();
    if empty {
        // Nothing to check is almost always the wrong directory, not a finished project.
        eoutln!(
            "warning: no `monitor` templates in {}; is this the project directory (-C DIR)?",
            args.config.load_options().monitors.display()
        );
    }
    let failed = checked.diagnostics.has_errors()
        || (args.strict && (checked.diagnostics.warning_count() > 0 || empty));
    match args.format {
        Format::Json => print_json(&checked, failed, args.verbose),
        Format::Human | Format::Short => {
            if args.verbose {
                eout!(
                    "{}",
                    output::render_notes(&checked.notes, &checked.model.sources)
                );
            }
            print_text(&checked, args.format, failed)
        }
    }
    // The problems are in the diagnostics printed above.
    Ok(if failed { Status::Error } else { Status::Ok })
}

fn print_text(checked: &Checked, format: Format, failed: bool) {
    let sorted: Vec<_> = checked.diagnostics.iter().cloned().collect();
    let sources = &checked.model.sources;
    // `short` is for editors and grep: one line per problem, on stdout.
    match format {
        Format::Short => out!("{}", output::render_short(&sorted, sources)),
        _ => eout!(
            "{}",
            output::render_human(&sorted, sources, output::stderr_colour())
        ),
    }
    let errors = checked.diagnostics.error_count();
    let warnings =
        checked.diagnostics.warning_count() + usize::from(checked.model.templates.is_empty());
    if failed {
        eoutln!("monc: {} found", counted(errors, warnings));
    } else {
        let summary = Summary::of(checked);
        let suffix = if warnings > 0 {
            format!(" ({})", counted(0, warnings))
        } else {
            String::new()
        };
        outln!("ok: {summary}{suffix}");
    }
}

fn counted(errors: usize, warnings: usize) -> String {
    use monc::english::counted;
    match (errors, warnings) {
        (e, 0) => counted(e, "error"),
        (0, w) => counted(w, "warning"),
        (e, w) => format!("{}, {}", counted(e, "error"), counted(w, "warning")),
    }
}

fn print_json(checked: &Checked, failed: bool, verbose: bool) {
    let sources = &checked.model.sources;
    let diagnostics: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.to_json(sources))
        .collect();
    let mut document = serde_json::json!({
        "ok": !failed,
        "summary": Summary::of(checked),
        "diagnostics": diagnostics,
    });
    if verbose {
        let notes: Vec<_> = checked
            .notes
            .iter()
            .map(|note| {
                let (line, column) = sources.line_col(note.span.file, note.span.range.start);
                let file = monc::diagnostic::display_path(&sources.file(note.span.file).path);
                serde_json::json!({"file": file, "line": line, "column": column, "message": note.message})
            })
            .collect();
        document["notes"] = notes.into();
    }
    print_json_document(&document);
}

fn print_json_document(document: &serde_json::Value) {
    outln!(
        "{}",
        serde_json::to_string_pretty(document).unwrap_or_default()
    );
}
