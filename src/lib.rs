//! monc: a monitoring-as-code compiler for tiered Datadog monitors.
//!
//! Data flows one way: files → model → graph → plan → API.
//! - [`load`] reads `monc.hcl`, `tenants/` and `monitors/` into a spanned [`model`].
//! - [`compile`] stamps templates out per tenant / cluster into concrete monitors.
//! - [`graph`] links monitors by suppression and generates the composite monitors.
//! - [`validate`] checks everything locally and reports [`diagnostic`]s.
//! - [`query`] parses Datadog metric and composite queries.
//! - [`datadog`] is the Monitor API client; [`emulator`] a local, faithful Monitor API.

pub mod datadog;
pub mod emulator;
pub mod query;
