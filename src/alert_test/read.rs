//! Reading `alert-tests/*.hcl`: scenario blocks resolved against the compiled monitors.

use std::collections::HashMap;
use std::path::Path;

use hcl::edit::Span as _;
use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::{Attribute, Block, Body};

use super::simulate::{State, Status};
use crate::compile::Instance;
use crate::diagnostic::{
    Code, Diagnostic, Diagnostics, FileId, Span, did_you_mean, suggestion_help,
};
use crate::graph::MonitorGraph;
use crate::load::{LoadError, parse_reference};
use crate::model::{Model, is_composite_key};

use super::{ExpectedPage, Scenario};

const STATE_ATTRS: &[&str] = &["alert", "warn", "no_data", "ok"];

/// Reads every `*.hcl` file of `path` (a directory or one file), adding them to `model.sources`
/// so diagnostics can quote them.
pub fn load(
    path: &Path,
    model: &mut Model,
    graph: &MonitorGraph,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<Scenario>, LoadError> {
    let mut scenarios = Vec::new();
    for file in test_files(path)? {
        let text = std::fs::read_to_string(&file).map_err(|e| LoadError {
            path: file.clone(),
            message: format!("cannot read file: {e}"),
            help: "check the path and that the file is UTF-8 text".into(),
        })?;
        let parsed = hcl::edit::parser::parse_body(&text);
        let id = model.sources.add(file, text);
        let mut reader = Reader {
            id,
            model,
            graph,
            diagnostics,
        };
        match parsed {
            Ok(body) => scenarios.extend(reader.scenarios(&body)),
            Err(error) => reader.syntax_error(&error),
        }
    }
    Ok(scenarios)
}

fn test_files(path: &Path) -> Result<Vec<std::path::PathBuf>, LoadError> {
    crate::load::hcl_files(
        path,
        "alert tests",
        "put scenarios in alert-tests/*.hcl, or pass the directory or file as an argument",
    )
}

struct Reader<'a> {
    id: FileId,
    model: &'a Model,
    graph: &'a MonitorGraph,
    diagnostics: &'a mut Diagnostics,
}

impl Reader<'_> {
    /// A key of the user's own project for help texts (never the reference setup's): its
    /// first monitor stamped out for a tenant or cluster, else its first monitor.
    fn example_key(&self) -> String {
        let monitors = &self.graph.monitors;
        monitors
            .iter()
            .find(|m| m.instance != Instance::Once)
            .or(monitors.first())
            .map_or("<tier>/<template>/<tenant or cluster>".into(), |m| {
                m.key.to_string()
            })
    }

    /// `monitor.<template>["<instance>"]` of the user's project (of `template` when given).
    fn example_reference(&self, template: Option<&str>) -> String {
        let name =
            |m: &&crate::compile::CompiledMonitor| &self.model.templates[m.template].name.value;
        let example = self
            .graph
            .monitors
            .iter()
            .find(|m| m.instance != Instance::Once && template.is_none_or(|t| name(m) == t));
        match example {
            Some(m) => format!(
                "monitor.{}[\"{}\"]",
                name(&m),
                instance_name(self.model, m.instance).unwrap_or_default()
            ),
            None => "monitor.<template>[\"<cluster or tenant>\"]".into(),
        }
    }

    /// The key of a monitor that pages in the user's project: a generated composite, else any.
    fn example_pager(&self) -> String {
        match self.graph.composites.first() {
            Some(composite) => composite.key.to_string(),
            None => self.example_key(),
        }
    }

    fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        Span::new(self.id, range.unwrap_or(0..0))
    }

    fn syntax_error(&mut self, error: &hcl::edit::parser::Error) {
        let offset = error.location().offset();
        let d = Diagnostic::error(
            Code::Syntax,
            self.span(Some(offset..offset)),
            format!("HCL syntax error: {}", error.message().trim()),
        )
        .label("here")
        .help("check for a missing quote, bracket, `=` or newline before this point");
        self.diagnostics.push(d);
    }

    fn scenarios(&mut self, body: &Body) -> Vec<Scenario> {
        for attr in body.attributes() {
            let d = Diagnostic::error(
                Code::UnknownAttribute,
                self.span(attr.key.span()),
                format!(
                    "unexpected attribute `{}` in an alert test file",
                    attr.key.as_str()
                ),
            )
            .label("not inside a scenario")
            .help("a test file holds `scenario \"name\" { ... }` blocks");
            self.diagnostics.push(d);
        }
        body.blocks()
            .filter_map(|block| match block.ident.as_str() {
                "scenario" => self.scenario(block),
                _ => {
                    self.unknown_block(block, &["scenario"], "an alert test file");
                    None
                }
            })
            .collect()
    }

    fn unknown_block(&mut self, block: &Block, allowed: &[&str], place: &str) {
        let name = block.ident.as_str();
        let help = suggestion_help(name, "block", allowed.iter().copied());
        let d = Diagnostic::error(
            Code::UnknownBlock,
            self.span(block.ident.span()),
            format!("unknown block `{name}` in {place}"),
        )
        .label("unknown block")
        .help(help);
        self.diagnostics.push(d);
    }

    fn label(&mut self, block: &Block, example: &str) -> Option<(String, Span)> {
        let [label] = block.labels.as_slice() else {
            let what = block.ident.as_str();
            let d = Diagnostic::error(
                Code::BlockName,
                self.span(block.ident.span()),
                format!("a `{what}` block needs exactly one name"),
            )
            .label("name missing or repeated")
            .help(format!("write `{what} {example} {{ ... }}`"));
            self.diagnostics.push(d);
            return None;
        };
        Some((label.as_str().to_string(), self.span(label.span())))
    }

    fn scenario(&mut self, block: &Block) -> Option<Scenario> {
        let (name, span) = self.label(block, "\"what happens\"")?;
        let mut scenario = Scenario {
            name,
            span,
            statuses: HashMap::new(),
            expected: Vec::new(),
        };
        for attr in block.body.attributes() {
            self.states(attr, None, &mut scenario.statuses);
        }
        for inner in block.body.blocks() {
            match inner.ident.as_str() {
                "group" => self.group(inner, &mut scenario.statuses),
                "page" => scenario.expected.extend(self.page(inner)),
                _ => self.unknown_block(inner, &["group", "page"], "a scenario"),
            }
        }
        Some(scenario)
    }

    fn group(&mut self, block: &Block, statuses: &mut HashMap<usize, Status>) {
        let Some((group, _)) = self.label(block, "\"resource_name:/checkout\"") else {
            return;
        };
        for inner in block.body.blocks() {
            self.unknown_block(inner, &[], "a group");
        }
        for attr in block.body.attributes() {
            self.states(attr, Some(&group), statuses);
        }
    }

    /// `alert = [...]` (and `warn`, `no_data`, `ok`), for the whole monitor or one group.
    fn states(
        &mut self,
        attr: &Attribute,
        group: Option<&str>,
        statuses: &mut HashMap<usize, Status>,
    ) {
        let Some(state) = self.state_of(attr) else {
            return;
        };
        for index in self.monitor_list(attr) {
            let status = statuses.entry(index).or_default();
            match (group, &mut *status) {
                (None, _) => *status = Status::Simple(state),
                (Some(g), Status::Groups(groups)) => groups.push((g.to_string(), state)),
                (Some(g), Status::Simple(_)) => {
                    *status = Status::Groups(vec![(g.to_string(), state)])
                }
            }
        }
    }

    fn state_of(&mut self, attr: &Attribute) -> Option<State> {
        let state = match attr.key.as_str() {
            "alert" => State::Alert,
            "warn" => State::Warn,
            "no_data" => State::NoData,
            "ok" => State::Ok,
            other => {
                let help = match did_you_mean(other, STATE_ATTRS.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "a scenario sets monitor states with `alert`, `warn`, `no_data` or `ok` (everything else is OK), has `group \"tag:value\" { ... }` blocks for multi-alert monitors, and `page \"key\" { ... }` blocks for what must notify".into(),
                };
                let d = Diagnostic::error(
                    Code::UnknownAttribute,
                    self.span(attr.key.span()),
                    format!("unknown attribute `{other}` in a scenario"),
                )
                .label("unknown attribute")
                .help(help);
                self.diagnostics.push(d);
                return None;
            }
        };
        Some(state)
    }

    fn monitor_list(&mut self, attr: &Attribute) -> Vec<usize> {
        let EditExpr::Array(items) = &attr.value else {
            let d = Diagnostic::error(
                Code::WrongType,
                self.span(attr.value.span()),
                format!("`{}` must be a list of monitors", attr.key.as_str()),
            )
            .label("expected a list")
            .help(format!(
                "write `{} = [\"{}\", {}]`",
                attr.key.as_str(),
                self.example_key(),
                self.example_reference(None)
            ));
            self.diagnostics.push(d);
            return Vec::new();
        };
        items.iter().filter_map(|item| self.monitor(item)).collect()
    }

    /// A monitor by key (`"l3/api_error_rate/acme"`) or by template and instance
    /// (`monitor.api_error_rate["acme"]`, `monitor.region_health`).
    fn monitor(&mut self, expr: &EditExpr) -> Option<usize> {
        let span = self.span(expr.span());
        if let EditExpr::String(key) = expr {
            return self.monitor_by_key(key.as_str(), span);
        }
        let Some((template, _, index)) = parse_reference(expr) else {
            let d = Diagnostic::error(Code::BadReference, span, "not a monitor")
                .label("expected a key or a monitor reference")
                .help(format!("write a monitor key such as `\"{}\"`, or `monitor.<template>` / `monitor.<template>[\"<cluster or tenant>\"]`", self.example_key()));
            self.diagnostics.push(d);
            return None;
        };
        let instance = match index {
            None => None,
            Some(EditExpr::String(s)) => Some(s.as_str().to_string()),
            Some(other) => {
                let d = Diagnostic::error(
                    Code::BadReference,
                    self.span(other.span()),
                    "the instance must be a quoted cluster or tenant name",
                )
                .label("expected a string")
                .help(format!("write e.g. `{}`", self.example_reference(None)));
                self.diagnostics.push(d);
                return None;
            }
        };
        self.monitor_by_template(&template, instance.as_deref(), span)
    }

    fn monitor_by_key(&mut self, key: &str, span: Span) -> Option<usize> {
        if let Some(i) = self.graph.monitors.iter().position(|m| m.key == key) {
            return Some(i);
        }
        let keys = self.graph.monitors.iter().map(|m| m.key.as_str());
        let mut help = suggestion_help(key, "monitor key", keys);
        if is_composite_key(key) {
            help = format!(
                "scenarios set the states of raw monitors; composites are computed from them. {help}"
            );
        }
        let d = Diagnostic::error(
            Code::UnknownMonitor,
            span,
            format!("no monitor has the key `{key}`"),
        )
        .label("unknown monitor key")
        .help(help);
        self.diagnostics.push(d);
        None
    }

    fn monitor_by_template(
        &mut self,
        template: &str,
        instance: Option<&str>,
        span: Span,
    ) -> Option<usize> {
        let found = self.graph.monitors.iter().position(|m| {
            self.model.templates[m.template].name.value == template
                && instance_name(self.model, m.instance) == instance
        });
        if found.is_none() {
            let names = self.model.templates.iter().map(|t| t.name.value.as_str());
            let help = match did_you_mean(template, names.clone()) {
                Some(best) if best != template => format!("did you mean `monitor.{best}`?"),
                _ if names.clone().any(|n| n == template) => format!(
                    "give the cluster or tenant it was stamped out for, e.g. `{}`, or none for a single monitor",
                    self.example_reference(Some(template))
                ),
                _ => suggestion_help(template, "monitor template", names),
            };
            let what = match instance {
                Some(i) => format!("monitor.{template}[\"{i}\"]"),
                None => format!("monitor.{template}"),
            };
            let d = Diagnostic::error(
                Code::UnknownMonitor,
                span,
                format!("`{what}` is not a compiled monitor"),
            )
            .label("unknown monitor")
            .help(help);
            self.diagnostics.push(d);
        }
        found
    }

    fn page(&mut self, block: &Block) -> Option<ExpectedPage> {
        let example = format!("\"{}\"", self.example_pager());
        let (key, span) = self.label(block, &example)?;
        self.check_pager(&key, span)?;
        let mut notify = None;
        let mut groups = None;
        for attr in block.body.attributes() {
            match attr.key.as_str() {
                "notify" => {
                    notify = self.strings(
                        attr,
                        "notify",
                        "[\"@slack-<channel>\", \"@pagerduty-<service>\"]",
                    )
                }
                "groups" => groups = self.strings(attr, "groups", "[\"host:a\"]"),
                other => {
                    let d = Diagnostic::error(
                        Code::UnknownAttribute,
                        self.span(attr.key.span()),
                        format!("unknown attribute `{other}` in a page"),
                    )
                    .label("unknown attribute")
                    .help("a page takes `notify = [\"@handle\", ...]`, the handles it must notify, and `groups = [\"host:a\", ...]`, the only groups it must page for");
                    self.diagnostics.push(d);
                }
            }
        }
        Some(ExpectedPage {
            key,
            notify,
            groups,
        })
    }

    /// A page is sent by a composite or by a monitor nothing suppresses.
    fn check_pager(&mut self, key: &str, span: Span) -> Option<()> {
        let graph = self.graph;
        if graph.composites.iter().any(|c| c.key == key) {
            return Some(());
        }
        let Some(index) = graph.monitors.iter().position(|m| m.key == key) else {
            if let Some(page) = self.page_of_would_be_composite(key) {
                let d = Diagnostic::error(
                    Code::UnknownMonitor,
                    span,
                    format!("nothing pages as `{key}`"),
                )
                .label("a page's member has no composite of its own")
                .help(format!("expect `page \"{page}\"`"));
                self.diagnostics.push(d);
                return None;
            }
            let pagers = graph
                .composites
                .iter()
                .map(|c| c.key.as_str())
                .chain(graph.monitors.iter().map(|m| m.key.as_str()));
            let d = Diagnostic::error(
                Code::UnknownMonitor,
                span,
                format!("nothing pages as `{key}`"),
            )
            .label("unknown monitor or composite key")
            .help(suggestion_help(key, "key", pagers));
            self.diagnostics.push(d);
            return None;
        };
        if let Some(composite) = graph.composite_for(index) {
            let d = Diagnostic::error(
                Code::NotAPager,
                span,
                format!(
                    "`{key}` never pages itself: it is suppressed, and its composite pages instead"
                ),
            )
            .label("a suppressed monitor carries no notification handles")
            .help(format!("expect `page \"{}\"`", composite.key));
            self.diagnostics.push(d);
            return None;
        }
        if let Some(page) = graph.page_for(index) {
            let d = Diagnostic::error(
                Code::NotAPager,
                span,
                format!(
                    "`{key}` never pages itself: it pages through `{}`",
                    page.key
                ),
            )
            .label("a page's member carries no notification handles")
            .help(format!("expect `page \"{}\"`", page.key));
            self.diagnostics.push(d);
            return None;
        }
        Some(())
    }

    /// The page of `<member>/composite`, a key people write from habit for a page's member.
    fn page_of_would_be_composite(&self, key: &str) -> Option<&str> {
        let member = key.strip_suffix("/composite")?;
        let index = self.graph.monitors.iter().position(|m| m.key == member)?;
        self.graph.page_for(index).map(|page| page.key.as_str())
    }

    fn strings(&mut self, attr: &Attribute, name: &str, example: &str) -> Option<Vec<String>> {
        let strings = match &attr.value {
            EditExpr::Array(items) => items
                .iter()
                .map(|i| match i {
                    EditExpr::String(s) => Some(s.as_str().to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>(),
            _ => None,
        };
        if strings.is_none() {
            let d = Diagnostic::error(
                Code::WrongType,
                self.span(attr.value.span()),
                format!("`{name}` must be a list of strings"),
            )
            .label("expected a list of strings")
            .help(format!("write `{name} = {example}`"));
            self.diagnostics.push(d);
        }
        strings
    }
}

fn instance_name(model: &Model, instance: Instance) -> Option<&str> {
    instance.name(model)
}
