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
    #[command(flatten)]
    pub tenants: super::TenantArgs,
}

pub fn run(args: &GraphArgs) -> ExitCode {
    let checked = match monc::check(&args.config.load_options()) {
        Ok(checked) => checked,
        Err(error) => {
            eoutln!("error: {error}\nhelp: {}", error.help);
            return ExitCode::FAILURE;
        }
    };
    if checked.diagnostics.has_errors() {
        eoutln!(
            "error: the configuration has {} error(s); the graph would be incomplete\nhelp: run `monc validate` to see them",
            checked.diagnostics.error_count()
        );
        return ExitCode::FAILURE;
    }
    let named = match super::org::selected_tenants(&args.tenants.tenant) {
        Ok(named) => named,
        Err(code) => return code,
    };
    let selection = match named {
        None => graph::everything(&checked.graph),
        Some(names) => {
            if let Some(error) = super::unknown_tenants(&names, &checked.model) {
                eoutln!("{error}");
                return ExitCode::FAILURE;
            }
            names
                .iter()
                .filter_map(|name| graph::tenant_slice(&checked.model, &checked.graph, name))
                .flatten()
                .collect()
        }
    };
    out!(
        "{}",
        graph::render(&checked.model, &checked.graph, &selection, args.format)
    );
    ExitCode::SUCCESS
}
