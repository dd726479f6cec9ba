//! Which org monc talks to (issue 20): `site` in monc.hcl below DD_SITE and `--site`, unknown
//! sites refused, and `--org local` together with another org's `--api-url` / `--site` refused
//! by every command that connects.

use crate::common;
use std::path::Path;
use std::process::Output;

/// `monc ARGS` in `dir` with fake keys and nothing org-related from the environment but `env`.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("monc").expect("binary");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DD_API_KEY", "fake-api-key")
        .env("DD_APP_KEY", "fake-app-key")
        .env_remove("DD_SITE")
        .env_remove("MONC_ORG")
        .env_remove("MONC_API_URL")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .envs(env.iter().copied())
        .args(args);
    cmd.output().expect("runs")
}

/// Arguments, environment variables, and the text expected in the error.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

fn set_site(dir: &Path, site: &str) {
    let path = dir.join("monc.hcl");
    let text = std::fs::read_to_string(&path).expect("monc.hcl");
    let edited = text.replace("site = \"datadoghq.com\"", &format!("site = \"{site}\""));
    assert_ne!(text, edited, "the reference monc.hcl sets a site");
    std::fs::write(path, edited).expect("write");
}

/// The host monc contacts is read at a proxy from the environment (`CONNECT host:443`), so
/// the test needs no internet and cannot reach Datadog.
#[test]
fn the_site_comes_from_flags_then_dd_site_then_monc_hcl() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = common::reference_copy("org-choice", "site");
    set_site(&dir, "datadoghq.eu");
    let cases: [Case; 3] = [
        (&["diff"], &[], "api.datadoghq.eu"),
        (
            &["diff"],
            &[("DD_SITE", "us3.datadoghq.com")],
            "api.us3.datadoghq.com",
        ),
        (
            &["diff", "--site", "ap1.datadoghq.com"],
            &[("DD_SITE", "us3.datadoghq.com")],
            "api.ap1.datadoghq.com",
        ),
    ];
    let results: Vec<(Output, Vec<String>)> = std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .map(|(args, env, _)| {
                let (proxy, received) = common::fake_proxy(&runtime);
                let dir = &dir;
                scope.spawn(move || {
                    let proxy_env = common::proxy_env(&proxy);
                    let mut all: Vec<(&str, &str)> =
                        proxy_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    all.extend(env.iter().copied());
                    let output = run(dir, args, &all);
                    let heads = received.lock().expect("log").clone();
                    (output, heads)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().expect("run")).collect()
    });
    for ((args, env, host), (output, heads)) in cases.iter().zip(&results) {
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?} {env:?}: {output:?}"
        );
        let connect = format!("CONNECT {host}:443 ");
        assert!(
            !heads.is_empty() && heads.iter().all(|h| h.starts_with(&connect)),
            "{args:?} {env:?}: expected {connect:?}, the proxy saw {heads:?}"
        );
    }
}

#[test]
fn validate_rejects_an_unknown_site_in_monc_hcl() {
    let dir = common::reference_copy("org-choice", "unknown-site");
    set_site(&dir, "nonsense.example");
    let output = run(&dir, &["validate", "--format", "short"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let line = stdout
        .lines()
        .find(|l| l.contains("nonsense.example"))
        .unwrap_or_else(|| panic!("no diagnostic on the site: {stdout}"));
    let text = std::fs::read_to_string(dir.join("monc.hcl")).expect("monc.hcl");
    let site_line = 1 + text
        .lines()
        .position(|l| l.starts_with("site"))
        .expect("a site line");
    assert!(
        line.contains(&format!("monc.hcl:{site_line}:9:")),
        "located at the value in monc.hcl: {line}"
    );
    assert!(line.contains("monc::unknown-site"), "{line}");
}

/// `--org local` and another org named by `--api-url` / `--site` (flag or environment): a usage
/// error naming both, for every command that connects, before anything is contacted.
#[test]
fn org_local_with_another_org_is_refused_by_every_command() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("org-choice", "conflict");
    std::fs::write(dir.join("backup.json"), "[]").expect("backup");
    let commands: [&[&str]; 6] = [
        &["diff"],
        &["sync", "--yes"],
        &["sync", "--dry-run"],
        &["status"],
        &["import", "--tag", "team:x"],
        &["restore", "backup.json", "--yes"],
    ];
    let choices: [Case; 4] = [
        (&["--org", "local", "--api-url", &url], &[], "--api-url"),
        (&["--api-url", &url], &[("MONC_ORG", "local")], "--api-url"),
        (&["--org", "local"], &[("MONC_API_URL", &url)], "--api-url"),
        (
            &["--site", "datadoghq.eu"],
            &[("MONC_ORG", "local")],
            "--site",
        ),
    ];
    for command in commands {
        for (flags, env, other) in &choices {
            let args: Vec<&str> = command.iter().chain(flags.iter()).copied().collect();
            let output = run(&dir, &args, env);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{args:?} {env:?}: {stderr}");
            assert!(
                stderr.contains("--org local") && stderr.contains(other),
                "{args:?} {env:?}: both choices must be named: {stderr}"
            );
            assert!(
                !dir.join(".monc/local-org.json").exists(),
                "{args:?} {env:?}: the local org was used"
            );
        }
    }
    assert!(
        emulator.requests().is_empty(),
        "the --api-url org was contacted"
    );
}
