//! The configuration as written: project settings, shared clusters, tenants and monitor templates.
//!
//! Template fields stay unevaluated HCL expressions; [`crate::compile`] evaluates them per instance.

use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::{Code, SourceMap, Span, Spanned};

/// Everything read from `monc.hcl`, `tenants/` and `monitors/`.
#[derive(Debug, Default)]
pub struct Model {
    pub project: Project,
    pub clusters: Vec<Cluster>,
    pub tenants: Vec<Tenant>,
    pub templates: Vec<Template>,
    /// `moved { from = monitor.old  to = monitor.new }` blocks: renames that keep monitor ids.
    pub moves: Vec<Move>,
    pub sources: SourceMap,
    /// The project directory: where the file functions (`file`, `templatefile`, ...) read.
    pub root: std::path::PathBuf,
    /// `locals { ... }` of every file, evaluated.
    pub locals: Locals,
    /// A file failed to parse, so templates may be missing: a reference to an unknown monitor
    /// is then a follow-on of that one syntax error, not a mistake of its own.
    pub has_unparsed_files: bool,
    /// Names of `monitor`/`page` blocks that did not load (an unknown type or tier, a missing
    /// attribute: reported). They are defined all the same: a reference to one is a follow-on
    /// of that mistake, not an unknown monitor.
    pub templates_in_error: Vec<String>,
}

impl Model {
    /// Whether a reference to template `name` may name a template that did not load: one that
    /// is in error, or any when a file did not parse. Such a reference is not reported.
    pub fn may_define_template(&self, name: &str) -> bool {
        self.has_unparsed_files || self.templates_in_error.iter().any(|t| t == name)
    }
}

/// The `locals { name = ... }` blocks of all files: usable as `local.<name>` in every expression.
#[derive(Debug, Default)]
pub struct Locals {
    /// Every local that evaluated, as the `local` object expressions see.
    pub values: hcl::Map<String, hcl::Value>,
    /// Every local defined, including those whose value is in error.
    pub defined: Vec<Spanned<String>>,
}

impl Locals {
    /// The `local` object expressions see.
    pub fn value(&self) -> hcl::Value {
        hcl::Value::Object(self.values.clone())
    }

    /// Whether `name` is defined, even if its value is in error.
    pub fn is_defined(&self, name: &str) -> bool {
        self.defined.iter().any(|d| d.value == name)
    }
}

/// The tag key under which a named project records itself on every monitor it writes.
pub const PROJECT_TAG_KEY: &str = "monc-project";

/// Project-wide settings from the optional `monc.hcl`.
#[derive(Debug, Clone)]
pub struct Project {
    /// Ordered tiers, most fundamental first: a monitor may only be suppressed by a lower tier.
    pub tiers: Vec<String>,
    /// `key:value` tag that marks a monitor as owned by monc.
    pub owner_tag: String,
    /// Tag key under which each monitor's stable key is stored.
    pub key_tag: String,
    pub default_tags: Vec<String>,
    /// Handles paged by monitors that run once (platform-wide) and set no `notify`.
    pub notify: Vec<String>,
    pub site: Option<String>,
    /// `channels` in monc.hcl: the org's notification channels (`@slack-ops`, `@pagerduty-*`);
    /// when set, a handle matching none is `monc::unknown-channel`. `None`: not checked.
    pub channels: Option<Vec<String>>,
    /// The project's name (`project` in monc.hcl), recorded on every monitor it writes so that
    /// several projects can share one org. None for a project without a name.
    pub name: Option<String>,
}

impl Default for Project {
    fn default() -> Self {
        Project {
            tiers: ["L0", "L2", "L3"].map(String::from).to_vec(),
            owner_tag: "managed-by:monc".into(),
            key_tag: "monc-key".into(),
            default_tags: Vec::new(),
            notify: Vec::new(),
            site: None,
            channels: None,
            name: None,
        }
    }
}

/// A piece of shared infrastructure (cluster, load balancer, database) that many tenants sit on.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: Spanned<String>,
    /// All attributes, evaluated, as the `cluster` object templates see (`cluster.name`, `cluster.vars.x`).
    pub value: hcl::Value,
    pub notify: Vec<String>,
    /// Declared vars reported missing or of the wrong type when loading (left out of `value`):
    /// a template using one is not reported again.
    pub vars_in_error: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub name: Spanned<String>,
    pub cluster: Spanned<String>,
    /// All attributes, evaluated, as the `tenant` object templates see.
    pub value: hcl::Value,
    pub notify: Vec<String>,
    /// As [`Cluster::vars_in_error`].
    pub vars_in_error: Vec<String>,
}

/// How many concrete monitors one template stamps out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOut {
    Once,
    PerCluster,
    PerTenant,
    /// `for_each` over a map or a set of strings: one monitor per key, with `each.key` and
    /// `each.value` ([`Template::each`]).
    PerKey,
}

impl FanOut {
    /// The collection name used after `for_each =`.
    pub fn describe(self) -> &'static str {
        match self {
            FanOut::Once => "a single monitor",
            FanOut::PerCluster => "one monitor per cluster",
            FanOut::PerTenant => "one monitor per tenant",
            FanOut::PerKey => "one monitor per key of its `for_each`",
        }
    }
}

/// A template attribute kept unevaluated, with the span of its value.
#[derive(Debug, Clone)]
pub struct Field {
    pub expr: hcl::Expression,
    pub span: Span,
    /// True when the value is a plain literal with no `${...}`, so offsets inside it map 1:1 to the file.
    pub is_literal: bool,
    /// The function calls in the expression, to point at the one that fails.
    pub calls: Vec<Call>,
    /// Every `local.<name>` in the expression.
    pub locals: Vec<Spanned<String>>,
    /// Every `/` and `%` in the expression, to refuse (and point at) one by zero.
    pub divisions: Vec<Division>,
    /// `expr` prepared once for evaluating it per instance ([`crate::eval::Prepared`]): hcl-rs
    /// parses a template's text again on every evaluation and clones a variable's whole value
    /// for each `tenant.vars.x`, which were most of compiling 1,000 tenants.
    pub prepared: std::sync::Arc<crate::eval::Prepared>,
}

/// A `/` or `%` inside an expression: `tenant.vars.limit / 0`.
#[derive(Debug, Clone)]
pub struct Division {
    /// The whole operation, `a / b`.
    pub span: Span,
    /// `%` rather than `/`.
    pub modulo: bool,
    pub divisor: hcl::Expression,
    /// The condition of every `cond ? a : b` it sits in, and the branch it is in (true for `a`):
    /// a division in a branch not taken is never evaluated.
    pub guards: Vec<(hcl::Expression, bool)>,
}

/// A function call inside a field: `floor(tenant.vars.limit)`.
#[derive(Debug, Clone)]
pub struct Call {
    pub name: String,
    pub expr: hcl::Expression,
    pub span: Span,
}

impl Field {
    /// Maps a byte range of this field's evaluated string back into the file: exactly when the
    /// text at that range appears once in the field's source, otherwise the whole field.
    pub fn span_within(&self, sources: &SourceMap, evaluated: &str, range: Range<usize>) -> Span {
        let source = sources.text(&self.span);
        let start = self.span.range.start;
        let fragment = evaluated.get(range.clone()).unwrap_or_default();
        if !fragment.is_empty() && source.matches(fragment).count() == 1 {
            let offset = source.find(fragment).unwrap_or(0);
            return Span::new(
                self.span.file,
                start + offset..start + offset + fragment.len(),
            );
        }
        if self.is_literal && evaluated.len() + 2 == source.len() {
            // A quoted literal without escapes: offsets are shifted by the opening quote.
            let mapped = start + 1 + range.start..start + 1 + range.end;
            return Span::new(self.span.file, mapped);
        }
        self.span.clone()
    }
}

/// `monitor.<template>` or `monitor.<template>[<index>]` in `suppressed_by`.
#[derive(Debug, Clone)]
pub struct Reference {
    pub template: Spanned<String>,
    pub index: Option<Field>,
    pub span: Span,
}

/// One side of a `moved` block: `monitor.<template>` or `monitor.<template>["<instance>"]`.
#[derive(Debug, Clone)]
pub struct MoveEnd {
    pub template: Spanned<String>,
    /// The tenant or cluster of one instance, when only that instance moves.
    pub instance: Option<Spanned<String>>,
    /// The whole reference.
    pub span: Span,
}

impl MoveEnd {
    /// `monitor.old` or `monitor.old["acme"]`, as written.
    pub fn describe(&self) -> String {
        match &self.instance {
            Some(instance) => format!("monitor.{}[\"{}\"]", self.template.value, instance.value),
            None => format!("monitor.{}", self.template.value),
        }
    }
}

/// `moved { from = monitor.old  to = monitor.new }`: the live monitors of `from` are the
/// monitors of `to` now, so they are updated (their key tag rewritten) instead of deleted and
/// created again with new ids.
#[derive(Debug, Clone)]
pub struct Move {
    pub from: MoveEnd,
    pub to: MoveEnd,
    /// The whole `moved { ... }` block.
    pub span: Span,
}

/// A `monitor "name" { ... }` block.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: Spanned<String>,
    pub tier: Spanned<usize>,
    pub fan_out: Spanned<FanOut>,
    /// The instances of a `for_each` over a map or a set ([`FanOut::PerKey`]), in key order;
    /// empty for the other fan-outs.
    pub each: Vec<Each>,
    pub monitor_type: Spanned<String>,
    pub display_name: Field,
    pub query: Field,
    pub message: Option<Field>,
    pub thresholds: Option<Field>,
    pub options: Option<Field>,
    pub tags: Option<Field>,
    pub priority: Option<Field>,
    pub notify: Option<Field>,
    /// `enabled = <bool>`, evaluated per instance: a disabled instance is not stamped out.
    pub enabled: Option<Field>,
    /// `composite = { name = "...", message = "..." }`: the generated composite's own name and
    /// message, instead of the monitor's.
    pub composite_text: Option<Field>,
    /// `raw = { name = "...", message = "..." }`: the suppressed monitor's own name and message,
    /// instead of `<name> (raw)` and a "Pages through" note (an adopted monitor keeps its text).
    pub raw_text: Option<Field>,
    pub suppressed_by: Vec<Reference>,
    pub suppressed_by_span: Option<Span>,
    /// For a `page` block: the monitors it pages for (`monitors = [...]`). monc builds its
    /// composite `(a || b) && !<their suppressors>`; the monitors then page only through it.
    pub pages_for: Vec<Reference>,
    pub pages_for_span: Option<Span>,
    /// Codes silenced where they are reported inside this block (`ignore = ["monc::…"]`); only
    /// codes that [`Code::can_be_ignored`].
    pub ignore: Vec<Spanned<Code>>,
    /// The whole `monitor "name" { ... }` block.
    pub span: Span,
}

impl Template {
    pub fn is_composite(&self) -> bool {
        is_composite(&self.monitor_type.value)
    }

    /// A `page` block: a composite monc builds from the monitors it names.
    pub fn is_page(&self) -> bool {
        self.pages_for_span.is_some()
    }
}

/// One element of a `for_each` over a map or a set of strings: Terraform's `each.key` (the
/// instance in the monitor's key, `l2/cpu/steal`) and `each.value` (the key again for a set).
#[derive(Debug, Clone)]
pub struct Each {
    pub key: String,
    pub value: hcl::Value,
}

impl Each {
    /// The `each` object expressions see.
    pub fn object(&self) -> hcl::Value {
        let mut object = hcl::Map::new();
        object.insert("key".to_string(), hcl::Value::String(self.key.clone()));
        object.insert("value".to_string(), self.value.clone());
        hcl::Value::Object(object)
    }
}

/// Keys of `thresholds` in the spec (`ok`, `unknown` for service checks); each is a number.
pub const KNOWN_THRESHOLDS: &[&str] = &[
    "critical",
    "critical_recovery",
    "ok",
    "unknown",
    "warning",
    "warning_recovery",
];

/// The fields of a monitor its author decides, as the Monitor API names them: what monc compiles,
/// emits, compares, writes, backs up and restores (the wire form is [`crate::datadog::Monitor`]). `Q` is the query: text on the wire; an emitted
/// composite names its monitors by key until their IDs are known
/// ([`crate::emit::Query`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default)]
pub struct MonitorBody<Q = String> {
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type")]
    pub monitor_type: String,
    #[serde(default)]
    pub query: Q,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub options: serde_json::Map<String, serde_json::Value>,
    /// Always sent (as null when unset): on update, null is how a priority is cleared.
    #[serde(default)]
    pub priority: Option<i64>,
}

impl<Q> MonitorBody<Q> {
    /// The same body with its query turned into another form (keys into IDs, say).
    pub fn map_query<R>(self, convert: impl FnOnce(Q) -> R) -> MonitorBody<R> {
        MonitorBody {
            name: self.name,
            monitor_type: self.monitor_type,
            query: convert(self.query),
            message: self.message,
            tags: self.tags,
            options: self.options,
            priority: self.priority,
        }
    }
}

/// Datadog's type of a monitor that combines others: `1 && !2`.
pub const COMPOSITE_TYPE: &str = "composite";

pub fn is_composite(monitor_type: &str) -> bool {
    monitor_type == COMPOSITE_TYPE
}

/// A monitor's stable identity, `<tier>/<template>[/<cluster or tenant>]` (`l3/api_errors/acme`),
/// stored in a tag on the live monitor; the composite monc generates to page for it is
/// `<key>/composite`. This type owns their format; emit, plan and sync keep keys as this type.
///
/// The text is shared: the graph's index, the emitted monitors and the plan clone every key
/// (issue 26: a copy of each of 200,000 keys per clone).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitorKey(Arc<str>);

impl serde::Serialize for MonitorKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

const COMPOSITE_SUFFIX: &str = "/composite";

impl MonitorKey {
    /// The key of a template's monitor; `instance` is the cluster or tenant it was stamped out
    /// for, `None` for a single monitor.
    pub fn new(tier: &str, template: &str, instance: Option<&str>) -> MonitorKey {
        let base = format!("{}/{template}", tier.to_lowercase());
        MonitorKey(
            match instance {
                Some(instance) => format!("{base}/{instance}"),
                None => base,
            }
            .into(),
        )
    }

    /// The key of the composite that pages for this monitor when it is suppressed.
    pub fn composite(&self) -> MonitorKey {
        MonitorKey(format!("{}{COMPOSITE_SUFFIX}", self.0).into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key already built, e.g. read back from a monitor.
impl From<&str> for MonitorKey {
    fn from(key: &str) -> MonitorKey {
        MonitorKey(key.into())
    }
}

impl From<MonitorKey> for String {
    fn from(key: MonitorKey) -> String {
        key.0.to_string()
    }
}

/// A key reads as its text: `&key` wherever a `&str` is wanted.
impl std::ops::Deref for MonitorKey {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Maps and sets keyed by `MonitorKey` are looked up with a `&str`.
impl std::borrow::Borrow<str> for MonitorKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for MonitorKey {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<String> for MonitorKey {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<MonitorKey> for String {
    fn eq(&self, other: &MonitorKey) -> bool {
        **self == *other.0
    }
}

impl PartialEq<&str> for MonitorKey {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl std::fmt::Display for MonitorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// True for a key that may be a composite monc generates. Only a guess: a tenant or cluster
/// named `composite` gives a raw monitor such a key (`l3/errors/composite`), and a composite
/// written by hand has a plain one. Where the monitor is known, tell it by its type
/// ([`is_composite`]); this is for a key alone (a key a user typed).
pub fn is_composite_key(key: &str) -> bool {
    key.ends_with(COMPOSITE_SUFFIX)
}

/// The key of the monitor written together with the monitor of `key`: a raw monitor's
/// suppression composite, or a composite's raw monitor. `composite` says which the monitor is
/// (its type): the key's text cannot, since `l3/errors/composite` is tenant `composite`'s raw
/// monitor, whose partner is `l3/errors/composite/composite`.
pub fn partner_key(key: &str, composite: bool) -> MonitorKey {
    match key.strip_suffix(COMPOSITE_SUFFIX).filter(|_| composite) {
        Some(raw) => MonitorKey::from(raw),
        None => MonitorKey::from(key).composite(),
    }
}

/// The tier a key starts with, lowercased as in the key (`l3` of `l3/api_errors/acme`).
pub fn tier_of_key(key: &str) -> &str {
    key.split('/').next().unwrap_or_default()
}

/// A key without its tier (`api_errors/acme` of `l3/api_errors/acme`): what a `moved` block
/// names, since the tier of a template that is gone is not known any more.
pub fn key_without_tier(key: &str) -> &str {
    key.split_once('/').map_or(key, |(_, rest)| rest)
}

/// Names end up in keys (`l3/api_errors/acme`) and tag values, so they must be tag-safe: the rule
/// for template, tenant and cluster names.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("it is empty"),
        Some(c) if !(c.is_ascii_lowercase() || c.is_ascii_digit()) => {
            return Err("it must start with a lowercase letter or digit");
        }
        _ => {}
    }
    if name.len() > 100 {
        return Err("it is longer than 100 characters");
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        return Err("only lowercase letters, digits, `-` and `_` are allowed");
    }
    Ok(())
}

/// What makes a Datadog tag, for the help of a diagnostic about one.
pub fn tag_rules() -> String {
    format!(
        "Datadog tags start with a letter, are at most {} characters, and use letters, digits, \
         `_ - : . /`",
        crate::limits::MAX_TAG_CHARS
    )
}

/// Datadog tag rules: start with a letter, ≤ 200 chars, alphanumerics and `_-:./`.
///
/// Case is kept: Datadog stores a monitor's tags as written. Recorded in
/// datadog-cassettes/go-legacy/TestMonitorLifecycle.yaml, where `GET /api/v1/monitor` lists a
/// monitor tagged `test_datasource_monitor:tf_TestAccDatadogMonitorDatasource_local_1653179280`
/// (its query scope has the same mixed-case value); the emulator keeps tags as sent too.
pub fn check_tag(tag: &str) -> Result<(), String> {
    if tag.chars().count() > crate::limits::MAX_TAG_CHARS {
        return Err(format!(
            "longer than {} characters",
            crate::limits::MAX_TAG_CHARS
        ));
    }
    if !tag.chars().next().is_some_and(char::is_alphabetic) {
        return Err("must start with a letter".into());
    }
    if let Some(bad) = tag
        .chars()
        .find(|c| !(c.is_alphanumeric() || "_-:./".contains(*c)))
    {
        return Err(if bad.is_whitespace() {
            "white space is not allowed".to_string()
        } else {
            format!("`{bad}` is not allowed")
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_tier_template_and_instance_with_the_tier_lowercased() {
        assert_eq!(
            MonitorKey::new("L3", "api_error_rate", Some("acme")).as_str(),
            "l3/api_error_rate/acme"
        );
        assert_eq!(
            MonitorKey::new("L0", "region_health", None).as_str(),
            "l0/region_health"
        );
    }

    #[test]
    fn a_composite_key_and_its_partner() {
        let raw = MonitorKey::new("L2", "alb_5xx", Some("prod-tokyo-1"));
        let composite = raw.composite();
        assert_eq!(composite.as_str(), "l2/alb_5xx/prod-tokyo-1/composite");
        assert!(is_composite_key(composite.as_str()) && !is_composite_key(raw.as_str()));
        assert_eq!(partner_key(composite.as_str(), true), raw.as_str());
        assert_eq!(partner_key(raw.as_str(), false), composite.as_str());
        // Tenant `composite`'s raw monitor: its partner is its own composite.
        let tenant_named_composite = MonitorKey::new("L3", "errors", Some("composite"));
        assert_eq!(
            partner_key(tenant_named_composite.as_str(), false),
            "l3/errors/composite/composite"
        );
        assert_eq!(tier_of_key(composite.as_str()), "l2");
    }

    #[test]
    fn the_name_rule_of_templates_tenants_and_clusters() {
        assert_eq!(check_name("prod-tokyo-1"), Ok(()));
        assert_eq!(check_name("9_lives"), Ok(()));
        assert!(check_name("").is_err());
        assert!(check_name("-acme").is_err());
        assert!(check_name("Acme").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name(&"a".repeat(101)).is_err());
    }

    #[test]
    fn only_composite_is_composite() {
        assert!(is_composite("composite"));
        assert!(!is_composite("metric alert"));
    }
}
