//! A stateful local emulation of OpenAI's Files and Batches endpoints (the shapes of
//! openai-python's `types/batch.py` and `file_object.py`): multipart uploads, batch
//! objects whose `status` moves `validating → in_progress → finalizing → completed`
//! one step per poll, `request_counts`, output and error files (lines in reverse
//! order: the API promises no order), expired, cancelled and failed batches, and
//! list pagination (`limit`, `after`, `has_more`).
//!
//! Other providers' emulations follow the same pattern: one wiremock `Respond` that
//! routes by method and path over shared state, a [`Plan`] per batch, and an
//! `answer` function that decides each line's outcome from its custom id and body.
#![allow(dead_code, unreachable_pub, reason = "each test file uses a subset")]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What happens to one input line.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Answered 200 with this body (output file).
    Body(Value),
    /// Answered with an HTTP error status and body (error file).
    Http(u16, Value),
    /// Failed with an error object and no response (error file).
    Error(String, String),
}

/// How a batch ends.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Every line runs.
    Complete,
    /// The first `ran` lines run; the batch expires and the others get `batch_expired`.
    Expire { ran: usize },
    /// Input validation fails with these `(code, message, line)` errors; nothing runs.
    Fail(Vec<(String, String, u64)>),
}

type Answer = Arc<dyn Fn(&str, &Value) -> Outcome + Send + Sync>;

/// One batch of the emulation.
#[derive(Debug, Clone)]
struct Batch {
    object: Value,
    plan: Plan,
    /// States still to go through, one per poll.
    ahead: VecDeque<&'static str>,
    /// Lines that run when it is cancelled.
    cancel_runs: usize,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    /// Uploads in order: (purpose, file name, content).
    uploads: Vec<(String, String, Vec<u8>)>,
    batches: Vec<Batch>,
    plans: VecDeque<Plan>,
    /// Raw lines added to the next output file (hostile servers).
    extra_output: Vec<Vec<u8>>,
    cancel_runs: usize,
    /// The most batches a list page holds (the API's own cap is 100).
    page_cap: Option<usize>,
    next: u64,
    polls: u64,
}

/// The emulated server.
pub struct OpenAiBatches {
    /// The wiremock server (its `uri()` + `/v1` is the base URL).
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl OpenAiBatches {
    /// Starts an emulation answering each line with `answer(custom_id, body)`.
    pub async fn start(answer: impl Fn(&str, &Value) -> Outcome + Send + Sync + 'static) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Mock::given(wiremock::matchers::any())
            .respond_with(Router {
                state: Arc::clone(&state),
                answer: Arc::new(answer),
            })
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// The base URL for `OpenAI::base_url`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The plan of the next batch created (then `Complete` again).
    pub fn plan_next(&self, plan: Plan) {
        self.state().plans.push_back(plan);
    }

    /// How many lines run before a cancellation takes effect.
    pub fn cancel_runs(&self, lines: usize) {
        self.state().cancel_runs = lines;
    }

    /// Lists at most `n` batches per page whatever the `limit` (to exercise paging).
    pub fn page_cap(&self, n: usize) {
        self.state().page_cap = Some(n);
    }

    /// Raw lines the next finished batch's output file also holds.
    pub fn add_output_lines(&self, lines: Vec<Vec<u8>>) {
        self.state().extra_output.extend(lines);
    }

    /// Every uploaded file: (purpose, file name, content).
    pub fn uploads(&self) -> Vec<(String, String, Vec<u8>)> {
        self.state().uploads.clone()
    }

    /// The JSON lines of every upload, in order.
    pub fn uploaded_lines(&self) -> Vec<Value> {
        self.uploads()
            .iter()
            .flat_map(|(_, _, content)| {
                content
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| serde_json::from_slice(l).unwrap_or(Value::Null))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// How many batch polls (`GET /v1/batches/{id}`) were served.
    pub fn polls(&self) -> u64 {
        self.state().polls
    }
}

struct Router {
    state: Arc<Mutex<State>>,
    answer: Answer,
}

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let path = request.url.path().to_owned();
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        let method = request.method.as_str();
        match (method, segments.as_slice()) {
            ("POST", ["files"]) => upload(&mut state, request),
            ("GET", ["files", id, "content"]) => match state.files.get(*id) {
                Some(bytes) => ResponseTemplate::new(200).set_body_bytes(bytes.clone()),
                None => not_found(id),
            },
            ("POST", ["batches"]) => create(&mut state, request),
            ("GET", ["batches"]) => list(&state, request),
            ("GET", ["batches", id]) => {
                state.polls += 1;
                poll(&mut state, id, &self.answer)
            }
            ("POST", ["batches", id, "cancel"]) => cancel(&mut state, id),
            _ => not_found(&path),
        }
    }
}

fn not_found(what: &str) -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({"error": {
        "message": format!("No such object: {what}"), "type": "invalid_request_error", "param": null, "code": null}}))
}

fn bad_request(message: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"error": {
        "message": message, "type": "invalid_request_error", "param": null, "code": null}}))
}

fn next_id(state: &mut State, prefix: &str) -> String {
    state.next += 1;
    format!("{prefix}-{:04}", state.next)
}

/// `POST /v1/files`: a multipart form with `purpose` and `file`.
fn upload(state: &mut State, request: &Request) -> ResponseTemplate {
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return bad_request("expected multipart/form-data");
    };
    let parts = multipart_parts(&request.body, boundary.trim_matches('"'));
    let purpose = parts.iter().find(|p| p.name == "purpose");
    let file = parts.iter().find(|p| p.name == "file");
    let (Some(purpose), Some(file)) = (purpose, file) else {
        return bad_request("missing purpose or file");
    };
    let purpose = String::from_utf8_lossy(&purpose.content).into_owned();
    if purpose != "batch" || !file.file_name.ends_with(".jsonl") {
        return bad_request("a batch input is a .jsonl file with purpose=batch");
    }
    if std::str::from_utf8(&file.content).is_err() {
        return bad_request("the file is not UTF-8");
    }
    let id = next_id(state, "file");
    state.files.insert(id.clone(), file.content.clone());
    state.uploads.push((
        purpose.clone(),
        file.file_name.clone(),
        file.content.clone(),
    ));
    ResponseTemplate::new(200).set_body_json(json!({
        "id": id, "object": "file", "bytes": file.content.len(), "created_at": 1_700_000_000,
        "filename": file.file_name, "purpose": purpose, "status": "processed"
    }))
}

struct Part {
    name: String,
    file_name: String,
    content: Vec<u8>,
}

fn multipart_parts(body: &[u8], boundary: &str) -> Vec<Part> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    for chunk in split_bytes(body, delimiter.as_bytes()).into_iter().skip(1) {
        let Some(at) = find(chunk, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&chunk[..at]).into_owned();
        let mut content = chunk[at + 4..].to_vec();
        if content.ends_with(b"\r\n") {
            content.truncate(content.len() - 2);
        }
        let attr = |key: &str| {
            head.split(&format!("{key}=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("")
                .to_owned()
        };
        parts.push(Part {
            name: attr(" name"),
            file_name: attr("filename"),
            content,
        });
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut bytes: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(at) = find(bytes, delimiter) {
        out.push(&bytes[..at]);
        bytes = &bytes[at + delimiter.len()..];
    }
    out.push(bytes);
    out
}

/// `POST /v1/batches`.
fn create(state: &mut State, request: &Request) -> ResponseTemplate {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return bad_request("the body is not JSON");
    };
    let input = body["input_file_id"].as_str().unwrap_or("").to_owned();
    let Some(file) = state.files.get(&input) else {
        return not_found(&input);
    };
    let endpoint = body["endpoint"].as_str().unwrap_or("");
    if !["/v1/chat/completions", "/v1/responses"].contains(&endpoint)
        || body["completion_window"] != "24h"
    {
        return bad_request("unsupported endpoint or completion window");
    }
    let total = file
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let id = next_id(state, "batch");
    let plan = state.plans.pop_front().unwrap_or(Plan::Complete);
    let ahead = match plan {
        Plan::Fail(_) => VecDeque::from(["failed"]),
        Plan::Expire { .. } => VecDeque::from(["in_progress", "expired"]),
        Plan::Complete => VecDeque::from(["in_progress", "finalizing", "completed"]),
    };
    let created = 1_700_000_000 + state.next;
    let object = json!({
        "id": id, "object": "batch", "endpoint": endpoint, "errors": null,
        "input_file_id": input, "completion_window": "24h", "status": "validating",
        "output_file_id": null, "error_file_id": null, "created_at": created,
        "in_progress_at": null, "expires_at": created + 86_400, "finalizing_at": null,
        "completed_at": null, "failed_at": null, "expired_at": null, "cancelling_at": null,
        "cancelled_at": null, "request_counts": {"total": total, "completed": 0, "failed": 0},
        "metadata": body.get("metadata").cloned().unwrap_or(Value::Null),
    });
    let cancel_runs = state.cancel_runs;
    state.batches.push(Batch {
        object: object.clone(),
        plan,
        ahead,
        cancel_runs,
    });
    ResponseTemplate::new(200).set_body_json(object)
}

/// `GET /v1/batches/{id}`: one step further along at each poll.
fn poll(state: &mut State, id: &str, answer: &Answer) -> ResponseTemplate {
    let Some(index) = state.batches.iter().position(|b| b.object["id"] == id) else {
        return not_found(id);
    };
    let next = state.batches[index].ahead.pop_front();
    if let Some(next) = next {
        state.batches[index].object["status"] = Value::from(next);
        match next {
            "completed" => finish(state, index, usize::MAX, None, answer),
            "expired" => {
                let ran = match state.batches[index].plan {
                    Plan::Expire { ran } => ran,
                    _ => 0,
                };
                finish(
                    state,
                    index,
                    ran,
                    Some((
                        "batch_expired",
                        "This request could not be executed before the completion window expired.",
                    )),
                    answer,
                );
            }
            "cancelled" => {
                let ran = state.batches[index].cancel_runs;
                finish(
                    state,
                    index,
                    ran,
                    Some((
                        "batch_cancelled",
                        "This request was not executed because the batch was cancelled.",
                    )),
                    answer,
                );
            }
            "failed" => {
                if let Plan::Fail(errors) = &state.batches[index].plan {
                    let data: Vec<Value> = errors
                        .iter()
                        .map(|(code, message, line)| json!({"code": code, "message": message, "param": null, "line": line}))
                        .collect();
                    state.batches[index].object["errors"] = json!({"object": "list", "data": data});
                }
            }
            _ => {}
        }
    }
    ResponseTemplate::new(200).set_body_json(state.batches[index].object.clone())
}

/// Runs the first `ran` lines, writes the output and error files (lines in reverse
/// order), and marks the rest with `not_run`.
fn finish(
    state: &mut State,
    index: usize,
    ran: usize,
    not_run: Option<(&str, &str)>,
    answer: &Answer,
) {
    let input_id = state.batches[index].object["input_file_id"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let input = state.files.get(&input_id).cloned().unwrap_or_default();
    let (mut output, mut errors) = (Vec::new(), Vec::new());
    let (mut completed, mut failed) = (0, 0);
    let lines = input.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    for (n, line) in lines.enumerate() {
        let line: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
        let custom_id = line["custom_id"].as_str().unwrap_or("").to_owned();
        let request_id = format!("batch_req_{n}");
        let outcome = if n < ran {
            answer(&custom_id, &line["body"])
        } else {
            let (code, message) = not_run.unwrap_or(("batch_expired", ""));
            Outcome::Error(code.to_owned(), message.to_owned())
        };
        let (target, value) = match outcome {
            Outcome::Body(body) => {
                completed += 1;
                (
                    &mut output,
                    json!({"id": request_id, "custom_id": custom_id,
                    "response": {"status_code": 200, "request_id": format!("req_{n}"), "body": body}, "error": null}),
                )
            }
            Outcome::Http(status, body) => {
                failed += 1;
                (
                    &mut errors,
                    json!({"id": request_id, "custom_id": custom_id,
                    "response": {"status_code": status, "request_id": format!("req_{n}"), "body": body}, "error": null}),
                )
            }
            Outcome::Error(code, message) => {
                failed += 1;
                (
                    &mut errors,
                    json!({"id": request_id, "custom_id": custom_id, "response": null,
                    "error": {"code": code, "message": message}}),
                )
            }
        };
        target.push(value.to_string().into_bytes());
    }
    output.extend(std::mem::take(&mut state.extra_output));
    for (lines, key) in [(output, "output_file_id"), (errors, "error_file_id")] {
        if lines.is_empty() {
            continue;
        }
        let mut content = Vec::new();
        for line in lines.iter().rev() {
            content.extend_from_slice(line);
            content.push(b'\n');
        }
        let id = next_id(state, "file");
        state.files.insert(id.clone(), content);
        state.batches[index].object[key] = Value::from(id);
    }
    let counts = &mut state.batches[index].object["request_counts"];
    counts["completed"] = Value::from(completed);
    counts["failed"] = Value::from(failed);
}

/// `POST /v1/batches/{id}/cancel`: `cancelling` now, `cancelled` at the next poll.
fn cancel(state: &mut State, id: &str) -> ResponseTemplate {
    let Some(batch) = state.batches.iter_mut().find(|b| b.object["id"] == id) else {
        return not_found(id);
    };
    let status = batch.object["status"].as_str().unwrap_or("");
    if ["completed", "failed", "expired", "cancelled"].contains(&status) {
        return bad_request(&format!("Cannot cancel a batch with status {status}"));
    }
    batch.object["status"] = Value::from("cancelling");
    batch.ahead = VecDeque::from(["cancelled"]);
    ResponseTemplate::new(200).set_body_json(batch.object.clone())
}

/// `GET /v1/batches?limit=&after=`: newest first.
fn list(state: &State, request: &Request) -> ResponseTemplate {
    let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .clamp(1, state.page_cap.unwrap_or(100));
    let newest_first: Vec<&Batch> = state.batches.iter().rev().collect();
    let start = match query.get("after") {
        Some(after) => match newest_first
            .iter()
            .position(|b| b.object["id"] == after.as_str())
        {
            Some(at) => at + 1,
            None => return not_found(after),
        },
        None => 0,
    };
    let page: Vec<Value> = newest_first
        .iter()
        .skip(start)
        .take(limit)
        .map(|b| b.object.clone())
        .collect();
    let has_more = start + page.len() < newest_first.len();
    ResponseTemplate::new(200).set_body_json(json!({
        "object": "list",
        "first_id": page.first().map(|b| b["id"].clone()),
        "last_id": page.last().map(|b| b["id"].clone()),
        "has_more": has_more,
        "data": page,
    }))
}
