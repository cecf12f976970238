//! A loopback emulation of the Bedrock runtime: raw HTTP/1.1 on a local port that
//! VERIFIES every request's SigV4 signature (recomputed here, independently of the
//! crate's signer, with `hmac` and `sha2`), refuses a bad one with a 403 as AWS does,
//! and otherwise serves scripted answers: JSON (any status, with AWS's
//! `x-amzn-errortype`), or an event stream written in the chunks given (so messages
//! arrive cut where a test wants), possibly cut off.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a subset of these helpers"
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";
pub const MODEL: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

// ---------------------------------------------------------------------------------
// SigV4, written from AWS's description of the algorithm.

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// URI-encodes every byte but the unreserved ones and `/` (a path already encoded
/// is encoded again: AWS's double encoding for every service but S3).
fn uri_encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The canonical request of SigV4: method, canonical URI, canonical query, the
/// signed headers (lowercase, trimmed, inner spaces collapsed, sorted), the list of
/// their names, and the body's SHA-256.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    signed: &[&str],
    body: &[u8],
) -> String {
    let mut lines: Vec<String> = signed
        .iter()
        .map(|name| {
            let values: Vec<String> = headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            format!("{name}:{}\n", values.join(","))
        })
        .collect();
    lines.sort();
    let mut query: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    query.sort_unstable();
    format!(
        "{method}\n{}\n{}\n{}\n{}\n{}",
        uri_encode_path(path),
        query.join("&"),
        lines.concat(),
        signed.join(";"),
        sha256_hex(body)
    )
}

/// The string to sign for `canonical` at `amz_date` in `scope`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

/// The signature of `string_to_sign` with the key derived for `scope`
/// (`date/region/service/aws4_request`).
pub fn signature(secret: &str, scope: &str, string_to_sign: &str) -> String {
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in scope.split('/') {
        key = hmac(&key, part);
    }
    hex(&hmac(&key, string_to_sign))
}

// ---------------------------------------------------------------------------------
// The server.

/// A request as the emulation received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The path as sent (percent-encoding kept).
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `Ok` when its signature verified, else why not.
    pub signature: Result<(), String>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A JSON body with a status; a non-2xx one carries `x-amzn-errortype: kind`.
    Json {
        status: u16,
        kind: Option<String>,
        body: Value,
    },
    /// An event stream written chunk by chunk (each flushed, with a pause between).
    Stream(Vec<Vec<u8>>),
}

/// A 200 Converse answer.
pub fn ok(body: Value) -> Answer {
    Answer::Json {
        status: 200,
        kind: None,
        body,
    }
}

/// An AWS error answer: `{"message"}` with its type in `x-amzn-errortype`.
pub fn aws_error(status: u16, kind: &str, message: &str) -> Answer {
    Answer::Json {
        status,
        kind: Some(format!(
            "{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        )),
        body: json!({"message": message}),
    }
}

/// An event stream sent in one piece.
pub fn stream(bytes: Vec<u8>) -> Answer {
    Answer::Stream(vec![bytes])
}

/// What the emulation accepts and has seen.
pub struct Emulation {
    pub url: String,
    state: Arc<Mutex<State>>,
}

struct State {
    answers: VecDeque<Answer>,
    received: Vec<Received>,
    /// The session token requests must carry and sign, if any.
    session_token: Option<String>,
}

impl Emulation {
    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

/// Starts the emulation with `answers`, served in order to correctly signed requests.
pub async fn serve(answers: Vec<Answer>) -> Emulation {
    serve_with_token(answers, None).await
}

/// [`serve`], requiring `session_token` in `x-amz-security-token`, signed.
pub async fn serve_with_token(answers: Vec<Answer>, session_token: Option<&str>) -> Emulation {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Mutex::new(State {
        answers: answers.into(),
        received: Vec::new(),
        session_token: session_token.map(str::to_owned),
    }));
    let shared = state.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(handle(socket, shared.clone()));
        }
    });
    Emulation { url, state }
}

async fn handle(mut socket: TcpStream, state: Arc<Mutex<State>>) {
    socket.set_nodelay(true).ok();
    let Some(mut received) = read_request(&mut socket).await else {
        return;
    };
    let answer = {
        let mut state = state.lock().unwrap();
        received.signature = verify(&received, state.session_token.as_deref());
        let answer = match &received.signature {
            Ok(()) => state.answers.pop_front(),
            Err(why) => Some(aws_error(403, "InvalidSignatureException", why)),
        };
        state.received.push(received);
        answer
    };
    match answer {
        Some(Answer::Json { status, kind, body }) => {
            let body = body.to_string();
            let kind = kind
                .map(|k| format!("x-amzn-errortype: {k}\r\n"))
                .unwrap_or_default();
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{kind}x-amzn-requestid: req-123\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body.as_bytes()).await;
        }
        Some(Answer::Stream(chunks)) => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
            let _ = socket.write_all(head.as_bytes()).await;
            for chunk in chunks {
                if chunk.is_empty() {
                    continue;
                }
                let framed = [
                    format!("{:x}\r\n", chunk.len()).into_bytes(),
                    chunk,
                    b"\r\n".to_vec(),
                ]
                .concat();
                if socket.write_all(&framed).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
        }
        None => {
            let body = r#"{"message":"the emulation has no answer left"}"#;
            let head = format!(
                "HTTP/1.1 500 X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body.as_bytes()).await;
        }
    }
    let _ = socket.shutdown().await;
}

async fn read_request(socket: &mut TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        method,
        path,
        headers,
        body,
        signature: Ok(()),
    })
}

/// Checks a request's `Authorization` as Bedrock would: the algorithm, the key id,
/// the scope (the date of `x-amz-date`, the region, service `bedrock`), the headers
/// that must be signed, and the signature itself recomputed.
pub fn verify(request: &Received, session_token: Option<&str>) -> Result<(), String> {
    let auth = request
        .header("authorization")
        .ok_or("Missing Authentication Token")?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("the algorithm is not AWS4-HMAC-SHA256")?;
    let field = |name: &str| {
        rest.split(", ")
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .ok_or(format!("no {name} in the Authorization header"))
    };
    let credential = field("Credential")?;
    let signed: Vec<&str> = field("SignedHeaders")?.split(';').collect();
    let given = field("Signature")?;
    let (key_id, scope) = credential.split_once('/').ok_or("a malformed credential")?;
    if key_id != ACCESS_KEY {
        return Err("The security token included in the request is invalid.".into());
    }
    let amz_date = request.header("x-amz-date").ok_or("no x-amz-date")?;
    if scope != format!("{}/{REGION}/bedrock/aws4_request", &amz_date[..8]) {
        return Err(format!("Credential should be scoped correctly: {scope}"));
    }
    let mut required = vec!["host", "x-amz-date", "content-type"];
    if let Some(token) = session_token {
        if request.header("x-amz-security-token") != Some(token) {
            return Err("The security token included in the request is invalid.".into());
        }
        required.push("x-amz-security-token");
    }
    if let Some(missing) = required.iter().find(|h| !signed.contains(h)) {
        return Err(format!("{missing} must be signed"));
    }
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    let canonical = canonical_request(
        &request.method,
        path,
        query,
        &request.headers,
        &signed,
        &request.body,
    );
    let expected = signature(
        SECRET_KEY,
        scope,
        &string_to_sign(amz_date, scope, &canonical),
    );
    if expected != given {
        return Err(format!(
            "The request signature we calculated does not match the signature you provided. The Canonical String for this request should have been\n'{canonical}'"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Event-stream messages.

/// One event-stream message with string headers.
pub fn message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut head = Vec::new();
    for (name, value) in headers {
        head.push(name.len() as u8);
        head.extend_from_slice(name.as_bytes());
        head.push(7);
        head.extend_from_slice(&(value.len() as u16).to_be_bytes());
        head.extend_from_slice(value.as_bytes());
    }
    let total = (12 + head.len() + payload.len() + 4) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&(head.len() as u32).to_be_bytes());
    let prelude = crc32fast::hash(&out);
    out.extend_from_slice(&prelude.to_be_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// A ConverseStream event (`p` is the padding Bedrock adds to hide lengths).
pub fn event(kind: &str, mut payload: Value) -> Vec<u8> {
    payload["p"] = Value::from("abcdefgh");
    message(
        &[
            (":event-type", kind),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload.to_string().as_bytes(),
    )
}

/// An exception message, as Bedrock sends mid-stream.
pub fn exception(kind: &str, text: &str) -> Vec<u8> {
    message(
        &[
            (":exception-type", kind),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        json!({"message": text}).to_string().as_bytes(),
    )
}

/// `messageStop` then `metadata` with usage.
pub fn tail(stop_reason: &str, usage: (u64, u64)) -> Vec<u8> {
    [
        event("messageStop", json!({"stopReason": stop_reason})),
        event(
            "metadata",
            json!({"usage": {"inputTokens": usage.0, "outputTokens": usage.1,
                "totalTokens": usage.0 + usage.1}, "metrics": {"latencyMs": 42}}),
        ),
    ]
    .concat()
}

/// The events of tool calls (name, input pieces), after a text block.
pub fn tool_events(calls: &[(&str, Vec<&str>)]) -> Vec<u8> {
    let mut out = vec![
        event("messageStart", json!({"role": "assistant"})),
        event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Let me extract that."}}),
        ),
        event("contentBlockStop", json!({"contentBlockIndex": 0})),
    ];
    for (i, (name, pieces)) in calls.iter().enumerate() {
        let index = i + 1;
        out.push(event(
            "contentBlockStart",
            json!({"contentBlockIndex": index, "start": {"toolUse": {"toolUseId": format!("tooluse_{index}"), "name": name}}}),
        ));
        for piece in pieces {
            out.push(event(
                "contentBlockDelta",
                json!({"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}),
            ));
        }
        out.push(event(
            "contentBlockStop",
            json!({"contentBlockIndex": index}),
        ));
    }
    out.concat()
}

/// A whole tool stream: one call whose input arrives in `pieces`.
pub fn tool_stream(name: &str, pieces: Vec<&str>, stop_reason: &str, usage: (u64, u64)) -> Vec<u8> {
    [tool_events(&[(name, pieces)]), tail(stop_reason, usage)].concat()
}

/// A whole text stream whose text arrives in `pieces`.
pub fn text_stream(pieces: Vec<&str>, usage: (u64, u64)) -> Vec<u8> {
    let mut out = vec![event("messageStart", json!({"role": "assistant"}))];
    for piece in pieces {
        out.push(event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": piece}}),
        ));
    }
    out.push(event("contentBlockStop", json!({"contentBlockIndex": 0})));
    out.push(tail("end_turn", usage));
    out.concat()
}

/// `bytes` cut at `cuts` (sorted, clamped).
pub fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts {
        let c = c.clamp(start, bytes.len());
        out.push(bytes[start..c].to_vec());
        start = c;
    }
    out.push(bytes[start..].to_vec());
    out
}
