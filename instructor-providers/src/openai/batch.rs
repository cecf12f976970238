//! The OpenAI Batch API (and Azure OpenAI's, whose endpoints match): JSONL lines
//! uploaded through the Files API, a batch per file, polled, and the output and
//! error files read line by line.
//!
//! A job over the per-file limits (50,000 lines or 200 MB) is split into several
//! provider batches behind one [`BatchJob`](instructor_core::BatchJob), in order.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use instructor_core::provider::{
    BatchEngine, BatchInputStream, BatchLine, BatchLineResult, BatchLineStream, ListedBatch,
    redact_url,
};
use instructor_core::{
    BatchCounts, BatchError, BatchState, BatchStatus, Completion, Error, ErrorDetail, Message,
    Mode, NotRunReason,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::config::Layout;
use super::{OpenAI, convert, wire};
use crate::http::error::parse_error_body;
use crate::http::files::{LineStream, Upload};

/// Lines per uploaded file (the API's limit).
pub(crate) const MAX_LINES_PER_FILE: usize = 50_000;
/// Bytes per uploaded file (the API's limit is 200 MB).
pub(crate) const MAX_BYTES_PER_FILE: usize = 200 * 1024 * 1024;
/// The longest output line read (a longer one is an error item, the rest go on).
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

impl OpenAI {
    /// `{base}/{resource}{path}`, with Azure's `api-version` when the layout has one.
    fn batch_url(&self, resource: &str, path: &str, query: &str) -> String {
        let (base, version) = match &self.layout {
            Layout::Standard => (format!("{}/{resource}{path}", self.base_url.as_str()), None),
            Layout::AzureDeployment { api_version } => (
                format!("{}/openai/{resource}{path}", self.base_url.as_str()),
                Some(format!("api-version={api_version}")),
            ),
        };
        let params: Vec<String> = version
            .into_iter()
            .chain((!query.is_empty()).then(|| query.to_owned()))
            .collect();
        if params.is_empty() {
            base
        } else {
            format!("{base}?{}", params.join("&"))
        }
    }

    /// The `url` of each line and the batch's `endpoint`.
    fn line_url(&self, mode: Mode) -> &'static str {
        let azure = matches!(self.layout, Layout::AzureDeployment { .. });
        match (mode == Mode::ResponsesTools, azure) {
            (true, false) => "/v1/responses",
            (false, false) => "/v1/chat/completions",
            (true, true) => "/responses",
            (false, true) => "/chat/completions",
        }
    }

    async fn get_batch(&self, id: &str) -> Result<Value, Error> {
        let url = self.batch_url("batches", &format!("/{id}"), "");
        self.transport
            .get_json(&url, &self.request_headers(&[]))
            .await
    }

    /// Uploads one JSONL file and creates its batch; returns the batch id.
    async fn submit_file(&self, content: Bytes, mode: Mode) -> Result<String, Error> {
        let headers = self.request_headers(&[]);
        let upload = Upload {
            fields: &[("purpose", "batch")],
            field: "file",
            file_name: "batch.jsonl",
            content,
        };
        let file = self
            .transport
            .post_multipart(&self.batch_url("files", "", ""), &headers, &upload)
            .await?;
        let file_id = id_of(&file, "the uploaded file")?;
        let body = json!({
            "input_file_id": file_id,
            "endpoint": self.line_url(mode),
            "completion_window": "24h",
            "metadata": {"created_by": "instructor-rs"},
        });
        let request = crate::http::HttpRequest {
            url: self.batch_url("batches", "", ""),
            headers,
            body: &body,
            timeout: None,
            gate: None,
        };
        let batch = self.transport.post_json(&request).await?;
        id_of(&batch, "the created batch")
    }

    /// The lines of file `file_id`, as they arrive.
    async fn file_lines(&self, file_id: &str) -> Result<LineStream, Error> {
        let url = self.batch_url("files", &format!("/{file_id}/content"), "");
        self.transport
            .get_lines(&url, &self.request_headers(&[]), MAX_LINE_BYTES)
            .await
    }
}

#[async_trait::async_trait]
impl BatchEngine for OpenAI {
    fn endpoint(&self) -> String {
        redact_url(self.base_url.as_str())
    }

    fn returns_inputs(&self) -> bool {
        true
    }

    async fn submit(
        &self,
        _model: &str,
        mode: Mode,
        lines: Vec<BatchLine>,
    ) -> Result<Vec<String>, Error> {
        let url = self.line_url(mode);
        let mut ids = Vec::new();
        let mut file = BytesMut::new();
        let mut count = 0;
        for line in lines {
            let mut text = serde_json::to_vec(&json!({
                "custom_id": line.custom_id,
                "method": "POST",
                "url": url,
                "body": line.body,
            }))
            .map_err(|e| Error::Config(ErrorDetail::with_source("a line cannot be written", e)))?;
            text.push(b'\n');
            if text.len() > MAX_BYTES_PER_FILE {
                return Err(Error::Batch(BatchError::InvalidCustomId {
                    id: line.custom_id,
                    reason: format!("its request is larger than {MAX_BYTES_PER_FILE} bytes"),
                }));
            }
            if count == MAX_LINES_PER_FILE || file.len() + text.len() > MAX_BYTES_PER_FILE {
                ids.push(self.submit_part(file.split().freeze(), mode, &ids).await?);
                count = 0;
            }
            file.extend_from_slice(&text);
            count += 1;
        }
        if count > 0 {
            ids.push(self.submit_part(file.freeze(), mode, &ids).await?);
        }
        Ok(ids)
    }

    async fn status(&self, id: &str) -> Result<BatchStatus, Error> {
        Ok(status_of(&self.get_batch(id).await?))
    }

    async fn results(&self, id: &str, mode: Mode) -> Result<BatchLineStream, Error> {
        let batch = self.get_batch(id).await?;
        let files: Vec<String> = ["output_file_id", "error_file_id"]
            .iter()
            .filter_map(|key| batch.get(*key).and_then(Value::as_str))
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect();
        let this = self.clone();
        let responses = mode == Mode::ResponsesTools;
        let lines = futures_util::stream::iter(files)
            .then(move |file| {
                let this = this.clone();
                async move { this.file_lines(&file).await }
            })
            .flat_map(|opened| match opened {
                Ok(lines) => lines,
                Err(error) => futures_util::stream::once(async { Err(error) }).boxed(),
            })
            .map(move |line| line.and_then(|bytes| result_line(&bytes, responses)));
        Ok(lines.boxed())
    }

    async fn inputs(&self, id: &str) -> Result<BatchInputStream, Error> {
        let batch = self.get_batch(id).await?;
        let file = id_of_key(&batch, "input_file_id", "the batch's input file")?;
        let lines = self.file_lines(&file).await?;
        Ok(lines.map(|line| line.and_then(|b| input_line(&b))).boxed())
    }

    fn append_messages(
        &self,
        body: &mut Value,
        mode: Mode,
        messages: &[Message],
    ) -> Result<(), Error> {
        let (key, items): (&str, Vec<Value>) = if mode == Mode::ResponsesTools {
            ("input", wire::input_items(messages)?)
        } else {
            (
                "messages",
                messages
                    .iter()
                    .map(wire::chat_message)
                    .collect::<Result<_, _>>()?,
            )
        };
        let list = body
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .ok_or_else(|| Error::config(format!("a batch body has no `{key}` list")))?;
        list.extend(items);
        Ok(())
    }

    async fn cancel(&self, id: &str) -> Result<(), Error> {
        let body = json!({});
        let request = crate::http::HttpRequest {
            url: self.batch_url("batches", &format!("/{id}/cancel"), ""),
            headers: self.request_headers(&[]),
            body: &body,
            timeout: None,
            gate: None,
        };
        self.transport.post_json(&request).await.map(|_| ())
    }

    async fn list(&self, limit: usize) -> Result<Vec<ListedBatch>, Error> {
        let mut listed = Vec::new();
        let mut after: Option<String> = None;
        while listed.len() < limit {
            let page = (limit - listed.len()).min(100);
            let query = match &after {
                Some(id) => format!("limit={page}&after={id}"),
                None => format!("limit={page}"),
            };
            let url = self.batch_url("batches", "", &query);
            let answer = self
                .transport
                .get_json(&url, &self.request_headers(&[]))
                .await?;
            let data = answer.get("data").and_then(Value::as_array);
            for batch in data.into_iter().flatten() {
                let Some(id) = batch.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let mut item = ListedBatch::new(id, status_of(batch));
                item.created_at = batch.get("created_at").and_then(Value::as_u64);
                item.model = batch
                    .get("model")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                item.mode = batch
                    .get("endpoint")
                    .and_then(Value::as_str)
                    .filter(|e| e.ends_with("/responses"))
                    .map(|_| Mode::ResponsesTools);
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

impl OpenAI {
    /// Submits one file; when that fails after earlier parts were created, cancels
    /// them (best effort) and says which they were.
    async fn submit_part(&self, file: Bytes, mode: Mode, done: &[String]) -> Result<String, Error> {
        match self.submit_file(file, mode).await {
            Ok(id) => Ok(id),
            Err(error) if done.is_empty() => Err(error),
            Err(error) => {
                for id in done {
                    let _ = self.cancel(id).await;
                }
                tracing::warn!(created = ?done, %error, "batch split: a later part failed; earlier parts cancelled");
                Err(error)
            }
        }
    }
}

fn id_of(value: &Value, what: &str) -> Result<String, Error> {
    id_of_key(value, "id", what)
}

fn id_of_key(value: &Value, key: &str, what: &str) -> Result<String, Error> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Error::response(format!("{what} has no `{key}`")))
}

/// A batch object's state, counts and errors.
fn status_of(batch: &Value) -> BatchStatus {
    let state = match batch.get("status").and_then(Value::as_str).unwrap_or("") {
        "validating" => BatchState::Validating,
        "in_progress" => BatchState::InProgress,
        "finalizing" => BatchState::Finalizing,
        "completed" => BatchState::Completed,
        "failed" => BatchState::Failed,
        "expired" => BatchState::Expired,
        "cancelling" => BatchState::Cancelling,
        "cancelled" => BatchState::Cancelled,
        // An unknown state is taken as still running: wait keeps polling.
        _ => BatchState::InProgress,
    };
    let counts = batch.get("request_counts");
    let count = |key: &str| {
        counts
            .and_then(|c| c.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let mut status = BatchStatus::new(
        state,
        BatchCounts::new(count("total"), count("completed"), count("failed")),
    );
    let errors = batch.pointer("/errors/data").and_then(Value::as_array);
    status.errors = errors
        .into_iter()
        .flatten()
        .map(|e| {
            let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
            match e.get("line").and_then(Value::as_u64) {
                Some(line) => format!("line {line}: {} ({})", text("message"), text("code")),
                None => format!("{} ({})", text("message"), text("code")),
            }
        })
        .collect();
    status
}

#[derive(Deserialize)]
struct OutputLine {
    custom_id: Option<String>,
    #[serde(default)]
    response: Option<OutputResponse>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct OutputResponse {
    status_code: u16,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    body: Value,
}

/// One line of an output or error file.
fn result_line(bytes: &[u8], responses: bool) -> Result<BatchLineResult, Error> {
    let (line, custom_id) =
        crate::config::batch_result_line::<OutputLine>(bytes, "an output line", |line| {
            line.custom_id.clone()
        })?;
    let outcome = outcome(line.response, line.error, responses);
    Ok(BatchLineResult::new(custom_id, outcome))
}

fn outcome(
    response: Option<OutputResponse>,
    error: Option<Value>,
    responses: bool,
) -> Result<Completion, Error> {
    if let Some(error) = error.filter(|e| !e.is_null()) {
        let text = |k: &str| {
            error
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let (code, message) = (text("code"), text("message"));
        let not_run = |reason| {
            Error::Batch(BatchError::NotRun {
                reason,
                message: message.clone(),
            })
        };
        return Err(match code.as_str() {
            "batch_expired" => not_run(NotRunReason::Expired),
            "batch_cancelled" => not_run(NotRunReason::Cancelled),
            _ => Error::Batch(BatchError::ItemFailed { code, message }),
        });
    }
    let Some(response) = response else {
        return Err(Error::response(
            "a result line has neither a response nor an error".to_owned(),
        ));
    };
    if !(200..300).contains(&response.status_code) {
        let body = serde_json::to_vec(&response.body).unwrap_or_default();
        let mut http = parse_error_body(response.status_code, &body);
        http.request_id = response.request_id;
        return Err(Error::Http(Box::new(http)));
    }
    if responses {
        convert::responses_completion(response.body)
    } else {
        convert::chat_completion(response.body)
    }
}

#[derive(Deserialize)]
struct InputLine {
    custom_id: String,
    body: Value,
}

fn input_line(bytes: &[u8]) -> Result<BatchLine, Error> {
    let line: InputLine = serde_json::from_slice(bytes).map_err(|e| {
        Error::Response(ErrorDetail::with_source("an input line cannot be read", e))
    })?;
    Ok(BatchLine::new(line.custom_id, line.body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use instructor_core::{BatchError, Error, NotRunReason};

    use super::result_line;

    #[test]
    fn hostile_lines_are_typed_errors() {
        assert!(matches!(
            result_line(b"not json", false),
            Err(Error::Response(_))
        ));
        assert!(matches!(
            result_line(b"\xff\xfe{", false),
            Err(Error::Response(_))
        ));
        assert!(matches!(result_line(b"{}", false), Err(Error::Response(_))));
        let expired = br#"{"custom_id":"a","response":null,"error":{"code":"batch_expired","message":"gone"}}"#;
        let line = result_line(expired, false).unwrap();
        assert!(matches!(
            line.outcome,
            Err(Error::Batch(BatchError::NotRun {
                reason: NotRunReason::Expired,
                ..
            }))
        ));
        let http = br#"{"custom_id":"b","response":{"status_code":400,"request_id":"r1","body":{"error":{"message":"bad","type":"invalid_request_error"}}}}"#;
        let line = result_line(http, false).unwrap();
        match line.outcome {
            Err(Error::Http(e)) => assert_eq!((e.status, e.message.as_str()), (400, "bad")),
            other => panic!("{other:?}"),
        }
    }
}
