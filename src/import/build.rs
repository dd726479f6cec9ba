//! Deciding what to write: which monitors become single templates, which collapse into one
//! per-tenant template, which composites become `suppressed_by`, and in which tiers.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Map as JsonMap, Value as Json};

use super::{Adoption, Import, ImportedTemplate, Settings, TenantPlacement, Text};
use crate::datadog::Monitor;
use crate::diagnostic::Code;
use crate::model::{MonitorKey, check_name, is_composite};
use crate::plan::normalize::normalize_options;
use crate::query::{CompositeExpr, Operand, parse_composite_query};

/// The cluster detected tenants are put on when the project has none.
pub const PLACEHOLDER_CLUSTER: &str = "imported";

/// Datadog's limit on the monitors one composite may reference.
const MAX_CONSTITUENTS: usize = 10;

/// Decides the templates for `monitors`. Never fails: what cannot be imported is listed in
/// [`Import::skipped`].
pub fn build(monitors: &[Monitor], settings: &Settings) -> Import {
    let mut import = Import::default();
    let mut raw = Vec::new();
    let mut composites = Vec::new();
    for m in monitors {
        if m.tags.contains(&settings.owner_tag) {
            import.skipped.push(format!(
                "{}: already managed by monc (tagged `{}`)",
                describe(m),
                settings.owner_tag
            ));
        } else if crate::load::not_creatable_help(&m.monitor_type).is_some() {
            import.skipped.push(format!(
                "{}: a `{}`, which Datadog creates only with its Synthetic test (Synthetics \
                 API), never through the Monitor API that monc writes with",
                describe(m),
                m.monitor_type
            ));
        } else if is_composite(&m.monitor_type) {
            composites.push(m);
        } else {
            raw.push(m);
        }
    }
    let ids = raw_ids(&raw);
    let suppressions = find_suppressions(&raw, &composites, settings);
    let (groups, mut not_folded) = detect_tenants(&raw, &composites, &suppressions, settings);
    let universe = all_tenants(&groups, settings);
    let converted: HashSet<usize> = suppressions.iter().map(|s| s.composite).collect();
    let (candidates, composites_not_folded) =
        detect_tenant_composites(&ids, &composites, &converted, &groups, &universe, settings);
    not_folded.extend(composites_not_folded);
    let mut names = Names::assign(&raw, &composites, &groups, &candidates, settings);
    // A template name holding a tenant's name (`acme_wide_db`) would be rewritten with it.
    let (composite_groups, unclean): (Vec<TenantGroup>, Vec<TenantGroup>) = candidates
        .into_iter()
        .partition(|g| stamps_out_each(g, &composites, &ids, &names.raw, &groups));
    for group in &unclean {
        not_folded.push(format!(
            "{} ({}): not folded into one per-tenant template: a monitor it names has the tenant's name in its own name",
            describe(composites[group.members[0].0]),
            group.tenants().join(", ")
        ));
    }
    if !unclean.is_empty() {
        names = Names::assign(&raw, &composites, &groups, &composite_groups, settings);
    }
    import.not_folded = not_folded;
    let tiers = Tiers::new(
        settings,
        &suppressions,
        &negated_in_kept(&ids, &composites, &suppressions),
    );
    let mut templates = Vec::new();
    let mut grouped = HashSet::new();
    for (i, m) in raw.iter().enumerate() {
        if let Some(g) = groups.iter().position(|g| g.has(i)) {
            if grouped.insert(g) {
                let mut template =
                    tenant_template(&raw, &groups[g], &names.raw[i], &tiers.top, &universe);
                suppress_group(
                    &mut template,
                    &groups[g],
                    &suppressions,
                    &composites,
                    &names.raw,
                );
                templates.push(template);
            }
            continue;
        }
        let tier = tiers.of(i);
        let mut template = single_template(m, &names.raw[i], tier);
        if let Some(s) = suppressions.iter().find(|s| s.target == i) {
            suppress(&mut template, s, composites[s.composite], &names.raw);
        }
        templates.push(template);
    }
    let mut grouped_composites = HashSet::new();
    for (c, composite) in composites.iter().enumerate() {
        if converted.contains(&c) {
            continue;
        }
        let query = |c: usize| symbolic_query(&composites[c].query, &ids, &names.raw, &groups);
        if let Some(g) = composite_groups.iter().position(|g| g.has(c)) {
            if grouped_composites.insert(g) {
                let group = &composite_groups[g];
                let (first, tenant) = &group.members[0];
                let mut template = tenant_template(
                    &composites,
                    group,
                    &names.composites[c],
                    &tiers.top,
                    &universe,
                );
                template.query = Text::with_tenant(&query(*first), tenant);
                template.comments.push(format!(
                    "Composites kept as written (`{}` for {tenant}), their monitors named symbolically; monc resolves them to IDs when it syncs.",
                    composites[*first].query.trim()
                ));
                templates.push(template);
            }
            continue;
        }
        let mut template = single_template(composite, &names.composites[c], &tiers.top);
        template.query = Text::literal(&query(c));
        template.comments.push(format!(
            "Composite kept as written (`{}`), its monitors named symbolically; monc resolves them to IDs when it syncs.",
            composite.query.trim()
        ));
        templates.push(template);
    }
    import.tag_changes = super::tags::apply(&mut templates, settings);
    import.header = header(settings, &templates, &tiers);
    import
        .header
        .extend(import.tag_changes.iter().map(|c| format!("Tags: {c}.")));
    import.tenants = (!groups.is_empty()).then(|| placement(&universe, settings));
    import.templates = templates;
    import
}

/// Raw monitors by Datadog id (as composite queries name them): index into the raw monitors.
type RawIds = HashMap<u64, usize>;

fn raw_ids(raw: &[&Monitor]) -> RawIds {
    raw.iter()
        .enumerate()
        .filter_map(|(i, m)| Some((u64::try_from(m.id?).ok()?, i)))
        .collect()
}

fn describe(m: &Monitor) -> String {
    match m.id {
        Some(id) => format!("monitor {id} \"{}\"", m.name),
        None => format!("monitor \"{}\"", m.name),
    }
}

// ---- composites `A && !B && !C` ----

/// A composite that monc can generate from `suppressed_by`: indexes into the raw monitors.
struct Suppression {
    composite: usize,
    target: usize,
    suppressors: Vec<usize>,
}

/// Composites `A && !B && !C ...` over imported monitors, kept only where monc would generate
/// exactly the same composite: no monitor both suppressed and suppressing (monc flattens chains),
/// one composite per target, and a tier below the import tier for the suppressors.
fn find_suppressions(
    raw: &[&Monitor],
    composites: &[&Monitor],
    settings: &Settings,
) -> Vec<Suppression> {
    if settings.tier == 0 {
        return Vec::new();
    }
    let by_id: HashMap<i64, usize> = raw
        .iter()
        .enumerate()
        .filter_map(|(i, m)| Some((m.id?, i)))
        .collect();
    let index = |id: u64| {
        i64::try_from(id)
            .ok()
            .and_then(|id| by_id.get(&id).copied())
    };
    let mut targets = HashSet::new();
    let mut suppressors = HashSet::new();
    let mut found = Vec::new();
    for (c, composite) in composites.iter().enumerate() {
        let Some((a, bs)) = parse_composite_query(&composite.query)
            .ok()
            .and_then(|e| suppression_shape(&e))
        else {
            continue;
        };
        let Some(target) = index(a) else { continue };
        let Some(supp) = bs.into_iter().map(index).collect::<Option<Vec<usize>>>() else {
            continue;
        };
        let distinct: HashSet<usize> = supp.iter().copied().collect();
        let fits = distinct.len() == supp.len()
            && supp.len() < MAX_CONSTITUENTS
            && !distinct.contains(&target)
            && !targets.contains(&target)
            && !suppressors.contains(&target)
            && !supp.iter().any(|s| targets.contains(s));
        if fits {
            targets.insert(target);
            suppressors.extend(supp.iter().copied());
            found.push(Suppression {
                composite: c,
                target,
                suppressors: supp,
            });
        }
    }
    found
}

/// Imported monitors under `!` in a composite kept as written (`(a || b) && !c`): they
/// suppress its other members, as the suppressors of an `A && !B` composite do. A monitor that
/// pages through such a composite itself stays where it is (its suppressors must stay below).
fn negated_in_kept(
    ids: &RawIds,
    composites: &[&Monitor],
    suppressions: &[Suppression],
) -> HashSet<usize> {
    let converted: HashSet<usize> = suppressions.iter().map(|s| s.composite).collect();
    let targets: HashSet<usize> = suppressions.iter().map(|s| s.target).collect();
    let index_of = |id: u64| ids.get(&id).copied();
    composites
        .iter()
        .enumerate()
        .filter(|(c, _)| !converted.contains(c))
        .filter_map(|(_, composite)| parse_composite_query(&composite.query).ok())
        .flat_map(|expr| {
            expr.operands_with_polarity()
                .into_iter()
                .filter_map(|(operand, positive)| match operand {
                    Operand::Id(id) if !positive => index_of(*id),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .filter(|i| !targets.contains(i))
        .collect()
}

/// `A && !B && !C` over monitor IDs → `(A, [B, C])`.
fn suppression_shape(expr: &CompositeExpr) -> Option<(u64, Vec<u64>)> {
    let (target, suppressors) = expr.as_suppression()?;
    let id = |operand: &Operand| match operand {
        Operand::Id(id) => Some(*id),
        Operand::Ref { .. } | Operand::Key(_) => None,
    };
    let suppressors = suppressors
        .into_iter()
        .map(id)
        .collect::<Option<Vec<u64>>>()?;
    Some((id(target)?, suppressors))
}

fn suppress(
    template: &mut ImportedTemplate,
    s: &Suppression,
    composite: &Monitor,
    names: &[String],
) {
    template.suppressed_by = s.suppressors.iter().map(|&b| names[b].clone()).collect();
    template.notify = handles(&composite.message)
        .iter()
        .map(|h| Text::literal(h))
        .collect();
    keep_composite_text(template, composite, None);
    template.comments.push(format!(
        "Adopts {} (`{}`): monc generates it from `suppressed_by`; it pages with its own name and message (`composite`, where they differ from this monitor's), this monitor's options, and the handles in `notify`.",
        describe(composite),
        composite.query.trim()
    ));
    if let Some(adopt) = template.adopts.first().cloned() {
        template.adopts.extend(Adoption::of(
            composite,
            MonitorKey::from(adopt.key.as_str()).composite().into(),
        ));
    }
}

/// A folded group whose members page through composites `A && !B` (all over the same
/// monitors, see [`detect_tenants`]): one `suppressed_by`, and each member's composite
/// adopted as the composite monc generates for that tenant.
fn suppress_group(
    template: &mut ImportedTemplate,
    group: &TenantGroup,
    suppressions: &[Suppression],
    composites: &[&Monitor],
    names: &[String],
) {
    let (first, tenant) = &group.members[0];
    let Some(s) = suppressions.iter().find(|s| s.target == *first) else {
        return;
    };
    template.suppressed_by = s.suppressors.iter().map(|&b| names[b].clone()).collect();
    template.notify = handles(&composites[s.composite].message)
        .iter()
        .map(|h| Text::with_tenant(h, tenant))
        .collect();
    keep_composite_text(template, composites[s.composite], Some(tenant));
    for s in suppressions.iter().filter(|s| group.has(s.target)) {
        let member = group.tenant_of(s.target);
        let key = MonitorKey::new(&template.tier, &template.name, member);
        template.adopts.extend(Adoption::of(
            composites[s.composite],
            key.composite().into(),
        ));
    }
    template.comments.push(format!(
        "Each tenant's monitor paged through its own composite `A && !B`; monc generates them from `suppressed_by` and adopts them ({}).",
        suppressions
            .iter()
            .filter(|s| group.has(s.target))
            .filter_map(|s| composites[s.composite].id.map(|id| id.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

use crate::handles::in_message as handles;

/// `composite = { name, message }` for the composite's own name and message where they differ
/// from the monitor's, which the generated composite would take instead. Its message keeps the
/// handles where they were: monc appends only handles a message does not mention.
fn keep_composite_text(template: &mut ImportedTemplate, composite: &Monitor, tenant: Option<&str>) {
    let text = |s: &str| match tenant {
        Some(t) => Text::with_tenant(s, t),
        None => Text::literal(s),
    };
    let name = text(composite.name.trim());
    if name != template.display_name {
        template.composite_name = Some(name);
    }
    let message = text(composite.message.trim_end());
    if message != trimmed(&template.message) {
        template.composite_message = Some(message);
    }
    // What monc would give the composite: a few options copied from the monitor.
    let copied: JsonMap<String, Json> = [
        "renotify_interval",
        "escalation_message",
        "notify_no_data",
        "include_tags",
    ]
    .into_iter()
    .filter_map(|k| Some((k.to_string(), template.options.get(k)?.clone())))
    .collect();
    let (_, own) = split_thresholds(&composite.options);
    if normalize_options(&own) != normalize_options(&copied) {
        template.composite_options = Some(own);
    }
}

/// `text` without trailing white space.
fn trimmed(text: &Text) -> Text {
    let mut parts = text.0.clone();
    if let Some(last) = parts.last_mut() {
        *last = last.trim_end().to_string();
    }
    Text(parts)
}

/// A composite's query with imported monitors named `monitor.<name>` (`["tenant"]` for
/// per-tenant ones); IDs of monitors not imported stay as they are.
fn symbolic_query(query: &str, ids: &RawIds, names: &[String], groups: &[TenantGroup]) -> String {
    let query = query.trim();
    let Ok(expr) = parse_composite_query(query) else {
        return query.to_string();
    };
    let reference = |id: u64| {
        let &i = ids.get(&id)?;
        let tenant = groups.iter().find_map(|g| g.tenant_of(i));
        Some(match tenant {
            Some(t) => format!("monitor.{}[\"{t}\"]", names[i]),
            None => format!("monitor.{}", names[i]),
        })
    };
    // As written: Datadog does not document `&&` over `||`, so no parenthesis is added or lost.
    expr.replace_operands_in(query, &|operand: &Operand| match operand {
        Operand::Id(id) => reference(*id).unwrap_or_else(|| id.to_string()),
        other => other.to_string(),
    })
}

// ---- tenants ----

/// (index into the raw monitors, tenant name).
type Member = (usize, String);

/// Monitors equal but for the tenant's name: one per-tenant template.
#[derive(Clone)]
struct TenantGroup {
    /// In input order.
    members: Vec<Member>,
    /// Position in `members` by monitor index: lookups stay linear in the org's size.
    positions: HashMap<usize, usize>,
}

impl TenantGroup {
    fn new(first: Member) -> TenantGroup {
        let mut group = TenantGroup {
            members: Vec::new(),
            positions: HashMap::new(),
        };
        group.push(first);
        group
    }

    fn push(&mut self, member: Member) {
        self.positions.insert(member.0, self.members.len());
        self.members.push(member);
    }

    fn has(&self, i: usize) -> bool {
        self.positions.contains_key(&i)
    }

    /// The members' tenants, sorted.
    fn tenants(&self) -> Vec<&str> {
        let mut tenants: Vec<&str> = self.members.iter().map(|(_, t)| t.as_str()).collect();
        tenants.sort_unstable();
        tenants
    }

    fn tenant_of(&self, i: usize) -> Option<&str> {
        let &position = self.positions.get(&i)?;
        Some(self.members[position].1.as_str())
    }
}

/// Groups monitors that are equal once the value of the `--detect-tenants` tag is replaced by
/// `${tenant.name}`, including monitors that page through their own composite `A && !B` when
/// every member does so over the same monitors (the per-tenant L3 pattern). A group that covers
/// some tenants only is kept too: its template is `enabled` for them (see [`tenant_template`]).
/// Returns the groups, and for each group of monitors equal but for the tenant that was not
/// folded, why.
fn detect_tenants(
    raw: &[&Monitor],
    composites: &[&Monitor],
    suppressions: &[Suppression],
    settings: &Settings,
) -> (Vec<TenantGroup>, Vec<String>) {
    if settings.detect_tenants.is_none() && settings.tenant_hints.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let similar = similar_groups(raw.iter().enumerate().filter_map(|(i, m)| {
        let tenant = tenant_of(m, settings)?;
        let signature = signature(m, &tenant);
        Some((i, tenant, signature))
    }));
    let mut groups = Vec::new();
    let mut not_folded: Vec<String> = key_found_nowhere(raw, settings).into_iter().collect();
    for group in &similar {
        let why = why_not_foldable(raw, composites, suppressions, group);
        match why {
            Some(why) => not_folded.push(format!(
                "{} ({}): not folded into one per-tenant template: {why}",
                describe(raw[group.members[0].0]),
                group.tenants().join(", ")
            )),
            None => groups.push(group.clone()),
        }
    }
    (groups, not_folded)
}

/// Composites kept as written that are equal once the tenant is replaced, over the same
/// per-tenant templates (each naming its own tenant's monitors) and single monitors: one
/// per-tenant composite template. Folded only alongside folded monitors, and only if they
/// cover exactly the tenants those declare.
fn detect_tenant_composites(
    ids: &RawIds,
    composites: &[&Monitor],
    converted: &HashSet<usize>,
    groups: &[TenantGroup],
    universe: &BTreeSet<String>,
    settings: &Settings,
) -> (Vec<TenantGroup>, Vec<String>) {
    if groups.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let kept = composites
        .iter()
        .enumerate()
        .filter(|(c, _)| !converted.contains(c));
    let similar = similar_groups(kept.filter_map(|(c, composite)| {
        let tenant = tenant_of(composite, settings)?;
        let mut shaped = (*composite).clone();
        shaped.query = composite_shape(&composite.query, ids, groups)?;
        let signature = signature(&shaped, &tenant);
        Some((c, tenant, signature))
    }));
    let mut folded = Vec::new();
    let mut not_folded = Vec::new();
    for group in similar {
        let tenants = group.tenants();
        let why = match tenants.windows(2).find(|w| w[0] == w[1]) {
            Some(twice) => Some(format!("there are two such composites for {}", twice[0])),
            None => missing_tenants(&group, universe),
        };
        match why {
            Some(why) => not_folded.push(format!(
                "{} ({}): not folded into one per-tenant template: {why}",
                describe(composites[group.members[0].0]),
                tenants.join(", ")
            )),
            None => folded.push(group),
        }
    }
    (folded, not_folded)
}

/// Whether the first member's query, with its tenant made `${tenant.name}`, gives every
/// member's own query back.
fn stamps_out_each(
    group: &TenantGroup,
    composites: &[&Monitor],
    ids: &RawIds,
    names: &[String],
    groups: &[TenantGroup],
) -> bool {
    let query = |c: usize| symbolic_query(&composites[c].query, ids, names, groups);
    let (first, first_tenant) = &group.members[0];
    let template = Text::with_tenant(&query(*first), first_tenant);
    group
        .members
        .iter()
        .all(|(c, tenant)| template.0.join(tenant) == query(*c))
}

/// A composite's query with each imported monitor written as its template and tenant
/// (`#errors[acme]`, `#db_down`), so that composites over their own tenant's monitors compare
/// equal once the tenant is replaced. `None` if it names a monitor not imported.
fn composite_shape(query: &str, ids: &RawIds, groups: &[TenantGroup]) -> Option<String> {
    let query = query.trim();
    let expr = parse_composite_query(query).ok()?;
    let mut shapes = HashMap::new();
    for (operand, _) in expr.operands() {
        let Operand::Id(id) = operand else {
            return None;
        };
        let &i = ids.get(id)?;
        let shape = match groups.iter().position(|g| g.has(i)) {
            Some(g) => format!("#group{g}[{}]", groups[g].tenant_of(i).unwrap_or_default()),
            None => format!("#monitor{i}"),
        };
        shapes.insert(*id, shape);
    }
    Some(expr.replace_operands_in(query, &|operand| match operand {
        Operand::Id(id) => shapes.get(id).cloned().unwrap_or_default(),
        other => other.to_string(),
    }))
}

/// `(index, tenant, signature)` grouped by signature, in input order; groups of two or more.
fn similar_groups(items: impl Iterator<Item = (usize, String, String)>) -> Vec<TenantGroup> {
    let mut by_signature: HashMap<String, usize> = HashMap::new();
    let mut similar: Vec<TenantGroup> = Vec::new();
    for (i, tenant, signature) in items {
        match by_signature.get(&signature) {
            Some(&g) => similar[g].push((i, tenant)),
            None => {
                by_signature.insert(signature, similar.len());
                similar.push(TenantGroup::new((i, tenant)));
            }
        }
    }
    similar.retain(|g| g.members.len() >= 2);
    similar
}

/// Why monitors equal but for the tenant cannot become one template, whatever the tenants.
fn why_not_foldable(
    raw: &[&Monitor],
    composites: &[&Monitor],
    suppressions: &[Suppression],
    group: &TenantGroup,
) -> Option<String> {
    let tenants = group.tenants();
    if let Some(twice) = tenants.windows(2).find(|w| w[0] == w[1]) {
        return Some(format!("there are two such monitors for {}", twice[0]));
    }
    let suppressing: Vec<&str> = group
        .members
        .iter()
        .filter(|(i, _)| suppressions.iter().any(|s| s.suppressors.contains(i)))
        .map(|(_, t)| t.as_str())
        .collect();
    if !suppressing.is_empty() {
        return Some(format!(
            "those of {} silence other monitors through composites `A && !B`; monc keeps such suppressors as single templates",
            suppressing.join(", ")
        ));
    }
    // How each member pages: directly, or through its composite over which monitors, with
    // which handles (the tenant's name replaced).
    let paging = |(i, tenant): &Member| {
        suppressions.iter().find(|s| s.target == *i).map(|s| {
            let composite = composites[s.composite];
            let handles: Vec<Vec<String>> = handles(&composite.message)
                .iter()
                .map(|h| Text::with_tenant(h, tenant).0)
                .collect();
            let mut over = s.suppressors.clone();
            over.sort_unstable();
            let words = [&composite.name, &composite.message]
                .map(|s| Text::with_tenant(s.trim_end(), tenant).0);
            (over, handles, words)
        })
    };
    let first = paging(&group.members[0]);
    if group.members.iter().all(|m| paging(m) == first) {
        return None;
    }
    let (through, direct): (Vec<&Member>, Vec<&Member>) =
        group.members.iter().partition(|m| paging(m).is_some());
    let names = |members: &[&Member]| {
        members
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !through.is_empty() && !direct.is_empty() {
        let verb = if direct.len() == 1 { "does" } else { "do" };
        return Some(format!(
            "{} page through a composite `A && !B` and {} {verb} not; monc generates a composite for every tenant or for none",
            names(&through),
            names(&direct)
        ));
    }
    let described: Vec<String> = through
        .iter()
        .filter_map(|m| {
            let (over, _, _) = paging(m)?;
            let over: Vec<String> = over
                .iter()
                .map(|&b| format!("\"{}\"", raw[b].name))
                .collect();
            Some(format!("{}: !{}", m.1, over.join(" && !")))
        })
        .collect();
    Some(format!(
        "their composites silence them with different monitors, notify different handles or have different names or messages ({}); `suppressed_by` and `composite` are one for every tenant",
        described.join("; ")
    ))
}

/// The tenants a group has no monitor for, if any: `for_each = tenants` would create them.
fn missing_tenants(group: &TenantGroup, universe: &BTreeSet<String>) -> Option<String> {
    let has: BTreeSet<&str> = group.members.iter().map(|(_, t)| t.as_str()).collect();
    let missing: Vec<&str> = universe
        .iter()
        .map(String::as_str)
        .filter(|t| !has.contains(t))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "no monitor for {}; `for_each = tenants` would create one for every tenant",
            missing.join(", ")
        )
    })
}

/// The tenant a monitor belongs to: the value of its one `--detect-tenants` tag, else the
/// tenant its Terraform address suggests, else the value of that tag key in its query's scope
/// (`{owner:team_a,env:prod}`); only if usable as a tenant name and found in the monitor's
/// text (a Terraform key found nowhere in it is structure, not a tenant). A name without it
/// is kept: each tenant's copy then has the same name, as in the org.
fn tenant_of(m: &Monitor, settings: &Settings) -> Option<String> {
    let key = settings.detect_tenants.as_deref();
    let hinted = || {
        m.id.and_then(|id| settings.tenant_hints.get(&id))
            .map(String::as_str)
    };
    let value = key
        .and_then(|k| tag_value(m, k))
        .or_else(hinted)
        .or_else(|| key.and_then(|k| scope_value(&m.query, k)))?;
    let visible = [&m.name, &m.query, &m.message]
        .into_iter()
        .chain(&m.tags)
        .any(|text| text.contains(value));
    (check_name(value).is_ok() && visible).then(|| value.to_string())
}

/// The value of the monitor's one `key:value` tag.
fn tag_value<'m>(m: &'m Monitor, key: &str) -> Option<&'m str> {
    one_value(
        m.tags
            .iter()
            .filter_map(|t| t.strip_prefix(key)?.strip_prefix(':')),
    )
}

/// The one value of `key:value` in the scopes `{...}` of `query` (`team_a` of
/// `avg:api.errors{owner:team_a,env:prod}` for `owner`); negated ones (`!owner:x`) do not count.
fn scope_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    let scopes = query
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(scope, _)| scope));
    let terms = scopes.flat_map(|scope| scope.split([',', ' ', '(', ')']));
    one_value(terms.filter_map(|term| term.trim().strip_prefix(key)?.strip_prefix(':')))
}

/// The value if there is exactly one distinct value.
fn one_value<'a>(mut values: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let first = values.next()?;
    values.all(|v| v == first).then_some(first)
}

/// `--detect-tenants KEY` that finds the key on no monitor, said (else it folds nothing
/// silently).
fn key_found_nowhere(raw: &[&Monitor], settings: &Settings) -> Option<String> {
    let key = settings.detect_tenants.as_deref()?;
    let found = raw
        .iter()
        .any(|m| tag_value(m, key).is_some() || scope_value(&m.query, key).is_some());
    (!found).then(|| {
        format!(
            "--detect-tenants {key}: no monitor has an `{key}:` tag or `{key}:` in its query's scope; nothing was folded by it"
        )
    })
}

fn signature(m: &Monitor, tenant: &str) -> String {
    let text = |s: &str| Text::with_tenant(s, tenant).0;
    let mut tags: Vec<Vec<String>> = m.tags.iter().map(|t| text(t)).collect();
    tags.sort();
    serde_json::json!([
        m.monitor_type,
        text(&m.name),
        text(&m.query),
        text(&m.message),
        tags,
        m.options,
        m.priority
    ])
    .to_string()
}

/// Every tenant: the project's and those of the folded groups.
fn all_tenants(groups: &[TenantGroup], settings: &Settings) -> BTreeSet<String> {
    let detected = groups.iter().flat_map(|g| g.members.iter().map(|(_, t)| t));
    settings
        .existing_tenants
        .iter()
        .chain(detected)
        .cloned()
        .collect()
}

fn placement(universe: &BTreeSet<String>, settings: &Settings) -> TenantPlacement {
    let new_tenants: Vec<String> = universe
        .iter()
        .filter(|t| !settings.existing_tenants.contains(t))
        .cloned()
        .collect();
    let existing = settings.existing_clusters.first();
    TenantPlacement {
        new_tenants,
        cluster: existing
            .map_or(PLACEHOLDER_CLUSTER, String::as_str)
            .to_string(),
        declare_cluster: existing.is_none(),
    }
}

// ---- templates ----

fn single_template(m: &Monitor, name: &str, tier: &str) -> ImportedTemplate {
    let (thresholds, options) = split_thresholds(&m.options);
    ImportedTemplate {
        name: name.to_string(),
        tier: tier.to_string(),
        per_tenant: false,
        display_name: Text::literal(&m.name),
        monitor_type: m.monitor_type.clone(),
        query: Text::literal(&m.query),
        message: Text::literal(&m.message),
        tags: m.tags.iter().map(|t| Text::literal(t)).collect(),
        thresholds,
        options,
        priority: m.priority,
        // The handles the message mentions: they page, so `notify` says so (for `monc graph`,
        // `monc test` and suppression); they stay in the text too, and monc appends only
        // handles a message does not mention, so the message is unchanged.
        notify: handles(&m.message)
            .iter()
            .map(|h| Text::literal(h))
            .collect(),
        suppressed_by: Vec::new(),
        composite_name: None,
        composite_message: None,
        composite_options: None,
        comments: Vec::new(),
        ignore: Vec::new(),
        enabled_for: None,
        adopts: Adoption::of(m, MonitorKey::new(tier, name, None).into())
            .into_iter()
            .collect(),
    }
}

/// One template for a group of monitors equal but for the tenant; `enabled` for the group's
/// tenants when not every tenant (of `universe`) has such a monitor.
fn tenant_template(
    raw: &[&Monitor],
    group: &TenantGroup,
    name: &str,
    tier: &str,
    universe: &BTreeSet<String>,
) -> ImportedTemplate {
    let (first, tenant) = &group.members[0];
    let m = raw[*first];
    let text = |s: &str| Text::with_tenant(s, tenant);
    let mut template = single_template(m, name, tier);
    template.per_tenant = true;
    template.display_name = text(&m.name);
    template.query = text(&m.query);
    template.message = text(&m.message);
    template.notify = handles(&m.message).iter().map(|h| text(h)).collect();
    template.tags = m.tags.iter().map(|t| text(t)).collect();
    template.adopts = group
        .members
        .iter()
        .filter_map(|(i, t)| Adoption::of(raw[*i], MonitorKey::new(tier, name, Some(t)).into()))
        .collect();
    let ids: Vec<String> = group
        .members
        .iter()
        .map(|(i, t)| {
            format!(
                "{t}: {}",
                raw[*i].id.map_or("no id".into(), |id| id.to_string())
            )
        })
        .collect();
    template.comments.push(format!(
        "One template for {} monitors that differ only in the tenant ({}).",
        group.members.len(),
        ids.join(", ")
    ));
    let tenants: Vec<String> = group.tenants().into_iter().map(String::from).collect();
    if tenants.len() < universe.len() {
        let others: Vec<&str> = universe
            .iter()
            .map(String::as_str)
            .filter(|t| !tenants.iter().any(|have| have == t))
            .collect();
        template.comments.push(format!(
            "Only {} have this monitor: `enabled` turns it off for the other tenants ({}).",
            tenants.join(", "),
            others.join(", ")
        ));
        template.enabled_for = Some(tenants);
    }
    if template.display_name.0.len() == 1 {
        template.ignore.push(Code::DuplicateName.to_string());
        template.comments.push(
            "Every tenant's monitor has this same name, as in the org; people on call tell monitors apart by name, so consider adding ${tenant.name} to it (and removing `ignore`).".into(),
        );
    }
    template
}

/// `options.thresholds` goes to the top-level `thresholds` attribute, as the README writes it.
/// Options equal to what Datadog fills in anyway (`notify_audit = false`, `silenced = {}`, …)
/// are left out: they compare equal either way and only clutter the file.
fn split_thresholds(options: &JsonMap<String, Json>) -> (Option<Json>, JsonMap<String, Json>) {
    let mut options: JsonMap<String, Json> = options
        .iter()
        .filter(|(k, v)| !is_server_default(k, v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match options.get("thresholds") {
        Some(Json::Object(_)) => (options.remove("thresholds"), options),
        _ => (None, options),
    }
}

fn is_server_default(key: &str, value: &Json) -> bool {
    let single = JsonMap::from_iter([(key.to_string(), value.clone())]);
    normalize_options(&single).is_empty()
}

// ---- names and tiers ----

/// ImportedTemplate names: from the monitor's name, unique among the project's and each other.
struct Names {
    raw: Vec<String>,
    composites: Vec<String>,
}

impl Names {
    fn assign(
        raw: &[&Monitor],
        composites: &[&Monitor],
        groups: &[TenantGroup],
        composite_groups: &[TenantGroup],
        settings: &Settings,
    ) -> Names {
        let mut used: HashSet<String> = settings.existing_templates.iter().cloned().collect();
        let mut fresh = |wanted: &str| {
            let base = slug(wanted);
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            name
        };
        let mut name_all = |monitors: &[&Monitor], groups: &[TenantGroup]| -> Vec<String> {
            let mut names: Vec<Option<String>> = vec![None; monitors.len()];
            for (i, m) in monitors.iter().enumerate() {
                if names[i].is_some() {
                    continue;
                }
                match groups.iter().find(|g| g.has(i)) {
                    Some(g) => {
                        let tenant = g.tenant_of(i).unwrap_or_default();
                        let name = fresh(&Text::with_tenant(&m.name, tenant).0.join(" "));
                        for (member, _) in &g.members {
                            names[*member] = Some(name.clone());
                        }
                    }
                    None => names[i] = Some(fresh(&m.name)),
                }
            }
            names.into_iter().map(Option::unwrap_or_default).collect()
        };
        Names {
            raw: name_all(raw, groups),
            composites: name_all(composites, composite_groups),
        }
    }
}

/// `[Algorithmia] Excessive Runtime` → `algorithmia_excessive_runtime`.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    let slug: String = slug.trim_matches('_').chars().take(60).collect();
    let slug = slug.trim_end_matches('_');
    if slug.is_empty() {
        "monitor".into()
    } else {
        slug.to_string()
    }
}

struct Tiers {
    top: String,
    lower: String,
    suppressors: HashSet<usize>,
}

impl Tiers {
    /// Suppressors of `A && !B` composites, and `negated` (see [`negated_in_kept`]), go one
    /// tier lower.
    fn new(settings: &Settings, suppressions: &[Suppression], negated: &HashSet<usize>) -> Tiers {
        let tier = |i: usize| settings.tiers.get(i).cloned().unwrap_or_default();
        let mut suppressors: HashSet<usize> = suppressions
            .iter()
            .flat_map(|s| s.suppressors.iter().copied())
            .collect();
        suppressors.extend(negated);
        Tiers {
            top: tier(settings.tier),
            lower: tier(settings.tier.saturating_sub(1)),
            suppressors,
        }
    }

    fn of(&self, raw: usize) -> &str {
        if self.suppressors.contains(&raw) {
            &self.lower
        } else {
            &self.top
        }
    }
}

fn header(settings: &Settings, templates: &[ImportedTemplate], tiers: &Tiers) -> Vec<String> {
    let monitors: usize = templates.iter().map(|t| t.adopts.len().max(1)).sum();
    let mut lines = vec![
        format!(
            "Imported by `monc import` from {}: {}.",
            settings.source,
            crate::english::counted(templates.len(), "template")
        ),
        format!(
            "Tiers: imported monitors are in {} (the top tier unless --tier says otherwise).",
            tiers.top
        ),
    ];
    if !tiers.suppressors.is_empty() {
        lines.push(format!(
            "Monitors that silence others through a composite (`A && !B`, or under `!` in one kept as written) are in {}, one tier lower: a suppressor must sit in a strictly lower tier.",
            tiers.lower
        ));
    }
    lines.push(
        "Options equal to what Datadog fills in anyway (notify_audit = false, silenced = {}, ...) are left out.".into(),
    );
    lines.push(
        "`notify` lists the handles each message mentions, which page: they stay in the message too (monc appends only handles a message does not mention), and `notify = []` means the project's `notify` is not added.".into(),
    );
    lines.push(format!(
        "monc adds tier:/tenant:/cluster: tags, the project's default_tags and its ownership tags to the {monitors} monitors on the next sync."
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_template_names() {
        assert_eq!(
            slug("[Algorithmia] Excessive Runtime!"),
            "algorithmia_excessive_runtime"
        );
        assert_eq!(slug("日本"), "monitor");
        assert!(check_name(&slug("  --Über CPU--  ")).is_ok());
    }

    #[test]
    fn recognises_only_the_suppression_shape() {
        let shape = |q: &str| suppression_shape(&parse_composite_query(q).unwrap());
        assert_eq!(shape("1 && !2 && !3"), Some((1, vec![2, 3])));
        assert_eq!(shape("1 && 2"), None);
        assert_eq!(shape("1 || !2"), None);
        assert_eq!(shape("!2 && 1"), None);
    }
}
