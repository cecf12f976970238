#!/usr/bin/env bash
# `create_many` throughput and client CPU per call against the zero-latency local server.
#
#   benches/run_many_bench.sh
#
# Builds examples/bench_server.rs and the `many_bench` bench (release), starts the
# server, runs benches/many_bench.rs against it (create_many with and without a rate
# limit, and the same calls on hand-written tokio tasks), then stops the server.
# (No Python side yet: benches/run_client_cpu.sh has the side-by-side for `create`.)
#
# Environment: BENCH_PORT (18080), BENCH_SERVER_SECONDS (300: the server's own time
# limit), BENCH_MANY_TOTAL (10000), BENCH_MANY_CONCURRENCY (64), BENCH_WARMUP (200).
set -euo pipefail

cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-18080}"
SERVER_SECONDS="${BENCH_SERVER_SECONDS:-300}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
export BENCH_URL="http://127.0.0.1:${PORT}/v1"

echo "== building (release)"
cargo build --release --example bench_server
cargo bench --bench many_bench --no-run

SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT

echo "== starting the server on port $PORT (exits by itself after ${SERVER_SECONDS}s)"
"$TARGET_DIR/release/examples/bench_server" --port "$PORT" --seconds "$SERVER_SECONDS" >/dev/null 2>&1 &
SERVER_PID=$!
ready=""
for _ in $(seq 1 100); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "the server did not start" >&2
        exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
[[ -n "$ready" ]] || { echo "the server is not accepting connections on port $PORT" >&2; exit 1; }

echo "== cargo bench --bench many_bench"
cargo bench --bench many_bench 2>/dev/null
