//! Parsers for the two query languages monc must understand.
//!
//! CONTRACT (filled in by the query-parser work):
//! - `metric::parse_metric_query(&str) -> Result<MetricQuery, QueryError>`
//! - `composite::parse_composite_query(&str) -> Result<CompositeExpr, QueryError>`
