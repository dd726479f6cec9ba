//! Local emulator of the Datadog Monitor API (v1): a real HTTP server on loopback that behaves
//! like Datadog (full monitor objects, defaults, validation, composites, pagination, rate
//! limits) plus fault injection for tests.
//!
//! It is the test oracle for monc, so it keeps its own knowledge of Datadog's behaviour (from
//! recorded traffic and published specs, guesses marked `GUESS`) and depends on nothing of
//! monc's: the crate boundary makes that hold by construction.

mod clock;
mod faults;
mod rules;
mod server;
mod state_file;
mod state_lock;
mod store;

pub use faults::{Fate, Fault, FaultConfig};
pub use rules::composite_ids;
pub use server::{Emulator, EmulatorConfig, EmulatorHandle, RequestRecord, StartError};
