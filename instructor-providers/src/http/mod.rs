//! Shared HTTP plumbing: the reqwest client, transport retries, error envelopes,
//! and API keys that never print.

pub mod error;
#[cfg(any(feature = "openai", feature = "anthropic", feature = "gemini"))]
pub(crate) mod events;
pub mod retry;
pub mod sse;

use std::fmt;
use std::time::Duration;

use instructor_core::{Error, HttpError};
use reqwest::header::HeaderMap;
use serde_json::Value;

pub use retry::RetryPolicy;

/// An API key: kept out of `Debug`, `Display`, errors and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the auth header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// The default timeout of one HTTP request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// A reqwest client plus a retry policy; cheap to clone.
#[derive(Clone, Debug)]
pub struct Transport {
    client: reqwest::Client,
    /// Transport retries (429, 5xx, connection failures).
    pub retry: RetryPolicy,
    /// The default timeout of one HTTP request.
    pub timeout: Duration,
}

impl Default for Transport {
    fn default() -> Self {
        Self::new()
    }
}

/// An HTTP request to send: URL, headers (including auth) and JSON body.
#[derive(Clone)]
pub struct HttpRequest<'a> {
    /// The full URL.
    pub url: String,
    /// Headers, auth included (never logged).
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: &'a Value,
    /// Overrides the transport's timeout.
    pub timeout: Option<Duration>,
}

impl Transport {
    /// A transport with the default retry policy and timeout.
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::new(),
            retry: RetryPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// POSTs JSON and reads a JSON answer, retrying transient failures per the policy.
    pub async fn post_json(&self, request: &HttpRequest<'_>) -> Result<Value, Error> {
        let response = self.send_with_retries(request).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.map_reqwest(e, request))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Response(format!("invalid JSON ({e}): {}", snippet(&bytes))))
    }

    /// POSTs JSON and returns the successful response for streaming.
    pub async fn post_stream(&self, request: &HttpRequest<'_>) -> Result<reqwest::Response, Error> {
        self.send_with_retries(request).await
    }

    async fn send_with_retries(
        &self,
        request: &HttpRequest<'_>,
    ) -> Result<reqwest::Response, Error> {
        let mut retries = 0;
        loop {
            let outcome = self.send_once(request).await;
            let error = match outcome {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            let Some(delay) = self
                .retry
                .delay_for(&error.error, error.should_retry, retries)
            else {
                return Err(error.error);
            };
            tracing::debug!(retry = retries + 1, ?delay, error = %error.error, "transport retry");
            tokio::time::sleep(delay).await;
            retries += 1;
        }
    }

    async fn send_once(&self, request: &HttpRequest<'_>) -> Result<reqwest::Response, Attempt> {
        let mut builder = self
            .client
            .post(&request.url)
            .timeout(request.timeout.unwrap_or(self.timeout))
            .json(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(|e| Attempt {
            error: self.map_reqwest(e, request),
            should_retry: None,
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_default();
        let mut http = error::parse_error_body(status.as_u16(), &body);
        http.request_id =
            header(&headers, "x-request-id").or_else(|| header(&headers, "request-id"));
        http.retry_after = retry::retry_after(&headers).or(http.retry_after);
        Err(Attempt {
            should_retry: header(&headers, "x-should-retry").map(|v| v == "true"),
            error: Error::Http(Box::new(http)),
        })
    }

    fn map_reqwest(&self, error: reqwest::Error, request: &HttpRequest<'_>) -> Error {
        if error.is_timeout() {
            Error::Timeout(request.timeout.unwrap_or(self.timeout))
        } else {
            // Without the URL: it may carry a key in its query.
            Error::Connection(error.without_url().to_string())
        }
    }
}

impl fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("url", &self.url)
            .field("headers", &names)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

struct Attempt {
    error: Error,
    should_retry: Option<bool>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The start of a body, for error messages.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.chars().take(300).collect()
}

/// Makes an [`HttpError`] for tests and presets.
pub fn http_error(status: u16, message: impl Into<String>) -> HttpError {
    HttpError {
        status,
        message: message.into(),
        kind: None,
        code: None,
        request_id: None,
        retry_after: None,
    }
}
