//! AWS credentials from the standard chain, the region and endpoint, and SigV4
//! request signing.
//!
//! The chain, as the AWS SDKs read it (static keys only):
//! 1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`);
//! 2. the profile `AWS_PROFILE` (else `default`) in the shared credentials file
//!    (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`) and the config file
//!    (`AWS_CONFIG_FILE`, else `~/.aws/config`, sections `[profile NAME]` or
//!    `[default]`); the credentials file wins where both set a key.
//!
//! Past static keys, `Bedrock::from_env` goes on to temporary credentials (a web
//! identity, a role assumed with a source profile's keys, the container endpoint,
//! instance metadata: see `sources`). A profile that resolves credentials in another
//! way (`sso_*`, `credential_process`, a chain of roles) is refused with a
//! configuration error that says how to export static keys instead. The region is `AWS_REGION`, else
//! `AWS_DEFAULT_REGION`, else the profile's `region`.
//!
//! Signing goes through the `aws-sigv4` crate (service `bedrock`): each attempt is
//! signed over its exact body bytes, `content-type`, `host` and `x-amz-date` (and
//! `x-amz-security-token` with temporary credentials), with the path double-encoded
//! as AWS does for every service but S3. The crate's own trace events (which show the
//! canonical request, session token included) are silenced while it signs.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use instructor_core::{Error, ErrorDetail, Header};

use crate::http::ApiKey;
use crate::http::signed::RequestSigner;

/// AWS credentials: an access key id, its secret key and, for temporary credentials,
/// a session token. The secret key and the session token never print.
///
/// ```
/// use instructor_providers::AwsCredentials;
///
/// let credentials = AwsCredentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
///     .with_session_token("FwoGZXIvYXdzE-token");
/// let shown = format!("{credentials:?}");
/// assert!(shown.contains("AKIDEXAMPLE"));
/// assert!(!shown.contains("EXAMPLEKEY") && !shown.contains("FwoG"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    access_key_id: String,
    secret_access_key: ApiKey,
    session_token: Option<ApiKey>,
}

impl AwsCredentials {
    /// Long-term credentials: an access key id and its secret key.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: ApiKey::new(secret_access_key),
            session_token: None,
        }
    }

    /// The same credentials with a session token (temporary credentials).
    #[must_use]
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(ApiKey::new(token));
        self
    }

    /// The access key id (not a secret: AWS prints it in errors).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// Whether these are temporary credentials (with a session token).
    pub fn has_session_token(&self) -> bool {
        self.session_token.is_some()
    }

    /// The standard chain from this process's environment (see the module docs).
    pub fn from_env() -> Result<Self, Error> {
        credentials(&Env::process())
    }

    fn to_aws(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            &self.access_key_id,
            self.secret_access_key.expose(),
            self.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "instructor",
        )
    }
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Where configuration is read from: a variable lookup (the process environment, or
/// a map in tests) and the files it names.
pub(crate) struct Env<'a> {
    var: Box<Lookup<'a>>,
}

/// Reads one variable (`None` when unset or blank).
type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

impl<'a> Env<'a> {
    /// The process environment.
    pub(crate) fn process() -> Self {
        Self {
            var: Box::new(crate::config::optional_env),
        }
    }

    /// Variables from a map (blank values are unset, as in the process).
    #[cfg(test)]
    pub(crate) fn map(vars: &'a HashMap<&'a str, String>) -> Self {
        Self {
            var: Box::new(|name| vars.get(name).filter(|v| !v.trim().is_empty()).cloned()),
        }
    }

    pub(crate) fn var(&self, name: &str) -> Option<String> {
        (self.var)(name)
    }

    /// A file path from `variable`, else `~/.aws/<default>` (a leading `~` expanded).
    fn path(&self, variable: &str, default: &str) -> Option<PathBuf> {
        match self.var(variable) {
            Some(path) => match path.strip_prefix("~/") {
                Some(rest) => self.home().map(|h| h.join(rest)),
                None => Some(PathBuf::from(path)),
            },
            None => self.home().map(|h| h.join(".aws").join(default)),
        }
    }

    pub(crate) fn profile_name(&self) -> String {
        self.var("AWS_PROFILE")
            .unwrap_or_else(|| "default".to_owned())
    }

    /// The keys of the active profile: the config file's, overridden by the
    /// credentials file's. A missing file is no error (the chain goes on).
    pub(crate) fn profile(&self) -> Result<HashMap<String, String>, Error> {
        self.profile_named(&self.profile_name())
    }

    /// The keys of the config file's `[sso-session NAME]` section (empty when there
    /// is none).
    pub(crate) fn sso_session(&self, name: &str) -> Result<HashMap<String, String>, Error> {
        let Some(path) = self.path("AWS_CONFIG_FILE", "config") else {
            return Ok(HashMap::new());
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(sso_session_section(&text, name)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashMap::new()),
            Err(e) => Err(Error::Config(ErrorDetail::with_source(
                format!("cannot read the AWS config file {}", path.display()),
                e,
            ))),
        }
    }

    /// The home directory (`HOME`, else `USERPROFILE`).
    pub(crate) fn home(&self) -> Option<PathBuf> {
        self.var("HOME")
            .or_else(|| self.var("USERPROFILE"))
            .map(PathBuf::from)
    }

    /// The keys of the profile `name` (see [`Self::profile`]).
    pub(crate) fn profile_named(&self, name: &str) -> Result<HashMap<String, String>, Error> {
        let mut keys = HashMap::new();
        for (variable, default, is_config) in [
            ("AWS_CONFIG_FILE", "config", true),
            ("AWS_SHARED_CREDENTIALS_FILE", "credentials", false),
        ] {
            let Some(path) = self.path(variable, default) else {
                continue;
            };
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(Error::Config(ErrorDetail::with_source(
                        format!("cannot read the AWS {default} file {}", path.display()),
                        e,
                    )));
                }
            };
            keys.extend(profile_section(&text, name, is_config));
        }
        Ok(keys)
    }
}

/// Static keys from the chain (see the module docs): the environment's, else the
/// profile's; `None` when neither has any.
pub(crate) fn static_credentials(env: &Env<'_>) -> Result<Option<AwsCredentials>, Error> {
    if let Some(id) = env.var("AWS_ACCESS_KEY_ID") {
        let secret = env.var("AWS_SECRET_ACCESS_KEY").ok_or_else(|| {
            Error::config("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".to_owned())
        })?;
        let credentials = AwsCredentials::new(id, secret);
        return Ok(Some(match env.var("AWS_SESSION_TOKEN") {
            Some(token) => credentials.with_session_token(token),
            None => credentials,
        }));
    }
    Ok(profile_keys(&env.profile()?))
}

/// A profile's static keys, if it has them.
pub(crate) fn profile_keys(profile: &HashMap<String, String>) -> Option<AwsCredentials> {
    let key = |k: &str| profile.get(k).filter(|v| !v.is_empty()).cloned();
    let credentials = AwsCredentials::new(key("aws_access_key_id")?, key("aws_secret_access_key")?);
    Some(match key("aws_session_token") {
        Some(token) => credentials.with_session_token(token),
        None => credentials,
    })
}

/// The static keys of the chain, or why there are none.
pub(crate) fn credentials(env: &Env<'_>) -> Result<AwsCredentials, Error> {
    if let Some(credentials) = static_credentials(env)? {
        return Ok(credentials);
    }
    let profile = env.profile()?;
    if let Some(how) = [
        "web_identity_token_file",
        "source_profile",
        "sso_session",
        "sso_start_url",
    ]
    .into_iter()
    .find(|k| profile.contains_key(*k))
    {
        let name = env.profile_name();
        return Err(Error::config(format!(
            "the AWS profile `{name}` resolves credentials through `{how}`: `Bedrock::from_env` follows it, `AwsCredentials` holds static keys only"
        )));
    }
    refuse_other_profile_sources(env, &profile)?;
    Err(no_credentials(env))
}

/// A profile that resolves credentials in a way this crate does not follow (a role
/// assumed with credentials that are not another profile's keys, SSO, a credential
/// process) is refused.
pub(crate) fn refuse_other_profile_sources(
    env: &Env<'_>,
    profile: &HashMap<String, String>,
) -> Result<(), Error> {
    let name = env.profile_name();
    match [
        "role_arn",
        "sso_session",
        "sso_start_url",
        "credential_process",
    ]
    .into_iter()
    .find(|k| profile.contains_key(*k))
    {
        Some(other) => Err(Error::config(format!(
            "the AWS profile `{name}` resolves credentials through `{other}`, which this crate does not do; export static keys (`aws configure export-credentials --profile {name} --format env`) or pass `AwsCredentials`"
        ))),
        None => Ok(()),
    }
}

/// No credentials anywhere in the chain.
pub(crate) fn no_credentials(env: &Env<'_>) -> Error {
    let name = env.profile_name();
    Error::config(format!(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give the profile `{name}` aws_access_key_id and aws_secret_access_key in the shared credentials or config file"
    ))
}

/// The region: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`.
pub(crate) fn region(env: &Env<'_>) -> Result<String, Error> {
    if let Some(region) = env
        .var("AWS_REGION")
        .or_else(|| env.var("AWS_DEFAULT_REGION"))
    {
        return Ok(region);
    }
    env.profile()?
        .remove("region")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            Error::config(
                "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or `region` in the profile)"
                    .to_owned(),
            )
        })
}

/// The endpoint: `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, else `AWS_ENDPOINT_URL`, else
/// `None` (the regional default).
pub(crate) fn endpoint(env: &Env<'_>) -> Option<String> {
    env.var("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
        .or_else(|| env.var("AWS_ENDPOINT_URL"))
}

/// The `key = value` pairs of one profile in an AWS shared file: `[name]` in the
/// credentials file; `[profile name]` (or `[default]`) in the config file. Comments
/// (`#`, `;`) and indented sub-properties are skipped; keys are lowercased.
pub(crate) fn profile_section(
    text: &str,
    profile: &str,
    is_config: bool,
) -> HashMap<String, String> {
    section_keys(text, |section| {
        if is_config {
            match section.strip_prefix("profile") {
                Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim() == profile,
                _ => section == "default" && profile == "default",
            }
        } else {
            section == profile
        }
    })
}

/// The keys of the config file's `[sso-session NAME]` section.
pub(crate) fn sso_session_section(text: &str, name: &str) -> HashMap<String, String> {
    section_keys(text, |section| {
        section
            .strip_prefix("sso-session")
            .is_some_and(|rest| rest.starts_with(char::is_whitespace) && rest.trim() == name)
    })
}

/// The keys of the sections `wanted` accepts (given a section's trimmed name).
fn section_keys(text: &str, wanted: impl Fn(&str) -> bool) -> HashMap<String, String> {
    let mut keys = HashMap::new();
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(section) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            inside = wanted(section.trim());
            continue;
        }
        if !inside || line.starts_with(char::is_whitespace) {
            continue;
        }
        if let Some((key, value)) = trimmed.split_once('=') {
            keys.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    keys
}

/// Signs Bedrock requests with SigV4 for one region.
pub(crate) struct Signer<'a> {
    pub(crate) credentials: &'a AwsCredentials,
    pub(crate) region: &'a str,
}

impl<'a> Signer<'a> {
    /// A signer for `region` with `credentials`.
    pub(crate) fn new(credentials: &'a AwsCredentials, region: &'a str) -> Self {
        Self {
            credentials,
            region,
        }
    }
}

/// The SigV4 service name of Bedrock's runtime.
pub(crate) const SERVICE: &str = "bedrock";

impl RequestSigner for Signer<'_> {
    fn sign(&self, url: &str, headers: &[Header], body: &[u8]) -> Result<Vec<Header>, Error> {
        // Only the content type is signed of the caller's headers: the others may be
        // changed by proxies (and `user-agent` never is, by AWS's rules).
        let signed: Vec<(&str, &str)> = headers
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case("content-type"))
            .map(|h| (h.name(), h.value()))
            .collect();
        let input = SigningInput {
            method: "POST",
            url,
            headers: &signed,
            body,
            region: self.region,
            service: SERVICE,
            time: SystemTime::now(),
            content_sha256_header: false,
        };
        sign_request(self.credentials, &input)
    }
}

/// One request to sign.
pub(crate) struct SigningInput<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    /// The headers to sign (`host` is taken from the URL when absent).
    pub(crate) headers: &'a [(&'a str, &'a str)],
    pub(crate) body: &'a [u8],
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    pub(crate) time: SystemTime,
    /// Whether to send (and sign) `x-amz-content-sha256` (S3-style services).
    pub(crate) content_sha256_header: bool,
}

/// The headers that sign `input`: `authorization`, `x-amz-date`, and
/// `x-amz-security-token` with temporary credentials.
pub(crate) fn sign_request(
    credentials: &AwsCredentials,
    input: &SigningInput<'_>,
) -> Result<Vec<Header>, Error> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
        Error::Config(ErrorDetail::with_source(
            "the request cannot be signed (SigV4)",
            e,
        ))
    };
    // aws-sigv4 expects a URL with a host (it panics without one): check first.
    let host = reqwest::Url::parse(input.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    if host.is_none_or(|h| h.is_empty()) {
        return Err(Error::config(format!(
            "the URL {} has no host to sign for",
            instructor_core::provider::redact_url(input.url)
        )));
    }
    let identity = credentials.to_aws().into();
    let mut settings = SigningSettings::default();
    if input.content_sha256_header {
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(input.region)
        .name(input.service)
        .time(input.time)
        .settings(settings)
        .build()
        .map_err(|e| failed(Box::new(e)))?
        .into();
    let request = SignableRequest::new(
        input.method,
        input.url,
        input.headers.iter().copied(),
        SignableBody::Bytes(input.body),
    )
    .map_err(|e| failed(Box::new(e)))?;
    // aws-sigv4 traces the canonical request, which holds the session token: its
    // events go nowhere, whatever subscriber the application installed.
    let signed =
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            sign(request, &params)
        });
    let (instructions, _signature) = signed.map_err(|e| failed(Box::new(e)))?.into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| Header::sensitive(name, value))
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use std::collections::HashMap;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use instructor_core::Header;

    use super::{
        AwsCredentials, Env, SigningInput, credentials, endpoint, profile_section, region,
        sign_request,
    };

    /// The AWS SigV4 test suite's credentials and time (2015-08-30T12:36:00Z).
    fn suite() -> (AwsCredentials, SystemTime) {
        (
            AwsCredentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            UNIX_EPOCH + Duration::from_secs(1_440_938_160),
        )
    }

    fn header<'a>(headers: &'a [Header], name: &str) -> &'a str {
        headers
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
            .map(Header::value)
            .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
    }

    #[test]
    fn the_aws_test_suite_get_vanilla_vector() {
        let (credentials, time) = suite();
        let input = SigningInput {
            method: "GET",
            url: "https://example.amazonaws.com/",
            headers: &[],
            body: b"",
            region: "us-east-1",
            service: "service",
            time,
            content_sha256_header: false,
        };
        let headers = sign_request(&credentials, &input).unwrap();
        assert_eq!(header(&headers, "x-amz-date"), "20150830T123600Z");
        assert_eq!(
            header(&headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn the_aws_test_suite_post_x_www_form_urlencoded_vector() {
        let (credentials, time) = suite();
        let input = SigningInput {
            method: "POST",
            url: "https://example.amazonaws.com/",
            headers: &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Content-Length", "13"),
            ],
            body: b"Param1=value1",
            region: "us-east-1",
            service: "service",
            time,
            content_sha256_header: true,
        };
        let headers = sign_request(&credentials, &input).unwrap();
        assert_eq!(
            header(&headers, "x-amz-content-sha256"),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        );
        assert_eq!(
            header(&headers, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
        );
    }

    #[test]
    fn a_session_token_is_sent_signed_and_every_signing_header_is_sensitive() {
        let (credentials, time) = suite();
        let credentials = credentials.with_session_token("session-token-secret");
        let input = SigningInput {
            method: "POST",
            url: "http://127.0.0.1:9000/model/m%3A0/converse",
            headers: &[("content-type", "application/json")],
            body: b"{}",
            region: "eu-west-3",
            service: "bedrock",
            time,
            content_sha256_header: false,
        };
        let headers = sign_request(&credentials, &input).unwrap();
        assert_eq!(
            header(&headers, "x-amz-security-token"),
            "session-token-secret"
        );
        let auth = header(&headers, "authorization");
        assert!(
            auth.contains("/eu-west-3/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"),
            "{auth}"
        );
        assert!(headers.iter().all(Header::is_sensitive));
        assert!(!format!("{headers:?}").contains("session-token-secret"));
    }

    /// Records the fields of every event and span it sees.
    #[derive(Default, Clone)]
    struct Recorder(std::sync::Arc<std::sync::Mutex<String>>);

    impl tracing::field::Visit for Recorder {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            let text = format!("{}={value:?}\n", field.name());
            self.0.lock().unwrap().push_str(&text);
        }
    }

    impl tracing::Subscriber for Recorder {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            span.record(&mut self.clone());
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
            values.record(&mut self.clone());
        }
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            event.record(&mut self.clone());
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn signing_logs_nothing_even_at_trace_level() {
        let (credentials, time) = suite();
        let credentials = credentials.with_session_token("session-token-in-canonical-request");
        let input = SigningInput {
            method: "POST",
            url: "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse",
            headers: &[("content-type", "application/json")],
            body: b"{}",
            region: "us-east-1",
            service: "bedrock",
            time,
            content_sha256_header: false,
        };
        let recorder = Recorder::default();
        tracing::subscriber::with_default(recorder.clone(), || {
            // The recorder does see what is logged around the signing.
            tracing::trace!(probe = "visible", "before signing");
            sign_request(&credentials, &input).unwrap();
        });
        let logged = recorder.0.lock().unwrap().clone();
        assert!(logged.contains("visible"), "{logged}");
        assert!(
            !logged.contains("session-token-in-canonical-request"),
            "{logged}"
        );
        assert!(!logged.contains("canonical"), "{logged}");
    }

    #[test]
    fn a_url_without_a_host_is_a_config_error_not_a_panic() {
        let (credentials, time) = suite();
        for url in ["unix:/socket", "not a url", "file:///etc/passwd"] {
            let input = SigningInput {
                method: "POST",
                url,
                headers: &[],
                body: b"",
                region: "us-east-1",
                service: "bedrock",
                time,
                content_sha256_header: false,
            };
            assert!(sign_request(&credentials, &input).is_err(), "{url}");
        }
    }

    #[test]
    fn profiles_are_read_from_either_file_with_their_section_syntax() {
        let credentials_file = "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=secret-default\n\n[work]\nAWS_ACCESS_KEY_ID = AKIDWORK\naws_secret_access_key = secret-work\naws_session_token = token-work\n";
        let config_file = "[default]\nregion = us-west-2\n[profile work]\nregion = eu-central-1\ns3 =\n  max_concurrent_requests = 20\n[profile  other ]\nregion = ap-south-1\n; comment\n[work]\nregion = wrong-section\n";
        let work = profile_section(credentials_file, "work", false);
        assert_eq!(work["aws_access_key_id"], "AKIDWORK");
        assert_eq!(work["aws_session_token"], "token-work");
        assert_eq!(
            profile_section(config_file, "work", true)["region"],
            "eu-central-1"
        );
        assert_eq!(
            profile_section(config_file, "default", true)["region"],
            "us-west-2"
        );
        assert_eq!(
            profile_section(config_file, "other", true)["region"],
            "ap-south-1"
        );
        let work_config = profile_section(config_file, "work", true);
        assert!(
            !work_config.contains_key("max_concurrent_requests"),
            "{work_config:?}"
        );
    }

    /// A directory of its own under the system temp dir.
    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("instructor-bedrock-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_chain_prefers_environment_keys_then_the_named_profile() {
        let dir = temp_dir("chain");
        let credentials_path = dir.join("credentials");
        let config_path = dir.join("config");
        std::fs::write(
            &credentials_path,
            "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = secret-work\n",
        )
        .unwrap();
        std::fs::write(
            &config_path,
            "[profile work]\nregion = eu-central-1\naws_session_token = token-from-config\n[profile sso]\nsso_session = corp\n",
        )
        .unwrap();
        let mut vars: HashMap<&str, String> = HashMap::from([
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials_path.display().to_string(),
            ),
            ("AWS_CONFIG_FILE", config_path.display().to_string()),
            ("AWS_PROFILE", "work".to_owned()),
            ("HOME", dir.display().to_string()),
        ]);
        let from_profile = credentials(&Env::map(&vars)).unwrap();
        assert_eq!(from_profile.access_key_id(), "AKIDWORK");
        assert!(
            from_profile.has_session_token(),
            "the config file's token counts"
        );
        assert_eq!(region(&Env::map(&vars)).unwrap(), "eu-central-1");
        assert_eq!(endpoint(&Env::map(&vars)), None);

        vars.insert("AWS_DEFAULT_REGION", "us-east-2".to_owned());
        assert_eq!(region(&Env::map(&vars)).unwrap(), "us-east-2");
        vars.insert("AWS_REGION", "us-east-1".to_owned());
        assert_eq!(region(&Env::map(&vars)).unwrap(), "us-east-1");
        vars.insert("AWS_ENDPOINT_URL", "http://generic".to_owned());
        assert_eq!(
            endpoint(&Env::map(&vars)).as_deref(),
            Some("http://generic")
        );
        vars.insert(
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
            "http://bedrock".to_owned(),
        );
        assert_eq!(
            endpoint(&Env::map(&vars)).as_deref(),
            Some("http://bedrock")
        );

        vars.insert("AWS_ACCESS_KEY_ID", "AKIDENV".to_owned());
        let error = credentials(&Env::map(&vars)).unwrap_err();
        assert!(
            error.to_string().contains("AWS_SECRET_ACCESS_KEY"),
            "{error}"
        );
        vars.insert("AWS_SECRET_ACCESS_KEY", "secret-env".to_owned());
        let from_env = credentials(&Env::map(&vars)).unwrap();
        assert_eq!(from_env.access_key_id(), "AKIDENV");
        assert!(!from_env.has_session_token());

        vars.remove("AWS_ACCESS_KEY_ID");
        vars.insert("AWS_PROFILE", "sso".to_owned());
        let error = credentials(&Env::map(&vars)).unwrap_err().to_string();
        assert!(
            error.contains("sso_session") && error.contains("Bedrock::from_env"),
            "{error}"
        );
        vars.insert("AWS_PROFILE", "missing".to_owned());
        let error = credentials(&Env::map(&vars)).unwrap_err().to_string();
        assert!(error.contains("no AWS credentials"), "{error}");
        assert!(
            !error.contains("secret-work") && !error.contains("secret-env"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn default_files_are_under_home_and_a_tilde_is_expanded() {
        let dir = temp_dir("home");
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(
            dir.join(".aws").join("credentials"),
            "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = s\n",
        )
        .unwrap();
        std::fs::write(dir.join("cfg"), "[default]\nregion = sa-east-1\n").unwrap();
        let vars: HashMap<&str, String> = HashMap::from([
            ("HOME", dir.display().to_string()),
            ("AWS_CONFIG_FILE", "~/cfg".to_owned()),
        ]);
        assert_eq!(
            credentials(&Env::map(&vars)).unwrap().access_key_id(),
            "AKIDHOME"
        );
        assert_eq!(region(&Env::map(&vars)).unwrap(), "sa-east-1");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
