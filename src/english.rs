//! Counts and names as people read them: `1 tenant`, `2 tenants` (no `1 templates` or
//! `2 error(s)`), and `t2` before `t10`.

use std::cmp::Ordering;

/// `1 cluster`, `2 clusters`, `0 errors`.
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
}

/// The `s` of a regular plural, or nothing for one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Orders text as people do: runs of digits by their value, so `t2` comes before `t10`; ties
/// (`t01`, `t1`) fall back to the plain order, so no two different texts compare equal.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        match (x.chars().next(), y.chars().next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let (m, rest_x) = split_digits(x);
                let (n, rest_y) = split_digits(y);
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                let by_value = m.len().cmp(&n.len()).then_with(|| m.cmp(n));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (x, y) = (rest_x, rest_y);
            }
            (Some(c), Some(d)) if c != d => return c.cmp(&d),
            (Some(c), Some(_)) => (x, y) = (&x[c.len_utf8()..], &y[c.len_utf8()..]),
        }
    }
}

/// The leading digits of `text`, and the rest.
fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_names_sort_by_value() {
        let mut names = [
            "t100",
            "t10",
            "t2",
            "t1",
            "a",
            "t01",
            "l3/x/t9/composite",
            "l3/x/t10",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "a",
                "l3/x/t9/composite",
                "l3/x/t10",
                "t01",
                "t1",
                "t2",
                "t10",
                "t100"
            ]
        );
    }

    #[test]
    fn one_is_singular() {
        assert_eq!(counted(1, "template"), "1 template");
        assert_eq!(counted(0, "error"), "0 errors");
        assert_eq!(counted(2, "suppression edge"), "2 suppression edges");
    }
}
