//! A small local emulation of OpenAI's Files and Batches endpoints, so the batch
//! example runs offline: `POST /v1/files` (multipart, `purpose=batch`),
//! `POST /v1/batches`, `GET /v1/batches/{id}` (one step along
//! `validating → in_progress → finalizing → completed` per poll) and
//! `GET /v1/files/{id}/content`. Each input line is answered by `answer(body)`: the
//! JSON text the model "returns" as its tool call. (The tests use a fuller
//! emulation: `tests/common/openai_batch.rs`.)
#![allow(dead_code, reason = "each example uses a subset")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The answer (a JSON text) to one request body.
pub(crate) type Answer = fn(&Value) -> String;

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    batches: HashMap<String, Value>,
    next: u64,
}

/// A running emulation (kept alive while the example runs).
pub(crate) struct BatchServer {
    server: MockServer,
}

impl BatchServer {
    /// Starts an emulation answering each line with `answer`.
    pub(crate) async fn start(answer: Answer) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Mock::given(wiremock::matchers::any())
            .respond_with(move |request: &Request| {
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                route(&mut state, request, answer)
            })
            .mount(&server)
            .await;
        Self { server }
    }

    /// The base URL for `OpenAI::base_url` (`http://127.0.0.1:port/v1`).
    pub(crate) fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }
}

fn route(state: &mut State, request: &Request, answer: Answer) -> ResponseTemplate {
    let path = request.url.path().trim_start_matches("/v1/").to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["files"]) => {
            let Some(content) = uploaded_file(request) else {
                return error(400, "expected a multipart upload with a file");
            };
            let id = next_id(state, "file");
            let bytes = content.len();
            state.files.insert(id.clone(), content);
            ResponseTemplate::new(200).set_body_json(json!({"id": id, "object": "file",
                "bytes": bytes, "purpose": "batch", "filename": "batch.jsonl", "status": "processed"}))
        }
        ("GET", ["files", id, "content"]) => match state.files.get(*id) {
            Some(bytes) => ResponseTemplate::new(200).set_body_bytes(bytes.clone()),
            None => error(404, "no such file"),
        },
        ("POST", ["batches"]) => {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let input = body["input_file_id"].as_str().unwrap_or("").to_owned();
            let Some(file) = state.files.get(&input) else {
                return error(404, "no such input file");
            };
            let total = lines(file).len();
            let id = next_id(state, "batch");
            let batch = json!({"id": id, "object": "batch", "endpoint": body["endpoint"],
                "input_file_id": input, "completion_window": "24h", "status": "validating",
                "output_file_id": null, "error_file_id": null, "created_at": 1_735_689_600,
                "request_counts": {"total": total, "completed": 0, "failed": 0}});
            state.batches.insert(id, batch.clone());
            ResponseTemplate::new(200).set_body_json(batch)
        }
        ("GET", ["batches", id]) => {
            let Some(batch) = state.batches.get(*id).cloned() else {
                return error(404, "no such batch");
            };
            let batch = step(state, batch, answer);
            state.batches.insert((*id).to_owned(), batch.clone());
            ResponseTemplate::new(200).set_body_json(batch)
        }
        _ => error(404, "not emulated"),
    }
}

/// The batch one poll later; on completion, every line is answered.
fn step(state: &mut State, mut batch: Value, answer: Answer) -> Value {
    let total = batch["request_counts"]["total"].as_u64().unwrap_or(0);
    let next = match batch["status"].as_str().unwrap_or("") {
        "validating" => "in_progress",
        "in_progress" => {
            batch["request_counts"]["completed"] = json!(total / 2);
            "finalizing"
        }
        "finalizing" => "completed",
        _ => return batch,
    };
    batch["status"] = json!(next);
    if next == "completed" {
        let input = batch["input_file_id"].as_str().unwrap_or("");
        let input = state.files.get(input).cloned().unwrap_or_default();
        let mut output = Vec::new();
        for (n, line) in lines(&input).into_iter().enumerate() {
            let line: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
            let body = &line["body"];
            let out = json!({"id": format!("batch_req_{n}"), "custom_id": line["custom_id"],
                "response": {"status_code": 200, "request_id": format!("req_{n}"),
                    "body": completion(body, &answer(body))}, "error": null});
            output.extend(out.to_string().into_bytes());
            output.push(b'\n');
        }
        let id = next_id(state, "file");
        state.files.insert(id.clone(), output);
        batch["output_file_id"] = json!(id);
        batch["request_counts"]["completed"] = json!(total);
    }
    batch
}

/// A Chat Completions answer calling the body's tool with `arguments`.
fn completion(body: &Value, arguments: &str) -> Value {
    let tool = body["tools"][0]["function"]["name"]
        .as_str()
        .unwrap_or("Response");
    json!({"id": "chatcmpl-batch", "object": "chat.completion", "created": 1_735_689_600,
        "model": body["model"], "choices": [{"index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1",
            "type": "function", "function": {"name": tool, "arguments": arguments}}]}}],
        "usage": {"prompt_tokens": 60, "completion_tokens": 20, "total_tokens": 80}})
}

/// The content of the `file` part of a multipart upload.
fn uploaded_file(request: &Request) -> Option<Vec<u8>> {
    let body = &request.body;
    let start = find(body, b"filename=")?;
    let content = start + find(&body[start..], b"\r\n\r\n")? + 4;
    let end = content + find(&body[content..], b"\r\n--")?;
    Some(body[content..end].to_vec())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

fn next_id(state: &mut State, prefix: &str) -> String {
    state.next += 1;
    format!("{prefix}-{:04}", state.next)
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({"error": {"message": message, "type": "invalid_request_error", "code": null}}),
    )
}
