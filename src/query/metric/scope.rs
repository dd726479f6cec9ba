//! Checks the raw text of `{...}` scopes and `by {...}` group-by lists.

use std::ops::Range;

use crate::query::{QueryError, slice};

/// Checks a scope such as `{env:prod,!host:a}` or `{a IN (x,y)}`; `braced` covers the braces.
/// Tag syntax is free-form, so only structure is checked: non-empty, no empty items,
/// balanced parentheses.
pub(super) fn check_scope(query: &str, braced: &Range<usize>) -> Result<(), QueryError> {
    if slice(query, &inner(braced)).trim().is_empty() {
        return Err(QueryError::new("empty scope `{}`", braced.clone())
            .with_help("use `{*}` to select every source"));
    }
    for item in split_items(query, braced)? {
        if slice(query, &item).trim().is_empty() {
            return Err(QueryError::new("empty tag in scope", item)
                .with_help("remove the extra `,` or add a tag like `env:prod`"));
        }
    }
    Ok(())
}

/// The tag keys of a `by {host,env}` list, in order; `braced` covers the braces.
pub(super) fn group_by_keys(query: &str, braced: &Range<usize>) -> Result<Vec<String>, QueryError> {
    let mut keys = Vec::new();
    for item in split_items(query, braced)? {
        let key = slice(query, &item).trim();
        if key.is_empty() {
            return Err(QueryError::new("empty tag in `by {}`", item)
                .with_help("list tag keys separated by commas, e.g. `by {host,env}`"));
        }
        if key.contains(char::is_whitespace) {
            return Err(QueryError::new(format!("`{key}` is not a tag key"), item)
                .with_help("tag keys contain no spaces; separate them with commas"));
        }
        keys.push(key.to_string());
    }
    Ok(keys)
}

fn inner(braced: &Range<usize>) -> Range<usize> {
    braced.start + 1..braced.end.saturating_sub(1).max(braced.start + 1)
}

/// Splits the braces' content at top-level commas, checking parentheses balance.
fn split_items(query: &str, braced: &Range<usize>) -> Result<Vec<Range<usize>>, QueryError> {
    let content = inner(braced);
    let mut items = Vec::new();
    let mut open_parens = Vec::new();
    let mut item_start = content.start;
    for (offset, ch) in slice(query, &content).char_indices() {
        let at = content.start + offset;
        match ch {
            '(' => open_parens.push(at),
            ')' if open_parens.pop().is_none() => {
                return Err(QueryError::new("unmatched `)` in scope", at..at + 1));
            }
            ',' if open_parens.is_empty() => {
                items.push(item_start..at);
                item_start = at + 1;
            }
            _ => {}
        }
    }
    if let Some(&open) = open_parens.last() {
        return Err(QueryError::new("unclosed `(` in scope", open..open + 1)
            .with_help("add a matching `)`, e.g. `{env IN (prod,staging)}`"));
    }
    items.push(item_start..content.end);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn braced(query: &str) -> Range<usize> {
        0..query.len()
    }

    #[test]
    fn accepts_boolean_and_in_scopes() {
        for scope in [
            "{*}",
            "{a:b,!c:d}",
            "{a:b AND c:d}",
            "{host:x OR host:y}",
            "{a:b-*}",
            "{a:b,c IN (x,y)}",
            "{aws_product IN (amplify ,athena, backup ) }",
            "{env:$env}",
        ] {
            assert_eq!(check_scope(scope, &braced(scope)), Ok(()), "{scope}");
        }
    }

    #[test]
    fn rejects_empty_scope() {
        let err = check_scope("{ }", &braced("{ }")).unwrap_err();
        assert_eq!(err.message, "empty scope `{}`");
        assert_eq!(err.span, 0..3);
    }

    #[test]
    fn rejects_empty_scope_item_at_its_place() {
        let err = check_scope("{a:b,}", &braced("{a:b,}")).unwrap_err();
        assert_eq!(err.message, "empty tag in scope");
        assert_eq!(err.span, 5..5);
    }

    #[test]
    fn rejects_unclosed_paren_in_scope() {
        let err = check_scope("{a IN (x,y}", &braced("{a IN (x,y}")).unwrap_err();
        assert_eq!(err.span, 6..7);
    }

    #[test]
    fn group_by_keys_are_trimmed() {
        let query = "{ host , env }";
        assert_eq!(
            group_by_keys(query, &braced(query)).unwrap(),
            ["host", "env"]
        );
    }

    #[test]
    fn rejects_empty_group_by_tag() {
        let err = group_by_keys("{a,,b}", &braced("{a,,b}")).unwrap_err();
        assert_eq!(err.message, "empty tag in `by {}`");
        assert_eq!(err.span, 3..3);
    }
}
