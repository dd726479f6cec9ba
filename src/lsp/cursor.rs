//! What the cursor is on: a template, a tenant, a var, a local, a function…, read from the
//! text around it (the buffer may not parse while it is being typed).

/// A thing of the language the cursor names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `monitor.x`, `monitor "x"`, `page "x"`.
    Template(String),
    /// The index of `monitor.x["name"]`: a tenant or a cluster of template `x`.
    Instance { template: String, index: String },
    /// `tenant.vars.y`.
    TenantVar(String),
    /// `cluster.vars.y`.
    ClusterVar(String),
    /// `tenant.name`, `tenant.cluster`, … : the tenants' definitions.
    TenantAttr(String),
    /// `cluster.name`, `cluster.region`, … : the clusters' definitions.
    ClusterAttr(String),
    /// `local.z`, or `z = …` inside `locals { }`.
    Local(String),
    /// `tenant "t"`.
    Tenant(String),
    /// `cluster "c"`, `cluster = "c"`.
    Cluster(String),
    /// `name(` of a function call.
    Function(String),
    /// Another quoted name (perhaps a tenant's or a cluster's).
    Name(String),
}

pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The name the cursor is in or just after, and where it starts.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, &str)> {
    let offset = floor_boundary(text, offset);
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_name_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_name_char(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    (start < end).then(|| (start, &text[start..end]))
}

pub fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The dotted path (`tenant.vars`) that ends right before `start`, without its last dot.
pub fn path_before(text: &str, start: usize) -> Vec<&str> {
    let before = &text[..start];
    let Some(before) = before.strip_suffix('.') else {
        return Vec::new();
    };
    let from = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_name_char(*c) || *c == '.')
        .last()
        .map_or(before.len(), |(i, _)| i);
    before[from..].split('.').collect()
}

/// What the cursor at `offset` names, if anything.
pub fn target_at(text: &str, offset: usize) -> Option<Target> {
    let (start, word) = word_at(text, offset)?;
    let end = start + word.len();
    let word = word.to_string();
    let path = path_before(text, start);
    let after = &text[end..];
    // On the first part of a path (`monitor` of `monitor.x`): what the whole path names.
    if path.is_empty() && after.starts_with('.') {
        let next = word_at(text, end + 1).map(|(_, w)| w.to_string());
        if let Some(next) = next {
            return dotted(&[word.as_str()], &next).or(Some(Target::Name(word)));
        }
    }
    if !path.is_empty() {
        return dotted(&path, &word);
    }
    if after.trim_start().starts_with('(') && !text[..start].ends_with('"') {
        return Some(Target::Function(word));
    }
    if text[..start].ends_with('"') && after.starts_with('"') {
        return Some(quoted(text, start - 1, word));
    }
    if in_locals_block(text, start) && after.trim_start().starts_with('=') {
        return Some(Target::Local(word));
    }
    None
}

fn dotted(path: &[&str], word: &str) -> Option<Target> {
    let word = word.to_string();
    match path {
        ["monitor"] => Some(Target::Template(word)),
        ["local"] => Some(Target::Local(word)),
        ["tenant", "vars"] => Some(Target::TenantVar(word)),
        ["cluster", "vars"] => Some(Target::ClusterVar(word)),
        ["tenant"] => Some(Target::TenantAttr(word)),
        ["cluster"] => Some(Target::ClusterAttr(word)),
        _ => None,
    }
}

/// A quoted name starting after the quote at `quote`: a block header's label, an instance
/// index, a tenant's `cluster = "c"`, or another name.
fn quoted(text: &str, quote: usize, word: String) -> Target {
    let line_start = text[..quote].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..quote].trim();
    match before {
        "monitor" | "page" => return Target::Template(word),
        "tenant" => return Target::Tenant(word),
        "cluster" | "cluster =" => return Target::Cluster(word),
        _ => {}
    }
    if let Some(index_start) = text[..quote].strip_suffix('[') {
        let template = path_before(text, index_start.len() - last_word_len(index_start));
        let name = word_at(index_start, index_start.len().saturating_sub(1));
        if template == ["monitor"]
            && let Some((_, name)) = name
        {
            return Target::Instance {
                template: name.to_string(),
                index: word,
            };
        }
    }
    Target::Name(word)
}

fn last_word_len(text: &str) -> usize {
    text.chars()
        .rev()
        .take_while(|c| is_name_char(*c))
        .map(char::len_utf8)
        .sum()
}

/// Whether `offset` is directly inside a `locals { }` block (a rough reading: the nearest
/// unclosed `{` before it opens `locals`).
pub fn in_locals_block(text: &str, offset: usize) -> bool {
    enclosing_blocks(text, offset)
        .last()
        .is_some_and(|b| b == "locals")
}

/// The headers of the blocks and objects that enclose `offset`, outermost first: the first
/// word before each unclosed `{` (`monitor`, `options`, `vars`, `locals`…), quotes and
/// comments skipped.
pub fn enclosing_blocks(text: &str, offset: usize) -> Vec<String> {
    let text = &text[..floor_boundary(text, offset)];
    let mut open: Vec<usize> = Vec::new();
    let mut in_string = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '#' if !in_string => skip_line(&mut chars),
            '/' if !in_string && chars.peek().is_some_and(|(_, c)| *c == '/') => {
                skip_line(&mut chars)
            }
            '<' if !in_string && text[i..].starts_with("<<") => skip_heredoc(text, i, &mut chars),
            '{' if !in_string => open.push(i),
            '}' if !in_string => _ = open.pop(),
            '\n' => in_string = false,
            _ => {}
        }
    }
    open.iter().map(|&i| header_word(&text[..i])).collect()
}

fn skip_line(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    for (_, c) in chars.by_ref() {
        if c == '\n' {
            break;
        }
    }
}

/// Skips a heredoc (`<<EOT` / `<<-EOT` … `EOT`) starting at `at`: its text is not code.
fn skip_heredoc(text: &str, at: usize, chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    let marker: String = text[at + 2..]
        .trim_start_matches('-')
        .chars()
        .take_while(|c| is_name_char(*c))
        .collect();
    if marker.is_empty() {
        return;
    }
    skip_line(chars);
    while let Some(&(line_start, _)) = chars.peek() {
        let line = text[line_start..].split('\n').next().unwrap_or("");
        skip_line(chars);
        if line.trim() == marker {
            return;
        }
    }
}

/// The first word of the line holding a `{`: `monitor "x" {` → `monitor`, `options = {` →
/// `options`.
fn header_word(before_brace: &str) -> String {
    let line = before_brace.rsplit('\n').next().unwrap_or("");
    line.trim_start()
        .chars()
        .take_while(|c| is_name_char(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<Target> {
        let offset = text.find('|').unwrap();
        let text = text.replace('|', "");
        target_at(&text, offset)
    }

    #[test]
    fn names_under_the_cursor() {
        let t = |s: &str| Some(Target::Template(s.into()));
        assert_eq!(at("x = [monitor.al|b_5xx[tenant.cluster]]"), t("alb_5xx"));
        assert_eq!(at("x = [mon|itor.alb_5xx]"), t("alb_5xx"));
        assert_eq!(at("monitor \"ap|i\" {"), t("api"));
        assert_eq!(
            at("x = monitor.db[\"ac|me\"]"),
            Some(Target::Instance {
                template: "db".into(),
                index: "acme".into()
            })
        );
        assert_eq!(
            at("q = \"${tenant.vars.serv|ice}\""),
            Some(Target::TenantVar("service".into()))
        );
        assert_eq!(
            at("q = \"${local.e|nv}\""),
            Some(Target::Local("env".into()))
        );
        assert_eq!(at("q = low|er(x)"), Some(Target::Function("lower".into())));
        assert_eq!(
            at("  cluster = \"prod|-1\""),
            Some(Target::Cluster("prod-1".into()))
        );
        assert_eq!(
            at("tenant \"ac|me\" {"),
            Some(Target::Tenant("acme".into()))
        );
        assert_eq!(
            at("locals {\n  e|nv = 1\n}"),
            Some(Target::Local("env".into()))
        );
    }

    #[test]
    fn enclosing_blocks_skip_strings_and_comments() {
        let text = "monitor \"x\" {\n  # {\n  name = \"{\"\n  message = <<-EOT\n    {{#is_alert}} {\n  EOT\n  options = {\n    ";
        assert_eq!(enclosing_blocks(text, text.len()), ["monitor", "options"]);
    }
}
