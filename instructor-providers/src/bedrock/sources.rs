//! Temporary AWS credentials for code running on AWS: where the standard chain finds
//! no keys, they come from a web identity token exchanged with STS (EKS IRSA), the
//! container credentials endpoint (ECS tasks, EKS Pod Identity) or the EC2 instance
//! metadata service (IMDSv2). Each hands out keys with an expiry: they are cached,
//! shared by clones and concurrent calls, and fetched again five minutes before they
//! expire (one fetch at a time).
//!
//! The order, as the AWS SDKs use it: static keys (environment, then the profile),
//! the environment's or the profile's web identity, a role the profile assumes with
//! another profile's keys (`role_arn` + `source_profile`: STS `AssumeRole`, signed),
//! IAM Identity Center (SSO, with the token `aws sso login` cached), the container
//! endpoint, then instance metadata (unless `AWS_EC2_METADATA_DISABLED=true`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use instructor_core::{Error, ErrorDetail, Header};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::auth::{AwsCredentials, Env};
use crate::http::{ApiKey, Transport};

/// Fetched credentials are used until this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Credentials whose expiry cannot be read are fetched again after this long.
const UNKNOWN_EXPIRY: Duration = Duration::from_secs(600);
/// The instance metadata service answers on the instance in milliseconds: anywhere
/// else it is not there, and the chain should say so quickly.
const IMDS_TIMEOUT: Duration = Duration::from_secs(2);
/// The container endpoint of ECS tasks.
const ECS_HOST: &str = "http://169.254.170.2";
/// The instance metadata service.
const IMDS_HOST: &str = "http://169.254.169.254";

/// Where Bedrock's credentials come from: keys given or found in the environment, or
/// a source of temporary keys (cached and refreshed).
#[derive(Clone)]
pub(crate) struct CredentialSource {
    inner: Arc<Inner>,
}

struct Inner {
    source: Source,
    cached: Mutex<Option<Cached>>,
}

struct Cached {
    credentials: AwsCredentials,
    refresh_at: Instant,
}

enum Source {
    Static(AwsCredentials),
    WebIdentity {
        role_arn: String,
        session_name: String,
        token_file: PathBuf,
        /// STS's URL (`https://sts.<region>.amazonaws.com`).
        sts: String,
    },
    /// A role assumed with another profile's keys (`role_arn` + `source_profile`).
    AssumeRole {
        role_arn: String,
        session_name: String,
        external_id: Option<String>,
        duration_seconds: Option<String>,
        source: AwsCredentials,
        sts: String,
        region: String,
    },
    Container {
        url: String,
        authorization: Option<Authorization>,
    },
    /// IAM Identity Center (SSO): the role's keys from the SSO portal, with the
    /// access token `aws sso login` cached.
    Sso {
        /// The token cache file: `~/.aws/sso/cache/<sha1 of the session name or
        /// start URL>.json`.
        token_file: PathBuf,
        account_id: String,
        role_name: String,
        /// `https://portal.sso.<region>.amazonaws.com`.
        portal: String,
        /// For the error that says how to log in again.
        profile: String,
    },
    InstanceMetadata {
        /// `http://host[:port]`.
        root: String,
    },
}

/// The container endpoint's `Authorization` value: given, or read from a file at
/// each fetch (EKS Pod Identity rotates it).
enum Authorization {
    Token(ApiKey),
    File(PathBuf),
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.source {
            Source::Static(credentials) => credentials.fmt(f),
            Source::WebIdentity { role_arn, .. } => f
                .debug_struct("WebIdentity")
                .field("role_arn", role_arn)
                .finish_non_exhaustive(),
            Source::AssumeRole { role_arn, .. } => f
                .debug_struct("AssumeRole")
                .field("role_arn", role_arn)
                .finish_non_exhaustive(),
            Source::Container { .. } => f.write_str("ContainerCredentials"),
            Source::Sso {
                account_id,
                role_name,
                ..
            } => f
                .debug_struct("Sso")
                .field("account_id", account_id)
                .field("role_name", role_name)
                .finish_non_exhaustive(),
            Source::InstanceMetadata { .. } => f.write_str("InstanceMetadata"),
        }
    }
}

impl From<AwsCredentials> for CredentialSource {
    fn from(credentials: AwsCredentials) -> Self {
        Self::new(Source::Static(credentials))
    }
}

impl CredentialSource {
    fn new(source: Source) -> Self {
        Self {
            inner: Arc::new(Inner {
                source,
                cached: Mutex::new(None),
            }),
        }
    }

    /// The chain (see the module docs) for a client in `region`.
    pub(crate) fn from_env(env: &Env<'_>, region: &str) -> Result<Self, Error> {
        if let Some(credentials) = super::auth::static_credentials(env)? {
            return Ok(credentials.into());
        }
        let profile = env.profile()?;
        let from_profile = |key: &str| profile.get(key).filter(|v| !v.is_empty()).cloned();
        let token_file = env
            .var("AWS_WEB_IDENTITY_TOKEN_FILE")
            .or_else(|| from_profile("web_identity_token_file"));
        if let Some(token_file) = token_file {
            let role_arn = env
                .var("AWS_ROLE_ARN")
                .or_else(|| from_profile("role_arn"))
                .ok_or_else(|| {
                    Error::config(
                        "a web identity token file is set but no role to assume (AWS_ROLE_ARN or the profile's role_arn)"
                            .to_owned(),
                    )
                })?;
            let session_name = env
                .var("AWS_ROLE_SESSION_NAME")
                .or_else(|| from_profile("role_session_name"))
                .unwrap_or_else(|| format!("instructor-{}", unix_now()));
            return Ok(Self::new(Source::WebIdentity {
                role_arn,
                session_name,
                token_file: PathBuf::from(token_file),
                sts: sts_url(env, region),
            }));
        }
        if let (Some(role_arn), Some(source_name)) =
            (from_profile("role_arn"), from_profile("source_profile"))
        {
            let name = env.profile_name();
            let source_profile = env.profile_named(&source_name)?;
            if source_profile.contains_key("role_arn") {
                return Err(Error::config(format!(
                    "the AWS profile `{name}` assumes a role from `{source_name}`, which assumes one itself: only one step is followed; give `{source_name}` static keys"
                )));
            }
            let source = super::auth::profile_keys(&source_profile).ok_or_else(|| {
                Error::config(format!(
                    "the AWS profile `{name}` assumes a role with the keys of `{source_name}`, which has no aws_access_key_id and aws_secret_access_key"
                ))
            })?;
            return Ok(Self::new(Source::AssumeRole {
                role_arn,
                session_name: from_profile("role_session_name")
                    .unwrap_or_else(|| format!("instructor-{}", unix_now())),
                external_id: from_profile("external_id"),
                duration_seconds: from_profile("duration_seconds"),
                source,
                sts: sts_url(env, region),
                region: region.to_owned(),
            }));
        }
        if let Some(sso) = sso_source(env, &profile)? {
            return Ok(Self::new(sso));
        }
        super::auth::refuse_other_profile_sources(env, &profile)?;
        let authorization = match (
            env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        ) {
            (Some(file), _) => Some(Authorization::File(PathBuf::from(file))),
            (None, Some(token)) => Some(Authorization::Token(ApiKey::new(token))),
            (None, None) => None,
        };
        if let Some(relative) = env.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let url = format!("{ECS_HOST}/{}", relative.trim_start_matches('/'));
            return Ok(Self::new(Source::Container { url, authorization }));
        }
        if let Some(url) = env.var("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            check_container_url(&url)?;
            return Ok(Self::new(Source::Container { url, authorization }));
        }
        if env
            .var("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Err(super::auth::no_credentials(env));
        }
        let root = env
            .var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .unwrap_or_else(|| IMDS_HOST.to_owned());
        Ok(Self::new(Source::InstanceMetadata {
            root: root.trim_end_matches('/').to_owned(),
        }))
    }

    /// Keys to sign with: the given ones, or the cached temporary ones, fetched
    /// again when they are about to expire.
    pub(crate) async fn current(&self, transport: &Transport) -> Result<AwsCredentials, Error> {
        if let Source::Static(credentials) = &self.inner.source {
            return Ok(credentials.clone());
        }
        let mut slot = self.inner.cached.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.credentials.clone());
        }
        let fetched = self.inner.source.fetch(transport).await?;
        let credentials = fetched.credentials.clone();
        *slot = Some(fetched);
        Ok(credentials)
    }
}

impl CredentialSource {
    /// After AWS refused `used` as expired (`ExpiredTokenException`: a clock off,
    /// or keys revoked early), they are dropped from the cache, so the next call
    /// fetches new ones.
    pub(crate) async fn forget_expired(&self, error: &Error, used: &AwsCredentials) {
        let expired = matches!(error, Error::Http(http)
            if http.kind.as_deref() == Some("ExpiredTokenException"));
        if !expired || matches!(self.inner.source, Source::Static(_)) {
            return;
        }
        let mut slot = self.inner.cached.lock().await;
        if slot.as_ref().is_some_and(|c| &c.credentials == used) {
            *slot = None;
        }
    }
}

impl Source {
    async fn fetch(&self, transport: &Transport) -> Result<Cached, Error> {
        match self {
            Self::Static(credentials) => Ok(Cached {
                credentials: credentials.clone(),
                refresh_at: Instant::now() + Duration::from_secs(u32::MAX.into()),
            }),
            Self::WebIdentity {
                role_arn,
                session_name,
                token_file,
                sts,
            } => {
                let token = read_secret_file(token_file, "web identity token")?;
                let form = encode_form(&[
                    ("Action", "AssumeRoleWithWebIdentity"),
                    ("Version", "2011-06-15"),
                    ("RoleArn", role_arn.as_str()),
                    ("RoleSessionName", session_name.as_str()),
                    ("WebIdentityToken", token.expose()),
                ]);
                let xml = transport
                    .fetch_text(
                        reqwest::Method::POST,
                        &format!("{sts}/"),
                        &[],
                        Some(form),
                        None,
                    )
                    .await
                    .map_err(|e| source_error("STS AssumeRoleWithWebIdentity", e))?;
                sts_credentials(&xml, "STS AssumeRoleWithWebIdentity")
            }
            Self::AssumeRole {
                role_arn,
                session_name,
                external_id,
                duration_seconds,
                source,
                sts,
                region,
            } => {
                let mut fields = vec![
                    ("Action", "AssumeRole"),
                    ("Version", "2011-06-15"),
                    ("RoleArn", role_arn.as_str()),
                    ("RoleSessionName", session_name.as_str()),
                ];
                if let Some(id) = external_id {
                    fields.push(("ExternalId", id));
                }
                if let Some(seconds) = duration_seconds {
                    fields.push(("DurationSeconds", seconds));
                }
                let form = encode_form(&fields);
                let url = format!("{sts}/");
                let signed = super::auth::sign_request(
                    source,
                    &super::auth::SigningInput {
                        method: "POST",
                        url: &url,
                        headers: &[("content-type", FORM_TYPE)],
                        body: form.as_bytes(),
                        region,
                        service: "sts",
                        time: SystemTime::now(),
                        content_sha256_header: false,
                    },
                )?;
                let mut headers = vec![Header::new("content-type", FORM_TYPE)];
                headers.extend(signed);
                let xml = transport
                    .fetch_text(reqwest::Method::POST, &url, &headers, Some(form), None)
                    .await
                    .map_err(|e| source_error("STS AssumeRole", e))?;
                sts_credentials(&xml, "STS AssumeRole")
            }
            Self::Container { url, authorization } => {
                let mut headers = Vec::new();
                match authorization {
                    Some(Authorization::Token(token)) => {
                        headers.push(Header::sensitive("authorization", token.expose()));
                    }
                    Some(Authorization::File(path)) => {
                        let token = read_secret_file(path, "container authorization token")?;
                        headers.push(Header::sensitive("authorization", token.expose()));
                    }
                    None => {}
                }
                let text = transport
                    .fetch_text(reqwest::Method::GET, url, &headers, None, None)
                    .await
                    .map_err(|e| source_error("the container credentials endpoint", e))?;
                json_credentials(&text, "the container credentials endpoint")
            }
            Self::Sso {
                token_file,
                account_id,
                role_name,
                portal,
                profile,
            } => {
                let token = sso_token(token_file, profile)?;
                let url = reqwest::Url::parse_with_params(
                    &format!("{portal}/federation/credentials"),
                    &[("account_id", account_id), ("role_name", role_name)],
                )
                .map_err(|e| {
                    Error::Config(ErrorDetail::with_source(
                        "the SSO portal URL is not valid",
                        e,
                    ))
                })?;
                let text = transport
                    .fetch_text(
                        reqwest::Method::GET,
                        url.as_str(),
                        &[Header::sensitive("x-amz-sso_bearer_token", token.expose())],
                        None,
                        None,
                    )
                    .await
                    .map_err(|e| source_error("the AWS SSO portal", e))?;
                sso_credentials(&text)
            }
            Self::InstanceMetadata { root } => {
                let token = transport
                    .fetch_text(
                        reqwest::Method::PUT,
                        &format!("{root}/latest/api/token"),
                        &[Header::new("x-aws-ec2-metadata-token-ttl-seconds", "21600")],
                        None,
                        Some(IMDS_TIMEOUT),
                    )
                    .await
                    .map_err(imds_error)?;
                let auth = [Header::sensitive("x-aws-ec2-metadata-token", token.trim())];
                let base = format!("{root}/latest/meta-data/iam/security-credentials/");
                let roles = transport
                    .fetch_text(reqwest::Method::GET, &base, &auth, None, Some(IMDS_TIMEOUT))
                    .await
                    .map_err(imds_error)?;
                let role = roles.lines().map(str::trim).find(|l| !l.is_empty());
                let Some(role) = role.filter(|r| !r.contains(['/', '?', '#'])) else {
                    return Err(Error::config(
                        "the EC2 instance has no IAM role (instance metadata lists none)"
                            .to_owned(),
                    ));
                };
                let text = transport
                    .fetch_text(
                        reqwest::Method::GET,
                        &format!("{base}{role}"),
                        &auth,
                        None,
                        Some(IMDS_TIMEOUT),
                    )
                    .await
                    .map_err(imds_error)?;
                json_credentials(&text, "the EC2 instance metadata service")
            }
        }
    }
}

/// The credentials document of the container endpoint and instance metadata.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsDocument {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

fn json_credentials(text: &str, from: &str) -> Result<Cached, Error> {
    let document: CredentialsDocument = serde_json::from_str(text).map_err(|e| {
        Error::Config(ErrorDetail::with_source(
            format!("{from} answered with something other than a credentials document"),
            e,
        ))
    })?;
    if let Some(code) = document.code.as_deref().filter(|c| *c != "Success") {
        return Err(Error::config(format!(
            "{from} refused: {code}{}",
            document
                .message
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        )));
    }
    match (document.access_key_id, document.secret_access_key) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(cached(
            id,
            secret,
            document.token,
            document.expiration.as_deref(),
        )),
        _ => Err(Error::config(format!(
            "{from} answered without credentials"
        ))),
    }
}

/// The SSO source of a profile with `sso_account_id` and `sso_role_name`, and its
/// session (`sso_session`, whose `[sso-session]` section has `sso_region` and
/// `sso_start_url`) or the legacy `sso_start_url` and `sso_region` on the profile.
fn sso_source(
    env: &Env<'_>,
    profile: &std::collections::HashMap<String, String>,
) -> Result<Option<Source>, Error> {
    let key = |k: &str| profile.get(k).filter(|v| !v.is_empty()).cloned();
    let (Some(account_id), Some(role_name)) = (key("sso_account_id"), key("sso_role_name")) else {
        return Ok(None);
    };
    let name = env.profile_name();
    let (cache_key, region) = match key("sso_session") {
        Some(session) => {
            let section = env.sso_session(&session)?;
            let region = section.get("sso_region").cloned().ok_or_else(|| {
                Error::config(format!(
                    "the AWS profile `{name}` names the SSO session `{session}`, which has no [sso-session {session}] section with sso_region in the config file"
                ))
            })?;
            (session, region)
        }
        None => match (key("sso_start_url"), key("sso_region")) {
            (Some(url), Some(region)) => (url, region),
            _ => return Ok(None),
        },
    };
    let home = env.home().ok_or_else(|| {
        Error::config("no home directory (HOME) to find the AWS SSO token cache in".to_owned())
    })?;
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        cache_key.as_bytes(),
    );
    let file: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let portal = env
        .var("AWS_ENDPOINT_URL_SSO")
        .unwrap_or_else(|| format!("https://portal.sso.{region}.amazonaws.com"));
    Ok(Some(Source::Sso {
        token_file: home.join(".aws/sso/cache").join(format!("{file}.json")),
        account_id,
        role_name,
        portal: portal.trim_end_matches('/').to_owned(),
        profile: name,
    }))
}

/// The access token `aws sso login` cached, while it is valid.
fn sso_token(path: &PathBuf, profile: &str) -> Result<ApiKey, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct TokenCache {
        access_token: Option<String>,
        expires_at: Option<String>,
    }
    let login = || {
        Error::config(format!(
            "the AWS SSO session of the profile `{profile}` has expired or was never started: run `aws sso login --profile {profile}`"
        ))
    };
    let text = std::fs::read_to_string(path).map_err(|_| login())?;
    let cache: TokenCache = serde_json::from_str(&text).map_err(|_| login())?;
    let fresh = cache
        .expires_at
        .as_deref()
        .and_then(parse_rfc3339)
        .is_some_and(|expires| expires > unix_now() + 60);
    match cache.access_token.filter(|t| !t.is_empty()) {
        Some(token) if fresh => Ok(ApiKey::new(token)),
        _ => Err(login()),
    }
}

/// The SSO portal's `{"roleCredentials": {..., "expiration": <epoch ms>}}`.
fn sso_credentials(text: &str) -> Result<Cached, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        role_credentials: Option<RoleCredentials>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RoleCredentials {
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
        session_token: Option<String>,
        expiration: Option<u64>,
    }
    let answer: Answer = serde_json::from_str(text).map_err(|e| {
        Error::Config(ErrorDetail::with_source(
            "the AWS SSO portal answered with something other than role credentials",
            e,
        ))
    })?;
    let role = answer.role_credentials.ok_or_else(|| {
        Error::config("the AWS SSO portal answered without role credentials".to_owned())
    })?;
    let (Some(id), Some(secret)) = (role.access_key_id, role.secret_access_key) else {
        return Err(Error::config(
            "the AWS SSO portal answered without keys".to_owned(),
        ));
    };
    let mut fetched = cached(id, secret, role.session_token, None);
    if let Some(expires_ms) = role.expiration {
        let left = Duration::from_secs((expires_ms / 1000).saturating_sub(unix_now()));
        fetched.refresh_at = Instant::now() + left.saturating_sub(REFRESH_MARGIN);
    }
    Ok(fetched)
}

/// The content type of STS's query API requests.
const FORM_TYPE: &str = crate::http::files::FORM_CONTENT_TYPE;

/// A URL-encoded form body.
fn encode_form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// STS's URL: `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else the regional one.
fn sts_url(env: &Env<'_>, region: &str) -> String {
    env.var("AWS_ENDPOINT_URL_STS")
        .or_else(|| env.var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"))
        .trim_end_matches('/')
        .to_owned()
}

/// The credentials in an STS answer (`AssumeRole`, `AssumeRoleWithWebIdentity`).
fn sts_credentials(xml: &str, from: &str) -> Result<Cached, Error> {
    let field = |name: &str| xml_text(xml, name);
    match (field("AccessKeyId"), field("SecretAccessKey")) {
        (Some(id), Some(secret)) => Ok(cached(
            id,
            secret,
            field("SessionToken"),
            field("Expiration").as_deref(),
        )),
        _ => Err(Error::config(format!(
            "{from} answered without credentials"
        ))),
    }
}

fn cached(id: String, secret: String, token: Option<String>, expiration: Option<&str>) -> Cached {
    let credentials = AwsCredentials::new(id, secret);
    let credentials = match token.filter(|t| !t.is_empty()) {
        Some(token) => credentials.with_session_token(token),
        None => credentials,
    };
    let lifetime = expiration
        .and_then(parse_rfc3339)
        .map(|expires| Duration::from_secs(expires.saturating_sub(unix_now())))
        .map_or(UNKNOWN_EXPIRY, |left| left.saturating_sub(REFRESH_MARGIN));
    Cached {
        credentials,
        refresh_at: Instant::now() + lifetime,
    }
}

/// Instance metadata is the chain's last resort: when it does not answer, most
/// likely the code is not on EC2 and nothing else was configured.
fn imds_error(error: Error) -> Error {
    Error::Config(ErrorDetail::with_source(
        "no AWS credentials: none in the environment or the profile, and the EC2 instance metadata service gave none (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or AWS_EC2_METADATA_DISABLED=true to skip it)",
        error,
    ))
}

fn source_error(what: &str, error: Error) -> Error {
    Error::Config(ErrorDetail::with_source(
        format!("no AWS credentials from {what}"),
        error,
    ))
}

fn read_secret_file(path: &PathBuf, what: &str) -> Result<ApiKey, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Config(ErrorDetail::with_source(
            format!("cannot read the {what} file {}", path.display()),
            e,
        ))
    })?;
    Ok(ApiKey::new(text.trim()))
}

/// A full container credentials URL must be HTTPS, or HTTP to loopback or to the
/// addresses of ECS and EKS Pod Identity (as the AWS SDKs require).
fn check_container_url(url: &str) -> Result<(), Error> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        Error::Config(ErrorDetail::with_source(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL",
            e,
        ))
    })?;
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let aws_address = |ip: std::net::IpAddr| {
        ip.is_loopback()
            || ip == std::net::IpAddr::from([169, 254, 170, 2])
            || ip == std::net::IpAddr::from([169, 254, 170, 23])
            || ip == std::net::IpAddr::from([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23])
    };
    let allowed = match parsed.scheme() {
        "https" => !host.is_empty(),
        "http" => host.eq_ignore_ascii_case("localhost") || host.parse().is_ok_and(aws_address),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::config(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback or the ECS and EKS Pod Identity addresses"
                .to_owned(),
        ))
    }
}

/// The text of the first `<name>…</name>` element (STS's XML answers; the values
/// this reads hold no markup).
fn xml_text(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    let text = xml[start..end].trim();
    (!text.is_empty()).then(|| {
        text.replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-12-07T17:00:00Z`, with
/// optional fractional seconds); `None` for anything else or out of range.
fn parse_rfc3339(text: &str) -> Option<u64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !text.is_char_boundary(19) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| bytes[i] != c) || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let rest = &text[19..];
    let rest = match rest.strip_prefix('.') {
        Some(fraction) => fraction.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    if !matches!(rest, "Z" | "z" | "+00:00") {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), for years 0000-9999.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use std::collections::HashMap;

    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn rfc3339_in(seconds: u64) -> String {
        // Formats unix time as RFC 3339 (the inverse of `parse_rfc3339`, for tests).
        let t = unix_now() + seconds;
        let (days, rest) = (t / 86_400, t % 86_400);
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rest / 3_600,
            rest / 60 % 60,
            rest % 60
        )
    }

    fn document(id: &str, expires_in: u64) -> serde_json::Value {
        serde_json::json!({
            "Code": "Success",
            "AccessKeyId": id,
            "SecretAccessKey": "secret-of-".to_owned() + id,
            "Token": "token-of-".to_owned() + id,
            "Expiration": rfc3339_in(expires_in),
        })
    }

    fn source(vars: &HashMap<&str, String>) -> CredentialSource {
        CredentialSource::from_env(&Env::map(vars), "us-east-1").unwrap()
    }

    /// Bedrock at `server`, with keys from the container endpoint at its `/creds`,
    /// a Converse request for model `m1` and its body.
    fn converse_call(
        server: &MockServer,
        tag: &str,
    ) -> (
        super::super::Bedrock,
        instructor_core::provider::ProviderRequest,
        serde_json::Value,
    ) {
        use instructor_core::provider::{Provider, ProviderRequest, ResponseSpec};
        use instructor_core::schema::Schema;
        use instructor_core::{Message, Mode};

        let mut vars = no_files(tag);
        vars.insert(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.uri()),
        );
        let bedrock = super::super::Bedrock::with_source("us-east-1".to_owned(), source(&vars))
            .endpoint(server.uri());
        let spec = ResponseSpec {
            name: "User".to_owned(),
            description: String::new(),
            schema: Schema::of_type("object"),
        };
        let request = ProviderRequest::new("m1", Mode::Tools, vec![Message::user("Ada")], spec);
        let body = bedrock.build_body(&request).unwrap();
        (bedrock, request, body)
    }

    fn no_files(dir: &str) -> HashMap<&'static str, String> {
        let missing = std::env::temp_dir().join(format!("instructor-no-aws-{dir}"));
        HashMap::from([
            ("HOME", missing.display().to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ])
    }

    #[test]
    fn rfc3339_formatting_for_tests_round_trips() {
        let text = rfc3339_in(0);
        assert_eq!(parse_rfc3339(&text), Some(unix_now()));
    }

    #[tokio::test]
    async fn container_credentials_are_fetched_with_the_token_cached_and_shared() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/creds"))
            .and(header("authorization", "pod-token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(document("ASIAPOD", 3_600)))
            .expect(1)
            .mount(&server)
            .await;
        let mut vars = no_files("container");
        vars.insert(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.uri()),
        );
        vars.insert("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-token".to_owned());
        let source = source(&vars);
        assert!(!format!("{source:?}").contains("pod-token"));
        let transport = Transport::new();
        let first = source.current(&transport).await.unwrap();
        assert_eq!(first.access_key_id(), "ASIAPOD");
        assert!(first.has_session_token());
        // Cached: the clone asks nobody (the mock expects exactly one request).
        let again = source.clone().current(&transport).await.unwrap();
        assert_eq!(again, first);
    }

    #[tokio::test]
    async fn credentials_near_their_expiry_are_fetched_again() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/creds"))
            .respond_with(ResponseTemplate::new(200).set_body_json(document("ASIASHORT", 60)))
            .expect(2)
            .mount(&server)
            .await;
        let mut vars = no_files("expiry");
        vars.insert(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.uri()),
        );
        let source = source(&vars);
        let transport = Transport::new();
        source.current(&transport).await.unwrap();
        source.current(&transport).await.unwrap();
    }

    #[tokio::test]
    async fn instance_metadata_takes_a_session_token_then_the_role_then_its_keys() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path("/latest/api/token"))
            .and(header("x-aws-ec2-metadata-token-ttl-seconds", "21600"))
            .respond_with(ResponseTemplate::new(200).set_body_string("imds-session"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/latest/meta-data/iam/security-credentials/"))
            .and(header("x-aws-ec2-metadata-token", "imds-session"))
            .respond_with(ResponseTemplate::new(200).set_body_string("app-role\n"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/latest/meta-data/iam/security-credentials/app-role"))
            .and(header("x-aws-ec2-metadata-token", "imds-session"))
            .respond_with(ResponseTemplate::new(200).set_body_json(document("ASIAEC2", 3_600)))
            .mount(&server)
            .await;
        let mut vars = no_files("imds");
        vars.remove("AWS_EC2_METADATA_DISABLED");
        vars.insert("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.uri());
        let credentials = source(&vars).current(&Transport::new()).await.unwrap();
        assert_eq!(credentials.access_key_id(), "ASIAEC2");
    }

    #[tokio::test]
    async fn a_web_identity_token_is_exchanged_with_sts() {
        let server = MockServer::start().await;
        let xml = format!(
            "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
             <AccessKeyId>ASIAIRSA</AccessKeyId><SecretAccessKey>irsa-secret</SecretAccessKey>\
             <SessionToken>irsa-token</SessionToken><Expiration>{}</Expiration>\
             </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
            rfc3339_in(3_600)
        );
        Mock::given(method("POST"))
            .and(path("/"))
            .and(body_string_contains("Action=AssumeRoleWithWebIdentity"))
            .and(body_string_contains("WebIdentityToken=jwt-from-file"))
            .and(body_string_contains(
                "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fapp",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_string(xml))
            .expect(1)
            .mount(&server)
            .await;
        let dir = std::env::temp_dir().join(format!("instructor-irsa-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let token_file = dir.join("token");
        std::fs::write(&token_file, "jwt-from-file\n").unwrap();
        let mut vars = no_files("irsa");
        vars.insert(
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            token_file.display().to_string(),
        );
        vars.insert("AWS_ROLE_ARN", "arn:aws:iam::1:role/app".to_owned());
        vars.insert("AWS_ENDPOINT_URL_STS", server.uri());
        let source = source(&vars);
        assert!(format!("{source:?}").contains("arn:aws:iam::1:role/app"));
        let credentials = source.current(&Transport::new()).await.unwrap();
        assert_eq!(credentials.access_key_id(), "ASIAIRSA");
        assert!(!format!("{credentials:?}").contains("irsa-secret"));
    }

    #[tokio::test]
    async fn a_role_is_assumed_with_the_source_profiles_keys_signed_for_sts() {
        let server = MockServer::start().await;
        let xml = format!(
            "<AssumeRoleResponse><AssumeRoleResult><Credentials>\
             <AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey>\
             <SessionToken>role-token</SessionToken><Expiration>{}</Expiration>\
             </Credentials></AssumeRoleResult></AssumeRoleResponse>",
            rfc3339_in(3_600)
        );
        Mock::given(method("POST"))
            .and(path("/"))
            .and(body_string_contains("Action=AssumeRole&"))
            .and(body_string_contains(
                "RoleArn=arn%3Aaws%3Aiam%3A%3A2%3Arole%2Fbedrock",
            ))
            .and(body_string_contains("ExternalId=ext-1"))
            .and(header("content-type", FORM_TYPE))
            .respond_with(ResponseTemplate::new(200).set_body_string(xml))
            .expect(1)
            .mount(&server)
            .await;
        let dir = std::env::temp_dir().join(format!("instructor-assume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config"),
            "[profile app]\nrole_arn = arn:aws:iam::2:role/bedrock\nsource_profile = base\nexternal_id = ext-1\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("credentials"),
            "[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = source-secret\n",
        )
        .unwrap();
        let mut vars = no_files("assume");
        vars.insert("AWS_CONFIG_FILE", dir.join("config").display().to_string());
        vars.insert(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("credentials").display().to_string(),
        );
        vars.insert("AWS_PROFILE", "app".to_owned());
        vars.insert("AWS_ENDPOINT_URL_STS", server.uri());
        let source = source(&vars);
        assert!(format!("{source:?}").contains("AssumeRole"));
        let credentials = source.current(&Transport::new()).await.unwrap();
        assert_eq!(credentials.access_key_id(), "ASIAROLE");
        let sent = &server.received_requests().await.unwrap()[0];
        let authorization = sent.headers.get("authorization").unwrap().to_str().unwrap();
        assert!(
            authorization.contains("Credential=AKIDSOURCE/"),
            "{authorization}"
        );
        assert!(
            authorization.contains("/us-east-1/sts/aws4_request"),
            "{authorization}"
        );

        // A source profile without keys, or one that assumes a role itself, is refused.
        std::fs::write(
            dir.join("credentials"),
            "[base]\nrole_arn = arn:aws:iam::3:role/x\nsource_profile = other\n",
        )
        .unwrap();
        let error = CredentialSource::from_env(&Env::map(&vars), "us-east-1").unwrap_err();
        assert!(error.to_string().contains("only one step"), "{error}");
        std::fs::write(dir.join("credentials"), "[base]\nregion = us-east-1\n").unwrap();
        let error = CredentialSource::from_env(&Env::map(&vars), "us-east-1").unwrap_err();
        assert!(
            error.to_string().contains("has no aws_access_key_id"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A home with an AWS config file and, when `token` is given, the SSO token
    /// cache entry under `key`'s SHA-1 (the names the AWS CLI writes).
    fn sso_home(tag: &str, config: &str, sha1_of_key: &str, token: Option<(&str, u64)>) -> PathBuf {
        let home =
            std::env::temp_dir().join(format!("instructor-sso-{tag}-{}", std::process::id()));
        let cache = home.join(".aws/sso/cache");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(home.join(".aws/config"), config).unwrap();
        if let Some((token, expires_in)) = token {
            let entry = serde_json::json!({"accessToken": token, "expiresAt": rfc3339_in(expires_in),
                "region": "us-east-1", "startUrl": "https://corp.awsapps.com/start"});
            std::fs::write(cache.join(format!("{sha1_of_key}.json")), entry.to_string()).unwrap();
        }
        home
    }

    #[tokio::test]
    async fn an_sso_profile_gets_the_roles_keys_from_the_portal_with_the_cached_token() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/federation/credentials"))
            .and(wiremock::matchers::query_param("account_id", "111122223333"))
            .and(wiremock::matchers::query_param("role_name", "Bedrock"))
            .and(header("x-amz-sso_bearer_token", "sso-access-token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "roleCredentials": {"accessKeyId": "ASIASSO", "secretAccessKey": "sso-secret",
                    "sessionToken": "sso-session-token", "expiration": (unix_now() + 3_600) * 1000}})))
            .expect(1)
            .mount(&server)
            .await;
        // sha1("my-sso") = 0ad374308c5a4e22f723adf10145eafad7c4031c
        let home = sso_home(
            "session",
            "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Bedrock\n\n[sso-session my-sso]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n",
            "0ad374308c5a4e22f723adf10145eafad7c4031c",
            Some(("sso-access-token", 3_600)),
        );
        let mut vars = no_files("sso");
        vars.insert("HOME", home.display().to_string());
        vars.insert("AWS_PROFILE", "dev".to_owned());
        vars.insert("AWS_ENDPOINT_URL_SSO", server.uri());
        let source = source(&vars);
        assert!(format!("{source:?}").contains("111122223333"));
        let credentials = source.current(&Transport::new()).await.unwrap();
        assert_eq!(credentials.access_key_id(), "ASIASSO");
        assert!(credentials.has_session_token());
        source.current(&Transport::new()).await.unwrap();
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[tokio::test]
    async fn a_legacy_sso_profile_with_an_expired_login_says_to_log_in_again() {
        // sha1("https://corp.awsapps.com/start") = a51746d4aa793ae07b25e90c3a5db96fc7832bd7
        let config = "[profile old]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n";
        let key = "a51746d4aa793ae07b25e90c3a5db96fc7832bd7";
        for (tag, token) in [("expired", Some(("old-token", 0))), ("never", None)] {
            let home = sso_home(tag, config, key, token);
            let mut vars = no_files("sso-legacy");
            vars.insert("HOME", home.display().to_string());
            vars.insert("AWS_PROFILE", "old".to_owned());
            vars.insert("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9".to_owned());
            let error = source(&vars).current(&Transport::new()).await.unwrap_err();
            assert!(
                error.to_string().contains("aws sso login --profile old"),
                "{tag}: {error}"
            );
            std::fs::remove_dir_all(&home).unwrap();
        }
    }

    #[tokio::test]
    async fn a_source_that_refuses_or_answers_nonsense_is_a_config_error_naming_it() {
        let server = MockServer::start().await;
        for (route, answer) in [
            ("/denied", ResponseTemplate::new(403).set_body_string("no")),
            (
                "/garbage",
                ResponseTemplate::new(200).set_body_string("<html>"),
            ),
            (
                "/failed",
                ResponseTemplate::new(200).set_body_json(
                    serde_json::json!({"Code": "AccessDenied", "Message": "role gone"}),
                ),
            ),
            (
                "/empty",
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"Code": "Success"})),
            ),
        ] {
            Mock::given(method("GET"))
                .and(path(route))
                .respond_with(answer)
                .mount(&server)
                .await;
        }
        for route in ["/denied", "/garbage", "/failed", "/empty"] {
            let mut vars = no_files("refused");
            vars.insert(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}{route}", server.uri()),
            );
            let error = source(&vars).current(&Transport::new()).await.unwrap_err();
            assert!(matches!(error, Error::Config(_)), "{route}: {error:?}");
            assert!(
                error.to_string().contains("container credentials endpoint"),
                "{route}: {error}"
            );
        }
    }

    #[tokio::test]
    async fn bedrock_signs_each_call_with_the_fetched_credentials() {
        use instructor_core::provider::Provider;

        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/creds"))
            .respond_with(ResponseTemplate::new(200).set_body_json(document("ASIATASK", 3_600)))
            .expect(1)
            .mount(&server)
            .await;
        let answer = serde_json::json!({
            "output": {"message": {"role": "assistant", "content": [
                {"toolUse": {"toolUseId": "t1", "name": "User", "input": {"name": "Ada"}}}
            ]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}
        });
        Mock::given(method("POST"))
            .and(path("/model/m1/converse"))
            .and(header("x-amz-security-token", "token-of-ASIATASK"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(2)
            .mount(&server)
            .await;
        let (bedrock, request, body) = converse_call(&server, "signed");
        for _ in 0..2 {
            let completion = bedrock.send(&request, &body).await.unwrap();
            assert_eq!(completion.tool_calls.len(), 1);
        }
        let requests = server.received_requests().await.unwrap();
        let signed = requests
            .iter()
            .find(|r| r.url.path() == "/model/m1/converse")
            .unwrap();
        let authorization = signed
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            authorization.contains("Credential=ASIATASK/"),
            "{authorization}"
        );
    }

    #[tokio::test]
    async fn keys_refused_as_expired_are_fetched_again_on_the_next_call() {
        use instructor_core::provider::Provider;

        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/creds"))
            .respond_with(ResponseTemplate::new(200).set_body_json(document("ASIASKEW", 3_600)))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/model/m1/converse"))
            .respond_with(
                ResponseTemplate::new(403)
                    .insert_header("x-amzn-errortype", "ExpiredTokenException:http://internal/")
                    .set_body_json(serde_json::json!({"message": "The security token included in the request is expired"})),
            )
            .mount(&server)
            .await;
        let (bedrock, request, body) = converse_call(&server, "expired");
        for _ in 0..2 {
            let error = bedrock.send(&request, &body).await.unwrap_err();
            assert_eq!(error.status(), Some(403));
        }
    }

    #[tokio::test]
    async fn instance_metadata_that_is_not_there_says_what_to_set() {
        let mut vars = no_files("no-imds");
        vars.remove("AWS_EC2_METADATA_DISABLED");
        // A port nothing listens on: refused at once.
        vars.insert(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            "http://127.0.0.1:9".to_owned(),
        );
        let error = source(&vars).current(&Transport::new()).await.unwrap_err();
        assert!(error.to_string().contains("AWS_ACCESS_KEY_ID"), "{error}");
    }

    #[test]
    fn the_chain_prefers_static_keys_and_says_when_there_is_nothing() {
        let mut vars = no_files("chain");
        let error = CredentialSource::from_env(&Env::map(&vars), "us-east-1").unwrap_err();
        assert!(error.to_string().contains("no AWS credentials"), "{error}");
        vars.insert(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x".to_owned(),
        );
        assert_eq!(format!("{:?}", source(&vars)), "ContainerCredentials");
        vars.insert("AWS_ACCESS_KEY_ID", "AKIDSTATIC".to_owned());
        vars.insert("AWS_SECRET_ACCESS_KEY", "static-secret".to_owned());
        assert!(format!("{:?}", source(&vars)).contains("AKIDSTATIC"));
        vars.clear();
        vars.extend(no_files("chain2"));
        vars.insert(
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "/nonexistent/token".to_owned(),
        );
        let error = CredentialSource::from_env(&Env::map(&vars), "us-east-1").unwrap_err();
        assert!(error.to_string().contains("no role to assume"), "{error}");
        vars.remove("AWS_WEB_IDENTITY_TOKEN_FILE");
        vars.insert(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://10.1.2.3/creds".to_owned(),
        );
        assert!(CredentialSource::from_env(&Env::map(&vars), "us-east-1").is_err());
    }

    #[test]
    fn rfc3339_times_read_as_unix_seconds_and_anything_else_is_none() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-12-07T17:00:00Z"), Some(1_796_662_800));
        assert_eq!(parse_rfc3339("2000-02-29T12:34:56.789Z"), Some(951_827_696));
        assert_eq!(
            parse_rfc3339("2026-12-07T17:00:00+00:00"),
            Some(1_796_662_800)
        );
        for bad in [
            "",
            "2026-12-07",
            "2026-13-07T17:00:00Z",
            "2026-12-07T25:00:00Z",
            "2026-12-07T17:00:00+02:00",
            "1969-12-31T23:59:59Z",
            "9999-99-99T99:99:99Z",
            "２０２６-12-07T17:00:00Z",
            "2026-12-07T17:00:00Zjunk",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sts_xml_fields_are_read_and_unescaped() {
        let xml = "<R><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>a&amp;b</SecretAccessKey></Credentials></R>";
        assert_eq!(xml_text(xml, "AccessKeyId").as_deref(), Some("ASIA1"));
        assert_eq!(xml_text(xml, "SecretAccessKey").as_deref(), Some("a&b"));
        assert_eq!(xml_text(xml, "SessionToken"), None);
        assert_eq!(xml_text("<A>unclosed", "A"), None);
    }

    #[test]
    fn full_container_urls_must_be_https_or_reach_loopback_or_the_aws_addresses() {
        for ok in [
            "https://creds.example/x",
            "http://127.0.0.1:9911/creds",
            "http://localhost/creds",
            "http://169.254.170.23/v1/credentials",
            "http://[::1]:80/x",
        ] {
            assert!(check_container_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/creds",
            "http://evil.example/",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            assert!(check_container_url(bad).is_err(), "{bad}");
        }
    }
}
