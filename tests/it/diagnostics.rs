//! One fixture project per diagnostic code (tests/fixtures/diagnostics/<name>/): each `expect`
//! line names a code, the file, and the exact source text its primary span must cover.

use std::path::{Path, PathBuf};

use monc::diagnostic::{Code, Diagnostic};
use monc::load::LoadOptions;

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("fixtures directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn options(dir: &Path) -> LoadOptions {
    LoadOptions {
        project_file: dir.join("monc.hcl"),
        tenants: dir.join("tenants.hcl"),
        monitors: dir.join("monitors.hcl"),
    }
}

struct Expectation {
    code: String,
    file: String,
    span_text: Option<String>,
}

fn expectations(dir: &Path) -> Vec<Expectation> {
    let text = std::fs::read_to_string(dir.join("expect")).expect("expect file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            Expectation {
                code: parts.next().unwrap_or_default().to_string(),
                file: parts.next().unwrap_or_default().to_string(),
                span_text: parts.next().map(String::from),
            }
        })
        .collect()
}

fn describe(d: &Diagnostic, checked: &monc::Checked) -> String {
    let sources = &checked.model.sources;
    format!(
        "{} at {}:{:?} {:?}: {}",
        d.code,
        sources.file(d.span.file).path.display(),
        d.span.range,
        sources.text(&d.span),
        d.message
    )
}

#[test]
fn every_fixture_reports_its_code_at_the_expected_span() {
    let mut failures = Vec::new();
    for dir in fixture_dirs() {
        let checked = monc::check(&options(&dir)).expect("fixture loads");
        let sources = &checked.model.sources;
        let expected = expectations(&dir);
        for e in &expected {
            let found = checked.diagnostics.iter().any(|d| {
                d.code.as_str() == e.code
                    && sources.file(d.span.file).path.ends_with(&e.file)
                    && e.span_text
                        .as_deref()
                        .is_none_or(|t| sources.text(&d.span) == t)
            });
            if !found {
                let got: Vec<String> = checked
                    .diagnostics
                    .iter()
                    .map(|d| describe(d, &checked))
                    .collect();
                failures.push(format!(
                    "{}: expected {} in {} at {:?}; got:\n  {}",
                    dir.display(),
                    e.code,
                    e.file,
                    e.span_text,
                    got.join("\n  ")
                ));
            }
        }
        if expected.is_empty() && !checked.diagnostics.is_empty() {
            let got: Vec<String> = checked
                .diagnostics
                .iter()
                .map(|d| describe(d, &checked))
                .collect();
            failures.push(format!(
                "{}: expected no diagnostics, got:\n  {}",
                dir.display(),
                got.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_diagnostic_has_a_help_line_and_a_span_inside_its_file() {
    for dir in fixture_dirs() {
        let checked = monc::check(&options(&dir)).expect("fixture loads");
        for d in checked.diagnostics.iter() {
            let len = checked.model.sources.file(d.span.file).text.len();
            assert!(
                d.span.range.start <= d.span.range.end && d.span.range.end <= len,
                "{}",
                describe(d, &checked)
            );
            assert!(
                d.help.as_deref().is_some_and(|h| !h.is_empty()),
                "no help: {}",
                describe(d, &checked)
            );
            assert!(!d.label.is_empty(), "no label: {}", describe(d, &checked));
        }
    }
}

#[test]
fn rendered_diagnostics_match_snapshots() {
    for dir in fixture_dirs() {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let checked = monc::check(&options(&dir)).expect("fixture loads");
        let sources = &checked.model.sources;
        let diagnostics = checked.diagnostics.into_sorted();
        let rendered = monc::output::render_human(&diagnostics, sources, false);
        insta::assert_snapshot!(name.trim_start_matches('_'), rendered);
    }
}

/// Files under `dir`, recursively, that spell a `"monc::…"` code as a string literal (in a
/// comment, or quoted inside a string as in help text, it is an example, not a code).
fn files_spelling_codes(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_spelling_codes(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source file");
            let code = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .any(|line| {
                    line.match_indices("\"monc::")
                        .any(|(at, _)| !line[..at].ends_with('\\'))
                });
            if code {
                found.push(path);
            }
        }
    }
}

/// The codes in the first column of the README's table of checks.
fn codes_in_readme_table() -> std::collections::BTreeSet<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let table = readme.split("### Checks").nth(1).expect("a Checks section");
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('|').nth(1))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .filter(|code| code.starts_with("monc::"))
        .map(String::from)
        .collect()
}

#[test]
fn the_readme_table_of_checks_lists_every_code_and_only_those() {
    let in_catalogue: std::collections::BTreeSet<String> =
        Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
    let in_readme = codes_in_readme_table();
    let undocumented: Vec<_> = in_catalogue.difference(&in_readme).collect();
    let stale: Vec<_> = in_readme.difference(&in_catalogue).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "missing from the README's table: {undocumented:?}; in the table but not in Code::ALL: {stale:?}"
    );
}

#[test]
fn codes_are_distinct_described_and_spelt_only_in_the_catalogue() {
    let distinct: std::collections::HashSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(distinct.len(), Code::ALL.len());
    for code in Code::ALL {
        assert!(code.as_str().starts_with("monc::"), "{code}");
        assert!(!code.description().is_empty(), "{code}");
        assert_eq!(Code::parse(code.as_str()), Some(*code));
    }
    let mut spelling = Vec::new();
    files_spelling_codes(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut spelling,
    );
    spelling.retain(|path| !path.ends_with("src/diagnostic.rs"));
    assert!(
        spelling.is_empty(),
        "use `Code` instead of a \"monc::…\" literal in {spelling:?}"
    );
}

/// The unused-ignore fixture with a template that does not load added: while an error remains,
/// checks may not have run, so an entry that silenced nothing is not reported.
#[test]
fn an_unused_ignore_waits_until_the_errors_are_fixed() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics/unused-ignore");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("unused-ignore-with-an-error");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::copy(fixture.join("tenants.hcl"), dir.join("tenants.hcl")).expect("copy");
    let monitors = std::fs::read_to_string(fixture.join("monitors.hcl")).expect("read");
    let broken = "monitor \"broken\" {\n  tier = \"L9\"\n  name = \"x\"\n  type = \"metric alert\"\n  query = \"avg(last_5m):avg:x{*} > 1\"\n}\n";
    std::fs::write(dir.join("monitors.hcl"), format!("{monitors}\n{broken}")).expect("write");
    let checked = monc::check(&options(&dir)).expect("loads");
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::UnknownTier]);
}

/// Files saved with Windows line endings (CRLF) check as their LF twins do, and a heredoc's
/// text reaches Datadog with plain newlines.
#[test]
fn a_project_with_crlf_line_endings_checks_and_compiles_like_its_lf_twin() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics/_valid");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("crlf-project");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for name in ["tenants.hcl", "monitors.hcl"] {
        let mut text = std::fs::read_to_string(fixture.join(name)).expect("read");
        if name == "monitors.hcl" {
            text = text.replace(
                "message  = \"Errors on {{host.name}}\"",
                "message  = <<-EOT\n    Errors on {{host.name}}\n    See the runbook.\n  EOT",
            );
        }
        std::fs::write(dir.join(name), text.replace('\n', "\r\n")).expect("write");
    }
    let checked = monc::check(&options(&dir)).expect("loads");
    let got: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| describe(d, &checked))
        .collect();
    assert!(got.is_empty(), "{got:#?}");
    let errors = checked
        .graph
        .monitor("l3/errors/acme")
        .expect("compiled monitor");
    assert_eq!(
        errors.message,
        "Errors on {{host.name}}\nSee the runbook.\n"
    );
}

/// The README's table of codes `ignore` may silence is the catalogue's list.
#[test]
fn the_readme_table_of_ignorable_codes_is_the_catalogue_list() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let section = readme
        .split("#### Ignoring a check for one monitor")
        .nth(1)
        .expect("the section");
    let listed: std::collections::BTreeSet<String> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1))
        .filter(|code| code.starts_with("monc::"))
        .map(String::from)
        .collect();
    let ignorable: std::collections::BTreeSet<String> = monc::diagnostic::Code::ignorable()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(listed, ignorable);
}
