//! Property tests of the HCL loader: whatever is in the files, `monc::check` does not panic and
//! every diagnostic points inside the file it names.

use crate::common;
use std::path::{Path, PathBuf};

use monc::load::LoadOptions;
use proptest::prelude::*;

const REFERENCE_FILES: &[&str] = &[
    "monc.hcl",
    "tenants/acme.hcl",
    "tenants/clusters.hcl",
    "monitors/l0_platform.hcl",
    "monitors/l2_cluster.hcl",
    "monitors/l3_tenant.hcl",
];

/// Fragments that make mutations land on interesting syntax.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    "\"",
    "${",
    "%{",
    "<<-EOT\n",
    "\nEOT\n",
    "\n",
    " ",
    ",",
    ".",
    "*",
    "#",
    "//",
    "/*",
    "*/",
    "monitor",
    "tenant",
    "cluster",
    "tier",
    "for_each",
    "tenants",
    "clusters",
    "suppressed_by",
    "monitor.region_health",
    "monitor.alb_5xx[",
    "tenant.cluster",
    "tenant.vars.",
    "cluster.name",
    "\"L0\"",
    "\"L2\"",
    "\"L3\"",
    "\"L9\"",
    "null",
    "true",
    "1e309",
    "-0",
    "0x1F",
    "é",
    "🦀",
    "\u{0}",
    "\\",
    "\r\n",
    "query",
    "type",
    "\"composite\"",
    "join(",
    "notify",
    "vars",
    "options",
    "thresholds",
    "priority",
    "99999999999999999999",
];

fn project_dir(test: &str) -> PathBuf {
    common::reference_copy("load-props", test)
}

/// Every diagnostic (and related span) lies inside an existing file, on char boundaries.
fn check_spans(dir: &Path) -> Result<(), TestCaseError> {
    let Ok(checked) = monc::check(&LoadOptions::in_dir(dir)) else {
        // An I/O-level error (e.g. unreadable file) is a reported error, not a panic.
        return Ok(());
    };
    let sources = &checked.model.sources;
    for diagnostic in checked.diagnostics.iter() {
        let spans =
            std::iter::once(&diagnostic.span).chain(diagnostic.related.iter().map(|(_, s)| s));
        for span in spans {
            let text = &sources.file(span.file).text;
            let range = &span.range;
            prop_assert!(
                range.start <= range.end && range.end <= text.len(),
                "{} {:?} outside {} bytes of {}",
                diagnostic.code,
                range,
                text.len(),
                sources.file(span.file).path.display()
            );
            prop_assert!(
                text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
                "{} {:?} splits a character",
                diagnostic.code,
                range
            );
            prop_assert!(!diagnostic.message.is_empty());
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    DuplicateLine { at: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..40usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        any::<usize>().prop_map(|at| Mutation::DuplicateLine { at }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, mutation: &Mutation) {
    match *mutation {
        Mutation::Delete { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, start + len.min(text.len() - start));
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert { at, token } => {
            let at = boundary(text, at);
            text.insert_str(at, TOKENS[token]);
        }
        Mutation::DuplicateLine { at } => {
            let lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let line = lines[at % lines.len()].to_string();
                let at = boundary(text, at);
                text.insert_str(at, &format!("{line}\n"));
            }
        }
        Mutation::Truncate { at } => {
            let at = boundary(text, at);
            text.truncate(at);
        }
    }
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => (0..TOKENS.len()).prop_map(|i| TOKENS[i].to_string()),
            1 => "[a-z_]{1,8}",
            1 => any::<String>().prop_map(|s| s.chars().take(6).collect()),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_reference_files_never_panic_and_spans_fit(
        file in 0..REFERENCE_FILES.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let dir = project_dir("mutated");
        let path = dir.join(REFERENCE_FILES[file]);
        let mut text = std::fs::read_to_string(&path).expect("read");
        for m in &mutations {
            apply(&mut text, m);
        }
        std::fs::write(&path, &text).expect("write");
        check_spans(&dir)?;
    }

    #[test]
    fn arbitrary_text_in_any_file_never_panics_and_spans_fit(
        file in 0..REFERENCE_FILES.len(),
        text in prop_oneof![token_soup(), any::<String>()],
    ) {
        let dir = project_dir("arbitrary");
        std::fs::write(dir.join(REFERENCE_FILES[file]), &text).expect("write");
        check_spans(&dir)?;
    }

    #[test]
    fn arbitrary_bytes_are_an_error_not_a_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let dir = project_dir("bytes");
        std::fs::write(dir.join("tenants/acme.hcl"), &bytes).expect("write");
        check_spans(&dir)?;
    }
}
