//! The exit-code contract of every command (0 success / no changes, 1 any error, 2 only for
//! "changes pending"), and the option checks that must fail before any network call.

use crate::common;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;

fn monc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("monc").expect("binary");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY")
        .env_remove("DD_SITE")
        .env_remove("MONC_ORG")
        .env_remove("MONC_API_URL")
        .env_remove("MONC_SLACK_WEBHOOK_URL");
    cmd
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The subcommands listed by `monc --help`, so a new one cannot escape the contract.
fn subcommands() -> Vec<String> {
    let output = monc(&root()).arg("--help").output().expect("runs");
    let help = String::from_utf8_lossy(&output.stdout).to_string();
    let commands = help
        .split("Commands:")
        .nth(1)
        .expect("a Commands: section")
        .split("\n\n")
        .next()
        .unwrap_or_default();
    // Names are indented by two spaces; wrapped descriptions by more.
    commands
        .lines()
        .filter(|line| line.starts_with("  ") && !line[2..].starts_with(' '))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn a_misspelt_flag_exits_1_for_every_subcommand() {
    let commands = subcommands();
    assert!(commands.len() >= 8, "{commands:?}");
    for command in &commands {
        let output = monc(&root())
            .args([command.as_str(), "--no-such-flag"])
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "monc {command} --no-such-flag: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("--no-such-flag"),
            "monc {command}: {}",
            stderr(&output)
        );
    }
}

/// Arguments, and environment variables to set.
type Invocation<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

#[test]
fn usage_errors_exit_1_not_the_changes_pending_2() {
    let cases: &[Invocation] = &[
        (&[], &[]),
        (&["no-such-command"], &[]),
        (&["diff", "--format", "md"], &[]),
        (&["validate", "--format", "yaml"], &[]),
        (&["diff"], &[("MONC_ORG", "bogus")]),
        (&["sync", "--dry-run"], &[("MONC_ORG", "bogus")]),
        (&["restore"], &[]),
        (&["emulator", "--port", "http"], &[]),
        (&["test", "--outage", "cluster:nowhere"], &[]),
        (&["status", "--format", "md"], &[]),
        (&["status", "--watch", "0"], &[]),
        (&["status", "--set", "l2/db_cpu/prod-tokyo-1"], &[]),
        (&["status"], &[("MONC_ORG", "bogus")]),
    ];
    for (args, env) in cases {
        let mut cmd = monc(&root());
        cmd.args(*args);
        for (key, value) in *env {
            cmd.env(key, value);
        }
        let output = cmd.output().expect("runs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "monc {args:?} with {env:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn help_and_version_exit_0_and_help_states_the_contract() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["diff", "--help"],
        &["help"],
    ] {
        let output = monc(&root()).args(args).output().expect("runs");
        assert_eq!(output.status.code(), Some(0), "monc {args:?}");
    }
    let help = monc(&root()).arg("--help").output().expect("runs");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("Exit codes"), "{text}");
    assert!(text.contains("2  changes pending"), "{text}");
}

#[test]
fn unreadable_configuration_is_exit_1_for_every_command_that_reads_it() {
    for command in ["validate", "graph", "test"] {
        let output = monc(&root())
            .args([command, "-C", "no/such/dir"])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(1), "monc {command}");
        assert!(
            stderr(&output).contains("cannot read the tenants directory"),
            "monc {command}: {}",
            stderr(&output)
        );
    }
}

/// A loopback port that counts the connections made to it (and answers none of them), to
/// prove that a command stopped before contacting the API.
fn counting_api() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, connections)
}

/// `monc ARGS` pointed at the counting API with (fake) credentials.
fn monc_against(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = monc(dir);
    cmd.env("DD_API_KEY", "test-api-key")
        .env("DD_APP_KEY", "test-app-key")
        .args(args)
        .args(["--api-url", url]);
    cmd
}

#[test]
fn an_empty_tenant_selection_is_a_usage_error_before_any_network_call() {
    let dir = common::reference_copy("cli-contract", "empty-only");
    let (url, connections) = counting_api();
    for command in [&["diff"][..], &["sync", "--yes"], &["sync", "--dry-run"]] {
        for only in ["", ",", " , "] {
            let output = monc_against(&dir, &url, command)
                .args(["--tenant", only])
                .output()
                .expect("runs");
            assert_eq!(
                output.status.code(),
                Some(1),
                "monc {command:?} --tenant {only:?}: {}",
                stderr(&output)
            );
            assert!(
                stderr(&output).contains("--tenant"),
                "{command:?} --tenant {only:?}: {}",
                stderr(&output)
            );
        }
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "contacted the API");
}

#[test]
fn notify_slack_without_a_webhook_fails_before_any_network_call() {
    let dir = common::reference_copy("cli-contract", "slack-unset");
    let (url, connections) = counting_api();
    for webhook in [None, Some("")] {
        let mut cmd = monc_against(&dir, &url, &["diff", "--notify-slack"]);
        if let Some(value) = webhook {
            cmd.env("MONC_SLACK_WEBHOOK_URL", value);
        }
        let output = cmd.output().expect("runs");
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("MONC_SLACK_WEBHOOK_URL"),
            "{}",
            stderr(&output)
        );
    }
    let insecure = monc_against(&dir, &url, &["diff", "--notify-slack"])
        .env(
            "MONC_SLACK_WEBHOOK_URL",
            "http://hooks.example.com/services/SECRET",
        )
        .output()
        .expect("runs");
    assert_eq!(insecure.status.code(), Some(1), "{}", stderr(&insecure));
    assert!(
        stderr(&insecure).contains("MONC_SLACK_WEBHOOK_URL"),
        "{}",
        stderr(&insecure)
    );
    assert!(
        !stderr(&insecure).contains("SECRET"),
        "the webhook is a secret"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 0, "contacted the API");
}

#[test]
fn sync_without_yes_or_a_terminal_fails_before_any_network_call() {
    let dir = common::reference_copy("cli-contract", "sync-no-terminal");
    let (url, connections) = counting_api();
    let output = monc_against(&dir, &url, &["sync"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("--yes"), "{}", stderr(&output));
    assert_eq!(connections.load(Ordering::SeqCst), 0, "contacted the API");
}

#[test]
fn diff_output_into_a_missing_directory_fails_before_any_network_call() {
    let dir = common::reference_copy("cli-contract", "output-missing-dir");
    let (url, connections) = counting_api();
    let output = monc_against(&dir, &url, &["diff", "--output", "no/such/dir/drift.md"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no/such/dir"),
        "{}",
        stderr(&output)
    );
    assert_eq!(connections.load(Ordering::SeqCst), 0, "contacted the API");
}

/// The shell script of the drift-check workflow's `diff` step.
fn diff_step_script(workflow: &str) -> String {
    let workflow =
        std::fs::read_to_string(root().join("examples").join(workflow)).expect("workflow");
    let step = workflow
        .split("id: diff")
        .nth(1)
        .expect("a step with id: diff");
    let mut lines = step.lines().skip_while(|l| l.trim() != "run: |").skip(1);
    let first = lines.next().expect("a run block");
    let indent = first.len() - first.trim_start().len();
    std::iter::once(first)
        .chain(lines.take_while(|l| l.trim().is_empty() || l.starts_with(&" ".repeat(indent))))
        .map(|l| l.get(indent..).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs a workflow's `diff` step (as GitHub runs it: `bash -e`) with a stand-in `monc`
/// exiting `code`.
fn run_diff_step(workflow: &str, code: i32) -> (Option<i32>, String, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-contract")
        .join(format!("{workflow}-step-{code}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bin")).expect("mkdir");
    let fake = dir.join("bin/monc");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\necho report > drift.md\nexit {code}\n"),
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let script = dir.join("step.sh");
    std::fs::write(&script, diff_step_script(workflow)).expect("write");
    let github_output = dir.join("github-output");
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = std::process::Command::new("bash")
        .arg("-e")
        .arg(&script)
        .current_dir(&dir)
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &github_output)
        .output()
        .expect("bash");
    let outputs = std::fs::read_to_string(&github_output).unwrap_or_default();
    (
        output.status.code(),
        outputs,
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

#[test]
fn drift_check_workflow_fails_on_errors_and_reports_drift() {
    let (status, outputs, _) = run_diff_step("drift-check.yml", 0);
    assert_eq!(status, Some(0), "no drift passes");
    assert!(outputs.contains("code=0"), "{outputs}");

    let (status, outputs, stdout) = run_diff_step("drift-check.yml", 2);
    assert_eq!(status, Some(0), "drift is reported, not a failure");
    assert!(outputs.contains("code=2"), "{outputs}");
    assert!(stdout.contains("::warning"), "drift is annotated: {stdout}");

    for error in [1, 101, 127, 137] {
        let (status, _, _) = run_diff_step("drift-check.yml", error);
        assert_ne!(status, Some(0), "exit {error} must fail the job");
    }
}

/// The pull-request workflow passes with a plan to comment (2) or none (0) and fails on
/// anything else.
#[test]
fn pr_plan_workflow_comments_changes_and_fails_on_errors() {
    for (code, passes) in [(0, true), (2, true), (1, false), (101, false), (137, false)] {
        let (status, outputs, _) = run_diff_step("pr-plan.yml", code);
        assert_eq!(status == Some(0), passes, "exit {code}");
        assert!(outputs.contains(&format!("code={code}")), "{outputs}");
    }
}

/// Runs monc with stdout a pipe whose reader is already gone (`monc … | head -0`).
fn run_with_closed_stdout(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let monc = assert_cmd::cargo::cargo_bin("monc");
    let script = format!(
        "\"$MONC\" {} | true",
        args.iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    std::process::Command::new("bash")
        .current_dir(dir)
        .env("MONC", monc)
        .env_remove("MONC_ORG")
        .args(["-c", &script])
        .output()
        .expect("runs")
}

#[test]
fn a_closed_stdout_never_makes_monc_panic() {
    let dir = crate::common::reference_copy("cli-contract", "closed-pipe");
    for args in [
        &["graph"][..],
        &["validate", "--format", "short"],
        &["test"],
        &["sync", "--org", "local", "--yes"],
    ] {
        let output = run_with_closed_stdout(&dir, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // The sync went all the way although nobody read what it printed.
    let diff = monc(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("runs");
    assert_eq!(diff.status.code(), Some(0), "{diff:?}");
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stream {
    Stdout,
    Stderr,
}

/// Runs monc with `closed` a pipe whose reader is gone before monc starts (`2>&-` of a pipe,
/// `| head -0` that already ended): every write to it fails. Returns the exit code and what
/// monc wrote to the other stream.
fn run_with_closed(dir: &Path, args: &[&str], closed: Stream) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("monc"));
    command
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DD_API_KEY")
        .env_remove("DD_APP_KEY")
        .env_remove("MONC_ORG")
        .stdin(std::process::Stdio::null());
    match closed {
        Stream::Stdout => command.stdout(writer).stderr(std::process::Stdio::piped()),
        Stream::Stderr => command.stderr(writer).stdout(std::process::Stdio::piped()),
    };
    let output = command.output().expect("runs");
    let other = match closed {
        Stream::Stdout => &output.stderr,
        Stream::Stderr => &output.stdout,
    };
    (
        output.status.code(),
        String::from_utf8_lossy(other).into_owned(),
    )
}

/// Writing its output failed: that is an error (exit 1), never a panic (101) or a death by
/// SIGPIPE (no exit code at all), whichever stream it was and whatever the command.
#[test]
fn a_closed_stderr_or_stdout_is_exit_1_never_a_panic() {
    let invalid = crate::common::reference_copy("cli-contract", "closed-stream-invalid");
    std::fs::write(invalid.join("tenants/broken.hcl"), "tenant \"x\" {\n").expect("broken");
    let mut wrong = Vec::new();
    for args in [
        &["validate"][..],
        &["graph"],
        &["test"],
        &["fmt", "--check"],
        &["diff", "--org", "local"],
        &["sync", "--org", "local", "--yes"],
        &["status", "--org", "local"],
    ] {
        let (code, _) = run_with_closed(&invalid, args, Stream::Stderr);
        if code != Some(1) {
            wrong.push(format!("{args:?} with stderr closed: exit {code:?}"));
        }
    }
    let valid = crate::common::reference_copy("cli-contract", "closed-stream-valid");
    for args in [
        &["validate"][..],
        &["graph"],
        &["test"],
        &["completions", "bash"],
        &["sync", "--org", "local", "--yes"],
        // Stops at the first frame nobody can see, instead of polling the org forever.
        &["status", "--org", "local", "--watch", "1"],
    ] {
        let (code, stderr) = run_with_closed(&valid, args, Stream::Stdout);
        if code != Some(1) || stderr.contains("panicked") {
            wrong.push(format!(
                "{args:?} with stdout closed: exit {code:?}: {stderr}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The sync went all the way although nobody could read what it printed.
    let diff = monc(&valid)
        .args(["diff", "--org", "local"])
        .output()
        .expect("runs");
    assert_eq!(diff.status.code(), Some(0), "{diff:?}");
}

#[test]
fn completions_are_printed_for_every_shell() {
    let dir = std::env::temp_dir();
    for (shell, marker) in [
        ("bash", "complete -F _monc"),
        ("zsh", "#compdef monc"),
        ("fish", "complete -c monc"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[monc]"),
    ] {
        let output = monc(&dir)
            .args(["completions", shell])
            .output()
            .expect("runs");
        let script = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(script.contains(marker), "{shell}: {script:.200}");
        assert!(script.contains("restore"), "{shell} completes subcommands");
    }
    let unknown = monc(&dir)
        .args(["completions", "tcsh"])
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn a_failed_import_in_an_empty_directory_leaves_nothing_behind() {
    let dir = std::env::temp_dir().join(format!("monc-failed-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let output = monc(&dir)
        .args(["import", "--from", "no-such-export.json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_project_without_monitors_is_a_warning_and_fails_strict() {
    let dir = std::env::temp_dir().join(format!("monc-empty-project-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["tenants", "monitors"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    let plain = monc(&dir).arg("validate").output().expect("runs");
    assert_eq!(plain.status.code(), Some(0));
    let said = String::from_utf8_lossy(&plain.stderr);
    assert!(said.contains("no `monitor` templates"), "{said}");
    let strict = monc(&dir)
        .args(["validate", "--strict"])
        .output()
        .expect("runs");
    assert_eq!(strict.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `monc <command> --help`, as text.
fn help_of(command: &str) -> String {
    let output = monc(&root())
        .args([command, "--help"])
        .output()
        .expect("runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One flag for one thing on every command: `-C DIR` wherever there is a project or a file to
/// find, `--format` for every choice of output (no `--json`), `--output FILE` for a file to
/// write (`diff --out FILE` is only the saved plan), and `--tenant` as the one tenant filter
/// (no `--only`).
#[test]
fn every_command_speaks_one_flag_vocabulary() {
    for command in subcommands() {
        // These read no project: the shell's completions, help, a check's documentation; the
        // language server finds each project from the file the editor opens.
        if ["completions", "help", "explain", "lsp"].contains(&command.as_str()) {
            continue;
        }
        let help = help_of(&command);
        assert!(
            help.contains("-C, --dir <DIR>"),
            "{command}: no -C DIR\n{help}"
        );
        for retired in ["--json", "--only", "--out <"] {
            // `diff --out FILE` is Terraform's `plan -out`: the saved plan for `sync --plan`,
            // not a second name for `--output`.
            if command == "diff" && retired == "--out <" {
                assert!(help.contains("--out <FILE>") && help.contains("sync --plan FILE"));
                continue;
            }
            assert!(!help.contains(retired), "{command} has {retired}\n{help}");
        }
    }
    for command in ["validate", "diff", "sync", "test", "graph", "status"] {
        assert!(
            help_of(command).contains("--format <"),
            "{command}: no --format"
        );
    }
    for command in ["diff", "sync", "graph", "status"] {
        assert!(
            help_of(command).contains("--tenant <"),
            "{command}: no --tenant"
        );
    }
}

/// An unknown tenant is an error with "did you mean" on every command that filters by tenant,
/// before any network call.
#[test]
fn an_unknown_tenant_is_named_with_a_suggestion_everywhere() {
    let dir = common::reference_copy("cli-contract", "unknown-tenant");
    let (url, connections) = counting_api();
    let commands = [
        monc_against(&dir, &url, &["diff"]),
        monc_against(&dir, &url, &["sync", "--yes"]),
        monc_against(&dir, &url, &["status"]),
        {
            let mut graph = monc(&dir);
            graph.arg("graph");
            graph
        },
    ];
    for mut command in commands {
        let output = command.args(["--tenant", "acmee"]).output().expect("runs");
        assert_eq!(output.status.code(), Some(1), "{command:?}");
        let stderr = stderr(&output);
        assert!(
            stderr.contains("`acmee`") && stderr.contains("did you mean `acme`"),
            "{command:?}: {stderr}"
        );
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "contacted the API");
}

#[test]
fn terraform_words_point_at_moncs_commands() {
    let dir = common::reference_copy("contract", "terraform-words");
    for (typed, meant) in [("plan", "monc diff"), ("apply", "monc sync")] {
        let output = common::monc_in(&dir).arg(typed).output().expect("runs");
        assert_eq!(output.status.code(), Some(1), "{typed}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(meant), "{typed}: {stderr}");
    }
}

/// `sync --dry-run` is `diff`: the plan on standard output, in the format asked for.
#[test]
fn sync_dry_run_prints_the_plan_as_diff_does() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("contract", "dry-run");
    let human = common::monc_at(&dir, &url, &["sync", "--dry-run"]);
    assert_eq!(human.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&human.stdout);
    assert!(stdout.contains("Plan: 34 to create"), "{stdout}");
    let json = common::monc_at(&dir, &url, &["sync", "--dry-run", "--format", "json"]);
    assert_eq!(json.status.code(), Some(2));
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).expect("a JSON plan");
    assert_eq!(plan["summary"]["create"], 34, "{plan:#}");
}

/// "4 to delete" followed by "0 deleted" reads as a failure: the plan says which deletes wait
/// for --prune.
#[test]
fn the_plan_says_which_deletes_need_prune() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("contract", "prune-summary");
    assert!(
        common::monc_at(&dir, &url, &["sync", "--yes"])
            .status
            .success()
    );
    std::fs::remove_file(dir.join("tenants/umbrella.hcl")).expect("remove");
    let output = common::monc_at(&dir, &url, &["sync", "--yes"]);
    let text = common::output_text(&output);
    assert!(text.contains("to delete (5 only with --prune)"), "{text}");
    assert!(text.contains("delete them with --prune"), "{text}");
}

/// JSON keeps JSON's types (a threshold is a number, tags a list); the terminal shows the tags
/// added and removed rather than two joined lines.
#[test]
fn plans_keep_json_types_and_show_tag_changes() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("contract", "typed-plan");
    assert!(
        common::monc_at(&dir, &url, &["sync", "--yes"])
            .status
            .success()
    );
    let id = common::id_of(&emulator, "l2/db_cpu/prod-tokyo-1");
    assert!(emulator.edit_monitor(id, |m| {
        m["options"]["thresholds"]["critical"] = serde_json::json!(95.0);
        m["tags"]
            .as_array_mut()
            .expect("tags")
            .push("team:edited".into());
    }));
    let (_, plan) = common::diff_json(&dir, &url);
    let change = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["key"] == "l2/db_cpu/prod-tokyo-1")
        .expect("change");
    let field = |name: &str| {
        change["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|f| f["field"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {change:#}"))
    };
    assert_eq!(field("options.thresholds.critical")["live"], 95.0);
    assert_eq!(field("options.thresholds.critical")["desired"], 90.0);
    assert!(field("tags")["live"].is_array(), "{change:#}");
    let human = common::output_text(&common::monc_at(&dir, &url, &["diff"]));
    assert!(human.contains("- team:edited"), "{human}");
    assert!(
        !human.contains("team:sre, tier:l2"),
        "not the whole list: {human}"
    );
}

/// `graph` and `test` on a broken configuration print its diagnostics, as `diff` does.
#[test]
fn graph_and_test_show_what_is_broken() {
    let dir = common::reference_copy("contract", "broken-graph");
    let path = dir.join("monitors/l0_platform.hcl");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replacen("tier  = \"L0\"", "tier  = \"L9\"", 1)).expect("write");
    for command in ["graph", "test"] {
        let output = common::monc_in(&dir).arg(command).output().expect("runs");
        assert_eq!(output.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("l0_platform.hcl:"), "{command}: {stderr}");
    }
}

#[test]
fn graph_markdown_is_fenced() {
    let dir = common::reference_copy("contract", "graph-fence");
    let output = common::monc_in(&dir)
        .args(["graph", "--format", "markdown"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("```mermaid\nflowchart TB\n"), "{text}");
    assert!(text.ends_with("```\n"), "{text}");
}

/// A create shows what it will set (as Terraform shows a new resource), in every format.
#[test]
fn a_create_shows_what_it_sets() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("contract", "create-details");
    let human = common::output_text(&common::monc_at(&dir, &url, &["diff"]));
    assert!(
        human.contains("\n      query = avg(last_15m):p95:trace.http.request{service:acme-api"),
        "{human}"
    );
    assert!(
        human.contains("\n      options.thresholds.critical = "),
        "{human}"
    );
    let markdown = common::output_text(&common::monc_at(
        &dir,
        &url,
        &["diff", "--format", "markdown"],
    ));
    assert!(markdown.contains("\n  + query = "), "{markdown}");
}

/// Tenants read in order: `t2` before `t10`.
#[test]
fn plans_list_tenants_in_natural_order() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("contract", "natural-order");
    common::write_generated_tenants(&dir, "t", 11, &mut common::Rng::new(7));
    let human = common::output_text(&common::monc_at(&dir, &url, &["diff"]));
    let at = |tenant: &str| {
        human
            .find(&format!("L3 · tenant {tenant}\n"))
            .unwrap_or_else(|| panic!("{tenant} in {human}"))
    };
    assert!(at("t2") < at("t10"), "{human}");
    assert!(at("t9") < at("t10"), "{human}");
}

/// Help texts are verbatim: no line of a subcommand's long help is longer than the others'
/// wrap (a line of 100+ characters followed by a stub is what a mid-sentence wrap looks like).
#[test]
fn long_help_lines_are_wrapped_by_hand() {
    let dir = common::reference_copy("contract", "help-wrap");
    for command in [
        "init", "fmt", "validate", "diff", "sync", "import", "restore", "graph", "test", "status",
        "emulator",
    ] {
        let output = common::monc_in(&dir)
            .env("COLUMNS", "100")
            .args([command, "--help"])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&output.stdout);
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{command}: {line:?}\n{text}");
        }
    }
}

/// `monc explain` as `ruff rule`: a code's meaning, 0; a code that does not exist, 1 with a hint.
#[test]
fn explain_prints_a_codes_meaning() {
    let dir = common::reference_copy("contract", "explain");
    let known = common::monc_in(&dir)
        .args(["explain", "moved"])
        .output()
        .expect("runs");
    assert_eq!(known.status.code(), Some(0));
    let text = String::from_utf8_lossy(&known.stdout);
    assert!(
        text.starts_with("monc::moved\n") && text.contains("still defined"),
        "{text}"
    );
    let unknown = common::monc_in(&dir)
        .args(["explain", "movd"])
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean `monc::moved`"));
    let all = common::monc_in(&dir).arg("explain").output().expect("runs");
    assert!(String::from_utf8_lossy(&all.stdout).lines().count() > 40);
}

/// `monc explain CODE` prints the code's section of docs/checks.md, the one reference of checks
/// (issue 24), word for word.
#[test]
fn explain_prints_the_codes_section_of_the_checks_reference() {
    let checks = std::fs::read_to_string(root().join("docs/checks.md")).expect("docs/checks.md");
    for code in ["monc::no-data-suppressor", "monc::syntax", "monc::moved"] {
        let heading = format!("### `{code}`");
        let section: Vec<&str> = checks
            .lines()
            .skip_while(|l| *l != heading)
            .skip(1)
            .take_while(|l| !l.starts_with('#'))
            .collect();
        assert!(!section.is_empty(), "no section for {code}");
        let output = monc(&root())
            .args(["explain", code])
            .output()
            .expect("runs");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!("{code}\n\n{}\n", section.join("\n").trim()),
        );
    }
}

/// While `monc emulator` serves the local org, `--org local` cannot open it: the error says how
/// to reach the running one.
#[test]
fn a_local_org_served_elsewhere_points_at_api_url() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = common::reference_copy("contract", "local-org-in-use");
    let _serving = runtime
        .block_on(monc_emulator::Emulator::start(
            monc_emulator::EmulatorConfig {
                port: 0,
                state_file: Some(dir.join(".monc/local-org.json")),
                ..monc_emulator::EmulatorConfig::default()
            },
        ))
        .expect("emulator");
    let output = common::monc_in(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--api-url"), "{stderr}");
}

/// Every command's error is printed once, by one place (`main`), as the last thing on stderr:
/// `error: MESSAGE` and its `help:` lines. Nothing after it, no second copy.
#[test]
fn an_error_is_printed_once_and_last() {
    let dir = common::reference_copy("contract", "error-once");
    assert!(
        monc(&dir)
            .args(["sync", "--org", "local", "--yes"])
            .output()
            .expect("runs")
            .status
            .success()
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["diff", "--org", "local", "--tenant", "nobody"],
            "error: --tenant names unknown tenant(s)",
        ),
        (
            &["graph", "--tenant", ","],
            "error: --tenant \",\" names no tenant",
        ),
        (
            &["test", "--matrix", "--outage", "nothing"],
            "error: --outage `nothing` names no cluster",
        ),
        (&["explain", "no-such-code"], "error: no check is called"),
        (
            &["restore", "missing.json"],
            "error: cannot read backup missing.json",
        ),
        (
            &["status", "--org", "local", "--set", "l9/nothing=Alert"],
            "error: --set l9/nothing: no monitor",
        ),
        (
            &["diff", "--org", "local", "--api-url", "http://127.0.0.1:1"],
            "error: configuration error: --org local",
        ),
        (&["init"], "error: . already holds a monc project"),
    ];
    for (args, message) in cases {
        let output = monc(&dir).args(*args).output().expect("runs");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = stderr(&output);
        assert_eq!(stderr.matches(message).count(), 1, "{args:?}: {stderr}");
        let tail = &stderr[stderr.find(message).unwrap_or_default()..];
        let after: Vec<&str> = tail.lines().skip(1).collect();
        assert!(
            after.iter().all(|line| line.starts_with("help: ")),
            "{args:?}: only help lines may follow the error: {stderr}"
        );
    }
}

/// A command that fails with the local org open (`status --set` naming no monitor: after
/// connecting) or before opening it (`diff --tenant` naming nobody) leaves it closed: its state
/// lock is released and names nobody, and the next command opens it at once.
#[test]
fn a_command_that_fails_on_the_local_org_leaves_it_closed() {
    let dir = common::reference_copy("contract", "closed-after-error");
    let sync = monc(&dir)
        .args(["sync", "--org", "local", "--yes"])
        .output()
        .expect("runs");
    assert!(sync.status.success(), "{}", stderr(&sync));
    let lock = dir.join(".monc/local-org.json.lock");
    let failing: &[&[&str]] = &[
        &["status", "--org", "local", "--set", "l9/nothing=Alert"],
        &["diff", "--org", "local", "--tenant", "nobody"],
    ];
    for args in failing {
        let output = monc(&dir).args(*args).output().expect("runs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        let holder = std::fs::read_to_string(&lock).unwrap_or_default();
        assert!(
            holder.is_empty(),
            "{args:?} left the lock naming {holder:?}"
        );
        let next = monc(&dir)
            .args(["diff", "--org", "local"])
            .output()
            .expect("runs");
        assert_eq!(
            next.status.code(),
            Some(0),
            "after {args:?}: {}",
            stderr(&next)
        );
    }
}

/// The library is the compiler and the Datadog client; the command line is `src/main.rs` and
/// `src/cmd/`. clap, and the local emulator's control endpoint (a path Datadog does not have),
/// belong to the command line only.
#[test]
fn the_library_uses_neither_clap_nor_the_emulators_control_endpoint() {
    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let library = files
        .iter()
        .filter(|path| !path.starts_with(src.join("cmd")) && *path != &src.join("main.rs"));
    let mut wrong = Vec::new();
    for path in library {
        let text = std::fs::read_to_string(path).expect("read");
        for needle in ["clap::", "/monc-emulator/v1"] {
            if text.contains(needle) {
                wrong.push(format!("{} uses {needle}", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
