//! Text from the org or a server never reaches a terminal or a Markdown report as markup
//! (issue 21): control characters are shown escaped, Markdown is escaped, paths are escaped.
//! Anyone with monitor write access sets names and messages; the plan under review must show
//! what is there, not what an escape sequence draws.

use crate::common::{self, monc_at, output_text};

use serde_json::json;

/// Bytes a terminal acts on: C0 controls but newline and tab, DEL, and C1 controls.
fn controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| (c.is_control() && *c != '\n' && *c != '\t') || is_bidi(*c))
        .collect()
}

/// Unicode characters that reorder or hide what follows them.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

const EVIL: &str = "evil\u{1b}[2K\rNo changes.\u{1b}[8m\u{202e}hidden\u{7}";

#[test]
fn names_and_messages_from_the_org_are_escaped_on_the_terminal() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("honest", "escaped");
    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let id = common::id_of(&emulator, "l3/login_check/acme");
    assert!(emulator.edit_monitor(id, |m| {
        m.insert("name".into(), EVIL.into());
        let message = format!("{EVIL}\n{}", m["message"].as_str().unwrap_or_default());
        m.insert("message".into(), message.into());
    }));
    // An orphan whose key (from the org) holds control characters, and a clone.
    let orphan_key = format!("l3/x{EVIL}/y");
    emulator
        .insert_monitor(json!({"name": EVIL, "type": "metric alert",
            "query": "avg(last_5m):avg:system.load.1{*} > 5",
            "message": EVIL, "tags": ["managed-by:monc", format!("monc-key:{orphan_key}")],
            "options": {}}))
        .expect("orphan");
    for args in [
        &["diff"][..],
        &["diff", "--format", "markdown"],
        &["status"],
        &["status", "--format", "markdown"],
        &["sync", "--yes", "--prune"],
    ] {
        let output = monc_at(&dir, &url, args);
        let text = output_text(&output);
        assert!(
            controls(&text).is_empty(),
            "{args:?} printed {:?}:\n{text}",
            controls(&text)
        );
        if args[0] != "status" {
            assert!(
                text.contains("evil"),
                "{args:?} still shows the name: {text}"
            );
        }
    }
}

#[test]
fn markdown_from_the_org_cannot_forge_a_report() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let emulator = common::start_on(&runtime);
    let url = emulator.base_url();
    let dir = common::reference_copy("honest", "markdown");
    let synced = monc_at(&dir, &url, &["sync", "--yes"]);
    assert!(synced.status.success(), "{}", output_text(&synced));
    let forged = "x |\n\n## No drift\n\n[click](https://evil.example) <!-- hide";
    let id = common::id_of(&emulator, "l3/login_check/acme");
    assert!(emulator.edit_monitor(id, |m| {
        m.insert("name".into(), forged.into());
    }));
    for args in [
        &["diff", "--format", "markdown"][..],
        &["status", "--format", "markdown"],
    ] {
        let text = output_text(&monc_at(&dir, &url, args));
        // Inside a fenced code block (a field's diff) text is shown as written, inert.
        let mut fenced = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            }
            if fenced {
                continue;
            }
            assert!(
                !line.starts_with("## No drift"),
                "{args:?}: forged heading:\n{text}"
            );
            assert!(!line.contains("<!--"), "{args:?}: HTML comment:\n{text}");
            assert!(
                !line.contains("](https://evil"),
                "{args:?}: live link:\n{text}"
            );
        }
    }
}

#[test]
fn a_newline_in_a_file_name_cannot_forge_a_diagnostic_line() {
    let dir = common::reference_copy("honest", "file-name");
    let forged = "x.hcl\nmonitors/ok.hcl:1:1: error[forged]: nothing\nz.hcl";
    let name = forged.replace('/', "\u{2215}");
    std::fs::write(
        dir.join("monitors").join(&name),
        "monitor \"broken\" {\n  tier = \n}\n",
    )
    .expect("write");
    let output = common::monc_in(&dir)
        .args(["validate", "--format", "short"])
        .output()
        .expect("validate");
    let text = output_text(&output);
    assert!(
        !text
            .lines()
            .any(|l| l.contains("error[forged]") && !l.contains("x.hcl")),
        "a line was forged:\n{text}"
    );
    assert!(controls(&text).is_empty(), "{text}");
}
