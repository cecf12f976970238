//! A minimal OpenAI-compatible server for the client CPU benchmark
//! (`benches/client_cpu.rs`, `benches/python_client_cpu.py`, `benches/run_client_cpu.sh`).
//!
//! Every `POST …/chat/completions` gets the same canned Chat Completions answer: one
//! tool call to `User` with arguments `{"name":"Jason","age":25}`, plus usage. Anything
//! else gets a 404. HTTP/1.1 with keep-alive (and pipelining), `Content-Length` or
//! chunked request bodies, one thread per connection, std only.
//!
//! ```sh
//! cargo run --release --example bench_server -- --port 18080 --seconds 120
//! ```
//!
//! The port comes from `--port N` (or a bare number), else `BENCH_PORT`, else 18080. The
//! server exits by itself after `--seconds N` (else `BENCH_SERVER_SECONDS`, else 120).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

struct Config {
    port: u16,
    seconds: u64,
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
            other => {
                port = Some(other.parse().map_err(|_| {
                    format!("unknown argument `{other}` (use --port N --seconds N)")
                })?)
            }
        }
    }
    Ok(Config {
        port: port.unwrap_or(18080),
        seconds: seconds.unwrap_or(120),
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
    let served = Arc::new(AtomicU64::new(0));
    let answers = Arc::new((
        response("200 OK", ANSWER),
        response("404 Not Found", NOT_FOUND),
    ));

    // The watchdog: the server never outlives its time budget.
    {
        let served = Arc::clone(&served);
        let seconds = config.seconds;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds));
            println!(
                "bench_server: {seconds} s elapsed, {} requests served; exiting",
                served.load(Ordering::Relaxed)
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
        let served = Arc::clone(&served);
        let answers = Arc::clone(&answers);
        let spawned = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                // A connection error just ends that connection.
                let _ = serve_connection(stream, deadline, &served, &answers.0, &answers.1);
            });
        if let Err(e) = spawned {
            eprintln!("bench_server: cannot spawn a connection thread: {e}");
        }
    }
    println!(
        "bench_server: {} requests served; exiting",
        served.load(Ordering::Relaxed)
    );
}

/// What one parsed request needs from its head.
struct Head {
    is_chat: bool,
    close: bool,
    expect_continue: bool,
    body: BodyKind,
}

enum BodyKind {
    Length(usize),
    Chunked,
}

fn serve_connection(
    mut stream: TcpStream,
    deadline: Instant,
    served: &AtomicU64,
    ok: &[u8],
    not_found: &[u8],
) -> io::Result<()> {
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
        buf.drain(..request_end);
        stream.write_all(if head.is_chat { ok } else { not_found })?;
        served.fetch_add(1, Ordering::Relaxed);
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
        is_chat: method == "POST" && path.ends_with("/chat/completions"),
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
