//! SSE bodies in OpenAI's, Anthropic's and Gemini's streaming formats, and a raw
//! loopback server that streams them chunk by chunk (optionally waiting on a gate,
//! dropping the connection, or cutting events into small HTTP chunks).
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a subset of these helpers"
)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;

fn event(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// A chat stream whose single tool call's arguments arrive in `pieces`.
pub fn chat_tool_stream(name: &str, pieces: &[&str], usage: (u64, u64)) -> Vec<String> {
    let mut out = vec![": keep-alive\n\n".to_owned()];
    out.push(event(&json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": null,
        "tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": ""}}]}, "finish_reason": null}]})));
    for piece in pieces {
        out.push(event(&json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {
            "tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, "finish_reason": null}]})));
    }
    out.extend(tail("tool_calls", usage));
    out
}

/// A chat stream whose tool calls (one per item) arrive interleaved by index.
pub fn chat_parallel_stream(name: &str, calls: &[Vec<&str>], usage: (u64, u64)) -> Vec<String> {
    let mut out = Vec::new();
    for (i, pieces) in calls.iter().enumerate() {
        out.push(event(&json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": i, "id": format!("call_{i}"), "type": "function", "function": {"name": name, "arguments": ""}}]}}]})));
        for piece in pieces {
            out.push(event(&json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": i, "function": {"arguments": piece}}]}}]})));
        }
    }
    out.extend(tail("tool_calls", usage));
    out
}

/// A chat stream whose content arrives in `pieces`.
pub fn chat_text_stream(pieces: &[&str], usage: (u64, u64)) -> Vec<String> {
    let mut out = Vec::new();
    for piece in pieces {
        out.push(event(
            &json!({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]}),
        ));
    }
    out.extend(tail("stop", usage));
    out
}

/// A Responses API stream with one function call.
pub fn responses_stream(name: &str, pieces: &[&str], usage: (u64, u64)) -> Vec<String> {
    let mut out = vec![format!(
        "event: response.output_item.added\ndata: {}\n\n",
        json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "function_call", "call_id": "call_r", "name": name, "arguments": ""}})
    )];
    for piece in pieces {
        out.push(format!(
            "event: response.function_call_arguments.delta\ndata: {}\n\n",
            json!({"type": "response.function_call_arguments.delta", "output_index": 0, "delta": piece})
        ));
    }
    out.push(format!(
        "event: response.completed\ndata: {}\n\n",
        json!({"type": "response.completed", "response": {"status": "completed", "usage": {"input_tokens": usage.0, "output_tokens": usage.1, "total_tokens": usage.0 + usage.1}}})
    ));
    out
}

fn tail(finish: &str, usage: (u64, u64)) -> Vec<String> {
    vec![
        event(&json!({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})),
        event(
            &json!({"choices": [], "usage": {"prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0 + usage.1}}),
        ),
        "data: [DONE]\n\n".to_owned(),
    ]
}

/// An Anthropic SSE event: `event: <type>`, then the JSON.
pub fn anthropic_event(data: &Value) -> String {
    format!(
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap_or("message")
    )
}

const ANTHROPIC_PING: &str = "event: ping\ndata: {\"type\": \"ping\"}\n\n";

/// One content block of a streamed Anthropic message.
#[derive(Clone, Debug)]
pub enum Block<'a> {
    /// A text block streamed as `text_delta` pieces.
    Text(Vec<&'a str>),
    /// A `tool_use` block whose input arrives as `input_json_delta` pieces.
    Tool(&'a str, Vec<&'a str>),
}

/// A Messages API stream: `message_start` with `start_usage`, each block (start,
/// deltas with pings in between, stop), `message_delta` with `stop_reason` and
/// `{"output_tokens": output}`, then `message_stop`.
pub fn anthropic_stream(
    blocks: &[Block<'_>],
    stop_reason: &str,
    start_usage: Value,
    output: u64,
) -> Vec<String> {
    let mut out = vec![
        anthropic_event(&json!({"type": "message_start", "message": {
            "id": "msg_stream", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620",
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": start_usage}})),
        ANTHROPIC_PING.to_owned(),
    ];
    for (index, block) in blocks.iter().enumerate() {
        let (start, deltas): (Value, Vec<Value>) = match block {
            Block::Text(pieces) => (
                json!({"type": "text", "text": ""}),
                pieces
                    .iter()
                    .map(|p| json!({"type": "text_delta", "text": p}))
                    .collect(),
            ),
            Block::Tool(name, pieces) => (
                json!({"type": "tool_use", "id": format!("toolu_{index}"), "name": name, "input": {}}),
                // The first fragment is often empty.
                std::iter::once("")
                    .chain(pieces.iter().copied())
                    .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                    .collect(),
            ),
        };
        out.push(anthropic_event(
            &json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        for (i, delta) in deltas.into_iter().enumerate() {
            out.push(anthropic_event(
                &json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
            if i % 4 == 3 {
                out.push(ANTHROPIC_PING.to_owned());
            }
        }
        out.push(anthropic_event(
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    out.push(anthropic_event(&json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {"output_tokens": output}})));
    // Padded, as the service sends it: parsed as JSON, never string-matched.
    out.push("event: message_stop\ndata: {\"type\":\"message_stop\"      }\n\n".to_owned());
    out
}

/// A Gemini `streamGenerateContent?alt=sse` chunk.
pub fn gemini_chunk(parts: Value, finish: Option<&str>, usage: (u64, u64)) -> String {
    let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    if let Some(reason) = finish {
        candidate["finishReason"] = json!(reason);
    }
    event(&json!({"candidates": [candidate],
        "usageMetadata": {"promptTokenCount": usage.0, "candidatesTokenCount": usage.1, "totalTokenCount": usage.0 + usage.1},
        "modelVersion": "gemini-1.5-flash-latest", "responseId": "resp_stream"}))
}

/// A Gemini stream of text parts, usage growing with each chunk (cumulative, as the
/// service reports it), `finishReason` on the last chunk (with an empty text part).
pub fn gemini_text_stream(pieces: &[&str], finish: &str, usage: (u64, u64)) -> Vec<String> {
    let mut out: Vec<String> = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let so_far = (usage.1 * (i as u64 + 1) / (pieces.len() as u64 + 1)).max(1);
            gemini_chunk(json!([{"text": p}]), None, (usage.0, so_far))
        })
        .collect();
    out.push(gemini_chunk(json!([{"text": ""}]), Some(finish), usage));
    out
}

/// A Gemini stream whose function calls arrive whole, in one chunk.
pub fn gemini_call_stream(calls: &[(&str, Value)], usage: (u64, u64)) -> Vec<String> {
    let parts: Vec<Value> = calls
        .iter()
        .map(|(name, args)| json!({"functionCall": {"name": name, "args": args}}))
        .collect();
    vec![
        gemini_chunk(
            json!([{"text": "thinking...", "thought": true}]),
            None,
            (usage.0, 1),
        ),
        gemini_chunk(Value::Array(parts), Some("STOP"), usage),
    ]
}

/// Splits `text` into pieces of `size` bytes (on char boundaries).
pub fn pieces(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}

/// The pause between two events of a [`Script`].
pub const EVENT_PACE: Duration = Duration::from_micros(200);

/// How a scripted stream behaves.
#[derive(Clone, Default)]
pub struct Script {
    /// The SSE events to write, one HTTP chunk each.
    pub events: Vec<String>,
    /// Wait on this gate before writing the event at `gate_at`.
    pub gate: Option<(usize, Arc<Notify>)>,
    /// Drop the connection after this many events (no end marker).
    pub drop_after: Option<usize>,
    /// Write every event at once, in one write (still one HTTP chunk each), with no
    /// pause between them: the whole answer is there before the client reads it.
    pub burst: bool,
}

/// What the raw server received on one connection.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request target (path and query), e.g. `/v1/messages`.
    pub target: String,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
}

impl Received {
    /// A header's value (`name` in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A raw HTTP/1.1 server on loopback: each connection gets the next script. Returns
/// the base URL (`http://127.0.0.1:port/v1`) and a channel of received bodies.
pub async fn stream_server(
    scripts: Vec<Script>,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let (url, mut received) = stream_server_full(scripts, None).await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(r) = received.recv().await {
            if tx.send(r.body).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// [`stream_server`], reporting each request's target and headers too. With
/// `chunk_bytes`, every event is written as HTTP chunks of that many bytes (so a
/// multi-byte character or an escape can be cut between two network reads).
pub async fn stream_server_full(
    scripts: Vec<Script>,
    chunk_bytes: Option<usize>,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Each connection is served on its own task, so a held stream does not block
        // the next one (an early reask opens a new connection while the old is held).
        for script in scripts {
            let Ok(Ok((socket, _))) =
                tokio::time::timeout(Duration::from_secs(20), listener.accept()).await
            else {
                return;
            };
            tokio::spawn(serve_script(socket, script, chunk_bytes, tx.clone()));
        }
    });
    (url, rx)
}

async fn serve_script(
    mut socket: tokio::net::TcpStream,
    script: Script,
    chunk_bytes: Option<usize>,
    tx: tokio::sync::mpsc::UnboundedSender<Received>,
) {
    let _ = socket.set_nodelay(true);
    let received = read_request(&mut socket).await;
    let _ = tx.send(received);
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    if script.burst {
        let mut all = Vec::new();
        for event in &script.events {
            all.extend_from_slice(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes());
        }
        all.extend_from_slice(b"0\r\n\r\n");
        let _ = socket.write_all(&all).await;
        let _ = socket.shutdown().await;
        return;
    }
    for (i, event) in script.events.iter().enumerate() {
        if script.drop_after == Some(i) {
            break;
        }
        if let Some((at, gate)) = &script.gate
            && *at == i
        {
            let _ = tokio::time::timeout(Duration::from_secs(10), gate.notified()).await;
        }
        if i > 0 {
            // A model writes over time: `create_partial` coalesces deltas that are
            // already there when it looks (and would show fewer snapshots).
            tokio::time::sleep(EVENT_PACE).await;
        }
        let size = chunk_bytes.unwrap_or(event.len()).max(1);
        for piece in event.as_bytes().chunks(size) {
            let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
            chunk.extend_from_slice(piece);
            chunk.extend_from_slice(b"\r\n");
            if socket.write_all(&chunk).await.is_err() {
                return;
            }
            let _ = socket.flush().await;
        }
    }
    if script.drop_after.is_none() {
        let _ = socket.write_all(b"0\r\n\r\n").await;
    }
    let _ = socket.shutdown().await;
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Received {
    let mut received = Received {
        target: String::new(),
        headers: Vec::new(),
        body: Value::Null,
    };
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        let Ok(n) = socket.read(&mut tmp).await else {
            return received;
        };
        if n == 0 {
            return received;
        }
        buf.extend_from_slice(&tmp[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let mut lines = head.lines();
        received.target = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_default()
            .to_owned();
        received.headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
            .collect();
        let length = received
            .header("content-length")
            .map_or(0, |v| v.parse::<usize>().unwrap_or(0));
        while buf.len() < end + 4 + length {
            let Ok(n) = socket.read(&mut tmp).await else {
                break;
            };
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        received.body = serde_json::from_slice(&buf[end + 4..]).unwrap_or(Value::Null);
        return received;
    }
}
