//! A stateful local emulation of Anthropic's Message Batches endpoints (the shapes
//! of anthropic-sdk-python's `types/messages/message_batch*.py`): `POST
//! /v1/messages/batches {requests: [{custom_id, params}]}` checked as the API
//! checks it, the `message_batch` object whose `processing_status` moves
//! `in_progress → ended` over successive polls with `request_counts` final only once
//! ended and `results_url` set then, results JSONL (in reverse order: the API
//! promises no order) with `succeeded`, `errored`, `canceled` and `expired` lines,
//! cancellation (`canceling`, then `ended`), and list pagination (`limit`,
//! `after_id`, `has_more`, `last_id`, newest first).
//!
//! Built like `openai_batch.rs`: one wiremock `Respond` routing over shared state, a
//! [`Plan`] per batch, and an `answer` deciding each request's outcome.
#![allow(dead_code, unreachable_pub, reason = "each test file uses a subset")]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What happens to one request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `succeeded` with this `message`.
    Message(Value),
    /// `errored` with this error type and message.
    Errored(String, String),
}

/// How a batch ends.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Every request runs.
    Complete,
    /// The first `ran` requests run; the batch reaches 24 h and the others expire.
    Expire { ran: usize },
}

type Answer = Arc<dyn Fn(&str, &Value) -> Outcome + Send + Sync>;

/// One request as the emulation received it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `POST`.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The `x-api-key` header.
    pub api_key: Option<String>,
    /// The `anthropic-version` header.
    pub version: Option<String>,
    /// The `user-agent` header.
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone)]
struct Batch {
    object: Value,
    requests: Vec<(String, Value)>,
    plan: Plan,
    /// `processing_status` still to go through, one per poll.
    ahead: VecDeque<&'static str>,
    /// Requests that run when it is cancelled.
    cancel_runs: usize,
    /// The results JSONL, once ended.
    results: Option<Vec<u8>>,
}

#[derive(Default)]
struct State {
    batches: Vec<Batch>,
    plans: VecDeque<Plan>,
    /// Raw lines added to the next results file (hostile servers).
    extra_results: Vec<Vec<u8>>,
    cancel_runs: usize,
    page_cap: Option<usize>,
    /// Where `results_url` points instead of this server.
    results_origin: Option<String>,
    /// Every creation body, in order.
    created: Vec<Value>,
    seen: Vec<Seen>,
    next: u64,
    polls: u64,
}

/// The emulated server.
pub struct AnthropicBatches {
    /// The wiremock server (its `uri()` is the base URL).
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl AnthropicBatches {
    /// Starts an emulation answering each request with `answer(custom_id, params)`.
    pub async fn start(answer: impl Fn(&str, &Value) -> Outcome + Send + Sync + 'static) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Mock::given(wiremock::matchers::any())
            .respond_with(Router {
                state: Arc::clone(&state),
                answer: Arc::new(answer),
                origin: server.uri(),
            })
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// The base URL for `Anthropic::base_url`.
    pub fn base_url(&self) -> String {
        self.server.uri()
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

    /// Lists at most `n` batches per page whatever the `limit`.
    pub fn page_cap(&self, n: usize) {
        self.state().page_cap = Some(n);
    }

    /// Raw lines the next results file also holds.
    pub fn add_result_lines(&self, lines: Vec<Vec<u8>>) {
        self.state().extra_results.extend(lines);
    }

    /// Makes `results_url` point at `origin` instead of this server.
    pub fn results_origin(&self, origin: &str) {
        self.state().results_origin = Some(origin.to_owned());
    }

    /// Every creation body received, in order.
    pub fn created(&self) -> Vec<Value> {
        self.state().created.clone()
    }

    /// Every request sent to a batch, in order: `(custom_id, params)`.
    pub fn submitted(&self) -> Vec<(String, Value)> {
        self.state()
            .batches
            .iter()
            .flat_map(|b| b.requests.clone())
            .collect()
    }

    /// Every HTTP request received.
    pub fn seen(&self) -> Vec<Seen> {
        self.state().seen.clone()
    }

    /// How many batch polls (`GET /v1/messages/batches/{id}`) were served.
    pub fn polls(&self) -> u64 {
        self.state().polls
    }
}

struct Router {
    state: Arc<Mutex<State>>,
    answer: Answer,
    origin: String,
}

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let path = request.url.path().to_owned();
        state.seen.push(Seen {
            method: request.method.to_string(),
            path: match request.url.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            },
            api_key: header("x-api-key"),
            version: header("anthropic-version"),
            user_agent: header("user-agent"),
        });
        if header("x-api-key").is_none_or(|k| k.is_empty()) {
            return error(401, "authentication_error", "x-api-key header is required");
        }
        if header("anthropic-version").is_none() {
            return error(
                400,
                "invalid_request_error",
                "anthropic-version header is required",
            );
        }
        let segments: Vec<&str> = path
            .strip_prefix("/v1/messages/batches")
            .unwrap_or("/unknown")
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("POST", []) => create(&mut state, request),
            ("GET", []) => list(&state, request),
            ("GET", [id]) => {
                state.polls += 1;
                poll(&mut state, id, &self.answer, &self.origin)
            }
            ("GET", [id, "results"]) => results(&state, id),
            ("POST", [id, "cancel"]) => cancel(&mut state, id),
            _ => not_found(&path),
        }
    }
}

fn error(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("request-id", "req_emulated")
        .set_body_json(json!({"type": "error",
            "error": {"type": kind, "message": message}, "request_id": "req_emulated"}))
}

fn not_found(what: &str) -> ResponseTemplate {
    error(404, "not_found_error", &format!("Not found: {what}"))
}

fn next_id(state: &mut State, prefix: &str) -> String {
    state.next += 1;
    format!("{prefix}_{:04}", state.next)
}

/// An RFC 3339 time `n` seconds after the emulation's epoch.
fn time(n: u64) -> String {
    format!(
        "2024-09-24T{:02}:{:02}:{:02}.123456Z",
        (n / 3600) % 24,
        (n / 60) % 60,
        n % 60
    )
}

/// Whether `id` is a valid custom id (`^[a-zA-Z0-9_-]{1,64}$`).
fn valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `POST /v1/messages/batches`.
fn create(state: &mut State, request: &Request) -> ResponseTemplate {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, "invalid_request_error", "the body is not JSON");
    };
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return error(400, "invalid_request_error", "requests: Field required");
    };
    if requests.is_empty() || requests.len() > 100_000 {
        return error(400, "invalid_request_error", "requests: 1 to 100,000 items");
    }
    let mut ids = HashSet::new();
    let mut kept = Vec::with_capacity(requests.len());
    for (n, item) in requests.iter().enumerate() {
        let id = item.get("custom_id").and_then(Value::as_str).unwrap_or("");
        if !valid_custom_id(id) || !ids.insert(id.to_owned()) {
            return error(
                400,
                "invalid_request_error",
                &format!("requests.{n}.custom_id: invalid or duplicated"),
            );
        }
        let params = item.get("params").cloned().unwrap_or(Value::Null);
        let required = ["model", "max_tokens", "messages"];
        if !params.is_object()
            || required.iter().any(|k| params.get(k).is_none())
            || params.get("stream").is_some()
        {
            return error(
                400,
                "invalid_request_error",
                &format!("requests.{n}.params: a Messages request without `stream`"),
            );
        }
        kept.push((id.to_owned(), params));
    }
    state.created.push(body.clone());
    let id = next_id(state, "msgbatch");
    let plan = state.plans.pop_front().unwrap_or(Plan::Complete);
    let created = state.next;
    let object = json!({
        "id": id, "type": "message_batch", "processing_status": "in_progress",
        "request_counts": {"processing": kept.len(), "succeeded": 0, "errored": 0,
            "canceled": 0, "expired": 0},
        "ended_at": null, "created_at": time(created), "expires_at": time(created + 86_400),
        "archived_at": null, "cancel_initiated_at": null, "results_url": null,
    });
    let cancel_runs = state.cancel_runs;
    state.batches.push(Batch {
        object: object.clone(),
        requests: kept,
        plan,
        ahead: VecDeque::from(["in_progress", "in_progress", "ended"]),
        cancel_runs,
        results: None,
    });
    ResponseTemplate::new(200).set_body_json(object)
}

/// `GET /v1/messages/batches/{id}`: one step further along at each poll
/// (`in_progress` twice, then `ended`).
fn poll(state: &mut State, id: &str, answer: &Answer, origin: &str) -> ResponseTemplate {
    let Some(index) = state.batches.iter().position(|b| b.object["id"] == id) else {
        return not_found(id);
    };
    if let Some(next) = state.batches[index].ahead.pop_front() {
        state.batches[index].object["processing_status"] = Value::from(next);
        if next == "ended" {
            finish(state, index, answer, origin);
        }
    }
    ResponseTemplate::new(200).set_body_json(state.batches[index].object.clone())
}

/// Runs the requests that run (all; the first `ran` of an expiring batch; the first
/// `cancel_runs` of a cancelled one), writes the results (in reverse order) and the
/// final counts.
fn finish(state: &mut State, index: usize, answer: &Answer, origin: &str) {
    let cancelled = !state.batches[index].object["cancel_initiated_at"].is_null();
    let (ran, not_run) = match (&state.batches[index].plan, cancelled) {
        (_, true) => (state.batches[index].cancel_runs, "canceled"),
        (Plan::Expire { ran }, false) => (*ran, "expired"),
        (Plan::Complete, false) => (usize::MAX, "expired"),
    };
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let mut lines = Vec::new();
    for (n, (custom_id, params)) in state.batches[index].requests.iter().enumerate() {
        let result = if n < ran {
            match answer(custom_id, params) {
                Outcome::Message(message) => {
                    *counts.entry("succeeded").or_default() += 1;
                    json!({"type": "succeeded", "message": message})
                }
                Outcome::Errored(kind, message) => {
                    *counts.entry("errored").or_default() += 1;
                    json!({"type": "errored", "error": {"type": "error",
                        "error": {"type": kind, "message": message},
                        "request_id": format!("req_{n}")}})
                }
            }
        } else {
            *counts.entry(not_run).or_default() += 1;
            json!({"type": not_run})
        };
        lines.push(
            json!({"custom_id": custom_id, "result": result})
                .to_string()
                .into_bytes(),
        );
    }
    lines.reverse();
    lines.extend(std::mem::take(&mut state.extra_results));
    let mut content = Vec::new();
    for line in lines {
        content.extend_from_slice(&line);
        content.push(b'\n');
    }
    let origin = state
        .results_origin
        .clone()
        .unwrap_or_else(|| origin.to_owned());
    state.next += 1;
    let ended = time(state.next);
    let batch = &mut state.batches[index];
    batch.results = Some(content);
    let id = batch.object["id"].as_str().unwrap_or("").to_owned();
    batch.object["results_url"] = Value::from(format!("{origin}/v1/messages/batches/{id}/results"));
    batch.object["ended_at"] = Value::from(ended);
    for key in ["processing", "succeeded", "errored", "canceled", "expired"] {
        batch.object["request_counts"][key] = Value::from(counts.get(key).copied().unwrap_or(0));
    }
}

/// `GET /v1/messages/batches/{id}/results`: the JSONL, once ended.
fn results(state: &State, id: &str) -> ResponseTemplate {
    match state.batches.iter().find(|b| b.object["id"] == id) {
        Some(Batch {
            results: Some(content),
            ..
        }) => ResponseTemplate::new(200)
            .insert_header("content-type", "application/binary")
            .set_body_bytes(content.clone()),
        Some(_) => error(
            400,
            "invalid_request_error",
            &format!("Batch {id} has not ended"),
        ),
        None => not_found(id),
    }
}

/// `POST /v1/messages/batches/{id}/cancel`: `canceling` now and at the next two
/// polls, `ended` at the one after.
fn cancel(state: &mut State, id: &str) -> ResponseTemplate {
    state.next += 1;
    let now = time(state.next);
    let Some(batch) = state.batches.iter_mut().find(|b| b.object["id"] == id) else {
        return not_found(id);
    };
    if batch.object["processing_status"] == "ended" {
        return error(
            400,
            "invalid_request_error",
            &format!("Batch {id} has ended and cannot be canceled"),
        );
    }
    batch.object["processing_status"] = Value::from("canceling");
    batch.object["cancel_initiated_at"] = Value::from(now);
    batch.ahead = VecDeque::from(["canceling", "canceling", "ended"]);
    ResponseTemplate::new(200).set_body_json(batch.object.clone())
}

/// `GET /v1/messages/batches?limit=&after_id=`: newest first.
fn list(state: &State, request: &Request) -> ResponseTemplate {
    let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .clamp(1, state.page_cap.unwrap_or(1000));
    let newest_first: Vec<&Batch> = state.batches.iter().rev().collect();
    let start = match query.get("after_id") {
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
        "data": page.clone(),
        "has_more": has_more,
        "first_id": page.first().map(|b| b["id"].clone()),
        "last_id": page.last().map(|b| b["id"].clone()),
    }))
}
