//! A local replay server that speaks OpenAI's wire format, so examples run offline.
//!
//! Each request gets the next recorded answer (a JSON text), shaped for what was
//! asked: a forced tool call, one tool call per array item (ParallelTools, whose
//! `tool_choice` is `"auto"`), a legacy function call, JSON content (fenced when no
//! `response_format` was requested, as models do for MdJson), or a Responses API
//! function call. When the body has `"stream": true` the answer is streamed as
//! server-sent events in OpenAI's format, a few bytes per delta, with a usage chunk
//! when `stream_options.include_usage` is set, then `data: [DONE]`.
#![allow(dead_code, reason = "each example uses a subset")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A running replay server.
pub(crate) struct Replay {
    /// The server (kept alive while the example runs).
    pub(crate) server: MockServer,
}

impl Replay {
    /// Starts a server answering with `answers` (JSON texts) in order, repeating the last.
    pub(crate) async fn start(answers: Vec<&'static str>) -> Self {
        let server = MockServer::start().await;
        let next = Arc::new(AtomicUsize::new(0));
        Mock::given(wiremock::matchers::method("POST"))
            .respond_with(move |request: &Request| {
                let i = next
                    .fetch_add(1, Ordering::SeqCst)
                    .min(answers.len().saturating_sub(1));
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let answer = answers.get(i).copied().unwrap_or("{}");
                if body["stream"] == true {
                    ResponseTemplate::new(200)
                        .set_body_raw(stream(&body, answer), "text/event-stream")
                } else {
                    ResponseTemplate::new(200).set_body_json(complete(&body, answer))
                }
            })
            .mount(&server)
            .await;
        Self { server }
    }

    /// Starts a server answering each request by its content, whatever the order the
    /// requests come in: the answer paired with the first `key` found in the request's
    /// first user message (else the last answer). For examples that send many requests
    /// at once.
    pub(crate) async fn start_keyed(answers: Vec<(&'static str, &'static str)>) -> Self {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::method("POST"))
            .respond_with(move |request: &Request| {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let user = body["messages"]
                    .as_array()
                    .and_then(|m| m.iter().find(|m| m["role"] == "user"))
                    .map(|m| m["content"].to_string())
                    .unwrap_or_default();
                let answer = answers
                    .iter()
                    .find(|(key, _)| user.contains(key))
                    .or(answers.last())
                    .map_or("{}", |(_, answer)| answer);
                ResponseTemplate::new(200).set_body_json(complete(&body, answer))
            })
            .mount(&server)
            .await;
        Self { server }
    }

    /// The base URL to give an OpenAI-compatible client (`http://127.0.0.1:port/v1`).
    pub(crate) fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    /// The bare server address (an Azure "endpoint").
    pub(crate) fn uri(&self) -> String {
        self.server.uri()
    }
}

/// Whether the environment variable `name` holds a non-empty value.
pub(crate) fn has_env(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// OpenAI from the environment (`OPENAI_API_KEY`, optional `OPENAI_BASE_URL`) when a
/// key is set; else an OpenAI client pointed at a new replay server answering
/// `answers`, which is returned too and must be kept alive while calling.
pub(crate) async fn openai_or_replay(
    answers: Vec<&'static str>,
) -> instructor::Result<(instructor::providers::OpenAI, Option<Replay>)> {
    if has_env("OPENAI_API_KEY") {
        return Ok((instructor::providers::OpenAI::from_env()?, None));
    }
    let replay = Replay::start(answers).await;
    let provider = instructor::providers::OpenAI::new("offline").base_url(replay.base_url());
    Ok((provider, Some(replay)))
}

/// Prints, once, whether the example calls the real service or replays.
pub(crate) fn announce(live: bool, service: &str, variables: &str) {
    if live {
        println!("Calling the real {service} API ({variables} set).\n");
    } else {
        println!(
            "{variables} not set: replaying recorded {service} answers from a local server \
             (no network, no key). Set {variables} to call the real service.\n"
        );
    }
}

/// What the request asked for, and so how the answer is shaped.
enum Shape<'a> {
    /// A forced tool call (Tools, ToolsStrict) to this function.
    Tool(&'a str),
    /// `tool_choice: "auto"` (ParallelTools): one call per item of an array answer.
    Parallel(&'a str),
    /// The legacy `function_call` (Functions).
    Function(&'a str),
    /// The answer as message content; `fenced` wraps it in a ```json block.
    Content { fenced: bool },
    /// A Responses API function call.
    Responses(&'a str),
}

fn shape(body: &Value) -> Shape<'_> {
    if body.get("input").is_some() && body.get("messages").is_none() {
        return Shape::Responses(body["tools"][0]["name"].as_str().unwrap_or("Response"));
    }
    if let Some(name) = body["tools"][0]["function"]["name"].as_str() {
        return if body["tool_choice"] == "auto" {
            Shape::Parallel(name)
        } else {
            Shape::Tool(name)
        };
    }
    if let Some(name) = body["functions"][0]["name"].as_str() {
        return Shape::Function(name);
    }
    Shape::Content {
        fenced: body.get("response_format").is_none(),
    }
}

/// The tool calls `(id, name, arguments)` for an answer: one per array item for
/// ParallelTools, else one.
fn calls<'a>(name: &'a str, answer: &str, parallel: bool) -> Vec<(String, &'a str, String)> {
    let items = match serde_json::from_str::<Value>(answer) {
        Ok(Value::Array(items)) if parallel => items.iter().map(Value::to_string).collect(),
        _ => vec![answer.to_owned()],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, arguments)| (format!("call_replay_{i}"), name, arguments))
        .collect()
}

fn content(answer: &str, fenced: bool) -> String {
    if fenced {
        format!("```json\n{answer}\n```")
    } else {
        answer.to_owned()
    }
}

/// Token counts roughly as a tokenizer would give (4 bytes a token).
fn usage(body: &Value, answer: &str) -> (u64, u64) {
    let tokens = |bytes: usize| (bytes / 4 + 1) as u64;
    (tokens(body.to_string().len()), tokens(answer.len()))
}

fn chat_usage((prompt, completion): (u64, u64)) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

/// A non-streaming answer.
fn complete(body: &Value, answer: &str) -> Value {
    let tool_calls = |calls: Vec<(String, &str, String)>| -> Vec<Value> {
        calls.into_iter()
            .map(|(id, name, arguments)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}))
            .collect()
    };
    let (message, finish) = match shape(body) {
        Shape::Responses(name) => return responses_answer(body, name, answer),
        Shape::Tool(name) => (
            json!({"role": "assistant", "content": null, "tool_calls": tool_calls(calls(name, answer, false))}),
            "stop",
        ),
        Shape::Parallel(name) => (
            json!({"role": "assistant", "content": null, "tool_calls": tool_calls(calls(name, answer, true))}),
            "tool_calls",
        ),
        Shape::Function(name) => (
            json!({"role": "assistant", "content": null, "function_call": {"name": name, "arguments": answer}}),
            "function_call",
        ),
        Shape::Content { fenced } => (
            json!({"role": "assistant", "content": content(answer, fenced)}),
            "stop",
        ),
    };
    json!({"id": "chatcmpl-replay", "object": "chat.completion", "created": 1_735_689_600, "model": body["model"],
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": chat_usage(usage(body, answer))})
}

fn responses_answer(body: &Value, name: &str, answer: &str) -> Value {
    let (input, output) = usage(body, answer);
    json!({"id": "resp_replay", "object": "response", "status": "completed", "model": body["model"],
        "output": [{"type": "function_call", "id": "fc_replay", "call_id": "call_replay", "name": name,
            "arguments": answer, "status": "completed"}],
        "usage": {"input_tokens": input, "output_tokens": output, "total_tokens": input + output}})
}

/// Splits `text` into deltas of 4 to 11 bytes (on char boundaries), as a model
/// streams a token or two at a time.
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + 4 + (out.len() * 5) % 8).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}

fn sse(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// A streamed answer: Chat Completions chunks, or Responses API events.
fn stream(body: &Value, answer: &str) -> String {
    let chunk = |delta: Value, finish: Value| {
        sse(
            &json!({"id": "chatcmpl-replay", "object": "chat.completion.chunk", "created": 1_735_689_600,
            "model": body["model"], "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
        )
    };
    let mut out = String::new();
    let shape = shape(body);
    let parallel = matches!(shape, Shape::Parallel(_));
    let finish = match shape {
        Shape::Responses(name) => return responses_stream(body, name, answer),
        Shape::Tool(name) | Shape::Parallel(name) => {
            for (index, (id, name, arguments)) in
                calls(name, answer, parallel).into_iter().enumerate()
            {
                let call = json!({"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}});
                let opening = match index {
                    0 => json!({"role": "assistant", "content": null, "tool_calls": [call]}),
                    _ => json!({"tool_calls": [call]}),
                };
                out += &chunk(opening, Value::Null);
                for piece in pieces(&arguments) {
                    let delta =
                        json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]});
                    out += &chunk(delta, Value::Null);
                }
            }
            if parallel { "tool_calls" } else { "stop" }
        }
        Shape::Function(name) => {
            let call = json!({"name": name, "arguments": ""});
            out += &chunk(
                json!({"role": "assistant", "content": null, "function_call": call}),
                Value::Null,
            );
            for piece in pieces(answer) {
                out += &chunk(json!({"function_call": {"arguments": piece}}), Value::Null);
            }
            "function_call"
        }
        Shape::Content { fenced } => {
            out += &chunk(json!({"role": "assistant", "content": ""}), Value::Null);
            for piece in pieces(&content(answer, fenced)) {
                out += &chunk(json!({"content": piece}), Value::Null);
            }
            "stop"
        }
    };
    out += &chunk(json!({}), Value::from(finish));
    if body["stream_options"]["include_usage"] == true {
        out += &sse(
            &json!({"id": "chatcmpl-replay", "object": "chat.completion.chunk", "model": body["model"],
            "choices": [], "usage": chat_usage(usage(body, answer))}),
        );
    }
    out + "data: [DONE]\n\n"
}

/// The Responses API's event sequence for one streamed function call.
fn responses_stream(body: &Value, name: &str, answer: &str) -> String {
    let done = responses_answer(body, name, answer);
    let item = &done["output"][0];
    let mut added = item.clone();
    added["arguments"] = Value::from("");
    added["status"] = Value::from("in_progress");
    let mut events = vec![
        json!({"type": "response.created", "response": {"id": "resp_replay", "status": "in_progress", "model": body["model"]}}),
        json!({"type": "response.output_item.added", "output_index": 0, "item": added}),
    ];
    events.extend(pieces(answer).into_iter().map(|delta| {
        json!({"type": "response.function_call_arguments.delta", "output_index": 0, "item_id": "fc_replay", "delta": delta})
    }));
    events.push(json!({"type": "response.function_call_arguments.done", "output_index": 0, "item_id": "fc_replay", "arguments": answer}));
    events.push(json!({"type": "response.output_item.done", "output_index": 0, "item": item}));
    events.push(json!({"type": "response.completed", "response": done}));
    events
        .iter()
        .map(|e| {
            format!(
                "event: {}\n{}",
                e["type"].as_str().unwrap_or("message"),
                sse(e)
            )
        })
        .collect()
}
