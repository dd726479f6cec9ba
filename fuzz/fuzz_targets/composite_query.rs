#![no_main]
//! Any text: the composite query parser returns; errors point inside the query; what parses
//! renders to text that parses again.

use libfuzzer_sys::fuzz_target;
use monc::query::{Operand, parse_composite_query};

fuzz_target!(|query: &str| {
    match parse_composite_query(query) {
        Ok(expr) => {
            let rendered = expr.render(&|operand| match operand {
                Operand::Id(id) => id.to_string(),
                Operand::Ref { template, index: None } => format!("monitor.{template}"),
                Operand::Ref { template, index: Some(i) } => format!("monitor.{template}[\"{i}\"]"),
                Operand::Key(_) => panic!("the parser never produces resolved keys"),
            });
            assert!(parse_composite_query(&rendered).is_ok(), "{rendered:?} does not parse again");
        }
        Err(error) => {
            assert!(error.span.start <= error.span.end && error.span.end <= query.len());
            assert!(query.is_char_boundary(error.span.start) && query.is_char_boundary(error.span.end));
        }
    }
});
