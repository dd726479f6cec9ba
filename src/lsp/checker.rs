//! Checking a project off the main loop: debounced, and cancelled when a newer edit arrives.
//!
//! `monc::check` runs whole (the pipeline has no cancellation points); a check whose project
//! was edited again while it ran is dropped unpublished, and the newer text is checked instead.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::load::{LoadError, LoadOptions, Overlay};
use crate::{Checked, check};

/// How long the project must be left alone before it is checked: a burst of keystrokes is
/// checked once, at its end.
pub const DEBOUNCE: Duration = Duration::from_millis(20);

/// A project to check, with the open documents' texts.
pub struct Job {
    pub root: PathBuf,
    pub overlay: Overlay,
}

/// What checking a project found.
pub struct Analysis {
    pub root: PathBuf,
    pub result: Result<Checked, Failure>,
    /// How long `monc::check` took (the LSP log says it).
    pub took: Duration,
}

/// Why a project could not be checked at all.
pub enum Failure {
    /// A file or directory that cannot be read, as `monc validate` reports it.
    Load(LoadError),
    /// A defect of monc itself; the server reports it and goes on.
    Panic(String),
}

/// The handle of the checking thread.
pub struct Checker {
    jobs: Sender<Job>,
    pub results: Receiver<Analysis>,
}

impl Checker {
    pub fn start() -> std::io::Result<Checker> {
        let (jobs, incoming) = crossbeam_channel::unbounded();
        let (outgoing, results) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("monc-check".into())
            .spawn(move || check_loop(&incoming, &outgoing))?;
        Ok(Checker { jobs, results })
    }

    pub fn submit(&self, job: Job) {
        // The thread only stops when this handle is dropped.
        let _ = self.jobs.send(job);
    }
}

fn check_loop(incoming: &Receiver<Job>, outgoing: &Sender<Analysis>) {
    // The newest job of each project not yet checked.
    let mut pending: BTreeMap<PathBuf, Job> = BTreeMap::new();
    loop {
        if pending.is_empty() {
            let Ok(job) = incoming.recv() else { return };
            pending.insert(job.root.clone(), job);
        }
        loop {
            match incoming.recv_timeout(DEBOUNCE) {
                Ok(job) => _ = pending.insert(job.root.clone(), job),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let Some((root, job)) = pending.pop_first() else {
            continue;
        };
        let analysis = analyse(job);
        pending.extend(incoming.try_iter().map(|job| (job.root.clone(), job)));
        if pending.contains_key(&root) {
            continue; // edited while it was checked: the newer text's check replaces it
        }
        if outgoing.send(analysis).is_err() {
            return;
        }
    }
}

/// `monc::check` of one project, its panics caught so that the server outlives a defect.
pub fn analyse(job: Job) -> Analysis {
    let mut options = LoadOptions::in_dir(&job.root);
    options.overlay = job.overlay;
    let started = Instant::now();
    let result = match std::panic::catch_unwind(AssertUnwindSafe(|| check(&options))) {
        Ok(Ok(checked)) => Ok(checked),
        Ok(Err(error)) => Err(Failure::Load(error)),
        Err(payload) => Err(Failure::Panic(panic_message(payload.as_ref()))),
    };
    Analysis {
        root: job.root,
        result,
        took: started.elapsed(),
    }
}

/// The text a panic was raised with, if it is one.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
