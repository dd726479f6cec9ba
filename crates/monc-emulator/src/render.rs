//! How each endpoint shows a stored monitor: the recorded answers differ in a few fields.

use serde_json::{Map, Value, json};

use super::states;

/// POST and PUT answers carry `restriction_policy: null` after `restricted_roles` (every
/// recorded write answer since 2024-10); GET and list answers never do.
pub(crate) fn write_answer(stored: Map<String, Value>) -> Map<String, Value> {
    let mut answer = Map::new();
    for (key, value) in stored {
        if key == states::GROUPS_KEY {
            continue;
        }
        let after_roles = key == "restricted_roles";
        answer.insert(key, value);
        if after_roles {
            answer.insert("restriction_policy".into(), Value::Null);
        }
    }
    answer
}

/// GET and list answers. Recorded in terraform-provider-datadog's TestAccDatadogMonitor_Assets
/// (2025-12): without `with_assets=true`, `assets` is `[]` even when the monitor has some; with
/// it, the assets come without their `monitor_id`.
pub(crate) fn read_answer(mut stored: Map<String, Value>, with_assets: bool) -> Map<String, Value> {
    stored.remove(states::GROUPS_KEY);
    let assets = match stored.get_mut("assets") {
        Some(Value::Array(assets)) if with_assets => {
            for asset in assets.iter_mut().filter_map(Value::as_object_mut) {
                asset.remove("monitor_id");
            }
            Value::Array(std::mem::take(assets))
        }
        _ => json!([]),
    };
    stored.insert("assets".into(), assets);
    stored
}

/// A read answer with `state` added when `group_states` was asked for (the recorded answers,
/// asked without it, have no `state`). Documented: `group_states` is a comma-separated list of
/// `all`, `alert`, `warn`, `no data` (and `ok`).
/// GUESS (behaviour): where in the object `state` goes (here: after `overall_state`).
pub(crate) fn read_answer_with_states(
    stored: Map<String, Value>,
    with_assets: bool,
    group_states: &[String],
) -> Map<String, Value> {
    let state = (!group_states.is_empty()).then(|| states::rendered_state(&stored, group_states));
    let answer = read_answer(stored, with_assets);
    let Some(state) = state else {
        return answer;
    };
    let mut placed = Map::new();
    for (key, value) in answer {
        let after_overall_state = key == "overall_state";
        placed.insert(key, value);
        if after_overall_state {
            placed.insert("state".into(), state.clone());
        }
    }
    placed.entry("state").or_insert(state);
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Map<String, Value> {
        json!({"id": 7, "restricted_roles": null, "draft_status": "published",
               "assets": [{"monitor_id": 7, "name": "Runbook", "url": "/notebook/1"}]})
        .as_object()
        .cloned()
        .expect("object")
    }

    #[test]
    fn write_answers_add_restriction_policy_after_restricted_roles() {
        let keys: Vec<String> = write_answer(stored()).keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "id",
                "restricted_roles",
                "restriction_policy",
                "draft_status",
                "assets"
            ]
        );
    }

    #[test]
    fn reads_show_assets_only_when_asked() {
        assert_eq!(read_answer(stored(), false)["assets"], json!([]));
        assert_eq!(
            read_answer(stored(), true)["assets"],
            json!([{"name": "Runbook", "url": "/notebook/1"}])
        );
    }
}
