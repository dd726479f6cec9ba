//! The review for people (a terminal summary), for the monthly review document (Markdown) and
//! for scripts (JSON, the contract: `monitors[].key/alerts/seconds_in_alert`,
//! `suppression.pages_without/pages_with/reduction_percent`).

use std::fmt::Write as _;

use std::collections::BTreeMap;

use super::inventory::Inventory;
use super::{MonitorReview, Place, Review};
use crate::english::counted;
use crate::escape;

/// Monitors listed in the human summary; the rest are counted.
const HUMAN_MONITORS: usize = 10;

pub fn json(review: &Review) -> String {
    // Strings, numbers and lists only: serialising cannot fail.
    let mut text = serde_json::to_string_pretty(review).unwrap_or_default();
    text.push('\n');
    text
}

fn reduction_text(percent: Option<f64>) -> String {
    match percent {
        Some(percent) => format!("{percent:.1} %"),
        None => "n/a (nothing would have paged)".to_owned(),
    }
}

/// `3h 20m`, `45s`.
pub fn duration(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

pub fn human(review: &Review) -> String {
    let s = &review.suppression;
    let mut out = String::new();
    let _ = writeln!(out, "Review {} → {}", review.from, review.to);
    let _ = writeln!(
        out,
        "Suppression: {} without tiers, {} with them: {} fewer",
        counted(s.pages_without as usize, "page"),
        s.pages_with,
        reduction_text(s.reduction_percent)
    );
    for (tenant, pages) in &s.by_tenant {
        let _ = writeln!(
            out,
            "  {:<16} {} → {}",
            escape::line(tenant),
            pages.pages_without,
            pages.pages_with
        );
    }
    if !s.incidents.is_empty() {
        let _ = writeln!(out, "Shared outages: {}", s.incidents.len());
        for incident in &s.incidents {
            let _ = writeln!(
                out,
                "  {} at {}: {} → {} pages",
                escape::line(&incident.key),
                incident.started,
                incident.pages_without,
                incident.pages_with
            );
        }
    }
    for d in &s.disagreements {
        let _ = writeln!(
            out,
            "  ! {}: the replay counts {} pages, its own history {}",
            escape::line(&d.key),
            d.replayed,
            d.recorded
        );
    }
    let _ = writeln!(out, "\nNoisiest monitors:");
    for monitor in review.monitors.iter().take(HUMAN_MONITORS) {
        human_monitor(&mut out, monitor);
    }
    if review.monitors.len() > HUMAN_MONITORS {
        let _ = writeln!(
            out,
            "  … {} more (--format markdown or json lists them all)",
            review.monitors.len() - HUMAN_MONITORS
        );
    }
    human_inventory(&mut out, review);
    out
}

fn human_monitor(out: &mut String, m: &MonitorReview) {
    let _ = writeln!(
        out,
        "  {:<40} {:>10}  {:>8} in alert  {:>6.2} changes/day",
        escape::line(&m.key),
        counted(m.alerts as usize, "alert"),
        duration(m.seconds_in_alert),
        m.flapping_per_day
    );
    for advice in &m.consider {
        let _ = writeln!(out, "      consider: {advice}");
    }
}

fn human_inventory(out: &mut String, review: &Review) {
    let _ = writeln!(out, "\nInventory:");
    let groups = inventory_groups(&review.inventory);
    for ((_, tier, tenant), items) in &groups {
        let _ = writeln!(out, "  {} · {}", escape::line(tier), escape::line(tenant));
        for item in items {
            let _ = writeln!(
                out,
                "    {}: {}",
                escape::line(&item.what),
                item.names
                    .iter()
                    .map(|n| escape::line(n).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if groups.is_empty() {
        let _ = writeln!(out, "  nothing to tidy up");
    }
}

/// One line of the inventory: what is wrong, and the monitors (or template) it is wrong with.
struct Item {
    what: String,
    names: Vec<String>,
}

/// Where an entry is listed: its tier and tenant, or `(not in the configuration)` (last).
fn group_of(place: &Place) -> (bool, String, String) {
    match (&place.tier, &place.tenant) {
        (Some(tier), Some(tenant)) => (false, tier.clone(), tenant.clone()),
        _ => (
            true,
            NOT_CONFIGURED.to_owned(),
            "(foreign or removed)".to_owned(),
        ),
    }
}

const NOT_CONFIGURED: &str = "(not in the configuration)";

/// The inventory's entries grouped by tier and tenant (tiers in name order, which is the
/// project's for `L0`, `L2`, `L3`-like names), each group in the inventory's order.
fn inventory_groups(inv: &Inventory) -> BTreeMap<(bool, String, String), Vec<Item>> {
    let mut groups: BTreeMap<(bool, String, String), Vec<Item>> = BTreeMap::new();
    let mut add = |place: &Place, what: String, names: Vec<String>| {
        groups
            .entry(group_of(place))
            .or_default()
            .push(Item { what, names });
    };
    for d in &inv.duplicates {
        let mut names = d.keys.clone();
        names.extend(d.foreign.iter().map(|f| format!("foreign {f}")));
        add(&d.place, "duplicates".into(), names);
    }
    for mute in &inv.long_mutes {
        add(
            &mute.place,
            "muted over a week".into(),
            vec![mute.key.clone()],
        );
    }
    for listed in &inv.notify_nobody {
        add(
            &listed.place,
            "notifies nobody".into(),
            vec![listed.key.clone()],
        );
    }
    for stuck in &inv.stuck_in_alert {
        let what = format!("stuck in Alert since {}", stuck.since);
        add(&stuck.place, what, vec![stuck.key.clone()]);
    }
    for broken in &inv.broken_composites {
        let missing: Vec<String> = broken.missing.iter().map(u64::to_string).collect();
        let what = format!("composite naming deleted monitor {}", missing.join(", "));
        let name = match &broken.key {
            Some(key) => key.clone(),
            None => format!("foreign {} {}", broken.id, broken.name),
        };
        add(&broken.place, what, vec![name]);
    }
    for undelayed in &inv.cloud_metric_no_delay {
        let what = format!("no evaluation_delay on {}", undelayed.metric);
        add(&undelayed.place, what, vec![undelayed.key.clone()]);
    }
    for never in &inv.templates_never_fired {
        let what = "template never fired".to_owned();
        add(&never.place, what, vec![never.template.clone()]);
    }
    groups
}

pub fn markdown(review: &Review) -> String {
    let s = &review.suppression;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Monthly monitor review, {} → {}\n",
        review.from, review.to
    );
    let _ = writeln!(
        out,
        "**Tiered suppression: {} pages instead of {} ({} fewer).**\n",
        s.pages_with,
        s.pages_without,
        reduction_text(s.reduction_percent)
    );
    let _ = writeln!(out, "## Pages per tenant\n");
    let _ = writeln!(
        out,
        "| Tenant | Without tiers | With tiers |\n|---|---:|---:|"
    );
    for (tenant, pages) in &s.by_tenant {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            escape::markdown(tenant),
            pages.pages_without,
            pages.pages_with
        );
    }
    if !s.incidents.is_empty() {
        let _ = writeln!(out, "\n## Shared outages\n");
        let _ = writeln!(
            out,
            "| Monitor | Started | Ended | Without tiers | With tiers |\n|---|---|---|---:|---:|"
        );
        for i in &s.incidents {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                escape::markdown(&i.key),
                i.started,
                i.ended.as_deref().unwrap_or("still alerting"),
                i.pages_without,
                i.pages_with
            );
        }
    }
    if !s.disagreements.is_empty() {
        let _ = writeln!(out, "\n## Where the composites' own history disagrees\n");
        for d in &s.disagreements {
            let _ = writeln!(
                out,
                "- `{}`: replay {} pages, history {}",
                escape::markdown(&d.key),
                d.replayed,
                d.recorded
            );
        }
    }
    markdown_monitors(&mut out, review);
    markdown_inventory(&mut out, review);
    out
}

fn markdown_monitors(out: &mut String, review: &Review) {
    let _ = writeln!(out, "\n## Monitors, noisiest first\n");
    let _ = writeln!(
        out,
        "| Monitor | Alerts | In alert | No Data | Changes/day | Median alert | Last triggered | Consider |\n\
         |---|---:|---:|---:|---:|---:|---|---|"
    );
    for m in &review.monitors {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {:.2} | {} | {} | {} |",
            escape::markdown(&m.key),
            m.alerts,
            duration(m.seconds_in_alert),
            duration(m.seconds_in_no_data),
            m.flapping_per_day,
            m.median_alert_seconds.map(duration).unwrap_or_default(),
            m.last_triggered.as_deref().unwrap_or("never"),
            m.consider.join("; ")
        );
    }
}

fn markdown_inventory(out: &mut String, review: &Review) {
    let _ = writeln!(out, "\n## Inventory\n");
    let groups = inventory_groups(&review.inventory);
    for ((_, tier, tenant), items) in &groups {
        let _ = writeln!(
            out,
            "### {} · {}\n",
            escape::markdown(tier),
            escape::markdown(tenant)
        );
        for item in items {
            let names: Vec<String> = item
                .names
                .iter()
                .map(|n| format!("`{}`", escape::markdown(n)))
                .collect();
            let what = escape::markdown(&item.what);
            let _ = writeln!(out, "- {what}: {}", names.join(", "));
        }
        let _ = writeln!(out);
    }
    if groups.is_empty() {
        let _ = writeln!(out, "Nothing to tidy up.");
    }
}
