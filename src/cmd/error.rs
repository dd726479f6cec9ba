//! How a command ends: the exit status every command gives, and the command layer's one error
//! type. A command returns `Result<Status, Error>`; `main` prints the error (the one place an
//! error is printed) and turns the status into the process's exit code.

use std::fmt;
use std::process::ExitCode;

/// The exit status of every command: the contract scripts and scheduled jobs rely on (`monc
/// --help` states it for users). Each code has one meaning across every command, so that a
/// drift check can tell "changes" from "broken" and a poller "paging" from "error".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: success; for `diff` and `sync --dry-run`: no changes.
    Ok,
    /// 1: any error: a usage mistake (an unknown flag or value, also clap's own usage errors,
    /// which clap would give 2), an unreadable or invalid configuration, a failed API call or
    /// change, failing alert tests, output that could not be written.
    Error,
    /// 2: changes pending: only `diff` and `sync --dry-run`; no other outcome of any command
    /// may give it (a scheduled drift check reports it instead of failing).
    ChangesPending,
    /// 3: something pages right now: only `status`.
    Paging,
}

impl Status {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Error => 1,
            Status::ChangesPending => 2,
            Status::Paging => 3,
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status.code())
    }
}

/// Why a command could not do its job. Printed once, by `main`, after the command has let go
/// of everything it held (the local org is closed by then); the exit status is then
/// [`Status::Error`]. A command that did its job with a failing result (a test that fails, a
/// change the API refused), which its own output shows, returns `Ok(Status::Error)` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Error {
    /// Printed `error: MESSAGE`; the message may go on with `help:` lines.
    Message(String),
    /// A closing line printed as it is, under the details the command printed above it (the
    /// configuration's diagnostics, a declined plan): `monc: the configuration has errors; ...`.
    Closing(String),
}

impl Error {
    /// Prints the error to stderr (through `console`: a closed stderr is not a panic).
    pub(crate) fn print(&self) {
        eoutln!("{self}");
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Message(message) => write!(f, "error: {message}"),
            Error::Closing(line) => f.write_str(line),
        }
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::Message(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error::Message(message.to_string())
    }
}

impl From<monc::datadog::ApiError> for Error {
    fn from(error: monc::datadog::ApiError) -> Self {
        Error::Message(error.to_string())
    }
}

impl From<monc::slack::SlackError> for Error {
    fn from(error: monc::slack::SlackError) -> Self {
        Error::Message(error.to_string())
    }
}

/// What every command returns.
pub(crate) type CommandResult = Result<Status, Error>;
