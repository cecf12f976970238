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

    /// POSTs JSON and reads a JSON answer, retrying transient failures per the policy
    /// (a body that breaks or times out while it is read included).
    pub async fn post_json(&self, request: &HttpRequest<'_>) -> Result<Value, Error> {
        self.with_retries(|| async {
            let response = self.send_once(request).await?;
            let bytes = read_body(response, MAX_RESPONSE_BYTES)
                .await
                .map_err(|e| Attempt {
                    error: self.map_body_error(e, request),
                    should_retry: None,
                })?;
            serde_json::from_slice(&bytes).map_err(|e| Attempt {
                error: Error::Response(format!("invalid JSON ({e}): {}", snippet(&bytes))),
                should_retry: Some(false),
            })
        })
        .await
    }

    /// POSTs JSON and returns the successful response for streaming (its timeout
    /// travels with it, so a stream that outlives it reports [`Error::Timeout`]).
    pub async fn post_stream(&self, request: &HttpRequest<'_>) -> Result<reqwest::Response, Error> {
        let mut response = self.with_retries(|| self.send_once(request)).await?;
        let timeout = request.timeout.unwrap_or(self.timeout);
        response
            .extensions_mut()
            .insert(events::RequestTimeout(timeout));
        Ok(response)
    }

    /// Runs `attempt` until it succeeds or the retry policy gives up.
    async fn with_retries<T, F, Fut>(&self, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Attempt>>,
    {
        let mut retries = 0;
        loop {
            let error = match attempt().await {
                Ok(value) => return Ok(value),
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
        // Only its start is shown; a body that breaks leaves what had arrived.
        let body = read_body(response, MAX_ERROR_BODY_BYTES)
            .await
            .unwrap_or_else(|e| e.partial);
        let mut http = error::parse_error_body(status.as_u16(), &body);
        http.request_id =
            header(&headers, "x-request-id").or_else(|| header(&headers, "request-id"));
        http.retry_after = retry::retry_after(&headers).or(http.retry_after);
        Err(Attempt {
            should_retry: header(&headers, "x-should-retry").map(|v| v == "true"),
            error: Error::Http(Box::new(http)),
        })
    }

    fn map_body_error(&self, error: BodyError, request: &HttpRequest<'_>) -> Error {
        match error.cause {
            Some(e) => self.map_reqwest(e, request),
            None => Error::Response(format!(
                "the response is larger than {MAX_RESPONSE_BYTES} bytes"
            )),
        }
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

/// The largest successful (non-streamed) response body read.
const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// The most of an error response's body read (its start is what is shown).
const MAX_ERROR_BODY_BYTES: usize = 1024 * 1024;

/// A body that broke off (`cause`) or passed the limit (no cause), with what had
/// arrived.
struct BodyError {
    partial: bytes::Bytes,
    cause: Option<reqwest::Error>,
}

/// Reads a body, at most `limit` bytes of it; however large the server says it is,
/// only what arrives is held.
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes, BodyError> {
    let mut body = bytes::BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return Err(BodyError {
                        partial: body.freeze(),
                        cause: None,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(e) => {
                return Err(BodyError {
                    partial: body.freeze(),
                    cause: Some(e),
                });
            }
        }
    }
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
