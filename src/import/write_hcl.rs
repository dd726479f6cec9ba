//! Rendering imported templates as HCL that monc reads back to exactly the same values.
//!
//! Written by hand rather than with `hcl::format`: heredocs for multi-line messages, one
//! attribute per line in the order of the README, and comments explaining the import.

use serde_json::{Map as JsonMap, Value as Json};

use super::{Import, ImportedTemplate, Text};

/// What templates write where the tenant's name goes.
pub(crate) const TENANT_NAME: &str = "${tenant.name}";

/// The `monitors/<file>.hcl` contents.
pub fn monitors_file(import: &Import) -> String {
    let mut out = String::new();
    for line in &import.header {
        out.push_str(&format!("# {line}\n"));
    }
    for template in &import.templates {
        out.push('\n');
        out.push_str(&template_block(template));
    }
    out
}

/// The `tenants/<file>.hcl` contents, when tenants were detected.
pub fn tenants_file(import: &Import) -> Option<String> {
    let placement = import
        .tenants
        .as_ref()
        .filter(|p| !p.new_tenants.is_empty())?;
    let mut out = String::from("# Tenants found by `monc import --detect-tenants`.\n");
    if placement.declare_cluster {
        out.push_str(&format!(
            "# monc puts every tenant on a cluster; the export does not say which, so they share the\n\
             # placeholder cluster `{0}`. Move them to their real clusters (and delete `{0}`) when you\n\
             # add cluster-level monitors; until then it only adds the tag `cluster:{0}`.\n\n\
             cluster \"{0}\" {{}}\n",
            placement.cluster
        ));
    } else {
        out.push_str(&format!(
            "# monc puts every tenant on a cluster; the export does not say which, so they are on `{}`.\n\
             # Move each to its real cluster.\n",
            placement.cluster
        ));
    }
    for tenant in &placement.new_tenants {
        out.push_str(&format!(
            "\ntenant {} {{\n  cluster = {}\n}}\n",
            quoted(tenant),
            quoted(&placement.cluster)
        ));
    }
    Some(out)
}

fn template_block(t: &ImportedTemplate) -> String {
    let mut out = String::new();
    for line in &t.comments {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str(&format!("monitor {} {{\n", quoted(&t.name)));
    let mut attr = |name: &str, value: String| out.push_str(&format!("  {name:<8} = {value}\n"));
    attr("tier", quoted(&t.tier));
    if t.per_tenant {
        attr("for_each", "tenants".into());
    }
    if let Some(tenants) = &t.enabled_for {
        let names: Vec<String> = tenants.iter().map(|n| quoted(n)).collect();
        attr(
            "enabled",
            format!("contains([{}], tenant.name)", names.join(", ")),
        );
    }
    attr("name", text(&t.display_name));
    attr("type", quoted(&t.monitor_type));
    attr("query", text(&t.query));
    attr("message", message(&t.message));
    if let Some(thresholds) = &t.thresholds {
        attr("thresholds", value(thresholds, 1));
    }
    if !t.options.is_empty() {
        attr("options", object(&t.options, 1));
    }
    if !t.tags.is_empty() {
        let tags: Vec<String> = t.tags.iter().map(text).collect();
        attr("tags", format!("[{}]", tags.join(", ")));
    }
    if let Some(priority) = t.priority {
        attr("priority", priority.to_string());
    }
    if !t.ignore.is_empty() {
        let codes: Vec<String> = t.ignore.iter().map(|c| quoted(c)).collect();
        attr("ignore", format!("[{}]", codes.join(", ")));
    }
    let handles: Vec<String> = t.notify.iter().map(text).collect();
    attr("notify", format!("[{}]", handles.join(", ")));
    if t.composite_name.is_some() || t.composite_message.is_some() || t.composite_options.is_some()
    {
        let mut fields = Vec::new();
        if let Some(name) = &t.composite_name {
            fields.push(format!("    name    = {}\n", text(name)));
        }
        if let Some(message) = &t.composite_message {
            fields.push(format!("    message = {}\n", text(message)));
        }
        if let Some(options) = &t.composite_options {
            fields.push(format!("    options = {}\n", object(options, 2)));
        }
        attr("composite", format!("{{\n{}  }}", fields.concat()));
    }
    if !t.suppressed_by.is_empty() {
        // The adopted monitor keeps its own name and message (not `<name> (raw)` and a note
        // saying where it pages): adoption changes nothing but monc's tags and marker.
        attr("raw", "{}".to_string());
        let refs: Vec<String> = t
            .suppressed_by
            .iter()
            .map(|s| format!("monitor.{s}"))
            .collect();
        attr("suppressed_by", format!("[{}]", refs.join(", ")));
    }
    out.push_str("}\n");
    out
}

/// A quoted HCL string whose value is exactly `s`.
pub fn quoted(s: &str) -> String {
    format!("\"{}\"", escape_quoted(s))
}

fn text(t: &Text) -> String {
    let parts: Vec<String> = t.0.iter().map(|p| escape_quoted(p)).collect();
    format!("\"{}\"", parts.join(TENANT_NAME))
}

/// A heredoc for multi-line text that a heredoc can carry unchanged, else a quoted string.
fn message(t: &Text) -> String {
    let joined = t.0.concat();
    let heredoc_safe = joined.contains('\n')
        && !joined
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t');
    if !heredoc_safe {
        return text(t);
    }
    let delimiter = heredoc_delimiter(&joined);
    let parts: Vec<String> = t.0.iter().map(|p| escape_template(p)).collect();
    let body = parts.join(TENANT_NAME);
    // The newline before the closing delimiter belongs to the value; monc trims trailing
    // whitespace of messages, so it changes nothing.
    format!("<<{delimiter}\n{body}\n{delimiter}")
}

fn heredoc_delimiter(content: &str) -> String {
    let mut delimiter = String::from("EOT");
    while content.lines().any(|l| l.trim() == delimiter) {
        delimiter.push('_');
    }
    delimiter
}

/// `${` and `%{` start interpolations and directives in HCL templates; doubling the sigil makes
/// them literal.
fn escape_template(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

fn escape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    escape_template(&out)
}

/// A JSON value as an HCL expression; objects nested at `depth` are indented.
pub fn value(v: &Json, depth: usize) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => quoted(s),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(|i| value(i, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        Json::Object(map) => object(map, depth),
    }
}

fn object(map: &JsonMap<String, Json>, depth: usize) -> String {
    if map.is_empty() {
        return "{}".into();
    }
    let indent = "  ".repeat(depth + 1);
    let mut out = String::from("{\n");
    for (key, v) in map {
        out.push_str(&format!(
            "{indent}{} = {}\n",
            object_key(key),
            value(v, depth + 1)
        ));
    }
    out.push_str(&"  ".repeat(depth));
    out.push('}');
    out
}

/// Bare identifiers where HCL reads them as the same string; anything else quoted.
fn object_key(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier && !matches!(key, "null" | "true" | "false" | "for" | "in" | "if") {
        key.to_string()
    } else {
        quoted(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluates `expr` the way monc does (a body attribute, evaluated with hcl-rs).
    fn evaluate(expr: &str) -> hcl::Value {
        let body: hcl::Body = hcl::from_str(&format!("x = {expr}\n")).expect("parses");
        let attr = body.attributes().next().expect("one attribute");
        hcl::eval::Evaluate::evaluate(attr.expr(), &hcl::eval::Context::new()).expect("evaluates")
    }

    #[test]
    fn quoted_strings_evaluate_to_themselves() {
        for s in [
            "plain",
            "{{value}} is high @slack-x",
            "literal ${not.interpolated} and %{ if } and $${x} and $$${y}",
            "quote \" backslash \\ tab\t cr\r nl\n bell\u{7} ünïcode",
            "ends with $",
            "ends with %",
        ] {
            assert_eq!(evaluate(&quoted(s)), hcl::Value::from(s), "{s:?}");
        }
    }

    #[test]
    fn heredoc_messages_evaluate_to_themselves() {
        let s = "line one {{#is_alert}}\n  ${x} indented\nEOT\n%{ y }\ttab";
        let rendered = message(&Text::literal(s));
        assert!(rendered.starts_with("<<EOT_\n"), "{rendered}");
        assert_eq!(evaluate(&rendered), hcl::Value::from(format!("{s}\n")));
    }

    #[test]
    fn objects_keep_odd_keys_and_types() {
        let v = serde_json::json!({"critical": 1.5, "renotify_interval": "0", "timeAggregator": "avg",
            "weird key": [1, null, true], "true": {"n": -3}});
        let back: serde_json::Value = serde_json::to_value(evaluate(&value(&v, 0))).unwrap();
        assert_eq!(back, v);
    }
}
