//! Anthropic Message Batches (`/v1/messages/batches`): every request's `params`
//! is exactly the body `create` sends, the batch is polled through its
//! `processing_status`, and the results JSONL (at `results_url`) is read line by
//! line with the same converter as `send`.
//!
//! A job over the API's per-batch limits (100,000 requests or a 256 MB request
//! body) is split into several provider batches behind one
//! [`BatchJob`](instructor_core::BatchJob), in order; a single request too large for
//! a batch on its own is refused before anything is sent.
//!
//! States: `in_progress` is [`BatchState::InProgress`], `canceling`
//! [`BatchState::Cancelling`]; an `ended` batch with canceled requests is
//! [`BatchState::Cancelled`], else one with expired requests
//! [`BatchState::Expired`], else [`BatchState::Completed`] (errored requests are
//! per-item errors, as failed lines of a completed OpenAI batch are). Counts:
//! `succeeded` is succeeded, `failed` is errored + canceled + expired, `pending` is
//! processing.

use std::time::Duration;

use futures_util::StreamExt;
use instructor_core::provider::{
    BatchEngine, BatchLine, BatchLineResult, BatchLineStream, ListedBatch, redact_url,
};
use instructor_core::{
    BatchCounts, BatchError, BatchState, BatchStatus, Completion, Error, ErrorDetail, Message,
    Mode, NotRunReason,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Anthropic, convert, wire};
use crate::http::HttpRequest;
use crate::http::error::parse_error_body;

/// Requests per batch (the API's limit).
pub(crate) const MAX_REQUESTS_PER_BATCH: usize = 100_000;
/// Bytes of one batch creation body (the API's limit is 256 MB).
pub(crate) const MAX_BYTES_PER_BATCH: usize = 256 * 1024 * 1024;
/// The longest results line read (a longer one is an error item, the rest go on).
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// The most batches asked for per list page.
const LIST_PAGE: usize = 100;
/// `{"requests":[]}` (each request is counted with a comma after it).
const ENVELOPE_BYTES: usize = 15;

impl Anthropic {
    /// `{base}/v1/messages/batches{path}`.
    fn batches_url(&self, path: &str) -> String {
        format!("{}/v1/messages/batches{path}", self.base_url.as_str())
    }

    async fn get_batch(&self, id: &str) -> Result<Value, Error> {
        let url = self.batches_url(&format!("/{}", escape(id)?));
        self.transport.get_json(&url, &self.base_headers()).await
    }

    async fn post_batches(&self, path: &str, body: &Value, bytes: usize) -> Result<Value, Error> {
        // A large creation body takes a while to send: a second more per MB.
        let extra = Duration::from_secs(u64::try_from(bytes >> 20).unwrap_or(u64::MAX));
        let request = HttpRequest {
            url: self.batches_url(path),
            headers: self.base_headers(),
            body,
            timeout: Some(self.transport.timeout.saturating_add(extra)),
            gate: None,
        };
        self.transport.post_json(&request).await
    }

    /// Creates one provider batch of `requests`; when that fails after earlier parts
    /// were created, cancels them (best effort) and says which they were.
    async fn submit_part(&self, part: Part, done: &[String]) -> Result<String, Error> {
        let body = json!({"requests": part.requests});
        let created = match self.post_batches("", &body, part.bytes).await {
            Ok(created) => created,
            Err(error) => {
                for id in done {
                    let _ = BatchEngine::cancel(self, id).await;
                }
                if !done.is_empty() {
                    tracing::warn!(created = ?done, %error, "batch split: a later part failed; earlier parts cancelled");
                }
                return Err(error);
            }
        };
        created
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Error::response("the created message batch has no `id`".to_owned()))
    }

    /// Where the results of `batch` are read: its `results_url` when it is on the
    /// same origin as the base URL, else the documented path under the base URL (the
    /// key is never sent to another host).
    fn results_url(&self, id: &str, batch: &Value) -> Result<String, Error> {
        let documented = self.batches_url(&format!("/{}/results", escape(id)?));
        let Some(given) = batch.get("results_url").and_then(Value::as_str) else {
            return Ok(documented);
        };
        let origin = |url: &str| reqwest::Url::parse(url).ok().map(|u| u.origin());
        Ok(match (origin(given), origin(self.base_url.as_str())) {
            (Some(a), Some(b)) if a == b && a.is_tuple() => given.to_owned(),
            _ => documented,
        })
    }
}

#[async_trait::async_trait]
impl BatchEngine for Anthropic {
    fn endpoint(&self) -> String {
        redact_url(self.base_url.as_str())
    }

    /// `^[a-zA-Z0-9_-]{1,64}$`.
    fn check_custom_id(&self, id: &str) -> Result<(), String> {
        const RULE: &str = "Anthropic takes 1 to 64 ASCII letters, digits, `_` or `-`";
        if id.len() > 64 {
            return Err(format!("it is {} bytes long; {RULE}", id.len()));
        }
        match id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            Some(c) => Err(format!("it holds {c:?}; {RULE}")),
            None if id.is_empty() => Err(RULE.to_owned()),
            None => Ok(()),
        }
    }

    async fn submit(
        &self,
        _model: &str,
        _mode: Mode,
        lines: Vec<BatchLine>,
    ) -> Result<Vec<String>, Error> {
        let parts = split(lines, MAX_REQUESTS_PER_BATCH, MAX_BYTES_PER_BATCH)?;
        let mut ids = Vec::with_capacity(parts.len());
        for part in parts {
            let id = self.submit_part(part, &ids).await?;
            ids.push(id);
        }
        Ok(ids)
    }

    async fn status(&self, id: &str) -> Result<BatchStatus, Error> {
        Ok(status_of(&self.get_batch(id).await?))
    }

    async fn results(&self, id: &str, _mode: Mode) -> Result<BatchLineStream, Error> {
        let batch = self.get_batch(id).await?;
        let state = status_of(&batch).state;
        if !state.is_ended() {
            return Err(Error::Batch(BatchError::NotEnded { state }));
        }
        let url = self.results_url(id, &batch)?;
        let lines = self
            .transport
            .get_lines(&url, &self.base_headers(), MAX_LINE_BYTES)
            .await?;
        Ok(lines
            .map(|line| line.and_then(|bytes| result_line(&bytes)))
            .boxed())
    }

    fn append_messages(
        &self,
        body: &mut Value,
        _mode: Mode,
        messages: &[Message],
    ) -> Result<(), Error> {
        let object = body
            .as_object_mut()
            .ok_or_else(|| Error::config("a batch body is not a JSON object".to_owned()))?;
        let system = wire::system_blocks(messages);
        if !system.is_empty() {
            let blocks = object
                .entry("system")
                .or_insert_with(|| Value::Array(Vec::new()));
            let list = blocks
                .as_array_mut()
                .ok_or_else(|| Error::config("a batch body's `system` is not a list".to_owned()))?;
            list.extend(system);
        }
        let list = object
            .get_mut("messages")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| Error::config("a batch body has no `messages` list".to_owned()))?;
        list.extend(wire::turns(messages)?);
        Ok(())
    }

    async fn cancel(&self, id: &str) -> Result<(), Error> {
        self.post_batches(&format!("/{}/cancel", escape(id)?), &json!({}), 0)
            .await
            .map(|_| ())
    }

    async fn list(&self, limit: usize) -> Result<Vec<ListedBatch>, Error> {
        let mut listed = Vec::new();
        let mut after: Option<String> = None;
        while listed.len() < limit {
            let page = (limit - listed.len()).min(LIST_PAGE);
            let url = match &after {
                Some(id) => self.batches_url(&format!("?limit={page}&after_id={}", escape(id)?)),
                None => self.batches_url(&format!("?limit={page}")),
            };
            let answer = self.transport.get_json(&url, &self.base_headers()).await?;
            let data = answer.get("data").and_then(Value::as_array);
            for batch in data.into_iter().flatten() {
                let Some(id) = batch.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let mut item = ListedBatch::new(id, status_of(batch));
                item.created_at = batch
                    .get("created_at")
                    .and_then(Value::as_str)
                    .and_then(unix_seconds);
                listed.push(item);
            }
            after = crate::config::next_page_after(&answer);
            if after.is_none() {
                break;
            }
        }
        listed.truncate(limit);
        Ok(listed)
    }
}

/// `id` as one URL path segment or query value: a batch id from a job file or a
/// listing never reaches another path (`.`, `..` and an empty id are refused).
fn escape(id: &str) -> Result<String, Error> {
    if matches!(id, "" | "." | "..") {
        return Err(Error::config(format!("`{id}` is not a message batch id")));
    }
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(out)
}

/// One provider batch to create: its `requests` and the size of its body.
#[derive(Debug)]
struct Part {
    requests: Vec<Value>,
    bytes: usize,
}

/// Turns `lines` into `{custom_id, params}` requests (`params` without `stream`)
/// and groups them into parts of at most `max_requests` requests and `max_bytes`
/// bytes of body; a request that cannot fit in a body of its own is refused.
fn split(lines: Vec<BatchLine>, max_requests: usize, max_bytes: usize) -> Result<Vec<Part>, Error> {
    let mut parts = Vec::new();
    let mut current = Part {
        requests: Vec::new(),
        bytes: ENVELOPE_BYTES,
    };
    for line in lines {
        let mut params = line.body;
        if let Some(object) = params.as_object_mut() {
            object.remove("stream");
        }
        let request = json!({"custom_id": line.custom_id, "params": params});
        // The request and the comma before the next one.
        let size = json_len(&request)? + 1;
        if ENVELOPE_BYTES + size > max_bytes {
            return Err(Error::Batch(BatchError::InvalidCustomId {
                id: line.custom_id,
                reason: format!("its request is larger than a batch may be ({max_bytes} bytes)"),
            }));
        }
        if current.requests.len() == max_requests || current.bytes + size > max_bytes {
            let full = std::mem::replace(
                &mut current,
                Part {
                    requests: Vec::new(),
                    bytes: ENVELOPE_BYTES,
                },
            );
            parts.push(full);
        }
        current.bytes += size;
        current.requests.push(request);
    }
    if !current.requests.is_empty() {
        parts.push(current);
    }
    Ok(parts)
}

/// The length of `value` as compact JSON, without writing it anywhere.
fn json_len(value: &Value) -> Result<usize, Error> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)
        .map_err(|e| Error::Config(ErrorDetail::with_source("a request cannot be written", e)))?;
    Ok(count.0)
}

/// A `message_batch` object's state and counts.
fn status_of(batch: &Value) -> BatchStatus {
    let counts = batch.get("request_counts");
    let count = |key: &str| {
        counts
            .and_then(|c| c.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let (processing, succeeded, errored) =
        (count("processing"), count("succeeded"), count("errored"));
    let (canceled, expired) = (count("canceled"), count("expired"));
    let failed = errored.saturating_add(canceled).saturating_add(expired);
    let total = processing.saturating_add(succeeded).saturating_add(failed);
    let state = match batch
        .get("processing_status")
        .and_then(Value::as_str)
        .unwrap_or("")
    {
        "canceling" => BatchState::Cancelling,
        "ended" if canceled > 0 => BatchState::Cancelled,
        "ended" if expired > 0 => BatchState::Expired,
        "ended" => BatchState::Completed,
        // `in_progress`, and an unknown state taken as still running: wait keeps polling.
        _ => BatchState::InProgress,
    };
    BatchStatus::new(state, BatchCounts::new(total, succeeded, failed))
}

#[derive(Deserialize)]
struct ResultLine {
    custom_id: Option<String>,
    result: Option<ResultBody>,
}

#[derive(Deserialize)]
struct ResultBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

/// One line of a results file.
fn result_line(bytes: &[u8]) -> Result<BatchLineResult, Error> {
    let (line, custom_id) =
        crate::config::batch_result_line::<ResultLine>(bytes, "a results line", |line| {
            line.custom_id.clone()
        })?;
    let result = line.result.ok_or_else(|| {
        Error::response(format!("the results line of `{custom_id}` has no result"))
    })?;
    Ok(BatchLineResult::new(custom_id, outcome(result)))
}

fn outcome(result: ResultBody) -> Result<Completion, Error> {
    let not_run = |reason, message: &str| {
        Err(Error::Batch(BatchError::NotRun {
            reason,
            message: message.to_owned(),
        }))
    };
    match result.kind.as_str() {
        "succeeded" => match result.message {
            Some(message) if message.is_object() => convert::message_completion(message),
            _ => Err(Error::response(
                "a succeeded result has no message object".to_owned(),
            )),
        },
        "errored" => Err(item_error(result.error.unwrap_or(Value::Null))),
        "canceled" => not_run(
            NotRunReason::Cancelled,
            "the batch was canceled before this request ran",
        ),
        "expired" => not_run(
            NotRunReason::Expired,
            "the batch expired (24 hours) before this request ran",
        ),
        other => Err(Error::response(format!(
            "unknown batch result type `{}`",
            crate::http::snippet(other.as_bytes())
        ))),
    }
}

/// An `errored` result's error (`{"type": "error", "error": {"type", "message"},
/// "request_id"}`), typed as the same error over HTTP would be; an error type with
/// no HTTP status is a [`BatchError::ItemFailed`].
fn item_error(error: Value) -> Error {
    let kind = error
        .pointer("/error/type")
        .or_else(|| error.get("type").filter(|t| *t != "error"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let status = match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "api_error" => 500,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => {
            let message = error
                .pointer("/error/message")
                .or_else(|| error.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("the provider gave no message");
            return Error::Batch(BatchError::ItemFailed {
                code: kind.to_owned(),
                message: message.to_owned(),
            });
        }
    };
    let body = serde_json::to_vec(&error).unwrap_or_default();
    let mut http = parse_error_body(status, &body);
    http.request_id = error
        .get("request_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Error::Http(Box::new(http))
}

/// Unix seconds of an RFC 3339 time (`2024-08-20T18:37:24.100435Z`,
/// `...+02:00`); `None` when it is not one.
fn unix_seconds(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let digits = |part: &str| -> Option<i64> {
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let num = |range: std::ops::Range<usize>| digits(text.get(range)?);
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day);
    if !valid || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = text.get(19..)?;
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = fraction.bytes().take_while(u8::is_ascii_digit).count();
        rest = fraction.get(count..)?;
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hours = digits(rest.get(1..3)?)?;
            let minutes = digits(rest.get(4..6)?)?;
            sign * (hours * 3600 + minutes * 60)
        }
        _ => return None,
    };
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(seconds).ok()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]
mod tests {
    use instructor_core::provider::BatchLine;
    use instructor_core::{BatchError, BatchState, Error, NotRunReason};
    use proptest::prelude::*;
    use serde_json::json;

    use super::{ENVELOPE_BYTES, escape, json_len, result_line, split, status_of, unix_seconds};

    #[test]
    fn hostile_lines_are_typed_errors() {
        for line in [
            &b"not json"[..],
            b"\xff\xfe{",
            b"{}",
            b"[]",
            br#"{"custom_id": "a"}"#,
            br#"{"custom_id": "", "result": {"type": "canceled"}}"#,
            br#"{"custom_id": 7, "result": {"type": "canceled"}}"#,
            br#"{"custom_id": "a", "result": "succeeded"}"#,
        ] {
            assert!(
                matches!(result_line(line), Err(Error::Response(_))),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        for result in [
            json!({"type": "succeeded"}),
            json!({"type": "succeeded", "message": "hi"}),
            json!({"type": "succeeded", "message": {"content": "nope"}}),
            json!({"type": "exploded"}),
        ] {
            let line = json!({"custom_id": "a", "result": result}).to_string();
            let line = result_line(line.as_bytes()).unwrap();
            assert!(
                matches!(line.outcome, Err(Error::Response(_))),
                "{:?}",
                line.outcome
            );
        }
    }

    #[test]
    fn each_result_type_maps_to_its_outcome() {
        let line = |result: serde_json::Value| {
            let text = json!({"custom_id": "a", "result": result}).to_string();
            result_line(text.as_bytes()).unwrap().outcome
        };
        assert!(matches!(
            line(json!({"type": "expired"})),
            Err(Error::Batch(BatchError::NotRun {
                reason: NotRunReason::Expired,
                ..
            }))
        ));
        assert!(matches!(
            line(json!({"type": "canceled"})),
            Err(Error::Batch(BatchError::NotRun {
                reason: NotRunReason::Cancelled,
                ..
            }))
        ));
        let errored = json!({"type": "errored", "error": {"type": "error", "request_id": "req_1",
            "error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}});
        match line(errored) {
            Err(Error::Http(e)) => assert_eq!(
                (
                    e.status,
                    e.message.as_str(),
                    e.kind.as_deref(),
                    e.request_id.as_deref()
                ),
                (
                    400,
                    "max_tokens: too large",
                    Some("invalid_request_error"),
                    Some("req_1")
                )
            ),
            other => panic!("{other:?}"),
        }
        let odd = json!({"type": "errored", "error": {"type": "error", "error": {"type": "mystery", "message": "?"}}});
        assert!(matches!(
            line(odd),
            Err(Error::Batch(BatchError::ItemFailed { code, .. })) if code == "mystery"
        ));
        let ok = json!({"type": "succeeded", "message": {"id": "msg_1", "type": "message",
            "role": "assistant", "content": [{"type": "text", "text": "{}"}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 3, "output_tokens": 2}}});
        let completion = line(ok).unwrap();
        assert_eq!(completion.text.as_deref(), Some("{}"));
        assert_eq!(completion.usage.total_tokens, 5);
    }

    #[test]
    fn ended_batches_map_by_what_happened_to_their_requests() {
        let batch = |status: &str, counts: [u64; 5]| {
            let [processing, succeeded, errored, canceled, expired] = counts;
            status_of(&json!({"id": "msgbatch_1", "processing_status": status,
                "request_counts": {"processing": processing, "succeeded": succeeded,
                    "errored": errored, "canceled": canceled, "expired": expired}}))
        };
        let running = batch("in_progress", [5, 0, 0, 0, 0]);
        assert_eq!(running.state, BatchState::InProgress);
        assert_eq!((running.counts.total, running.counts.pending), (5, 5));
        assert_eq!(
            batch("canceling", [5, 0, 0, 0, 0]).state,
            BatchState::Cancelling
        );
        let done = batch("ended", [0, 3, 2, 0, 0]);
        assert_eq!(done.state, BatchState::Completed);
        assert_eq!(
            (
                done.counts.total,
                done.counts.succeeded,
                done.counts.failed,
                done.counts.pending
            ),
            (5, 3, 2, 0)
        );
        assert_eq!(batch("ended", [0, 0, 0, 0, 5]).state, BatchState::Expired);
        assert_eq!(batch("ended", [0, 2, 0, 0, 3]).state, BatchState::Expired);
        assert_eq!(batch("ended", [0, 0, 0, 5, 0]).state, BatchState::Cancelled);
        assert_eq!(batch("ended", [0, 2, 1, 2, 0]).state, BatchState::Cancelled);
        assert_eq!(
            status_of(&json!({"processing_status": "ended", "request_counts": "x"})).state,
            BatchState::Completed
        );
        assert_eq!(status_of(&json!(null)).state, BatchState::InProgress);
    }

    fn lines(sizes: &[usize]) -> Vec<BatchLine> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                BatchLine::new(
                    format!("r{i}"),
                    json!({"pad": "x".repeat(*n), "stream": false}),
                )
            })
            .collect()
    }

    proptest! {
        #[test]
        fn split_parts_keep_order_and_limits(
            sizes in proptest::collection::vec(0usize..200, 0..40),
            max_requests in 1usize..6,
        ) {
            let max_bytes = 600;
            let parts = split(lines(&sizes), max_requests, max_bytes).unwrap();
            let ids: Vec<String> = parts
                .iter()
                .flat_map(|p| p.requests.iter().map(|r| r["custom_id"].as_str().unwrap().to_owned()))
                .collect();
            let expected: Vec<String> = (0..sizes.len()).map(|i| format!("r{i}")).collect();
            prop_assert_eq!(ids, expected);
            for part in &parts {
                prop_assert!(!part.requests.is_empty());
                prop_assert!(part.requests.len() <= max_requests);
                prop_assert!(part.bytes <= max_bytes);
                let body = json!({"requests": part.requests});
                prop_assert!(json_len(&body).unwrap() <= part.bytes);
                prop_assert!(part.requests.iter().all(|r| r["params"].get("stream").is_none()));
            }
        }
    }

    #[test]
    fn a_request_too_large_for_any_batch_is_refused_by_name() {
        match split(lines(&[10, 5000]), 10, 600) {
            Err(Error::Batch(BatchError::InvalidCustomId { id, reason })) => {
                assert_eq!(id, "r1");
                assert!(reason.contains("600 bytes"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ENVELOPE_BYTES, r#"{"requests":[]}"#.len());
    }

    #[test]
    fn batch_ids_stay_one_path_segment() {
        let id = "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d";
        assert_eq!(escape(id).unwrap(), id);
        assert_eq!(
            escape("../x?y=1&z/é%").unwrap(),
            "..%2Fx%3Fy%3D1%26z%2F%C3%A9%25"
        );
        for bad in ["", ".", ".."] {
            assert!(matches!(escape(bad), Err(Error::Config(_))), "{bad}");
        }
    }

    #[test]
    fn rfc3339_times_become_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_seconds("2024-08-20T18:37:24.100435Z"),
            Some(1_724_179_044)
        );
        assert_eq!(
            unix_seconds("2024-08-20T20:37:24+02:00"),
            Some(1_724_179_044)
        );
        for bad in [
            "",
            "yesterday",
            "2024-08-20",
            "2024-13-20T18:37:24Z",
            "2024-08-20T18:37:24",
            "2024-08-20T18:37:24+0200",
            "１９７０-01-01T00:00:00Z",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }
}
