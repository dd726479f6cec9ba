//! One test per diagnostic fixture project (tests/fixtures/diagnostics/<name>/), so that every
//! mismatch shows and one fixture runs by name: `cargo test --test diagnostics moved-chain`.
//! Each checks that
//! - every `expect` line (a code, the file, and the exact source text its primary span must
//!   cover) is reported, and nothing when `expect` is empty;
//! - every diagnostic has a label, a help line and a span inside its file;
//! - the rendered diagnostics match the snapshot `snapshots/diagnostics__<name>.snap` (insta).

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "support/diagnostics_fixtures.rs"]
#[allow(dead_code, reason = "copy_project serves tests/it")]
mod diagnostics_fixtures;

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use monc::Checked;
use monc::diagnostic::Diagnostic;

use diagnostics_fixtures::{fixture_dirs, load_options};

fn main() {
    let args = Arguments::from_args();
    let trials = fixture_dirs()
        .into_iter()
        .map(|dir| {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(name.clone(), move || check_fixture(&name, &dir))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn check_fixture(name: &str, dir: &Path) -> Result<(), Failed> {
    let checked = monc::check(&load_options(dir)).map_err(|e| format!("does not load: {e}"))?;
    let mut failures = missing_expectations(dir, &checked);
    failures.extend(malformed_diagnostics(&checked));
    let sources = &checked.model.sources;
    let diagnostics = checked.diagnostics.into_sorted();
    let rendered = monc::output::render_human(&diagnostics, sources, false);
    // insta prints the difference and panics; caught, so that the failures above show too.
    let snapshot = std::panic::catch_unwind(|| {
        insta::assert_snapshot!(name.trim_start_matches('_'), rendered);
    });
    if snapshot.is_err() {
        failures.push(format!(
            "the rendered diagnostics differ from tests/snapshots/diagnostics__{}.snap (the \
             difference is printed above; `cargo insta review` accepts a new one)",
            name.trim_start_matches('_')
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n\n").into())
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

/// The `expect` lines no diagnostic matches, or the diagnostics of a fixture expecting none.
fn missing_expectations(dir: &Path, checked: &Checked) -> Vec<String> {
    let sources = &checked.model.sources;
    let expected = expectations(dir);
    let got = || {
        let lines: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| describe(d, checked))
            .collect();
        lines.join("\n  ")
    };
    let mut failures = Vec::new();
    for e in &expected {
        let found = checked.diagnostics.iter().any(|d| {
            d.code.as_str() == e.code
                && sources.file(d.span.file).path.ends_with(&e.file)
                && e.span_text
                    .as_deref()
                    .is_none_or(|t| sources.text(&d.span) == t)
        });
        if !found {
            failures.push(format!(
                "expected {} in {} at {:?}; got:\n  {}",
                e.code,
                e.file,
                e.span_text,
                got()
            ));
        }
    }
    if expected.is_empty() && !checked.diagnostics.is_empty() {
        failures.push(format!("expected no diagnostics, got:\n  {}", got()));
    }
    failures
}

/// Diagnostics without a label or help line, or whose span is not inside its file.
fn malformed_diagnostics(checked: &Checked) -> Vec<String> {
    let mut failures = Vec::new();
    for d in checked.diagnostics.iter() {
        let len = checked.model.sources.file(d.span.file).text.len();
        if !(d.span.range.start <= d.span.range.end && d.span.range.end <= len) {
            failures.push(format!("span outside its file: {}", describe(d, checked)));
        }
        if d.help.as_deref().is_none_or(str::is_empty) {
            failures.push(format!("no help: {}", describe(d, checked)));
        }
        if d.label.is_empty() {
            failures.push(format!("no label: {}", describe(d, checked)));
        }
    }
    failures
}

fn describe(d: &Diagnostic, checked: &Checked) -> String {
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
