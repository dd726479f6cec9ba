//! stdout and stderr for every command. A write that fails (a closed pipe: `monc … | head -0`,
//! `2>&-` of a pipe whose reader is gone; a full disk) never panics, as `println!` does, and
//! never stops a command half-way: a sync goes on applying its plan. It is remembered, and the
//! command then exits 1 ([`final_status`]): output that could not be written is an error.
//!
//! Commands print through the macros of `cmd/mod.rs` (`out!`, `outln!`, `eout!`, `eoutln!`),
//! which come here.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::Status;

/// Whether any write to stdout or stderr failed in this process.
static WRITE_FAILED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout, flushed; false (and remembered) when it could not be written.
pub(crate) fn stdout(text: fmt::Arguments<'_>) -> bool {
    write_to(std::io::stdout().lock(), text)
}

/// Writes `text` to stderr; false (and remembered) when it could not be written.
pub(crate) fn stderr(text: fmt::Arguments<'_>) -> bool {
    write_to(std::io::stderr().lock(), text)
}

/// Writes `text` to stdout without counting a failure, for what a reader may take and then
/// stop reading on purpose: the banner of `monc emulator`, whose URL a supervisor reads before
/// closing the pipe. The server's exit code says how serving went, not whether anyone still
/// listened to it.
pub(crate) fn stdout_best_effort(text: fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_fmt(text).and_then(|()| stdout.flush());
}

/// [`stdout_best_effort`] for stderr: `monc emulator`'s progress once it serves.
pub(crate) fn stderr_best_effort(text: fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// Flushed at once: a sync's progress shows as it happens, and a failure is seen here, not
/// when the buffer is dropped at exit (which ignores it).
fn write_to(mut stream: impl Write, text: fmt::Arguments<'_>) -> bool {
    let written = stream.write_fmt(text).and_then(|()| stream.flush()).is_ok();
    if !written {
        WRITE_FAILED.store(true, Ordering::Relaxed);
    }
    written
}

/// The command's exit status, or [`Status::Error`] when something it printed could not be
/// written.
pub(crate) fn final_status(status: Status) -> Status {
    if WRITE_FAILED.load(Ordering::Relaxed) {
        Status::Error
    } else {
        status
    }
}
