//! Local emulator of the Datadog Monitor API (v1): a real HTTP server on loopback that behaves
//! like Datadog (full monitor objects, defaults, validation, composites, pagination, rate
//! limits) plus fault injection for tests.
//!
//! Where it comes from: recorded Datadog traffic (tests/fixtures/cassettes: v1-monitors and
//! go-legacy), the API documentation and public issue threads. Whatever none of those backs is marked `GUESS` where
//! it is decided: `GUESS:` for the wording of a message, `GUESS (behaviour):` for what the
//! emulator does (`grep -rn GUESS crates/monc-emulator`). Do not trust the emulator to stand in
//! for Datadog on those points.
//!
//! It is the test oracle for monc, so it keeps its own knowledge of Datadog and depends on
//! nothing of monc's: the crate boundary makes that hold by construction.

mod clock;
mod default_name;
mod events;
mod faults;
mod host_guard;
mod rate_limit;
mod render;
mod rules;
mod search;
mod server;
mod state_file;
mod state_lock;
mod states;
mod store;

#[cfg(test)]
mod recorded_tests;

/// UTC timestamps as the API writes them; monc names its backups with them too.
pub use clock::format_micros;
pub use faults::{Fate, Fault, FaultConfig};
pub use rules::composite_ids;
pub use server::{Emulator, EmulatorConfig, EmulatorHandle, RequestRecord, StartError};
pub use states::Status as MonitorStatus;
pub use store::StateChange;
