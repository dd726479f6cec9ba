//! The main loop: reads the client's messages, keeps the documents, has projects checked and
//! publishes what the checks found, and answers requests, each with its panics caught.

use std::collections::{BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, LogMessage, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    References, Request as _,
};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, HoverProviderCapability, LogMessageParams,
    MessageType, OneOf, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Url,
};
use serde_json::Value;

use super::checker::{Analysis, Checker, Failure, Job, panic_message};
use super::documents::{Documents, path_of, project_root};
use super::{At, code_actions, completion, diagnostics, formatting, hover, navigate, symbols};

/// What the server offers (see `docs/editors.md`).
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "[".into(), "\"".into()]),
            ..CompletionOptions::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

/// Serves one client until it says `shutdown` then `exit` (Ok), or goes away (Err).
pub fn serve(connection: &Connection) -> Result<(), String> {
    let capabilities = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    connection
        .initialize(capabilities)
        .map_err(|e| format!("initialize: {e}"))?;
    let checker = Checker::start().map_err(|e| format!("cannot start the checker: {e}"))?;
    let mut server = Server {
        connection,
        documents: Documents::default(),
        analyses: HashMap::new(),
        published: HashMap::new(),
        checker,
    };
    server.run()
}

struct Server<'c> {
    connection: &'c Connection,
    documents: Documents,
    /// The last complete check of each project.
    analyses: HashMap<PathBuf, Analysis>,
    /// The files each project last published diagnostics for, to clear them when fixed.
    published: HashMap<PathBuf, BTreeSet<Url>>,
    checker: Checker,
}

impl Server<'_> {
    fn run(&mut self) -> Result<(), String> {
        loop {
            crossbeam_channel::select! {
                recv(self.connection.receiver) -> message => {
                    let message = message.map_err(|_| "the client closed the connection".to_string())?;
                    if self.handle(message)? {
                        return Ok(());
                    }
                }
                recv(self.checker.results) -> analysis => {
                    if let Ok(analysis) = analysis {
                        self.publish(analysis);
                    }
                }
            }
        }
    }

    /// Handles one message; `true` once the client has shut the server down.
    fn handle(&mut self, message: Message) -> Result<bool, String> {
        match message {
            Message::Request(request) => {
                if self
                    .connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(true);
                }
                let response = self.answer(request);
                self.send(response.into());
            }
            Message::Notification(notification) if notification.method == "exit" => {
                return Err("exit without shutdown".into());
            }
            Message::Notification(notification) => self.notified(notification),
            Message::Response(_) => {}
        }
        Ok(false)
    }

    fn send(&self, message: Message) {
        // Fails only when the client is gone, which the main loop sees next.
        let _ = self.connection.sender.send(message);
    }

    fn log(&self, kind: MessageType, message: String) {
        let params = LogMessageParams { typ: kind, message };
        self.send(Notification::new(LogMessage::METHOD.into(), params).into());
    }

    fn notified(&mut self, notification: Notification) {
        let method = notification.method.clone();
        let outcome =
            std::panic::catch_unwind(AssertUnwindSafe(|| self.on_notification(notification)));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(message)) => self.log(MessageType::WARNING, format!("{method}: {message}")),
            Err(panic) => self.log(
                MessageType::ERROR,
                format!(
                    "{method}: monc failed (a defect, please report it): {}",
                    panic_message(panic.as_ref())
                ),
            ),
        }
    }

    fn on_notification(&mut self, notification: Notification) -> Result<(), String> {
        let params = notification.params;
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams = parse(params)?;
                let Some(path) = path_of(&params.text_document.uri) else {
                    return Ok(());
                };
                self.documents.open(path.clone(), params.text_document.text);
                self.recheck(&path);
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams = parse(params)?;
                let Some(path) = path_of(&params.text_document.uri) else {
                    return Ok(());
                };
                self.documents.change(&path, params.content_changes);
                self.recheck(&path);
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams = parse(params)?;
                if let Some(path) = path_of(&params.text_document.uri) {
                    self.documents.close(&path);
                    self.recheck(&path); // the file on disk counts again
                }
            }
            DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => {
                // Files not open may have changed on disk: check every project again.
                for root in self.documents.roots() {
                    self.submit(root);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn recheck(&self, file: &Path) {
        if let Some(root) = project_root(file) {
            self.submit(root);
        }
    }

    fn submit(&self, root: PathBuf) {
        let overlay = self.documents.overlay(&root);
        self.checker.submit(Job { root, overlay });
    }

    fn publish(&mut self, analysis: Analysis) {
        if let Err(Failure::Panic(message)) = &analysis.result {
            // What was published stays: the last complete check is still the best news.
            self.log(
                MessageType::ERROR,
                format!(
                    "checking {} failed (a defect of monc, please report it): {message}",
                    analysis.root.display()
                ),
            );
            return;
        }
        let open = self.documents.uris_under(&analysis.root);
        // Open documents always get a list, empty when clean: the client knows they were checked.
        let mut previous = self.published.remove(&analysis.root).unwrap_or_default();
        previous.extend(open.iter().cloned());
        let mut now = BTreeSet::new();
        for params in diagnostics::publications(&analysis, &previous, &open) {
            if !params.diagnostics.is_empty() {
                now.insert(params.uri.clone());
            }
            self.send(Notification::new(PublishDiagnostics::METHOD.into(), params).into());
        }
        if let Ok(checked) = &analysis.result {
            // For the editor's LSP log: how long a keystroke costs on this project.
            self.log(
                MessageType::LOG,
                format!(
                    "checked {} in {} ms: {} errors, {} warnings",
                    analysis.root.display(),
                    analysis.took.as_millis(),
                    checked.diagnostics.error_count(),
                    checked.diagnostics.warning_count()
                ),
            );
        }
        self.published.insert(analysis.root.clone(), now);
        if analysis.result.is_ok() {
            self.analyses.insert(analysis.root.clone(), analysis);
        }
    }

    fn answer(&self, request: Request) -> Response {
        let id = request.id.clone();
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.dispatch(request))) {
            Ok(Ok(result)) => Response::new_ok(id, result),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(panic) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!(
                    "monc failed (a defect, please report it): {}",
                    panic_message(panic.as_ref())
                ),
            ),
        }
    }

    fn dispatch(&self, request: Request) -> Result<Value, (ErrorCode, String)> {
        let params = request.params;
        let result = match request.method.as_str() {
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = parse_request(params)?;
                to_json(
                    self.at(&p.text_document_position_params)
                        .map(|at| navigate::definition(&at)),
                )
            }
            References::METHOD => {
                let p: lsp_types::ReferenceParams = parse_request(params)?;
                to_json(
                    self.at(&p.text_document_position)
                        .map(|at| navigate::references(&at)),
                )
            }
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = parse_request(params)?;
                to_json(
                    self.at(&p.text_document_position_params)
                        .and_then(|at| hover::hover(&at)),
                )
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = parse_request(params)?;
                to_json(
                    self.at(&p.text_document_position)
                        .map(|at| completion::complete(&at)),
                )
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = parse_request(params)?;
                let text = self.text(&p.text_document.uri);
                to_json(formatting::format(text).map_err(|e| (ErrorCode::RequestFailed, e))?)
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = parse_request(params)?;
                to_json(symbols::document_symbols(self.text(&p.text_document.uri)))
            }
            CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = parse_request(params)?;
                let text = self.text(&p.text_document.uri);
                let checked = path_of(&p.text_document.uri)
                    .and_then(|path| project_root(&path))
                    .and_then(|root| self.analyses.get(&root))
                    .and_then(|analysis| analysis.result.as_ref().ok());
                to_json(code_actions::quick_fixes(
                    &p.text_document.uri,
                    text,
                    &p.context.diagnostics,
                    checked,
                ))
            }
            _ => {
                return Err((
                    ErrorCode::MethodNotFound,
                    format!("monc lsp does not answer `{}`", request.method),
                ));
            }
        };
        Ok(result)
    }

    /// The open document's text (empty for a document the client never opened).
    fn text(&self, uri: &Url) -> &str {
        path_of(uri)
            .and_then(|path| self.documents.text(&path))
            .unwrap_or("")
    }

    /// The document, offset and project a position request is about.
    fn at(&self, position: &lsp_types::TextDocumentPositionParams) -> Option<At<'_>> {
        let path = path_of(&position.text_document.uri)?;
        let text = self.documents.text(&path)?;
        let offset = super::position::LineIndex::new(text).offset(position.position);
        let checked = project_root(&path)
            .and_then(|root| self.analyses.get(&root))
            .and_then(|analysis| analysis.result.as_ref().ok());
        Some(At {
            path,
            text,
            offset,
            checked,
            documents: &self.documents,
        })
    }
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, String> {
    serde_json::from_value(params).map_err(|e| format!("invalid parameters: {e}"))
}

fn parse_request<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (ErrorCode, String)> {
    parse(params).map_err(|e| (ErrorCode::InvalidParams, e))
}

fn to_json(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
