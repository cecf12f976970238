//! `results_stream` over a large OpenAI batch output: time and peak RSS.
//!
//! Not a test: a local server (in this process, on loopback) emulates the Batches
//! and Files endpoints and generates the output file on the fly, one chat
//! completion with a tool call per line (about 450 bytes), streamed in chunks. For
//! each size the job (submitted once for one item, then given N custom ids, as a
//! saved job file would be) is loaded from JSON, and every item is read through
//! `results_stream` and checked. Peak RSS is reset before each size
//! (`/proc/self/clear_refs`) and read from `VmHWM` after it.
//!
//! ```sh
//! cargo bench --bench batch_bench                       # 100,000 then 1,000,000 lines
//! BENCH_BATCH_SIZES=10000,100000 cargo bench --bench batch_bench
//! ```
//!
//! Prints one machine-readable line per size:
//! `RESULT rust batch_results lines=<n> wall_s=<x> lines_per_s=<y> peak_rss_mb=<z>
//! job_loaded_rss_mb=<r> job_file_mb=<j>`. What grows with N is the job itself (its custom
//! ids, about 15 bytes each here, plus 4 bytes of lookup index per item).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Bytes;
use hyper::body::Frame;
use hyper::{Request as HttpRequest, Response};
use instructor::BatchJob;
use instructor::prelude::*;
use instructor::providers::OpenAI;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[path = "support/bench_run.rs"]
#[allow(dead_code, reason = "this bench uses only `fail`")]
mod bench_run;
#[path = "support/proc_cpu.rs"]
#[allow(
    dead_code,
    reason = "needed by bench_run; its CPU readings are not used here"
)]
mod proc_cpu;

use bench_run::fail;

/// A person mentioned in the text.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    /// Full name as written in the text.
    #[instruct(min_length = 1, max_length = 100)]
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
}

const MODEL: &str = "gpt-4o-mini";
const LINES_PER_CHUNK: usize = 256;

fn id(n: usize) -> String {
    format!("doc-{n:08}")
}

fn output_line(n: usize) -> String {
    let body = json!({
        "id": format!("chatcmpl-{n}"), "object": "chat.completion", "created": 1727346143, "model": MODEL,
        "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": null,
            "message": {"role": "assistant", "content": null, "refusal": null, "tool_calls": [
                {"id": format!("call_{n}"), "type": "function",
                 "function": {"name": "User", "arguments": "{\"name\":\"Jason\",\"age\":25}"}}]}}],
        "usage": {"prompt_tokens": 60, "completion_tokens": 12, "total_tokens": 72}
    });
    let mut line = json!({"id": format!("batch_req_{n}"), "custom_id": id(n),
        "response": {"status_code": 200, "request_id": format!("req_{n}"), "body": body}, "error": null})
    .to_string();
    line.push('\n');
    line
}

type Body = BoxBody<Bytes, Infallible>;

fn json_response(value: Value) -> Response<Body> {
    Response::new(Full::new(Bytes::from(value.to_string())).boxed())
}

/// The emulated endpoints: uploads and batch creation (for the one-item submit),
/// a completed batch of `lines` (from the path `/v1/batches/batch-<lines>`), and
/// its output file generated line by line.
async fn route(request: HttpRequest<hyper::body::Incoming>) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_owned();
    let _ = request.into_body().collect().await;
    let response = if path == "/v1/files" {
        json_response(json!({"id": "file-in", "object": "file", "purpose": "batch"}))
    } else if path == "/v1/batches" {
        json_response(json!({"id": "batch-1", "object": "batch", "status": "validating"}))
    } else if let Some(lines) = path.strip_prefix("/v1/batches/batch-") {
        let total: usize = lines.parse().unwrap_or(0);
        json_response(
            json!({"id": format!("batch-{total}"), "object": "batch", "status": "completed",
            "output_file_id": format!("file-out-{total}"), "error_file_id": null,
            "request_counts": {"total": total, "completed": total, "failed": 0}}),
        )
    } else if let Some(rest) = path.strip_prefix("/v1/files/file-out-") {
        let total: usize = rest.trim_end_matches("/content").parse().unwrap_or(0);
        let chunks = futures::stream::iter((0..total).step_by(LINES_PER_CHUNK)).map(move |start| {
            let mut chunk = String::with_capacity(LINES_PER_CHUNK * 512);
            for n in start..(start + LINES_PER_CHUNK).min(total) {
                chunk.push_str(&output_line(n));
            }
            Ok::<_, Infallible>(Frame::data(Bytes::from(chunk)))
        });
        Response::new(BodyExt::boxed(StreamBody::new(chunks)))
    } else {
        let mut response = json_response(json!({"error": {"message": "not found"}}));
        *response.status_mut() = hyper::StatusCode::NOT_FOUND;
        response
    };
    Ok(response)
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| fail(&format!("bind: {e}")));
    let address = listener
        .local_addr()
        .unwrap_or_else(|e| fail(&format!("address: {e}")));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let service = hyper::service::service_fn(route);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    address
}

fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets the peak RSS to the current RSS (Linux 4.0+).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Writes a saved job for `lines` items to a file: the one-item job's JSON with N
/// ids (written as text, so building it costs no memory).
fn write_job(template: &Value, lines: usize) -> Result<std::path::PathBuf, String> {
    use std::io::Write;
    let mut job = template.clone();
    job["batch_ids"] = json!([format!("batch-{lines}")]);
    job["items"] = json!("__ITEMS__");
    let text = job.to_string();
    let (head, tail) = text
        .split_once("\"__ITEMS__\"")
        .ok_or_else(|| "no items placeholder".to_owned())?;
    let path = std::env::temp_dir().join(format!(
        "batch-bench-job-{}-{lines}.json",
        std::process::id()
    ));
    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        out.write_all(head.as_bytes())?;
        out.write_all(b"[")?;
        for n in 0..lines {
            if n > 0 {
                out.write_all(b",")?;
            }
            write!(out, "\"{}\"", id(n))?;
        }
        out.write_all(b"]")?;
        out.write_all(tail.as_bytes())?;
        out.flush()
    };
    write().map_err(|e| e.to_string())?;
    Ok(path)
}

async fn run(client: &Client, template: &Value, lines: usize) -> Result<(), String> {
    let path = write_job(template, lines)?;
    let job_mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);
    reset_peak();
    let start = Instant::now();
    let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
    let job: BatchJob =
        serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&path);
    let loaded_mb = status_kb("VmRSS:") as f64 / 1024.0;
    let batches = client.batch::<User>();
    let mut stream = batches
        .results_stream(&job)
        .await
        .map_err(|e| e.to_string())?;
    let mut count = 0usize;
    let mut tokens = 0u64;
    while let Some(item) = stream.next().await {
        let item = item.map_err(|e| e.to_string())?;
        match item.result {
            Ok(user) if user.age == 25 => {}
            other => return Err(format!("{}: {other:?}", item.custom_id)),
        }
        tokens += item.usage.total_tokens;
        count += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    if count != lines || tokens != 72 * lines as u64 {
        return Err(format!("{count} items for {lines} lines"));
    }
    let peak_mb = status_kb("VmHWM:") as f64 / 1024.0;
    println!(
        "rust batch_results lines={lines:<8} wall={wall:>7.2} s  lines/s={:>8.0}  peak RSS={peak_mb:>6.1} MB  (RSS with the job loaded {loaded_mb:.1} MB; job file {job_mb:.1} MB)",
        lines as f64 / wall
    );
    println!(
        "RESULT rust batch_results lines={lines} wall_s={wall:.3} lines_per_s={:.0} peak_rss_mb={peak_mb:.1} job_loaded_rss_mb={loaded_mb:.1} job_file_mb={job_mb:.1}",
        lines as f64 / wall
    );
    Ok(())
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_BATCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".to_owned())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|_| fail(&format!("bad size {s:?}")))
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("tokio runtime: {e}")));
    let outcome: Result<(), String> = runtime.block_on(async {
        let address = serve().await;
        let client = instructor::from_openai(
            OpenAI::new("sk-bench")
                .base_url(format!("http://{address}/v1"))
                .timeout(Duration::from_secs(600)),
        )
        .with_model(MODEL);
        let job = client
            .batch::<User>()
            .submit(vec![(id(0), Request::new(MODEL).user("Jason is 25."))])
            .await
            .map_err(|e| e.to_string())?;
        let template = serde_json::to_value(&job).map_err(|e| e.to_string())?;
        println!(
            "batch_bench: results_stream over a local OpenAI batch output (baseline RSS {:.1} MB)",
            status_kb("VmRSS:") as f64 / 1024.0
        );
        for lines in sizes {
            run(&client, &template, lines).await?;
        }
        Ok(())
    });
    if let Err(e) = outcome {
        fail(&e);
    }
}
