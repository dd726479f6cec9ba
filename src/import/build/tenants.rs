//! Tenants in imported monitors (`--detect-tenants`, Terraform addresses): monitors equal but
//! for the tenant's name fold into one per-tenant template, and composites over them too.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::composites::{Suppression, symbolic_query};
use super::{PLACEHOLDER_CLUSTER, RawIds, describe};
use crate::datadog::Monitor;
use crate::handles::in_message as handles;
use crate::import::{Settings, TenantPlacement, Text};
use crate::model::check_name;
use crate::query::{Operand, parse_composite_query};

/// (index into the raw monitors, tenant name).
type Member = (usize, String);

/// Monitors equal but for the tenant's name: one per-tenant template.
#[derive(Clone)]
pub(super) struct TenantGroup {
    /// In input order.
    pub(super) members: Vec<Member>,
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

    pub(super) fn has(&self, i: usize) -> bool {
        self.positions.contains_key(&i)
    }

    /// The members' tenants, sorted.
    pub(super) fn tenants(&self) -> Vec<&str> {
        let mut tenants: Vec<&str> = self.members.iter().map(|(_, t)| t.as_str()).collect();
        tenants.sort_unstable();
        tenants
    }

    pub(super) fn tenant_of(&self, i: usize) -> Option<&str> {
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
pub(super) fn detect_tenants(
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
pub(super) fn detect_tenant_composites(
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
        shaped.body.query = composite_shape(&composite.body.query, ids, groups)?;
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
pub(super) fn stamps_out_each(
    group: &TenantGroup,
    composites: &[&Monitor],
    ids: &RawIds,
    names: &[String],
    groups: &[TenantGroup],
) -> bool {
    let query = |c: usize| symbolic_query(&composites[c].body.query, ids, names, groups);
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
            let handles: Vec<Vec<String>> = handles(&composite.body.message)
                .iter()
                .map(|h| Text::with_tenant(h, tenant).0)
                .collect();
            let mut over = s.suppressors.clone();
            over.sort_unstable();
            let words = [&composite.body.name, &composite.body.message]
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
                .map(|&b| format!("\"{}\"", raw[b].body.name))
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
pub(super) fn tenant_of(m: &Monitor, settings: &Settings) -> Option<String> {
    let key = settings.detect_tenants.as_deref();
    let hinted = || {
        m.id.and_then(|id| settings.tenant_hints.get(&id))
            .map(String::as_str)
    };
    let value = key
        .and_then(|k| tag_value(m, k))
        .or_else(hinted)
        .or_else(|| key.and_then(|k| scope_value(&m.body.query, k)))?;
    let visible = [&m.body.name, &m.body.query, &m.body.message]
        .into_iter()
        .chain(&m.body.tags)
        .any(|text| text.contains(value));
    (check_name(value).is_ok() && visible).then(|| value.to_string())
}

/// The value of the monitor's one `key:value` tag.
fn tag_value<'m>(m: &'m Monitor, key: &str) -> Option<&'m str> {
    one_value(
        m.body
            .tags
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
        .any(|m| tag_value(m, key).is_some() || scope_value(&m.body.query, key).is_some());
    (!found).then(|| {
        format!(
            "--detect-tenants {key}: no monitor has an `{key}:` tag or `{key}:` in its query's scope; nothing was folded by it"
        )
    })
}

fn signature(m: &Monitor, tenant: &str) -> String {
    let text = |s: &str| Text::with_tenant(s, tenant).0;
    let mut tags: Vec<Vec<String>> = m.body.tags.iter().map(|t| text(t)).collect();
    tags.sort();
    serde_json::json!([
        m.body.monitor_type,
        text(&m.body.name),
        text(&m.body.query),
        text(&m.body.message),
        tags,
        m.body.options,
        m.body.priority
    ])
    .to_string()
}

/// Every tenant: the project's and those of the folded groups.
pub(super) fn all_tenants(groups: &[TenantGroup], settings: &Settings) -> BTreeSet<String> {
    let detected = groups.iter().flat_map(|g| g.members.iter().map(|(_, t)| t));
    settings
        .existing_tenants
        .iter()
        .chain(detected)
        .cloned()
        .collect()
}

pub(super) fn placement(universe: &BTreeSet<String>, settings: &Settings) -> TenantPlacement {
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
