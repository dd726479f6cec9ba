//! Reads the go-vcr (v2) cassettes of Datadog's Go client (tests/fixtures/cassettes/go-legacy,
//! see its README) as recorded tests: a test's own file holds what it did before and after its
//! sub-tests (create, then delete), each sub-test's file (in the folder named after the test)
//! what the sub-test did in between.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One recorded exchange, as the fidelity harness replays it.
pub(crate) struct Exchange {
    pub method: String,
    pub url: String,
    pub body: String,
    pub status: u16,
    pub response: String,
    /// The response's `X-Ratelimit-*` headers, names lower-cased.
    pub rate_limit: Vec<(String, String)>,
}

/// One recorded Go test with its sub-tests, in the order they ran.
pub(crate) struct RecordedTest {
    pub name: String,
    pub exchanges: Vec<Exchange>,
}

#[derive(Deserialize)]
struct Cassette {
    #[serde(default)]
    interactions: Vec<Recorded>,
}

#[derive(Deserialize)]
struct Recorded {
    request: Request,
    response: Response,
}

#[derive(Deserialize)]
struct Request {
    body: String,
    url: String,
    method: String,
}

#[derive(Deserialize)]
struct Response {
    body: String,
    code: u16,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, Vec<String>>,
}

impl From<Recorded> for Exchange {
    fn from(recorded: Recorded) -> Self {
        let rate_limit = recorded
            .response
            .headers
            .iter()
            .filter(|(name, _)| name.to_lowercase().starts_with("x-ratelimit-"))
            .map(|(name, values)| (name.to_lowercase(), values.join(",")))
            .collect();
        Exchange {
            method: recorded.request.method,
            url: recorded.request.url,
            body: recorded.request.body,
            status: recorded.response.code,
            response: recorded.response.body,
            rate_limit,
        }
    }
}

fn read(path: &Path) -> Vec<Exchange> {
    let text = std::fs::read_to_string(path).expect("cassette readable");
    let cassette: Cassette = serde_norway::from_str(&text).expect("a go-vcr cassette");
    cassette
        .interactions
        .into_iter()
        .map(Exchange::from)
        .collect()
}

/// Every recorded test under `dir`, by name.
pub(crate) fn recorded_tests(dir: &Path) -> Vec<RecordedTest> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("go-legacy folder")
        .flatten()
        .map(|entry| entry.path())
        .filter_map(|path| {
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            (path.is_dir() || path.extension().is_some_and(|ext| ext == "yaml")).then_some(stem)
        })
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| RecordedTest {
            exchanges: test_exchanges(dir, &name),
            name,
        })
        .collect()
}

/// The test's set-up, its sub-tests (by name: each stands alone), then its clean-up: the
/// deletes its own file ends with.
fn test_exchanges(dir: &Path, name: &str) -> Vec<Exchange> {
    let own = dir.join(format!("{name}.yaml"));
    let mut setup = if own.exists() { read(&own) } else { Vec::new() };
    let cleanup_at = setup
        .iter()
        .rposition(|exchange| exchange.method != "DELETE")
        .map_or(0, |last| last + 1);
    let cleanup = setup.split_off(cleanup_at);
    let mut sub_tests: Vec<PathBuf> = std::fs::read_dir(dir.join(name))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    sub_tests.sort();
    setup
        .into_iter()
        .chain(sub_tests.iter().flat_map(|path| read(path)))
        .chain(cleanup)
        .collect()
}
