//! The language through the binary: `locals` in several files and `enabled` per instance, from
//! `monc validate --verbose` to what a sync writes to the local emulated org.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{self, monc_in as monc};

const PROJECT: &str = r#"
locals {
  env    = "prod"
  prefix = upper(local.env)
}
default_tags = ["env:${local.env}"]
notify       = ["@pagerduty-platform"]
"#;

const TENANTS: &str = r#"
locals {
  team = "sre"
}

cluster "tokyo" {
  region = "ap-northeast-1"
  notify = ["@slack-${local.team}-infra"]
}

cluster "osaka" {
  region = "ap-northeast-3"
  notify = ["@slack-${local.team}-infra"]
}

tenant "acme" {
  cluster = "tokyo"
  notify  = ["@slack-acme"]
  vars    = { service = "acme-api", apm = true }
}

tenant "globex" {
  cluster = "tokyo"
  notify  = ["@slack-globex"]
  vars    = { service = "globex-api", apm = false }
}

tenant "initech" {
  cluster = "osaka"
  notify  = ["@slack-initech"]
  vars    = { service = "initech-api", apm = false }
}
"#;

const MONITORS: &str = r#"
monitor "region_health" {
  tier  = "L0"
  name  = "[${local.prefix}] Region degraded"
  type  = "metric alert"
  query = "avg(last_5m):avg:network.tcp.retrans_pct{env:${local.env}} > 5"
  options = { timeout_h = 1 }
}

monitor "alb_5xx" {
  tier     = "L2"
  for_each = clusters
  name     = "[${cluster.name}] Load balancer 5xx"
  type     = "metric alert"
  query    = "sum(last_5m):sum:aws.applicationelb.httpcode_elb_5xx{cluster:${cluster.name}}.as_count() > 50"
  # Osaka has no load balancer of its own.
  enabled  = cluster.region != "ap-northeast-3"
  options  = { timeout_h = 1, evaluation_delay = 900 }
  suppressed_by = [monitor.region_health]
}

monitor "api_errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] API errors"
  type     = "metric alert"
  query    = "sum(last_5m):sum:trace.http.request.errors{service:${tenant.vars.service},env:${local.env}}.as_count() > 10"
  suppressed_by = [monitor.alb_5xx[tenant.cluster], monitor.region_health]
}

monitor "apm_latency" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] API latency"
  type     = "metric alert"
  query    = "avg(last_5m):avg:trace.http.request.duration{service:${tenant.vars.service}} > 1"
  enabled  = tenant.vars.apm
  suppressed_by = [monitor.alb_5xx[tenant.cluster]]
}
"#;

fn project(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("language")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (file, text) in [
        ("monc.hcl", PROJECT),
        ("tenants.hcl", TENANTS),
        ("monitors.hcl", MONITORS),
    ] {
        std::fs::write(dir.join(file), text).expect("write");
    }
    dir
}

#[test]
fn disabled_instances_are_left_out_and_their_suppressions_noted() {
    let dir = project("validate");
    let output = monc(&dir)
        .args(["validate", "--verbose", "--format", "json"])
        .output()
        .expect("runs");
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document["ok"], true, "{document:#}");
    // L0 1; L2 only tokyo; L3 errors for 3 tenants and latency for acme only.
    assert_eq!(
        document["summary"]["tiers"],
        serde_json::json!([["L0", 1], ["L2", 1], ["L3", 4]])
    );
    assert_eq!(document["summary"]["composites"], 5);
    let notes = document["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = notes[0]["message"].as_str().unwrap_or_default();
    assert!(
        note.contains("l3/api_errors/initech") && note.contains("l2/alb_5xx/osaka"),
        "{note}"
    );
    // At the entry left out: `monitor.alb_5xx[tenant.cluster]` of `api_errors`.
    let (line, column) = MONITORS
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            l.find("[monitor.alb_5xx[tenant.cluster], monitor.region_health]")
                .map(|c| (i + 1, c + 2))
        })
        .expect("the entry");
    assert_eq!(
        (&notes[0]["line"], &notes[0]["column"]),
        (&line.into(), &column.into())
    );

    let human = monc(&dir)
        .args(["validate", "--verbose"])
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&human.stderr);
    let expected = format!(
        "monitors.hcl:{line}:{column}: note: `l3/api_errors/initech` is not suppressed by `l2/alb_5xx/osaka`"
    );
    assert!(said.contains(&expected), "{said}");
    let quiet = monc(&dir).arg("validate").output().expect("runs");
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

#[test]
fn a_sync_writes_locals_and_only_enabled_instances() {
    let dir = project("sync");
    let sync = monc(&dir)
        .args(["sync", "--org", "local", "--yes"])
        .output()
        .expect("sync");
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".monc/local-org.json")).expect("state"),
    )
    .expect("json");
    let monitors: Vec<&Value> = state["monitors"]
        .as_object()
        .expect("monitors")
        .values()
        .collect();
    let by_key = |key: &str| {
        monitors
            .iter()
            .find(|m| common::key_of(m).as_deref() == Some(key))
            .copied()
    };
    let mut keys: Vec<String> = monitors.iter().filter_map(|m| common::key_of(m)).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "l0/region_health",
            "l2/alb_5xx/tokyo",
            "l2/alb_5xx/tokyo/composite",
            "l3/api_errors/acme",
            "l3/api_errors/acme/composite",
            "l3/api_errors/globex",
            "l3/api_errors/globex/composite",
            "l3/api_errors/initech",
            "l3/api_errors/initech/composite",
            "l3/apm_latency/acme",
            "l3/apm_latency/acme/composite",
        ]
    );
    let region = by_key("l0/region_health").expect("region");
    assert_eq!(region["name"], "[PROD] Region degraded");
    assert!(
        region["query"]
            .as_str()
            .unwrap_or_default()
            .contains("{env:prod}")
    );
    assert!(
        region["tags"]
            .as_array()
            .expect("tags")
            .contains(&Value::from("env:prod"))
    );
    // initech's only suppressor left is the region: `A && !B`, one `!`.
    let initech = by_key("l3/api_errors/initech/composite").expect("composite");
    assert_eq!(
        initech["query"]
            .as_str()
            .unwrap_or_default()
            .matches('!')
            .count(),
        1
    );
    let acme = by_key("l3/api_errors/acme/composite").expect("composite");
    assert_eq!(
        acme["query"]
            .as_str()
            .unwrap_or_default()
            .matches('!')
            .count(),
        2
    );
    let alb = by_key("l2/alb_5xx/tokyo/composite").expect("composite");
    assert!(
        alb["message"]
            .as_str()
            .unwrap_or_default()
            .contains("@slack-sre-infra")
    );
}

/// Terraform's functions through the binary: a `for` over a map in key order, `try`, and files
/// read from the project (a runbook, a template), with `-C DIR` run from elsewhere.
#[test]
fn functions_read_project_files_and_walk_maps_in_key_order() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("language")
        .join("functions");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("messages")).expect("mkdir");
    let files = [
        ("monc.hcl", "notify = [\"@slack-sre\"]\n"),
        (
            "tenants.hcl",
            "cluster \"tokyo\" {\n  region = \"ap-northeast-1\"\n}\ntenant \"acme\" {\n  cluster = \"tokyo\"\n  vars    = { service = \"acme-api\" }\n}\n",
        ),
        ("messages/runbook.md", "See the runbook."),
        ("messages/alert.tftpl", "${service} is failing. ${runbook}"),
        (
            "monitors.hcl",
            r#"
locals {
  owners = [for k, v in {team = "x", owner = "y"} : "${k}:${v}"]
}
monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors ${join(",", local.owners)} ${try(tenant.vars.missing, "none")}"
  type     = "metric alert"
  query    = "sum(last_5m):sum:errors{service:${tenant.vars.service}}.as_count() > 10"
  message  = templatefile("messages/alert.tftpl", { service = tenant.vars.service, runbook = file("messages/runbook.md") })
}
"#,
        ),
    ];
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("write");
    }
    let sync = monc(dir.parent().expect("parent"))
        .args(["sync", "-C", "functions", "--org", "local", "--yes"])
        .output()
        .expect("sync");
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".monc/local-org.json")).expect("state"),
    )
    .expect("json");
    let monitor = state["monitors"]
        .as_object()
        .expect("monitors")
        .values()
        .find(|m| common::key_of(m).as_deref() == Some("l3/errors/acme"))
        .expect("the monitor");
    assert_eq!(monitor["name"], "[acme] errors owner:y,team:x none");
    let message = monitor["message"].as_str().expect("message");
    assert!(
        message.starts_with("acme-api is failing. See the runbook."),
        "{message}"
    );

    std::fs::write(
        dir.join("monitors.hcl"),
        "monitor \"m\" {\n  tier = \"L0\"\n  name = file(\"../secret\")\n  type = \"metric alert\"\n  query = \"avg(last_5m):avg:x{*} > 1\"\n}\n",
    )
    .expect("write");
    let validate = monc(&dir).arg("validate").output().expect("validate");
    assert_eq!(validate.status.code(), Some(1));
    let said = String::from_utf8_lossy(&validate.stderr);
    assert!(
        said.contains("`../secret` is outside the project") && said.contains("file(path)"),
        "{said}"
    );
}
