//! Throughput, scaling and memory of the strict partial-JSON parser
//! (`instructor_core::partial::PartialJson`) against `serde_json::from_slice::<Value>`.
//!
//! Not a test and not a criterion bench (`harness = false`):
//!
//! ```sh
//! cargo bench -p instructor-core --bench partial_parser
//! ```
//!
//! The document is generated deterministically: an array of user records with
//! strings (escapes `\"`, `\\`, `\n`, `\/`, `\uXXXX` incl. a surrogate pair, and raw
//! non-ASCII: é, ü, 東京, 😀), integers, floats, booleans, nulls, nested objects and
//! nested arrays of numbers. Measured:
//!
//! - (a) the ~4 MB document fed to `PartialJson::new()` in 12-byte chunks, then
//!   `finish()`, against one `serde_json::from_slice::<Value>` of the whole document:
//!   median wall time of several runs each, and the ratio;
//! - (b) the same at 2x and 4x the size: the growth factor per doubling (2.0 = linear);
//! - (c) the peak memory of one 4 MB parse, over the input size. A counting global
//!   allocator is not possible (the workspace forbids `unsafe_code`; `GlobalAlloc`
//!   needs it), so each parse runs in a fresh child process (this binary, re-run with
//!   `--peak <parser> <size>`) that resets the resident-set high-water mark (`5` into
//!   `/proc/self/clear_refs`) after generating the document and reads `VmHWM` from
//!   `/proc/self/status` after the parse; peak = `VmHWM` − `VmRSS` before the parse.
//!   This counts the resident pages the parse touched (heap incl. the resulting
//!   `Value`), not exact heap bytes; `valgrind --tool=dhat` on a `--peak` run gives the
//!   exact heap peak.
//!
//! Arguments: `--reps N` (default 7 at 4 MB, fewer at the larger sizes), `--bench`
//! (added by `cargo bench`) is ignored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use instructor_core::partial::PartialJson;
use serde_json::Value;

const BASE_BYTES: usize = 4 * 1024 * 1024;
const CHUNK: usize = 12;

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Jason", "Zoë", "Jürgen", "Ana", "Søren", "Mei", "Олег", "Chloé", "Kenji", "Amélie",
];
const LAST: &[&str] = &[
    "Liu",
    "Müller",
    "O\\\"Brien",
    "García",
    "Nakamura",
    "Dubois",
    "Smith",
    "Kowalski",
];
const CITIES: &[&str] = &[
    "Zürich",
    "東京",
    "São Paulo",
    "Kraków",
    "New York",
    "Montr\\u00e9al",
    "Reykjavík",
];
const WORDS: &[&str] = &[
    "the",
    "model",
    "returned",
    "structured",
    "output",
    "with",
    "a",
    "\\\"quoted\\\"",
    "phrase",
    "back\\\\slash",
    "path\\/to\\/file",
    "tab\\there",
    "line\\nbreak",
    "caf\\u00e9",
    "emoji 😀",
    "\\ud83d\\ude80",
    "naïve",
    "日本語",
    "and",
    "more",
    "text",
];

/// About `target` bytes of JSON: `{"users": [record, ...], "count": n}`.
fn document(target: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(target + 4096);
    out.push_str("{\"users\": [");
    let mut n = 0u64;
    while out.len() < target {
        if n > 0 {
            out.push_str(",\n");
        }
        record(&mut out, &mut rng, n);
        n += 1;
    }
    out.push_str(&format!("], \"count\": {n}}}\n"));
    out.into_bytes()
}

fn record(out: &mut String, rng: &mut Rng, id: u64) {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    let city = rng.pick(CITIES);
    let mut bio = String::new();
    for i in 0..(8 + rng.below(24)) {
        if i > 0 {
            bio.push(' ');
        }
        bio.push_str(rng.pick(WORDS));
    }
    let score = rng.below(1_000_000) as f64 / 997.0 - 300.0;
    let lat = rng.below(180_000_000) as f64 / 1e6 - 90.0;
    let lon = rng.below(360_000_000) as f64 / 1e6 - 180.0;
    let mut tags = Vec::new();
    for _ in 0..rng.below(5) {
        tags.push(format!("\"{}\"", rng.pick(WORDS)));
    }
    let mut history = Vec::new();
    for _ in 0..rng.below(4) {
        let row: Vec<String> = (0..1 + rng.below(6))
            .map(|_| (rng.below(20_001) as i64 - 10_000).to_string())
            .collect();
        history.push(format!("[{}]", row.join(", ")));
    }
    out.push_str(&format!(
        concat!(
            "{{\"id\": {id}, \"name\": \"{first} {last}\", ",
            "\"email\": \"user{id}@example.com\", \"active\": {active}, ",
            "\"score\": {score}, \"balance\": {balance}, \"manager\": {manager}, ",
            "\"address\": {{\"city\": \"{city}\", \"zip\": \"{zip:05}\", ",
            "\"geo\": {{\"lat\": {lat}, \"lon\": {lon}}}}}, ",
            "\"tags\": [{tags}], \"history\": [{history}], \"bio\": \"{bio}\"}}"
        ),
        id = id,
        first = first,
        last = last,
        active = rng.below(2) == 0,
        score = score,
        balance = rng.below(10_000_000_000) as i64 - 1_000_000_000,
        manager = if rng.below(3) == 0 {
            "null".to_owned()
        } else {
            rng.below(id + 1).to_string()
        },
        city = city,
        zip = rng.below(100_000),
        lat = lat,
        lon = lon,
        tags = tags.join(", "),
        history = history.join(", "),
        bio = bio,
    ));
}

fn parse_partial(doc: &[u8]) -> Value {
    let mut p = PartialJson::new();
    for chunk in doc.chunks(CHUNK) {
        p.push(chunk).unwrap();
    }
    p.finish().unwrap()
}

fn parse_serde(doc: &[u8]) -> Value {
    serde_json::from_slice::<Value>(doc).unwrap()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

/// Median wall time of `reps` runs (after one untimed warm-up run), dropping the value
/// outside the timed region.
fn time(reps: usize, doc: &[u8], parse: fn(&[u8]) -> Value) -> Duration {
    drop(black_box(parse(black_box(doc))));
    let times = (0..reps)
        .map(|_| {
            let start = Instant::now();
            let value = black_box(parse(black_box(doc)));
            let elapsed = start.elapsed();
            drop(value);
            elapsed
        })
        .collect();
    median(times)
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Child process: one parse of a fresh document; prints `rss_before_kb peak_kb`.
fn peak_child(parser: &str, size: usize) {
    let doc = document(size);
    let parse = match parser {
        "partial" => parse_partial,
        "serde" => parse_serde,
        other => panic!("unknown parser {other}"),
    };
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kb("VmRSS:");
    let value = black_box(parse(black_box(&doc)));
    let peak = status_kb("VmHWM:");
    drop(value);
    println!("{before} {peak} {}", doc.len());
}

/// Peak resident growth of one parse in a fresh process, in bytes.
fn peak_bytes(parser: &str, size: usize) -> (u64, usize) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--peak", parser, &size.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let nums: Vec<u64> = text
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    ((nums[1] - nums[0]) * 1024, nums[2] as usize)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--peak") {
        peak_child(&args[i + 1], args[i + 2].parse().unwrap());
        return;
    }
    let reps: Option<usize> = args
        .iter()
        .position(|a| a == "--reps")
        .map(|i| args[i + 1].parse().unwrap());

    let doc = document(BASE_BYTES);
    assert_eq!(parse_partial(&doc), parse_serde(&doc), "both parsers agree");
    println!(
        "partial_parser: strict PartialJson in {CHUNK}-byte chunks vs serde_json::from_slice::<Value>"
    );

    // (a) and (b)
    println!();
    println!(
        "{:>10} {:>5} {:>12} {:>9} {:>12} {:>9} {:>7}",
        "size", "reps", "partial ms", "MB/s", "serde ms", "MB/s", "ratio"
    );
    let mut rows = Vec::new();
    for (factor, default_reps) in [(1, 7), (2, 5), (4, 3)] {
        let doc = document(BASE_BYTES * factor);
        let reps = reps.unwrap_or(default_reps);
        let partial = time(reps, &doc, parse_partial);
        let serde = time(reps, &doc, parse_serde);
        let mb = doc.len() as f64 / (1024.0 * 1024.0);
        println!(
            "{:>7.2} MB {:>5} {:>12.1} {:>9.1} {:>12.1} {:>9.1} {:>6.2}x",
            mb,
            reps,
            ms(partial),
            mb / partial.as_secs_f64(),
            ms(serde),
            mb / serde.as_secs_f64(),
            partial.as_secs_f64() / serde.as_secs_f64()
        );
        rows.push((doc.len(), partial, serde));
    }
    println!();
    println!("growth per doubling of the input (2.00 = linear):");
    for pair in rows.windows(2) {
        let (n0, p0, s0) = pair[0];
        let (n1, p1, s1) = pair[1];
        // Normalised to an exact doubling of the byte count.
        let norm = 2.0 / (n1 as f64 / n0 as f64);
        println!(
            "  {:.1} MB -> {:.1} MB: partial {:.2}, serde_json {:.2}",
            n0 as f64 / 1048576.0,
            n1 as f64 / 1048576.0,
            p1.as_secs_f64() / p0.as_secs_f64() * norm,
            s1.as_secs_f64() / s0.as_secs_f64() * norm
        );
    }

    // (c)
    println!();
    println!("peak resident growth during one parse (fresh process, VmHWM - VmRSS before):");
    for parser in ["partial", "serde"] {
        let (peak, input) = peak_bytes(parser, BASE_BYTES);
        println!(
            "  {:<8} {:>8.1} MB for {:.2} MB of input = {:.2}x the input",
            parser,
            peak as f64 / 1048576.0,
            input as f64 / 1048576.0,
            peak as f64 / input as f64
        );
    }
}
