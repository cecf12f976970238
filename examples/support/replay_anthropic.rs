//! A local replay server that speaks Anthropic's Messages API (`POST /v1/messages`),
//! so the Anthropic example runs offline.
//!
//! Each request gets the next recorded answer (a JSON text; the last one repeats),
//! shaped for what was asked: a `tool_use` block for a forced tool (`tool_choice`
//! `{"type": "tool"}`), one `tool_use` block per array item for ParallelTools
//! (`{"type": "any"}`), or a text block (JSON modes; fenced in a ```json block when the
//! schema was only in the prompt, as models do). When the body has `"stream": true`,
//! the answer is streamed as Anthropic's server-sent events: `message_start`,
//! `content_block_start`, `input_json_delta` / `text_delta` pieces of a few bytes,
//! `ping`s, `content_block_stop`, `message_delta` (stop reason, usage), `message_stop`.
#![allow(dead_code, reason = "each example uses a subset")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A running Anthropic replay server.
pub(crate) struct AnthropicReplay {
    /// The server (kept alive while the example runs).
    pub(crate) server: MockServer,
}

impl AnthropicReplay {
    /// Starts a server answering with `answers` (JSON texts) in order, repeating the last.
    pub(crate) async fn start(answers: Vec<&'static str>) -> Self {
        let server = MockServer::start().await;
        let next = Arc::new(AtomicUsize::new(0));
        // Prompt-cache prefixes written so far: a later request starting the same way
        // reads them (as Anthropic's cache does, for the examples' usage counters).
        let cached = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
        Mock::given(wiremock::matchers::method("POST"))
            .and(wiremock::matchers::path("/v1/messages"))
            .respond_with(move |request: &Request| {
                let i = next
                    .fetch_add(1, Ordering::SeqCst)
                    .min(answers.len().saturating_sub(1));
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let answer = answers.get(i).copied().unwrap_or("{}");
                if body["stream"] == true {
                    ResponseTemplate::new(200)
                        .set_body_raw(stream(&body, answer), "text/event-stream; charset=utf-8")
                } else {
                    let mut reply = message(&body, answer);
                    if let Some((prefix, tokens)) = cache_prefix(&body) {
                        let seen = !cached
                            .lock()
                            .map(|mut set| set.insert(prefix))
                            .unwrap_or(true);
                        let input = reply["usage"]["input_tokens"].as_u64().unwrap_or(0);
                        reply["usage"]["input_tokens"] = json!(input.saturating_sub(tokens));
                        let counter = if seen {
                            "cache_read_input_tokens"
                        } else {
                            "cache_creation_input_tokens"
                        };
                        reply["usage"][counter] = json!(tokens);
                    }
                    ResponseTemplate::new(200).set_body_json(reply)
                }
            })
            .mount(&server)
            .await;
        Self { server }
    }

    /// The base URL to give [`instructor::providers::Anthropic`] (without `/v1`).
    pub(crate) fn base_url(&self) -> String {
        self.server.uri()
    }
}

/// Anthropic from the environment (`ANTHROPIC_API_KEY`, optional `ANTHROPIC_BASE_URL`)
/// when a key is set; else a client pointed at a new replay server answering
/// `answers`, which is returned too and must be kept alive while calling.
pub(crate) async fn anthropic_or_replay(
    answers: Vec<&'static str>,
) -> instructor::Result<(instructor::providers::Anthropic, Option<AnthropicReplay>)> {
    if std::env::var("ANTHROPIC_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        return Ok((instructor::providers::Anthropic::from_env()?, None));
    }
    let replay = AnthropicReplay::start(answers).await;
    let provider = instructor::providers::Anthropic::new("offline").base_url(replay.base_url());
    Ok((provider, Some(replay)))
}

/// The content blocks of an answer: `(tool name, input JSON)` per call, or the text.
enum Content<'a> {
    Tools(Vec<(&'a str, String)>),
    Text(String),
}

fn content<'a>(body: &'a Value, answer: &str) -> Content<'a> {
    let Some(name) = body["tools"][0]["name"].as_str() else {
        // No tools: JSON in the text, fenced when the schema was only in the prompt.
        return Content::Text(if body.get("output_config").is_some() {
            answer.to_owned()
        } else {
            format!("```json\n{answer}\n```")
        });
    };
    let parallel = body["tool_choice"]["type"] == "any";
    let inputs = match serde_json::from_str::<Value>(answer) {
        Ok(Value::Array(items)) if parallel => items.iter().map(Value::to_string).collect(),
        _ => vec![answer.to_owned()],
    };
    Content::Tools(inputs.into_iter().map(|input| (name, input)).collect())
}

/// The cached prefix of a request (tools, system and messages up to the last block
/// marked `cache_control`, in Anthropic's cache order) and its tokens; `None` when
/// nothing is marked.
fn cache_prefix(body: &Value) -> Option<(String, u64)> {
    let mut blocks: Vec<&Value> = Vec::new();
    blocks.extend(body["tools"].as_array().into_iter().flatten());
    blocks.extend(body["system"].as_array().into_iter().flatten());
    for message in body["messages"].as_array().into_iter().flatten() {
        blocks.extend(message["content"].as_array().into_iter().flatten());
    }
    let last = blocks
        .iter()
        .rposition(|b| b.get("cache_control").is_some())?;
    let prefix = serde_json::to_string(&blocks[..=last]).unwrap_or_default();
    let tokens = tokens(prefix.len());
    Some((prefix, tokens))
}

/// Token counts roughly as a tokenizer would give (4 bytes a token).
fn tokens(bytes: usize) -> u64 {
    (bytes / 4 + 1) as u64
}

/// A non-streaming `message`.
fn message(body: &Value, answer: &str) -> Value {
    let (blocks, stop_reason) = match content(body, answer) {
        Content::Tools(calls) => (
            calls
                .into_iter()
                .enumerate()
                .map(|(i, (name, input))| {
                    let input: Value = serde_json::from_str(&input).unwrap_or_else(|_| json!({}));
                    json!({"type": "tool_use", "id": format!("toolu_replay_{i}"), "name": name, "input": input})
                })
                .collect::<Vec<_>>(),
            "tool_use",
        ),
        Content::Text(text) => (vec![json!({"type": "text", "text": text})], "end_turn"),
    };
    json!({"id": "msg_replay", "type": "message", "role": "assistant", "model": body["model"],
        "content": blocks, "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": tokens(body.to_string().len()), "output_tokens": tokens(answer.len()),
            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})
}

/// Splits `text` into deltas of 4 to 11 bytes (on char boundaries).
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

fn event(data: &Value) -> String {
    let kind = data["type"].as_str().unwrap_or("message");
    format!("event: {kind}\ndata: {data}\n\n")
}

/// A streamed message, as Anthropic's server-sent events.
fn stream(body: &Value, answer: &str) -> String {
    let done = message(body, answer);
    let mut skeleton = done.clone();
    skeleton["content"] = json!([]);
    skeleton["stop_reason"] = Value::Null;
    skeleton["usage"]["output_tokens"] = json!(1);
    let mut out = event(&json!({"type": "message_start", "message": skeleton}));
    out += "event: ping\ndata: {\"type\": \"ping\"}\n\n";
    let blocks = done["content"].as_array().cloned().unwrap_or_default();
    for (index, block) in blocks.iter().enumerate() {
        let (start, text, delta_kind, key) = if block["type"] == "tool_use" {
            let mut start = block.clone();
            start["input"] = json!({});
            (
                start,
                block["input"].to_string(),
                "input_json_delta",
                "partial_json",
            )
        } else {
            let text = block["text"].as_str().unwrap_or_default().to_owned();
            (
                json!({"type": "text", "text": ""}),
                text,
                "text_delta",
                "text",
            )
        };
        out +=
            &event(&json!({"type": "content_block_start", "index": index, "content_block": start}));
        for piece in pieces(&text) {
            let delta = json!({"type": delta_kind, key: piece});
            out += &event(&json!({"type": "content_block_delta", "index": index, "delta": delta}));
        }
        out += &event(&json!({"type": "content_block_stop", "index": index}));
    }
    out += &event(&json!({"type": "message_delta",
        "delta": {"stop_reason": done["stop_reason"], "stop_sequence": null},
        "usage": {"output_tokens": done["usage"]["output_tokens"]}}));
    out + &event(&json!({"type": "message_stop"}))
}
