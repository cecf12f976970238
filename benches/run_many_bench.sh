#!/usr/bin/env bash
# `create_many` throughput and client CPU per call against the zero-latency local server.
#
#   benches/run_many_bench.sh
#
# Builds examples/bench_server.rs and the `many_bench` bench (release), starts the
# server, runs benches/many_bench.rs against it (create_many with and without a rate
# limit, and the same calls on hand-written tokio tasks), then stops the server.
# Then Python instructor's AsyncInstructor on the same server: the same number of calls
# through asyncio.gather bounded by a semaphore of the same size
# (benches/python_client_cpu.py, its concurrent phase only), and the ratio of client CPU
# per call. The Python venv is made outside the repository if missing (BENCH_VENV).
#
# Environment: BENCH_PORT (18080), BENCH_SERVER_SECONDS (300: the server's own time
# limit), BENCH_MANY_TOTAL (10000), BENCH_MANY_CONCURRENCY (64), BENCH_WARMUP (200).
set -euo pipefail

cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-18080}"
SERVER_SECONDS="${BENCH_SERVER_SECONDS:-300}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
VENV="${BENCH_VENV:-/tmp/instructor-bench-venv}"
export BENCH_URL="http://127.0.0.1:${PORT}/v1"

echo "== building (release)"
cargo build --release --example bench_server
cargo bench --bench many_bench --no-run

source benches/support/bench_server.sh
echo "== starting the server on port $PORT (exits by itself after ${SERVER_SECONDS}s)"
start_server "$TARGET_DIR/release/examples/bench_server" "$PORT" "$SERVER_SECONDS" /dev/null

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating $VENV with instructor and openai"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet instructor openai
fi

LOG="$(mktemp /tmp/many_bench.XXXXXX)"
echo "== cargo bench --bench many_bench"
cargo bench --bench many_bench 2>/dev/null | tee "$LOG"
echo "== Python: AsyncInstructor, asyncio.gather + Semaphore(${BENCH_MANY_CONCURRENCY:-64})"
BENCH_PY_SEQ=0 BENCH_PY_CONC_TOTAL="${BENCH_MANY_TOTAL:-10000}" BENCH_CONCURRENCY="${BENCH_MANY_CONCURRENCY:-64}" \
    "$VENV/bin/python" benches/python_client_cpu.py | tee -a "$LOG"
awk '
    /^RESULT rust many / { for (i = 3; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] } }
    /^RESULT python conc / { for (i = 3; i <= NF; i++) { split($i, kv, "="); p[kv[1]] = kv[2] } }
    END {
        if (r["cpu_us_per_call"] > 0 && p["cpu_us_per_call"] > 0)
            printf "create_many vs Python gather+semaphore: %.1f vs %.1f us CPU per call (%.1fx); %.0f vs %.0f calls/s\n", r["cpu_us_per_call"], p["cpu_us_per_call"], p["cpu_us_per_call"] / r["cpu_us_per_call"], r["calls_per_s"], p["calls"] / p["wall_s"]
    }' "$LOG"
rm -f "$LOG"
