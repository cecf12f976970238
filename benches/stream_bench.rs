//! Streaming cost of `create_iterable` and `create_partial` against a local server.
//!
//! Not a test and not a criterion bench: for each scenario given on the command line it
//! runs one streamed call per repetition against `examples/bench_server.rs` and reports
//! the wall time end to end (from the call to the end of the stream), this process's
//! CPU time, and its memory. The Python counterpart is `benches/python_stream_bench.py`;
//! `benches/run_stream_bench.sh` runs both and prints the comparison.
//!
//! Scenarios (the server streams the same bytes to both clients):
//! - `iterable:<n>`: `create_iterable::<User>` of `n` users (a `{"tasks":[…]}` tool call
//!   in 12-byte argument deltas); every item is validated and checked, none is kept;
//! - `partial:<bytes>`: `create_partial::<Report>` of one report of about `bytes` bytes
//!   (a long string and an array of small objects) in 12-byte deltas; every snapshot is
//!   received (and dropped), then the validated final value is taken.
//!
//! ```sh
//! cargo run --release --example bench_server -- --seconds 300 &
//! BENCH_URL=http://127.0.0.1:18080/v1 cargo bench --bench stream_bench -- iterable:50000 partial:65536
//! ```
//!
//! Measurements, per repetition:
//! - wall: `Instant` around the call and the draining of its stream;
//! - CPU: the sum over this process's threads of `/proc/self/task/*/schedstat` (on-CPU
//!   nanoseconds; the runtime is tokio's current-thread one, so the work is on the main
//!   thread), with `/proc/self/stat` utime+stime (clock ticks) as a cross-check;
//! - memory: the resident-set high-water mark is reset (`5` into `/proc/self/clear_refs`)
//!   before the call and read (`VmHWM` in `/proc/self/status`) after it, next to the
//!   resident set before the call (`VmRSS`). A counting global allocator is not possible
//!   here: the workspace forbids `unsafe_code`, and implementing `GlobalAlloc` needs it;
//!   `run_stream_bench.sh` measures the exact peak heap with valgrind's DHAT instead
//!   (`BENCH_DHAT=1`).
//!
//! Settings (environment): `BENCH_URL` (default `http://127.0.0.1:18080/v1`),
//! `BENCH_REPS` (5; the median is reported), `BENCH_WARMUP` (1: untimed calls of a
//! small scenario of the same kind first), `BENCH_TIMEOUT` (7200: seconds per call). Arguments: scenarios; `--reps N` overrides
//! `BENCH_REPS`; `--bench` (added by `cargo bench`) is ignored.
//!
//! Besides the human-readable lines it prints one machine-readable line per scenario:
//! `RESULT rust <scenario> reps=<n> wall_s=<median> cpu_s=<median> … rss_peak_kb=<k>`.

use std::time::{Duration, Instant};

use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::OpenAI;
use serde::{Deserialize, Serialize};

#[path = "support/proc_cpu.rs"]
mod proc_cpu;

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

/// One line of a report.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    id: u32,
    label: String,
    done: bool,
}

/// A long report: a title, a long summary and many small items.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Report {
    title: String,
    summary: String,
    items: Vec<Item>,
}

const MODEL: &str = "gpt-4o-mini";
/// Bytes of arguments per delta (as the server sends them).
const DELTA_BYTES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Iterable(usize),
    Partial(usize),
}

impl Scenario {
    fn parse(text: &str) -> Result<Self, String> {
        let (kind, n) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}`: use iterable:<items> or partial:<bytes>"))?;
        let n: usize = n
            .parse()
            .map_err(|e| format!("`{text}`: bad number: {e}"))?;
        match kind {
            "iterable" => Ok(Self::Iterable(n)),
            "partial" => Ok(Self::Partial(n)),
            _ => Err(format!(
                "`{text}`: unknown kind (use iterable:<items> or partial:<bytes>)"
            )),
        }
    }

    fn label(self) -> String {
        match self {
            Self::Iterable(n) => format!("iterable:{n}"),
            Self::Partial(n) => format!("partial:{n}"),
        }
    }

    fn path(self) -> String {
        match self {
            Self::Iterable(n) => format!("sse/iterable/{n}"),
            Self::Partial(n) => format!("sse/partial/{n}"),
        }
    }

    /// A small scenario of the same kind, for the warm-up.
    fn small(self) -> Self {
        match self {
            Self::Iterable(_) => Self::Iterable(100),
            Self::Partial(_) => Self::Partial(2048),
        }
    }
}

/// What one call did.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: Duration,
    /// On-CPU ns of the live threads (schedstat).
    cpu_ns: u64,
    /// utime + stime, in clock ticks.
    ticks: u64,
    /// Items (iterable) or snapshots (partial).
    units: usize,
    /// The answer's JSON size.
    json_bytes: usize,
    rss_base_kb: u64,
    rss_peak_kb: u64,
}

/// The process's CPU ticks (the bench cannot go on without them).
fn process_ticks() -> u64 {
    proc_cpu::process_cpu_ticks().unwrap_or_else(|| fail("cannot read /proc/self/stat"))
}

/// On-CPU nanoseconds of the live threads (the bench cannot go on without them).
fn live_ns() -> u64 {
    proc_cpu::threads_cpu_ns().unwrap_or_else(|| fail("cannot list /proc/self/task"))
}

fn fail(message: &str) -> ! {
    eprintln!("stream_bench: {message}");
    std::process::exit(1)
}

/// A `kB` line of `/proc/self/status` (`VmRSS`, `VmHWM`).
fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Resets the resident-set high-water mark to the current resident set.
fn reset_peak_rss() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("stream_bench: cannot reset the RSS high-water mark ({e}); peak is since start");
    }
}

fn client(base: &str, scenario: Scenario, timeout: Duration) -> Client {
    instructor::from_openai(
        OpenAI::new("sk-bench")
            .base_url(format!("{base}/{}", scenario.path()))
            .timeout(timeout),
    )
    .with_mode(Mode::Tools)
    .with_model(MODEL)
}

fn request(scenario: Scenario) -> Request {
    let prompt = match scenario {
        Scenario::Iterable(n) => format!("Extract the {n} users."),
        Scenario::Partial(n) => format!("Write a report of about {n} bytes."),
    };
    Request::new(MODEL).user(prompt)
}

fn digits(mut n: u32) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// One call, drained; returns (items or snapshots, JSON size of the answer).
async fn call(client: &Client, scenario: Scenario) -> Result<(usize, usize), String> {
    match scenario {
        Scenario::Iterable(n) => {
            let mut stream = client
                .create_iterable::<User>(request(scenario))
                .await
                .map_err(|e| e.to_string())?;
            let mut count = 0usize;
            // `{"tasks":[` + `]}`, the commas, and each item as compact JSON.
            let mut json_bytes = 12 + n.saturating_sub(1);
            let mut last = None;
            while let Some(user) = stream.next().await {
                let user = user.map_err(|e| format!("item {count}: {e}"))?;
                json_bytes += 18 + user.name.len() + digits(user.age);
                count += 1;
                last = Some(user);
            }
            let expected = n
                .checked_sub(1)
                .map(|i| format!("User {i:05}"))
                .unwrap_or_default();
            if count != n || last.as_ref().map(|u| u.name.as_str()).unwrap_or("") != expected {
                return Err(format!(
                    "expected {n} users ending with {expected:?}, got {count} ending with {last:?}"
                ));
            }
            Ok((count, json_bytes))
        }
        Scenario::Partial(_) => {
            let mut stream = client
                .create_partial::<Report>(request(scenario))
                .await
                .map_err(|e| e.to_string())?;
            let mut snapshots = 0usize;
            while let Some(partial) = stream.next().await {
                partial.map_err(|e| format!("snapshot {snapshots}: {e}"))?;
                snapshots += 1;
            }
            let report = stream
                .take_final()
                .ok_or("the stream ended without a final value")?;
            if report.items.is_empty() || report.summary.is_empty() {
                return Err(format!(
                    "unexpected report: {} summary bytes, {} items",
                    report.summary.len(),
                    report.items.len()
                ));
            }
            let json_bytes = serde_json::to_string(&report)
                .map_err(|e| e.to_string())?
                .len();
            Ok((snapshots, json_bytes))
        }
    }
}

async fn measured(client: &Client, scenario: Scenario) -> Result<Run, String> {
    reset_peak_rss();
    let rss_base_kb = status_kb("VmRSS");
    let (ticks0, ns0, wall0) = (process_ticks(), live_ns(), Instant::now());
    let (units, json_bytes) = call(client, scenario).await?;
    let wall = wall0.elapsed();
    let (ns1, ticks1) = (live_ns(), process_ticks());
    Ok(Run {
        wall,
        cpu_ns: ns1.saturating_sub(ns0),
        ticks: ticks1 - ticks0,
        units,
        json_bytes,
        rss_base_kb,
        rss_peak_kb: status_kb("VmHWM"),
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn report(scenario: Scenario, runs: &[Run], ticks_per_s: u64) {
    let Some(first) = runs.first() else { return };
    let wall = median(runs.iter().map(|r| r.wall.as_secs_f64()).collect());
    let cpu = median(runs.iter().map(|r| r.cpu_ns as f64 / 1e9).collect());
    let wall_min = runs
        .iter()
        .map(|r| r.wall.as_secs_f64())
        .fold(f64::INFINITY, f64::min);
    let cpu_min = runs
        .iter()
        .map(|r| r.cpu_ns as f64 / 1e9)
        .fold(f64::INFINITY, f64::min);
    let ticks_cpu = median(
        runs.iter()
            .map(|r| r.ticks as f64 / ticks_per_s as f64)
            .collect(),
    );
    let peak = runs.iter().map(|r| r.rss_peak_kb).max().unwrap_or(0);
    let base = first.rss_base_kb;
    let deltas = first.json_bytes.div_ceil(DELTA_BYTES);
    let growth_kb = peak.saturating_sub(base);
    println!(
        "rust {:<16} reps={} wall={wall:.4} s (min {wall_min:.4})  CPU={cpu:.4} s (min {cpu_min:.4}; ticks {ticks_cpu:.2})  {} {}  json={} B in {deltas} deltas  CPU/delta={:.2} µs  RSS before={base} kB peak={peak} kB (+{growth_kb} kB = {:.2}x json)",
        scenario.label(),
        runs.len(),
        first.units,
        match scenario {
            Scenario::Iterable(_) => "items",
            Scenario::Partial(_) => "snapshots",
        },
        first.json_bytes,
        cpu * 1e6 / deltas.max(1) as f64,
        growth_kb as f64 * 1024.0 / first.json_bytes.max(1) as f64,
    );
    println!(
        "RESULT rust {} reps={} wall_s={wall:.6} cpu_s={cpu:.6} wall_min_s={wall_min:.6} cpu_min_s={cpu_min:.6} ticks_cpu_s={ticks_cpu:.4} units={} json_bytes={} deltas={deltas} rss_base_kb={base} rss_peak_kb={peak}",
        scenario.label(),
        runs.len(),
        first.units,
        first.json_bytes,
    );
}

fn main() {
    let base =
        std::env::var("BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:18080/v1".to_owned());
    let base = base.trim_end_matches('/').to_owned();
    let mut reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(5);
    // The whole call, stream included (valgrind makes the large ones slow).
    let timeout = Duration::from_secs(
        std::env::var("BENCH_TIMEOUT")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(7200),
    );
    let warmup: usize = std::env::var("BENCH_WARMUP")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1);
    let mut scenarios = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--reps" => {
                reps = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| fail("--reps needs a number"))
            }
            other => scenarios.push(Scenario::parse(other).unwrap_or_else(|e| fail(&e))),
        }
    }
    if scenarios.is_empty() {
        scenarios = vec![Scenario::Iterable(50_000), Scenario::Partial(64 * 1024)];
    }
    let reps = reps.max(1);
    let ticks_per_s = clock_ticks();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("tokio runtime: {e}")));
    println!(
        "stream_bench: instructor (Rust) against {base}; {reps} repetition(s) per scenario (median reported), tokio current-thread runtime"
    );
    let outcome: Result<(), String> = runtime.block_on(async {
        for &scenario in &scenarios {
            let small = client(&base, scenario.small(), timeout);
            for _ in 0..warmup {
                call(&small, scenario.small()).await?;
            }
            let client = client(&base, scenario, timeout);
            let mut runs = Vec::with_capacity(reps);
            for _ in 0..reps {
                runs.push(
                    measured(&client, scenario)
                        .await
                        .map_err(|e| format!("{}: {e}", scenario.label()))?,
                );
            }
            report(scenario, &runs, ticks_per_s);
        }
        Ok(())
    });
    if let Err(e) = outcome {
        fail(&e);
    }
}
