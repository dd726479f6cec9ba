//! `page` blocks (issue 13 item 5): one paging composite for several monitors, its suppression
//! derived from its members' `suppressed_by`, its members paging only through it.

use std::path::{Path, PathBuf};

use crate::common;

const FIXTURE: &str = "tests/fixtures/alert-tests/grouped-page";

fn copy_of_fixture(name: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("pages")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for file in ["monc.hcl", "tenants.hcl", "monitors.hcl"] {
        std::fs::copy(from.join(file), dir.join(file)).expect("copy");
    }
    dir
}

fn said(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `monc ARGS -C <fixture>`, which must succeed: its standard output.
fn on_fixture(args: &[&str]) -> String {
    let output = common::monc_in(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .args(["-C", FIXTURE])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_is_synced_as_one_composite_over_its_members_and_their_suppressors() {
    let (emulator, _client) = common::start().await;
    let url = emulator.base_url();
    let dir = copy_of_fixture("sync");
    let synced = common::monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", said(&synced));

    let id = |key: &str| common::id_of(&emulator, key);
    let page = emulator
        .monitors()
        .into_iter()
        .find(|m| m["id"].as_i64() == Some(id("l3/api/acme")))
        .expect("the page is in the org");
    assert_eq!(page["type"], "composite");
    let expected = format!(
        "({} || {}) && !{} && !{}",
        id("l3/errors/acme"),
        id("l3/latency/acme"),
        id("l2/db_down/c1"),
        id("l0/region")
    );
    assert_eq!(page["query"], expected.as_str());
    assert!(
        page["message"]
            .as_str()
            .unwrap_or_default()
            .contains("@slack-acme")
    );

    let keys = common::keys_in_org(&emulator);
    assert!(
        !keys.iter().any(|k| k == "l3/errors/acme/composite"),
        "a member gets no composite of its own: {keys:?}"
    );
    let member = emulator
        .monitors()
        .into_iter()
        .find(|m| m["id"].as_i64() == Some(id("l3/errors/acme")))
        .expect("member");
    let message = member["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains('@'),
        "a member notifies nobody: {message}"
    );
    assert!(message.contains("Pages through `l3/api/acme`"), "{message}");

    let diff = common::monc_at(&dir, &url, &["diff"]);
    assert_eq!(diff.status.code(), Some(0), "{}", said(&diff));
}

#[test]
fn a_page_pages_once_for_its_members_and_is_silenced_by_their_suppressors() {
    let stdout = on_fixture(&["test", "--matrix"]);
    assert!(stdout.contains("3 scenarios: 3 passed"), "{stdout}");
    assert!(
        stdout.contains(
            "✓ l2/db_down/c1 → l3/latency/acme (through l3/api/acme): pages / silent / silent"
        ),
        "the page carries its members' suppressors: {stdout}"
    );
}

#[test]
fn a_page_over_more_than_ten_monitors_is_one_located_error() {
    let dir = copy_of_fixture("too-many");
    let mut monitors = std::fs::read_to_string(dir.join("monitors.hcl")).expect("read");
    for n in 0..9 {
        monitors.push_str(&format!(
            "\nmonitor \"signal_{n}\" {{\n  tier     = \"L3\"\n  for_each = tenants\n  name     = \"[${{tenant.name}}] signal {n}\"\n  type     = \"metric alert\"\n  query    = \"avg(last_5m):avg:app.signal_{n}{{tenant:${{tenant.name}}}} > 1\"\n}}\n"
        ));
    }
    let members: Vec<String> = (0..9)
        .map(|n| format!("monitor.signal_{n}[tenant.name]"))
        .collect();
    monitors = monitors.replace(
        "monitors = [monitor.errors[tenant.name], monitor.latency[tenant.name]]",
        &format!(
            "monitors = [monitor.errors[tenant.name], {}]",
            members.join(", ")
        ),
    );
    std::fs::write(dir.join("monitors.hcl"), monitors).expect("write");
    let output = common::monc_in(&dir)
        .args(["validate", "--format", "short"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let errors: Vec<&str> = stdout.lines().filter(|l| l.contains("error[")).collect();
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(
        errors[0].contains("monc::too-many-constituents")
            && errors[0].contains("10 members and 2 that suppress them"),
        "{stdout}"
    );
}

/// `composite = { name, message }` names the composite monc generates for a monitor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_names_its_generated_composite() {
    let (emulator, _client) = common::start().await;
    let url = emulator.base_url();
    let dir = copy_of_fixture("composite-text");
    let monitors = std::fs::read_to_string(dir.join("monitors.hcl")).expect("read");
    let named = monitors.replace(
        "  name          = \"[${cluster.name}] Database down\"\n",
        "  name          = \"[${cluster.name}] Database down\"\n  composite     = { name = \"[${cluster.name}] Shared database down\", message = \"Every tenant on ${cluster.name} is affected.\" }\n",
    );
    assert_ne!(named, monitors);
    std::fs::write(dir.join("monitors.hcl"), named).expect("write");
    let synced = common::monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", said(&synced));
    let id = common::id_of(&emulator, "l2/db_down/c1/composite");
    let composite = emulator
        .monitors()
        .into_iter()
        .find(|m| m["id"].as_i64() == Some(id))
        .expect("composite");
    assert_eq!(composite["name"], "[c1] Shared database down");
    let message = composite["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Every tenant on c1 is affected.")
            && message.contains("@pagerduty-infra"),
        "{message}"
    );
    let diff = common::monc_at(&dir, &url, &["diff"]);
    assert_eq!(diff.status.code(), Some(0), "{}", said(&diff));
}

#[test]
fn a_composite_setting_other_than_name_and_message_is_a_located_error() {
    let dir = copy_of_fixture("composite-text-wrong");
    let monitors = std::fs::read_to_string(dir.join("monitors.hcl")).expect("read");
    let wrong = monitors.replace(
        "  name          = \"[${cluster.name}] Database down\"\n",
        "  name          = \"[${cluster.name}] Database down\"\n  composite     = { title = \"x\" }\n",
    );
    std::fs::write(dir.join("monitors.hcl"), wrong).expect("write");
    let output = common::monc_in(&dir)
        .args(["validate", "--format", "short"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "monitors.hcl:16:19: error[monc::wrong-type]: `composite` takes `name` and `message`"
        ),
        "{stdout}"
    );
}

/// `monc status` names the page as what pages for an alerting member, never the member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_page_paging_for_an_alerting_member() {
    let (emulator, _client) = common::start().await;
    let url = emulator.base_url();
    let dir = copy_of_fixture("status");
    let synced = common::monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", said(&synced));
    let status = common::monc_at(
        &dir,
        &url,
        &["status", "--set", "*=OK", "--set", "l3/errors/acme=Alert"],
    );
    let text = said(&status);
    assert_eq!(status.status.code(), Some(3), "{text}");
    let headline = text.lines().next().unwrap_or_default();
    assert!(headline.contains("l3/api/acme"), "{text}");
    assert!(!headline.contains("l3/errors/acme"), "{text}");
}

/// A page leaves out disabled members; with none left it is not stamped out at all (it used
/// to be a composite with an empty query).
#[test]
fn a_page_whose_members_are_all_disabled_is_not_stamped_out() {
    let dir = copy_of_fixture("disabled-members");
    let monitors = std::fs::read_to_string(dir.join("monitors.hcl")).expect("read");
    let disabled = monitors
        .replace(
            "  name          = \"[${tenant.name}] errors\"\n",
            "  name          = \"[${tenant.name}] errors\"\n  enabled       = tenant.name != \"acme\"\n",
        )
        .replace(
            "  name          = \"[${tenant.name}] latency\"\n",
            "  name          = \"[${tenant.name}] latency\"\n  enabled       = tenant.name != \"acme\"\n",
        );
    assert_ne!(disabled, monitors);
    std::fs::write(dir.join("monitors.hcl"), disabled).expect("write");
    let output = common::monc_in(&dir)
        .args(["graph", "--format", "dot"])
        .output()
        .expect("runs");
    let dot = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", said(&output));
    assert!(dot.contains("l3/api/globex"), "{dot}");
    assert!(!dot.contains("l3/api/acme"), "{dot}");
}

/// A member of a page carries no handles: a test expecting it, or a composite of its own, to page
/// is told which page to expect instead.
#[test]
fn a_test_expecting_a_page_from_a_member_names_the_page() {
    let dir = copy_of_fixture("member-expected");
    std::fs::create_dir_all(dir.join("alert-tests")).expect("mkdir");
    std::fs::write(
        dir.join("alert-tests/member.hcl"),
        "scenario \"member\" {\n  alert = [monitor.errors[\"acme\"]]\n  page \"l3/errors/acme\" {}\n}\n\nscenario \"its composite\" {\n  alert = [monitor.errors[\"acme\"]]\n  page \"l3/errors/acme/composite\" {}\n}\n",
    )
    .expect("write");
    let output = common::monc_in(&dir).arg("test").output().expect("runs");
    let said = said(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("monc::not-a-pager"), "{said}");
    assert!(
        said.contains("`l3/errors/acme` never pages itself: it pages through `l3/api/acme`"),
        "{said}"
    );
    assert_eq!(
        said.matches("expect `page \"l3/api/acme\"`").count(),
        2,
        "both the member and its would-be composite point at the page: {said}"
    );
}

/// The matrix checks each suppression edge as written, one member alerting at a time, and
/// says which page it goes through: one check per edge, as for generated composites.
#[test]
fn the_matrix_checks_each_members_edge_through_its_page() {
    let json = on_fixture(&["test", "--matrix", "--format", "json"]);
    let document: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let checks: Vec<(String, String, String)> = document["matrix"]
        .as_array()
        .expect("matrix")
        .iter()
        .map(|c| {
            let field = |name: &str| c[name].as_str().expect("string").to_string();
            (field("suppressor"), field("target"), field("composite"))
        })
        .collect();
    let through_pages: Vec<_> = checks
        .iter()
        .filter(|c| c.2.starts_with("l3/api/"))
        .collect();
    assert_eq!(
        through_pages.len(),
        4,
        "db_down suppresses errors and latency of two tenants: {checks:?}"
    );
    assert!(
        checks.contains(&(
            "l2/db_down/c1".into(),
            "l3/latency/globex".into(),
            "l3/api/globex".into()
        )),
        "{checks:?}"
    );
    let human = on_fixture(&["test", "--matrix"]);
    assert!(
        human.contains(
            "✓ l2/db_down/c1 → l3/errors/acme (through l3/api/acme): pages / silent / silent"
        ),
        "{human}"
    );
}

/// `monc graph` draws a page as the composite it is, its members feeding it and paging nobody.
#[test]
fn the_graph_draws_a_page_as_a_composite_fed_by_its_members() {
    let graph = |format: &str| on_fixture(&["graph", "--format", format]);
    let mermaid = graph("mermaid");
    assert!(
        mermaid.contains("    m_l3_serrors_sacme[\"l3/errors/acme\"]\n"),
        "a member pages nobody itself: {mermaid}"
    );
    assert!(
        mermaid.contains(
            "    m_l3_sapi_sacme{{\"l3/api/acme<br/>page: pages @slack-acme\"}}:::page\n"
        ),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  m_l3_serrors_sacme -.-> m_l3_sapi_sacme\n"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  m_l3_slatency_sglobex -.-> m_l3_sapi_sglobex\n"),
        "{mermaid}"
    );
    let dot = graph("dot");
    assert!(dot.contains("    \"l3/errors/acme\";\n"), "{dot}");
    assert!(
        dot.contains("    \"l3/api/acme\" [shape=hexagon, label=\"l3/api/acme\\npage: pages @slack-acme\", style=filled, fillcolor=\"#fde2e2\"];\n"),
        "{dot}"
    );
    assert!(
        dot.contains("  \"l3/errors/acme\" -> \"l3/api/acme\" [style=dashed];\n"),
        "{dot}"
    );
}

/// A page is a composite, not a monitor, in `validate`'s summary (text and JSON).
#[test]
fn validate_counts_pages_among_the_composites() {
    let validate = |format: &str| on_fixture(&["validate", "--format", format]);
    assert_eq!(
        validate("human").trim(),
        "ok: 2 tenants on 1 cluster → 6 monitors (L0 1, L2 1, L3 4), 3 composites (2 of them pages), 5 suppression edges"
    );
    let json: serde_json::Value = serde_json::from_str(&validate("json")).expect("JSON");
    assert_eq!(json["summary"]["monitors"], 6);
    assert_eq!(json["summary"]["composites"], 3);
    assert_eq!(json["summary"]["pages"], 2);
    assert_eq!(
        json["summary"]["tiers"],
        serde_json::json!([["L0", 1], ["L2", 1], ["L3", 4]])
    );
}

/// `monc status` explains a page's member like any suppressed monitor: suppressed by which
/// shared monitor, counted in the headline, silenced by a suppressor's No Data, and shown in
/// a tenant's view with the monitors that silence its page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_explains_a_suppressed_page_member() {
    let (emulator, _client) = common::start().await;
    let url = emulator.base_url();
    let dir = copy_of_fixture("status-suppressed");
    let synced = common::monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", said(&synced));
    let status = |sets: &[&str], extra: &[&str]| {
        let mut args = vec!["status", "--format", "json", "--set", "*=OK"];
        for set in sets {
            args.extend(["--set", set]);
        }
        args.extend(extra);
        let output = common::monc_at(&dir, &url, &args);
        let text = said(&output);
        let json: serde_json::Value = serde_json::from_str(&text).expect(&text);
        json
    };
    let find = |json: &serde_json::Value, key: &str| {
        json["monitors"]
            .as_array()
            .expect("monitors")
            .iter()
            .find(|m| m["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} not shown: {json:#}"))
    };

    let outage = status(&["l2/db_down/c1=Alert", "l3/errors/acme=Alert"], &[]);
    assert_eq!(
        outage["headline"],
        "L2 l2/db_down/c1 is alerting and paging: 1 alert(s) suppressed, nothing else paging"
    );
    let member = find(&outage, "l3/errors/acme");
    assert_eq!(member["verdict"], "suppressed", "{member:#}");
    assert_eq!(
        member["suppressed_by"][0]["by"], "l2/db_down/c1",
        "{member:#}"
    );
    assert_eq!(
        find(&outage, "l2/db_down/c1")["suppresses"],
        4,
        "the members of both pages"
    );

    let no_data = status(&["l2/db_down/c1=No Data"], &[]);
    let silencing = find(&no_data, "l2/db_down/c1")["silencing"].clone();
    assert_eq!(
        silencing,
        serde_json::json!([
            "l3/errors/acme",
            "l3/errors/globex",
            "l3/latency/acme",
            "l3/latency/globex"
        ])
    );

    let tenant = status(&["l2/db_down/c1=Alert"], &["--tenant", "acme"]);
    find(&tenant, "l2/db_down/c1");
    find(&tenant, "l0/region");
}

/// `raw = { name, message }` keeps a suppressed monitor's own name and message (an adopted
/// monitor keeps its text) instead of `<name> (raw)` and the "Pages through" note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_names_its_suppressed_monitor() {
    let (emulator, _client) = common::start().await;
    let url = emulator.base_url();
    let dir = copy_of_fixture("raw-text");
    let monitors = std::fs::read_to_string(dir.join("monitors.hcl")).expect("read");
    let named = monitors.replace(
        "  name          = \"[${cluster.name}] Database down\"\n",
        "  name          = \"[${cluster.name}] Database down\"\n  raw           = { name = \"Database down on ${cluster.name}\", message = \"As it was.\" }\n",
    );
    assert_ne!(named, monitors);
    std::fs::write(dir.join("monitors.hcl"), named).expect("write");
    let synced = common::monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", said(&synced));
    let raw = emulator
        .monitor(common::id_of(&emulator, "l2/db_down/c1"))
        .expect("raw");
    assert_eq!(raw["name"], "Database down on c1");
    let message = raw["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("As it was.") && !message.contains("Pages through"),
        "{message}"
    );
    let diff = common::monc_at(&dir, &url, &["diff"]);
    assert_eq!(diff.status.code(), Some(0), "{}", said(&diff));
}
