//! What the client benches share around `/proc` CPU readings: settings from the
//! environment, a fatal exit that names the bench, and a wall + CPU snapshot.
//! Include next to `proc_cpu.rs` (`mod proc_cpu; mod bench_run;`).

use std::time::Instant;

use crate::proc_cpu::{self, threads_cpu_ns};

/// `name` from the environment as a number, else `default`; a value that is not a
/// number ends the bench.
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| fail(&format!("{name}={v:?} is not a number"))),
        Err(_) => default,
    }
}

/// Ends the bench with `message` on stderr, prefixed by the bench's name.
pub(crate) fn fail(message: &str) -> ! {
    eprintln!("{}: {message}", env!("CARGO_CRATE_NAME"));
    std::process::exit(1)
}

/// Wall time and CPU readings at one instant.
pub(crate) struct Snapshot {
    /// Wall clock.
    pub(crate) wall: Instant,
    /// The process's CPU ticks (every thread, live or exited).
    pub(crate) ticks: u64,
    /// On-CPU nanoseconds of the live threads, when readable.
    pub(crate) live_ns: Option<u64>,
}

impl Snapshot {
    /// Reads the clocks now (the bench cannot go on without its CPU ticks).
    pub(crate) fn now() -> Self {
        Self {
            wall: Instant::now(),
            ticks: proc_cpu::process_cpu_ticks()
                .unwrap_or_else(|| fail("cannot read /proc/self/stat")),
            live_ns: threads_cpu_ns(),
        }
    }
}
