//! Gemini batch mode: `models/{model}:batchGenerateContent` with inlined requests
//! (each `{"request": <the generateContent body>, "metadata": {"key": custom_id}}`),
//! the long-running operation polled at `batches/{id}`, and its results read from
//! `inlinedResponses` (matched by `metadata.key`) or, when the API names one, from a
//! `responsesFile` downloaded through the File API line by line.
//!
//! Limits and choices:
//! - Inlined requests may total 20 MB per batch: a larger job is split into several
//!   provider batches behind one [`BatchJob`](instructor_core::BatchJob), in order;
//!   a single request over the limit is refused before anything is sent. Input
//!   through an uploaded JSONL file (`inputConfig.fileName`) is not used.
//! - Inline results arrive inside the operation, one JSON document read whole (up
//!   to the transport's 256 MB response cap); an item is parsed only when the
//!   stream reaches it. A job of a million items would need file input and output,
//!   whose output this engine already reads line by line.
//! - Results are matched by `metadata.key`; one without it takes the key of the
//!   request at its position when the operation echoes `inputConfig` (results
//!   come in input order), and is an error otherwise.
//! - The API keeps no copy of the inputs we can read back: the job keeps every
//!   line's body for reasks ([`BatchEngine::returns_inputs`] is false).

use std::io;

use futures_util::StreamExt;
use instructor_core::provider::{
    BatchEngine, BatchLine, BatchLineResult, BatchLineStream, ListedBatch, redact_url,
};
use instructor_core::{
    BatchCounts, BatchError, BatchState, BatchStatus, Completion, Error, ErrorDetail, Header,
    Message, Mode,
};
use serde_json::{Value, json};

use super::{Gemini, convert, wire};
use crate::http::HttpRequest;

/// The API's limit on one batch's inlined requests (20 MB).
pub(crate) const MAX_INLINE_BYTES: usize = 20_000_000;
/// Room kept for the envelope around the inlined requests.
const ENVELOPE_BYTES: usize = 1024;
/// The longest line of a responses file read (a longer one is an error item).
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// The most batches one list page asks for.
const PAGE_SIZE: usize = 100;

impl Gemini {
    /// The key header, plus the client's own headers.
    fn batch_headers(&self) -> Vec<Header> {
        let mut headers = self.headers.clone();
        headers.push(Header::sensitive("x-goog-api-key", self.api_key.expose()));
        headers
    }

    /// `{base}/batches/{id}{suffix}` (`id` with or without its `batches/` prefix).
    fn batch_url(&self, id: &str, suffix: &str) -> Result<String, Error> {
        Ok(format!(
            "{}/batches/{}{suffix}",
            self.base_url.as_str(),
            batch_id(id)?
        ))
    }

    /// The File API download of `file` (`files/…`):
    /// `{root}/download/{version}/{file}:download?alt=media`.
    fn download_url(&self, file: &str) -> String {
        let base = self.base_url.as_str();
        let (root, version) = base.rsplit_once('/').unwrap_or((base, "v1beta"));
        format!("{root}/download/{version}/{file}:download?alt=media")
    }

    async fn get_batch(&self, id: &str) -> Result<Value, Error> {
        let url = self.batch_url(id, "")?;
        self.transport.get_json(&url, &self.batch_headers()).await
    }

    async fn post_batch_json(&self, url: String, body: &Value) -> Result<Value, Error> {
        let request = HttpRequest {
            url,
            headers: self.batch_headers(),
            body,
            timeout: None,
            gate: None,
        };
        self.transport.post_json(&request).await
    }

    /// Creates one provider batch of inlined `entries`; returns its name.
    async fn submit_part(
        &self,
        model: &str,
        display_name: String,
        entries: Vec<Value>,
    ) -> Result<String, Error> {
        let body = json!({"batch": {
            "displayName": display_name,
            "inputConfig": {"requests": {"requests": entries}},
        }});
        let url = format!(
            "{}/models/{model}:batchGenerateContent",
            self.base_url.as_str()
        );
        let operation = self.post_batch_json(url, &body).await?;
        name_of(&operation)
    }
}

#[async_trait::async_trait]
impl BatchEngine for Gemini {
    fn endpoint(&self) -> String {
        redact_url(self.base_url.as_str())
    }

    async fn submit(
        &self,
        model: &str,
        _mode: Mode,
        lines: Vec<BatchLine>,
    ) -> Result<Vec<String>, Error> {
        let model = model.strip_prefix("models/").unwrap_or(model);
        let parts = pack(lines, MAX_INLINE_BYTES - ENVELOPE_BYTES)?;
        let count = parts.len();
        let mut ids = Vec::with_capacity(count);
        for (n, entries) in parts.into_iter().enumerate() {
            let display_name = if count == 1 {
                "instructor-rs".to_owned()
            } else {
                format!("instructor-rs (part {} of {count})", n + 1)
            };
            match self.submit_part(model, display_name, entries).await {
                Ok(id) => ids.push(id),
                Err(error) => {
                    // Best effort: a half-submitted job is cancelled, not left running.
                    for id in &ids {
                        let _ = self.cancel(id).await;
                    }
                    if !ids.is_empty() {
                        tracing::warn!(created = ?ids, %error, "batch split: a later part failed; earlier parts cancelled");
                    }
                    return Err(error);
                }
            }
        }
        Ok(ids)
    }

    async fn status(&self, id: &str) -> Result<BatchStatus, Error> {
        Ok(status_of(&self.get_batch(id).await?))
    }

    async fn results(&self, id: &str, _mode: Mode) -> Result<BatchLineStream, Error> {
        let mut operation = self.get_batch(id).await?;
        if let Some(file) = responses_file(&operation) {
            let url = self.download_url(&file);
            let lines = self
                .transport
                .get_lines(&url, &self.batch_headers(), MAX_LINE_BYTES)
                .await?;
            return Ok(lines
                .map(|line| line.and_then(|bytes| file_line(&bytes)))
                .boxed());
        }
        let entries = take_inlined(&mut operation)?;
        let keys = input_keys(&mut operation);
        let lines = entries
            .into_iter()
            .enumerate()
            .map(move |(n, entry)| inlined_line(entry, keys.get(n).cloned().flatten()));
        Ok(futures_util::stream::iter(lines).boxed())
    }

    fn append_messages(
        &self,
        body: &mut Value,
        _mode: Mode,
        messages: &[Message],
    ) -> Result<(), Error> {
        let system = wire::system_parts(messages);
        if !system.is_empty() {
            let object = body
                .as_object_mut()
                .ok_or_else(|| Error::config("a batch body is not a JSON object".to_owned()))?;
            let instruction = object
                .entry("systemInstruction")
                .or_insert_with(|| json!({"parts": []}));
            instruction
                .get_mut("parts")
                .and_then(Value::as_array_mut)
                .ok_or_else(|| {
                    Error::config("a batch body's `systemInstruction` has no `parts`".to_owned())
                })?
                .extend(system);
        }
        let contents = body
            .get_mut("contents")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| Error::config("a batch body has no `contents` list".to_owned()))?;
        wire::push_contents(contents, messages)?;
        Ok(())
    }

    async fn cancel(&self, id: &str) -> Result<(), Error> {
        let url = self.batch_url(id, ":cancel")?;
        self.post_batch_json(url, &json!({})).await.map(|_| ())
    }

    async fn list(&self, limit: usize) -> Result<Vec<ListedBatch>, Error> {
        let mut listed = Vec::new();
        let mut token: Option<String> = None;
        while listed.len() < limit {
            let page = (limit - listed.len()).min(PAGE_SIZE);
            let url = list_url(self.base_url.as_str(), page, token.as_deref())?;
            let answer = self.transport.get_json(&url, &self.batch_headers()).await?;
            let operations = answer.get("operations").and_then(Value::as_array);
            for operation in operations.into_iter().flatten() {
                if let Ok(name) = name_of(operation) {
                    listed.push(listed_batch(name, operation));
                }
            }
            token = answer
                .get("nextPageToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() || operations.is_none_or(Vec::is_empty) {
                break;
            }
        }
        listed.truncate(limit);
        Ok(listed)
    }
}

/// The id part of a batch name (`batches/abc` or `abc`), refused when it could
/// leave the `batches/` path (it may come from a job file).
fn batch_id(id: &str) -> Result<&str, Error> {
    let bare = id.strip_prefix("batches/").unwrap_or(id);
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if bare.is_empty() || bare.starts_with('.') || !bare.chars().all(fine) {
        return Err(Error::config(format!("`{id}` is not a Gemini batch name")));
    }
    Ok(bare)
}

/// `{base}/batches?pageSize=N[&pageToken=T]`, the token encoded.
fn list_url(base: &str, page: usize, token: Option<&str>) -> Result<String, Error> {
    let mut url = reqwest::Url::parse(&format!("{base}/batches"))
        .map_err(|e| Error::Config(ErrorDetail::with_source("the base URL is not a URL", e)))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("pageSize", &page.to_string());
        if let Some(token) = token {
            query.append_pair("pageToken", token);
        }
    }
    Ok(url.into())
}

/// Counts the bytes written (to size an entry without keeping its text).
struct ByteCount(usize);

impl io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Packs `lines` as inlined requests, in order, into parts whose entries total at
/// most `limit` bytes of JSON each; a line larger than `limit` alone is refused.
fn pack(lines: Vec<BatchLine>, limit: usize) -> Result<Vec<Vec<Value>>, Error> {
    let mut parts = Vec::new();
    let mut part = Vec::new();
    let mut size = 0;
    for line in lines {
        let entry = json!({"request": line.body, "metadata": {"key": line.custom_id}});
        let mut count = ByteCount(1); // the comma between entries
        serde_json::to_writer(&mut count, &entry)
            .map_err(|e| Error::Config(ErrorDetail::with_source("a line cannot be written", e)))?;
        if count.0 > limit {
            return Err(Error::Batch(BatchError::InvalidCustomId {
                id: line.custom_id,
                reason: format!(
                    "its request is larger than the {limit} bytes a batch takes inline"
                ),
            }));
        }
        if size + count.0 > limit {
            parts.push(std::mem::take(&mut part));
            size = 0;
        }
        part.push(entry);
        size += count.0;
    }
    if !part.is_empty() {
        parts.push(part);
    }
    Ok(parts)
}

/// The operation's batch name (`batches/…`).
fn name_of(operation: &Value) -> Result<String, Error> {
    [operation.get("name"), operation.pointer("/metadata/name")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|name| batch_id(name).is_ok())
        .map(|name| format!("batches/{}", name.strip_prefix("batches/").unwrap_or(name)))
        .ok_or_else(|| Error::response("the batch operation has no `name`".to_owned()))
}

/// The batch output: the operation's `response`, or the batch's `metadata.output`.
fn output_of(operation: &Value) -> Option<&Value> {
    let has_output =
        |v: &&Value| v.get("inlinedResponses").is_some() || v.get("responsesFile").is_some();
    operation
        .get("response")
        .filter(has_output)
        .or_else(|| operation.pointer("/metadata/output").filter(has_output))
}

fn responses_file(operation: &Value) -> Option<String> {
    output_of(operation)?
        .get("responsesFile")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
}

/// Takes the inlined responses out of the operation (none when it has no output,
/// e.g. a failed or cancelled batch).
fn take_inlined(operation: &mut Value) -> Result<Vec<Value>, Error> {
    let pointer = if operation.pointer("/response/inlinedResponses").is_some() {
        "/response/inlinedResponses/inlinedResponses"
    } else {
        "/metadata/output/inlinedResponses/inlinedResponses"
    };
    match operation.pointer_mut(pointer).map(Value::take) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(entries)) => Ok(entries),
        Some(_) => Err(Error::response(
            "the batch's `inlinedResponses` is not a list".to_owned(),
        )),
    }
}

/// A batch's state, counts and errors.
fn status_of(operation: &Value) -> BatchStatus {
    let metadata = operation.get("metadata");
    let state = metadata
        .and_then(|m| m.get("state"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let error = operation.get("error").filter(|e| !e.is_null());
    let done = operation.get("done").and_then(Value::as_bool) == Some(true);
    // `BATCH_STATE_RUNNING` (and the SDK's `JOB_STATE_RUNNING`).
    let state = match state.rsplit('_').next().unwrap_or("") {
        "PENDING" => BatchState::Validating,
        "RUNNING" => BatchState::InProgress,
        "SUCCEEDED" => BatchState::Completed,
        "FAILED" => BatchState::Failed,
        "CANCELLING" => BatchState::Cancelling,
        "CANCELLED" => BatchState::Cancelled,
        "EXPIRED" => BatchState::Expired,
        _ if done && error.is_some() => BatchState::Failed,
        _ if done => BatchState::Completed,
        // An unknown state is taken as still running: wait keeps polling.
        _ => BatchState::InProgress,
    };
    let stats = metadata.and_then(|m| m.get("batchStats"));
    let count = |key: &str| stats.and_then(|s| s.get(key)).and_then(int64);
    let mut counts = BatchCounts::new(
        count("requestCount").unwrap_or(0),
        count("successfulRequestCount").unwrap_or(0),
        count("failedRequestCount").unwrap_or(0),
    );
    if let Some(pending) = count("pendingRequestCount") {
        counts.pending = pending;
    }
    let mut status = BatchStatus::new(state, counts);
    if let Some(error) = error {
        status.errors.push(error_text(error));
    }
    status
}

/// An int64 as the API writes it: a decimal string (or a number).
fn int64(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// `message (STATUS)` of a `google.rpc.Status`.
fn error_text(error: &Value) -> String {
    let (code, message) = status_parts(error);
    format!("{message} ({code})")
}

/// The code (its name when the status gives one) and message of a `google.rpc.Status`.
fn status_parts(error: &Value) -> (String, String) {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no message")
        .to_owned();
    let code = match (
        error.get("status").and_then(Value::as_str),
        error.get("code"),
    ) {
        (Some(status), _) if !status.is_empty() => status.to_owned(),
        (_, Some(code)) => code
            .as_i64()
            .map(rpc_code_name)
            .or_else(|| code.as_str().map(str::to_owned))
            .unwrap_or_else(|| code.to_string()),
        _ => "UNKNOWN".to_owned(),
    };
    (code, message)
}

/// The name of a `google.rpc.Code`.
fn rpc_code_name(code: i64) -> String {
    let name = match code {
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        16 => "UNAUTHENTICATED",
        other => return other.to_string(),
    };
    name.to_owned()
}

/// The outcome of one result: its response parsed as `send` parses one, or the
/// provider's error for it.
fn outcome(entry: &mut Value) -> Result<Completion, Error> {
    if let Some(error) = entry.get("error").filter(|e| !e.is_null()) {
        let (code, message) = status_parts(error);
        return Err(Error::Batch(BatchError::ItemFailed { code, message }));
    }
    match entry.get_mut("response").map(Value::take) {
        Some(response) if response.is_object() => convert::generate_completion(response),
        _ => Err(Error::response(
            "a batch result has neither a response nor an error".to_owned(),
        )),
    }
}

/// The keys of the batch's inlined requests in input order, when the operation
/// echoes its `inputConfig` (responses come in input order: a response without
/// its `metadata.key` takes the key of the request at its position).
fn input_keys(operation: &mut Value) -> Vec<Option<String>> {
    let requests = operation
        .pointer_mut("/metadata/inputConfig/requests/requests")
        .map(Value::take);
    match requests {
        Some(Value::Array(requests)) => requests
            .iter()
            .map(|r| key_of(r, "/metadata/key"))
            .collect(),
        _ => Vec::new(),
    }
}

/// One of `inlinedResponses`: `{"response"|"error", "metadata": {"key"}}`; without
/// a key, `fallback` (the key of the request at its position), when known.
fn inlined_line(mut entry: Value, fallback: Option<String>) -> Result<BatchLineResult, Error> {
    let own = entry.get("metadata").filter(|m| !m.is_null());
    let key = match own {
        Some(_) => key_of(&entry, "/metadata/key"),
        None if entry.is_object() => fallback,
        None => None,
    }
    .ok_or_else(|| Error::response("an inlined response has no `metadata.key`".to_owned()))?;
    Ok(BatchLineResult::new(key, outcome(&mut entry)))
}

/// One line of a responses file: `{"key", "response"|"error"}`.
fn file_line(bytes: &[u8]) -> Result<BatchLineResult, Error> {
    let mut line: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::Response(ErrorDetail::with_source(
            format!(
                "a responses file line is not JSON: {}",
                crate::http::snippet(bytes)
            ),
            e,
        ))
    })?;
    let key = key_of(&line, "/key")
        .or_else(|| key_of(&line, "/metadata/key"))
        .ok_or_else(|| Error::response("a responses file line has no `key`".to_owned()))?;
    Ok(BatchLineResult::new(key, outcome(&mut line)))
}

fn key_of(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
}

fn listed_batch(name: String, operation: &Value) -> ListedBatch {
    let mut item = ListedBatch::new(name, status_of(operation));
    item.model = operation
        .pointer("/metadata/model")
        .and_then(Value::as_str)
        .map(|m| m.strip_prefix("models/").unwrap_or(m).to_owned());
    item.created_at = operation
        .pointer("/metadata/createTime")
        .and_then(Value::as_str)
        .and_then(unix_seconds);
    item
}

/// Unix seconds of an RFC 3339 UTC time (`2025-07-01T10:20:30.123Z`); `None` for
/// anything else.
fn unix_seconds(text: &str) -> Option<u64> {
    let (date, time) = text.split_once('T')?;
    let time = time.strip_suffix('Z')?;
    let mut date = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let clock = time.split('.').next()?;
    let mut clock = clock.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).ok()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]
mod tests {
    use instructor_core::provider::BatchLine;
    use instructor_core::{BatchError, BatchState, Error};
    use serde_json::json;

    use super::{batch_id, file_line, inlined_line, pack, status_of, unix_seconds};

    fn line(id: &str, text: &str) -> BatchLine {
        BatchLine::new(
            id,
            json!({"contents": [{"role": "user", "parts": [{"text": text}]}]}),
        )
    }

    #[test]
    fn lines_are_packed_in_order_under_the_inline_limit() {
        let lines: Vec<BatchLine> = (0..10)
            .map(|n| line(&format!("id-{n}"), &"x".repeat(100)))
            .collect();
        let parts = pack(lines, 500).unwrap();
        assert!(parts.len() > 1);
        let keys: Vec<&str> = parts
            .iter()
            .flatten()
            .map(|e| e["metadata"]["key"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = (0..10).map(|n| format!("id-{n}")).collect();
        assert_eq!(keys, expected);
        for part in &parts {
            let size: usize = part.iter().map(|e| e.to_string().len() + 1).sum();
            assert!(size <= 500, "{size}");
        }
        match pack(vec![line("big", &"x".repeat(600))], 500) {
            Err(Error::Batch(BatchError::InvalidCustomId { id, .. })) => assert_eq!(id, "big"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn states_and_string_counts_are_read() {
        let op = json!({"name": "batches/a", "metadata": {"state": "BATCH_STATE_RUNNING",
            "batchStats": {"requestCount": "5", "successfulRequestCount": "2", "pendingRequestCount": "3"}}});
        let status = status_of(&op);
        assert_eq!(status.state, BatchState::InProgress);
        assert_eq!(
            (
                status.counts.total,
                status.counts.succeeded,
                status.counts.failed,
                status.counts.pending
            ),
            (5, 2, 0, 3)
        );
        let failed = json!({"name": "batches/a", "done": true,
            "error": {"code": 3, "message": "bad input"}});
        let status = status_of(&failed);
        assert_eq!(status.state, BatchState::Failed);
        assert_eq!(status.errors, ["bad input (INVALID_ARGUMENT)"]);
        assert_eq!(status_of(&json!("hostile")).state, BatchState::InProgress);
    }

    #[test]
    fn hostile_results_are_typed_errors() {
        for entry in [
            json!(null),
            json!(7),
            json!({"response": {}}),
            json!({"metadata": {"key": 3}}),
        ] {
            assert!(matches!(inlined_line(entry, None), Err(Error::Response(_))));
        }
        let neither = inlined_line(json!({"metadata": {"key": "a"}}), None).unwrap();
        assert!(matches!(neither.outcome, Err(Error::Response(_))));
        let odd =
            inlined_line(json!({"metadata": {"key": "a"}, "response": "text"}), None).unwrap();
        assert!(matches!(odd.outcome, Err(Error::Response(_))));
        let failed = inlined_line(
            json!({"metadata": {"key": "a"}, "error": {"code": 13, "message": "boom"}}),
            None,
        )
        .unwrap();
        match failed.outcome {
            Err(Error::Batch(BatchError::ItemFailed { code, message })) => {
                assert_eq!((code.as_str(), message.as_str()), ("INTERNAL", "boom"));
            }
            other => panic!("{other:?}"),
        }
        // Without a key, the key of the request at the same position.
        let placed = inlined_line(json!({"response": {}}), Some("p".to_owned())).unwrap();
        assert_eq!(placed.custom_id, "p");
        assert!(inlined_line(json!(5), Some("p".to_owned())).is_err());
        for bytes in [&b"not json"[..], b"\xff\xfe{", b"{}", b"[]"] {
            assert!(matches!(file_line(bytes), Err(Error::Response(_))));
        }
        let ok = file_line(br#"{"key": "k", "response": {"candidates": []}}"#).unwrap();
        assert_eq!(ok.custom_id, "k");
        assert!(ok.outcome.is_ok());
    }

    #[test]
    fn batch_names_cannot_leave_the_batches_path() {
        assert_eq!(batch_id("batches/abc-1").unwrap(), "abc-1");
        assert_eq!(batch_id("abc_1").unwrap(), "abc_1");
        for bad in ["", "batches/", "../models", "batches/a/b", "a?b", ".."] {
            assert!(batch_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc3339_times_become_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_seconds("2025-07-01T10:20:30.123456Z"),
            Some(1_751_365_230)
        );
        assert_eq!(unix_seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
        for bad in [
            "",
            "2025-07-01",
            "2025-13-01T00:00:00Z",
            "x-y-zT1:2:3Z",
            "2025-07-01T10:20:30+02:00",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }
}
