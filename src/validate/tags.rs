//! Names and tags: duplicate names, tags Datadog refuses, tags that collide with monc's own.

use super::*;

pub(super) fn check_duplicate_names(
    model: &Model,
    graph: &MonitorGraph,
    diagnostics: &mut Diagnostics,
) {
    let mut first_by_name: HashMap<&str, &CompiledMonitor> = HashMap::new();
    for monitor in &graph.monitors {
        let Some(first) = first_by_name.insert(&monitor.body.name, monitor) else {
            continue;
        };
        let template = &model.templates[monitor.template];
        let interpolate = match template.fan_out.value {
            crate::model::FanOut::PerTenant => " (e.g. interpolate `${tenant.name}`)",
            crate::model::FanOut::PerCluster => " (e.g. interpolate `${cluster.name}`)",
            crate::model::FanOut::PerKey => " (e.g. interpolate `${each.key}`)",
            crate::model::FanOut::Once => "",
        };
        // Datadog accepts two monitors with one name; people on call cannot tell them apart.
        diagnostics.push(
            Diagnostic::warning(
                Code::DuplicateName,
                template.display_name.span.clone(),
                format!(
                    "`{}` and `{}` are both named \"{}\"",
                    first.key, monitor.key, monitor.body.name
                ),
            )
            .label("produces a name already in use")
            .help(format!(
                "on-call people tell monitors apart by name; make each name unique{interpolate}"
            )),
        );
        first_by_name.insert(&first.body.name, first);
    }
}

pub(super) fn check_tags(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    for monitor in &graph.monitors {
        let template = &model.templates[monitor.template];
        for tag in &monitor.body.tags {
            diagnostics.extend(reserved_template_tag(model, template, tag));
            diagnostics.extend(monc_tag_key_in_template(model, template, monitor, tag));
            if let Err(problem) = check_tag(tag) {
                let span = match &template.tags {
                    Some(field) => field.span_within(&model.sources, tag, 0..tag.len()),
                    None => template.name.span.clone(),
                };
                diagnostics.push(
                    Diagnostic::error(
                        Code::InvalidTag,
                        span,
                        format!("invalid tag `{tag}` on `{}`: {problem}", monitor.key),
                    )
                    .label("not a valid Datadog tag")
                    .help(crate::model::tag_rules()),
                );
            }
        }
    }
}

/// The key tag monc writes on every monitor and generated composite, `monc-key:<key>`, must be
/// a valid tag like any other: names pass the name rule one by one, but a long template name
/// and a long tenant name make a key tag over Datadog's 200 characters. Reported at the longer
/// of the two names (the template's on a tie: one fix for all its monitors).
pub(super) fn check_key_tags(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    for (index, monitor) in graph.monitors.iter().enumerate() {
        let longest = graph
            .composite_for(index)
            .map_or(monitor.key.as_str(), |c| c.key.as_str());
        let tag = format!("{}:{longest}", model.project.key_tag);
        let Err(problem) = check_tag(&tag) else {
            continue;
        };
        let template = &model.templates[monitor.template];
        let instance = match monitor.instance {
            crate::compile::Instance::Tenant(t) => Some(("tenant", &model.tenants[t].name)),
            crate::compile::Instance::Cluster(c) => Some(("cluster", &model.clusters[c].name)),
            crate::compile::Instance::Once | crate::compile::Instance::Each(..) => None,
        };
        let (what, name) = match instance {
            Some((what, name)) if name.value.len() > template.name.value.len() => (what, name),
            _ => ("monitor", &template.name),
        };
        let length = tag.chars().count();
        let key_tag = &model.project.key_tag;
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidTag,
                name.span.clone(),
                format!("the key tag monc writes on `{longest}` would be {length} characters: {problem}"),
            )
            .label(format!("this {what} name makes the key too long"))
            .help(format!(
                "shorten this {what} name ({} characters) or the other: monc tags each monitor with `{key_tag}:<tier>/<monitor>/<tenant or cluster>`, and its composite with `/composite` added",
                name.value.chars().count()
            )),
        );
    }
}

/// `monc::monc-tag-key` for a tag in the template's `tags` under a key monc writes itself with
/// another value (`tier:critical` on an L3 monitor, `managed-by:terraform`). The very tag monc
/// writes is only redundant. Default tags are reported once, in monc.hcl, by the loader.
pub(super) fn monc_tag_key_in_template(
    model: &Model,
    template: &Template,
    monitor: &CompiledMonitor,
    tag: &str,
) -> Option<Diagnostic> {
    let field = template.tags.as_ref()?;
    let key = crate::load::monc_tag_key(&model.project, tag)?;
    let written_here = model.sources.text(&field.span).contains(tag)
        || !model.project.default_tags.iter().any(|t| t == tag);
    if !written_here {
        return None;
    }
    let monc_writes: Vec<String> = tags_monc_writes(model, monitor)
        .into_iter()
        .filter(|t| t.split_once(':').map_or(t.as_str(), |(k, _)| k) == key)
        .collect();
    if monc_writes.iter().any(|t| t == tag) {
        return None;
    }
    let described = match monc_writes.as_slice() {
        [] => String::new(),
        written => format!(" (`{}` on `{}`)", written.join("`, `"), monitor.key),
    };
    let span = field.span_within(&model.sources, tag, 0..tag.len());
    Some(crate::load::monc_tag_key_warning(
        tag, key, &described, span,
    ))
}

/// The tags monc itself puts on `monitor` under the keys of [`crate::load::monc_tag_key`].
pub(super) fn tags_monc_writes(model: &Model, monitor: &CompiledMonitor) -> Vec<String> {
    let project = &model.project;
    let mut tags = vec![
        format!("tier:{}", project.tiers[monitor.tier].to_lowercase()),
        project.owner_tag.clone(),
    ];
    match monitor.instance {
        crate::compile::Instance::Tenant(t) => {
            let tenant = &model.tenants[t];
            tags.push(format!("tenant:{}", tenant.name.value));
            tags.push(format!("cluster:{}", tenant.cluster.value));
        }
        crate::compile::Instance::Cluster(c) => {
            tags.push(format!("cluster:{}", model.clusters[c].name.value));
        }
        crate::compile::Instance::Once | crate::compile::Instance::Each(..) => {}
    }
    if let Some(name) = &project.name {
        tags.push(format!("{}:{name}", crate::model::PROJECT_TAG_KEY));
    }
    tags
}

/// `monc::reserved-tag` for one of monc's own tags written in the template's `tags`. Reserved
/// tags from `default_tags` are reported once, in monc.hcl, by the loader.
pub(super) fn reserved_template_tag(
    model: &Model,
    template: &Template,
    tag: &str,
) -> Option<Diagnostic> {
    let field = template.tags.as_ref()?;
    let reserved = crate::load::reserved_prefix(&model.project, tag)?;
    let written_here = model.sources.text(&field.span).contains(tag)
        || !model.project.default_tags.iter().any(|t| t == tag);
    if !written_here {
        return None;
    }
    // The whole tag when it is written literally, else its reserved part (`monc-key:` of an
    // interpolated `monc-key:${tenant.name}`), else the whole list.
    let whole = field.span_within(&model.sources, tag, 0..tag.len());
    let span = if whole == field.span {
        field.span_within(&model.sources, tag, 0..reserved)
    } else {
        whole
    };
    crate::load::reserved_tag(&model.project, tag, span)
}
