//! Datadog Monitor API (v1) client: wire model, credentials, typed errors and an async HTTP client
//! with pagination, rate-limit handling and bounded retries.

mod client;
mod config;
mod error;
mod events;
mod model;
mod rate_budget;
mod transport;

pub use client::{
    Client, ClientOptions, MAX_LISTING_BYTES, MAX_LISTING_MONITORS, MethodStats, Stats,
};
pub use config::{Credentials, Site};
pub use error::{ApiError, MonitorContext};
pub use events::{EventReadStats, EventWindow, MonitorEvent};
pub use model::Monitor;
pub use transport::{check_transport_security, error_cause, http_client, is_loopback, same_origin};
