//! `monc import` round trips: imported monitors compile back to the same monitors (after
//! normalisation), with only the tags monc adds on top.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use monc::datadog::Monitor;
use monc::emit::EmittedMonitor;
use monc::import::{self, Destination, Import, Settings};
use monc::load::LoadOptions;
use monc::model::MonitorBody;
use monc::plan::Definition;
use monc::plan::live::live_from_wire;
use serde_json::json;

const MONC_HCL: &str = r#"tiers = ["L0", "L2", "L3"]
default_tags = ["team:sre"]
notify = ["@pagerduty-platform"]
"#;

/// A fresh project (monc.hcl with default tags and notify, no tenants, no monitors).
fn project(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("import")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tenants")).expect("mkdir");
    std::fs::create_dir_all(dir.join("monitors")).expect("mkdir");
    std::fs::write(dir.join("monc.hcl"), MONC_HCL).expect("write monc.hcl");
    dir
}

/// Imports `monitors` into the project at `dir`, writes the files and compiles them, asserting
/// the result validates.
fn import_and_compile(
    dir: &Path,
    monitors: &[Monitor],
    detect: Option<&str>,
) -> (Import, Vec<EmittedMonitor>) {
    let (model, _) = monc::load::load(&LoadOptions::in_dir(dir)).expect("project loads");
    let mut settings = Settings::for_project(&model, "a test", &[]);
    settings.detect_tenants = detect.map(String::from);
    let imported = import::build(monitors, &settings);
    let to = Destination {
        monitors_file: dir.join("monitors/imported.hcl"),
        tenants_file: dir.join("tenants/imported.hcl"),
        force: false,
    };
    import::write_files(&imported, &to).expect("writes");
    let checked = monc::check(&LoadOptions::in_dir(dir)).expect("loads");
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    let text = std::fs::read_to_string(&to.monitors_file).unwrap_or_default();
    assert!(
        errors.is_empty(),
        "generated HCL has errors: {errors:#?}\n{text}"
    );
    (imported, checked.emitted().to_vec())
}

fn definition_of(monitor: &Monitor) -> Definition {
    let mut monitor = monitor.clone();
    monitor.id = monitor.id.or(Some(1));
    Definition::of_live(&live_from_wire(&monitor).expect("has id"), &HashMap::new())
}

/// Asserts `desired` is `original` plus exactly the tags monc adds.
fn assert_same(original: &Monitor, desired: &EmittedMonitor, added_tags: &[String]) {
    let want = definition_of(original);
    let got = Definition::of_desired(desired);
    let tags = |d: &Definition| d.body.tags.iter().cloned().collect::<BTreeSet<_>>();
    let mut expected_tags = tags(&want);
    expected_tags.extend(added_tags.iter().cloned());
    assert_eq!(tags(&got), expected_tags, "tags of {}", original.body.name);
    let without_tags = |d: Definition| MonitorBody {
        tags: vec![],
        ..d.body
    };
    assert_eq!(
        without_tags(got),
        without_tags(want),
        "{}",
        original.body.name
    );
}

fn added_tags(tier: &str, key: &str, extra: &[&str]) -> Vec<String> {
    let mut tags = vec![
        format!("tier:{tier}"),
        "team:sre".into(),
        "managed-by:monc".into(),
        format!("monc-key:{key}"),
    ];
    tags.extend(extra.iter().map(|t| t.to_string()));
    tags
}

/// Live monitor id → the key it is adopted under.
fn adopted_keys(imported: &Import) -> HashMap<i64, String> {
    imported
        .adoptions()
        .into_iter()
        .map(|a| (a.id, a.key))
        .collect()
}

fn desired_by_key(desired: &[EmittedMonitor]) -> HashMap<&str, &EmittedMonitor> {
    desired.iter().map(|d| (d.key.as_str(), d)).collect()
}

#[test]
fn every_recommended_monitor_round_trips() {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recommended-monitors");
    let monitors = import::read::read_export(&fixtures).expect("reads the fixtures");
    assert_eq!(monitors.len(), 46);
    let dir = project("recommended");
    let (imported, desired) = import_and_compile(&dir, &monitors, None);
    assert_eq!(desired.len(), monitors.len());
    assert!(imported.skipped.is_empty());
    for (original, template) in monitors.iter().zip(&imported.templates) {
        let key = format!("l3/{}", template.name);
        let compiled = desired_by_key(&desired)[key.as_str()];
        assert_same(original, compiled, &added_tags("l3", &key, &[]));
    }
}

fn monitor(id: i64, name: &str, query: &str, message: &str, tags: &[&str]) -> Monitor {
    serde_json::from_value(json!({
        "id": id, "name": name, "type": "query alert", "query": query, "message": message,
        "tags": tags, "options": {"thresholds": {"critical": 90}, "notify_no_data": false},
        "priority": null
    }))
    .expect("monitor")
}

fn composite(id: i64, name: &str, query: &str, message: &str) -> Monitor {
    serde_json::from_value(json!({
        "id": id, "name": name, "type": "composite", "query": query, "message": message,
        "tags": ["team:db"], "options": {}
    }))
    .expect("composite")
}

#[test]
fn suppression_composites_become_suppressed_by() {
    let api = monitor(
        11,
        "API errors",
        "avg(last_5m):avg:api.errors{*} > 90",
        "API is failing",
        &["service:api"],
    );
    let db = monitor(
        12,
        "DB down",
        "avg(last_5m):avg:db.down{*} > 90",
        "DB down @slack-db",
        &[],
    );
    let net = monitor(
        13,
        "Network down",
        "avg(last_5m):avg:net.down{*} > 90",
        "net",
        &[],
    );
    let paging = composite(
        20,
        "API errors (paging)",
        "11 && !12 && !13",
        "API errors @pagerduty-api @slack-api",
    );
    let other = composite(21, "Either down", "12 || 13", "one of them @slack-x");
    let dir = project("composites");
    let all = [api.clone(), db.clone(), net.clone(), paging, other];
    let (imported, desired) = import_and_compile(&dir, &all, None);
    let by_key = desired_by_key(&desired);

    // Suppressors sit one tier lower and round-trip unchanged.
    assert_same(
        &db,
        by_key["l2/db_down"],
        &added_tags("l2", "l2/db_down", &[]),
    );
    assert_same(
        &net,
        by_key["l2/network_down"],
        &added_tags("l2", "l2/network_down", &[]),
    );

    // The composite is generated by monc: same shape, same name and message (issue 22), paging
    // with the composite's handles, which its message already names.
    let composite = by_key["l3/api_errors/composite"];
    assert_eq!(
        Definition::of_desired(composite).body.query,
        "l3/api_errors && !l2/db_down && !l2/network_down"
    );
    assert_eq!(
        composite.body.message,
        "API errors @pagerduty-api @slack-api"
    );
    assert_eq!(composite.body.name, "API errors (paging)");
    // The raw monitor keeps its query, options, name and message (`raw = {}`): adopting it
    // changes nothing but monc's tags and marker (issue 22).
    let raw = Definition::of_desired(by_key["l3/api_errors"]);
    let original = definition_of(&api);
    assert_eq!(
        (raw.body.query, raw.body.options),
        (original.body.query, original.body.options)
    );
    assert_eq!(
        (raw.body.name, raw.body.message),
        (original.body.name, original.body.message)
    );

    // Another shape stays a composite, over symbolic references.
    let either = imported
        .templates
        .iter()
        .find(|t| t.monitor_type == "composite")
        .expect("kept");
    assert_eq!(
        either.query.0.concat(),
        "monitor.db_down || monitor.network_down"
    );
    // ... which monc resolves to the keys of the imported monitors, so sync can write it.
    let either = by_key["l3/either_down"];
    assert!(either.is_composite());
    assert_eq!(
        either.body.query.dependencies(),
        ["l2/db_down", "l2/network_down"]
    );
    assert_eq!(
        Definition::of_desired(either).body.query,
        "l2/db_down || l2/network_down"
    );

    let adopted = adopted_keys(&imported);
    assert_eq!(adopted[&20], "l3/api_errors/composite");
    assert_eq!(adopted[&12], "l2/db_down");
    assert_eq!(adopted[&21], "l3/either_down");
}

#[test]
fn monitors_repeated_per_tenant_become_one_template() {
    let tenants = ["acme", "globex", "initech"];
    let mut monitors: Vec<Monitor> = tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            monitor(
                100 + i as i64,
                &format!("[{t}] Login failures"),
                &format!("sum(last_5m):sum:login.failures{{customer:{t}}} > 90"),
                &format!("Logins fail for {t} ${{not_interpolated}} @slack-{t}-oncall"),
                &[&format!("customer:{t}"), "service:login"],
            )
        })
        .collect();
    // Present for two tenants only: one template, `enabled` for them (issue 22 item 4).
    monitors.push(monitor(
        200,
        "[acme] Quota",
        "avg(last_5m):avg:quota{customer:acme} > 90",
        "",
        &["customer:acme"],
    ));
    monitors.push(monitor(
        201,
        "[globex] Quota",
        "avg(last_5m):avg:quota{customer:globex} > 90",
        "",
        &["customer:globex"],
    ));
    let dir = project("tenants");
    let (imported, desired) = import_and_compile(&dir, &monitors, Some("customer"));
    let by_key = desired_by_key(&desired);

    let per_tenant: Vec<_> = imported.templates.iter().filter(|t| t.per_tenant).collect();
    assert_eq!(per_tenant.len(), 2);
    assert_eq!(per_tenant[0].name, "login_failures");
    assert_eq!(per_tenant[0].enabled_for, None);
    assert_eq!(
        per_tenant[1].enabled_for,
        Some(vec!["acme".to_string(), "globex".to_string()])
    );
    assert_eq!(imported.templates.len(), 2);
    for (original, tenant) in monitors.iter().zip(tenants) {
        let key = format!("l3/login_failures/{tenant}");
        let extra = [format!("tenant:{tenant}"), "cluster:imported".to_string()];
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        assert_same(
            original,
            by_key[key.as_str()],
            &added_tags("l3", &key, &extra),
        );
    }
    assert_same(
        &monitors[3],
        by_key["l3/quota/acme"],
        &added_tags("l3", "l3/quota/acme", &["tenant:acme", "cluster:imported"]),
    );
    assert!(!by_key.contains_key("l3/quota/initech"));
    let tenants_hcl =
        std::fs::read_to_string(dir.join("tenants/imported.hcl")).expect("tenants file");
    assert!(
        tenants_hcl.contains("cluster \"imported\" {}"),
        "{tenants_hcl}"
    );
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = project("overwrite");
    let one = [monitor(1, "A", "avg(last_5m):avg:a{*} > 90", "", &[])];
    import_and_compile(&dir, &one, None);
    let (model, _) = monc::load::load(&LoadOptions::in_dir(&dir)).expect("loads");
    let imported = import::build(&one, &Settings::for_project(&model, "again", &[]));
    let mut to = Destination {
        monitors_file: dir.join("monitors/imported.hcl"),
        tenants_file: dir.join("tenants/imported.hcl"),
        force: false,
    };
    let error = import::write_files(&imported, &to).expect_err("refused");
    assert!(error.contains("--force"), "{error}");
    to.force = true;
    import::write_files(&imported, &to).expect("overwrites with force");
}

/// The per-tenant L3 pattern (issue 13 item 8): one monitor per tenant, each paging through its
/// own composite `A && !B` over a shared monitor B.
fn per_tenant_under_composites(tenants: &[&str]) -> Vec<Monitor> {
    let mut monitors = vec![monitor(
        1,
        "DB down",
        "avg(last_5m):avg:db.down{*} > 90",
        "DB down",
        &[],
    )];
    for (i, t) in tenants.iter().enumerate() {
        let id = 100 + i as i64;
        monitors.push(monitor(
            id,
            &format!("[{t}] API errors"),
            &format!("sum(last_5m):sum:api.errors{{customer:{t}}} > 90"),
            &format!("API errors for {t}"),
            &[&format!("customer:{t}")],
        ));
        monitors.push(composite(
            200 + i as i64,
            &format!("[{t}] API errors (paging)"),
            &format!("{id} && !1"),
            &format!("API errors for {t} @slack-{t}-oncall"),
        ));
    }
    monitors
}

#[test]
fn detect_tenants_folds_monitors_that_page_through_a_composite() {
    let tenants = ["acme", "globex", "initech"];
    let dir = project("tenants-under-composites");
    let monitors = per_tenant_under_composites(&tenants);
    let (imported, desired) = import_and_compile(&dir, &monitors, Some("customer"));
    let folded: Vec<_> = imported.templates.iter().filter(|t| t.per_tenant).collect();
    assert_eq!(folded.len(), 1, "{:#?}", imported.templates);
    assert_eq!(folded[0].suppressed_by, ["db_down"]);
    assert_eq!(
        imported.templates.len(),
        2,
        "the folded template and DB down"
    );
    let by_key = desired_by_key(&desired);
    let adopted = adopted_keys(&imported);
    for (i, t) in tenants.iter().enumerate() {
        let key = format!("l3/api_errors/{t}");
        assert_eq!(adopted[&(100 + i as i64)], key);
        assert_eq!(adopted[&(200 + i as i64)], format!("{key}/composite"));
        let composite = by_key[format!("{key}/composite").as_str()];
        assert_eq!(
            Definition::of_desired(composite).body.query,
            format!("{key} && !l2/db_down")
        );
        assert_eq!(
            composite.body.message,
            format!("API errors for {t} @slack-{t}-oncall")
        );
        assert_eq!(composite.body.name, format!("[{t}] API errors (paging)"));
    }
    assert!(imported.not_folded.is_empty(), "{:?}", imported.not_folded);
}

#[test]
fn detect_tenants_says_why_it_did_not_fold_a_group() {
    let mut monitors = per_tenant_under_composites(&["acme", "globex", "initech"]);
    // initech's monitor pages directly, not through a composite.
    monitors.retain(|m| m.id != Some(202));
    // Present for two of the three tenants only: folded, `enabled` for them.
    for (id, t) in [(300, "acme"), (301, "globex")] {
        monitors.push(monitor(
            id,
            &format!("[{t}] Quota"),
            &format!("avg(last_5m):avg:quota{{customer:{t}}} > 90"),
            "",
            &[&format!("customer:{t}")],
        ));
    }
    let dir = project("tenants-not-folded");
    let (imported, _) = import_and_compile(&dir, &monitors, Some("customer"));
    let folded: Vec<&str> = imported
        .templates
        .iter()
        .filter(|t| t.per_tenant)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        folded,
        ["quota"],
        "only Quota, `enabled` for acme and globex"
    );
    let reasons = imported.not_folded.join("\n");
    assert_eq!(imported.not_folded.len(), 1, "{reasons}");
    assert!(
        reasons.contains("[acme] API errors")
            && reasons.contains("acme, globex page through a composite")
            && reasons.contains("initech does not"),
        "{reasons}"
    );
    assert!(!reasons.contains("[acme] Quota"), "{reasons}");
}

/// A composite kept as written still says who suppresses whom: a monitor under `!` (the
/// Terraform pattern `(errors || latency) && !db`) goes one tier lower, as the suppressors of
/// `A && !B` composites do.
#[test]
fn monitors_negated_in_a_kept_composite_go_one_tier_lower() {
    let errors = monitor(
        31,
        "errors",
        "avg(last_5m):avg:app.errors{*} > 90",
        "x",
        &[],
    );
    let latency = monitor(
        32,
        "latency",
        "avg(last_5m):avg:app.latency{*} > 90",
        "x",
        &[],
    );
    let db = monitor(33, "DB down", "avg(last_5m):avg:db.down{*} > 90", "x", &[]);
    let page = composite(40, "API degraded", "(31 || 32) && !33", "@slack-api");
    let dir = project("negated-tier");
    let all = [errors, latency, db.clone(), page];
    let (_, desired) = import_and_compile(&dir, &all, None);
    let by_key = desired_by_key(&desired);
    assert_same(
        &db,
        by_key["l2/db_down"],
        &added_tags("l2", "l2/db_down", &[]),
    );
    assert_eq!(
        Definition::of_desired(by_key["l3/api_degraded"]).body.query,
        "(l3/errors || l3/latency) && !l2/db_down"
    );
}

/// The migrated Terraform pattern: per tenant, errors and latency monitors and one composite
/// `(errors || latency) && !db && !region`. With --detect-tenants the composites fold into one
/// per-tenant composite template too (they used to stay one template per tenant).
fn terraform_pages(tenants: &[&str]) -> Vec<Monitor> {
    let mut monitors = vec![
        monitor(
            1,
            "Region degraded",
            "avg(last_5m):avg:net.retrans{*} > 90",
            "x",
            &[],
        ),
        monitor(2, "DB down", "avg(last_5m):avg:db.down{*} > 90", "x", &[]),
    ];
    for (i, t) in tenants.iter().enumerate() {
        let (errors, latency) = (100 + 2 * i as i64, 101 + 2 * i as i64);
        for (id, what) in [(errors, "errors"), (latency, "latency")] {
            monitors.push(monitor(
                id,
                &format!("[{t}] {what}"),
                &format!("avg(last_5m):avg:app.{what}{{tenant:{t}}} > 90"),
                "x",
                &[&format!("tenant:{t}")],
            ));
        }
        let mut page = composite(
            300 + i as i64,
            &format!("[{t}] API degraded"),
            &format!("({errors} || {latency}) && !2 && !1"),
            &format!("API of {t} degraded @slack-{t}"),
        );
        page.body.tags = vec![format!("tenant:{t}")];
        monitors.push(page);
    }
    monitors
}

#[test]
fn detect_tenants_folds_composites_kept_as_written() {
    let tenants = ["acme", "globex", "initech"];
    let dir = project("tenant-composites");
    let (imported, desired) = import_and_compile(&dir, &terraform_pages(&tenants), Some("tenant"));
    let per_tenant: Vec<&str> = imported
        .templates
        .iter()
        .filter(|t| t.per_tenant)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        per_tenant,
        ["errors", "latency", "api_degraded"],
        "{:#?}",
        imported.templates
    );
    assert_eq!(imported.templates.len(), 5, "and region, DB down");
    let by_key = desired_by_key(&desired);
    let adopted = adopted_keys(&imported);
    for (i, t) in tenants.iter().enumerate() {
        let key = format!("l3/api_degraded/{t}");
        assert_eq!(adopted[&(300 + i as i64)], key);
        assert_eq!(
            Definition::of_desired(by_key[key.as_str()]).body.query,
            format!("(l3/errors/{t} || l3/latency/{t}) && !l2/db_down && !l2/region_degraded")
        );
        assert_eq!(
            by_key[key.as_str()].body.message,
            format!("API of {t} degraded @slack-{t}")
        );
    }
    assert!(imported.not_folded.is_empty(), "{:?}", imported.not_folded);
}

/// A composite present for some tenants only is not folded, and the note says why.
#[test]
fn a_composite_for_some_tenants_only_is_not_folded_and_says_why() {
    let mut monitors = terraform_pages(&["acme", "globex", "initech"]);
    monitors.retain(|m| m.id != Some(302));
    let dir = project("tenant-composites-partial");
    let (imported, _) = import_and_compile(&dir, &monitors, Some("tenant"));
    let kept: Vec<&str> = imported
        .templates
        .iter()
        .filter(|t| t.monitor_type == "composite")
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(kept, ["acme_api_degraded", "globex_api_degraded"]);
    let reasons = imported.not_folded.join("\n");
    assert!(
        reasons.contains("[acme] API degraded") && reasons.contains("no monitor for initech"),
        "{reasons}"
    );
}

/// A shared monitor whose name holds a tenant's name (`shared_acme_wide_db`) would be renamed
/// for every other tenant by the folded template: the composites stay one per tenant, and the
/// note says why.
#[test]
fn a_composite_naming_a_monitor_with_a_tenant_in_its_name_is_not_folded() {
    let mut monitors = terraform_pages(&["acme", "globex", "initech"]);
    for m in &mut monitors {
        if m.id == Some(2) {
            m.body.name = "Shared acme-wide DB".into();
        }
    }
    let dir = project("tenant-composites-unclean");
    let (imported, _) = import_and_compile(&dir, &monitors, Some("tenant"));
    let kept = imported
        .templates
        .iter()
        .filter(|t| t.monitor_type == "composite" && !t.per_tenant)
        .count();
    assert_eq!(kept, 3, "{:#?}", imported.templates);
    let reasons = imported.not_folded.join("\n");
    assert!(
        reasons.contains("has the tenant's name in its own name"),
        "{reasons}"
    );
}

/// A composite kept as written keeps its text: only the monitor ids become references. Datadog
/// does not document whether `&&` binds tighter than `||`, so parentheses are neither added nor
/// dropped (validate then warns about the mix, and the user decides).
#[test]
fn a_kept_composite_keeps_its_operators_and_parentheses_as_written() {
    let a = monitor(11, "A", "avg(last_5m):avg:a{*} > 90", "x", &[]);
    let b = monitor(12, "B", "avg(last_5m):avg:b{*} > 90", "x", &[]);
    let c = monitor(13, "C", "avg(last_5m):avg:c{*} > 90", "x", &[]);
    let mixed = composite(20, "Mixed", "11 || 12 && !13", "x");
    let nested = composite(21, "Nested", "  ((11)) && !(12 || 13) ", "x");
    let dir = project("kept-as-written");
    let (imported, _) = import_and_compile(&dir, &[a, b, c, mixed, nested], None);
    let queries: Vec<String> = imported
        .templates
        .iter()
        .filter(|t| t.monitor_type == "composite")
        .map(|t| t.query.0.concat())
        .collect();
    assert_eq!(
        queries,
        [
            "monitor.a || monitor.b && !monitor.c",
            "((monitor.a)) && !(monitor.b || monitor.c)"
        ]
    );
}
