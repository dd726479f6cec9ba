//! Bounded work on any input (issue 21): the error path as linear as the happy path, evaluated
//! values of bounded size.

use crate::common;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

/// A fresh project directory under `CARGO_TARGET_TMPDIR/bounded/<name>`.
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("bounded")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["monitors", "tenants"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    for (path, text) in files {
        std::fs::write(dir.join(path), text).expect("write");
    }
    dir
}

fn tenants(count: usize, clusters: usize) -> String {
    let mut text = String::new();
    for c in 0..clusters {
        let _ = writeln!(text, "cluster \"c{c}\" {{\n  region = \"r{c}\"\n}}");
    }
    for t in 0..count {
        let _ = writeln!(
            text,
            "tenant \"t{t}\" {{\n  cluster = \"c{}\"\n  vars = {{ service = \"svc-{t}\" }}\n}}",
            t % clusters
        );
    }
    text
}

/// `validate --format json`'s diagnostics.
fn diagnostics(output: &std::process::Output) -> Vec<Value> {
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    document["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A var that no tenant has, used by a template of 8,000 tenants: one diagnostic at the
/// template's use, counting the monitors. Each error used to scan (and sort the keys of) every
/// tenant for its suggestion: 8,000 tenants took 111 s in release, minutes in a debug build.
#[test]
fn a_var_missing_in_every_one_of_8000_tenants_is_one_diagnostic_found_quickly() {
    let template = r#"monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "metric alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 5"
  message  = "Errors of ${tenant.vars.owner}"
}
"#;
    let dir = project(
        "missing-var-8000",
        &[
            ("monc.hcl", "owner_tag = \"managed-by:monc\"\n"),
            ("tenants/tenants.hcl", &tenants(8000, 4)),
            ("monitors/l3.hcl", template),
        ],
    );
    // Generous: a debug build takes a few seconds; before the fix it took minutes.
    let output = common::monc_in(&dir)
        .args(["validate", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "validate did not finish within 60 s (killed: {:?})",
        output.status
    );
    let errors: Vec<Value> = diagnostics(&output)
        .into_iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["occurrences"], 8000, "{:#?}", errors[0]);
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("owner")),
        "{:#?}",
        errors[0]
    );
    assert_eq!(
        errors[0]["line"], 7,
        "at the template's use: {:#?}",
        errors[0]
    );
}

/// 8,000 tenants (each after a long comment: a big file), half of them without a var the
/// others have: one diagnostic at each tenant that lacks it, 4,000 in all. Each diagnostic used
/// to find its line and column, and miette its excerpt, by scanning the file from the start:
/// minutes for this file, in every output format.
#[test]
fn thousands_of_diagnostics_in_one_big_file_are_rendered_in_linear_time() {
    let mut tenants_file = String::from("cluster \"c0\" {\n  region = \"r0\"\n}\n");
    let comment = format!("# {}\n", "padding ".repeat(125));
    for t in 0..8000 {
        let owner = if t % 2 == 1 { ", owner = \"team\"" } else { "" };
        let _ = writeln!(
            tenants_file,
            "{comment}tenant \"t{t}\" {{\n  cluster = \"c0\"\n  vars = {{ service = \"svc-{t}\"{owner} }}\n}}"
        );
    }
    let template = r#"monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "metric alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 5"
  message  = "Errors of ${tenant.vars.owner}"
}
"#;
    let dir = project(
        "half-lack-a-var",
        &[
            ("monc.hcl", "owner_tag = \"managed-by:monc\"\n"),
            ("tenants/tenants.hcl", &tenants_file),
            ("monitors/l3.hcl", template),
        ],
    );
    for format in ["json", "short", "human"] {
        // Generous: seconds in a debug build; before the fix, minutes.
        let output = common::monc_in(&dir)
            .args(["validate", "--format", format])
            .timeout(Duration::from_secs(60))
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: validate did not finish within 60 s (killed: {:?})",
            output.status
        );
        let text = match format {
            "human" => String::from_utf8_lossy(&output.stderr).into_owned(),
            _ => String::from_utf8_lossy(&output.stdout).into_owned(),
        };
        assert!(
            text.contains("tenant `t7998` has no `owner`"),
            "{format}: {}",
            &text[..text.len().min(2000)]
        );
        if format == "json" {
            let errors = diagnostics(&output)
                .into_iter()
                .filter(|d| d["severity"] == "error")
                .count();
            assert_eq!(errors, 4000);
            // t7998 is the 7,999th tenant: 5 lines each, after the 3 of the cluster.
            let last = diagnostics(&output)
                .into_iter()
                .find(|d| d["message"].as_str().is_some_and(|m| m.contains("`t7998`")))
                .expect("t7998's diagnostic");
            assert_eq!(
                (&last["line"], &last["column"]),
                (&json!(3 + 7998 * 5 + 2), &json!(8))
            );
        }
    }
}

/// 40 locals that each double the last (`l1 = "${local.l0}${local.l0}"`, ...) asked for 1 TB:
/// `monc validate` (run by the PR workflow on untrusted changes) took all memory. A value past
/// 1 MiB is an error at the local that passes it; the locals built on it are not evaluated.
#[test]
fn self_doubling_locals_stop_at_the_value_cap_with_a_located_error() {
    let mut locals = String::from("locals {\n  l0 = \"xxxxxxxxxxxxxxxx\"\n");
    for i in 1..40 {
        let _ = writeln!(locals, "  l{i} = \"${{local.l{0}}}${{local.l{0}}}\"", i - 1);
    }
    locals.push_str("}\n");
    let template = r#"monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "metric alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 5"
  message  = "Errors ${substr(local.l39, 0, 10)}"
}
"#;
    let dir = project(
        "doubling-locals",
        &[
            (
                "monc.hcl",
                &format!("owner_tag = \"managed-by:monc\"\n{locals}"),
            ),
            ("tenants/tenants.hcl", &tenants(2, 1)),
            ("monitors/l3.hcl", template),
        ],
    );
    let output = common::monc_in(&dir)
        .args(["validate", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{:?}", output.status);
    let errors: Vec<Value> = diagnostics(&output)
        .into_iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    // 16 bytes doubled 17 times is 2 MiB: l17 is the first past 1 MiB.
    assert_eq!(errors.len(), 1, "one mistake, one error: {errors:#?}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("local `l17`") && message.contains("larger than 1 MiB"),
        "{message}"
    );
    assert_eq!(errors[0]["line"], 2 + 18, "{:#?}", errors[0]);
}
