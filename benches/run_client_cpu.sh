#!/usr/bin/env bash
# Client CPU per `create` call: instructor (Rust) vs Python instructor, same local server.
#
#   benches/run_client_cpu.sh
#
# Builds examples/bench_server.rs and the `client_cpu` bench (release), makes a Python
# venv with `instructor` and `openai` outside the repository if missing, starts the
# server, runs benches/client_cpu.rs then benches/python_client_cpu.py against it, stops
# the server and prints CPU µs per call side by side with the Python/Rust ratio.
#
# Environment: BENCH_PORT (18080), BENCH_VENV (/tmp/instructor-bench-venv),
# BENCH_SERVER_SECONDS (900: the server's own time limit), and the settings of the two
# clients: BENCH_SEQ, BENCH_CONC_TOTAL (Rust), BENCH_PY_SEQ, BENCH_PY_CONC_TOTAL
# (Python), BENCH_CONCURRENCY (both, 256).
set -euo pipefail

cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-18080}"
VENV="${BENCH_VENV:-/tmp/instructor-bench-venv}"
SERVER_SECONDS="${BENCH_SERVER_SECONDS:-900}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
export BENCH_URL="http://127.0.0.1:${PORT}/v1"
export BENCH_CONCURRENCY="${BENCH_CONCURRENCY:-256}"
LOGS="$(mktemp -d /tmp/client_cpu.XXXXXX)"

echo "== building (release)"
cargo build --release --example bench_server
cargo bench --bench client_cpu --no-run

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating $VENV with instructor and openai"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet instructor openai
fi

source benches/support/bench_server.sh
echo "== starting the server on port $PORT (exits by itself after ${SERVER_SECONDS}s)"
start_server "$TARGET_DIR/release/examples/bench_server" "$PORT" "$SERVER_SECONDS" "$LOGS/server.log"

echo "== Rust: cargo bench --bench client_cpu"
cargo bench --bench client_cpu 2>/dev/null | tee "$LOGS/rust.log"
echo "== Python: $VENV/bin/python benches/python_client_cpu.py"
"$VENV/bin/python" benches/python_client_cpu.py | tee "$LOGS/python.log"
stop_server
cat "$LOGS/server.log"

echo
echo "== client CPU per create::<User> call (same server, same run; logs in $LOGS)"
cat "$LOGS/rust.log" "$LOGS/python.log" | awk '
    /^RESULT / {
        lang = $2; phase = $3
        for (i = 4; i <= NF; i++) { split($i, kv, "="); v[lang, phase, kv[1]] = kv[2] }
    }
    END {
        printf "%-40s %14s %14s %8s %12s %13s\n", "phase", "Rust us/call", "Python us/call", "ratio", "Rust wall s", "Python wall s"
        n = split("seq conc", phases, " ")
        for (p = 1; p <= n; p++) {
            ph = phases[p]
            r = v["rust", ph, "cpu_us_per_call"]; py = v["python", ph, "cpu_us_per_call"]
            label = (ph == "seq") ? "sequential" : "concurrent (" v["rust", ph, "concurrency"] " in flight)"
            label = label " n=" v["rust", ph, "calls"] "/" v["python", ph, "calls"]
            ratio = (r > 0) ? sprintf("%.1fx", py / r) : "n/a"
            printf "%-40s %14.1f %14.1f %8s %12.2f %13.2f\n", label, r, py, ratio, v["rust", ph, "wall_s"], v["python", ph, "wall_s"]
        }
        print "ratio = Python CPU per call / Rust CPU per call (goal: >= 20x)"
    }'
