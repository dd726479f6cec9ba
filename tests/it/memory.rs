//! Issue 26: `monc validate` of 201,010 objects (5,000 tenants, the shape of
//! `benches/scale.rs`) within 250 MB. Too slow for a debug test at that size, so this measures
//! what each object costs: the peak RSS of the child on 1,000 tenants less that on 200 tenants
//! (the binary and the fixed part cancel out), against the issue's budget per object.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// 250 MB for 201,010 objects.
const BUDGET_PER_OBJECT: f64 = 250.0 * 1024.0 * 1024.0 / 201_010.0;

/// The issue's project (`Shape::issue` of the benchmark): 50 clusters, 10 L0 monitors, 10
/// L2 templates per cluster and 20 L3 templates per tenant, each suppressed by three monitors.
fn project(tenants: usize) -> (PathBuf, usize) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("memory")
        .join(tenants.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tenants")).expect("mkdir");
    std::fs::create_dir_all(dir.join("monitors")).expect("mkdir");
    let mut files = [String::new(), String::new(), String::new()];
    files[0].push_str("owner_tag = \"managed-by:monc\"\ndefault_tags = [\"team:sre\"]\nnotify = [\"@pagerduty-platform\"]\n");
    for c in 0..50 {
        let _ = writeln!(
            files[1],
            "cluster \"c{c}\" {{\n  region = \"r{}\"\n  notify = [\"@pagerduty-infra-{c}\"]\n  vars = {{ db = \"db-{c}\" }}\n}}",
            c % 4
        );
    }
    for t in 0..tenants {
        let _ = writeln!(
            files[1],
            "tenant \"t{t}\" {{\n  cluster = \"c{}\"\n  notify = [\"@slack-t{t}\"]\n  vars = {{ service = \"svc-{t}\", limit = {} }}\n}}",
            t % 50,
            1 + t % 7
        );
    }
    for i in 0..10 {
        let _ = writeln!(
            files[2],
            "monitor \"p{i}\" {{\n  tier = \"L0\"\n  name = \"[platform] signal {i}\"\n  type = \"metric alert\"\n  query = \"avg(last_5m):avg:platform.signal_{i}{{env:prod}} > 5\"\n  message = \"Platform signal {i} is degraded.\"\n  priority = 1\n}}"
        );
        let _ = writeln!(
            files[2],
            "monitor \"s{i}\" {{\n  tier = \"L2\"\n  for_each = clusters\n  name = \"[${{cluster.name}}] shared {i}\"\n  type = \"metric alert\"\n  query = \"avg(last_10m):avg:infra.metric_{i}{{db:${{cluster.vars.db}}}} > 90\"\n  message = \"Shared metric {i} on ${{cluster.name}} is high.\"\n  priority = 2\n  suppressed_by = [monitor.p0, monitor.p{}]\n}}",
            (i + 1) % 10
        );
    }
    for i in 0..20 {
        let _ = writeln!(
            files[2],
            "monitor \"u{i}\" {{\n  tier = \"L3\"\n  for_each = tenants\n  name = \"[${{tenant.name}}] service {i}\"\n  type = \"query alert\"\n  query = \"avg(last_5m):avg:app.metric_{i}{{service:${{tenant.vars.service}}}} > ${{tenant.vars.limit}}\"\n  message = \"Metric {i} of ${{tenant.vars.service}} is above ${{tenant.vars.limit}}.\"\n  tags = [\"service:${{tenant.vars.service}}\"]\n  priority = 3\n  suppressed_by = [monitor.s{}[tenant.cluster], monitor.s{}[tenant.cluster], monitor.p0]\n}}",
            i % 10,
            (i + 3) % 10
        );
    }
    let [project, tenants_hcl, monitors] = files;
    std::fs::write(dir.join("monc.hcl"), project).expect("write");
    std::fs::write(dir.join("tenants/all.hcl"), tenants_hcl).expect("write");
    std::fs::write(dir.join("monitors/all.hcl"), monitors).expect("write");
    // Raw monitors and the composites of the suppressed ones.
    let objects = 10 + 2 * (50 * 10 + tenants * 20);
    (dir, objects)
}

/// Peak RSS in bytes of `monc validate` on `dir`, from the child's own rusage.
fn validate_peak_rss(dir: &Path) -> f64 {
    #[expect(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which std's wait cannot replace (it drops the rusage)"
    )]
    let child = Command::new(assert_cmd::cargo::cargo_bin("monc"))
        .args(["validate", "--format", "short", "--dir"])
        .arg(dir)
        .env("RAYON_NUM_THREADS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn monc");
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    #[expect(
        unsafe_code,
        reason = "wait4(2), the one call that gives a single child's peak RSS, has no safe wrapper in the dependencies"
    )]
    // SAFETY: a zeroed rusage is a valid value; `pid` is our own child, reaped only here (std
    // never waits for it: `child` is not waited on); both pointers are to live locals.
    let (waited, usage) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let waited = libc::wait4(pid, &raw mut status, 0, &raw mut usage);
        (waited, usage)
    };
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "monc validate failed on {}: status {status}",
        dir.display()
    );
    // Linux reports ru_maxrss in KiB.
    usage.ru_maxrss as f64 * 1024.0
}

#[test]
fn validate_memory_per_object_is_within_the_issue_budget() {
    let (small, small_objects) = project(200);
    let (large, large_objects) = project(1000);
    let small_rss = validate_peak_rss(&small);
    let large_rss = validate_peak_rss(&large);
    let per_object = (large_rss - small_rss) / (large_objects - small_objects) as f64;
    assert!(
        per_object < BUDGET_PER_OBJECT,
        "each object costs {per_object:.0} bytes of peak RSS (200 tenants: {:.1} MB, 1000: {:.1} MB); \
         250 MB for 201,010 objects allows {BUDGET_PER_OBJECT:.0}",
        small_rss / 1048576.0,
        large_rss / 1048576.0,
    );
}
