//! `monc lsp`: the language server on stdio (the server itself is `monc::lsp`).

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it (VS Code's clients do); stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: &LspArgs) -> ExitCode {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let served = monc::lsp::serve(&connection);
    drop(connection);
    let joined = io_threads.join();
    match (served, joined) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(message), _) => {
            eoutln!("error: monc lsp: {message}");
            ExitCode::FAILURE
        }
        (Ok(()), Err(error)) => {
            eoutln!("error: monc lsp: {error}");
            ExitCode::FAILURE
        }
    }
}
