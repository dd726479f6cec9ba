//! Where a `datadog_monitor` instance sits in a Terraform state, and which of the instance keys
//! on its way (`module.service["web-app"].module.database[0].datadog_monitor.x[0]`) names its
//! tenant.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value as Json;

/// One resource instance's place: the resource without instance keys, and the string key of
/// each module instance on the way, then the resource's own (`None` for no key or a `count`
/// index `[0]`, which numbers copies and names no tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub shape: String,
    pub keys: Vec<Option<String>>,
    /// The name of the state it is in, when several are read (`team-a` of `team-a.tfstate`).
    pub state: Option<String>,
}

impl Place {
    /// The place of the instance with `index` of resource `kind.name` in `module`.
    pub fn of(module: &str, kind: &str, name: &str, index: Option<&Json>) -> Place {
        let mut shape = String::new();
        let mut keys = Vec::new();
        for (module_name, key) in module_instances(module) {
            shape.push_str(&format!("module.{module_name}."));
            keys.push(key);
        }
        shape.push_str(&format!("{kind}.{name}"));
        keys.push(index.and_then(Json::as_str).map(String::from));
        Place {
            shape,
            keys,
            state: None,
        }
    }

    /// The keys from the outside in: the state's name first, when there is one.
    fn levels(&self) -> Vec<Option<&String>> {
        let state = self.state.iter().map(Some);
        state.chain(self.keys.iter().map(Option::as_ref)).collect()
    }
}

/// For each monitor id, the key that names its tenant: among the instances of the same
/// resource (in every state read), the outermost string key that differs between them (the
/// state's name first: one state per team; an outer `env["prod"]` the same for all names no
/// tenant); for a resource whose keys never differ (one instance), its outermost string key in
/// the state.
pub fn tenant_hints(places: &[(i64, Place)]) -> HashMap<i64, String> {
    let mut by_shape: HashMap<&str, Vec<&(i64, Place)>> = HashMap::new();
    for place in places {
        by_shape.entry(&place.1.shape).or_default().push(place);
    }
    let mut hints = HashMap::new();
    for instances in by_shape.values() {
        let levels: Vec<Vec<Option<&String>>> = instances.iter().map(|(_, p)| p.levels()).collect();
        let depth = levels.iter().map(Vec::len).max().unwrap_or(0);
        let varies = |level: usize| {
            let values: BTreeSet<Option<&String>> = levels
                .iter()
                .map(|l| l.get(level).copied().flatten())
                .collect();
            values.len() > 1 && values.iter().all(Option::is_some)
        };
        let level = (0..depth).find(|&l| varies(l));
        for ((id, place), levels) in instances.iter().zip(&levels) {
            let key = match level {
                Some(l) => levels.get(l).copied().flatten(),
                None => place.keys.iter().flatten().next(),
            };
            if let Some(key) = key {
                hints.insert(*id, key.clone());
            }
        }
    }
    hints
}

/// `module.a["k"].module.b[0]` → `[("a", Some("k")), ("b", None)]`. Anything not in that form
/// ends the list (a state Terraform wrote is always in it).
fn module_instances(module: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    let mut rest = module;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['[', '.']).unwrap_or(after.len());
        let name = after[..end].to_string();
        rest = &after[end..];
        let mut key = None;
        if let Some(index) = rest.strip_prefix('[') {
            let Some((parsed, after_key)) = instance_key(index) else {
                break;
            };
            key = parsed;
            rest = after_key;
        }
        found.push((name, key));
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    found
}

/// After a `[`: the string key (or `None` for a number) and what follows the `]`.
fn instance_key(text: &str) -> Option<(Option<String>, &str)> {
    let Some(quoted) = text.strip_prefix('"') else {
        let (_, after) = text.split_once(']')?;
        return Some((None, after));
    };
    let mut key = String::new();
    let mut chars = quoted.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => key.extend(chars.next().map(|(_, c)| c)),
            '"' => return Some((Some(key), quoted[at + 1..].strip_prefix(']')?)),
            c => key.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_instances_keep_string_keys_only() {
        assert_eq!(
            module_instances(r#"module.svc["web.app \"x\""].module.database[0].module.leaf"#),
            vec![
                ("svc".to_string(), Some("web.app \"x\"".to_string())),
                ("database".to_string(), None),
                ("leaf".to_string(), None),
            ]
        );
        assert_eq!(module_instances(""), vec![]);
        assert_eq!(module_instances(r#"module.x["unterminated"#), vec![]);
    }

    #[test]
    fn the_outermost_key_that_varies_is_the_tenant() {
        let at = |id, module: &str| {
            let place = Place::of(module, "datadog_monitor", "x", Some(&Json::from(0)));
            (id, place)
        };
        let places = [
            at(1, r#"module.env["prod"].module.svc["a"].module.db[0]"#),
            at(2, r#"module.env["prod"].module.svc["b"].module.db[0]"#),
            at(3, r#"module.monitors.module.level3["tenant-a"]"#),
        ];
        let hints = tenant_hints(&places);
        assert_eq!(hints.get(&1).map(String::as_str), Some("a"));
        assert_eq!(hints.get(&2).map(String::as_str), Some("b"));
        assert_eq!(hints.get(&3).map(String::as_str), Some("tenant-a"));
    }

    #[test]
    fn the_state_name_is_the_tenant_when_it_varies() {
        let at = |id, state: Option<&str>| {
            let mut place = Place::of("module.api", "datadog_monitor", "x", None);
            place.state = state.map(String::from);
            (id, place)
        };
        let hints = tenant_hints(&[at(1, Some("team-a")), at(2, Some("team-b"))]);
        assert_eq!(hints.get(&1).map(String::as_str), Some("team-a"));
        assert_eq!(hints.get(&2).map(String::as_str), Some("team-b"));
        assert!(
            tenant_hints(&[at(3, Some("prod"))]).is_empty(),
            "one state names no tenant"
        );
    }
}
