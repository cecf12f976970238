//! AWS Bedrock's Converse API (`POST /model/{modelId}/converse`) and ConverseStream
//! (`/model/{modelId}/converse-stream`, answered in the binary event-stream framing):
//! a tool call forced by name (`Mode::Tools`, the default), any number of calls
//! (`Mode::ParallelTools`, `toolChoice: any`), Bedrock's structured outputs
//! (`Mode::JsonSchema`: `outputConfig.textFormat` with the JSON schema), and the
//! schema in the prompt (`Mode::Json`; `Mode::MdJson` with the answer in a fenced
//! block). Every request is signed with SigV4 (service `bedrock`) from the standard
//! AWS credential chain (see [`AwsCredentials`]).
//!
//! The model id is the request's model, percent-encoded into the path: a foundation
//! model (`anthropic.claude-3-5-sonnet-20240620-v1:0`), an inference profile
//! (`us.anthropic.claude-…`) or an ARN (`arn:aws:bedrock:…:inference-profile/…`).

mod auth;
mod convert;
pub mod eventstream;
mod sources;
mod stream;
mod wire;

use instructor_core::provider::{EventStream, Provider, ProviderRequest};
use instructor_core::{Completion, Error, Header, Media, MediaKind, Mode, UrlFetchPolicy};
use serde_json::Value;

pub use auth::AwsCredentials;
pub use eventstream::FrameError;

use crate::config::BaseUrl;
use crate::http::{HttpRequest, Transport};
use auth::{Env, Signer};
use sources::CredentialSource;

const MODES: &[Mode] = &[
    Mode::Tools,
    Mode::ParallelTools,
    Mode::JsonSchema,
    Mode::Json,
    Mode::MdJson,
];

/// An AWS Bedrock runtime client for one region, signing with SigV4.
///
/// ```no_run
/// # fn main() -> instructor_core::Result<()> {
/// use instructor_providers::{AwsCredentials, Bedrock};
/// // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or AWS_PROFILE,
/// // AWS_REGION, AWS_ENDPOINT_URL_BEDROCK_RUNTIME
/// let bedrock = Bedrock::from_env()?;
/// let local = Bedrock::new("us-east-1", AwsCredentials::new("AKIDEXAMPLE", "secret"))
///     .endpoint("http://127.0.0.1:8080");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Bedrock {
    region: String,
    endpoint: BaseUrl,
    credentials: CredentialSource,
    headers: Vec<Header>,
    transport: Transport,
}

impl Bedrock {
    /// Bedrock in `region` (`https://bedrock-runtime.{region}.amazonaws.com`) with
    /// `credentials`.
    pub fn new(region: impl Into<String>, credentials: AwsCredentials) -> Self {
        Self::with_source(region.into(), credentials.into())
    }

    fn with_source(region: String, credentials: CredentialSource) -> Self {
        Self {
            endpoint: BaseUrl::new(&format!("https://bedrock-runtime.{region}.amazonaws.com")),
            region,
            credentials,
            headers: Vec::new(),
            transport: Transport::new(),
        }
    }

    /// From the standard AWS environment: credentials from `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, else the profile
    /// `AWS_PROFILE` in the shared files (`AWS_SHARED_CREDENTIALS_FILE`,
    /// `AWS_CONFIG_FILE`), else temporary keys from a web identity (EKS), the
    /// container endpoint (ECS, EKS Pod Identity) or EC2 instance metadata, cached
    /// and refreshed before they expire; the region from `AWS_REGION`, else `AWS_DEFAULT_REGION`,
    /// else the profile; the endpoint from `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, else
    /// `AWS_ENDPOINT_URL`, else the regional default.
    pub fn from_env() -> Result<Self, Error> {
        let env = Env::process();
        let region = auth::region(&env)?;
        let credentials = CredentialSource::from_env(&env, &region)?;
        let client = Self::with_source(region, credentials);
        Ok(match auth::endpoint(&env) {
            Some(url) => client.endpoint(url),
            None => client,
        })
    }

    /// Replaces the endpoint (a VPC endpoint, a proxy, a local server).
    #[must_use]
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = BaseUrl::new(&url.into());
        self
    }

    crate::config::transport_builders!();

    /// The endpoint requests go to.
    pub fn url(&self) -> &str {
        self.endpoint.as_str()
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    fn http_request<'a>(
        &self,
        request: &ProviderRequest,
        body: &'a Value,
        route: &str,
    ) -> Result<HttpRequest<'a>, Error> {
        if request.model.trim().is_empty() {
            return Err(Error::config(
                "Bedrock needs a model id (`bedrock/<model id>`)".to_owned(),
            ));
        }
        let mut headers = self.headers.clone();
        headers.extend(request.headers.iter().cloned());
        Ok(HttpRequest {
            url: format!(
                "{}/model/{}/{route}",
                self.endpoint.as_str(),
                encode_path_segment(&request.model)
            ),
            headers,
            body,
            timeout: request.timeout,
            gate: request.gate.clone(),
        })
    }

    /// `answer`, after dropping `used` from the credential cache if AWS refused
    /// them as expired.
    async fn forget_expired<T>(
        &self,
        answer: Result<T, Error>,
        used: &AwsCredentials,
    ) -> Result<T, Error> {
        if let Err(error) = &answer {
            self.credentials.forget_expired(error, used).await;
        }
        answer
    }
}

/// A path segment with every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`)
/// percent-encoded: a model ARN's `:` and `/` included.
fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[async_trait::async_trait]
impl Provider for Bedrock {
    fn name(&self) -> &str {
        "bedrock"
    }

    fn supported_modes(&self) -> &[Mode] {
        MODES
    }

    fn default_mode(&self) -> Mode {
        Mode::Tools
    }

    /// Converse takes media as bytes only: a URL part is downloaded (safely, see
    /// [`UrlFetchPolicy`]) and sent inline; audio, which Converse refuses, is not.
    fn takes_url(&self, _mode: Mode, media: &Media) -> bool {
        media.kind() == MediaKind::Audio
    }

    async fn fetch_url(
        &self,
        media: &Media,
        policy: &UrlFetchPolicy,
        max_bytes: u64,
    ) -> Result<Media, Error> {
        crate::http::fetch::fetch_media(media, policy, max_bytes).await
    }

    fn build_body(&self, request: &ProviderRequest) -> Result<Value, Error> {
        wire::converse_body(request)
    }

    async fn send(&self, request: &ProviderRequest, body: &Value) -> Result<Completion, Error> {
        let http = self.http_request(request, body, "converse")?;
        let credentials = self.credentials.current(&self.transport).await?;
        let raw = self
            .transport
            .post_signed_json(&http, &Signer::new(&credentials, &self.region))
            .await;
        let raw = self.forget_expired(raw, &credentials).await?;
        convert::converse_completion(raw)
    }

    async fn send_stream(
        &self,
        request: &ProviderRequest,
        body: &Value,
    ) -> Result<EventStream, Error> {
        let http = self.http_request(request, body, "converse-stream")?;
        let credentials = self.credentials.current(&self.transport).await?;
        let response = self
            .transport
            .post_signed_stream(&http, &Signer::new(&credentials, &self.region))
            .await;
        let response = self.forget_expired(response, &credentials).await?;
        Ok(stream::events(response))
    }
}

#[cfg(test)]
mod tests {
    use super::encode_path_segment;

    #[test]
    fn model_ids_and_arns_are_one_encoded_path_segment() {
        assert_eq!(
            encode_path_segment("anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "anthropic.claude-3-5-sonnet-20240620-v1%3A0"
        );
        assert_eq!(
            encode_path_segment(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3"
            ),
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3"
        );
        assert_eq!(encode_path_segment("a b/ü"), "a%20b%2F%C3%BC");
    }
}
