//! Who a monitor notifies: recipients, handles, the project's channels.

use super::*;

/// A monitor that pages with no handle in its notification alerts nobody: Datadog sends it to
/// no one and shows it only in the event stream. One warning per template.
pub(super) fn check_recipients(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    // A `notify` that is in error (e.g. a string, not a list) reads as none: the error is the
    // one diagnostic for it, and nothing is written while there is one.
    if diagnostics.has_errors() {
        return;
    }
    let mut silent: Vec<(usize, Vec<&str>)> = Vec::new();
    for (index, monitor) in graph.monitors.iter().enumerate() {
        if !crate::handles::notifies_nobody(graph, index) {
            continue;
        }
        match silent.iter_mut().find(|(t, _)| *t == monitor.template) {
            Some((_, keys)) => keys.push(&monitor.key),
            None => silent.push((monitor.template, vec![&monitor.key])),
        }
    }
    for (template_index, keys) in silent {
        let template = &model.templates[template_index];
        let (span, label) = match (&template.notify, &template.message) {
            (Some(notify), _) => (notify.span.clone(), "no handle here, nor in the message"),
            (None, Some(message)) => (
                message.span.clone(),
                "no @handle here, nor in the notify of its tenant, cluster or project",
            ),
            (None, None) => (
                template.display_name.span.clone(),
                "no message, and no notify for its tenant, cluster or project",
            ),
        };
        let others = match keys.len() {
            1 => String::new(),
            n => format!(" (and {})", crate::english::counted(n - 1, "more instance")),
        };
        diagnostics.push(
            Diagnostic::warning(
                Code::NoRecipients,
                span,
                format!("`{}`{others} pages nobody: its notification names no handle", keys[0]),
            )
            .label(label)
            .help("give it `notify = [\"@pagerduty-team\"]` (or its tenant's or cluster's `notify`, or `notify` in monc.hcl for the shared monitors), or mention an @handle in its message; `ignore = [\"monc::no-recipients\"]` if it is meant for dashboards only"),
        );
    }
}

/// Each handle that pages through a composite, checked once where it is written.
pub(super) fn check_handles(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    let mut reported: HashSet<String> = HashSet::new();
    for monitor in &graph.monitors {
        let template = &model.templates[monitor.template];
        for handle in &monitor.notify {
            let Some(problem) = crate::handles::problem(handle) else {
                continue;
            };
            if !reported.insert(handle.clone()) {
                continue;
            }
            let span = match &template.notify {
                Some(field) => field.span_within(&model.sources, handle, 0..handle.len()),
                None => written_in(model, monitor.instance, handle)
                    .unwrap_or_else(|| template.name.span.clone()),
            };
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidHandle,
                    span,
                    format!("notification handle {handle:?} can never page: {problem}"),
                )
                .label("not a handle")
                .help("write handles as `@slack-channel`, `@pagerduty-service` or `@someone@example.com`"),
            );
        }
    }
}

/// With `channels` in monc.hcl: each handle a monitor pages that names none of them, once,
/// where it is written (a typo, or a channel the org does not have: Datadog drops it silently).
pub(super) fn check_channels(model: &Model, graph: &MonitorGraph, diagnostics: &mut Diagnostics) {
    let Some(channels) = &model.project.channels else {
        return;
    };
    let mut reported: HashSet<String> = HashSet::new();
    for monitor in &graph.monitors {
        let template = &model.templates[monitor.template];
        for handle in monitor.pages() {
            if crate::handles::problem(&handle).is_some()
                || crate::handles::is_known_channel(channels, &handle)
                || !reported.insert(handle.clone())
            {
                continue;
            }
            let span = handle_span(model, monitor, template, &handle);
            let exact = channels.iter().filter(|c| !c.contains('*'));
            let help = match did_you_mean(&handle, exact.map(String::as_str)) {
                Some(best) => format!("did you mean `{best}`? Otherwise add it to `channels` in monc.hcl if the org has it"),
                None => "correct it, or add it to `channels` in monc.hcl if the org has it (`*` matches any run of characters: `@pagerduty-*`)".to_owned(),
            };
            diagnostics.push(
                Diagnostic::warning(
                    Code::UnknownChannel,
                    span,
                    format!(
                        "`{}` pages {handle}, which is not in `channels`",
                        monitor.key
                    ),
                )
                .label("not one of the org's channels")
                .help(help),
            );
        }
    }
}

/// Where `handle` is written for `monitor`: its template's `notify`, its tenant's or cluster's,
/// or its message; the template's name when none says (the project's `notify`).
pub(super) fn handle_span(
    model: &Model,
    monitor: &CompiledMonitor,
    template: &Template,
    handle: &str,
) -> Span {
    let whole = 0..handle.len();
    if monitor.notify.iter().any(|h| h == handle) {
        if let Some(field) = &template.notify {
            return field.span_within(&model.sources, handle, whole);
        }
        if let Some(span) = written_in(model, monitor.instance, handle) {
            return span;
        }
    }
    [&template.composite_text, &template.message]
        .into_iter()
        .flatten()
        .find(|field| model.sources.text(&field.span).contains(handle))
        .map_or(template.name.span.clone(), |field| {
            field.span_within(&model.sources, handle, whole)
        })
}

/// Where a tenant's or cluster's `notify` entry is written: the quoted handle after its name.
pub(super) fn written_in(
    model: &Model,
    instance: crate::compile::Instance,
    handle: &str,
) -> Option<Span> {
    let name = match instance {
        crate::compile::Instance::Tenant(t) => &model.tenants[t].name.span,
        crate::compile::Instance::Cluster(c) => &model.clusters[c].name.span,
        crate::compile::Instance::Once | crate::compile::Instance::Each(..) => return None,
    };
    let text = &model.sources.file(name.file).text;
    let quoted = serde_json::to_string(handle).ok()?;
    let at = text.get(name.range.end..)?.find(&quoted)? + name.range.end;
    Some(Span::new(name.file, at..at + quoted.len()))
}
