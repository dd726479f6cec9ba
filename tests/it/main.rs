//! monc's integration tests, one binary (like ripgrep's and just's): each module drives the
//! `monc` binary or the library over real HTTP on loopback. One binary links the crate once,
//! which matters on a 2-core machine. Run one module with `cargo test --test it MODULE`.
//!
//! | kind of test | modules |
//! | --- | --- |
//! | the CLI contract: exit codes, options, the newcomer's path | `cli_contract`, `cli_project`, `cli_validate`, `cli_graph`, `cli_test`, `cli_org` (README quick start), `readme` (the `<!-- checked -->` blocks of README.md and docs/), `walkthrough` (the whole README, top to bottom, on a fresh copy), `saved_plan` (`diff --out`, `sync --plan`) |
//! | checks and the language (local, no org) | `checks`, `lsp` (`monc lsp` over stdio), `parallel_compile` (1 thread or many: the same output), `diagnostics` (the code catalogue; each fixture is a test of `tests/diagnostics.rs`), `datadog_rules`, `language`, `for_each`, `typed_vars`, `pages`, `moved`, `bounded_input` |
//! | diff / sync / status / restore / review against the emulator | `sync_emulator`, `sync_safety`, `shared_org`, `restore`, `status_emulator`, `org_choice`, `reliability`, `interrupted_sync` (SIGKILL mid-sync), `review` (a known month, figure by figure; the recorded Events listing) |
//! | import | `import_emulator`, `import_roundtrip`, `import_tfstate`, `corpus` (published monitors through the whole path) |
//! | the client against misbehaving servers and faults | `client_emulator`, `hostile_server` (small axum servers), `fault_convergence` (seeded faults) |
//! | security and escaping | `secrets` (keys never leak), `honest_output` (org text escaped), `emulator_host` (DNS rebinding) |
//! | the emulator's fidelity to Datadog | `fidelity` and `go_vcr` (recorded cassettes), `emulator_python` (Datadog's Python client; skipped unless `MONC_PYTHON` is set), `emulator_cli` (`monc emulator`) |
//! | property and mutation tests (proptest, seeded) | `load_props`, `query_props`, `status_props`, `review_props`, `query_mutants`, `query_recommended_monitors` |
//! | shared helpers, no tests | `common` (project copies, generated tenants, org checks), `diagnostics_fixtures` (`tests/support/`: the fixture projects) |

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a test fails by panicking, and may print what it measured"
)]

mod bounded_input;
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
#[path = "../support/diagnostics_fixtures.rs"]
mod diagnostics_fixtures;
mod emulator_cli;
mod emulator_host;
mod emulator_python;
mod fault_convergence;
mod fidelity;
mod for_each;
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
mod lsp;
#[path = "../support/lsp_client.rs"]
mod lsp_client;
mod memory;
mod moved;
mod org_choice;
mod pages;
mod parallel_compile;
mod query_mutants;
mod query_props;
mod query_recommended_monitors;
mod readme;
mod reliability;
mod restore;
mod review;
mod review_props;
mod saved_plan;
mod secrets;
mod shared_org;
mod status_emulator;
mod status_props;
mod sync_emulator;
mod sync_safety;
mod typed_vars;
mod walkthrough;
