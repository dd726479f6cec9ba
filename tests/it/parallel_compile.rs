//! Compiling on all threads gives what compiling on one gives: the same monitors, graph,
//! notes and diagnostics (counts included), in the same order.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common;

/// 300 tenants on 3 clusters, with instances turned off by `enabled` (notes), and, when
/// `broken`, a var some tenants lack and a template mistake every instance repeats.
fn project(name: &str, broken: bool) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("parallel_compile")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tenants")).expect("mkdir");
    std::fs::create_dir_all(dir.join("monitors")).expect("mkdir");
    std::fs::write(
        dir.join("monc.hcl"),
        "owner_tag = \"managed-by:monc\"\nnotify = [\"@pagerduty-platform\"]\n",
    )
    .expect("write");
    let mut tenants = String::new();
    for c in 0..3 {
        let _ = writeln!(
            tenants,
            "cluster \"c{c}\" {{\n  region = \"r{c}\"\n  vars = {{ db = \"db-{c}\" }}\n}}"
        );
    }
    for t in 0..300 {
        let owner = if broken && t % 7 == 3 {
            String::new()
        } else {
            format!(", owner = \"o{t}\"")
        };
        let _ = writeln!(
            tenants,
            "tenant \"t{t}\" {{\n  cluster = \"c{}\"\n  notify = [\"@slack-t{t}\"]\n  vars = {{ service = \"svc-{t}\", limit = {}{owner} }}\n}}",
            t % 3,
            1 + t % 5
        );
    }
    std::fs::write(dir.join("tenants/all.hcl"), tenants).expect("write");
    let priority = if broken { 9 } else { 3 };
    let monitors = format!(
        r#"monitor "p0" {{
  tier = "L0"
  name = "[platform] signal"
  type = "metric alert"
  query = "avg(last_5m):avg:platform.signal{{env:prod}} > 5"
  message = "Platform signal is degraded."
  options = {{ timeout_h = 1 }}
}}
monitor "s0" {{
  tier = "L2"
  for_each = clusters
  enabled = cluster.name != "c1"
  name = "[${{cluster.name}}] shared"
  type = "metric alert"
  query = "avg(last_10m):avg:infra.metric{{db:${{cluster.vars.db}}}} > 90"
  message = "Shared metric on ${{cluster.name}} is high."
  options = {{ timeout_h = 1 }}
  suppressed_by = [monitor.p0]
}}
monitor "u0" {{
  tier = "L3"
  for_each = tenants
  enabled = tenant.vars.limit != 2
  name = "[${{tenant.name}}] service"
  type = "query alert"
  query = "avg(last_5m):avg:app.metric{{service:${{tenant.vars.service}}}} > ${{tenant.vars.limit}}"
  message = "Metric of ${{tenant.vars.service}} is above ${{tenant.vars.limit}}; ask ${{tenant.vars.owner}}."
  tags = ["service:${{tenant.vars.service}}", "limit:${{tenant.vars.limit}}"]
  priority = {priority}
  suppressed_by = [monitor.s0[tenant.cluster], monitor.p0]
}}
monitor "u1" {{
  tier = "L3"
  for_each = tenants
  name = "[${{tenant.name}}] other"
  type = "metric alert"
  query = "avg(last_5m):avg:app.other{{service:${{tenant.vars.service}}}} > 10"
  message = "Other of ${{upper(tenant.vars.service)}}."
  suppressed_by = [monitor.s0[tenant.cluster]]
}}
"#
    );
    std::fs::write(dir.join("monitors/all.hcl"), monitors).expect("write");
    dir
}

/// `monc ARGS` in `dir` with `threads` threads: exit code, stdout, stderr.
fn run(dir: &Path, threads: usize, args: &[&str]) -> (Option<i32>, String, String) {
    let output = common::monc_in(dir)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn same_on_any_number_of_threads(dir: &Path, args: &[&str], expected_exit: i32) {
    let one = run(dir, 1, args);
    assert_eq!(one.0, Some(expected_exit), "{args:?}: {}{}", one.1, one.2);
    for threads in [2, 3, 8] {
        assert_eq!(
            run(dir, threads, args),
            one,
            "{args:?} on {threads} threads"
        );
    }
}

#[test]
fn a_valid_project_compiles_the_same_on_any_number_of_threads() {
    let dir = project("valid", false);
    same_on_any_number_of_threads(&dir, &["validate", "--verbose"], 0);
    same_on_any_number_of_threads(&dir, &["validate", "--format", "json"], 0);
    same_on_any_number_of_threads(&dir, &["graph", "--format", "dot"], 0);
}

#[test]
fn diagnostics_are_the_same_on_any_number_of_threads() {
    let dir = project("broken", true);
    same_on_any_number_of_threads(&dir, &["validate", "--format", "json"], 1);
    same_on_any_number_of_threads(&dir, &["validate"], 1);
    let (_, json, _) = run(&dir, 4, &["validate", "--format", "json"]);
    // The missing var is reported once per tenant lacking it, the bad priority once for all.
    assert!(json.contains("has no `owner`"), "{json}");
    assert!(json.contains("`priority` must be a whole number"), "{json}");
}
