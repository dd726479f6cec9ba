//! Checks that say what Datadog says (issue 21): no error for what Datadog accepts, one located
//! error for what it rejects or what can never work.

use std::path::{Path, PathBuf};

use crate::common;

/// A project of three files under `CARGO_TARGET_TMPDIR/checks/<name>`.
fn project(name: &str, monc_hcl: &str, tenants: &str, monitors: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("checks")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("monc.hcl"), monc_hcl).expect("write");
    std::fs::write(dir.join("tenants.hcl"), tenants).expect("write");
    std::fs::write(dir.join("monitors.hcl"), monitors).expect("write");
    dir
}

/// `monc validate --format short`: exit code and the diagnostics, one a line.
fn validate(dir: &Path) -> (Option<i32>, String) {
    let output = common::monc_in(dir)
        .args(["validate", "--format", "short"])
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

/// The diagnostic lines of `validate`'s short output.
fn diagnostics(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.contains(": error[") || l.contains(": warning["))
        .collect()
}

const TENANTS: &str = r#"
cluster "c1" {
  vars = { alb = "alb-1" }
}

tenant "acme" {
  cluster = "c1"
  notify  = ["@slack-acme"]
  vars    = { service = "acme-api", latency = 0.5 }
}
"#;

// ---- 1. mixed-case tags ----

/// Datadog keeps a monitor tag as written: a listing recorded in
/// datadog-cassettes/go-legacy/TestMonitorLifecycle.yaml (GET /api/v1/monitor) returns
/// `test_datasource_monitor:tf_TestAccDatadogMonitorDatasource_local_1653179280`, mixed case.
#[test]
fn mixed_case_tags_are_kept_as_written_without_a_diagnostic() {
    let dir = project(
        "mixed-case-tags",
        "default_tags = [\"Team:SRE\"]\n",
        TENANTS,
        r#"
monitor "queue" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] RabbitMQ queue"
  type     = "query alert"
  query    = "avg(last_5m):avg:rabbitmq.queue.messages{service:${tenant.vars.service}} > 100"
  tags     = ["ManagedBy:Terraform", "Integration:RabbitMQ", "Name:${tenant.name}-Queue"]
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(diagnostics(&text), Vec::<&str>::new(), "{text}");
    assert_eq!(code, Some(0), "{text}");
}

/// The same rule for the tags monc writes from monc.hcl: no case error for `owner_tag`.
#[test]
fn a_mixed_case_owner_tag_is_no_error() {
    let dir = project(
        "mixed-case-owner-tag",
        "owner_tag = \"Managed-By:monc\"\n",
        TENANTS,
        r#"
monitor "queue" {
  tier  = "L0"
  name  = "Queue"
  type  = "query alert"
  query = "avg(last_5m):avg:rabbitmq.queue.messages{*} > 100"
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(0), "{text}");
}

/// Synced and read back, a mixed-case tag compares equal: no change pending.
#[tokio::test]
async fn mixed_case_tags_sync_and_then_diff_clean() {
    let dir = project(
        "mixed-case-sync",
        "",
        TENANTS,
        r#"
monitor "queue" {
  tier  = "L0"
  name  = "Queue"
  type  = "query alert"
  query = "avg(last_5m):avg:rabbitmq.queue.messages{*} > 100"
  tags  = ["Integration:RabbitMQ"]
}
"#,
    );
    let (_emulator, client) = common::start().await;
    common::sync(&dir, &client, false).await;
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    assert!(!plan.has_changes(), "{plan:#?}");
}

// ---- 2. division by zero ----

/// `x / 0` and `x % 0` are errors at the division, as in Terraform ("Division by zero"), never
/// a number such as 1.797693134862316e308 in a monitor's name.
#[test]
fn division_and_modulo_by_zero_are_errors_at_the_operation() {
    let dir = project(
        "division-by-zero",
        "",
        TENANTS,
        r#"
monitor "queue" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] ${tenant.vars.latency / 0} queue"
  type     = "query alert"
  query    = "avg(last_5m):avg:queue.messages{service:${tenant.vars.service}} > ${7 % 0}"
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    let found = diagnostics(&text);
    assert_eq!(found.len(), 2, "{text}");
    assert!(
        found[0].starts_with("./monitors.hcl:5:34: error[monc::eval]")
            && found[0].contains("division by zero"),
        "{text}"
    );
    assert!(
        found[1].starts_with("./monitors.hcl:7:83: error[monc::eval]")
            && found[1].contains("modulo by zero"),
        "{text}"
    );
}

/// A division by zero in a branch that is not taken is not evaluated, as in Terraform.
#[test]
fn a_division_by_zero_in_a_branch_not_taken_is_no_error() {
    let dir = project(
        "division-by-zero-guarded",
        "",
        TENANTS,
        r#"
monitor "queue" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] ${tenant.vars.latency == 0 ? 0 : 1 / tenant.vars.latency} queue"
  type     = "query alert"
  query    = "avg(last_5m):avg:queue.messages{service:${tenant.vars.service}} > 5"
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(0), "{text}");
}

/// Values in tenants/ and monc.hcl are computed too: the same error, at the division.
#[test]
fn a_division_by_zero_in_a_tenant_is_an_error_at_the_operation() {
    let tenants = TENANTS.replace("latency = 0.5", "latency = 5 / (2 - 2)");
    let dir = project(
        "division-by-zero-tenant",
        "",
        &tenants,
        r#"
monitor "queue" {
  tier  = "L0"
  name  = "Queue"
  type  = "query alert"
  query = "avg(last_5m):avg:queue.messages{*} > 5"
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    let found = diagnostics(&text);
    assert!(
        found.len() == 1
            && found[0].starts_with("./tenants.hcl:9:47: error[monc::eval]")
            && found[0].contains("division by zero"),
        "{text}"
    );
}

// ---- 3. numeric strings as thresholds ----

/// Terraform's provider takes thresholds as strings and sends numbers: so does monc. A string
/// that is no number is an error at that string.
#[tokio::test]
async fn a_threshold_written_as_a_numeric_string_is_sent_as_a_number() {
    let tenants = TENANTS.replace("latency = 0.5", "latency = \"0.10\"");
    let dir = project(
        "threshold-strings",
        "",
        &tenants,
        r#"
monitor "latency" {
  tier       = "L3"
  for_each   = tenants
  name       = "[${tenant.name}] latency"
  type       = "query alert"
  query      = "avg(last_5m):avg:http.latency{service:${tenant.vars.service}} > 0.1"
  thresholds = { critical = tenant.vars.latency, warning = " 0.05 " }
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(0), "{text}");
    let (emulator, client) = common::start().await;
    common::sync(&dir, &client, false).await;
    let monitor = emulator
        .monitors()
        .into_iter()
        .find(|m| common::key_of(m).as_deref() == Some("l3/latency/acme"))
        .expect("synced");
    let thresholds = &monitor["options"]["thresholds"];
    assert_eq!(
        thresholds["critical"],
        serde_json::json!(0.1),
        "{monitor:#}"
    );
    assert_eq!(
        thresholds["warning"],
        serde_json::json!(0.05),
        "{monitor:#}"
    );
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    assert!(!plan.has_changes(), "{plan:#?}");
}

#[test]
fn a_threshold_string_that_is_no_number_is_an_error_at_the_string() {
    let dir = project(
        "threshold-not-a-number",
        "",
        TENANTS,
        r#"
monitor "latency" {
  tier       = "L0"
  name       = "Latency"
  type       = "query alert"
  query      = "avg(last_5m):avg:http.latency{*} > 0.1"
  options    = { thresholds = { critical = 0.1, warning = "high" } }
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    let found = diagnostics(&text);
    assert!(
        found.len() == 1
            && found[0].starts_with("./monitors.hcl:7:60: error[monc::wrong-type]")
            && found[0].contains("`thresholds.warning`"),
        "{text}"
    );
}

// ---- 4. a tenant named `composite` ----

const TENANT_COMPOSITE: &str = r#"
cluster "c1" {
  vars = { alb = "alb-1" }
}

tenant "composite" {
  cluster = "c1"
  notify  = ["@slack-composite"]
  vars    = { service = "composite-api" }
}
"#;

const MONITORS_FOR_TENANT_COMPOSITE: &str = r#"
monitor "region" {
  tier    = "L0"
  name    = "Region down"
  type    = "metric alert"
  query   = "avg(last_5m):avg:region.errors{*} > 5"
  options = { timeout_h = 1 }
}

monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "query alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 10"
  suppressed_by = [monitor.region]
}

monitor "outage" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] outage"
  type     = "composite"
  query    = "monitor.errors[\"${tenant.name}\"] && monitor.region"
}
"#;

/// `l3/errors/composite` is tenant `composite`'s monitor, not a generated composite: what a
/// monitor is comes from what monc built, never from its key's text.
#[test]
fn a_tenant_named_composite_is_no_composite() {
    let dir = project(
        "tenant-composite",
        "notify = [\"@pagerduty-platform\"]",
        TENANT_COMPOSITE,
        MONITORS_FOR_TENANT_COMPOSITE,
    );
    let (code, text) = validate(&dir);
    assert_eq!(diagnostics(&text), Vec::<&str>::new(), "{text}");
    assert_eq!(code, Some(0), "{text}");
}

/// Its partner is its own composite `l3/errors/composite/composite`: deleted by hand (forced,
/// so the composite stays), it is reported as deleted outside monc.
#[tokio::test]
async fn the_partner_of_tenant_composites_monitor_is_its_own_composite() {
    let monitors = MONITORS_FOR_TENANT_COMPOSITE
        .split("monitor \"outage\"")
        .next()
        .expect("text");
    let dir = project("tenant-composite-sync", "", TENANT_COMPOSITE, monitors);
    let (emulator, client) = common::start().await;
    common::sync(&dir, &client, false).await;
    let id = common::id_of(&emulator, "l3/errors/composite");
    client
        .delete_monitor(id, true)
        .await
        .expect("delete by hand");
    let (plan, _) = common::make_plan(&dir, &client).await.expect("plan");
    let change = plan
        .changes
        .iter()
        .find(|c| c.key == "l3/errors/composite")
        .expect("planned");
    assert_eq!(change.action, monc::plan::Action::Create, "{plan:#?}");
    assert_eq!(
        change.drift,
        Some(monc::plan::Drift::DeletedOutsideMonc),
        "{plan:#?}"
    );
}

// ---- 5. key tags over 200 characters ----

/// Names of 100 characters pass the name rule, but the key tag monc writes,
/// `monc-key:l3/<template>/<tenant>/composite`, would be 223: an error at the longer name.
#[test]
fn a_key_tag_monc_would_write_over_200_characters_is_an_error_at_the_name() {
    let tenant = format!("t{}", "x".repeat(99));
    let template = format!("m{}", "y".repeat(79));
    let tenants = TENANTS.replace("tenant \"acme\"", &format!("tenant \"{tenant}\""));
    let monitors = format!(
        r#"
monitor "region" {{
  tier    = "L0"
  name    = "Region down"
  type    = "metric alert"
  query   = "avg(last_5m):avg:region.errors{{*}} > 5"
  options = {{ timeout_h = 1 }}
}}

monitor "{template}" {{
  tier     = "L3"
  for_each = tenants
  name     = "[${{tenant.name}}] errors"
  type     = "query alert"
  query    = "avg(last_5m):avg:app.errors{{*}} > 10"
  suppressed_by = [monitor.region]
}}
"#
    );
    let dir = project("long-key-tag", "", &tenants, &monitors);
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    let found = diagnostics(&text);
    assert!(
        found.len() == 1
            && found[0].starts_with("./tenants.hcl:6:8: error[monc::invalid-tag]")
            && found[0].contains(&format!(
                "`l3/{template}/{tenant}/composite` would be 203 characters"
            )),
        "{text}"
    );
}

// ---- 6. tags under the keys monc writes itself ----

/// Imported monitors carry `tier:critical` and `managed-by:terraform`: next to monc's `tier:l3`
/// and `managed-by:monc` they confuse every search by tag. A warning naming monc's tag; a tag
/// equal to the one monc writes is only redundant, and not reported.
#[test]
fn tags_under_the_keys_monc_writes_are_a_warning_naming_monc_s_tag() {
    let dir = project(
        "monc-tag-keys",
        "project = \"payments\"\ndefault_tags = [\"cluster:shared\"]\n",
        TENANTS,
        r#"
monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "query alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 10"
  tags     = ["tier:critical", "managed-by:terraform", "tenant:${tenant.name}", "team:x"]
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(0), "warnings only: {text}");
    let found = diagnostics(&text);
    let expected = [
        (
            "./monc.hcl:2:18: warning[monc::monc-tag-key]",
            "`cluster:shared`",
        ),
        (
            "./monitors.hcl:8:16: warning[monc::monc-tag-key]",
            "`tier:l3`",
        ),
        (
            "./monitors.hcl:8:33: warning[monc::monc-tag-key]",
            "`managed-by:monc`",
        ),
    ];
    assert_eq!(found.len(), expected.len(), "{text}");
    for ((at, names), line) in expected.iter().zip(&found) {
        assert!(
            line.starts_with(at) && line.contains(names),
            "{at} {names}: {text}"
        );
    }
}

/// The project tag decides which project may write a monitor: written by hand it is an error,
/// not a warning (it could hand the monitor to another project).
#[test]
fn a_project_tag_written_by_hand_is_reserved() {
    let dir = project(
        "project-tag",
        "project = \"payments\"\n",
        TENANTS,
        r#"
monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "query alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 10"
  tags     = ["monc-project:billing"]
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("error[monc::reserved-tag]"), "{text}");
}

// ---- 7. cascades and hints ----

const TWO_TENANTS: &str = r#"
cluster "c1" {
  vars = { alb = "alb-1" }
}

tenant "initrode" {
  cluster = "c1"
  notify  = ["@slack-initrode"]
  vars    = { service = "initrode-api" }
}

tenant "hooli" {
  cluster = "c1"
  notify  = ["@slack-hooli"]
  vars    = { service = "hooli-api" }
}
"#;

/// A template with an invalid `type` or `tier` still defines its name: one mistake, one
/// diagnostic, not one more at every reference to it.
#[test]
fn an_invalid_type_or_tier_is_one_error_not_one_per_reference() {
    let dir = project(
        "invalid-type-cascade",
        "",
        TWO_TENANTS,
        r#"
monitor "region" {
  tier    = "L0"
  name    = "Region down"
  type    = "metric alerts"
  query   = "avg(last_5m):avg:region.errors{*} > 5"
}

monitor "cluster_errors" {
  tier     = "L9"
  for_each = clusters
  name     = "[${cluster.name}] errors"
  type     = "metric alert"
  query    = "avg(last_5m):avg:cluster.errors{*} > 5"
}

monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "query alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 10"
  suppressed_by = [monitor.region, monitor.cluster_errors[tenant.cluster]]
}

monitor "outage" {
  tier  = "L3"
  name  = "Outage"
  type  = "composite"
  query = "monitor.region && monitor.cluster_errors[\"c1\"]"
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    let found = diagnostics(&text);
    assert_eq!(found.len(), 2, "{text}");
    assert!(found[0].contains("error[monc::unknown-type]"), "{text}");
    assert!(found[1].contains("error[monc::unknown-tier]"), "{text}");
}

#[test]
fn a_tier_in_the_wrong_case_gets_a_did_you_mean() {
    let dir = project(
        "tier-case",
        "",
        TWO_TENANTS,
        r#"
monitor "region" {
  tier  = "l0"
  name  = "Region down"
  type  = "metric alert"
  query = "avg(last_5m):avg:region.errors{*} > 5"
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("did you mean `L0`?"), "{text}");
}

/// The README promises one report per template, with the number of monitors it affects.
#[test]
fn a_wrong_query_type_is_reported_once_per_template() {
    let dir = project(
        "query-type-once",
        "",
        TWO_TENANTS,
        r#"
monitor "login" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] login"
  type     = "service check"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 10"
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    let found = diagnostics(&text);
    assert_eq!(found.len(), 1, "{text}");
    assert!(
        found[0].contains("error[monc::query-type]") && found[0].contains("also in 1 more"),
        "{text}"
    );
}

/// Hints in a user's own project never name the reference setup's monitors, tenants or clusters.
#[test]
fn hints_never_name_the_reference_setup() {
    let dir = project(
        "hints-own-project",
        "",
        TWO_TENANTS,
        r#"
monitor "region" {
  tier  = "L0"
  name  = "Region down"
  type  = "metric alert"
  query = "avg(last_5m):avg:region.errors{*} > 5"
  options = { timeout_h = 1 }
}

monitor "errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] errors"
  type     = "query alert"
  query    = "avg(last_5m):avg:app.errors{service:${tenant.vars.service}} > 10"
  suppressed_by = [region]
}

monitor "latency" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] latency"
  type     = "query alert"
  query    = "avg(last_5m):avg:app.latency{service:${tenant.vars.service}} > 10"
  suppressed_by = monitor.region
}
"#,
    );
    let (_, validated) = validate(&dir);
    std::fs::create_dir_all(dir.join("alert-tests")).expect("mkdir");
    std::fs::write(
        dir.join("alert-tests/mistakes.hcl"),
        r#"
scenario "names" {
  alert = "l0/region"
}

scenario "instances" {
  alert = [monitor.errors, monitor.errors[tenant.name]]
}
"#,
    )
    .expect("write");
    let monitors = std::fs::read_to_string(dir.join("monitors.hcl")).expect("read");
    std::fs::write(
        dir.join("monitors.hcl"),
        monitors
            .replace("[region]", "[monitor.region]")
            .replace("= monitor.region\n", "= [monitor.region]\n"),
    )
    .expect("write");
    let tested = common::monc_in(&dir).arg("test").output().expect("runs");
    let tested = common::output_text(&tested);
    for text in [&validated, &tested] {
        assert!(text.contains("help"), "{text}");
        for name in [
            "alb_5xx",
            "region_health",
            "prod-tokyo",
            "acme",
            "api_error",
        ] {
            assert!(!text.contains(name), "`{name}` in:\n{text}");
        }
    }
    assert!(
        tested.contains("monitor.errors[\\\"initrode\\\"]")
            || tested.contains("monitor.errors[\"initrode\"]"),
        "{tested}"
    );
}

/// An unquoted name is read as variables (`prod-eu-1` as `prod - eu - 1`): suggest the quotes.
#[test]
fn an_unquoted_name_gets_a_suggestion_to_quote_it() {
    let tenants = TWO_TENANTS.replace(
        "cluster = \"c1\"\n  notify  = [\"@slack-hooli\"]",
        "cluster = prod-eu-1\n  notify  = [\"@slack-hooli\"]",
    );
    let dir = project(
        "unquoted",
        "",
        &tenants,
        r#"
monitor "region" {
  tier  = "L0"
  name  = region-down
  type  = "metric alert"
  query = "avg(last_5m):avg:region.errors{*} > 5"
}
"#,
    );
    let (code, text) = validate(&dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("write `\"prod-eu-1\"`"), "{text}");
    assert!(text.contains("write `\"region-down\"`"), "{text}");
}
