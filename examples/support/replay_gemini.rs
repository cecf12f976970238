//! A local replay server that speaks Gemini's `generateContent` API, so the Gemini
//! example runs offline.
//!
//! Each request gets the next recorded answer (a JSON text; the last one repeats),
//! shaped for what was asked: a `functionCall` part when a function was declared (one
//! per array item when the answer is an array, as for ParallelTools), JSON text split
//! over two parts when `responseMimeType` is `application/json`, or a ```json fenced
//! block (MdJson). Requests to `:streamGenerateContent?alt=sse` are answered as
//! server-sent events: text a few bytes per chunk (a function call whole, as Gemini
//! sends it), cumulative `usageMetadata` on every chunk, `finishReason` on the last.
#![allow(dead_code, reason = "each example uses a subset")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A running Gemini replay server.
pub(crate) struct GeminiReplay {
    /// The server (kept alive while the example runs).
    pub(crate) server: MockServer,
}

impl GeminiReplay {
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
                if request.url.path().ends_with(":streamGenerateContent") {
                    ResponseTemplate::new(200)
                        .set_body_raw(stream(&body, answer), "text/event-stream")
                } else if request.url.path().ends_with(":generateContent") {
                    ResponseTemplate::new(200).set_body_json(chunk(
                        parts(&body, answer),
                        Some("STOP"),
                        usage(&body, answer.len()),
                    ))
                } else {
                    ResponseTemplate::new(404).set_body_json(json!({"error": {"code": 404,
                        "message": "not a generateContent URL", "status": "NOT_FOUND"}}))
                }
            })
            .mount(&server)
            .await;
        Self { server }
    }

    /// The base URL to give [`instructor::providers::Gemini`] (with the API version).
    pub(crate) fn base_url(&self) -> String {
        format!("{}/v1beta", self.server.uri())
    }
}

/// Gemini from the environment (`GEMINI_API_KEY` or `GOOGLE_API_KEY`, optional
/// `GEMINI_BASE_URL`) when a key is set; else a client pointed at a new replay server
/// answering `answers`, which is returned too and must be kept alive while calling.
pub(crate) async fn gemini_or_replay(
    answers: Vec<&'static str>,
) -> instructor::Result<(instructor::providers::Gemini, Option<GeminiReplay>)> {
    if has_key() {
        return Ok((instructor::providers::Gemini::from_env()?, None));
    }
    let replay = GeminiReplay::start(answers).await;
    let provider = instructor::providers::Gemini::new("offline").base_url(replay.base_url());
    Ok((provider, Some(replay)))
}

/// Whether `GEMINI_API_KEY` or `GOOGLE_API_KEY` holds a key.
pub(crate) fn has_key() -> bool {
    ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|k| !k.trim().is_empty()))
}

/// The answer's parts for what the request asked.
fn parts(body: &Value, answer: &str) -> Vec<Value> {
    if let Some(name) = body["tools"][0]["functionDeclarations"][0]["name"].as_str() {
        let args: Value = serde_json::from_str(answer).unwrap_or_else(|_| json!({}));
        let calls = match args {
            // An array answer is one call per item (ParallelTools).
            Value::Array(items) => items,
            one => vec![one],
        };
        return calls
            .into_iter()
            .map(|args| json!({"functionCall": {"name": name, "args": args}}))
            .collect();
    }
    if body["generationConfig"]["responseMimeType"] == "application/json" {
        let mut cut = answer.len() / 2;
        while !answer.is_char_boundary(cut) {
            cut += 1;
        }
        return vec![
            json!({"text": &answer[..cut]}),
            json!({"text": &answer[cut..]}),
        ];
    }
    vec![json!({"text": format!("```json\n{answer}\n```")})]
}

/// `(prompt, output)` token counts, roughly as a tokenizer would give (4 bytes a token).
fn usage(body: &Value, output_bytes: usize) -> (u64, u64) {
    let tokens = |bytes: usize| (bytes / 4 + 1) as u64;
    (tokens(body.to_string().len()), tokens(output_bytes))
}

/// A `GenerateContentResponse` (also one stream chunk).
fn chunk(parts: Vec<Value>, finish: Option<&str>, (prompt, output): (u64, u64)) -> Value {
    let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    if let Some(reason) = finish {
        candidate["finishReason"] = json!(reason);
    }
    json!({"candidates": [candidate],
        "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": output,
            "totalTokenCount": prompt + output},
        "modelVersion": "gemini-replay", "responseId": "resp_replay"})
}

/// Splits `text` into pieces of 4 to 11 bytes (on char boundaries).
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

/// A streamed answer as `data:` events: text in pieces with the running usage, then
/// a last chunk with `finishReason`; function calls arrive whole.
fn stream(body: &Value, answer: &str) -> String {
    let sse = |data: Value| format!("data: {data}\n\n");
    let parts = parts(body, answer);
    if parts[0].get("functionCall").is_some() {
        return sse(chunk(parts, Some("STOP"), usage(body, answer.len())));
    }
    let text: String = parts.iter().filter_map(|p| p["text"].as_str()).collect();
    let mut out = String::new();
    let mut sent = 0;
    for piece in pieces(&text) {
        sent += piece.len();
        out += &sse(chunk(vec![json!({"text": piece})], None, usage(body, sent)));
    }
    out + &sse(chunk(
        vec![json!({"text": ""})],
        Some("STOP"),
        usage(body, text.len()),
    ))
}
