//! `monc graph` on the reference setup: snapshots of both formats, whole and per tenant, plus
//! structural checks that would catch a lost edge, node or tier even if a snapshot were accepted.

use assert_cmd::Command;

fn monc_graph(args: &[&str]) -> String {
    let output = Command::cargo_bin("monc")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .arg("graph")
        .args(args)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn mermaid_reference_setup_has_every_tier_edge_and_composite() {
    let mermaid = monc_graph(&[]);
    assert!(mermaid.starts_with("flowchart TB\n"));
    assert_eq!(count(&mermaid, "subgraph "), 3, "L0, L2, L3");
    assert_eq!(
        count(&mermaid, "-- suppresses -->"),
        44,
        "every suppression edge"
    );
    assert_eq!(
        count(&mermaid, "{{\"composite pages"),
        10,
        "one page node per generated composite"
    );
    assert_eq!(
        count(&mermaid, "<br/>page: pages"),
        4,
        "one per tenant's API page"
    );
    assert_eq!(
        count(&mermaid, " -.-> m_l3_sapi_s"),
        8,
        "two members per page"
    );
    assert!(mermaid.contains("[\"l0/region_health<br/>pages @pagerduty-platform\"]:::page"));
    insta::assert_snapshot!("mermaid_all", mermaid);
}

#[test]
fn mermaid_tenant_slice_has_its_monitors_and_the_shared_ones_above_them() {
    let mermaid = monc_graph(&["--tenant", "acme"]);
    assert_eq!(count(&mermaid, "subgraph "), 3);
    assert!(mermaid.contains("\"l3/api_error_rate/acme\""));
    assert!(mermaid.contains("\"l2/db_cpu/prod-tokyo-1\""));
    assert!(
        !mermaid.contains("globex"),
        "another tenant's monitors are left out"
    );
    assert!(
        !mermaid.contains("osaka"),
        "another cluster's monitors are left out"
    );
    assert_eq!(count(&mermaid, "-- suppresses -->"), 14);
    insta::assert_snapshot!("mermaid_acme", mermaid);
}

#[test]
fn dot_reference_setup_has_clusters_per_tier_and_labelled_edges() {
    let dot = monc_graph(&["--format", "dot"]);
    assert!(dot.starts_with("digraph monc {"));
    assert_eq!(count(&dot, "subgraph \"cluster_"), 3);
    assert_eq!(count(&dot, "[label=\"suppresses\"]"), 44);
    assert_eq!(
        count(&dot, "shape=hexagon"),
        14,
        "10 composites and 4 pages"
    );
    insta::assert_snapshot!("dot_all", dot);
}

#[test]
fn dot_tenant_slice() {
    let dot = monc_graph(&["--format", "dot", "--tenant", "acme"]);
    assert_eq!(count(&dot, "[label=\"suppresses\"]"), 14);
    assert!(!dot.contains("globex"));
    insta::assert_snapshot!("dot_acme", dot);
}

#[test]
fn unknown_tenant_is_an_error_with_a_suggestion() {
    let output = Command::cargo_bin("monc")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["graph", "--tenant", "acem"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown tenant(s): `acem`"), "{stderr}");
    assert!(stderr.contains("did you mean `acme`?"), "{stderr}");
}

#[test]
fn the_docs_show_the_current_acme_graph() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/testing.md"))
        .expect("docs/testing.md");
    let block = format!("```mermaid\n{}```", monc_graph(&["--tenant", "acme"]));
    assert!(
        readme.contains(&block),
        "docs/testing.md's mermaid block is stale: paste `monc graph --tenant acme` into it"
    );
}

/// Handles left in a message page (issue 22): the graph names them instead of "nobody".
#[test]
fn handles_left_in_a_message_are_who_a_monitor_pages() {
    let mermaid = monc_graph(&["-C", "tests/fixtures/alert-tests/handles-in-message"]);
    assert!(!mermaid.contains("nobody"), "{mermaid}");
    assert!(
        mermaid.contains("l2/db_down<br/>pages @pagerduty-critical"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("composite pages @slack-api-oncall @team-api"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("l3/queue<br/>pages @ops@example.com"),
        "{mermaid}"
    );
}
