//! Workload identity federation (`"type": "external_account"` credential files):
//! a token from another identity provider (a Kubernetes service-account token, an
//! OIDC token from a CI system, Azure's managed identity...) is read from a file or
//! a URL, exchanged at Google's STS for a federated access token, and, when the file
//! names a service account to impersonate, that token is traded for the account's
//! own access token at the IAM Credentials API.
//!
//! Subject tokens that must be computed (AWS's signed `GetCallerIdentity`,
//! `environment_id: aws1`) or run (`executable`) are refused with a clear error.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use instructor_core::{Error, ErrorDetail, Header};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{CLOUD_PLATFORM_SCOPE, Cached, REFRESH_MARGIN, read_token, token_error};
use crate::http::{ApiKey, HttpRequest, Transport};

/// Google's STS, for files that name none.
const DEFAULT_TOKEN_URL: &str = "https://sts.googleapis.com/v1/token";
/// The lifetime asked of an impersonated account's token.
const IMPERSONATED_LIFETIME: Duration = Duration::from_secs(3600);

/// An `external_account` credentials file, read.
pub(super) struct ExternalAccount {
    pub(super) audience: String,
    subject_token_type: String,
    pub(super) token_url: String,
    pub(super) impersonation_url: Option<String>,
    subject: SubjectSource,
}

/// Where the subject token comes from.
enum SubjectSource {
    File {
        path: PathBuf,
        format: Format,
    },
    Url {
        url: String,
        headers: Vec<Header>,
        format: Format,
    },
}

/// How the subject token is written: the whole text, or one field of a JSON object.
enum Format {
    Text,
    Json(String),
}

/// The fields of an `external_account` file this module reads.
#[derive(Deserialize)]
pub(super) struct ExternalFile {
    audience: Option<String>,
    subject_token_type: Option<String>,
    token_url: Option<String>,
    service_account_impersonation_url: Option<String>,
    credential_source: Option<CredentialSource>,
}

#[derive(Deserialize)]
struct CredentialSource {
    file: Option<String>,
    url: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    format: Option<FormatSpec>,
    environment_id: Option<String>,
    executable: Option<Value>,
}

#[derive(Deserialize)]
struct FormatSpec {
    #[serde(rename = "type")]
    kind: Option<String>,
    subject_token_field_name: Option<String>,
}

impl ExternalAccount {
    /// Reads the file's fields; what this crate cannot follow is a config error.
    pub(super) fn from_file(file: ExternalFile) -> Result<Self, Error> {
        let missing = |field: &str| {
            Error::config(format!(
                "the external_account credentials have no `{field}`"
            ))
        };
        let source = file
            .credential_source
            .ok_or_else(|| missing("credential_source"))?;
        if source.environment_id.is_some() || source.executable.is_some() {
            return Err(Error::config(
                "external_account credentials whose subject token comes from AWS or from an executable are not supported: use a file or URL credential source, or a service-account key"
                    .to_owned(),
            ));
        }
        let format = match source.format {
            Some(FormatSpec {
                kind: Some(kind), ..
            }) if kind == "text" => Format::Text,
            Some(FormatSpec {
                kind: Some(kind),
                subject_token_field_name,
            }) if kind == "json" => Format::Json(
                subject_token_field_name
                    .ok_or_else(|| missing("credential_source.format.subject_token_field_name"))?,
            ),
            Some(FormatSpec {
                kind: Some(kind), ..
            }) => {
                return Err(Error::config(format!(
                    "the external_account subject token format `{kind}` is not `text` or `json`"
                )));
            }
            _ => Format::Text,
        };
        let subject = match (source.file, source.url) {
            (Some(path), _) => SubjectSource::File {
                path: PathBuf::from(path),
                format,
            },
            (None, Some(url)) => SubjectSource::Url {
                url,
                headers: source
                    .headers
                    .into_iter()
                    .map(|(name, value)| Header::sensitive(name, value))
                    .collect(),
                format,
            },
            (None, None) => return Err(missing("credential_source.file or .url")),
        };
        Ok(Self {
            audience: file.audience.ok_or_else(|| missing("audience"))?,
            subject_token_type: file
                .subject_token_type
                .ok_or_else(|| missing("subject_token_type"))?,
            token_url: file
                .token_url
                .unwrap_or_else(|| DEFAULT_TOKEN_URL.to_owned()),
            impersonation_url: file.service_account_impersonation_url,
            subject,
        })
    }

    /// A Google access token: the subject token exchanged at STS, then traded for
    /// the impersonated account's token when the file names one.
    pub(super) async fn fetch(&self, transport: &Transport) -> Result<Cached, Error> {
        let subject = self.subject_token(transport).await?;
        let form = [
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("audience", self.audience.as_str()),
            ("scope", CLOUD_PLATFORM_SCOPE),
            (
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("subject_token", subject.expose()),
            ("subject_token_type", self.subject_token_type.as_str()),
        ];
        let answer = transport.post_form(&self.token_url, &[], &form).await;
        let federated = read_token(&token_error(answer, &self.token_url, &[subject.expose()])?)?;
        let Some(url) = &self.impersonation_url else {
            return Ok(federated);
        };
        let body = json!({
            "scope": [CLOUD_PLATFORM_SCOPE],
            "lifetime": format!("{}s", IMPERSONATED_LIFETIME.as_secs()),
        });
        let request = HttpRequest {
            url: url.clone(),
            headers: vec![Header::sensitive(
                "authorization",
                format!("Bearer {}", federated.token.expose()),
            )],
            body: &body,
            timeout: None,
            gate: None,
        };
        let answer = transport.post_json(&request).await.map_err(|e| {
            Error::Config(ErrorDetail::with_source(
                "the service account named by the external_account credentials cannot be impersonated",
                e,
            ))
        })?;
        let token = answer
            .get("accessToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::response("the impersonation answer has no accessToken".to_owned())
            })?;
        Ok(Cached {
            token: ApiKey::new(token),
            refresh_at: Some(Instant::now() + IMPERSONATED_LIFETIME.saturating_sub(REFRESH_MARGIN)),
        })
    }

    /// The subject token, read anew for each exchange (the other system rotates it).
    async fn subject_token(&self, transport: &Transport) -> Result<ApiKey, Error> {
        let (text, format) = match &self.subject {
            SubjectSource::File { path, format } => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::Config(ErrorDetail::with_source(
                        format!("cannot read the subject token file {}", path.display()),
                        e,
                    ))
                })?;
                (text, format)
            }
            SubjectSource::Url {
                url,
                headers,
                format,
            } => {
                let text = transport
                    .fetch_text(reqwest::Method::GET, url, headers, None, None)
                    .await
                    .map_err(|e| {
                        Error::Config(ErrorDetail::with_source(
                            "the external_account subject token URL gave no token",
                            e,
                        ))
                    })?;
                (text, format)
            }
        };
        let token = match format {
            Format::Text => text.trim().to_owned(),
            Format::Json(field) => serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get(field).and_then(Value::as_str).map(str::to_owned))
                .ok_or_else(|| {
                    Error::config(format!(
                        "the external_account subject token is not JSON with a `{field}` string"
                    ))
                })?,
        };
        if token.is_empty() {
            return Err(Error::config(
                "the external_account subject token is empty".to_owned(),
            ));
        }
        Ok(ApiKey::new(token))
    }
}
