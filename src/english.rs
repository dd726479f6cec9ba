//! Counts in words: `1 tenant`, `2 tenants`. One helper, so that no message says
//! `1 templates` or `2 error(s)`.

/// `1 cluster`, `2 clusters`, `0 errors`.
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
}

/// The `s` of a regular plural, or nothing for one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular() {
        assert_eq!(counted(1, "template"), "1 template");
        assert_eq!(counted(0, "error"), "0 errors");
        assert_eq!(counted(2, "suppression edge"), "2 suppression edges");
    }
}
