//! `monc explain CODE`: what a diagnostic code catches and whether it may be ignored, printed
//! from its section of docs/checks.md (the one place checks are described), as `ruff rule` does.

use monc::diagnostic::{Code, did_you_mean};

use super::error::{CommandResult, Error, Status};

/// The reference of checks: a section per code, `### `monc::code``.
const CHECKS: &str = include_str!("../../docs/checks.md");

#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// A code, with or without its `monc::` prefix (`monc::moved`, `moved`); without one, every
    /// code with a line about it.
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
}

pub(crate) fn run(args: &ExplainArgs) -> CommandResult {
    let Some(asked) = &args.code else {
        for code in Code::ALL {
            outln!("{:<32} {}", code.as_str(), code.description());
        }
        return Ok(Status::Ok);
    };
    let Some(code) = parse(asked) else {
        let names = Code::ALL.iter().map(|c| c.as_str());
        let hint = did_you_mean(&qualified(asked), names)
            .map(|best| format!("did you mean `{best}`? "))
            .unwrap_or_default();
        return Err(Error::Message(format!(
            "no check is called `{}`\nhelp: {hint}`monc explain` lists every code",
            monc::escape::line(asked)
        )));
    };
    outln!("{}", explanation(code));
    Ok(Status::Ok)
}

/// `moved` as `monc::moved`: the prefix every code's string shares.
fn qualified(text: &str) -> String {
    let prefix = Code::Moved.as_str().trim_end_matches("moved");
    if text.starts_with(prefix) {
        text.to_string()
    } else {
        format!("{prefix}{text}")
    }
}

fn parse(text: &str) -> Option<Code> {
    Code::parse(&qualified(text))
}

/// The code and its section of docs/checks.md: what it catches, whether and why
/// `ignore = [...]` may silence it.
fn explanation(code: Code) -> String {
    let name = code.as_str();
    let section = section(name).unwrap_or_else(|| code.description().to_string());
    format!("{name}\n\n{section}")
}

/// The heading of a code's section in docs/checks.md.
fn heading(code: &str) -> String {
    format!("### `{code}`")
}

/// The text of the section of docs/checks.md for `code`, up to the next heading.
fn section(code: &str) -> Option<String> {
    let heading = heading(code);
    let mut lines = CHECKS.lines().skip_while(|line| line.trim_end() != heading);
    lines.next()?;
    let body: Vec<&str> = lines.take_while(|line| !line.starts_with('#')).collect();
    Some(body.join("\n").trim().to_string())
}

/// Every code docs/checks.md has a section for, in its order.
#[cfg(test)]
fn documented_codes() -> Vec<&'static str> {
    CHECKS
        .lines()
        .filter_map(|line| line.strip_prefix("### `")?.strip_suffix('`'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One source of truth: every code of the catalogue has a section in docs/checks.md, and
    /// every section is a code of the catalogue.
    #[test]
    fn every_code_has_a_section_and_every_section_a_code() {
        let documented = documented_codes();
        for code in Code::ALL {
            assert!(
                documented.contains(&code.as_str()),
                "{} has no section in docs/checks.md",
                code.as_str()
            );
        }
        for name in &documented {
            assert!(
                Code::parse(name).is_some(),
                "docs/checks.md has a section for `{name}`, which is no code"
            );
        }
        assert_eq!(documented.len(), Code::ALL.len(), "a code documented twice");
    }

    /// A section says a code can be ignored exactly when the catalogue lets `ignore` silence it.
    #[test]
    fn every_section_says_whether_its_code_can_be_ignored() {
        for code in Code::ALL {
            let text = section(code.as_str()).unwrap_or_default();
            let says_ignorable = text.contains("Can be ignored for one template");
            let says_not = text.contains("Cannot be ignored");
            assert_eq!(
                (says_ignorable, says_not),
                (code.can_be_ignored(), !code.can_be_ignored()),
                "{}: {text}",
                code.as_str()
            );
        }
    }
}
