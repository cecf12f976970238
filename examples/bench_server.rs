//! A minimal OpenAI-compatible server for the client benchmarks: the client CPU
//! benchmark (`benches/client_cpu.rs`, `benches/python_client_cpu.py`,
//! `benches/run_client_cpu.sh`) and the streaming benchmark (`benches/stream_bench.rs`,
//! `benches/python_stream_bench.py`, `benches/run_stream_bench.sh`).
//!
//! Every `POST …/chat/completions` gets the same canned Chat Completions answer: one
//! tool call to `User` with arguments `{"name":"Jason","age":25}`, plus usage. Anything
//! else gets a 404. HTTP/1.1 with keep-alive (and pipelining), `Content-Length` or
//! chunked request bodies, one thread per connection, std only.
//!
//! Streaming scenarios live under `…/sse/<kind>/<n>` (give the clients the base URL
//! `http://127.0.0.1:PORT/v1/sse/<kind>/<n>`): `POST …/sse/<kind>/<n>/chat/completions`
//! answers with a deterministic Chat Completions SSE stream (`transfer-encoding:
//! chunked`), whatever the request's `stream` flag: a role chunk opening one tool call
//! (named after the request's `tool_choice`), the arguments in 12-byte deltas, a
//! `finish_reason: "stop"` chunk, a usage chunk (`choices: []`) and `data: [DONE]`.
//! The arguments are
//! - `iterable/<n>`: `{"tasks":[{"name":"User 00000","age":18},…]}` with `n` users;
//! - `partial/<n>`: one report of about `n` bytes, `{"title":…,"summary":"<n/2 bytes of
//!   words>","items":[{"id":0,"label":"item 0","done":true},…]}`.
//!
//! Each stream is generated once (the first request for it) and then cached; send one
//! request first (e.g. with curl) to keep the generation out of a measurement.
//!
//! ```sh
//! cargo run --release --example bench_server -- --port 18080 --seconds 120
//! curl -s -X POST http://127.0.0.1:18080/v1/sse/iterable/3/chat/completions -d '{}'
//! ```
//!
//! The port comes from `--port N` (or a bare number), else `BENCH_PORT`, else 18080. The
//! server exits by itself after `--seconds N` (else `BENCH_SERVER_SECONDS`, else 120).
//! `--sse-write N` (else `BENCH_SSE_WRITE`, else 16384) is how many bytes of a stream go
//! out per write (one HTTP chunk each); 0 writes each server-sent event on its own.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The canned answer's body.
const ANSWER: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1727346143,"model":"gpt-4o-mini","choices":[{"index":0,"finish_reason":"tool_calls","logprobs":null,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"call_bench","type":"function","function":{"name":"User","arguments":"{\"name\":\"Jason\",\"age\":25}"}}]}}],"usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99}}"#;
const NOT_FOUND: &str = r#"{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":"not_found"}}"#;

/// Largest accepted request head.
const MAX_HEAD: usize = 64 * 1024;
/// Largest accepted request body.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Bounds on the loops (the deadline normally ends them first).
const MAX_CONNECTIONS: usize = 10_000_000;
const MAX_REQUESTS_PER_CONNECTION: u64 = 100_000_000;
const MAX_READS_PER_REQUEST: u64 = 1_000_000;
/// Bounds on the streaming scenarios.
const MAX_ITEMS: usize = 1_000_000;
const MAX_PARTIAL_BYTES: usize = 16 * 1024 * 1024;
/// Bytes of tool-call arguments per streamed delta.
const DELTA_BYTES: usize = 12;

struct Config {
    port: u16,
    seconds: u64,
    sse_write: usize,
}

fn config() -> Result<Config, String> {
    let mut port = std::env::var("BENCH_PORT")
        .ok()
        .map(|p| p.parse::<u16>())
        .transpose()
        .map_err(|e| format!("BENCH_PORT: {e}"))?;
    let mut seconds = std::env::var("BENCH_SERVER_SECONDS")
        .ok()
        .map(|s| s.parse::<u64>())
        .transpose()
        .map_err(|e| format!("BENCH_SERVER_SECONDS: {e}"))?;
    let mut sse_write = std::env::var("BENCH_SSE_WRITE")
        .ok()
        .map(|s| s.parse::<usize>())
        .transpose()
        .map_err(|e| format!("BENCH_SSE_WRITE: {e}"))?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" | "-p" => {
                port = Some(
                    args.next()
                        .ok_or("--port needs a value")?
                        .parse()
                        .map_err(|e| format!("--port: {e}"))?,
                )
            }
            "--seconds" | "-s" => {
                seconds = Some(
                    args.next()
                        .ok_or("--seconds needs a value")?
                        .parse()
                        .map_err(|e| format!("--seconds: {e}"))?,
                )
            }
            "--sse-write" => {
                sse_write = Some(
                    args.next()
                        .ok_or("--sse-write needs a value")?
                        .parse()
                        .map_err(|e| format!("--sse-write: {e}"))?,
                )
            }
            other => {
                port = Some(other.parse().map_err(|_| {
                    format!("unknown argument `{other}` (use --port N --seconds N --sse-write N)")
                })?)
            }
        }
    }
    Ok(Config {
        port: port.unwrap_or(18080),
        seconds: seconds.unwrap_or(120),
        sse_write: sse_write.unwrap_or(16 * 1024),
    })
}

fn response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn main() {
    let config = match config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench_server: {e}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", config.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench_server: cannot bind 127.0.0.1:{}: {e}", config.port);
            std::process::exit(1);
        }
    };
    let deadline = Instant::now() + Duration::from_secs(config.seconds);
    let shared = Arc::new(Shared {
        served: AtomicU64::new(0),
        ok: response("200 OK", ANSWER),
        not_found: response("404 Not Found", NOT_FOUND),
        streams: Mutex::new(HashMap::new()),
        sse_write: config.sse_write,
    });

    // The watchdog: the server never outlives its time budget.
    {
        let shared = Arc::clone(&shared);
        let seconds = config.seconds;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds));
            println!(
                "bench_server: {seconds} s elapsed, {} requests served; exiting",
                shared.served.load(Ordering::Relaxed)
            );
            std::process::exit(0);
        });
    }
    println!(
        "bench_server: listening on http://127.0.0.1:{}/v1 for {} s",
        config.port, config.seconds
    );

    for stream in listener.incoming().take(MAX_CONNECTIONS) {
        if Instant::now() >= deadline {
            break;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                // A connection error just ends that connection.
                let _ = serve_connection(stream, deadline, &shared);
            });
        if let Err(e) = spawned {
            eprintln!("bench_server: cannot spawn a connection thread: {e}");
        }
    }
    println!(
        "bench_server: {} requests served; exiting",
        shared.served.load(Ordering::Relaxed)
    );
}

/// What every connection shares.
struct Shared {
    served: AtomicU64,
    /// The canned answer, as a whole response.
    ok: Vec<u8>,
    /// The 404, as a whole response.
    not_found: Vec<u8>,
    /// Generated streams, by scenario.
    streams: Mutex<HashMap<Scenario, Arc<Vec<u8>>>>,
    /// Bytes per write of a stream (0: one write per event).
    sse_write: usize,
}

/// What a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    NotFound,
    /// The canned non-streaming answer.
    Canned,
    /// A generated stream.
    Sse(Scenario),
    /// `…/sse/…` with a kind or size it does not know.
    BadScenario,
}

/// A streaming scenario: what the tool call's arguments hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scenario {
    /// `{"tasks":[…]}` with this many users.
    Iterable(usize),
    /// One report of about this many bytes.
    Partial(usize),
}

/// What one parsed request needs from its head.
struct Head {
    route: Route,
    close: bool,
    expect_continue: bool,
    body: BodyKind,
}

enum BodyKind {
    Length(usize),
    Chunked,
}

fn serve_connection(mut stream: TcpStream, deadline: Instant, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // Idle connections wake up now and then to notice the deadline.
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        // The head.
        let mut reads = 0u64;
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > MAX_HEAD || reads >= MAX_READS_PER_REQUEST || Instant::now() >= deadline
            {
                return Ok(());
            }
            reads += 1;
            if !fill(&mut stream, &mut buf, &mut chunk)? {
                return Ok(());
            }
        };
        let Some(head) = parse_head(&buf[..head_end]) else {
            stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )?;
            return Ok(());
        };
        if head.expect_continue && buf.len() == head_end {
            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        // The body (read and dropped).
        let request_end = loop {
            let body = &buf[head_end..];
            let done = match head.body {
                BodyKind::Length(n) if n > MAX_BODY => return Ok(()),
                BodyKind::Length(n) => (body.len() >= n).then_some(n),
                BodyKind::Chunked => match chunked_len(body) {
                    Err(()) => return Ok(()),
                    Ok(done) => done,
                },
            };
            if let Some(n) = done {
                break head_end + n;
            }
            if buf.len() > MAX_HEAD + MAX_BODY
                || reads >= MAX_READS_PER_REQUEST
                || Instant::now() >= deadline
            {
                return Ok(());
            }
            reads += 1;
            if !fill(&mut stream, &mut buf, &mut chunk)? {
                return Ok(());
            }
        };
        match head.route {
            Route::Canned => stream.write_all(&shared.ok)?,
            Route::NotFound => stream.write_all(&shared.not_found)?,
            Route::BadScenario => stream.write_all(&response(
                "400 Bad Request",
                r#"{"error":{"message":"unknown scenario: use …/sse/iterable/<items> or …/sse/partial/<bytes>","type":"invalid_request_error","param":null,"code":null}}"#,
            ))?,
            Route::Sse(scenario) => {
                let name = tool_name(&buf[head_end..request_end]);
                let events = cached_stream(shared, scenario);
                write_sse(&mut stream, &name, &events, shared.sse_write)?;
            }
        }
        buf.drain(..request_end);
        shared.served.fetch_add(1, Ordering::Relaxed);
        if head.close {
            return Ok(());
        }
    }
    Ok(())
}

/// Reads more bytes; `false` at end of stream. Read timeouts just return `true`.
fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, chunk: &mut [u8]) -> io::Result<bool> {
    match stream.read(chunk) {
        Ok(0) => Ok(false),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(true)
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            ) =>
        {
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?;
    let target = request_line.next()?;
    let version = request_line.next()?;
    let path = target.split('?').next().unwrap_or(target);
    let mut close = version == "HTTP/1.0";
    let mut body = BodyKind::Length(0);
    let mut expect_continue = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            body = BodyKind::Length(value.parse().ok()?);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            body = BodyKind::Chunked;
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue = value.eq_ignore_ascii_case("100-continue");
        } else if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                close = true;
            } else if value.contains("keep-alive") {
                close = false;
            }
        }
    }
    Some(Head {
        route: route(method, path),
        close,
        expect_continue,
        body,
    })
}

/// The length of a complete chunked body at the start of `body`, `Ok(None)` if more is needed.
fn chunked_len(body: &[u8]) -> Result<Option<usize>, ()> {
    let mut pos = 0;
    while pos < body.len() {
        let Some(line_len) = find(&body[pos..], b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&body[pos..pos + line_len]).map_err(|_| ())?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| ())?;
        let data = pos + line_len + 2;
        if size == 0 {
            // Optional trailers, then an empty line.
            if body[data..].starts_with(b"\r\n") {
                return Ok(Some(data + 2));
            }
            return Ok(find(&body[data..], b"\r\n\r\n").map(|i| data + i + 4));
        }
        if size > MAX_BODY {
            return Err(());
        }
        pos = data + size + 2;
    }
    Ok(None)
}

fn route(method: &str, path: &str) -> Route {
    let Some(prefix) = path.strip_suffix("/chat/completions") else {
        return Route::NotFound;
    };
    if method != "POST" {
        return Route::NotFound;
    }
    let Some((_, scenario)) = prefix.split_once("/sse/") else {
        return Route::Canned;
    };
    let mut parts = scenario.split('/');
    let (Some(kind), Some(n), None) = (parts.next(), parts.next(), parts.next()) else {
        return Route::BadScenario;
    };
    match (kind, n.parse::<usize>()) {
        ("iterable", Ok(n)) if n <= MAX_ITEMS => Route::Sse(Scenario::Iterable(n)),
        ("partial", Ok(n)) if n <= MAX_PARTIAL_BYTES => Route::Sse(Scenario::Partial(n)),
        _ => Route::BadScenario,
    }
}

/// The function named by the request's `tool_choice` (else `Response`).
fn tool_name(body: &[u8]) -> String {
    let found = (|| {
        let choice = find(body, b"\"tool_choice\"")?;
        let rest = &body[choice..];
        let rest = &rest[find(rest, b"\"name\"")? + 6..];
        let rest = rest.trim_ascii_start().strip_prefix(b":")?;
        let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
        let end = rest.iter().position(|&b| b == b'"')?;
        let name = std::str::from_utf8(&rest[..end]).ok()?;
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| name.to_owned())
    })();
    found.unwrap_or_else(|| "Response".to_owned())
}

/// The scenario's stream after its first event (generated on first use).
fn cached_stream(shared: &Shared, scenario: Scenario) -> Arc<Vec<u8>> {
    let mut streams = match shared.streams.lock() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    };
    Arc::clone(
        streams
            .entry(scenario)
            .or_insert_with(|| Arc::new(sse_events(&arguments(scenario)))),
    )
}

/// The tool call's arguments for a scenario (compact JSON, ASCII).
fn arguments(scenario: Scenario) -> String {
    match scenario {
        Scenario::Iterable(n) => {
            let mut out = String::with_capacity(12 + n * 32);
            out.push_str(r#"{"tasks":["#);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, r#"{{"name":"User {i:05}","age":{}}}"#, 18 + i % 60);
            }
            out.push_str("]}");
            out
        }
        Scenario::Partial(size) => {
            const WORDS: [&str; 12] = [
                "lorem",
                "ipsum",
                "dolor",
                "sit",
                "amet",
                "consectetur",
                "adipiscing",
                "elit",
                "sed",
                "do",
                "eiusmod",
                "tempor",
            ];
            let mut summary = String::with_capacity(size / 2 + 16);
            let mut i = 0usize;
            while summary.len() < size / 2 {
                if i > 0 {
                    summary.push(if i.is_multiple_of(17) { '.' } else { ' ' });
                }
                summary.push_str(WORDS[(i * 7 + i / 12) % WORDS.len()]);
                i += 1;
            }
            summary.truncate(size / 2);
            let mut out = String::with_capacity(size + 64);
            let _ = write!(
                out,
                r#"{{"title":"Benchmark report","summary":"{summary}","items":["#
            );
            let mut item = String::new();
            for id in 0usize.. {
                item.clear();
                let _ = write!(
                    item,
                    r#"{{"id":{id},"label":"item {id}","done":{}}}"#,
                    id % 3 == 0
                );
                if id > 0 && out.len() + 1 + item.len() + 2 > size {
                    break;
                }
                if id > 0 {
                    out.push(',');
                }
                out.push_str(&item);
            }
            out.push_str("]}");
            out
        }
    }
}

/// The start of every chunk, up to the `choices` array's contents.
const CHUNK_PREFIX: &str = r#"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1727346143,"model":"gpt-4o-mini","system_fingerprint":"fp_bench","choices":["#;

/// The events after the first: the argument deltas, the finish, the usage, `[DONE]`.
fn sse_events(arguments: &str) -> Vec<u8> {
    let deltas = arguments.len().div_ceil(DELTA_BYTES);
    let mut out = String::with_capacity((deltas + 4) * (CHUNK_PREFIX.len() + 150));
    let mut start = 0;
    while start < arguments.len() {
        let mut end = (start + DELTA_BYTES).min(arguments.len());
        while !arguments.is_char_boundary(end) {
            end += 1;
        }
        out.push_str(CHUNK_PREFIX);
        out.push_str(r#"{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":""#);
        push_escaped(&mut out, &arguments[start..end]);
        out.push_str(r#""}}]},"logprobs":null,"finish_reason":null}],"usage":null}"#);
        out.push_str("\n\n");
        start = end;
    }
    out.push_str(CHUNK_PREFIX);
    out.push_str(r#"{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#);
    out.push_str("\n\n");
    let prompt = 82;
    let completion = arguments.len() / 4 + 1;
    out.push_str(CHUNK_PREFIX);
    let _ = write!(
        out,
        r#"],"usage":{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{}}}}}"#,
        prompt + completion
    );
    out.push_str("\n\ndata: [DONE]\n\n");
    out.into_bytes()
}

/// The first event: the role, and the tool call with its id and name.
fn first_event(name: &str) -> String {
    format!(
        "{CHUNK_PREFIX}{}{name}{}\n\n",
        r#"{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_bench","type":"function","function":{"name":""#,
        r#"","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    )
}

/// `text` as the inside of a JSON string.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Sends a stream: the head, the first event, then the rest `write_size` bytes per
/// HTTP chunk (0: one event per chunk), then the last chunk.
fn write_sse(
    stream: &mut TcpStream,
    name: &str,
    events: &[u8],
    write_size: usize,
) -> io::Result<()> {
    stream.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n",
    )?;
    let mut out = Vec::with_capacity(write_size.max(1024) + 32);
    write_chunk(stream, &mut out, first_event(name).as_bytes())?;
    if write_size == 0 {
        let mut rest = events;
        while !rest.is_empty() {
            let end = find(rest, b"\n\n").map_or(rest.len(), |i| i + 2);
            write_chunk(stream, &mut out, &rest[..end])?;
            rest = &rest[end..];
        }
    } else {
        for part in events.chunks(write_size) {
            write_chunk(stream, &mut out, part)?;
        }
    }
    stream.write_all(b"0\r\n\r\n")
}

/// One HTTP chunk in one write.
fn write_chunk(stream: &mut TcpStream, out: &mut Vec<u8>, data: &[u8]) -> io::Result<()> {
    out.clear();
    let _ = write!(out, "{:x}\r\n", data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    stream.write_all(out)
}
