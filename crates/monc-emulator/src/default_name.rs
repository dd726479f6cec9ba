//! The name the API gives a monitor created without one.
//!
//! Recorded in go-legacy's TestMonitorCanDeleteErrors (2021-10): a metric monitor
//! `avg(last_5m):sum:system.net.bytes_rcvd{host:host0} > 100` was named
//! `**system.net.bytes_rcvd** over **host:host0** was **> 100.0** on average during the **last
//! 5m**.`, and a composite `49714524` was named after its query, `49714524`.

/// The generated name for a monitor of `monitor_type` with `query`.
pub(crate) fn for_query(monitor_type: &str, query: &str) -> String {
    if matches!(monitor_type, "metric alert" | "query alert")
        && let Some(name) = metric_average_name(query)
    {
        return name;
    }
    // Recorded for composites. GUESS (behaviour): every other query (other time
    // aggregations, functions, non-metric types) is named after its query too.
    query.to_owned()
}

/// `avg(last_<window>):<space>:<metric>{<scope>} <comparator> <threshold>`, the recorded form.
fn metric_average_name(query: &str) -> Option<String> {
    let rest = query.trim().strip_prefix("avg(last_")?;
    let (window, rest) = rest.split_once("):")?;
    let (_space_aggregation, rest) = rest.split_once(':')?;
    let (metric, rest) = rest.split_once('{')?;
    let (scope, condition) = rest.split_once('}')?;
    let mut words = condition.split_whitespace();
    let (comparator, threshold) = (words.next()?, words.next()?);
    let threshold: f64 = threshold.parse().ok()?;
    let plain = |text: &str| !text.is_empty() && !text.contains(['(', ')', ' ', '{', '}']);
    let known_comparator = [">", ">=", "<", "<=", "==", "!="].contains(&comparator);
    if words.next().is_some() || !plain(window) || !plain(metric) || !known_comparator {
        return None;
    }
    Some(format!(
        "**{metric}** over **{scope}** was **{comparator} {threshold:?}** on average during the \
         **last {window}**."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_names() {
        assert_eq!(
            for_query(
                "query alert",
                "avg(last_5m):sum:system.net.bytes_rcvd{host:host0} > 100"
            ),
            "**system.net.bytes_rcvd** over **host:host0** was **> 100.0** on average during \
             the **last 5m**."
        );
        assert_eq!(for_query("composite", "49714524"), "49714524");
        assert_eq!(
            for_query("query alert", "avg(last_5m):avg:x{*} by {host} > 1"),
            "avg(last_5m):avg:x{*} by {host} > 1"
        );
    }
}
