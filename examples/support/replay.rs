//! A local replay server that speaks OpenAI's wire format, so examples run offline.
//! Each request gets the next scripted answer, shaped for what was asked (a tool
//! call, a function call, JSON content, or a Responses API function call).
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
                ResponseTemplate::new(200)
                    .set_body_json(shape(&body, answers.get(i).copied().unwrap_or("{}")))
            })
            .mount(&server)
            .await;
        Self { server }
    }

    /// The base URL to give an OpenAI-compatible client.
    pub(crate) fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }
}

fn usage() -> Value {
    json!({"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99})
}

fn shape(body: &Value, answer: &str) -> Value {
    if body.get("input").is_some() && body.get("messages").is_none() {
        let name = body["tools"][0]["name"].as_str().unwrap_or("Response");
        return json!({"id": "resp_replay", "object": "response", "status": "completed", "model": body["model"],
            "output": [{"type": "function_call", "call_id": "call_replay", "name": name, "arguments": answer}],
            "usage": {"input_tokens": 82, "output_tokens": 17, "total_tokens": 99}});
    }
    let message = if let Some(name) = body["tools"][0]["function"]["name"].as_str() {
        json!({"role": "assistant", "content": null,
            "tool_calls": [{"id": "call_replay", "type": "function", "function": {"name": name, "arguments": answer}}]})
    } else if let Some(name) = body["functions"][0]["name"].as_str() {
        json!({"role": "assistant", "content": null, "function_call": {"name": name, "arguments": answer}})
    } else {
        json!({"role": "assistant", "content": format!("```json\n{answer}\n```")})
    };
    json!({"id": "chatcmpl-replay", "object": "chat.completion", "model": body["model"],
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}], "usage": usage()})
}
