//! Google Application Default Credentials, as Google's own libraries find them: the
//! JSON file named by `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's
//! `application_default_credentials.json`, then the metadata server
//! (`GCE_METADATA_HOST`, else `metadata.google.internal`). A service account signs a
//! JWT-bearer assertion for its own `token_uri`; gcloud user credentials
//! (`authorized_user`) trade their refresh token at theirs; workload identity
//! federation (`external_account`) exchanges another system's token at Google's STS
//! (see `external`); the metadata server hands out its account's token.
//!
//! Access tokens are cached in the credentials and shared by every clone of them
//! (so by every clone of a client): a token is reused until [`REFRESH_MARGIN`]
//! before it expires, and one refresh runs at a time; concurrent calls wait for it
//! and reuse its token. No token, refresh token, client secret nor private key
//! ever prints in a `Debug`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use instructor_core::{Error, ErrorDetail, Header};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::external::{ExternalAccount, ExternalFile};
use super::jwt::{Claims, SigningKey};
use crate::config::optional_env;
use crate::http::{ApiKey, Transport};

/// The OAuth scope Vertex AI needs.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// A token is refreshed this long before it expires (Google's libraries use a few
/// minutes), so a call never starts with a token about to lapse.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Google's token endpoint, for user credentials that name none.
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// The metadata server's host when `GCE_METADATA_HOST` is not set.
const DEFAULT_METADATA_HOST: &str = "metadata.google.internal";

/// Credentials that obtain Google OAuth access tokens for Vertex AI.
///
/// ```no_run
/// # fn main() -> instructor_core::Result<()> {
/// use instructor_providers::vertex::GoogleCredentials;
///
/// // GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, or the metadata server.
/// let adc = GoogleCredentials::from_env()?;
/// let sa = GoogleCredentials::from_file("service-account.json")?;
/// let fixed = GoogleCredentials::access_token("ya29.from-gcloud-auth-print-access-token");
/// assert!(!format!("{fixed:?}").contains("ya29"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct GoogleCredentials {
    inner: Arc<Inner>,
}

struct Inner {
    source: Source,
    /// The current token: one refresh at a time holds the lock.
    cached: Mutex<Option<Cached>>,
}

#[derive(Clone)]
pub(super) struct Cached {
    pub(super) token: ApiKey,
    /// When to stop using it: [`REFRESH_MARGIN`] before it expires.
    pub(super) refresh_at: Option<Instant>,
}

enum Source {
    ServiceAccount(Box<ServiceAccount>),
    AuthorizedUser(AuthorizedUser),
    Metadata {
        /// `http://host[:port]`.
        root: String,
        /// Whether the ADC search fell back to it (changes the error's advice).
        fallback: bool,
    },
    Fixed(ApiKey),
    External(Box<ExternalAccount>),
}

struct ServiceAccount {
    client_email: String,
    key_id: Option<String>,
    token_uri: String,
    project_id: Option<String>,
    key: SigningKey,
}

struct AuthorizedUser {
    client_id: String,
    client_secret: ApiKey,
    refresh_token: ApiKey,
    token_uri: String,
    quota_project_id: Option<String>,
}

/// The fields of a credentials file this module reads.
#[derive(Deserialize)]
struct CredentialsFile {
    #[serde(flatten)]
    external: ExternalFile,
    #[serde(rename = "type")]
    kind: Option<String>,
    project_id: Option<String>,
    private_key_id: Option<String>,
    private_key: Option<String>,
    client_email: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
    token_uri: Option<String>,
    quota_project_id: Option<String>,
}

impl GoogleCredentials {
    fn from_source(source: Source) -> Self {
        Self {
            inner: Arc::new(Inner {
                source,
                cached: Mutex::new(None),
            }),
        }
    }

    /// Application Default Credentials: the file named by
    /// `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
    /// `application_default_credentials.json` (under `CLOUDSDK_CONFIG`, else
    /// `~/.config/gcloud`, or `%APPDATA%\gcloud` on Windows), else the metadata
    /// server (reached only when a token is first needed).
    pub fn from_env() -> Result<Self, Error> {
        if let Some(path) = optional_env("GOOGLE_APPLICATION_CREDENTIALS") {
            return Self::from_file(&path).map_err(|e| {
                Error::Config(ErrorDetail::with_source(
                    format!("GOOGLE_APPLICATION_CREDENTIALS names `{path}`, which cannot be used"),
                    e,
                ))
            });
        }
        if let Some(path) = gcloud_adc_path().filter(|p| p.is_file()) {
            return Self::from_file(&path);
        }
        Ok(Self::metadata(&metadata_host(), true))
    }

    /// A service-account key file or gcloud user credentials (`authorized_user`).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(ErrorDetail::with_source(
                format!("cannot read Google credentials from {}", path.display()),
                e,
            ))
        })?;
        Self::from_json(&text)
    }

    /// Credentials from the JSON text of a service-account key or of gcloud user
    /// credentials. A service account's own `token_uri` is where its tokens come
    /// from.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let file: CredentialsFile = serde_json::from_str(json).map_err(|e| {
            // serde_json's message names a position, never the text.
            Error::Config(ErrorDetail::with_source(
                "the Google credentials are not a JSON credentials file",
                e,
            ))
        })?;
        let missing =
            |field: &str| Error::config(format!("the Google credentials have no `{field}`"));
        let source = match file.kind.as_deref() {
            Some("service_account") => Source::ServiceAccount(Box::new(ServiceAccount {
                key: SigningKey::from_pem(
                    file.private_key
                        .as_deref()
                        .ok_or_else(|| missing("private_key"))?,
                )?,
                client_email: file.client_email.ok_or_else(|| missing("client_email"))?,
                key_id: file.private_key_id,
                token_uri: file
                    .token_uri
                    .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned()),
                project_id: file.project_id,
            })),
            Some("authorized_user") => Source::AuthorizedUser(AuthorizedUser {
                client_id: file.client_id.ok_or_else(|| missing("client_id"))?,
                client_secret: ApiKey::new(
                    file.client_secret.ok_or_else(|| missing("client_secret"))?,
                ),
                refresh_token: ApiKey::new(
                    file.refresh_token.ok_or_else(|| missing("refresh_token"))?,
                ),
                token_uri: file
                    .token_uri
                    .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned()),
                quota_project_id: file.quota_project_id,
            }),
            Some("external_account") => {
                Source::External(Box::new(ExternalAccount::from_file(file.external)?))
            }
            Some(other) => {
                return Err(Error::config(format!(
                    "Google credentials of type `{other}` are not supported: use a \
                     service-account key, gcloud user credentials \
                     (`gcloud auth application-default login`), workload identity \
                     federation (`external_account`), the metadata server, or a fixed \
                     access token"
                )));
            }
            None => return Err(missing("type")),
        };
        Ok(Self::from_source(source))
    }

    /// The metadata server of the machine (Compute Engine, Cloud Run, GKE...): at
    /// `GCE_METADATA_HOST` if set (`host[:port]`, as Google's libraries read it),
    /// else `metadata.google.internal`.
    pub fn metadata_server() -> Self {
        Self::metadata(&metadata_host(), false)
    }

    /// The metadata server at `host` (`host[:port]`, or a URL).
    pub fn metadata_server_at(host: &str) -> Self {
        Self::metadata(host, false)
    }

    fn metadata(host: &str, fallback: bool) -> Self {
        let host = host.trim_end_matches('/');
        let root = if host.contains("://") {
            host.to_owned()
        } else {
            format!("http://{host}")
        };
        Self::from_source(Source::Metadata { root, fallback })
    }

    /// A fixed access token (from `gcloud auth print-access-token`, say): used as
    /// it is, never refreshed.
    pub fn access_token(token: impl Into<String>) -> Self {
        Self::from_source(Source::Fixed(ApiKey::new(token)))
    }

    /// The project the credentials name: a service account's `project_id`, or
    /// user credentials' `quota_project_id`.
    pub fn project_id(&self) -> Option<&str> {
        match &self.inner.source {
            Source::ServiceAccount(sa) => sa.project_id.as_deref(),
            Source::AuthorizedUser(user) => user.quota_project_id.as_deref(),
            _ => None,
        }
    }

    /// What kind of credentials these are: `service_account`, `authorized_user`,
    /// `metadata_server` or `access_token`.
    pub fn kind(&self) -> &'static str {
        match &self.inner.source {
            Source::ServiceAccount(_) => "service_account",
            Source::AuthorizedUser(_) => "authorized_user",
            Source::Metadata { .. } => "metadata_server",
            Source::Fixed(_) => "access_token",
            Source::External(_) => "external_account",
        }
    }

    /// The metadata server's root URL, when these credentials come from it.
    pub(crate) fn metadata_root(&self) -> Option<&str> {
        match &self.inner.source {
            Source::Metadata { root, .. } => Some(root),
            _ => None,
        }
    }

    /// The project billed for user credentials (`x-goog-user-project`).
    pub(crate) fn quota_project(&self) -> Option<&str> {
        match &self.inner.source {
            Source::AuthorizedUser(user) => user.quota_project_id.as_deref(),
            _ => None,
        }
    }

    /// A valid access token: the cached one, or a new one (one refresh at a time;
    /// the others wait for it).
    pub(crate) async fn token(&self, transport: &Transport) -> Result<ApiKey, Error> {
        let mut slot = self.inner.cached.lock().await;
        if let Some(cached) = slot.as_ref()
            && cached.refresh_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(cached.token.clone());
        }
        let fresh = self.inner.source.fetch(transport).await?;
        let token = fresh.token.clone();
        *slot = Some(fresh);
        Ok(token)
    }

    /// Drops the cached token if it is still `token` (the service refused it), so
    /// the next call gets a new one.
    pub(crate) async fn invalidate(&self, token: &ApiKey) {
        if matches!(self.inner.source, Source::Fixed(_)) {
            return;
        }
        let mut slot = self.inner.cached.lock().await;
        if slot.as_ref().is_some_and(|c| &c.token == token) {
            *slot = None;
        }
    }
}

impl Source {
    async fn fetch(&self, transport: &Transport) -> Result<Cached, Error> {
        let answer = match self {
            Self::Fixed(token) => {
                return Ok(Cached {
                    token: token.clone(),
                    refresh_at: None,
                });
            }
            Self::ServiceAccount(sa) => {
                let assertion = sa.key.assertion(&Claims {
                    issuer: &sa.client_email,
                    scope: CLOUD_PLATFORM_SCOPE,
                    audience: &sa.token_uri,
                    key_id: sa.key_id.as_deref(),
                })?;
                let form = [
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", assertion.as_str()),
                ];
                let answer = transport.post_form(&sa.token_uri, &[], &form).await;
                token_error(answer, &sa.token_uri, &[&assertion])?
            }
            Self::AuthorizedUser(user) => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("client_id", user.client_id.as_str()),
                    ("client_secret", user.client_secret.expose()),
                    ("refresh_token", user.refresh_token.expose()),
                ];
                let answer = transport.post_form(&user.token_uri, &[], &form).await;
                let secrets = [user.client_secret.expose(), user.refresh_token.expose()];
                token_error(answer, &user.token_uri, &secrets)?
            }
            Self::External(account) => return account.fetch(transport).await,
            Self::Metadata { root, fallback } => {
                let url = format!(
                    "{root}/computeMetadata/v1/instance/service-accounts/default/token?scopes={CLOUD_PLATFORM_SCOPE}"
                );
                transport
                    .get_json(&url, &[Header::new("Metadata-Flavor", "Google")])
                    .await
                    .map_err(|e| metadata_error(e, root, *fallback))?
            }
        };
        read_token(&answer)
    }
}

/// The token endpoint's answer, or its error with the sent secrets scrubbed and the
/// endpoint named.
pub(super) fn token_error(
    answer: Result<Value, Error>,
    uri: &str,
    secrets: &[&str],
) -> Result<Value, Error> {
    answer.map_err(|error| match error {
        Error::Http(mut http) => {
            let mut message = format!("the Google token endpoint {uri} refused: {}", http.message);
            for secret in secrets.iter().filter(|s| s.len() >= 8) {
                message = message.replace(secret, "<redacted>");
            }
            http.message = message;
            Error::Http(http)
        }
        other => other,
    })
}

/// A metadata server that cannot be reached, explained: with the ADC search's
/// other places when it was the last resort.
fn metadata_error(error: Error, root: &str, fallback: bool) -> Error {
    if !fallback || !matches!(error, Error::Connection(_) | Error::Timeout(_)) {
        return error;
    }
    Error::Config(ErrorDetail::with_source(
        format!(
            "no Google credentials found: GOOGLE_APPLICATION_CREDENTIALS is not set, there \
             is no gcloud application-default credentials file (`gcloud auth \
             application-default login`), and the metadata server at {root} did not answer"
        ),
        error,
    ))
}

/// `{"access_token", "expires_in", "token_type"}` into a cached token.
pub(super) fn read_token(answer: &Value) -> Result<Cached, Error> {
    let token = answer
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::response("the token answer has no access_token".to_owned()))?;
    // Google always says; a token that does not is used for five minutes.
    let lifetime = answer
        .get("expires_in")
        .and_then(Value::as_u64)
        .map_or(Duration::from_secs(300), Duration::from_secs);
    Ok(Cached {
        token: ApiKey::new(token),
        refresh_at: Some(Instant::now() + lifetime.saturating_sub(REFRESH_MARGIN)),
    })
}

/// `GCE_METADATA_HOST`, else `metadata.google.internal`.
fn metadata_host() -> String {
    optional_env("GCE_METADATA_HOST").unwrap_or_else(|| DEFAULT_METADATA_HOST.to_owned())
}

/// gcloud's application-default credentials file.
fn gcloud_adc_path() -> Option<PathBuf> {
    const FILE: &str = "application_default_credentials.json";
    if let Some(dir) = optional_env("CLOUDSDK_CONFIG") {
        return Some(PathBuf::from(dir).join(FILE));
    }
    if cfg!(windows) {
        return optional_env("APPDATA").map(|d| PathBuf::from(d).join("gcloud").join(FILE));
    }
    optional_env("HOME").map(|h| PathBuf::from(h).join(".config/gcloud").join(FILE))
}

impl fmt::Debug for GoogleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("GoogleCredentials");
        out.field("kind", &self.kind());
        match &self.inner.source {
            Source::ServiceAccount(sa) => {
                out.field("client_email", &sa.client_email)
                    .field("token_uri", &sa.token_uri)
                    .field("private_key", &"<redacted>");
            }
            Source::AuthorizedUser(user) => {
                out.field("client_id", &user.client_id)
                    .field("token_uri", &user.token_uri)
                    .field("refresh_token", &"<redacted>");
            }
            Source::Metadata { root, .. } => {
                out.field("metadata_server", root);
            }
            Source::Fixed(_) => {
                out.field("token", &"<redacted>");
            }
            Source::External(account) => {
                out.field("audience", &account.audience)
                    .field("token_url", &account.token_url)
                    .field("impersonation_url", &account.impersonation_url);
            }
        }
        out.finish_non_exhaustive()
    }
}
