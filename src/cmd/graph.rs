use std::process::ExitCode;

use monc::output::graph::{self, GraphFormat};

use super::ConfigArgs;

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// mermaid (paste into a pull request or README inside ```mermaid) or dot (Graphviz).
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,
    /// Draw only this tenant's monitors and the shared monitors that suppress them.
    #[arg(long, value_name = "TENANT")]
    pub tenant: Option<String>,
}

pub fn run(args: &GraphArgs) -> ExitCode {
    let checked = match monc::check(&args.config.load_options()) {
        Ok(checked) => checked,
        Err(error) => {
            eprintln!("error: {error}\nhelp: {}", error.help);
            return ExitCode::FAILURE;
        }
    };
    if checked.diagnostics.has_errors() {
        eprintln!(
            "error: the configuration has {} error(s); the graph would be incomplete\nhelp: run `monc validate` to see them",
            checked.diagnostics.error_count()
        );
        return ExitCode::FAILURE;
    }
    let selection = match &args.tenant {
        None => graph::everything(&checked.graph),
        Some(name) => match graph::tenant_slice(&checked.model, &checked.graph, name) {
            Some(selection) => selection,
            None => {
                let known: Vec<&str> = checked
                    .model
                    .tenants
                    .iter()
                    .map(|t| t.name.value.as_str())
                    .collect();
                eprintln!(
                    "error: --tenant names unknown tenant `{name}`\nhelp: {}",
                    monc::diagnostic::suggestion_help(name, "tenant", known.iter().copied())
                );
                return ExitCode::FAILURE;
            }
        },
    };
    print!(
        "{}",
        graph::render(&checked.model, &checked.graph, &selection, args.format)
    );
    ExitCode::SUCCESS
}
