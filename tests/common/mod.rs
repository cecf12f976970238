//! A local OpenAI-compatible server for tests: real HTTP on loopback, scripted answers.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a subset of these helpers"
)]

pub mod anthropic_batch;
pub mod bedrock;
pub mod gemini_batch;
pub mod openai_batch;
pub mod person;
pub mod sse;
#[cfg(feature = "vertexai")]
pub mod vertex;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A Chat Completions answer with one tool call.
pub fn tool_answer(name: &str, arguments: &str, usage: (u64, u64)) -> Value {
    tool_answer_many(&[(name, arguments)], usage)
}

/// A Chat Completions answer with several tool calls.
pub fn tool_answer_many(calls: &[(&str, &str)], usage: (u64, u64)) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| json!({"id": format!("call_{i}"), "type": "function", "function": {"name": name, "arguments": args}}))
        .collect();
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1727346143, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": null,
            "message": {"role": "assistant", "content": null, "refusal": null, "tool_calls": calls}}],
        "usage": {"prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0 + usage.1}
    })
}

/// A Chat Completions answer with text content.
pub fn text_answer(text: &str, usage: (u64, u64)) -> Value {
    json!({
        "id": "chatcmpl-2", "object": "chat.completion", "created": 1727346143, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": null,
            "message": {"role": "assistant", "content": text, "refusal": null}}],
        "usage": {"prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0 + usage.1}
    })
}

/// A legacy `function_call` answer.
pub fn function_answer(name: &str, arguments: &str, usage: (u64, u64)) -> Value {
    json!({
        "id": "chatcmpl-3", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "function_call",
            "message": {"role": "assistant", "content": null, "function_call": {"name": name, "arguments": arguments}}}],
        "usage": {"prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0 + usage.1}
    })
}

/// A Responses API answer with one function call (after a reasoning item).
pub fn responses_answer(name: &str, arguments: &str, usage: (u64, u64)) -> Value {
    json!({
        "id": "resp_1", "object": "response", "status": "completed", "model": "gpt-4o-mini",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"type": "function_call", "id": "fc_1", "call_id": "call_abc", "name": name, "arguments": arguments, "status": "completed"}
        ],
        "usage": {"input_tokens": usage.0, "output_tokens": usage.1, "total_tokens": usage.0 + usage.1}
    })
}

/// Serves `answers` in order on `route`, one each.
pub async fn serve(route: &str, answers: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    for answer in answers {
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(answer)
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    server
}

/// Serves JSON answers with status 200 on the chat route.
pub async fn serve_chat(answers: Vec<Value>) -> MockServer {
    serve(
        "/v1/chat/completions",
        answers
            .into_iter()
            .map(|a| ResponseTemplate::new(200).set_body_json(a))
            .collect(),
    )
    .await
}

/// The JSON bodies the server received, in order.
pub async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

/// A client for the local server.
pub fn client(server: &MockServer) -> instructor::Client {
    let provider = instructor::providers::OpenAI::new("sk-test-secret")
        .base_url(format!("{}/v1", server.uri()))
        .retry_policy(instructor::providers::RetryPolicy::new(
            2,
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(200),
        ));
    instructor::from_openai(provider).with_model("gpt-4o-mini")
}
