use std::process::ExitCode;

use monc::output::graph::{self, GraphFormat};

use super::ConfigArgs;

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// mermaid (source, for a .mmd file), markdown (the same inside a ```mermaid fence, for a pull
    /// request or README) or dot (Graphviz).
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,
    #[command(flatten)]
    pub tenants: super::TenantArgs,
}

pub fn run(args: &GraphArgs) -> ExitCode {
    // A graph of a broken configuration would be incomplete: its errors, as `diff` prints them.
    let checked = match super::org::checked_config(&args.config) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
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
