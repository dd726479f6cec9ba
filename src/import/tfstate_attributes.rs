//! The attributes of the Datadog provider's `datadog_monitor` resource, in every layout the
//! provider has written to a state, and what each is in a monitor as the API returns it.
//!
//! Sources (DataDog/terraform-provider-datadog, `datadog/resource_datadog_monitor.go` and its
//! CHANGELOG): 1.x keeps thresholds and threshold windows as maps of strings (`thresholds =
//! {critical = "90"}`) and has `silenced`; 2.x adds `force_delete`, an integer `priority`
//! (2.15), the one-element lists `monitor_thresholds`/`monitor_threshold_windows` beside the
//! deprecated maps (2.20), `restricted_roles` and `validate`; 3.0.0 removes the maps and
//! `silenced`; 3.41 makes `priority` a string; 3.x also add `new_group_delay`, `renotify_*`,
//! `on_missing_data`, `group_retention_duration`, `notify_by`, `enable_samples`,
//! `scheduling_options`, `variables`, `notification_preset_name`, `draft_status` and `assets`;
//! 4.x removes `locked` and adds `ignore_tag_keys`. The provider's read stores an absent option
//! as `0`, `""` or `false`, so those mean "not set" unless said otherwise below.

use serde_json::{Map as JsonMap, Number, Value as Json};

/// What one attribute is to monc.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    /// `id`, `name`, `type`, `query`, `message`, `tags`, `priority`: read into the monitor itself.
    Monitor,
    /// An integer option with the attribute's name; 0 means not set.
    Integer,
    /// An integer option the provider always sends, 0 included (`new_host_delay`).
    IntegerWithZero,
    /// A string option; `""` means not set.
    Text,
    /// A list of strings option; empty means not set.
    Strings,
    /// A boolean option the provider always sends.
    Boolean,
    /// A boolean option only some monitor types take: the provider reads `false` for the others.
    TypeBoolean,
    /// `thresholds` (a map of strings, 1.x and 2.x) or `monitor_thresholds` (a one-element list).
    Thresholds,
    /// `threshold_windows` (a map) or `monitor_threshold_windows` (a one-element list).
    ThresholdWindows,
    SchedulingOptions,
    Variables,
    /// `silenced`: mute state, which monc never sends, so it stays as it is in Datadog.
    MuteState,
    /// A setting of the provider itself that never reaches Datadog.
    ProviderOnly(&'static str),
    /// A field of the monitor that monc's templates cannot hold: an error unless it has the
    /// value a monitor without it has.
    Unmapped(&'static str),
}

const ATTRIBUTES: &[(&str, Layout)] = &[
    ("id", Layout::Monitor),
    ("name", Layout::Monitor),
    ("type", Layout::Monitor),
    ("query", Layout::Monitor),
    ("message", Layout::Monitor),
    ("tags", Layout::Monitor),
    ("priority", Layout::Monitor),
    ("new_group_delay", Layout::Integer),
    ("evaluation_delay", Layout::Integer),
    ("no_data_timeframe", Layout::Integer),
    ("renotify_interval", Layout::Integer),
    ("renotify_occurrences", Layout::Integer),
    ("timeout_h", Layout::Integer),
    ("new_host_delay", Layout::IntegerWithZero),
    ("escalation_message", Layout::Text),
    ("on_missing_data", Layout::Text),
    ("group_retention_duration", Layout::Text),
    ("notification_preset_name", Layout::Text),
    ("renotify_statuses", Layout::Strings),
    ("notify_by", Layout::Strings),
    ("notify_no_data", Layout::Boolean),
    ("require_full_window", Layout::Boolean),
    ("include_tags", Layout::Boolean),
    ("notify_audit", Layout::Boolean),
    ("locked", Layout::Boolean),
    ("enable_logs_sample", Layout::TypeBoolean),
    ("groupby_simple_monitor", Layout::TypeBoolean),
    ("enable_samples", Layout::TypeBoolean),
    ("thresholds", Layout::Thresholds),
    ("monitor_thresholds", Layout::Thresholds),
    ("threshold_windows", Layout::ThresholdWindows),
    ("monitor_threshold_windows", Layout::ThresholdWindows),
    ("scheduling_options", Layout::SchedulingOptions),
    ("variables", Layout::Variables),
    ("silenced", Layout::MuteState),
    (
        "validate",
        Layout::ProviderOnly("it only tells the provider whether to validate at plan time"),
    ),
    (
        "force_delete",
        Layout::ProviderOnly("it only tells the provider how to delete the monitor"),
    ),
    (
        "ignore_tag_keys",
        Layout::ProviderOnly("it only tells Terraform which tags' drift to ignore"),
    ),
    (
        "restricted_roles",
        Layout::Unmapped("monc's templates have no restricted roles"),
    ),
    (
        "draft_status",
        Layout::Unmapped("monc's templates have no draft monitors"),
    ),
    (
        "assets",
        Layout::Unmapped("monc's templates have no assets"),
    ),
];

/// What reading one resource instance's attributes found.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub options: JsonMap<String, Json>,
    /// Attributes left out on purpose, saying why.
    pub notes: Vec<String>,
    /// Attributes monc cannot map or read, saying why and what to do.
    pub errors: Vec<String>,
}

/// The options of a monitor from its attributes; every attribute is either mapped, left out
/// with a note, or an error.
pub(super) fn read_options(attributes: &JsonMap<String, Json>) -> Read {
    let mut read = Read::default();
    let layout_of = |name: &str| ATTRIBUTES.iter().find(|(n, _)| *n == name).map(|(_, l)| *l);
    // The deprecated map first: the provider prefers the list's value key by key.
    let mut names: Vec<&String> = attributes.keys().collect();
    names.sort_by_key(|n| n.starts_with("monitor_"));
    for name in names {
        let value = &attributes[name];
        if value.is_null() {
            continue;
        }
        let Some(layout) = layout_of(name) else {
            if !is_empty(value) {
                read.errors.push(format!(
                    "unknown attribute `{name}` = {}: this version of the Datadog provider is newer than monc knows, and monc does not drop what it cannot read; tell monc's maintainers, or remove the attribute in Terraform first",
                    shown(value)
                ));
            }
            continue;
        };
        if let Err(why) = read_attribute(name, layout, value, &mut read) {
            read.errors
                .push(format!("`{name}` = {}: {why}", shown(value)));
        }
    }
    read.options
        .retain(|_, v| !v.as_object().is_some_and(JsonMap::is_empty));
    read
}

fn read_attribute(name: &str, layout: Layout, value: &Json, read: &mut Read) -> Result<(), String> {
    let options = &mut read.options;
    match layout {
        Layout::Monitor => {}
        Layout::Integer | Layout::IntegerWithZero => {
            let n = value.as_i64().ok_or("not a whole number")?;
            if n != 0 || layout == Layout::IntegerWithZero {
                options.insert(name.into(), n.into());
            }
        }
        Layout::Text => {
            let s = value.as_str().ok_or("not a string")?;
            if !s.is_empty() {
                options.insert(name.into(), s.into());
            }
        }
        Layout::Strings => {
            let items = strings(value).ok_or("not a list of strings")?;
            if !items.is_empty() {
                options.insert(name.into(), items.into());
            }
        }
        Layout::Boolean => {
            options.insert(
                name.into(),
                value.as_bool().ok_or("not true or false")?.into(),
            );
        }
        Layout::TypeBoolean => {
            if value.as_bool().ok_or("not true or false")? {
                options.insert(name.into(), true.into());
            }
        }
        Layout::Thresholds => merge(options, "thresholds", thresholds(value)?),
        Layout::ThresholdWindows => merge(options, "threshold_windows", windows(value)?),
        Layout::SchedulingOptions => {
            if let Some(scheduling) = scheduling_options(value)? {
                options.insert("scheduling_options".into(), scheduling);
            }
        }
        Layout::Variables => {
            if let Some(variables) = variables(value)? {
                options.insert("variables".into(), variables);
            }
        }
        Layout::MuteState => {
            if !is_empty(value) {
                read.notes.push(format!(
                    "`silenced` = {} not imported: it is mute state, which monc never sends, so the monitor stays muted as it is in Datadog (use downtimes to mute from now on)",
                    shown(value)
                ));
            }
        }
        Layout::ProviderOnly(why) => {
            if !is_empty(value) && value != &Json::Bool(false) {
                read.notes.push(format!(
                    "`{name}` = {} not imported: {why}, never reaching Datadog",
                    shown(value)
                ));
            }
        }
        Layout::Unmapped(why) => {
            // A published monitor is what a monitor without `draft_status` is.
            let unset = is_empty(value) || (name == "draft_status" && value == "published");
            if !unset {
                return Err(format!(
                    "{why}, so monc would not keep it; remove it from the Terraform resource (or leave this monitor to Terraform: import the others with --name/--tag), then import again"
                ));
            }
        }
    }
    Ok(())
}

/// Null, `""`, `[]`, `{}`, or lists of such: an attribute holding nothing.
fn is_empty(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(items) => items.iter().all(is_empty),
        Json::Object(map) => map.values().all(is_empty),
        Json::Bool(_) | Json::Number(_) => false,
    }
}

/// A value for an error message, shortened.
fn shown(value: &Json) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

fn strings(value: &Json) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(String::from))
        .collect()
}

fn merge(options: &mut JsonMap<String, Json>, key: &str, more: JsonMap<String, Json>) {
    let entry = options.entry(key).or_insert_with(|| JsonMap::new().into());
    if let Some(map) = entry.as_object_mut() {
        map.extend(more);
    }
}

/// A map (`{critical = "90"}`) or a nested block stored as a list of at most one object.
fn one_object(value: &Json) -> Result<JsonMap<String, Json>, String> {
    match value {
        Json::Object(map) => Ok(map.clone()),
        Json::Array(items) if items.len() <= 1 => match items.first() {
            None => Ok(JsonMap::new()),
            Some(Json::Object(map)) => Ok(map.clone()),
            Some(_) => Err("expected an object in the list".into()),
        },
        _ => Err("expected a map, or a list of one object".into()),
    }
}

/// `{critical = "1.3", warning = "1", ok = ""}` → `{critical: 1.3, warning: 1}`: the provider
/// keeps thresholds as strings; `""` is a threshold not set.
fn thresholds(value: &Json) -> Result<JsonMap<String, Json>, String> {
    let mut out = JsonMap::new();
    for (key, v) in one_object(value)? {
        let number = match &v {
            Json::String(s) if s.trim().is_empty() => continue,
            Json::Null => continue,
            Json::String(s) => s.trim().parse::<f64>().ok(),
            Json::Number(n) => n.as_f64(),
            _ => None,
        };
        let number = number
            .and_then(json_number)
            .ok_or_else(|| format!("threshold `{key}` = {v} is not a number"))?;
        out.insert(key, number);
    }
    Ok(out)
}

fn windows(value: &Json) -> Result<JsonMap<String, Json>, String> {
    let mut out = JsonMap::new();
    for (key, v) in one_object(value)? {
        match v {
            Json::Null => {}
            Json::String(s) if s.is_empty() => {}
            Json::String(s) => {
                out.insert(key, s.into());
            }
            other => return Err(format!("window `{key}` = {other} is not a string")),
        }
    }
    Ok(out)
}

pub(super) fn json_number(n: f64) -> Option<Json> {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        Some(Json::from(n as i64))
    } else {
        Number::from_f64(n).map(Json::Number)
    }
}

/// Attributes of a nested block, read the way the provider builds the API's object from it.
struct Block(JsonMap<String, Json>);

impl Block {
    fn one(value: &Json) -> Result<Option<Block>, String> {
        let map = one_object(value)?;
        Ok((!map.is_empty()).then_some(Block(map)))
    }

    fn text(&self, key: &str) -> Option<String> {
        self.0
            .get(key)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from)
    }

    fn integer(&self, key: &str) -> Option<i64> {
        self.0.get(key).and_then(Json::as_i64)
    }

    fn nested(&self, key: &str) -> Result<Option<Block>, String> {
        match self.0.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => Block::one(v).map_err(|e| format!("`{key}`: {e}")),
        }
    }

    fn list(&self, key: &str) -> Result<Vec<Block>, String> {
        match self.0.get(key) {
            None | Some(Json::Null) => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Json::Object(map) => Ok(Block(map.clone())),
                    _ => Err(format!("`{key}`: expected a list of objects")),
                })
                .collect(),
            Some(_) => Err(format!("`{key}`: expected a list")),
        }
    }
}

fn object(pairs: Vec<(&str, Option<Json>)>) -> JsonMap<String, Json> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v?)))
        .collect()
}

/// `scheduling_options = [{evaluation_window = [{...}], custom_schedule = [{recurrence = [{...}]}]}]`
/// → `{evaluation_window: {...}, custom_schedule: {recurrences: [{...}]}}`. As the provider
/// builds it: `hour_starts` only without `day_starts`/`month_starts`, `month_starts` 0 and
/// empty strings are not set.
fn scheduling_options(value: &Json) -> Result<Option<Json>, String> {
    let Some(block) = Block::one(value)? else {
        return Ok(None);
    };
    let mut out = JsonMap::new();
    if let Some(window) = block.nested("evaluation_window")? {
        let day = window.text("day_starts");
        let month = window.integer("month_starts").filter(|m| *m != 0);
        let hour = (day.is_none() && month.is_none())
            .then(|| window.integer("hour_starts"))
            .flatten();
        let window = object(vec![
            ("day_starts", day.map(Json::from)),
            ("month_starts", month.map(Json::from)),
            ("hour_starts", hour.map(Json::from)),
            ("timezone", window.text("timezone").map(Json::from)),
        ]);
        out.insert("evaluation_window".into(), window.into());
    }
    if let Some(schedule) = block.nested("custom_schedule")? {
        let recurrences: Vec<Json> = schedule
            .list("recurrence")?
            .iter()
            .map(|r| {
                Json::from(object(vec![
                    ("rrule", r.text("rrule").map(Json::from)),
                    ("start", r.text("start").map(Json::from)),
                    ("timezone", r.text("timezone").map(Json::from)),
                ]))
            })
            .collect();
        out.insert(
            "custom_schedule".into(),
            Json::from(object(vec![("recurrences", Some(recurrences.into()))])),
        );
    }
    Ok((!out.is_empty()).then(|| out.into()))
}

/// `variables = [{event_query = [...], cloud_cost_query = [...]}]` → the API's list of query
/// definitions, built as the provider builds them (`buildMonitorFormulaAndFunctionEventQuery`,
/// `...CloudCostQuery`). The other kinds of query are an error: monc does not read them yet.
fn variables(value: &Json) -> Result<Option<Json>, String> {
    let Some(block) = Block::one(value)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (kind, _) in block.0.iter().filter(|(_, v)| !is_empty(v)) {
        if kind != "event_query" && kind != "cloud_cost_query" {
            return Err(format!(
                "monc does not read `variables.{kind}` yet (it reads `event_query` and `cloud_cost_query`); leave this monitor to Terraform (import the others with --name/--tag)"
            ));
        }
    }
    for query in block.list("event_query")? {
        out.push(event_query(&query)?);
    }
    for query in block.list("cloud_cost_query")? {
        out.push(Json::from(object(vec![
            ("data_source", query.text("data_source").map(Json::from)),
            ("name", query.text("name").map(Json::from)),
            ("query", query.text("query").map(Json::from)),
            ("aggregator", query.text("aggregator").map(Json::from)),
        ])));
    }
    Ok((!out.is_empty()).then(|| out.into()))
}

fn event_query(query: &Block) -> Result<Json, String> {
    let compute = query
        .nested("compute")?
        .ok_or("an `event_query` without `compute`")?;
    let compute = object(vec![
        ("aggregation", compute.text("aggregation").map(Json::from)),
        (
            "interval",
            compute
                .integer("interval")
                .filter(|i| *i != 0)
                .map(Json::from),
        ),
        ("metric", compute.text("metric").map(Json::from)),
    ]);
    let search = query
        .nested("search")?
        .map(|s| Json::from(object(vec![("query", s.text("query").map(Json::from))])));
    let mut group_by = Vec::new();
    for g in query.list("group_by")? {
        let sort = g.nested("sort")?.map(|s| {
            Json::from(object(vec![
                ("aggregation", s.text("aggregation").map(Json::from)),
                ("order", s.text("order").map(Json::from)),
                ("metric", s.text("metric").map(Json::from)),
            ]))
        });
        group_by.push(Json::from(object(vec![
            ("facet", g.text("facet").map(Json::from)),
            (
                "limit",
                g.integer("limit").filter(|l| *l != 0).map(Json::from),
            ),
            ("sort", sort),
        ])));
    }
    let indexes = query.0.get("indexes").and_then(strings).unwrap_or_default();
    Ok(Json::from(object(vec![
        ("data_source", query.text("data_source").map(Json::from)),
        ("name", query.text("name").map(Json::from)),
        ("indexes", Some(indexes.into())),
        ("compute", Some(compute.into())),
        ("search", search),
        ("group_by", Some(group_by.into())),
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(attributes: Json) -> Read {
        read_options(attributes.as_object().expect("object"))
    }

    #[test]
    fn thresholds_in_every_layout() {
        let map = read(json!({"thresholds": {"critical": "1.3", "warning": "1"}}));
        assert_eq!(
            Json::from(map.options),
            json!({"thresholds": {"critical": 1.3, "warning": 1}})
        );
        let list = read(
            json!({"thresholds": null, "monitor_thresholds": [{"critical": "5", "ok": ""}],
            "threshold_windows": {}, "monitor_threshold_windows": [{"trigger_window": "last_15m", "recovery_window": ""}]}),
        );
        assert_eq!(
            Json::from(list.options),
            json!({"thresholds": {"critical": 5}, "threshold_windows": {"trigger_window": "last_15m"}})
        );
        let bad = read(json!({"monitor_thresholds": [{"critical": "high"}]}));
        assert!(bad.errors[0].contains("`critical`"), "{:?}", bad.errors);
    }

    #[test]
    fn unmappable_and_unknown_attributes_are_errors_empty_ones_are_not() {
        let r = read(json!({"restricted_roles": ["abc"], "draft_status": "draft",
            "assets": [], "new_thing": {"a": 1}, "newer_thing": null, "draft": ""}));
        assert_eq!(r.errors.len(), 3, "{:?}", r.errors);
        assert!(r.errors.iter().any(|e| e.starts_with("`restricted_roles`")));
        assert!(r.errors.iter().any(|e| e.starts_with("`draft_status`")));
        assert!(
            r.errors
                .iter()
                .any(|e| e.contains("unknown attribute `new_thing`"))
        );
        let fine = read(json!({"restricted_roles": [], "draft_status": "published"}));
        assert!(fine.errors.is_empty(), "{:?}", fine.errors);
    }

    #[test]
    fn provider_only_attributes_and_mute_state_are_notes() {
        let r = read(json!({"validate": true, "force_delete": false, "silenced": {"*": 0}}));
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
        assert!(r.options.is_empty());
    }

    #[test]
    fn scheduling_options_as_the_provider_builds_them() {
        let r = read(json!({"scheduling_options": [{
            "evaluation_window": [{"day_starts": "04:00", "hour_starts": 0, "month_starts": 0, "timezone": ""}],
            "custom_schedule": [{"recurrence": [{"rrule": "FREQ=DAILY", "start": "", "timezone": "UTC"}]}]}]}));
        assert_eq!(
            Json::from(r.options),
            json!({"scheduling_options": {"evaluation_window": {"day_starts": "04:00"},
                "custom_schedule": {"recurrences": [{"rrule": "FREQ=DAILY", "timezone": "UTC"}]}}})
        );
        let hourly =
            read(json!({"scheduling_options": [{"evaluation_window": [{"hour_starts": 0}]}]}));
        assert_eq!(
            hourly.options["scheduling_options"],
            json!({"evaluation_window": {"hour_starts": 0}})
        );
    }

    #[test]
    fn event_query_variables_as_the_provider_builds_them() {
        let r = read(json!({"variables": [{"event_query": [{
            "data_source": "logs", "name": "query1", "indexes": ["*"],
            "compute": [{"aggregation": "count", "interval": 0, "metric": ""}],
            "search": [{"query": "status:error"}],
            "group_by": [{"facet": "service", "limit": 10, "sort": [{"aggregation": "count", "order": "desc", "metric": ""}]}]}],
            "cloud_cost_query": []}]}));
        assert_eq!(
            r.options["variables"],
            json!([{"data_source": "logs", "name": "query1", "indexes": ["*"],
                "compute": {"aggregation": "count"}, "search": {"query": "status:error"},
                "group_by": [{"facet": "service", "limit": 10, "sort": {"aggregation": "count", "order": "desc"}}]}])
        );
        let other = read(json!({"variables": [{"data_quality_query": [{"name": "q"}]}]}));
        assert!(
            other.errors[0].contains("variables.data_quality_query"),
            "{:?}",
            other.errors
        );
    }
}
