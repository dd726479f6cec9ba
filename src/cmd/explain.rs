//! `monc explain CODE`: what a diagnostic code catches and how to fix it, from the README's
//! tables of checks (the one place they are written), as `ruff rule` does.

use monc::diagnostic::{Code, did_you_mean};

use super::error::{CommandResult, Error, Status};

/// The README, whose tables of checks say what each code catches and why it may be ignored.
const README: &str = include_str!("../../README.md");

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A code, with or without its `monc::` prefix (`monc::moved`, `moved`); without one, every
    /// code with a line about it.
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
}

pub fn run(args: &ExplainArgs) -> CommandResult {
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

/// The code, what it catches, and whether and why `ignore = [...]` may silence it.
fn explanation(code: Code) -> String {
    let name = code.as_str();
    let catches = table_cell(name, 0).unwrap_or_else(|| code.description().to_string());
    let mut text = format!("{name}\n\n{catches}\n");
    match table_cell(name, 1) {
        Some(why) if code.can_be_ignored() => text.push_str(&format!(
            "\nCan be ignored for one template (`ignore = [\"{name}\"]`): {why}\n"
        )),
        _ => text.push_str(
            "\nCannot be ignored: Datadog would reject the monitor, monc cannot build it, or \
             every sync would rewrite it.\n",
        ),
    }
    text
}

/// The text of the `nth` README table row for `code` (0: what it catches, 1: why it may be
/// ignored), Markdown code spans shown plainly.
fn table_cell(code: &str, nth: usize) -> Option<String> {
    let quoted = format!("`{code}`");
    README
        .lines()
        .filter(|line| {
            // `| `monc::a`, `monc::b` (warning) | text |`: the first cell names the codes.
            let first = line.strip_prefix("| ").and_then(|l| l.split(" | ").next());
            first.is_some_and(|cell| {
                cell.split(", ")
                    .any(|name| name.split(' ').next() == Some(quoted.as_str()))
            })
        })
        .nth(nth)
        .and_then(|line| line.trim_end_matches('|').rsplit(" | ").next())
        .map(|cell| cell.trim().replace('`', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code has a row in the README's table of checks for `explain` to show.
    #[test]
    fn every_code_is_explained_from_the_readme() {
        for code in Code::ALL {
            let catches = table_cell(code.as_str(), 0);
            assert!(catches.is_some(), "{} has no README row", code.as_str());
            if code.can_be_ignored() {
                assert!(table_cell(code.as_str(), 1).is_some(), "{}", code.as_str());
            }
        }
    }
}
