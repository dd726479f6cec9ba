//! `monc.hcl`: the project settings, and the tags monc reserves for itself.

use hcl::edit::Span as _;
use hcl::edit::structure::Attribute;

use super::{Loader, ParsedFile};
use crate::datadog::Site;
use crate::diagnostic::{Code, Diagnostic, FileId, Span, did_you_mean};
use crate::model::{PROJECT_TAG_KEY, Project, check_tag};

pub const PROJECT_ATTRS: &[&str] = &[
    "project",
    "tiers",
    "owner_tag",
    "key_tag",
    "default_tags",
    "notify",
    "site",
    "channels",
];

/// How much of `tag` is monc's own, if any: the whole ownership tag, or `<key_tag>:` of a key
/// tag. monc writes both on every monitor itself; the same tags in the configuration make the
/// desired monitor differ from what monc writes back, so every sync rewrites it.
pub fn reserved_prefix(project: &Project, tag: &str) -> Option<usize> {
    if tag == project.owner_tag {
        return Some(tag.len());
    }
    // The project tag decides which project may write a monitor: only monc writes it.
    if is_project_tag(tag) {
        return Some(PROJECT_TAG_KEY.len() + usize::from(tag.len() > PROJECT_TAG_KEY.len()));
    }
    let rest = tag.strip_prefix(project.key_tag.as_str())?;
    if rest.starts_with(':') {
        Some(project.key_tag.len() + 1)
    } else if rest.is_empty() {
        Some(tag.len())
    } else {
        None
    }
}

/// `monc::reserved-tag` for a tag written in `default_tags` or a template's `tags`, if it is
/// one of monc's own (see [`reserved_prefix`]).
pub fn reserved_tag(project: &Project, tag: &str, span: Span) -> Option<Diagnostic> {
    reserved_prefix(project, tag)?;
    let (message, help) = if is_project_tag(tag) {
        (
            format!(
                "`{tag}` uses `{PROJECT_TAG_KEY}`, the tag that says which monc project wrote a monitor"
            ),
            format!(
                "remove it: monc writes `{PROJECT_TAG_KEY}:<name>` itself from `project` in \
                 monc.hcl; written by hand it could hand the monitor to another project"
            ),
        )
    } else if tag == project.owner_tag {
        (
            format!("`{tag}` is the ownership tag monc adds to every monitor it manages"),
            format!(
                "remove it: monc writes `{tag}` itself (`owner_tag` in monc.hcl); written by \
                 hand it makes every sync rewrite the monitors"
            ),
        )
    } else {
        let key_tag = &project.key_tag;
        (
            format!("`{tag}` uses `{key_tag}`, the tag under which monc stores each monitor's key"),
            format!(
                "remove it: monc tags every monitor with `{key_tag}:<its key>` itself (`key_tag` \
                 in monc.hcl); a second key tag makes every sync rewrite the monitors"
            ),
        )
    };
    Some(
        Diagnostic::error(Code::ReservedTag, span, message)
            .label("reserved for monc")
            .help(help),
    )
}

/// `monc-project` or `monc-project:<anything>`.
pub(super) fn is_project_tag(tag: &str) -> bool {
    tag.strip_prefix(PROJECT_TAG_KEY)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
}

/// The tag keys monc writes values under itself, besides the reserved ownership and key tags:
/// `tier`, `tenant`, `cluster` and the owner tag's key (`managed-by` of `managed-by:monc`;
/// `monc-project` is reserved). The tag key of `tag` when it is one of them and `tag` is not
/// reserved.
pub fn monc_tag_key<'t>(project: &Project, tag: &'t str) -> Option<&'t str> {
    if reserved_prefix(project, tag).is_some() {
        return None; // monc::reserved-tag, an error
    }
    let key = tag.split_once(':').map_or(tag, |(key, _)| key);
    monc_written_keys(&project.owner_tag)
        .contains(&key)
        .then_some(key)
}

/// The tag keys monc writes values under itself: `tier`, `tenant`, `cluster` and the key of the
/// ownership tag `owner_tag` (`managed-by` of `managed-by:monc`).
pub fn monc_written_keys(owner_tag: &str) -> [&str; 4] {
    let owner_key = owner_tag.split_once(':').map_or(owner_tag, |(key, _)| key);
    ["tier", "tenant", "cluster", owner_key]
}

/// `monc::monc-tag-key` for `tag`, written under a key monc writes itself; `detail` says what
/// monc writes there (` (\`tier:l3\` on \`l3/errors/acme\`)`), or is empty.
pub fn monc_tag_key_warning(tag: &str, key: &str, detail: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        Code::MoncTagKey,
        span,
        format!("`{tag}` uses the tag key `{key}`, which monc writes itself{detail}"),
    )
    .label(format!("monc writes `{key}:` itself"))
    .help(format!(
        "the monitor would carry both, and a search by `{key}:` finds two values; rename this \
         tag's key (e.g. `severity`, `source`), or remove it"
    ))
}

impl Loader {
    pub(super) fn load_project_file(&mut self, file: Option<ParsedFile>) {
        let Some(ParsedFile { id, body }) = file else {
            return;
        };
        self.reject_blocks(
            id,
            &body,
            "monc.hcl",
            "project settings are plain attributes (and `locals`, `tenant_vars` and `cluster_vars` blocks)",
        );
        let mut project = Project::default();
        for attr in body.attributes() {
            if !self.check_known(id, attr, PROJECT_ATTRS, "monc.hcl") {
                continue;
            }
            match attr.key.as_str() {
                "project" => {
                    let name = self.static_string(id, attr);
                    // Written as the tag `monc-project:<name>`: it must make a valid tag.
                    self.check_ownership_tag(id, attr, name.as_deref(), "project", |n| {
                        format!("{PROJECT_TAG_KEY}:{n}")
                    });
                    project.name = name;
                }
                "tiers" => {
                    if let Some(tiers) = self.static_strings(id, attr) {
                        project.tiers = tiers;
                    }
                }
                "owner_tag" => {
                    let tag = self.static_string(id, attr);
                    self.check_ownership_tag(id, attr, tag.as_deref(), "owner_tag", |t| {
                        t.to_string()
                    });
                    set_some(&mut project.owner_tag, tag)
                }
                "key_tag" => {
                    let key = self.static_string(id, attr);
                    // A tag key: `<key_tag>:<monitor key>` must be a valid tag, so no `:` in it.
                    self.check_ownership_tag(id, attr, key.as_deref(), "key_tag", |k| {
                        if k.contains(':') {
                            format!("{k}!")
                        } else {
                            format!("{k}:x")
                        }
                    });
                    set_some(&mut project.key_tag, key)
                }
                "default_tags" => {
                    set_some(&mut project.default_tags, self.static_strings(id, attr))
                }
                "notify" => set_some(&mut project.notify, self.static_strings(id, attr)),
                "channels" => project.channels = self.static_strings(id, attr),
                "site" => {
                    let site = self.static_string(id, attr);
                    self.check_site(id, attr, site.as_deref());
                    project.site = site;
                }
                _ => {}
            }
        }
        // After the loop: owner_tag and key_tag may come after default_tags in the file.
        if let Some(attr) = body.attributes().find(|a| a.key.as_str() == "default_tags") {
            self.check_reserved_default_tags(id, attr, &project);
        }
        self.model.project = project;
    }

    /// `site` decides where the keys go: only a site Datadog publishes (see
    /// [`Site::known`]), never a host of the user's choosing (`--api-url` is for that).
    pub(super) fn check_site(&mut self, id: FileId, attr: &Attribute, value: Option<&str>) {
        let Some(value) = value else {
            return;
        };
        if Site::parse(value).is_ok() {
            return;
        }
        let known = Site::known().join(", ");
        let help = match did_you_mean(value, Site::known().iter().copied()) {
            Some(best) => format!("did you mean `{best}`? The Datadog sites are {known}"),
            None => format!("the Datadog sites are {known}; for another API, pass --api-url"),
        };
        let span = self.string_literal_span(id, attr, value);
        self.error(
            Diagnostic::error(
                Code::UnknownSite,
                span,
                format!("unknown Datadog site {value:?}"),
            )
            .label("not a Datadog site")
            .help(help),
        );
    }

    /// `owner_tag` and `key_tag` end up on every monitor: they must make valid Datadog tags,
    /// as anything in `default_tags` must.
    pub(super) fn check_ownership_tag(
        &mut self,
        id: FileId,
        attr: &Attribute,
        value: Option<&str>,
        what: &str,
        as_tag: impl Fn(&str) -> String,
    ) {
        let Some(value) = value else {
            return;
        };
        let problem = match check_tag(&as_tag(value)) {
            Err(_) if what == "key_tag" && value.contains(':') => {
                "it must be a tag key, without `:`".to_string()
            }
            Err(problem) => problem,
            Ok(()) => return,
        };
        let span = self.span(id, attr.value.span());
        self.error(
            Diagnostic::error(
                Code::InvalidTag,
                span,
                format!("invalid `{what}` {value:?}: {problem}"),
            )
            .label("not a valid Datadog tag")
            .help(crate::model::tag_rules()),
        );
    }

    pub(super) fn check_reserved_default_tags(
        &mut self,
        id: FileId,
        attr: &Attribute,
        project: &Project,
    ) {
        for tag in &project.default_tags {
            let span = self.string_literal_span(id, attr, tag);
            if let Some(diagnostic) = reserved_tag(project, tag, span.clone()) {
                self.error(diagnostic);
            } else if let Some(key) = monc_tag_key(project, tag) {
                self.error(monc_tag_key_warning(tag, key, "", span));
            }
        }
    }

    /// The span of `"value"` inside the attribute's value when it appears there once, without
    /// its quotes; else the whole value.
    pub(super) fn string_literal_span(&self, id: FileId, attr: &Attribute, value: &str) -> Span {
        let whole = self.span(id, attr.value.span());
        let source = self.model.sources.text(&whole);
        let quoted = format!("\"{value}\"");
        match source.find(&quoted) {
            Some(offset) if source.matches(&quoted).count() == 1 => {
                let start = whole.range.start + offset + 1;
                Span::new(id, start..start + value.len())
            }
            _ => whole,
        }
    }
}

pub(super) fn set_some<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn reserved_tags_are_the_owner_tag_and_the_key_tag_key() {
        let project = Project::default();
        assert_eq!(reserved_prefix(&project, "managed-by:monc"), Some(15));
        assert_eq!(reserved_prefix(&project, "monc-key:l0/x"), Some(9));
        assert_eq!(reserved_prefix(&project, "monc-key"), Some(8));
        assert_eq!(reserved_prefix(&project, "managed-by:terraform"), None);
        assert_eq!(reserved_prefix(&project, "monc-keys:x"), None);
        assert_eq!(reserved_prefix(&project, "team:sre"), None);
        assert_eq!(reserved_prefix(&project, "monc-project:payments"), Some(13));
        assert_eq!(reserved_prefix(&project, "monc-projects:x"), None);
    }
}
