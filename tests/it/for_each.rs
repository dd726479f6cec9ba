//! `for_each` over any map or set of strings, as Terraform's meta-argument: one monitor per key,
//! `each.key` and `each.value`, `monitor.<name>["<key>"]`. The examples of Terraform's
//! documentation (developer.hashicorp.com/terraform/language/meta-arguments/for_each) are
//! written as monitors here.

use std::path::{Path, PathBuf};

use monc::load::LoadOptions;

use crate::common::monc_in;

const TENANTS: &str = r#"
cluster "tokyo" {
  region = "ap-northeast-1"
}

tenant "acme" {
  cluster = "tokyo"
  vars    = { service = "acme-api", apm = true }
}

tenant "globex" {
  cluster = "tokyo"
  vars    = { service = "globex-api", apm = false }
}
"#;

const MONITORS: &str = r#"
locals {
  # The same CPU monitor for two states, each with its own threshold and filter.
  cpu_variants = {
    steal = { threshold = 10, filter = "role:db" }
    idle  = { threshold = 5, filter = "role:web" }
  }
}

monitor "cpu" {
  tier     = "L2"
  for_each = local.cpu_variants
  name     = "CPU ${each.key} over ${each.value.threshold}%"
  type     = "metric alert"
  query    = "avg(last_5m):avg:system.cpu.${each.key}{${each.value.filter}} < ${each.value.threshold}"
}

# Terraform's documented map example: `name = each.key`, `location = each.value`.
monitor "rg" {
  tier     = "L2"
  for_each = {
    a_group       = "eastus"
    another_group = "westus2"
  }
  name     = "Group ${each.key} in ${each.value}"
  type     = "metric alert"
  query    = "avg(last_5m):avg:azure.health{location:${each.value}} > 1"
}

# Terraform's documented set example (a child module over `toset(["assets", "media"])`):
# for a set, each.key and each.value are the element.
monitor "bucket" {
  tier     = "L2"
  for_each = toset(["media", "assets", "media"])
  name     = "Bucket ${each.key} (${each.value})"
  type     = "metric alert"
  query    = "avg(last_5m):avg:s3.errors{bucket:${each.value}} > 1"
}

# A `for` expression over the tenants, filtered.
monitor "apm" {
  tier     = "L3"
  for_each = { for t in tenants : t.name => t if t.vars.apm }
  name     = "[${each.key}] APM latency"
  type     = "metric alert"
  query    = "avg(last_5m):avg:trace.duration{service:${each.value.vars.service}} > 1"
  suppressed_by = [monitor.cpu["steal"]]
}
"#;

fn project(name: &str, monitors: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("for_each")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("tenants.hcl"), TENANTS).expect("write");
    std::fs::write(dir.join("monitors.hcl"), monitors).expect("write");
    dir
}

/// Key, name, query and the keys of the suppressors of every monitor of the project.
fn monitors(dir: &Path) -> Vec<(String, String, String, Vec<String>)> {
    let checked = monc::check(&LoadOptions::in_dir(dir)).expect("loads");
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    checked
        .graph
        .monitors
        .iter()
        .map(|m| {
            let suppressors = m.suppressed_by.iter().map(|r| r.key.to_string()).collect();
            (
                m.key.to_string(),
                m.body.name.clone(),
                m.body.query.clone(),
                suppressors,
            )
        })
        .collect()
}

#[test]
fn a_map_a_set_and_a_for_expression_stamp_out_one_monitor_per_key() {
    let dir = project("fan-out", MONITORS);
    let monitors = monitors(&dir);
    let find = |key: &str| {
        monitors
            .iter()
            .find(|m| m.0 == key)
            .unwrap_or_else(|| panic!("no {key} in {monitors:#?}"))
    };
    assert_eq!(find("l2/cpu/steal").1, "CPU steal over 10%");
    assert_eq!(
        find("l2/cpu/idle").2,
        "avg(last_5m):avg:system.cpu.idle{role:web} < 5"
    );
    assert_eq!(find("l2/rg/a_group").1, "Group a_group in eastus");
    assert_eq!(
        find("l2/rg/another_group").1,
        "Group another_group in westus2"
    );
    // toset drops the repeat; each.key and each.value are the element.
    assert_eq!(find("l2/bucket/assets").1, "Bucket assets (assets)");
    assert_eq!(find("l2/bucket/media").1, "Bucket media (media)");
    // Only the tenant with APM, and it is suppressed by one instance of the map.
    assert_eq!(find("l3/apm/acme").1, "[acme] APM latency");
    assert!(!monitors.iter().any(|m| m.0 == "l3/apm/globex"));
    assert_eq!(find("l3/apm/acme").3, ["l2/cpu/steal"]);
    let keys: Vec<&str> = monitors.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(
        keys.iter().filter(|k| k.starts_with("l2/")).count(),
        6,
        "{keys:?}"
    );
}

/// `monc validate` on `monitors` (with the shared tenants): its exit code and stderr.
fn validate(name: &str, monitors: &str) -> (Option<i32>, String) {
    let dir = project(name, monitors);
    let output = monc_in(&dir).arg("validate").output().expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn one_monitor(for_each: &str, extra: &str) -> String {
    format!(
        r#"
monitor "m" {{
  tier     = "L2"
  for_each = {for_each}
  name     = "m ${{each.key}}"
  type     = "metric alert"
  query    = "avg(last_5m):avg:x{{*}} > 1"
}}
{extra}"#
    )
}

#[test]
fn terraform_refuses_a_list_and_a_set_with_uppercase_names_cannot_make_keys() {
    // Terraform: "the for_each argument must be a map, or set of strings, and you have
    // provided a value of type tuple".
    let (code, stderr) = validate("list", &one_monitor(r#"["a", "b", "a"]"#, ""));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("monc::invalid-for-each")
            && stderr.contains("holds \"a\" twice")
            && stderr.contains("toset(")
            && stderr.contains("monitors.hcl:4:14"),
        "{stderr}"
    );
    let (code, stderr) = validate("number", &one_monitor("3", ""));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("must be a map or a set of strings, found a number"),
        "{stderr}"
    );
    // The documented set example's names are capitalised: not part of a monitor key.
    let (code, stderr) = validate(
        "uppercase",
        &one_monitor(r#"toset(["Todd", "James", "Alice", "Dottie"])"#, ""),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(r#"key "Alice" cannot be part of a monitor key"#)
            && stderr.contains("lower("),
        "{stderr}"
    );
    // `tenant` is in no scope when for_each is computed.
    let (code, stderr) = validate("tenant", &one_monitor("tenant.vars", ""));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("unknown variable `tenant`") && stderr.contains("`tenants` and `clusters`"),
        "{stderr}"
    );
    // A bare word naming no collection, as before.
    let (code, stderr) = validate("word", &one_monitor("tenant", ""));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("did you mean `tenants`?"), "{stderr}");
}

#[test]
fn a_reference_to_a_key_not_in_the_map_says_which_keys_there_are() {
    let extra = r#"
monitor "n" {
  tier     = "L3"
  name     = "n"
  type     = "metric alert"
  query    = "avg(last_5m):avg:y{*} > 1"
  suppressed_by = [monitor.m["stael"]]
}
"#;
    let (code, stderr) = validate(
        "unknown-key",
        &one_monitor(r#"{ steal = 1, idle = 2 }"#, extra),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("monc::unknown-instance")
            && stderr.contains("`m` has no instance for key `stael`")
            && stderr.contains("did you mean `steal`?"),
        "{stderr}"
    );
    // Without an index: say which one.
    let extra = extra.replace(r#"monitor.m["stael"]"#, "monitor.m");
    let (code, stderr) = validate("no-index", &one_monitor("{ steal = 1 }", &extra));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("monc::missing-index") && stderr.contains("monitor.m[each.key]"),
        "{stderr}"
    );
}

/// `examples/language`: `for_each` over a map and a typed tenant schema, valid and formatted.
#[test]
fn the_language_example_is_valid_and_formatted() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/language");
    let output = monc_in(&example)
        .args(["validate", "--strict"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let checked = monc::check(&LoadOptions::in_dir(&example)).expect("loads");
    let keys: Vec<&str> = checked
        .graph
        .monitors
        .iter()
        .map(|m| m.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "l2/cpu/iowait",
            "l2/cpu/steal",
            "l3/errors/acme",
            "l3/errors/globex",
            "l3/latency/acme"
        ]
    );
    let fmt = monc_in(&example)
        .args(["fmt", "--check", "monitors.hcl", "tenants.hcl"])
        .output()
        .expect("runs");
    assert!(
        fmt.status.success(),
        "{}",
        String::from_utf8_lossy(&fmt.stderr)
    );
}

/// `moved` names an instance of a map by its key, as Terraform's `moved` does
/// (`from = monitor.cpu["steal"]`); a key the map does not have is a likely typo.
#[test]
fn a_moved_block_names_an_instance_by_its_key() {
    let extra = r#"
moved {
  from = monitor.old["steal"]
  to   = monitor.m["steal"]
}

moved {
  from = monitor.old["idle"]
  to   = monitor.m["idel"]
}
"#;
    let (code, stderr) = validate("moved", &one_monitor("{ steal = 1, idle = 2 }", extra));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("monc::moved")
            && stderr.contains("monitor `m` has no instance `idel`")
            && stderr.contains(r#"did you mean `"idle"`?"#)
            && !stderr.contains("`steal`"),
        "{stderr}"
    );
}
