//! Notification handles (`@slack-ops`, `@pagerduty-db`, `@team-payments`, `@someone@example.com`):
//! Datadog notifies every `@` mention in a message it sends, whatever the integration
//! (https://docs.datadoghq.com/monitors/notify/: "Use an @notification to add a team member,
//! integration, workflow, or case"; it "must have a space between it and the last line
//! character"). monc's `notify` lists are such handles, appended to the message that pages.

/// What makes `handle` unable to page, if anything.
pub fn problem(handle: &str) -> Option<&'static str> {
    if handle.is_empty() {
        Some("it is empty")
    } else if !handle.starts_with('@') {
        Some("it does not start with `@`")
    } else if handle == "@" {
        Some("it is a bare `@`")
    } else if handle.starts_with("@@") {
        Some("it starts with `@@`")
    } else if handle.chars().any(char::is_whitespace) {
        Some("it contains white space")
    } else {
        None
    }
}

/// The handles a message mentions, in order, once each: words starting with `@` (trailing
/// punctuation is not part of them; `{{#is_alert}}@x` is not a mention, no space before it).
pub fn in_message(message: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for word in message.split_whitespace() {
        let handle = word.trim_end_matches(|c: char| ".,;:!?)]}'\"".contains(c));
        if problem(handle).is_none() && !found.iter().any(|h| h == handle) {
            found.push(handle.to_string());
        }
    }
    found
}

/// The handles a monitor sending `message` pages: `notify`, then those the message mentions.
pub fn paged_by(notify: &[String], message: &str) -> Vec<String> {
    let mut handles = notify.to_vec();
    for handle in in_message(message) {
        if !handles.contains(&handle) {
            handles.push(handle);
        }
    }
    handles
}

/// Whether `handle` is one of the org's channels as `channels` in monc.hcl lists them: each
/// entry a handle, `*` standing for any run of characters (`@pagerduty-*`, `@*@example.com`).
pub fn is_known_channel(channels: &[String], handle: &str) -> bool {
    channels.iter().any(|pattern| glob_matches(pattern, handle))
}

/// `*` matches any run of characters (none too); everything else itself. Linear in the text per
/// `*`-separated part: no backtracking blow-up.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether the monitor at `index` alerts nobody: it pages on its own (it is no member of a
/// `page`: its own, or its generated composite's, notification is the one sent) and that
/// notification names no handle (`notify`, or an `@` mention in the message). The one
/// definition `monc validate` (`monc::no-recipients`) and `monc review` share.
pub fn notifies_nobody(graph: &crate::graph::MonitorGraph, index: usize) -> bool {
    let monitor = &graph.monitors[index];
    graph.page_for(index).is_none()
        && paged_by(&monitor.notify, &monitor.body.message).is_empty()
        && monitor.pages().is_empty()
}

/// `handles` the message does not mention already: those monc appends to it.
pub fn not_in_message<'a>(message: &str, handles: &'a [String]) -> Vec<&'a String> {
    let mentioned = in_message(message);
    handles.iter().filter(|h| !mentioned.contains(h)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_handles() {
        assert_eq!(
            in_message(
                "Down. @slack-ops, @pagerduty-db\n{{#is_alert}}@a@b.com{{/is_alert}} @slack-ops"
            ),
            vec!["@slack-ops", "@pagerduty-db"]
        );
        assert_eq!(
            in_message("mail @ops@example.com. @team-web @opsgenie-x @webhook-y @@z @"),
            vec!["@ops@example.com", "@team-web", "@opsgenie-x", "@webhook-y"]
        );
    }

    #[test]
    fn channels_match_exactly_or_by_wildcard() {
        let channels = [
            "@slack-ops".to_string(),
            "@pagerduty-*".into(),
            "@*@example.com".into(),
        ];
        assert!(is_known_channel(&channels, "@slack-ops"));
        assert!(is_known_channel(&channels, "@pagerduty-infra"));
        assert!(is_known_channel(&channels, "@ann@example.com"));
        assert!(!is_known_channel(&channels, "@slack-opss"));
        assert!(!is_known_channel(&channels, "@slack-op"));
        assert!(!is_known_channel(&channels, "@ann@example.org"));
        assert!(
            !is_known_channel(&["@a*a".to_string()], "@a"),
            "the parts may not overlap"
        );
        assert!(is_known_channel(&["@a*a".to_string()], "@aa"));
    }

    #[test]
    fn pages_notify_and_the_message_mentions() {
        let notify = vec!["@slack-a".to_string()];
        assert_eq!(
            paged_by(&notify, "x @pagerduty-b @slack-a"),
            vec!["@slack-a", "@pagerduty-b"]
        );
        assert!(not_in_message("x @slack-a", &notify).is_empty());
    }
}
