//! CPU time of this process from `/proc` (Linux), shared by the bench binaries.

/// Clock ticks per second for `/proc/self/stat` (`getconf CLK_TCK`, else 100).
pub(crate) fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// CPU time of the whole process (every thread, live or exited), user + system, in
/// ticks; `None` if `/proc/self/stat` cannot be read or parsed.
pub(crate) fn process_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the `(comm)`: state is field 3, utime field 14, stime field 15.
    let after = stat.rfind(')').map_or("", |i| &stat[i + 1..]);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(field(14)? + field(15)?)
}

/// On-CPU nanoseconds summed over the live threads (`/proc/self/task/*/schedstat`):
/// nanosecond precision, a cross-check of the tick-based figure (misses exited
/// threads); `None` if the threads cannot be listed.
pub(crate) fn threads_cpu_ns() -> Option<u64> {
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc/self/task")
        .ok()?
        .take(100_000)
        .flatten()
    {
        // A thread can exit between the listing and the read.
        let Ok(text) = std::fs::read_to_string(entry.path().join("schedstat")) else {
            continue;
        };
        total += text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(total)
}
