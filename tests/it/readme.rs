//! The console examples of the README and of `docs/*.md` are what a reader sees: every
//! ```console block marked `<!-- checked -->` is run, command by command, in a copy of the
//! reference setup after the README's set-up command, and each command's output and exit code are compared with the
//! block. In an expected output, a line `...` stands for any lines and a line ending in `...`
//! for any line starting with the text before it.

use std::path::Path;
use std::process::Command;

use crate::common;

const MARKER: &str = "<!-- checked -->";

struct Step {
    command: String,
    exit: i32,
    expected: Vec<String>,
}

/// The checked blocks of the README, each a list of steps.
fn checked_blocks(readme: &str) -> Vec<Vec<Step>> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != MARKER {
            continue;
        }
        assert_eq!(
            lines.next(),
            Some("```console"),
            "{MARKER} must precede a console block"
        );
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        blocks.push(steps(&body));
    }
    blocks
}

fn steps(body: &[&str]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in body {
        match line.strip_prefix("$ ") {
            Some(command) => {
                let (command, comment) = command.split_once("  #").unwrap_or((command, ""));
                steps.push(Step {
                    command: command.trim().to_string(),
                    exit: exit_code(comment),
                    expected: Vec::new(),
                });
            }
            None => steps
                .last_mut()
                .expect("a console block starts with a `$ ` command")
                .expected
                .push(line.trim_end().to_string()),
        }
    }
    for step in &mut steps {
        while step.expected.last().is_some_and(String::is_empty) {
            step.expected.pop();
        }
    }
    steps
}

/// `# exit 2: changes pending` → 2; no exit noted → 0.
pub(crate) fn exit_code(comment: &str) -> i32 {
    comment
        .trim()
        .strip_prefix("exit ")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// Whether `actual` is what `expected` shows, `...` lines standing for any lines.
pub(crate) fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((line, rest)) if line.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((line, rest)) => actual.split_first().is_some_and(|(first, others)| {
            let same = match line.strip_suffix("...") {
                Some(prefix) => first.starts_with(prefix),
                None => first == line,
            };
            same && matches(rest, others)
        }),
    }
}

fn run(dir: &Path, command: &str) -> (i32, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_monc"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} 2>&1"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY")
        .env_remove("DD_SITE")
        .env_remove("MONC_ORG")
        .env_remove("MONC_API_URL")
        .output()
        .expect("sh runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The README's examples run in the repository's root; the sandbox gets its example
/// directories too.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy");
        }
    }
}

/// README.md and every `docs/*.md`, by path relative to the repository, with their text.
fn documents(root: &Path) -> Vec<(String, String)> {
    let mut paths = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("document");
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            (name, text)
        })
        .collect()
}

#[test]
fn the_checked_console_blocks_show_what_the_reader_sees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for (name, text) in documents(root) {
        for (index, block) in checked_blocks(&text).iter().enumerate() {
            checked += 1;
            let sandbox = format!("{}-block-{index}", name.replace(['/', '.'], "-"));
            let dir = common::reference_copy("readme", &sandbox);
            copy_tree(&root.join("alert-tests"), &dir.join("alert-tests"));
            copy_tree(&root.join("examples"), &dir.join("examples"));
            let (code, output) = run(&dir, "monc sync --org local --yes");
            assert_eq!(code, 0, "the set-up command failed: {output}");
            for step in block {
                let (code, output) = run(&dir, &step.command);
                let actual: Vec<&str> = output.lines().map(str::trim_end).collect();
                assert!(
                    code == step.exit && matches(&step.expected, &actual),
                    "{name} block {index}: `$ {}` exited {code} ({name}: {}) and printed:\n{output}\n{name} shows:\n{}",
                    step.command,
                    step.exit,
                    step.expected.join("\n")
                );
            }
        }
    }
    // The quick start (README), validate (checks), test and matrix (testing), import (import).
    assert!(
        checked >= 5,
        "only {checked} {MARKER} blocks in README.md and docs/"
    );
}

#[test]
fn dots_stand_for_any_lines_or_the_rest_of_a_line() {
    let expected: Vec<String> = ["a", "...", "d...", "e"].map(String::from).to_vec();
    assert!(matches(&expected, &["a", "b", "c", "done", "e"]));
    assert!(matches(&expected, &["a", "d", "e"]));
    assert!(!matches(&expected, &["a", "b", "e"]));
    assert!(!matches(&expected, &["a", "d", "e", "f"]));
}
