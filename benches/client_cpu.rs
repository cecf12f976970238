//! Client CPU time per `create` call against a local OpenAI-compatible server.
//!
//! Not a test and not a criterion bench: it measures this process's user+system CPU
//! time (all threads, from `/proc/self/stat`) around N sequential `create::<User>` calls
//! and around M calls kept 256-at-a-time in flight on tokio tasks, and prints CPU µs per
//! call and wall time. The server is `examples/bench_server.rs`; the Python counterpart
//! is `benches/python_client_cpu.py`; `benches/run_client_cpu.sh` runs everything.
//!
//! ```sh
//! cargo run --release --example bench_server -- --seconds 300 &
//! BENCH_URL=http://127.0.0.1:18080/v1 cargo bench --bench client_cpu
//! ```
//!
//! Each phase should burn well over a second of CPU: `/proc/self/stat` counts in clock
//! ticks (10 ms). The per-thread `schedstat` figure printed alongside is exact to the
//! nanosecond but misses threads that exited.
//!
//! Settings (environment): `BENCH_URL` (default `http://127.0.0.1:18080/v1`),
//! `BENCH_SEQ` (10000), `BENCH_CONC_TOTAL` (50000), `BENCH_CONCURRENCY` (256),
//! `BENCH_WARMUP` (200).
//!
//! Besides the human-readable lines it prints one machine-readable line per phase:
//! `RESULT rust <seq|conc> calls=<n> cpu_us_per_call=<x> wall_s=<y> ...`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use instructor::prelude::*;
use instructor::providers::OpenAI;
use serde::{Deserialize, Serialize};

#[path = "support/bench_run.rs"]
mod bench_run;
#[path = "support/proc_cpu.rs"]
mod proc_cpu;

use bench_run::{Snapshot, env_usize, fail};
use proc_cpu::clock_ticks;

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
const PROMPT: &str = "Jason is 25 years old.";

fn request() -> Request {
    Request::new(MODEL).user(PROMPT)
}

fn report(
    phase: &str,
    calls: usize,
    concurrency: usize,
    start: &Snapshot,
    end: &Snapshot,
    ticks_per_s: u64,
) {
    let wall = end.wall.duration_since(start.wall);
    let cpu_us = (end.ticks - start.ticks) as f64 * 1e6 / ticks_per_s as f64;
    let per_call = cpu_us / calls as f64;
    let precise = match (start.live_ns, end.live_ns) {
        (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / 1e3 / calls as f64),
        _ => None,
    };
    let resolution = 1e6 / ticks_per_s as f64 / calls as f64;
    println!(
        "rust {phase:<4} calls={calls:<6} concurrency={concurrency:<3} wall={:>8.3} s  calls/s={:>9.0}  CPU={:>9.1} ms  CPU/call={per_call:>8.2} µs (±{resolution:.2} tick)  [threads' schedstat: {} µs/call]",
        wall.as_secs_f64(),
        calls as f64 / wall.as_secs_f64(),
        cpu_us / 1e3,
        precise.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.2}")),
    );
    println!(
        "RESULT rust {phase} calls={calls} concurrency={concurrency} cpu_us_per_call={per_call:.3} wall_s={:.4} cpu_s={:.4} schedstat_us_per_call={}",
        wall.as_secs_f64(),
        cpu_us / 1e6,
        precise.map_or_else(|| "nan".to_owned(), |p| format!("{p:.3}")),
    );
}

fn check(user: instructor::Result<User>) -> Result<(), String> {
    match user {
        Ok(u) if u.name == "Jason" && u.age == 25 => Ok(()),
        Ok(u) => Err(format!("unexpected answer {u:?}")),
        Err(e) => Err(e.to_string()),
    }
}

/// `total` calls, `concurrency` at a time, on tokio tasks pulling from a shared counter.
async fn concurrent(client: &Client, total: usize, concurrency: usize) -> Result<(), String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let client = client.clone();
        let next = Arc::clone(&next);
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                check(client.create::<User>(request()).await)?;
            }
            Ok::<(), String>(())
        }));
    }
    let mut first_error = None;
    for worker in workers {
        let outcome = worker.await.map_err(|e| e.to_string()).and_then(|r| r);
        if let (Err(e), None) = (outcome, &first_error) {
            first_error = Some(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn main() {
    let url = std::env::var("BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:18080/v1".to_owned());
    let seq = env_usize("BENCH_SEQ", 10_000).max(1);
    let conc_total = env_usize("BENCH_CONC_TOTAL", 50_000).max(1);
    let concurrency = env_usize("BENCH_CONCURRENCY", 256).max(1);
    let warmup = env_usize("BENCH_WARMUP", 200);
    let ticks_per_s = clock_ticks();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("tokio runtime: {e}")));
    let client = instructor::from_openai(
        OpenAI::new("sk-bench")
            .base_url(url.clone())
            .timeout(Duration::from_secs(30)),
    )
    .with_mode(Mode::Tools)
    .with_model(MODEL);

    println!(
        "client_cpu: instructor (Rust) against {url}; {seq} sequential calls, {conc_total} calls at concurrency {concurrency}; CPU = utime+stime from /proc/self/stat ({ticks_per_s} ticks/s)"
    );

    let outcome: Result<(), String> = runtime.block_on(async {
        // Warm-up: the first calls, and one connection per concurrent slot.
        for _ in 0..warmup {
            check(client.create::<User>(request()).await)?;
        }
        concurrent(&client, concurrency.max(warmup), concurrency).await?;

        let start = Snapshot::now();
        for _ in 0..seq {
            check(client.create::<User>(request()).await)?;
        }
        let end = Snapshot::now();
        report("seq", seq, 1, &start, &end, ticks_per_s);

        let start = Snapshot::now();
        concurrent(&client, conc_total, concurrency).await?;
        let end = Snapshot::now();
        report("conc", conc_total, concurrency, &start, &end, ticks_per_s);
        Ok(())
    });
    if let Err(e) = outcome {
        fail(&format!("a call failed: {e}"));
    }
}
