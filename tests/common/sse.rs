//! SSE bodies in OpenAI's streaming format, and a raw loopback server that streams
//! them chunk by chunk (optionally waiting on a gate, or dropping the connection).
#![allow(dead_code, reason = "each test file uses a subset")]

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

/// How a scripted stream behaves.
#[derive(Clone, Default)]
pub struct Script {
    /// The SSE events to write, one HTTP chunk each.
    pub events: Vec<String>,
    /// Wait on this gate before writing the event at `gate_at`.
    pub gate: Option<(usize, Arc<Notify>)>,
    /// Drop the connection after this many events (no end marker).
    pub drop_after: Option<usize>,
}

/// A raw HTTP/1.1 server on loopback: each connection gets the next script. Returns
/// the base URL (`http://127.0.0.1:port/v1`) and a channel of received bodies.
pub async fn stream_server(
    scripts: Vec<Script>,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
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
            tokio::spawn(serve_script(socket, script, tx.clone()));
        }
    });
    (url, rx)
}

async fn serve_script(
    mut socket: tokio::net::TcpStream,
    script: Script,
    tx: tokio::sync::mpsc::UnboundedSender<Value>,
) {
    let body = read_request(&mut socket).await;
    let _ = tx.send(body);
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    for (i, event) in script.events.iter().enumerate() {
        if script.drop_after == Some(i) {
            break;
        }
        if let Some((at, gate)) = &script.gate {
            if *at == i {
                let _ = tokio::time::timeout(Duration::from_secs(10), gate.notified()).await;
            }
        }
        let chunk = format!("{:x}\r\n{event}\r\n", event.len());
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            return;
        }
        let _ = socket.flush().await;
    }
    if script.drop_after.is_none() {
        let _ = socket.write_all(b"0\r\n\r\n").await;
    }
    let _ = socket.shutdown().await;
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Value {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        let Ok(n) = socket.read(&mut tmp).await else {
            return Value::Null;
        };
        if n == 0 {
            return Value::Null;
        }
        buf.extend_from_slice(&tmp[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
        let length = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
            })
            .unwrap_or(0);
        while buf.len() < end + 4 + length {
            let Ok(n) = socket.read(&mut tmp).await else {
                break;
            };
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        return serde_json::from_slice(&buf[end + 4..]).unwrap_or(Value::Null);
    }
}
