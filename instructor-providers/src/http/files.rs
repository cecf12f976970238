//! Requests beyond a JSON POST, for the batch APIs: a JSON GET, a multipart file
//! upload, and a file download read line by line. Each goes through the same
//! transport retries, error envelopes, secret scrubbing and `User-Agent` as
//! [`Transport::post_json`].

use std::pin::Pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use instructor_core::{Error, ErrorDetail, Header};
use serde_json::Value;

use super::{
    Attempt, HttpRequest, MAX_RESPONSE_BYTES, Transport, header_map, read_body, scrub, snippet,
};

/// A downloaded file's lines (without their `\n`), each at most the cap given; an
/// `Err` for a line over the cap (the rest of it is skipped) or a broken download.
pub(crate) type LineStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

/// The least time a download may take (a large output file is read for a while).
const MIN_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

static NO_BODY: Value = Value::Null;

/// The content type of a URL-encoded form (AWS STS's query API asks for the charset).
#[cfg(any(feature = "bedrock", feature = "vertexai"))]
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// A file to upload in a multipart form.
#[cfg(feature = "openai")]
pub(crate) struct Upload<'a> {
    /// Plain form fields (`purpose=batch`).
    pub(crate) fields: &'a [(&'a str, &'a str)],
    /// The file field's name (`file`).
    pub(crate) field: &'a str,
    /// The file name sent (`batch.jsonl`).
    pub(crate) file_name: &'a str,
    /// Its content.
    pub(crate) content: Bytes,
}

impl Transport {
    /// GETs a JSON document, with retries.
    pub(crate) async fn get_json(&self, url: &str, headers: &[Header]) -> Result<Value, Error> {
        let request = plain(url, headers);
        let map = header_map(headers)?;
        self.with_retries(None, || async {
            let sent = self
                .client
                .get(url)
                .timeout(self.timeout)
                .headers(map.clone())
                .send()
                .await;
            let response = self.check_response(sent, &request, &map).await?;
            self.json_of(response, &request, &map).await
        })
        .await
    }

    /// One request whose answer is read as text (AWS's credential endpoints: a
    /// metadata token, a role name, STS's XML), with a URL-encoded form body when
    /// given (sent as it is, so a signature over it holds), and `timeout` instead of
    /// the transport's when given. Not retried: the credential chain reports a
    /// source that does not answer at once.
    #[cfg(any(feature = "bedrock", feature = "vertexai"))]
    pub(crate) async fn fetch_text(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &[Header],
        form: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<String, Error> {
        const MAX_TEXT_BYTES: usize = 256 * 1024;
        let request = plain(url, headers);
        let map = header_map(headers)?;
        let mut builder = self
            .client
            .request(method, url)
            .timeout(timeout.unwrap_or(self.timeout))
            .headers(map.clone());
        if let Some(form) = form {
            if !headers
                .iter()
                .any(|h| h.name().eq_ignore_ascii_case("content-type"))
            {
                builder = builder.header(reqwest::header::CONTENT_TYPE, FORM_CONTENT_TYPE);
            }
            builder = builder.body(form);
        }
        let answer = async {
            let response = self
                .check_response(builder.send().await, &request, &map)
                .await?;
            let bytes = read_body(response, MAX_TEXT_BYTES)
                .await
                .map_err(|e| Attempt {
                    error: self.map_body_error(e, &request),
                    should_retry: None,
                })?;
            String::from_utf8(bytes.to_vec()).map_err(|e| Attempt {
                error: Error::Response(ErrorDetail::with_source("the answer is not UTF-8 text", e)),
                should_retry: None,
            })
        };
        answer.await.map_err(|attempt| attempt.error)
    }

    /// POSTs a URL-encoded form (an OAuth token request) and reads a JSON answer,
    /// with retries.
    #[cfg(feature = "vertexai")]
    pub(crate) async fn post_form(
        &self,
        url: &str,
        headers: &[Header],
        form: &[(&str, &str)],
    ) -> Result<Value, Error> {
        let request = plain(url, headers);
        let map = header_map(headers)?;
        self.with_retries(None, || async {
            let sent = self
                .client
                .post(url)
                .timeout(self.timeout)
                .headers(map.clone())
                .form(form)
                .send()
                .await;
            let response = self.check_response(sent, &request, &map).await?;
            self.json_of(response, &request, &map).await
        })
        .await
    }

    /// POSTs a multipart form with one file and reads a JSON answer, with retries
    /// (the form is rebuilt from the same bytes for each attempt).
    #[cfg(feature = "openai")]
    pub(crate) async fn post_multipart(
        &self,
        url: &str,
        headers: &[Header],
        upload: &Upload<'_>,
    ) -> Result<Value, Error> {
        let request = plain(url, headers);
        let map = header_map(headers)?;
        self.with_retries(None, || async {
            let mut form = reqwest::multipart::Form::new();
            for (name, value) in upload.fields {
                form = form.text((*name).to_owned(), (*value).to_owned());
            }
            let part = reqwest::multipart::Part::stream(upload.content.clone())
                .file_name(upload.file_name.to_owned())
                .mime_str("application/jsonl")
                .map_err(|e| Attempt {
                    error: Error::Config(ErrorDetail::with_source("bad upload type", e)),
                    should_retry: Some(false),
                })?;
            form = form.part(upload.field.to_owned(), part);
            let sent = self
                .client
                .post(url)
                .timeout(self.timeout.max(MIN_DOWNLOAD_TIMEOUT))
                .headers(map.clone())
                .multipart(form)
                .send()
                .await;
            let response = self.check_response(sent, &request, &map).await?;
            self.json_of(response, &request, &map).await
        })
        .await
    }

    /// GETs a file and reads it line by line as it arrives: however large the file,
    /// only the current line is held, and a line longer than `max_line` bytes is an
    /// error item (the next lines are still read). Retries cover getting the
    /// response, not a download that breaks halfway (that ends the stream with an
    /// error).
    pub(crate) async fn get_lines(
        &self,
        url: &str,
        headers: &[Header],
        max_line: usize,
    ) -> Result<LineStream, Error> {
        let request = plain(url, headers);
        let map = header_map(headers)?;
        let response = self
            .with_retries(None, || async {
                let sent = self
                    .client
                    .get(url)
                    .timeout(self.timeout.max(MIN_DOWNLOAD_TIMEOUT))
                    .headers(map.clone())
                    .send()
                    .await;
                self.check_response(sent, &request, &map).await
            })
            .await?;
        Ok(lines(response.bytes_stream(), max_line))
    }

    /// The response's body as JSON (capped; a body that is not JSON is an error
    /// naming a scrubbed snippet, never retried).
    pub(super) async fn json_of(
        &self,
        response: reqwest::Response,
        request: &HttpRequest<'_>,
        headers: &reqwest::header::HeaderMap,
    ) -> Result<Value, Attempt> {
        let bytes = read_body(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| Attempt {
                error: self.map_body_error(e, request),
                should_retry: None,
            })?;
        serde_json::from_slice(&bytes).map_err(|e| Attempt {
            error: Error::Response(ErrorDetail::with_source(
                scrub(
                    &format!("the body is not JSON: {}", snippet(&bytes)),
                    &request.url,
                    headers,
                ),
                e,
            )),
            should_retry: Some(false),
        })
    }
}

fn plain<'a>(url: &str, headers: &[Header]) -> HttpRequest<'a> {
    HttpRequest {
        url: url.to_owned(),
        headers: headers.to_vec(),
        body: &NO_BODY,
        timeout: None,
        gate: None,
    }
}

/// Splits a byte stream into lines (a last line without `\n` included; blank lines
/// and a trailing `\r` dropped).
pub(crate) fn lines<S>(chunks: S, max_line: usize) -> LineStream
where
    S: Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
{
    struct State<S> {
        chunks: Pin<Box<S>>,
        buffer: BytesMut,
        /// Inside a line over the cap: drop bytes until its end.
        skipping: bool,
        done: bool,
        line: u64,
    }
    let state = State {
        chunks: Box::pin(chunks),
        buffer: BytesMut::new(),
        skipping: false,
        done: false,
        line: 0,
    };
    futures_util::stream::unfold(state, move |mut s| async move {
        loop {
            if let Some(at) = memchr::memchr(b'\n', &s.buffer) {
                let mut line = s.buffer.split_to(at + 1);
                line.truncate(at);
                if line.last() == Some(&b'\r') {
                    line.truncate(at - 1);
                }
                s.line += 1;
                if std::mem::take(&mut s.skipping) || line.is_empty() {
                    continue;
                }
                if line.len() > max_line {
                    let error = Error::response(format!(
                        "line {} of the file is longer than {max_line} bytes",
                        s.line
                    ));
                    return Some((Err(error), s));
                }
                return Some((Ok(line.freeze()), s));
            }
            if s.buffer.len() > max_line && !s.skipping {
                s.skipping = true;
                s.buffer.clear();
                let error = Error::response(format!(
                    "line {} of the file is longer than {max_line} bytes",
                    s.line + 1
                ));
                return Some((Err(error), s));
            }
            if s.skipping {
                s.buffer.clear();
            }
            if s.done {
                if s.buffer.is_empty() {
                    return None;
                }
                let last = s.buffer.split().freeze();
                return Some((Ok(last), s));
            }
            match s.chunks.next().await {
                Some(Ok(chunk)) => s.buffer.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    s.done = true;
                    s.buffer.clear();
                    let error = Error::Stream(ErrorDetail::with_source(
                        "the download broke off",
                        e.without_url(),
                    ));
                    return Some((Err(error), s));
                }
                None => s.done = true,
            }
        }
    })
    .boxed()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use bytes::Bytes;
    use futures_util::StreamExt;
    use proptest::prelude::*;

    use super::lines;

    fn split(text: &[u8], cuts: &[usize], max: usize) -> Vec<Result<Vec<u8>, String>> {
        let mut chunks = Vec::new();
        let mut at = 0;
        for cut in cuts {
            let end = (at + cut).min(text.len());
            chunks.push(Ok::<Bytes, reqwest::Error>(Bytes::copy_from_slice(
                &text[at..end],
            )));
            at = end;
        }
        chunks.push(Ok(Bytes::copy_from_slice(&text[at..])));
        let stream = lines(futures_util::stream::iter(chunks), max);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(stream.collect::<Vec<_>>())
            .into_iter()
            .map(|l| l.map(|b| b.to_vec()).map_err(|e| e.to_string()))
            .collect()
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_lines(
            lines_in in proptest::collection::vec("[a-z{}\":]{0,12}", 0..20),
            cuts in proptest::collection::vec(0usize..7, 0..30),
        ) {
            let text = lines_in.join("\n");
            let expected: Vec<Result<Vec<u8>, String>> = lines_in
                .iter()
                .filter(|l| !l.is_empty())
                .map(|l| Ok(l.as_bytes().to_vec()))
                .collect();
            prop_assert_eq!(split(text.as_bytes(), &cuts, 64), expected);
        }
    }

    #[test]
    fn a_line_over_the_cap_is_one_error_and_the_next_lines_follow() {
        let text = b"short\nthis line is far too long\r\nok\n";
        for cuts in [vec![], vec![1, 1, 1, 1, 1, 1, 1, 1, 3], vec![8, 20]] {
            let out = split(text, &cuts, 10);
            assert_eq!(out.len(), 3, "{out:?}");
            assert_eq!(out[0], Ok(b"short".to_vec()));
            assert!(
                out[1]
                    .as_ref()
                    .unwrap_err()
                    .contains("longer than 10 bytes")
            );
            assert_eq!(out[2], Ok(b"ok".to_vec()));
        }
    }
}
