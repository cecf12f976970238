//! Shared HTTP plumbing: the reqwest client, transport retries, error envelopes,
//! the `User-Agent`, and API keys and credential headers that never print.

pub mod error;
#[cfg(any(
    feature = "openai",
    feature = "anthropic",
    feature = "gemini",
    feature = "cohere",
    feature = "bedrock"
))]
// Bedrock uses only its flow type (its events are binary frames, decoded apart).
#[cfg_attr(
    not(any(
        feature = "openai",
        feature = "anthropic",
        feature = "gemini",
        feature = "cohere"
    )),
    allow(dead_code)
)]
pub(crate) mod events;
#[cfg(any(feature = "openai", feature = "anthropic", feature = "bedrock"))]
pub(crate) mod fetch;
// The batch engines' downloads and uploads: unused by Cohere and Bedrock alone.
#[cfg_attr(
    not(any(feature = "openai", feature = "anthropic", feature = "gemini")),
    allow(dead_code)
)]
pub(crate) mod files;
mod rate_headers;
pub mod retry;
#[cfg(feature = "bedrock")]
pub(crate) mod signed;
pub mod sse;

use std::fmt;
use std::time::Duration;

use instructor_core::provider::{TransportGate, redact_url};
use instructor_core::{Error, ErrorDetail, Header, HttpError};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
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

/// The `User-Agent` every request sends unless the caller set one:
/// `instructor-rs/<version>`.
pub const USER_AGENT: &str = concat!("instructor-rs/", env!("CARGO_PKG_VERSION"));

/// A reqwest client plus a retry policy; cheap to clone.
#[derive(Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    /// Whether `client` is the caller's (`with_http_client`).
    callers_client: bool,
    /// Transport retries (429, 5xx, connection failures).
    pub(crate) retry: RetryPolicy,
    /// The default timeout of one HTTP request.
    pub(crate) timeout: Duration,
}

impl Default for Transport {
    fn default() -> Self {
        Self::new()
    }
}

/// An HTTP request to send: URL, headers (including auth) and JSON body.
#[derive(Clone)]
pub(crate) struct HttpRequest<'a> {
    /// The full URL.
    pub(crate) url: String,
    /// Headers, auth included (sensitive values never print).
    pub(crate) headers: Vec<Header>,
    /// The JSON body.
    pub(crate) body: &'a Value,
    /// Overrides the transport's timeout.
    pub(crate) timeout: Option<Duration>,
    /// Paces and pauses each attempt when the call is part of a `create_many` run.
    pub(crate) gate: Option<TransportGate>,
}

// Bedrock alone signs each attempt (`signed.rs`) and a build without providers sends
// nothing: the unsigned sends below are then unused.
#[cfg_attr(
    not(any(
        feature = "openai",
        feature = "anthropic",
        feature = "gemini",
        feature = "cohere"
    )),
    allow(dead_code)
)]
impl Transport {
    /// A transport with its own reqwest client, the default retry policy and timeout.
    pub(crate) fn new() -> Self {
        Self {
            client: reqwest::Client::new(),
            callers_client: false,
            retry: RetryPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Sends through the caller's client from now on (retries and timeouts stay).
    pub(crate) fn set_client(&mut self, client: reqwest::Client) {
        self.client = client;
        self.callers_client = true;
    }

    /// POSTs JSON and reads a JSON answer, retrying transient failures per the policy
    /// (a body that breaks or times out while it is read included).
    pub(crate) async fn post_json(&self, request: &HttpRequest<'_>) -> Result<Value, Error> {
        let headers = header_map(&request.headers)?;
        self.with_retries(request.gate.as_ref(), || async {
            let response = self.send_once(request, &headers).await?;
            self.json_of(response, request, &headers).await
        })
        .await
    }

    /// POSTs JSON and returns the successful response for streaming (its timeout
    /// travels with it, so a stream that outlives it reports [`Error::Timeout`]).
    #[cfg(any(
        feature = "openai",
        feature = "anthropic",
        feature = "gemini",
        feature = "cohere",
        feature = "bedrock"
    ))]
    pub(crate) async fn post_stream(
        &self,
        request: &HttpRequest<'_>,
    ) -> Result<reqwest::Response, Error> {
        let headers = header_map(&request.headers)?;
        let mut response = self
            .with_retries(request.gate.as_ref(), || self.send_once(request, &headers))
            .await?;
        let timeout = request.timeout.unwrap_or(self.timeout);
        response
            .extensions_mut()
            .insert(events::RequestTimeout(timeout));
        Ok(response)
    }

    /// Runs `attempt` until it succeeds or the retry policy gives up; with a `gate`,
    /// each attempt waits for its turn and failures are reported to it.
    async fn with_retries<T, F, Fut>(
        &self,
        gate: Option<&TransportGate>,
        mut attempt: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Attempt>>,
    {
        let mut retries = 0;
        loop {
            if let Some(gate) = gate {
                gate.ready().await;
            }
            let error = match attempt().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let delay = self
                .retry
                .delay_for(&error.error, error.should_retry, retries);
            if let Some(gate) = gate {
                gate.attempt_failed(&error.error, delay);
            }
            let Some(delay) = delay else {
                return Err(error.error);
            };
            if let Some(gate) = gate {
                // A retry is one more request against the call's usage limits.
                gate.admit_retry()?;
            }
            tracing::debug!(retry = retries + 1, ?delay, error = %error.error, "transport retry");
            tokio::time::sleep(delay).await;
            retries += 1;
        }
    }

    async fn send_once(
        &self,
        request: &HttpRequest<'_>,
        headers: &HeaderMap,
    ) -> Result<reqwest::Response, Attempt> {
        let sent = self
            .client
            .post(&request.url)
            .timeout(request.timeout.unwrap_or(self.timeout))
            .headers(headers.clone())
            .json(request.body)
            .send()
            .await;
        self.check_response(sent, request, headers).await
    }

    /// The response of a request sent, or the error it amounts to: a transport
    /// failure, or an HTTP error status with the provider's error envelope read
    /// (secrets scrubbed, request id and `retry-after` kept).
    async fn check_response(
        &self,
        sent: reqwest::Result<reqwest::Response>,
        request: &HttpRequest<'_>,
        headers: &HeaderMap,
    ) -> Result<reqwest::Response, Attempt> {
        let response = sent.map_err(|e| Attempt {
            error: self.map_reqwest(e, request),
            should_retry: None,
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let response_headers = response.headers().clone();
        // Only its start is shown; a body that breaks leaves what had arrived.
        let body = read_body(response, MAX_ERROR_BODY_BYTES)
            .await
            .unwrap_or_else(|e| e.partial);
        let mut http = error::parse_error_body(status.as_u16(), &body);
        // A server may echo what it was sent (a rejected key, say): never keep it.
        http.message = scrub(&http.message, &request.url, headers);
        http.request_id = header(&response_headers, "x-request-id")
            .or_else(|| header(&response_headers, "request-id"))
            .or_else(|| header(&response_headers, "x-amzn-requestid"));
        // AWS names the error in a header: `ThrottlingException:http://..`.
        if http.kind.is_none() {
            http.kind = header(&response_headers, "x-amzn-errortype")
                .and_then(|t| t.split(':').next().map(str::to_owned))
                .filter(|t| !t.is_empty());
        }
        http.retry_after = retry::retry_after(&response_headers).or(http.retry_after);
        if status.as_u16() == 429 {
            http.retry_after = http
                .retry_after
                .or_else(|| rate_headers::reset_delay(&response_headers));
        }
        Err(Attempt {
            should_retry: header(&response_headers, "x-should-retry").map(|v| v == "true"),
            error: Error::Http(Box::new(http)),
        })
    }

    fn map_body_error(&self, error: BodyError, request: &HttpRequest<'_>) -> Error {
        match error.cause {
            Some(e) => self.map_reqwest(e, request),
            None => Error::response(format!(
                "the response is larger than {MAX_RESPONSE_BYTES} bytes"
            )),
        }
    }

    fn map_reqwest(&self, error: reqwest::Error, request: &HttpRequest<'_>) -> Error {
        if error.is_timeout() {
            return Error::Timeout(request.timeout.unwrap_or(self.timeout));
        }
        let message = if error.is_connect() {
            "could not connect to the provider"
        } else if error.is_body() || error.is_decode() {
            "the connection broke while the response was read"
        } else {
            "the request could not be sent"
        };
        // Without the URL: it may carry a key in its query.
        Error::Connection(ErrorDetail::with_source(message, error.without_url()))
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the reqwest client's own Debug: it prints default headers and proxies,
        // credentials included.
        let client = if self.callers_client {
            "caller's reqwest::Client"
        } else {
            "default"
        };
        f.debug_struct("Transport")
            .field("client", &client)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("url", &redact_url(&self.url))
            .field("headers", &self.headers)
            .field("timeout", &self.timeout)
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

/// The wire headers of a request: sensitive values marked so (kept out of reqwest's
/// and hyper's `Debug`, never indexed by HTTP/2 compression), and a `User-Agent`
/// naming the library unless the caller set one. A name or value that cannot be
/// sent is a configuration error that names the header, never its value.
fn header_map(headers: &[Header]) -> Result<HeaderMap, Error> {
    let mut map = HeaderMap::with_capacity(headers.len() + 1);
    for h in headers {
        let name = HeaderName::from_bytes(h.name().as_bytes()).map_err(|e| {
            Error::Config(ErrorDetail::with_source(
                format!("invalid HTTP header name `{}`", h.name()),
                e,
            ))
        })?;
        // The cause names no value: a key that cannot be sent does not print.
        let mut value = HeaderValue::from_str(h.value()).map_err(|e| {
            Error::Config(ErrorDetail::with_source(
                format!("invalid value for HTTP header `{}`", h.name()),
                e,
            ))
        })?;
        value.set_sensitive(h.is_sensitive());
        map.append(name, value);
    }
    if !map.contains_key(reqwest::header::USER_AGENT) {
        map.insert(
            reqwest::header::USER_AGENT,
            HeaderValue::from_static(USER_AGENT),
        );
    }
    Ok(map)
}

/// Shortest secret that is scrubbed from error text (shorter ones would blank out
/// ordinary words).
const MIN_SCRUBBED_LEN: usize = 8;

/// `text` with every secret a request sent replaced by `<redacted>`: sensitive
/// header values (and the token of an `Authorization: <scheme> <token>`), and the
/// values of the URL's credential query parameters (those [`redact_url`] hides).
fn scrub(text: &str, url: &str, headers: &HeaderMap) -> String {
    let header_secrets = headers
        .values()
        .filter(|v| v.is_sensitive())
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| [v, v.rsplit(' ').next().unwrap_or(v)]);
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let query_secrets = query.split('&').filter_map(|pair| {
        let (_, value) = pair.split_once('=')?;
        let alone = format!("?{pair}");
        (redact_url(&alone) != alone).then_some(value)
    });
    let mut text = text.to_owned();
    for secret in header_secrets.chain(query_secrets) {
        if secret.len() >= MIN_SCRUBBED_LEN && text.contains(secret) {
            text = text.replace(secret, "<redacted>");
        }
    }
    text
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
    HttpError::new(status, message)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use instructor_core::{Error, Header};
    use reqwest::header::USER_AGENT as UA;

    use super::{HttpRequest, USER_AGENT, header_map, scrub};

    #[test]
    fn credential_headers_are_sensitive_on_the_wire_and_a_user_agent_is_added() {
        let map = header_map(&[
            Header::new("AUTHORIZATION", "Bearer sk-1"),
            Header::new("x-goog-api-key", "AIza"),
            Header::sensitive("x-tenant", "t"),
            Header::new("x-trace", "abc"),
        ])
        .unwrap();
        assert!(map["authorization"].is_sensitive());
        assert!(map["x-goog-api-key"].is_sensitive());
        assert!(map["x-tenant"].is_sensitive());
        assert!(!map["x-trace"].is_sensitive());
        assert_eq!(map[UA], USER_AGENT);
        assert!(USER_AGENT.starts_with("instructor-rs/0."), "{USER_AGENT}");
        assert!(!format!("{map:?}").contains("sk-1"), "{map:?}");
    }

    #[test]
    fn the_callers_user_agent_wins_in_any_case() {
        let map = header_map(&[Header::new("User-Agent", "my-app/2")]).unwrap();
        assert_eq!(map.get_all(UA).iter().count(), 1);
        assert_eq!(map[UA], "my-app/2");
    }

    #[test]
    fn a_header_that_cannot_be_sent_is_a_config_error_without_its_value() {
        let error = header_map(&[Header::new("authorization", "Bearer sk-1\nx")]).unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains("authorization") && !m.contains("sk-1")),
            "{error:?}"
        );
        let error = header_map(&[Header::new("bad name", "v")]).unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{error:?}");
    }

    #[test]
    fn echoed_secrets_are_scrubbed_from_error_text() {
        let map = header_map(&[
            Header::new("authorization", "Bearer sk-long-secret"),
            Header::new("x-trace", "visible-trace"),
        ])
        .unwrap();
        let url = "https://g.example/v1?alt=sse&key=AIza-query-secret";
        let text = "bad key sk-long-secret (query AIza-query-secret), trace visible-trace, sse";
        assert_eq!(
            scrub(text, url, &map),
            "bad key <redacted> (query <redacted>), trace visible-trace, sse"
        );
    }

    #[test]
    fn an_http_request_prints_no_secret() {
        let body = serde_json::json!({});
        let request = HttpRequest {
            url: "https://g.example/v1?key=AIza-query-secret".into(),
            headers: vec![Header::new("x-api-key", "sk-ant-secret")],
            body: &body,
            timeout: None,
            gate: None,
        };
        let shown = format!("{request:?} {request:#?}");
        assert!(!shown.contains("AIza-query-secret") && !shown.contains("sk-ant-secret"));
        assert!(shown.contains("g.example"), "{shown}");
    }
}
