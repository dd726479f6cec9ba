//! Terraform's list, set and map functions. monc has no set type: a set is a list without
//! duplicates, in Terraform's order for sets (strings lexically, numbers by value).

use hcl::eval::FuncArgs;
use hcl::{Map, Value};

use super::describe_value;
use super::functions::{Args, number};

/// `setproduct` gives no more combinations than this.
const MAX_PRODUCT: usize = 100_000;

/// Terraform refuses a `range` of more than this many numbers (go-cty's limit), so no call
/// allocates without bound.
const MAX_RANGE: usize = 1024;

pub(super) fn merge(a: FuncArgs) -> Result<Value, String> {
    let mut merged = Map::new();
    for index in 0..a.len() {
        if a[index].is_null() {
            continue;
        }
        for (key, value) in a.object(index)? {
            merged.insert(key.clone(), value.clone());
        }
    }
    Ok(Value::Object(merged))
}

/// `alltrue` and `anytrue`: every element a boolean (or a string holding one).
pub(super) fn booleans(a: &[Value]) -> Result<Vec<bool>, String> {
    a.arity(1)?;
    a.list(0)?
        .iter()
        .map(|item| match item {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
            other => Err(format!(
                "argument 1 must be a list of booleans, but holds {} ({})",
                describe_value(other),
                super::functions::short(other)
            )),
        })
        .collect()
}

pub(super) fn distinct(items: &[Value]) -> Vec<Value> {
    let mut seen: Vec<Value> = Vec::new();
    for item in items {
        if !seen.contains(item) {
            seen.push(item.clone());
        }
    }
    seen
}

pub(super) fn flatten(items: &[Value], into: &mut Vec<Value>) {
    for item in items {
        match item {
            Value::Array(inner) => flatten(inner, into),
            other => into.push(other.clone()),
        }
    }
}

/// Terraform's type unification of a list's elements: when strings mix with numbers or
/// booleans, all become strings (`tolist(["a", 3])` is `["a", "3"]`).
pub(super) fn unified(items: &[Value]) -> Vec<Value> {
    let has_string = items.iter().any(Value::is_string);
    let all_primitive = items
        .iter()
        .all(|v| !matches!(v, Value::Array(_) | Value::Object(_)));
    if !(has_string && all_primitive) {
        return items.to_vec();
    }
    items
        .iter()
        .map(|v| match v {
            Value::Number(n) => Value::from(n.to_string()),
            Value::Bool(b) => Value::from(b.to_string()),
            other => other.clone(),
        })
        .collect()
}

/// A set as Terraform orders it: unified, without duplicates, strings lexically and numbers
/// by value (other elements keep their order).
pub(super) fn set(items: &[Value]) -> Vec<Value> {
    let mut set = distinct(&unified(items));
    if set.iter().all(Value::is_string) {
        set.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if set.iter().all(Value::is_number) {
        set.sort_by(|a, b| {
            a.as_f64()
                .partial_cmp(&b.as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    set
}

pub(super) fn to_map(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    if a[0].is_null() {
        return Ok(Value::Null);
    }
    let map = a.object(0)?;
    let values = unified(&map.values().cloned().collect::<Vec<_>>());
    Ok(Value::Object(map.keys().cloned().zip(values).collect()))
}

/// `sort`: strings in lexical order (numbers sort as strings, as in Terraform).
pub(super) fn sort(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    let mut texts = Vec::new();
    for item in a.list(0)? {
        match item {
            Value::String(s) => texts.push(s.clone()),
            Value::Number(n) => texts.push(n.to_string()),
            Value::Bool(b) => texts.push(b.to_string()),
            other => {
                return Err(format!(
                    "argument 1 must be a list of strings, but holds {}",
                    describe_value(other)
                ));
            }
        }
    }
    texts.sort();
    Ok(Value::Array(texts.into_iter().map(Value::from).collect()))
}

/// `element`: the index wraps around the list's length, in both directions (`-1` is the
/// last element, as in Terraform 1.9 and later).
pub(super) fn element(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let list = a.list(0)?;
    let index = a.whole_number(1)?;
    if list.is_empty() {
        return Err("cannot take an element of an empty list".into());
    }
    Ok(list[index.rem_euclid(list.len() as i64) as usize].clone())
}

pub(super) fn index(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    a.list(0)?
        .iter()
        .position(|item| *item == a[1])
        .map(|i| Value::from(i as u64))
        .ok_or_else(|| format!("{} is not in the list", super::functions::short(&a[1])))
}

/// `slice(list, start, end)`: `start` included, `end` excluded.
pub(super) fn slice(a: FuncArgs) -> Result<Value, String> {
    a.arity(3)?;
    let list = a.list(0)?;
    let start = a.whole_number(1)?;
    let end = a.whole_number(2)?;
    if end < 0 || end as usize > list.len() {
        return Err(format!(
            "the end index {end} is outside the list of {} elements",
            list.len()
        ));
    }
    if start < 0 || start > end {
        return Err(format!(
            "the start index {start} must be between 0 and the end index {end}"
        ));
    }
    Ok(Value::Array(list[start as usize..end as usize].to_vec()))
}

/// `range(limit)`, `range(start, limit)`, `range(start, limit, step)`: at most 1024 numbers.
pub(super) fn range(a: FuncArgs) -> Result<Value, String> {
    if !(1..=3).contains(&a.len()) {
        return Err(format!("takes 1 to 3 arguments, got {}", a.count()));
    }
    let (start, limit) = match a.len() {
        1 => (0.0, a.number(0)?),
        _ => (a.number(0)?, a.number(1)?),
    };
    let step = match a.get(2) {
        Some(_) => a.number(2)?,
        None if limit < start => -1.0,
        None => 1.0,
    };
    if step == 0.0 || (step < 0.0 && limit > start) || (step > 0.0 && limit < start) {
        return Err(format!(
            "the step {step} never goes from {start} to {limit}: it must be non-zero and point that way"
        ));
    }
    let mut numbers = Vec::new();
    for i in 0.. {
        // start + i * step, not a running sum: 0.1 added ten times is not 1.
        let current = start + f64::from(i) * step;
        if (step > 0.0 && current >= limit) || (step < 0.0 && current <= limit) {
            break;
        }
        if numbers.len() == MAX_RANGE {
            return Err(format!(
                "the range has more than {MAX_RANGE} numbers: use a smaller span or a larger step"
            ));
        }
        numbers.push(number(current)?);
    }
    Ok(Value::Array(numbers))
}

pub(super) fn zipmap(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let keys = a.list(0)?;
    let values = a.list(1)?;
    if keys.len() != values.len() {
        return Err(format!(
            "the lists must have the same length: {} keys, {} values",
            keys.len(),
            values.len()
        ));
    }
    let mut map = Map::new();
    for (key, value) in keys.iter().zip(values) {
        let key = match key {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => key.to_string(),
            other => {
                return Err(format!(
                    "argument 1 must be a list of strings, but holds {}",
                    describe_value(other)
                ));
            }
        };
        map.insert(key, value.clone());
    }
    Ok(Value::Object(map))
}

pub(super) fn sum(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    let list = a.list(0)?;
    if list.is_empty() {
        return Err("cannot sum an empty list".into());
    }
    let mut total = 0.0;
    for (position, item) in list.iter().enumerate() {
        total += item.as_f64().ok_or_else(|| {
            format!(
                "argument 1 must be a list of numbers, but element {position} is {}",
                describe_value(item)
            )
        })?;
    }
    number(total)
}

pub(super) fn one(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    match a.list(0)?.as_slice() {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        more => Err(format!(
            "the list has {} elements: it must have no more than one",
            more.len()
        )),
    }
}

/// The lists of a set function's arguments (at least one).
fn sets(a: &[Value]) -> Result<Vec<Vec<Value>>, String> {
    a.at_least(1)?;
    (0..a.len())
        .map(|index| a.list(index).map(|l| set(l)))
        .collect()
}

pub(super) fn set_union(a: FuncArgs) -> Result<Value, String> {
    let all: Vec<Value> = sets(&a)?.concat();
    Ok(Value::Array(set(&all)))
}

pub(super) fn set_intersection(a: FuncArgs) -> Result<Value, String> {
    let sets = sets(&a)?;
    let common = sets[0]
        .iter()
        .filter(|item| sets[1..].iter().all(|other| other.contains(item)))
        .cloned()
        .collect::<Vec<_>>();
    Ok(Value::Array(common))
}

pub(super) fn set_subtract(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let sets = sets(&a)?;
    let rest = sets[0]
        .iter()
        .filter(|item| !sets[1].contains(item))
        .cloned()
        .collect::<Vec<_>>();
    Ok(Value::Array(rest))
}

/// `chunklist(list, size)`: a size of 0 gives the whole list as one chunk. The chunks hold
/// the list's elements, so the result is no larger than the list, whatever the size.
pub(super) fn chunklist(a: FuncArgs) -> Result<Value, String> {
    a.arity(2)?;
    let list = a.list(0)?;
    let size = a.whole_number(1)?;
    if size < 0 {
        return Err(format!("the chunk size must be 0 or more, got {size}"));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if list.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    if size == 0 || size >= list.len() {
        return Ok(Value::Array(vec![Value::Array(list.clone())]));
    }
    Ok(Value::Array(
        list.chunks(size)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    ))
}

pub(super) fn coalescelist(a: FuncArgs) -> Result<Value, String> {
    a.at_least(1)?;
    for index in 0..a.len() {
        let list = a.list(index)?;
        if !list.is_empty() {
            return Ok(Value::Array(list.clone()));
        }
    }
    Err("every argument is an empty list".into())
}

/// `matchkeys(values, keys, searchset)`: the values whose key (same position) is in the set.
pub(super) fn matchkeys(a: FuncArgs) -> Result<Value, String> {
    a.arity(3)?;
    let (values, keys, wanted) = (a.list(0)?, a.list(1)?, a.list(2)?);
    if values.len() != keys.len() {
        return Err(format!(
            "the values and keys must have the same length: {} values, {} keys",
            values.len(),
            keys.len()
        ));
    }
    let kept = values
        .iter()
        .zip(keys)
        .filter(|(_, key)| wanted.contains(key))
        .map(|(value, _)| value.clone());
    Ok(Value::Array(kept.collect()))
}

/// `transpose`: a map of lists of strings with keys and values swapped.
pub(super) fn transpose(a: FuncArgs) -> Result<Value, String> {
    a.arity(1)?;
    let mut swapped: Map<String, Value> = Map::new();
    for (key, items) in a.object(0)? {
        let Value::Array(items) = items else {
            return Err(format!(
                "argument 1 must be an object of lists of strings, but `{key}` is {}",
                describe_value(items)
            ));
        };
        for item in items {
            let Value::String(item) = item else {
                return Err(format!(
                    "argument 1 must be an object of lists of strings, but `{key}` holds {}",
                    describe_value(item)
                ));
            };
            let keys = swapped
                .entry(item.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(keys) = keys {
                keys.push(Value::from(key.clone()));
            }
        }
    }
    Ok(Value::Object(swapped))
}

/// `setproduct(a, b, ...)`: every combination of one element of each, in the lists' order.
pub(super) fn setproduct(a: FuncArgs) -> Result<Value, String> {
    a.at_least(2)?;
    let lists = (0..a.len())
        .map(|index| a.list(index))
        .collect::<Result<Vec<_>, _>>()?;
    let count = lists
        .iter()
        .try_fold(1usize, |n, list| n.checked_mul(list.len()))
        .filter(|n| *n <= MAX_PRODUCT)
        .ok_or_else(|| {
            format!("the product has more than {MAX_PRODUCT} combinations: give smaller sets")
        })?;
    let mut product: Vec<Vec<Value>> = vec![Vec::new()];
    for list in lists {
        product = product
            .iter()
            .flat_map(|prefix| {
                list.iter().map(move |item| {
                    let mut combination = prefix.clone();
                    combination.push(item.clone());
                    combination
                })
            })
            .collect();
    }
    debug_assert!(product.len() == count);
    Ok(Value::Array(
        product.into_iter().map(Value::Array).collect(),
    ))
}
