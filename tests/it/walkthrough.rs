//! A document (README.md, docs/import.md), run top to bottom as a newcomer would (issue 24):
//! every shell block (`sh`, `console`), in order, in ONE shell, in a fresh copy of the
//! repository (the files a clone has: `git ls-files`, no `.monc/`, no `target/`), with the
//! binary under test on `PATH` as `monc`. Each command must exit as the document says (0 unless
//! a `# exit N` comment says otherwise), and where the document shows output, print it (`...`
//! lines as in `tests/it/readme.rs`). Each document is walked on its own fresh copy.
//!
//! What cannot run here is marked in the document itself, never skipped silently:
//! `<!-- walk-through: skip: REASON -->` before a block skips it, and
//! `<!-- walk-through: skip `COMMAND`: REASON -->` skips the commands of the next block that
//! start with COMMAND. Two rewrites, both what the documents themselves say or need:
//! `cargo run -- ` is `monc ` (the README: "write `cargo run --` where the examples say
//! `monc`"), and the emulator's port 8787 becomes a free port, so that the test cannot collide
//! with anything else on the machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::readme::{exit_code, matches};

const MARK: &str = "<!-- walk-through: skip";
/// The file of the walk-through's output listing what the document left running.
const LEFT_RUNNING: &str = "left-running";
/// The emulator's port in the documents, replaced by a free one.
const DOC_PORT: &str = "8787";

/// One command of a document, as the reader types it.
#[derive(Debug)]
struct Step {
    /// Where it is: `DOCUMENT:LINE`.
    at: String,
    command: String,
    exit: i32,
    /// The lines the document shows after it (none: not compared).
    expected: Vec<String>,
    background: bool,
}

/// A skipped block or command, and why.
#[derive(Debug)]
struct Skipped {
    at: String,
    what: String,
    reason: String,
}

/// A skip marker: `None` for the whole block, or the command prefix it names; and the reason.
fn skip_marker(line: &str) -> Option<(Option<String>, String)> {
    let rest = line.trim().strip_prefix(MARK)?.strip_suffix("-->")?.trim();
    if let Some(reason) = rest.strip_prefix(':') {
        return Some((None, reason.trim().to_string()));
    }
    let rest = rest.strip_prefix('`')?;
    let (command, reason) = rest.split_once("`:")?;
    Some((Some(command.to_string()), reason.trim().to_string()))
}

/// Every shell block of the document `name` (its `text`), in order: the steps to run and what
/// is skipped.
fn walk(name: &str, text: &str) -> (Vec<Step>, Vec<Skipped>) {
    let lines: Vec<&str> = text.lines().collect();
    let (mut steps, mut skipped) = (Vec::new(), Vec::new());
    let mut markers: Vec<(Option<String>, String)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(marker) = skip_marker(line) {
            markers.push(marker);
            i += 1;
            continue;
        }
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() && !line.trim_start().starts_with("<!--") {
                markers.clear();
            }
            i += 1;
            continue;
        };
        let start = i + 1;
        let end = (start..lines.len())
            .find(|&j| lines[j].starts_with("```"))
            .expect("every fence is closed");
        let body = &lines[start..end];
        let at = |offset: usize| format!("{name}:{}", start + offset + 1);
        match info.trim() {
            "sh" | "console" | "bash" | "shell" => {
                let console = info.trim() == "console";
                let block = block_steps(body, console, &at);
                apply_markers(block, &markers, &mut steps, &mut skipped, &at(0));
            }
            _ => {}
        }
        markers.clear();
        i = end + 1;
    }
    (steps, skipped)
}

fn apply_markers(
    block: Vec<Step>,
    markers: &[(Option<String>, String)],
    steps: &mut Vec<Step>,
    skipped: &mut Vec<Skipped>,
    at: &str,
) {
    if let Some((_, reason)) = markers.iter().find(|(prefix, _)| prefix.is_none()) {
        skipped.push(Skipped {
            at: at.to_string(),
            what: "the whole block".into(),
            reason: reason.clone(),
        });
        return;
    }
    for step in block {
        let skip = markers.iter().find_map(|(prefix, reason)| {
            let prefix = prefix.as_deref()?;
            step.command.starts_with(prefix).then_some(reason)
        });
        match skip {
            Some(reason) => skipped.push(Skipped {
                at: step.at.clone(),
                what: step.command.clone(),
                reason: reason.clone(),
            }),
            None => steps.push(step),
        }
    }
}

/// The commands of one block: in a console block the lines after `$ ` (continued by a trailing
/// `\`), the other lines being what it prints; in a sh block every line but comments.
fn block_steps(body: &[&str], console: bool, at: &dyn Fn(usize) -> String) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut continued = false;
    for (offset, line) in body.iter().enumerate() {
        if continued {
            let last = steps.last_mut().expect("a command to continue");
            let (line, comment) = line.split_once("  #").unwrap_or((line, ""));
            last.command.push('\n');
            last.command.push_str(line.trim_end());
            if !comment.is_empty() {
                last.exit = exit_code(comment);
            }
            continued = line.trim_end().ends_with('\\');
            continue;
        }
        let command = if console {
            line.strip_prefix("$ ")
        } else {
            Some(*line).filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        };
        match command {
            Some(command) => {
                let (command, comment) = command.split_once("  #").unwrap_or((command, ""));
                let command = command.trim_end();
                let background = command.ends_with(" &");
                continued = command.ends_with('\\');
                steps.push(Step {
                    at: at(offset),
                    command: command.trim_end_matches(" &").trim_end().to_string(),
                    exit: exit_code(comment),
                    expected: Vec::new(),
                    background,
                });
            }
            None if console => steps
                .last_mut()
                .expect("a console block starts with a `$ ` command")
                .expected
                .push(line.trim_end().to_string()),
            None => {}
        }
    }
    for step in &mut steps {
        while step.expected.last().is_some_and(String::is_empty) {
            step.expected.pop();
        }
    }
    steps
}

/// The files a fresh clone has (tracked, or new and not ignored), copied to `to`.
fn fresh_copy(root: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .expect("git lists the repository's files");
    assert!(listed.status.success(), "git ls-files failed");
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name);
        let from = root.join(name.as_ref());
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let dest = to.join(name.as_ref());
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&from, &dest).expect("copy");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One bash script running every step in order in one shell, each step's output and exit code
/// to `out/N.out` and `out/N.rc`.
fn script(steps: &[Step], out: &Path, port: &str) -> String {
    let mut text = String::from("set +e\n");
    for (n, step) in steps.iter().enumerate() {
        let command = step
            .command
            .replace("cargo run -- ", "monc ")
            .replace(DOC_PORT, port);
        let file = out.join(format!("{n}.out"));
        let rc = out.join(format!("{n}.rc"));
        if step.background {
            text.push_str(&format!(
                "{command} > '{}' 2>&1 < /dev/null &\necho 0 > '{}'\n",
                file.display(),
                rc.display()
            ));
        } else {
            text.push_str(&format!(
                "{{ {command}\n}} > '{}' 2>&1 < /dev/null\necho $? > '{}'\n",
                file.display(),
                rc.display()
            ));
        }
    }
    // What the document started in the background it must stop (the reader's shell is left as
    // it was found): what still runs 5 s after the last command is noted, then killed, so that
    // it does not outlive the test.
    text.push_str(&format!(
        "for _ in $(seq 50); do [ -z \"$(jobs -rp)\" ] && break; sleep 0.1; done\n\
         jobs -r > '{}'\n\
         for job in $(jobs -p); do kill \"$job\"; done\n",
        out.join(LEFT_RUNNING).display()
    ));
    text
}

/// Runs `script` in `dir` with the binary under test first on PATH; gives up after `limit`.
fn run_script(dir: &Path, script: &str, limit: Duration) {
    let bin = Path::new(env!("CARGO_BIN_EXE_monc"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY")
        .env_remove("DD_SITE")
        .env_remove("MONC_ORG")
        .env_remove("MONC_API_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bash runs");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the walk-through did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Walks the document at `name` (relative to the repository) on a fresh copy of the
/// repository: every command exits and prints as the document shows.
fn walk_through(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(name)).expect("the document");
    let (steps, skipped) = walk(name, &text);
    for skip in &skipped {
        eprintln!(
            "not run: {} ({}): {}",
            skip.what.lines().next().unwrap_or_default(),
            skip.at,
            skip.reason
        );
        assert!(
            !skip.reason.is_empty(),
            "{}: a skip needs a reason",
            skip.at
        );
    }
    assert!(
        steps.len() >= 10,
        "the walk-through of {name} runs only {} commands",
        steps.len()
    );
    let base: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("walkthrough")
        .join(name.replace(['/', '.'], "-"));
    let (repo, out) = (base.join("repo"), base.join("out"));
    fresh_copy(root, &repo);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("mkdir");
    let port = free_port().to_string();
    run_script(
        &repo,
        &script(&steps, &out, &port),
        Duration::from_secs(300),
    );
    for (n, step) in steps.iter().enumerate() {
        let printed = std::fs::read_to_string(out.join(format!("{n}.out"))).unwrap_or_default();
        let code: i32 = std::fs::read_to_string(out.join(format!("{n}.rc")))
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(-1);
        let expected: Vec<String> = step
            .expected
            .iter()
            .map(|l| l.replace(DOC_PORT, &port))
            .collect();
        let actual: Vec<&str> = printed.lines().map(str::trim_end).collect();
        let shown = expected.is_empty() || matches(&expected, &actual);
        assert!(
            code == step.exit && shown,
            "{}: `{}` exited {code} ({name}: {}) and printed:\n{printed}\n{name} shows:\n{}",
            step.at,
            step.command,
            step.exit,
            expected.join("\n")
        );
    }
    let left = std::fs::read_to_string(out.join(LEFT_RUNNING)).expect("the list of jobs");
    assert!(
        left.trim().is_empty(),
        "{name} leaves running what it started in the background (stop it, e.g. `kill %1`):\n{left}"
    );
}

#[test]
fn the_whole_readme_runs_top_to_bottom_on_a_fresh_clone() {
    walk_through("README.md");
}

/// Its examples lay down the monitors they import on the local emulator (issue 24).
#[test]
fn the_whole_import_guide_runs_top_to_bottom_on_a_fresh_clone() {
    walk_through("docs/import.md");
}

#[test]
fn markers_skip_a_block_or_its_commands_and_say_why() {
    let readme = "<!-- walk-through: skip `b`: the suite -->\n```sh\na x\nb y\n```\n\n\
                  <!-- walk-through: skip: needs an org -->\n```sh\nc\n```\n\
                  ```console\n$ d \\\n    e  # exit 2\nout\n\n$ f &\n```\n";
    let (steps, skipped) = walk("README.md", readme);
    let commands: Vec<&str> = steps.iter().map(|s| s.command.as_str()).collect();
    assert_eq!(commands, ["a x", "d \\\n    e", "f"]);
    assert_eq!(steps[1].exit, 2);
    assert_eq!(steps[1].expected, ["out"]);
    assert!(steps[2].background);
    let reasons: Vec<&str> = skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons, ["the suite", "needs an org"]);
}
