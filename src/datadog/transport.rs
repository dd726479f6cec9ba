//! Where requests may go, for every HTTP client monc builds (the Monitor API's and the Slack
//! webhook's): https only (plain http to loopback only), never a redirect, never a proxy for
//! loopback.

use std::net::IpAddr;

use reqwest::Url;

use super::ApiError;

/// Checks the Monitor API's base URL: no credentials in it, then [`check_transport_security`].
/// A user name or password in the URL would be stored in every backup (which records the API
/// host) and shown in messages; the keys have their own variables. Nothing of such a URL is
/// quoted back.
pub(super) fn check_api_url(base_url: &str) -> Result<Url, ApiError> {
    let refused = || {
        ApiError::Config(
            "the API URL (--api-url / MONC_API_URL) holds a user name or password (`user:…@`); \
             monc never takes credentials from a URL, where they would be stored in backups and \
             shown in messages: remove them and pass the keys in DD_API_KEY and DD_APP_KEY"
                .into(),
        )
    };
    // Before parsing: a URL that does not parse is quoted in the error.
    if authority(base_url).contains('@') {
        return Err(refused());
    }
    let url = check_transport_security(base_url)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused());
    }
    Ok(url)
}

/// The `user:password@host:port` part of a URL, as written.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#', '\\']).next().unwrap_or_default()
}

/// Parses `base_url` and refuses plain `http://` to anything but loopback: keys travel in headers.
pub fn check_transport_security(base_url: &str) -> Result<Url, ApiError> {
    let url = Url::parse(base_url)
        .map_err(|error| ApiError::Config(format!("invalid API URL {base_url:?}: {error}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(&url) => Ok(url),
        "http" => Err(ApiError::Config(format!(
            "refusing plain http:// to {}: API keys would travel unencrypted; use https:// \
             (plain http is only allowed to loopback addresses)",
            url.host_str().unwrap_or("?")
        ))),
        other => Err(ApiError::Config(format!(
            "unsupported URL scheme {other:?} in {base_url:?}; use https://"
        ))),
    }
}

/// Same host (and, off loopback, same scheme and port). The local emulator gets a new port
/// every run, so on loopback the host decides (and the org id tells emulated orgs apart).
pub fn same_origin(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (reqwest::Url::parse(a), reqwest::Url::parse(b)) else {
        return a == b;
    };
    if is_loopback(a.as_str()) && is_loopback(b.as_str()) {
        return true;
    }
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port() == b.port()
}

/// Whether `base_url` names this machine (a loopback address, or `localhost`).
pub fn is_loopback(base_url: &str) -> bool {
    Url::parse(base_url).is_ok_and(|url| is_loopback_host(&url))
}

fn is_loopback_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// The one way monc builds an HTTP client for `target` (already checked by
/// [`check_transport_security`]). Redirects are never followed: the Datadog API never sends
/// one, and following one would carry the keys (or a webhook's body) to another origin. A
/// loopback target never goes through a proxy from the environment (`HTTP_PROXY`,
/// `ALL_PROXY`, ...): the proxy would see the keys in clear and answer in the org's place.
/// Other targets are https, so a proxy only tunnels them (CONNECT) and sees ciphertext.
pub fn http_client(target: &Url) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .user_agent(concat!("monc/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none());
    if is_loopback_host(target) {
        builder.no_proxy()
    } else {
        builder
    }
}

/// What went wrong with a request, down to its root cause ("error sending request: client
/// error (Connect): tcp connect error: Connection refused (os error 111)"): reqwest's own text
/// says only "error sending request". Without the URL, which may be a secret (a webhook's).
pub fn error_cause(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some layers repeat their source's text in their own.
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8126",
            "http://127.9.0.1",
            "http://[::1]:80",
            "http://localhost:1",
            "https://api.datadoghq.com",
        ] {
            assert!(check_transport_security(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.datadoghq.com",
            "http://10.0.0.1",
            "ftp://localhost",
            "nonsense",
        ] {
            assert!(check_transport_security(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_in_an_api_url_are_refused_without_quoting_them() {
        for bad in [
            "http://user:secret-pw@127.0.0.1:1",
            "https://secret-pw@api.datadoghq.com",
            "https://user:secret-pw@api.datadoghq.com/api",
            "https://user:secret-pw@[not parseable",
        ] {
            let error = check_api_url(bad).expect_err(bad).to_string();
            assert!(error.contains("DD_API_KEY"), "{bad}: {error}");
            assert!(!error.contains("secret-pw"), "{bad}: {error}");
        }
        assert!(check_api_url("https://api.datadoghq.com/?email=a@b").is_ok());
    }
}
