//! `create_many` throughput and client CPU per call against a zero-latency local
//! server.
//!
//! Not a test and not a criterion bench: it runs N `create::<User>` calls through
//! `create_many` at concurrency C (default 10,000 at 64), once with no rate limit and
//! once with a `RateLimit` far above what the machine can reach (to show what the
//! limiter costs), and, side by side, the same calls by hand (C tokio tasks pulling
//! from a shared counter). For each it prints calls per second and this process's
//! CPU time per call (user+system, all threads, from `/proc/self/stat`). The server is
//! `examples/bench_server.rs`; `benches/run_many_bench.sh` builds and runs both.
//!
//! ```sh
//! cargo run --release --example bench_server -- --seconds 300 &
//! BENCH_URL=http://127.0.0.1:18080/v1 cargo bench --bench many_bench
//! ```
//!
//! Settings (environment): `BENCH_URL` (default `http://127.0.0.1:18080/v1`),
//! `BENCH_MANY_TOTAL` (10000), `BENCH_MANY_CONCURRENCY` (64), `BENCH_WARMUP` (200).
//!
//! Besides the human-readable lines it prints one machine-readable line per phase:
//! `RESULT rust <many|many_limited|tasks> calls=<n> concurrency=<c> calls_per_s=<x>
//! cpu_us_per_call=<y> wall_s=<z>`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use instructor::prelude::*;
use instructor::providers::OpenAI;
use instructor::{Progress, RateLimit};
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

fn requests(n: usize) -> impl Iterator<Item = Request> + Send + 'static {
    (0..n).map(|_| Request::new(MODEL).user(PROMPT))
}

fn report(phase: &str, calls: usize, concurrency: usize, start: &Snapshot, end: &Snapshot) {
    let ticks_per_s = clock_ticks();
    let wall = end.wall.duration_since(start.wall).as_secs_f64();
    let cpu_us = (end.ticks - start.ticks) as f64 * 1e6 / ticks_per_s as f64;
    let per_call = cpu_us / calls as f64;
    let precise = match (start.live_ns, end.live_ns) {
        (Some(a), Some(b)) if b >= a => format!("{:.2}", (b - a) as f64 / 1e3 / calls as f64),
        _ => "n/a".to_owned(),
    };
    println!(
        "rust {phase:<12} calls={calls:<6} concurrency={concurrency:<3} wall={wall:>7.3} s  calls/s={:>8.0}  CPU/call={per_call:>7.2} µs  [threads' schedstat: {precise} µs/call]",
        calls as f64 / wall,
    );
    println!(
        "RESULT rust {phase} calls={calls} concurrency={concurrency} calls_per_s={:.1} cpu_us_per_call={per_call:.3} wall_s={wall:.4}",
        calls as f64 / wall,
    );
}

fn check(user: &instructor::Result<User>) -> Result<(), String> {
    match user {
        Ok(u) if u.name == "Jason" && u.age == 25 => Ok(()),
        Ok(u) => Err(format!("unexpected answer {u:?}")),
        Err(e) => Err(e.to_string()),
    }
}

/// `total` calls through `create_many`; every result checked.
async fn many(
    client: &Client,
    total: usize,
    concurrency: usize,
    limit: Option<RateLimit>,
) -> Result<(), String> {
    let finished = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&finished);
    let mut run = client
        .create_many::<User>(requests(total))
        .concurrency(concurrency)
        .on_progress(move |p: &Progress| seen.store(p.done, Ordering::Relaxed));
    if let Some(limit) = limit {
        run = run.rate_limit(limit);
    }
    let results = run.collect().await;
    results.iter().try_for_each(check)?;
    if results.len() != total || finished.load(Ordering::Relaxed) != total {
        return Err(format!("{} results for {total} requests", results.len()));
    }
    Ok(())
}

/// The same calls by hand: `concurrency` tokio tasks pulling from a shared counter.
async fn tasks(client: &Client, total: usize, concurrency: usize) -> Result<(), String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let client = client.clone();
        let next = Arc::clone(&next);
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                check(
                    &client
                        .create::<User>(Request::new(MODEL).user(PROMPT))
                        .await,
                )?;
            }
            Ok::<(), String>(())
        }));
    }
    for worker in workers {
        worker.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

fn main() {
    let url = std::env::var("BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:18080/v1".to_owned());
    let total = env_usize("BENCH_MANY_TOTAL", 10_000).max(1);
    let concurrency = env_usize("BENCH_MANY_CONCURRENCY", 64).max(1);
    let warmup = env_usize("BENCH_WARMUP", 200);
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
        "many_bench: instructor (Rust) against {url}; {total} calls at concurrency {concurrency}"
    );
    let outcome: Result<(), String> = runtime.block_on(async {
        // Warm-up: the first calls, and one connection per slot.
        many(&client, warmup.max(concurrency), concurrency, None).await?;

        let start = Snapshot::now();
        many(&client, total, concurrency, None).await?;
        report("many", total, concurrency, &start, &Snapshot::now());

        // A limit no run here reaches: what pacing every attempt costs.
        let limit = RateLimit::new()
            .requests_per_minute(600_000_000)
            .tokens_per_minute(u32::MAX);
        let start = Snapshot::now();
        many(&client, total, concurrency, Some(limit)).await?;
        report("many_limited", total, concurrency, &start, &Snapshot::now());

        let start = Snapshot::now();
        tasks(&client, total, concurrency).await?;
        report("tasks", total, concurrency, &start, &Snapshot::now());
        Ok(())
    });
    if let Err(e) = outcome {
        fail(&format!("a call failed: {e}"));
    }
}
