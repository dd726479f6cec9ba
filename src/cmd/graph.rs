use monc::output::graph::{self, GraphFormat};

/// `--format` of `monc graph` (the library's [`GraphFormat`], which knows nothing of clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormatArg {
    /// Mermaid flowchart source (a `.mmd` file, or paste it inside a ```mermaid block).
    Mermaid,
    /// The Mermaid flowchart inside a ```mermaid fence, ready for a pull request or README.
    Markdown,
    /// Graphviz DOT (`monc graph --format dot | dot -Tsvg > graph.svg`).
    Dot,
}

impl From<GraphFormatArg> for GraphFormat {
    fn from(format: GraphFormatArg) -> Self {
        match format {
            GraphFormatArg::Mermaid => GraphFormat::Mermaid,
            GraphFormatArg::Markdown => GraphFormat::Markdown,
            GraphFormatArg::Dot => GraphFormat::Dot,
        }
    }
}

use super::ConfigArgs;
use super::error::{CommandResult, Status};

#[derive(Debug, clap::Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// mermaid (source, for a .mmd file), markdown (the same inside a ```mermaid fence, for a pull
    /// request or README) or dot (Graphviz).
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormatArg,
    #[command(flatten)]
    pub tenants: super::TenantArgs,
}

pub(crate) fn run(args: &GraphArgs) -> CommandResult {
    // A graph of a broken configuration would be incomplete: its errors, as `diff` prints them.
    let checked = super::org::checked_config(&args.config)?;
    let named = super::org::selected_tenants(&args.tenants.tenant)?;
    let selection = match named {
        None => graph::everything(&checked.graph),
        Some(names) => {
            if let Some(error) = super::unknown_tenants(&names, &checked.model) {
                return Err(error);
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
        graph::render(
            &checked.model,
            &checked.graph,
            &selection,
            args.format.into()
        )
    );
    Ok(Status::Ok)
}
