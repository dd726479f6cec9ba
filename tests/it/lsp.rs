//! `monc lsp` driven as an editor drives it: a subprocess spoken to over stdio with real
//! JSON-RPC framing, on a copy of the reference setup and on broken projects.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{monc_in, reference_copy};
use crate::lsp_client::{LspClient, url};

fn position(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

/// Line and column (0-based) of the first `needle` in `text`, plus `shift` characters.
fn find(text: &str, needle: &str, shift: usize) -> (u32, u32) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"))
        + shift;
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    (line as u32, column as u32)
}

/// `monc validate --format json`'s diagnostics of a project, as (file, line, column, code,
/// message) with 0-based line and column, sorted.
fn validate_diagnostics(dir: &Path) -> Vec<(String, u64, u64, String, String)> {
    let output = monc_in(dir)
        .args(["validate", "--format", "json"])
        .output()
        .expect("runs");
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let mut found: Vec<_> = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let file = dir.join(d["file"].as_str().unwrap());
            (
                url(&file),
                d["line"].as_u64().unwrap() - 1,
                d["column"].as_u64().unwrap() - 1,
                d["code"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

/// The same shape from published LSP diagnostics (message without the help line and count).
fn lsp_diagnostics(uri: &str, diagnostics: &[Value]) -> Vec<(String, u64, u64, String, String)> {
    diagnostics
        .iter()
        .map(|d| {
            let message = d["message"].as_str().unwrap();
            let message = message.split("\nhelp: ").next().unwrap();
            let message = message.split(" (also in ").next().unwrap();
            (
                uri.to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
                message.to_string(),
            )
        })
        .collect()
}

/// An unsaved edit in one file (a cluster renamed) raises monc's errors in the files that
/// name it, open or not (tenants, monitors), with the codes, messages and places
/// `monc validate` reports once the edit is saved; undoing it clears them.
#[test]
fn lsp_diagnostics_follow_unsaved_edits_across_files() {
    let dir = reference_copy("lsp", "across_files");
    let mut client = LspClient::start(&dir);
    let clusters_path = dir.join("tenants/clusters.hcl");
    let clusters = client.open(&clusters_path);
    let monitors = client.open(&dir.join("monitors/l3_tenant.hcl"));
    let acme = url(&dir.join("tenants/acme.hcl"));
    client.diagnostics_until(&monitors, <[Value]>::is_empty); // clean at first
    let original = std::fs::read_to_string(&clusters_path).unwrap();
    let edited = original.replace("cluster \"prod-tokyo-1\"", "cluster \"prod-tokyo-9\"");
    assert_ne!(original, edited);
    client.change(&clusters, 2, &edited);
    let mut published = Vec::new();
    for uri in [&acme, &monitors] {
        let found = client.diagnostics_until(uri, |d| !d.is_empty());
        published.extend(lsp_diagnostics(uri, &found));
        let first = &found[0];
        assert_eq!(first["source"], "monc");
        assert_eq!(first["severity"], 1, "an error");
        assert!(
            first["message"]
                .as_str()
                .unwrap()
                .contains("\nhelp: did you mean `prod-tokyo-9`?"),
            "{first}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&clusters_path).unwrap(),
        original,
        "monc lsp writes no file"
    );

    std::fs::write(&clusters_path, &edited).unwrap();
    let expected = validate_diagnostics(&dir);
    std::fs::write(&clusters_path, &original).unwrap();
    let expected: Vec<_> = expected
        .into_iter()
        .filter(|d| d.0 == acme || d.0 == monitors)
        .collect();
    published.sort();
    assert_eq!(
        published, expected,
        "the same diagnostics as `monc validate`"
    );

    client.change(&clusters, 3, &original);
    client.diagnostics_until(&acme, <[Value]>::is_empty); // cleared when fixed
    client.diagnostics_until(&monitors, <[Value]>::is_empty);
    let logged = client.notifications.iter().any(|m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap()
                .contains(" ms: 0 errors")
    });
    assert!(logged, "each check is logged with its time");
    assert!(client.shut_down().success());
}

/// Broken projects: every diagnostic of `monc validate` is published, in its file, at its
/// place, with its code; a syntax error while typing is reported and the server goes on.
#[test]
fn lsp_publishes_what_validate_reports_on_broken_projects() {
    for example in ["broken-references", "broken-suppression", "broken-queries"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example);
        let mut client = LspClient::start(&dir);
        let monitors = client.open(&dir.join("monitors.hcl"));
        let tenants = client.open(&dir.join("tenants.hcl"));
        let mut got = lsp_diagnostics(&monitors, &client.diagnostics_for(&monitors));
        got.extend(lsp_diagnostics(&tenants, &client.diagnostics_for(&tenants)));
        got.sort();
        let expected = validate_diagnostics(&dir);
        assert!(!expected.is_empty(), "{example} is broken");
        assert_eq!(got, expected, "{example}");
        assert!(client.shut_down().success());
    }
}

#[test]
fn lsp_reports_a_syntax_error_while_typing_and_recovers() {
    let dir = reference_copy("lsp", "syntax");
    let mut client = LspClient::start(&dir);
    let path = dir.join("monitors/l0_platform.hcl");
    let uri = client.open(&path);
    assert!(client.diagnostics_for(&uri).is_empty());
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replacen("tier", "tier = = ", 1);
    client.change(&uri, 2, &broken);
    client.diagnostics_until(&uri, |d| d.iter().any(|d| d["code"] == "monc::syntax"));
    // A request on a broken buffer is answered, not a crash.
    let hover = client.request_raw("textDocument/hover", position(&uri, 0, 0));
    assert!(hover.get("error").is_none(), "{hover}");
    client.change(&uri, 3, &text);
    client.diagnostics_until(&uri, <[Value]>::is_empty);
    assert!(client.shut_down().success());
}

#[test]
fn lsp_goes_to_definitions_and_finds_references() {
    let dir = reference_copy("lsp", "navigate");
    let mut client = LspClient::start(&dir);
    let l3_path = dir.join("monitors/l3_tenant.hcl");
    let l3 = client.open(&l3_path);
    client.diagnostics_for(&l3);
    let text = std::fs::read_to_string(&l3_path).unwrap();
    let l2_text = std::fs::read_to_string(dir.join("monitors/l2_cluster.hcl")).unwrap();
    let l2 = url(&dir.join("monitors/l2_cluster.hcl"));

    // monitor.alb_5xx[...] → the template in l2_cluster.hcl.
    let (line, column) = find(&text, "monitor.alb_5xx", 10);
    let found = client.request("textDocument/definition", position(&l3, line, column));
    let (def_line, _) = find(&l2_text, "monitor \"alb_5xx\"", 0);
    assert_eq!(found[0]["uri"], l2.as_str(), "{found}");
    assert_eq!(found[0]["range"]["start"]["line"], def_line, "{found}");

    // tenant.vars.service → each tenant's definition of `service`.
    let (line, column) = find(&text, "tenant.vars.service", 14);
    let found = client.request("textDocument/definition", position(&l3, line, column));
    let files: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("tenants/acme.hcl")),
        "{found}"
    );
    assert!(files.len() >= 4, "one per tenant: {found}");

    // local.env → the locals block of monc.hcl.
    let (line, column) = find(&text, "local.env", 7);
    let found = client.request("textDocument/definition", position(&l3, line, column));
    assert!(
        found[0]["uri"].as_str().unwrap().ends_with("/monc.hcl"),
        "{found}"
    );

    // References of alb_5xx: its definition and every `monitor.alb_5xx`.
    let (line, column) = find(&text, "monitor.alb_5xx", 10);
    let found = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": l3}, "position": {"line": line, "character": column},
               "context": {"includeDeclaration": true}}),
    );
    let uses = text.matches("monitor.alb_5xx[").count();
    let in_l3 = found
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["uri"] == l3.as_str())
        .count();
    assert_eq!(in_l3, uses, "{found}");
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["uri"] == l2.as_str()),
        "{found}"
    );

    // References of a tenant: its definition and the places naming it.
    let acme = client.open(&dir.join("tenants/acme.hcl"));
    let found = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": acme},
        "position": {"line": 0, "character": 9}, "context": {"includeDeclaration": true}}),
    );
    assert!(!found.as_array().unwrap().is_empty(), "{found}");
    assert!(client.shut_down().success());
}

#[test]
fn lsp_hovers_completes_formats_and_outlines() {
    let dir = reference_copy("lsp", "features");
    let mut client = LspClient::start(&dir);
    let l3_path = dir.join("monitors/l3_tenant.hcl");
    let l3 = client.open(&l3_path);
    client.diagnostics_for(&l3);
    let text = std::fs::read_to_string(&l3_path).unwrap();

    // Hover on a template: tier, suppression both ways, and a compiled instance.
    let (line, column) = find(&text, "monitor \"api_error_rate\"", 10);
    let hover = client.request("textDocument/hover", position(&l3, line, column));
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("tier L3"), "{shown}");
    assert!(
        shown.contains("suppressed by: ") && shown.contains("`alb_5xx`"),
        "{shown}"
    );
    assert!(
        shown.contains("query: sum(last_5m):sum:trace.http.request.errors{service:"),
        "{shown}"
    );
    // On a function: its signature.
    let (line, column) = find(&text, "lookup(", 2);
    let hover = client.request("textDocument/hover", position(&l3, line, column));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("lookup("),
        "{hover}"
    );

    // Completion after `monitor.` lists the templates; after `tenant.vars.` the var keys.
    let mut edited = text.clone();
    edited.push_str("\nx = monitor.\ny = tenant.vars.\n");
    client.change(&l3, 2, &edited);
    client.diagnostics_until(&l3, |d| !d.is_empty()); // checked: `x = monitor.` is an error
    let lines = edited.lines().count() as u32;
    let completion = client.request("textDocument/completion", position(&l3, lines - 2, 12));
    let found = labels(&completion);
    assert!(found.contains(&"alb_5xx".to_string()), "{found:?}");
    let completion = client.request("textDocument/completion", position(&l3, lines - 1, 16));
    let found = labels(&completion);
    assert!(found.contains(&"error_rate_max".to_string()), "{found:?}");
    // Inside a template: its attribute names; after `type = "`: the monitor types.
    let mut edited = text.clone();
    edited.push_str("\nmonitor \"new\" {\n  \n  type = \"\n}\n");
    client.change(&l3, 3, &edited);
    let lines = edited.lines().count() as u32;
    let found = labels(&client.request("textDocument/completion", position(&l3, lines - 3, 2)));
    assert!(found.contains(&"suppressed_by".to_string()), "{found:?}");
    let found = labels(&client.request("textDocument/completion", position(&l3, lines - 2, 10)));
    assert!(found.contains(&"metric alert".to_string()), "{found:?}");
    client.change(&l3, 3, &text);

    // Formatting: `monc fmt`'s layout, as an edit (the file on disk is untouched).
    let messy = text.replacen("tier     = \"L3\"", "tier=\"L3\"", 1);
    client.change(&l3, 5, &messy);
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": l3},
        "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(
        edits[0]["newText"].as_str().unwrap(),
        monc::layout::format_hcl(&messy).unwrap()
    );
    assert_eq!(std::fs::read_to_string(&l3_path).unwrap(), text);

    // Document symbols: the templates and the page.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": l3}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"api_error_rate") && names.contains(&"api"),
        "{names:?}"
    );
    assert!(client.shut_down().success());
}

fn labels(completion: &Value) -> Vec<String> {
    let items = completion
        .as_array()
        .or_else(|| completion["items"].as_array())
        .unwrap();
    items
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

/// "did you mean" help becomes a quick fix that replaces the misspelt name.
#[test]
fn lsp_offers_did_you_mean_as_a_quick_fix() {
    let dir = reference_copy("lsp", "quick_fix");
    let mut client = LspClient::start(&dir);
    let path = dir.join("monitors/l3_tenant.hcl");
    let uri = client.open(&path);
    client.diagnostics_for(&uri);
    let text = std::fs::read_to_string(&path).unwrap();
    let typo = text.replacen("monitor.alb_5xx[", "monitor.alb_5x[", 1);
    client.change(&uri, 2, &typo);
    let diagnostics = client.diagnostics_until(&uri, |d| !d.is_empty());
    let unknown: Vec<Value> = diagnostics
        .into_iter()
        .filter(|d| d["code"] == "monc::unknown-monitor")
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
        "range": unknown[0]["range"], "context": {"diagnostics": unknown}}),
    );
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "alb_5xx", "{actions}");
    let (line, column) = find(&typo, "alb_5x[", 0);
    assert_eq!(
        edit["range"]["start"],
        json!({"line": line, "character": column})
    );
    assert_eq!(
        edit["range"]["end"],
        json!({"line": line, "character": column + 6})
    );
    assert!(client.shut_down().success());
}

/// "add `y = ...` to the `vars` of tenant `t`" becomes a quick fix that adds it (with another
/// tenant's value), and the project is clean again once it is applied.
#[test]
fn lsp_offers_a_missing_tenant_var_as_a_quick_fix() {
    let dir = reference_copy("lsp", "missing_var");
    let mut client = LspClient::start(&dir);
    let path = dir.join("tenants/acme.hcl");
    let uri = client.open(&path);
    client.diagnostics_for(&uri);
    let text = std::fs::read_to_string(&path).unwrap();
    let missing = text.replace("    error_rate_max = 0.05\n", "");
    assert_ne!(missing, text);
    client.change(&uri, 2, &missing);
    let diagnostics = client.diagnostics_until(&uri, |d| !d.is_empty());
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
        "range": diagnostics[0]["range"], "context": {"diagnostics": diagnostics}}),
    );
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    let inserted = edit["newText"].as_str().unwrap();
    assert!(
        inserted.trim().starts_with("error_rate_max = "),
        "{actions}"
    );
    let start = &edit["range"]["start"];
    assert_eq!(start, &edit["range"]["end"], "an insertion");
    let line = start["line"].as_u64().unwrap() as usize;
    let offset: usize = missing
        .lines()
        .take(line)
        .map(|l| l.len() + 1)
        .sum::<usize>()
        + start["character"].as_u64().unwrap() as usize;
    let fixed = format!("{}{inserted}{}", &missing[..offset], &missing[offset..]);
    client.change(&uri, 3, &fixed);
    client.diagnostics_until(&uri, <[Value]>::is_empty);
    assert!(client.shut_down().success());
}

/// Ten edits sent at typing speed are checked once or a few times, not ten, and what is
/// published last is the check of the last text.
#[test]
fn lsp_debounces_a_burst_of_edits() {
    let dir = reference_copy("lsp", "burst");
    let mut client = LspClient::start(&dir);
    let path = dir.join("monitors/l0_platform.hcl");
    let uri = client.open(&path);
    client.diagnostics_for(&uri);
    let text = std::fs::read_to_string(&path).unwrap();
    let edits = 10;
    for edit in 1..edits {
        // Each intermediate text has its own unknown tier; the last is clean.
        client.change(
            &uri,
            edit + 1,
            &text.replacen("\"L0\"", &format!("\"X{edit}\""), 1),
        );
    }
    client.change(&uri, edits + 1, &text);
    // Wait long enough for every check the burst could cause.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(symbols.is_array());
    let published: Vec<&Value> = client
        .notifications
        .iter()
        .filter(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str()
        })
        .collect();
    assert!(
        !published.is_empty() && published.len() < edits as usize,
        "{} checks published",
        published.len()
    );
    let last = published.last().unwrap();
    assert_eq!(
        last["params"]["diagnostics"],
        json!([]),
        "the last text is clean: {last}"
    );
    assert!(client.shut_down().success());
}

/// A project monc cannot read at all (`tenants/` beside `tenants.hcl`) gets `monc validate`'s
/// error, on the file at fault, and no crash.
#[test]
fn lsp_reports_a_project_it_cannot_read() {
    let dir = reference_copy("lsp", "unreadable");
    std::fs::write(dir.join("tenants.hcl"), "").unwrap();
    let mut client = LspClient::start(&dir);
    client.open(&dir.join("monitors/l0_platform.hcl"));
    let at_fault = url(&dir.join("tenants.hcl"));
    let diagnostics = client.diagnostics_for(&at_fault);
    let message = diagnostics[0]["message"].as_str().unwrap();
    assert!(
        message.contains("both") && message.contains("\nhelp: "),
        "{message}"
    );
    assert!(client.shut_down().success());
}

/// A diagnostic that names two places (a tenant defined twice) carries the other one as
/// related information, in the other file.
#[test]
fn lsp_gives_the_other_place_as_related_information() {
    let dir = reference_copy("lsp", "related");
    let mut client = LspClient::start(&dir);
    let path = dir.join("tenants/acme.hcl");
    let uri = client.open(&path);
    client.diagnostics_for(&uri);
    let text = std::fs::read_to_string(&path).unwrap();
    client.change(
        &uri,
        2,
        &text.replacen("tenant \"acme\"", "tenant \"globex\"", 1),
    );
    // globex.hcl is read after acme.hcl: the second definition is its own.
    let globex = url(&dir.join("tenants/globex.hcl"));
    let diagnostics = client.diagnostics_until(&globex, |d| {
        d.iter().any(|d| d["code"] == "monc::duplicate-definition")
    });
    let duplicate = diagnostics
        .iter()
        .find(|d| d["code"] == "monc::duplicate-definition")
        .unwrap();
    let related = &duplicate["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri.as_str(), "{duplicate}");
    assert_eq!(related["message"], "first defined here");
    assert!(client.shut_down().success());
}

/// Nonsense from the client is answered with an error, and the server keeps serving.
#[test]
fn lsp_survives_bad_requests() {
    let dir = reference_copy("lsp", "robust");
    let mut client = LspClient::start(&dir);
    let answer = client.request_raw("textDocument/hover", json!({"nonsense": true}));
    assert!(answer["error"]["code"].is_number(), "{answer}");
    let answer = client.request_raw("monc/unknown", json!({}));
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    let outside = url(Path::new("/nonexistent/x.hcl"));
    let answer = client.request("textDocument/hover", position(&outside, 0, 0));
    assert_eq!(answer, Value::Null);
    let answer = client.request("textDocument/definition", position(&outside, 99, 99));
    assert_eq!(answer, Value::Null, "not a document of a project");
    let uri = client.open(&dir.join("monitors/l0_platform.hcl"));
    client.change(&uri, 2, "\u{0}{{{{\"😀");
    client.diagnostics_until(&uri, |d| !d.is_empty());
    assert!(client.shut_down().success());
}
