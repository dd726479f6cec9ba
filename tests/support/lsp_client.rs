//! A minimal LSP client for tests and the benchmark: `monc lsp` as a subprocess, spoken to over
//! its stdio with real JSON-RPC framing (`Content-Length` headers).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any one answer may take before a test fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

pub(crate) struct LspClient {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else, oldest first.
    pub notifications: Vec<Value>,
}

impl LspClient {
    /// Starts `monc lsp` in `dir` and initializes it.
    pub(crate) fn start(dir: &Path) -> LspClient {
        let mut child = Command::new(env!("CARGO_BIN_EXE_monc"))
            .arg("lsp")
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("monc lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = LspClient {
            child,
            stdin,
            incoming,
            next_id: 0,
            notifications: Vec::new(),
        };
        let root = url(dir);
        let result = client.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        );
        assert!(result["capabilities"].is_object(), "{result}");
        client.notify("initialized", json!({}));
        client
    }

    pub(crate) fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    pub(crate) fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (the whole response: `result` or `error`).
    pub(crate) fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let message = self
                .next_message(deadline)
                .unwrap_or_else(|| panic!("no answer to {method}"));
            if message["id"] == json!(id) && message.get("method").is_none() {
                return message;
            }
            self.notifications.push(message);
        }
    }

    /// The `result` of a request; fails the test on an error response.
    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    fn next_message(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.incoming.recv_timeout(left).ok()
    }

    /// Waits for the next `publishDiagnostics` for `uri` (earlier ones already received
    /// included), and returns its diagnostics.
    pub(crate) fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let is_for = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(i) = self.notifications.iter().position(is_for) {
            let message = self.notifications.remove(i);
            return diagnostics_of(&message);
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let message = self
                .next_message(deadline)
                .unwrap_or_else(|| panic!("no diagnostics published for {uri}"));
            if is_for(&message) {
                return diagnostics_of(&message);
            }
            self.notifications.push(message);
        }
    }

    /// Waits until a `publishDiagnostics` for `uri` satisfies `wanted` (an earlier check's may
    /// come first), and returns its diagnostics.
    pub(crate) fn diagnostics_until(
        &mut self,
        uri: &str,
        wanted: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let diagnostics = self.diagnostics_for(uri);
            if wanted(&diagnostics) {
                return diagnostics;
            }
            assert!(
                Instant::now() < deadline,
                "never the diagnostics wanted for {uri}"
            );
        }
    }

    pub(crate) fn open(&mut self, path: &Path) -> String {
        let uri = url(path);
        let text = std::fs::read_to_string(path).expect("read");
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "hcl", "version": 1, "text": text}}),
        );
        uri
    }

    /// Replaces the whole text of an open document (not saved to disk).
    pub(crate) fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// `shutdown` then `exit`; the exit status of `monc lsp`.
    pub(crate) fn shut_down(mut self) -> std::process::ExitStatus {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "monc lsp did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        // A test that failed half-way leaves no server behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn diagnostics_of(message: &Value) -> Vec<Value> {
    message["params"]["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `file://` URI of a path (absolute, as editors send them).
pub(crate) fn url(path: &Path) -> String {
    let path = std::path::absolute(path).expect("absolute path");
    format!("file://{}", path.display())
}

/// Reads one framed message; `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}
