//! Choosing the org: the real Monitor API from DD_API_KEY / DD_APP_KEY / DD_SITE (or
//! `--api-url`), or the embedded emulator for `--org local`. Composition of the CLI; the API
//! client itself knows nothing of clap or the emulator.

use std::path::Path;

use monc::datadog::{ApiError, Client, ClientOptions, Credentials, Site};
use monc_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

use super::emulator_control::EmulatorControl;

/// Which Datadog organisation `diff`/`sync` talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OrgKind {
    /// The embedded emulator, state in `.monc/local-org.json`.
    Local,
    /// The real API, with credentials from DD_API_KEY / DD_APP_KEY / DD_SITE.
    Env,
}

/// Where to find the Datadog organisation (shared by every command that talks to it).
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct OrgArgs {
    /// `local` runs the embedded Monitor API emulator; `env` uses DD_API_KEY/DD_APP_KEY.
    /// `local` with --api-url or --site is an error.
    #[arg(long, env = "MONC_ORG", value_enum)]
    pub org: Option<OrgKind>,
    /// Explicit API base URL (overrides --site / DD_SITE); no user name or password in it.
    #[arg(long, env = "MONC_API_URL")]
    pub api_url: Option<String>,
    /// Datadog site, e.g. datadoghq.eu (default: DD_SITE, else `site` in monc.hcl, else
    /// datadoghq.com).
    #[arg(long, env = "DD_SITE")]
    pub site: Option<String>,
}

impl OrgArgs {
    /// `--org local` names the local emulator; `--api-url` and `--site` name another org.
    /// Both at once is a usage error: letting either win silently applied a sync to the org
    /// the user did not mean. Flags and their variables count alike (clap merges them), so a
    /// `MONC_ORG=local` left in the environment cannot redirect a run meant for a real org.
    /// The URL is not quoted: it is not checked yet, and may hold a password.
    pub(crate) fn check_choice(&self) -> Result<(), ApiError> {
        if self.org != Some(OrgKind::Local) {
            return Ok(());
        }
        let other = match (&self.api_url, &self.site) {
            (Some(_), _) => "--api-url (MONC_API_URL)".to_string(),
            (None, Some(site)) => format!("--site {site} (DD_SITE)"),
            (None, None) => return Ok(()),
        };
        Err(ApiError::Config(format!(
            "--org local (MONC_ORG=local) and {other} name two different orgs; keep one: drop \
             --org local and unset MONC_ORG to use that org, or drop the other (unset its \
             variable) to use the local emulator"
        )))
    }
}

/// A ready client, and the emulator behind it when `--org local`.
///
/// Closed by being dropped, however the command ends (an error returned half-way included):
/// dropping the emulator's handle stops it, saves the local org's state file and releases its
/// lock. No command closes it by hand.
#[derive(Debug)]
pub(crate) struct Connection {
    pub client: Client,
    /// The local org's emulator, held only to live as long as the client (see above).
    local_org: Option<EmulatorHandle>,
    /// Base of web links to monitors (`{site_ui_base}/monitors/{id}`): the site's web UI;
    /// none for the local emulator (it stops with monc) or an `--api-url`, whose UI is unknown.
    pub site_ui_base: Option<String>,
    /// The control endpoint of the emulator behind `client`, when it is on loopback (`--org
    /// local`, or an `--api-url` of a `monc emulator`): for the drills of `status --set`.
    pub emulator_control: Option<EmulatorControl>,
}

impl Connection {
    /// Whether this is the local org (`--org local`), which monc serves itself.
    pub(crate) fn is_local(&self) -> bool {
        self.local_org.is_some()
    }
}

/// The file backing `--org local` under a project.
pub(crate) fn local_org_state(project_dir: &Path) -> std::path::PathBuf {
    project_dir.join(".monc").join("local-org.json")
}

/// Connects as `args` say, to the site `config_site` (monc.hcl's `site`) unless `--site` or
/// `DD_SITE` names another. Missing credentials are an error naming both ways out; the local
/// emulator is only used when asked for explicitly.
pub(crate) async fn connect(
    args: &OrgArgs,
    project_dir: &Path,
    config_site: Option<&str>,
) -> Result<Connection, ApiError> {
    args.check_choice()?;
    match args.org {
        Some(OrgKind::Local) => connect_local(project_dir).await,
        Some(OrgKind::Env) | None => {
            let site = chosen_site(args, config_site)?;
            connect_env(args, &site, Credentials::from_env())
        }
    }
}

/// `--site`, else `DD_SITE` (clap reads both, the flag first), else monc.hcl's `site`, else
/// datadoghq.com.
fn chosen_site(args: &OrgArgs, config_site: Option<&str>) -> Result<Site, ApiError> {
    match args.site.as_deref().or(config_site) {
        Some(name) => Site::parse(name),
        None => Ok(Site::default()),
    }
}

async fn connect_local(project_dir: &Path) -> Result<Connection, ApiError> {
    let state_file = local_org_state(project_dir);
    let config = EmulatorConfig {
        state_file: Some(state_file.clone()),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await.map_err(|error| {
        // The usual cause: `monc emulator` serves the same state file in another terminal.
        let hint = if matches!(error, monc_emulator::StartError::StateInUse { .. }) {
            "; if `monc emulator` serves it, reach that org with `--api-url \
                 http://127.0.0.1:PORT` (the port it printed) instead of `--org local`"
        } else {
            ""
        };
        ApiError::Config(format!("cannot start the local emulator: {error}{hint}"))
    })?;
    let credentials = Credentials::new("local-org-api-key", "local-org-app-key");
    let client = Client::new(&emulator.base_url(), &credentials, client_options()?)?;
    Ok(Connection {
        client,
        site_ui_base: None,
        emulator_control: EmulatorControl::on_loopback(&emulator.base_url(), credentials),
        local_org: Some(emulator),
    })
}

fn connect_env(
    args: &OrgArgs,
    site: &Site,
    credentials: Result<Credentials, Vec<&'static str>>,
) -> Result<Connection, ApiError> {
    let credentials = credentials.map_err(|missing| {
        ApiError::Config(format!(
            "no Datadog credentials: {} not set; set DD_API_KEY and DD_APP_KEY (DD_APPLICATION_KEY \
             works too; and DD_SITE if not datadoghq.com), or pass --org local (MONC_ORG=local) to \
             use the local emulator",
            missing.join(" and ")
        ))
    })?;
    let base_url = args.api_url.clone().unwrap_or_else(|| site.api_url());
    let client = Client::new(&base_url, &credentials, client_options()?)?;
    Ok(Connection {
        client,
        local_org: None,
        site_ui_base: args.api_url.is_none().then(|| site.ui_url()),
        emulator_control: EmulatorControl::on_loopback(&base_url, credentials),
    })
}

/// The environment variable holding the share of the org's rate limit left to other clients.
pub(crate) const RATE_HEADROOM_ENV: &str = "MONC_RATE_HEADROOM";

/// Client options, with the rate-limit headroom from [`RATE_HEADROOM_ENV`] when set.
fn client_options() -> Result<ClientOptions, ApiError> {
    let mut options = ClientOptions::default();
    if let Ok(raw) = std::env::var(RATE_HEADROOM_ENV) {
        options.rate_headroom = raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|share| (0.0..=0.9).contains(share))
            .ok_or_else(|| {
                ApiError::Config(format!(
                    "{RATE_HEADROOM_ENV}={raw:?} is not a share between 0 and 0.9 (e.g. 0.2)"
                ))
            })?;
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_credentials_name_both_options() {
        let error = connect_env(
            &OrgArgs::default(),
            &Site::default(),
            Err(vec!["DD_API_KEY", "DD_APP_KEY"]),
        )
        .expect_err("must refuse");
        let text = error.to_string();
        assert!(
            text.contains("DD_API_KEY") && text.contains("--org local"),
            "{text}"
        );
    }

    #[test]
    fn site_picks_api_and_ui_urls_and_api_url_overrides() {
        let creds = Ok(Credentials::new("k", "a"));
        let eu = Site::parse("datadoghq.eu").expect("site");
        let connection = connect_env(&OrgArgs::default(), &eu, creds.clone()).expect("connects");
        assert_eq!(connection.client.base_url(), "https://api.datadoghq.eu/");
        assert_eq!(
            connection.site_ui_base.as_deref(),
            Some("https://app.datadoghq.eu")
        );
        let args = OrgArgs {
            api_url: Some("http://example.com".into()),
            ..OrgArgs::default()
        };
        assert!(
            connect_env(&args, &eu, creds).is_err(),
            "plain http off loopback"
        );
    }

    #[test]
    fn org_local_with_an_api_url_or_a_site_is_refused() {
        let local = |api_url: Option<&str>, site: Option<&str>| OrgArgs {
            org: Some(OrgKind::Local),
            api_url: api_url.map(String::from),
            site: site.map(String::from),
        };
        assert!(local(None, None).check_choice().is_ok());
        let error = local(Some("http://u:secret@127.0.0.1:1"), None)
            .check_choice()
            .expect_err("conflict")
            .to_string();
        assert!(
            error.contains("--org local") && error.contains("--api-url"),
            "{error}"
        );
        assert!(!error.contains("secret"), "{error}");
        let error = local(None, Some("datadoghq.eu"))
            .check_choice()
            .expect_err("conflict");
        assert!(error.to_string().contains("--site datadoghq.eu"), "{error}");
        let env = OrgArgs {
            org: Some(OrgKind::Env),
            ..local(Some("https://api.datadoghq.eu"), Some("datadoghq.eu"))
        };
        assert!(env.check_choice().is_ok(), "--org env goes with either");
    }

    #[test]
    fn the_site_flag_or_dd_site_comes_before_monc_hcl() {
        let site = |flag: Option<&str>, config: Option<&str>| {
            let args = OrgArgs {
                site: flag.map(String::from),
                ..OrgArgs::default()
            };
            chosen_site(&args, config).map(|site| site.name().to_string())
        };
        assert_eq!(site(None, None), Ok("datadoghq.com".into()));
        assert_eq!(site(None, Some("datadoghq.eu")), Ok("datadoghq.eu".into()));
        assert_eq!(
            site(Some("us3.datadoghq.com"), Some("datadoghq.eu")),
            Ok("us3.datadoghq.com".into())
        );
        assert!(site(None, Some("nonsense.example")).is_err());
    }
}
