//! Hover: a template's tier, what suppresses it and what it suppresses, and one instance's
//! compiled name and query; a function's signature; a var's or a local's values.

use std::collections::BTreeSet;

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use super::At;
use super::cursor::{Target, target_at};
use crate::Checked;
use crate::compile::CompiledMonitor;
use crate::eval::{self, value_to_text};

/// Lines of a var's values shown before "… and N more".
const MAX_VALUES: usize = 10;

pub fn hover(at: &At<'_>) -> Option<Hover> {
    let target = target_at(at.text, at.offset)?;
    let text = match (&target, at.checked) {
        (Target::Function(name), _) => function(name)?,
        (Target::Template(name), Some(checked)) => template(checked, name, None)?,
        (
            Target::Instance {
                template: name,
                index,
            },
            Some(checked),
        ) => template(checked, name, Some(index))?,
        (Target::TenantVar(var), Some(checked)) => tenant_var(checked, var),
        (Target::Local(name), Some(checked)) => local(checked, name)?,
        _ => return None,
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: None,
    })
}

fn function(name: &str) -> Option<String> {
    let signature = eval::signature(name)?;
    Some(format!(
        "```hcl\n{signature}\n```\nTerraform's `{name}`, with Terraform's meaning: \
         https://developer.hashicorp.com/terraform/language/functions/{name}"
    ))
}

fn template(checked: &Checked, name: &str, index: Option<&str>) -> Option<String> {
    let model = &checked.model;
    let (position, template) = model
        .templates
        .iter()
        .enumerate()
        .find(|(_, t)| t.name.value == name)?;
    let tier = model
        .project
        .tiers
        .get(template.tier.value)
        .map_or("?", String::as_str);
    let kind = if template.is_page() {
        "page".to_string()
    } else {
        format!("`{}`", template.monitor_type.value)
    };
    let mut text = format!(
        "**{name}**: tier {tier}, {kind}, {}\n",
        template.fan_out.value.describe()
    );
    let graph = &checked.graph;
    let instances: Vec<usize> = (0..graph.monitors.len())
        .filter(|&i| graph.monitors[i].template == position)
        .collect();
    let template_of = |i: usize| {
        model.templates[graph.monitors[i].template]
            .name
            .value
            .as_str()
    };
    let suppressors: BTreeSet<&str> = instances
        .iter()
        .flat_map(|&i| graph.direct_suppressors(i))
        .map(template_of)
        .collect();
    let suppressed: BTreeSet<&str> = (0..graph.monitors.len())
        .filter(|&m| {
            graph
                .direct_suppressors(m)
                .any(|s| graph.monitors[s].template == position)
        })
        .map(template_of)
        .collect();
    text.push_str(&format!("\nsuppressed by: {}\n", listed(&suppressors)));
    text.push_str(&format!("\nsuppresses: {}\n", listed(&suppressed)));
    let instance = instances
        .iter()
        .map(|&i| &graph.monitors[i])
        .find(|m| index.is_none_or(|index| instance_name(checked, m) == Some(index)))
        .or_else(|| instances.first().map(|&i| &graph.monitors[i]));
    match instance {
        Some(monitor) => text.push_str(&compiled(monitor)),
        None => text.push_str("\nno monitor: it is disabled, or nothing to stamp it out for\n"),
    }
    Some(text)
}

fn instance_name<'c>(checked: &'c Checked, monitor: &CompiledMonitor) -> Option<&'c str> {
    monitor.instance.name(&checked.model)
}

fn listed(names: &BTreeSet<&str>) -> String {
    if names.is_empty() {
        return "nothing".into();
    }
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    names.join(", ")
}

fn compiled(monitor: &CompiledMonitor) -> String {
    format!(
        "\n`{}`:\n```text\nname:  {}\nquery: {}\n```\n",
        monitor.key, monitor.body.name, monitor.body.query
    )
}

fn tenant_var(checked: &Checked, var: &str) -> String {
    let tenants = &checked.model.tenants;
    let values: Vec<String> = tenants
        .iter()
        .map(|t| {
            let value = t
                .value
                .as_object()
                .and_then(|o| o.get("vars"))
                .and_then(|v| v.as_object())
                .and_then(|v| v.get(var));
            match value {
                Some(value) => format!("- {}: `{}`", t.name.value, value_to_text(value)),
                None => format!("- {}: (not set)", t.name.value),
            }
        })
        .collect();
    let mut text = format!("**tenant.vars.{var}**\n\n");
    text.push_str(
        &values
            .iter()
            .take(MAX_VALUES)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
    );
    if values.len() > MAX_VALUES {
        text.push_str(&format!("\n- … and {} more", values.len() - MAX_VALUES));
    }
    text
}

fn local(checked: &Checked, name: &str) -> Option<String> {
    let value = checked.model.locals.values.get(name)?;
    Some(format!("**local.{name}** = `{}`", value_to_text(value)))
}
