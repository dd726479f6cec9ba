//! The catalogue of diagnostic codes (distinct, described, a section each in docs/checks.md) and checks on
//! variants of the fixture projects. The fixtures themselves (tests/fixtures/diagnostics/<name>/)
//! run one test each in the `diagnostics` harness (tests/diagnostics.rs).

use std::path::{Path, PathBuf};

use monc::diagnostic::{Code, Diagnostic};

use crate::diagnostics_fixtures;

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

/// The codes docs/checks.md has a section for (`### `monc::code``).
fn codes_in_the_checks_reference() -> std::collections::BTreeSet<String> {
    let checks =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md"))
            .expect("docs/checks.md");
    checks
        .lines()
        .filter_map(|l| l.strip_prefix("### `")?.strip_suffix('`'))
        .map(String::from)
        .collect()
}

#[test]
fn the_checks_reference_lists_every_code_and_only_those() {
    let in_catalogue: std::collections::BTreeSet<String> =
        Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
    let in_readme = codes_in_the_checks_reference();
    let undocumented: Vec<_> = in_catalogue.difference(&in_readme).collect();
    let stale: Vec<_> = in_readme.difference(&in_catalogue).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "no section in docs/checks.md: {undocumented:?}; a section but not in Code::ALL: {stale:?}"
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
    let dir = diagnostics_fixtures::copy_project(
        "unused-ignore",
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("unused-ignore-with-an-error"),
    );
    let monitors = std::fs::read_to_string(dir.join("monitors.hcl")).expect("read");
    let broken = "monitor \"broken\" {\n  tier = \"L9\"\n  name = \"x\"\n  type = \"metric alert\"\n  query = \"avg(last_5m):avg:x{*} > 1\"\n}\n";
    std::fs::write(dir.join("monitors.hcl"), format!("{monitors}\n{broken}")).expect("write");
    let checked = monc::check(&diagnostics_fixtures::load_options(&dir)).expect("loads");
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::UnknownTier]);
}

/// Files saved with Windows line endings (CRLF) check as their LF twins do, and a heredoc's
/// text reaches Datadog with plain newlines.
#[test]
fn a_project_with_crlf_line_endings_checks_and_compiles_like_its_lf_twin() {
    let dir = diagnostics_fixtures::copy_project(
        "_valid",
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("crlf-project"),
    );
    for name in ["tenants.hcl", "monitors.hcl"] {
        let mut text = std::fs::read_to_string(dir.join(name)).expect("read");
        if name == "monitors.hcl" {
            text = text.replace(
                "message  = \"Errors on {{host.name}}\"",
                "message  = <<-EOT\n    Errors on {{host.name}}\n    See the runbook.\n  EOT",
            );
        }
        std::fs::write(dir.join(name), text.replace('\n', "\r\n")).expect("write");
    }
    let checked = monc::check(&diagnostics_fixtures::load_options(&dir)).expect("loads");
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
        errors.body.message,
        "Errors on {{host.name}}\nSee the runbook.\n"
    );
}

/// The table of codes `ignore` may silence (docs/checks.md) is the catalogue's list.
#[test]
fn the_table_of_ignorable_codes_is_the_catalogue_list() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md"))
            .expect("docs/checks.md");
    let section = readme
        .split("## Ignoring a check for one monitor")
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
