use std::fmt;

use super::ApiError;

/// API and application keys. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub api_key: String,
    pub app_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &"<redacted>")
            .field("app_key", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    pub fn new(api_key: impl Into<String>, app_key: impl Into<String>) -> Self {
        Credentials {
            api_key: api_key.into(),
            app_key: app_key.into(),
        }
    }

    /// Reads `DD_API_KEY` and `DD_APP_KEY` (or `DD_APPLICATION_KEY`) through `lookup`
    /// (`std::env::var` in production, a map in tests). Without them, the variables that are
    /// missing (or empty), by name.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<&'static str>> {
        let non_empty = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let api_key = non_empty("DD_API_KEY");
        let app_key = non_empty("DD_APP_KEY").or_else(|| non_empty("DD_APPLICATION_KEY"));
        match (api_key, app_key) {
            (Some(api), Some(app)) => Ok(Credentials::new(api.trim(), app.trim())),
            (api, app) => Err([
                api.is_none().then_some("DD_API_KEY"),
                app.is_none().then_some("DD_APP_KEY"),
            ]
            .into_iter()
            .flatten()
            .collect()),
        }
    }

    pub fn from_env() -> Result<Self, Vec<&'static str>> {
        Credentials::from_lookup(|name| std::env::var(name).ok())
    }
}

/// Values shorter than this are not Datadog keys (those have 32 and 40 characters), and
/// masking them would garble messages (`k` in every word).
const SHORTEST_MASKED_KEY: usize = 8;

/// Masks the key values in text a server sent. Gateways may echo the request's headers in
/// their error text, and monc prints that text.
#[derive(Clone, Default)]
pub(crate) struct KeyMask {
    keys: Vec<String>,
}

impl KeyMask {
    pub(super) fn new(credentials: &Credentials) -> Self {
        let keys = [&credentials.api_key, &credentials.app_key]
            .into_iter()
            .filter(|key| key.len() >= SHORTEST_MASKED_KEY)
            .cloned()
            .collect();
        KeyMask { keys }
    }

    /// `text` with every key value replaced by `***` (invalid UTF-8 replaced too: the text is
    /// only ever shown or parsed as JSON).
    pub(super) fn apply(&self, text: &[u8]) -> String {
        let mut masked = String::from_utf8_lossy(text).into_owned();
        for key in &self.keys {
            if masked.contains(key.as_str()) {
                masked = masked.replace(key.as_str(), "***");
            }
        }
        masked
    }
}

/// A Datadog site (`DD_SITE`): where the API and the web UI live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site(String);

/// The sites of Datadog's published API reference (its endpoint table for every Monitor API
/// call, 2026-11): `app.` is the UI host of the sites that have one.
const KNOWN_SITES: &[&str] = &[
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
];

impl Site {
    /// Parses a site name as `DD_SITE` holds it; tolerates `https://`, `app.` and a trailing `/`.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let name = raw
            .trim()
            .trim_start_matches("https://")
            .trim_start_matches("app.")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        if KNOWN_SITES.contains(&name.as_str()) {
            Ok(Site(name))
        } else {
            Err(ApiError::Config(format!(
                "unknown Datadog site {raw:?}; expected one of {} (or pass --api-url)",
                KNOWN_SITES.join(", ")
            )))
        }
    }

    /// The sites [`Site::parse`] accepts.
    pub fn known() -> &'static [&'static str] {
        KNOWN_SITES
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    /// Base URL of the API, e.g. `https://api.datadoghq.eu`.
    pub fn api_url(&self) -> String {
        format!("https://api.{}", self.0)
    }

    /// Base URL of the web UI, e.g. `https://app.datadoghq.com` or `https://us3.datadoghq.com`.
    pub fn ui_url(&self) -> String {
        if self.0.matches('.').count() >= 2 {
            format!("https://{}", self.0)
        } else {
            format!("https://app.{}", self.0)
        }
    }
}

impl Default for Site {
    fn default() -> Self {
        Site("datadoghq.com".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_map_to_api_and_ui_urls() {
        let cases = [
            (
                "datadoghq.com",
                "https://api.datadoghq.com",
                "https://app.datadoghq.com",
            ),
            (
                "datadoghq.eu",
                "https://api.datadoghq.eu",
                "https://app.datadoghq.eu",
            ),
            (
                "us3.datadoghq.com",
                "https://api.us3.datadoghq.com",
                "https://us3.datadoghq.com",
            ),
            (
                "us5.datadoghq.com",
                "https://api.us5.datadoghq.com",
                "https://us5.datadoghq.com",
            ),
            (
                "ap1.datadoghq.com",
                "https://api.ap1.datadoghq.com",
                "https://ap1.datadoghq.com",
            ),
            (
                "ddog-gov.com",
                "https://api.ddog-gov.com",
                "https://app.ddog-gov.com",
            ),
            (
                "uk1.datadoghq.com",
                "https://api.uk1.datadoghq.com",
                "https://uk1.datadoghq.com",
            ),
            (
                "us2.ddog-gov.com",
                "https://api.us2.ddog-gov.com",
                "https://us2.ddog-gov.com",
            ),
        ];
        for (name, api, ui) in cases {
            let site = Site::parse(name).expect(name);
            assert_eq!(site.api_url(), api);
            assert_eq!(site.ui_url(), ui);
        }
        let unknown = Site::parse("datadog.example").expect_err("unknown");
        assert!(
            unknown.to_string().contains("uk1.datadoghq.com"),
            "{unknown}"
        );
    }

    #[test]
    fn credentials_from_env_accept_either_app_key_name_and_redact() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        let creds = Credentials::from_lookup(env(&[
            ("DD_API_KEY", "secret-api"),
            ("DD_APPLICATION_KEY", "secret-app"),
        ]))
        .expect("found");
        assert_eq!(creds.app_key, "secret-app");
        let debug = format!("{creds:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert_eq!(
            Credentials::from_lookup(env(&[("DD_API_KEY", "a")])),
            Err(vec!["DD_APP_KEY"]),
            "the missing key is named"
        );
        assert_eq!(
            Credentials::from_lookup(env(&[("DD_API_KEY", " "), ("DD_APP_KEY", "b")])),
            Err(vec!["DD_API_KEY"])
        );
    }

    #[test]
    fn the_mask_hides_both_keys_and_leaves_short_values_alone() {
        let mask = KeyMask::new(&Credentials::new("api0SECRET0key", "app0SECRET0key"));
        assert_eq!(
            mask.apply(b"DD-API-KEY=api0SECRET0key, app=app0SECRET0key."),
            "DD-API-KEY=***, app=***."
        );
        let short = KeyMask::new(&Credentials::new("k", "a"));
        assert_eq!(short.apply(b"a bad key"), "a bad key");
    }
}
