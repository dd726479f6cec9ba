#![no_main]
//! Any text: the metric query parser returns, and an error's span lies inside the query.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    if let Err(error) = monc::query::parse_metric_query(query) {
        assert!(error.span.start <= error.span.end && error.span.end <= query.len());
        assert!(query.is_char_boundary(error.span.start) && query.is_char_boundary(error.span.end));
    }
});
