//! Requests signed per attempt (AWS SigV4): the body is serialized once, to the exact
//! bytes that are sent, and every attempt (a transport retry included) is signed
//! again just before it leaves, so its timestamp is fresh. The signer's headers are
//! sensitive: they never print and are scrubbed from error text.

use bytes::Bytes;
use instructor_core::{Error, ErrorDetail, Header};
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::{Attempt, HttpRequest, Transport, events, header_map};

/// Signs one attempt of a request: it sees the method, the URL, the headers that are
/// sent and the exact body bytes, and returns the headers to add (authorization,
/// date, session token).
pub(crate) trait RequestSigner: Send + Sync {
    /// The headers that sign this attempt.
    fn sign(&self, url: &str, headers: &[Header], body: &[u8]) -> Result<Vec<Header>, Error>;
}

impl Transport {
    /// [`post_json`](Transport::post_json), each attempt signed by `signer`.
    pub(crate) async fn post_signed_json(
        &self,
        request: &HttpRequest<'_>,
        signer: &dyn RequestSigner,
    ) -> Result<Value, Error> {
        let body = json_bytes(request.body)?;
        self.with_retries(request.gate.as_ref(), || async {
            let headers = signed_headers(request, signer, &body)?;
            let response = self
                .send_bytes_once(request, &headers, body.clone())
                .await?;
            self.json_of(response, request, &headers).await
        })
        .await
    }

    /// [`post_stream`](Transport::post_stream), each attempt signed by `signer`.
    pub(crate) async fn post_signed_stream(
        &self,
        request: &HttpRequest<'_>,
        signer: &dyn RequestSigner,
    ) -> Result<reqwest::Response, Error> {
        let body = json_bytes(request.body)?;
        let mut response = self
            .with_retries(request.gate.as_ref(), || async {
                let headers = signed_headers(request, signer, &body)?;
                self.send_bytes_once(request, &headers, body.clone()).await
            })
            .await?;
        let timeout = request.timeout.unwrap_or(self.timeout);
        response
            .extensions_mut()
            .insert(events::RequestTimeout(timeout));
        Ok(response)
    }

    async fn send_bytes_once(
        &self,
        request: &HttpRequest<'_>,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<reqwest::Response, Attempt> {
        let sent = self
            .client
            .post(&request.url)
            .timeout(request.timeout.unwrap_or(self.timeout))
            .headers(headers.clone())
            .body(body)
            .send()
            .await;
        self.check_response(sent, request, headers).await
    }
}

/// The body as the bytes that are signed and sent.
fn json_bytes(body: &Value) -> Result<Bytes, Error> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::Config(ErrorDetail::with_source("the body cannot be serialized", e)))
}

/// The request's headers with `Content-Type: application/json` and the signer's
/// headers (sensitive) added; a signing failure is final.
fn signed_headers(
    request: &HttpRequest<'_>,
    signer: &dyn RequestSigner,
    body: &[u8],
) -> Result<HeaderMap, Attempt> {
    let fail = |error| Attempt {
        error,
        should_retry: Some(false),
    };
    let mut headers = request.headers.clone();
    if !headers
        .iter()
        .any(|h| h.name().eq_ignore_ascii_case("content-type"))
    {
        headers.push(Header::new("content-type", "application/json"));
    }
    let signature = signer.sign(&request.url, &headers, body).map_err(fail)?;
    headers.extend(
        signature
            .into_iter()
            .map(|h| Header::sensitive(h.name(), h.value())),
    );
    header_map(&headers).map_err(fail)
}
