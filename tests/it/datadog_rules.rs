//! Where monc's checks and the emulator must agree with what Datadog documents or records: a
//! monitor Datadog accepts must sync to the local org and diff clean; one it refuses must be an
//! error in `monc validate`, refused by the emulator too.

use std::path::{Path, PathBuf};

use crate::common::{monc_in, output_text};

/// A copy of the fixture project `name` (under tests/fixtures/diagnostics) in a fresh directory.
fn project_copy(name: &str, copy: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diagnostics")
        .join(name);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("datadog_rules")
        .join(copy);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for file in ["monitors.hcl", "tenants.hcl"] {
        std::fs::copy(from.join(file), dir.join(file)).expect("copy");
    }
    dir
}

/// The query forms of Datadog's published monitors (tests/fixtures/diagnostics/_published-forms),
/// among them the legacy `avg(last_15m):avg:postgresql.percent_usage_connections{*} > 0.9 by
/// {host}` of DataDog/integrations-core's postgres/assets/monitors/percent_usage_connections.json:
/// `monc validate` accepts them, so the local org must take them and read them back unchanged.
#[test]
fn published_query_forms_sync_to_the_local_org_and_diff_clean() {
    let dir = project_copy("_published-forms", "published_forms_sync");
    let synced = monc_in(&dir)
        .args(["sync", "--org", "local", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(synced.status.code(), Some(0), "{}", output_text(&synced));
    let diff = monc_in(&dir)
        .args(["diff", "--org", "local"])
        .output()
        .expect("runs");
    assert_eq!(diff.status.code(), Some(0), "{}", output_text(&diff));
    assert!(
        output_text(&diff).contains("No changes."),
        "{}",
        output_text(&diff)
    );
}
