//! A stateful local emulation of Gemini batch mode (the shapes of the
//! `batchGenerateContent` reference and python-genai's `batches.py`):
//! `POST /v1beta/models/{model}:batchGenerateContent` with inlined requests and
//! their `metadata.key`, the long-running operation at `GET /v1beta/batches/{id}`
//! whose `metadata.state` moves `BATCH_STATE_PENDING → RUNNING → SUCCEEDED` one step
//! per poll (the first poll still sees `PENDING`), `batchStats` as int64 strings left out when zero, results as
//! `inlinedResponses` in input order (in the operation's `response` and the batch's
//! `metadata.output`) or as a `responsesFile` served by the File API download
//! endpoint, per-item errors, expired, cancelled and failed batches, the 20 MB limit
//! on inlined requests, `x-goog-api-key` checked, and list pagination (`pageSize`,
//! opaque `pageToken`, `nextPageToken`).
#![allow(dead_code, unreachable_pub, reason = "each test file uses a subset")]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The most bytes of a `batchGenerateContent` body (inlined requests: 20 MB).
pub const MAX_INLINE_BYTES: usize = 20_000_000;

/// What happens to one inlined request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Answered with this `GenerateContentResponse`.
    Response(Value),
    /// Failed with this `google.rpc.Status` code and message.
    Error(i64, String),
}

/// How a batch ends.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Every request runs; the results are inlined.
    Complete,
    /// Every request runs; the results go to a JSONL `responsesFile`.
    FileOutput,
    /// The first `ran` requests run, then the batch expires.
    Expire { ran: usize },
    /// The batch fails with this message (`INVALID_ARGUMENT`); nothing runs.
    Fail(String),
}

type Answer = Arc<dyn Fn(&str, &Value) -> Outcome + Send + Sync>;

/// One batch of the emulation.
#[derive(Debug, Clone)]
struct Batch {
    operation: Value,
    /// The inlined requests: (key, request).
    requests: Vec<(String, Value)>,
    plan: Plan,
    /// States still to go through, one per poll.
    ahead: VecDeque<&'static str>,
    /// Requests that run when it is cancelled.
    cancel_runs: usize,
}

#[derive(Default)]
struct State {
    batches: Vec<Batch>,
    /// Every `batchGenerateContent` body received, in order.
    creates: Vec<Value>,
    files: HashMap<String, Vec<u8>>,
    plans: VecDeque<Plan>,
    /// Raw entries added to the next finished batch's inlined responses.
    extra_inlined: Vec<Value>,
    cancel_runs: usize,
    /// Whether the batch's `metadata` echoes its `inputConfig`.
    echo_input: bool,
    /// Whether inlined responses leave out their `metadata`.
    strip_keys: bool,
    page_cap: Option<usize>,
    next: u64,
    polls: u64,
    /// The API keys seen.
    keys: Vec<String>,
}

/// The emulated server.
pub struct GeminiBatches {
    /// The wiremock server (its `uri()` + `/v1beta` is the base URL).
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl GeminiBatches {
    /// Starts an emulation answering each request with `answer(key, request)`.
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

    /// The base URL for `Gemini::base_url`.
    pub fn base_url(&self) -> String {
        format!("{}/v1beta", self.server.uri())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The plan of the next batch created (then `Complete` again).
    pub fn plan_next(&self, plan: Plan) {
        self.state().plans.push_back(plan);
    }

    /// How many requests run before a cancellation takes effect.
    pub fn cancel_runs(&self, requests: usize) {
        self.state().cancel_runs = requests;
    }

    /// Echo each batch's `inputConfig` in its `metadata` (as the batch resource
    /// holds it), and leave out the `metadata` of inlined responses.
    pub fn echo_input_without_response_keys(&self) {
        let mut state = self.state();
        state.echo_input = true;
        state.strip_keys = true;
    }

    /// Lists at most `n` batches per page whatever the `pageSize`.
    pub fn page_cap(&self, n: usize) {
        self.state().page_cap = Some(n);
    }

    /// Raw entries the next finished batch's inlined responses also hold.
    pub fn add_inlined(&self, entries: Vec<Value>) {
        self.state().extra_inlined.extend(entries);
    }

    /// Every `batchGenerateContent` body received, in order.
    pub fn creates(&self) -> Vec<Value> {
        self.state().creates.clone()
    }

    /// Every inlined entry (`{"request", "metadata"}`) received, in order.
    pub fn inlined_requests(&self) -> Vec<Value> {
        self.creates()
            .iter()
            .flat_map(|c| {
                c.pointer("/batch/inputConfig/requests/requests")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    }

    /// How many batch polls (`GET /v1beta/batches/{id}`) were served.
    pub fn polls(&self) -> u64 {
        self.state().polls
    }

    /// The API keys the server saw.
    pub fn keys(&self) -> Vec<String> {
        self.state().keys.clone()
    }

    /// The current operation of batch `name`.
    pub fn operation(&self, name: &str) -> Option<Value> {
        self.state()
            .batches
            .iter()
            .find(|b| b.operation["name"] == name)
            .map(|b| b.operation.clone())
    }
}

struct Router {
    state: Arc<Mutex<State>>,
    answer: Answer,
}

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let key = request
            .headers
            .get("x-goog-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if key.is_empty() || request.url.query_pairs().any(|(k, _)| k == "key") {
            return google_error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers.",
            );
        }
        state.keys.push(key);
        let path = request.url.path().to_owned();
        let method = request.method.as_str();
        if let Some(file) = path.strip_prefix("/download/v1beta/") {
            let alt = request
                .url
                .query_pairs()
                .any(|(k, v)| k == "alt" && v == "media");
            return match (method, file.strip_suffix(":download")) {
                ("GET", Some(file)) if alt => match state.files.get(file) {
                    Some(bytes) => ResponseTemplate::new(200).set_body_bytes(bytes.clone()),
                    None => not_found(file),
                },
                _ => not_found(&path),
            };
        }
        let Some(rest) = path.strip_prefix("/v1beta/") else {
            return not_found(&path);
        };
        let segments: Vec<&str> = rest.split('/').collect();
        match (method, segments.as_slice()) {
            ("POST", ["models", call]) => match call.strip_suffix(":batchGenerateContent") {
                Some(model) => create(&mut state, model, request),
                None => not_found(&path),
            },
            ("GET", ["batches"]) => list(&state, request),
            ("GET", ["batches", id]) => {
                state.polls += 1;
                poll(&mut state, &format!("batches/{id}"), &self.answer)
            }
            ("POST", ["batches", call]) => match call.strip_suffix(":cancel") {
                Some(id) => cancel(&mut state, &format!("batches/{id}")),
                None => not_found(&path),
            },
            _ => not_found(&path),
        }
    }
}

/// The API's error envelope.
fn google_error(code: u16, status: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code)
        .set_body_json(json!({"error": {"code": code, "message": message, "status": status}}))
}

fn not_found(what: &str) -> ResponseTemplate {
    google_error(
        404,
        "NOT_FOUND",
        &format!("Requested entity was not found: {what}"),
    )
}

fn bad_request(message: &str) -> ResponseTemplate {
    google_error(400, "INVALID_ARGUMENT", message)
}

fn timestamp(n: u64) -> String {
    format!("2026-12-07T08:{:02}:{:02}.123456Z", (n / 60) % 60, n % 60)
}

/// `POST /v1beta/models/{model}:batchGenerateContent`.
fn create(state: &mut State, model: &str, request: &Request) -> ResponseTemplate {
    if request.body.len() > MAX_INLINE_BYTES {
        return bad_request(&format!(
            "Request payload size exceeds the limit: {MAX_INLINE_BYTES} bytes."
        ));
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return bad_request("Invalid JSON payload received.");
    };
    state.creates.push(body.clone());
    let batch = &body["batch"];
    let Some(display_name) = batch["displayName"].as_str().filter(|n| !n.is_empty()) else {
        return bad_request("batch.display_name is required.");
    };
    let Some(entries) = batch
        .pointer("/inputConfig/requests/requests")
        .and_then(Value::as_array)
    else {
        return bad_request("batch.input_config is required.");
    };
    let mut requests = Vec::new();
    for entry in entries {
        let Some(contents) = entry.pointer("/request/contents").and_then(Value::as_array) else {
            return bad_request("* GenerateContentRequest.contents: contents is not specified");
        };
        if contents.is_empty() {
            return bad_request("* GenerateContentRequest.contents: contents is not specified");
        }
        let key = entry
            .pointer("/metadata/key")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        requests.push((key, entry["request"].clone()));
    }
    state.next += 1;
    let name = format!("batches/gb{:04}x", state.next);
    let plan = state.plans.pop_front().unwrap_or(Plan::Complete);
    let ahead = match plan {
        Plan::Fail(_) => VecDeque::from(["BATCH_STATE_PENDING", "BATCH_STATE_FAILED"]),
        Plan::Expire { .. } => VecDeque::from([
            "BATCH_STATE_PENDING",
            "BATCH_STATE_RUNNING",
            "BATCH_STATE_EXPIRED",
        ]),
        Plan::Complete | Plan::FileOutput => VecDeque::from([
            "BATCH_STATE_PENDING",
            "BATCH_STATE_RUNNING",
            "BATCH_STATE_SUCCEEDED",
        ]),
    };
    let now = timestamp(state.next);
    let mut stats = serde_json::Map::new();
    if !requests.is_empty() {
        let n = requests.len().to_string();
        stats.insert("requestCount".into(), Value::from(n.clone()));
        stats.insert("pendingRequestCount".into(), Value::from(n));
    }
    let operation = json!({
        "name": name,
        "metadata": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
            "model": format!("models/{model}"),
            "displayName": display_name,
            "createTime": now,
            "updateTime": now,
            "batchStats": stats,
            "state": "BATCH_STATE_PENDING",
            "name": name,
        }
    });
    let mut operation = operation;
    if state.echo_input {
        operation["metadata"]["inputConfig"] = batch["inputConfig"].clone();
    }
    let cancel_runs = state.cancel_runs;
    state.batches.push(Batch {
        operation: operation.clone(),
        requests,
        plan,
        ahead,
        cancel_runs,
    });
    ResponseTemplate::new(200).set_body_json(operation)
}

/// `GET /v1beta/batches/{id}`: one step further along at each poll.
fn poll(state: &mut State, name: &str, answer: &Answer) -> ResponseTemplate {
    let Some(index) = state
        .batches
        .iter()
        .position(|b| b.operation["name"] == name)
    else {
        return not_found(name);
    };
    if let Some(next) = state.batches[index].ahead.pop_front() {
        state.batches[index].operation["metadata"]["state"] = Value::from(next);
        match next {
            "BATCH_STATE_SUCCEEDED" => finish(state, index, usize::MAX, answer),
            "BATCH_STATE_EXPIRED" => {
                let ran = match state.batches[index].plan {
                    Plan::Expire { ran } => ran,
                    _ => 0,
                };
                finish(state, index, ran, answer);
            }
            "BATCH_STATE_CANCELLED" => {
                let ran = state.batches[index].cancel_runs;
                finish(state, index, ran, answer);
            }
            "BATCH_STATE_FAILED" => {
                let message = match &state.batches[index].plan {
                    Plan::Fail(message) => message.clone(),
                    _ => "failed".to_owned(),
                };
                let operation = &mut state.batches[index].operation;
                operation["done"] = Value::from(true);
                operation["error"] = json!({"code": 3, "message": message});
            }
            _ => {}
        }
    }
    ResponseTemplate::new(200).set_body_json(state.batches[index].operation.clone())
}

/// Runs the first `ran` requests and writes the output (inlined or a file) and
/// the stats; the others never run.
fn finish(state: &mut State, index: usize, ran: usize, answer: &Answer) {
    let requests = state.batches[index].requests.clone();
    let (mut succeeded, mut failed) = (0u64, 0u64);
    let mut inlined = Vec::new();
    let mut file = Vec::new();
    for (key, request) in requests.iter().take(ran) {
        let (entry, line) = match answer(key, request) {
            Outcome::Response(response) => {
                succeeded += 1;
                (
                    json!({"response": response, "metadata": {"key": key}}),
                    json!({"key": key, "response": response}),
                )
            }
            Outcome::Error(code, message) => {
                failed += 1;
                let error = json!({"code": code, "message": message});
                (
                    json!({"error": error, "metadata": {"key": key}}),
                    json!({"key": key, "error": error}),
                )
            }
        };
        inlined.push(entry);
        file.extend_from_slice(line.to_string().as_bytes());
        file.push(b'\n');
    }
    if state.strip_keys {
        for entry in &mut inlined {
            if let Some(entry) = entry.as_object_mut() {
                entry.remove("metadata");
            }
        }
    }
    inlined.extend(std::mem::take(&mut state.extra_inlined));
    let output = match state.batches[index].plan {
        Plan::FileOutput => {
            state.next += 1;
            let name = format!("files/batch-out-{}", state.next);
            state.files.insert(name.clone(), file);
            json!({"responsesFile": name})
        }
        _ => json!({"inlinedResponses": {"inlinedResponses": inlined}}),
    };
    let total = requests.len() as u64;
    let mut stats = serde_json::Map::new();
    for (key, n) in [
        ("requestCount", total),
        ("successfulRequestCount", succeeded),
        ("failedRequestCount", failed),
        ("pendingRequestCount", total - succeeded - failed),
    ] {
        if n > 0 {
            stats.insert(key.into(), Value::from(n.to_string()));
        }
    }
    let now = timestamp(state.next + 1);
    let operation = &mut state.batches[index].operation;
    operation["metadata"]["batchStats"] = Value::Object(stats);
    operation["metadata"]["updateTime"] = Value::from(now.clone());
    operation["metadata"]["endTime"] = Value::from(now);
    operation["metadata"]["output"] = output.clone();
    let mut response = json!({
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput",
    });
    if let (Some(target), Some(source)) = (response.as_object_mut(), output.as_object()) {
        target.extend(source.clone());
    }
    operation["done"] = Value::from(true);
    operation["response"] = response;
}

/// `POST /v1beta/batches/{id}:cancel`: `BATCH_STATE_CANCELLED` at the next poll.
fn cancel(state: &mut State, name: &str) -> ResponseTemplate {
    let Some(batch) = state
        .batches
        .iter_mut()
        .find(|b| b.operation["name"] == name)
    else {
        return not_found(name);
    };
    if batch.operation["done"] == true {
        return google_error(
            400,
            "FAILED_PRECONDITION",
            "The batch has already finished and cannot be cancelled.",
        );
    }
    batch.ahead = VecDeque::from(["BATCH_STATE_CANCELLED"]);
    ResponseTemplate::new(200).set_body_json(json!({}))
}

/// An opaque page token (with characters a URL must encode).
fn token_for(start: usize) -> String {
    format!("Cg{start}+/t==")
}

/// `GET /v1beta/batches?pageSize=&pageToken=`: newest first.
fn list(state: &State, request: &Request) -> ResponseTemplate {
    let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
    let size: usize = query
        .get("pageSize")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50)
        .clamp(1, state.page_cap.unwrap_or(1000));
    let newest_first: Vec<&Batch> = state.batches.iter().rev().collect();
    let start = match query.get("pageToken") {
        Some(token) => match (0..=newest_first.len()).find(|n| token_for(*n) == *token) {
            Some(start) => start,
            None => return bad_request("Invalid page token."),
        },
        None => 0,
    };
    let page: Vec<Value> = newest_first
        .iter()
        .skip(start)
        .take(size)
        .map(|b| b.operation.clone())
        .collect();
    let mut answer = json!({"operations": page});
    let end = start + size;
    if end < newest_first.len() {
        answer["nextPageToken"] = Value::from(token_for(end));
    }
    ResponseTemplate::new(200).set_body_json(answer)
}
