//! monc's integration tests, one binary (like ripgrep's and just's): each module drives the
//! `monc` binary or the library over real HTTP on loopback. One binary links the crate once,
//! which matters on a 2-core machine.

mod checks;
mod cli_contract;
mod cli_graph;
mod cli_org;
mod cli_project;
mod cli_test;
mod cli_validate;
mod client_emulator;
mod common;
mod corpus;
mod datadog_rules;
mod diagnostics;
mod emulator_cli;
mod emulator_host;
mod emulator_python;
mod fault_convergence;
mod fidelity;
mod go_vcr;
mod honest_output;
mod hostile_server;
mod import_emulator;
mod import_roundtrip;
mod import_structure;
mod import_tfstate;
mod interrupted_sync;
mod language;
mod load_props;
mod moved;
mod org_choice;
mod pages;
mod query_mutants;
mod query_props;
mod query_recommended_monitors;
mod readme;
mod reliability;
mod restore;
mod secrets;
mod shared_org;
mod status_emulator;
mod status_props;
mod sync_emulator;
mod sync_safety;
