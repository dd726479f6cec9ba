//! Compile time is linear in tenants however they are spread over clusters: 4× the tenants on
//! one cluster may cost about 4× the time, not 16× (every tenant's evaluation context once
//! carried a copy of its cluster's whole tenant list). Best of 3, so a busy machine does not
//! decide; the bound (8×) sits between linear (4×) and quadratic (16×).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use monc::load::LoadOptions;

fn project(tenants: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("compile-scale")
        .join(tenants.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut text = String::from("cluster \"one\" {\n  region = \"r\"\n}\n");
    for t in 0..tenants {
        text.push_str(&format!(
            "tenant \"t{t}\" {{\n  cluster = \"one\"\n  vars = {{ service = \"svc-{t}\" }}\n}}\n"
        ));
    }
    std::fs::write(dir.join("tenants.hcl"), text).expect("write");
    let monitor = r#"
monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "query alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 10"
}
"#;
    std::fs::write(dir.join("monitors.hcl"), monitor).expect("write");
    dir
}

fn best_check_time(dir: &Path) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let checked = monc::check(&LoadOptions::in_dir(dir)).expect("loads");
            assert!(!checked.diagnostics.has_errors());
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

#[test]
fn four_times_the_tenants_on_one_cluster_cost_about_four_times_the_time() {
    let small = best_check_time(&project(1000));
    let large = best_check_time(&project(4000));
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    eprintln!("compile of one cluster: 1,000 tenants {small:?}, 4,000 {large:?} ({ratio:.1}×)");
    assert!(
        ratio < 8.0,
        "1,000 tenants: {small:?}, 4,000: {large:?} ({ratio:.1}×): compile is not linear in tenants"
    );
}
