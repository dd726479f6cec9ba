//! `monc lsp`: the language server on stdio (the server itself is `monc::lsp`).

use super::error::{CommandResult, Error, Status};

#[derive(Debug, clap::Args)]
pub(crate) struct LspArgs {
    /// Accepted for editors that pass it (VS Code's clients do); stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

pub(crate) fn run(_args: &LspArgs) -> CommandResult {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let served = monc::lsp::serve(&connection);
    drop(connection);
    let joined = io_threads.join();
    served.map_err(|message| Error::Message(format!("monc lsp: {message}")))?;
    joined.map_err(|error| Error::Message(format!("monc lsp: {error}")))?;
    Ok(Status::Ok)
}
