#!/usr/bin/env bash
# The `instructor` command line over JSON Lines: peak RSS and documents per second at
# 10,000 and 100,000 lines against the local zero-latency server (examples/bench_server.rs).
#
#   benches/run_cli_bench.sh
#
# Builds the server and the CLI (release), writes the input files to a temporary folder,
# runs `instructor extract --input N.jsonl --out N.out.jsonl --concurrency 64` under
# /usr/bin/time -v for each size, checks that every id came back exactly once, and prints
# one `RESULT cli lines=<n> peak_rss_kb=<k> wall_s=<s> docs_per_s=<r>` line per size.
#
# Environment: BENCH_PORT (18081), BENCH_SIZES ("10000 100000"), BENCH_CONCURRENCY (64).
set -euo pipefail

cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-18081}"
SIZES="${BENCH_SIZES:-10000 100000}"
CONCURRENCY="${BENCH_CONCURRENCY:-64}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
WORK="$(mktemp -d /tmp/cli_bench.XXXXXX)"

echo "== building (release)"
cargo build --release --example bench_server
cargo build --release -p instructor-cli

source benches/support/bench_server.sh
start_server "$TARGET_DIR/release/examples/bench_server" "$PORT" 900 "$WORK/server.log"

cat >"$WORK/user.json" <<'SCHEMA'
{"title": "User", "type": "object",
 "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
 "required": ["name", "age"]}
SCHEMA

for n in $SIZES; do
    python3 - "$n" "$WORK/$n.jsonl" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": f"doc-{i}", "text": f"Person {i} is called Jason and is 25 years old."}) + "\n")
PY
    start=$(date +%s.%N)
    env -i PATH="$PATH" OPENAI_API_KEY=bench OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" \
        /usr/bin/time -v "$TARGET_DIR/release/instructor" extract --schema "$WORK/user.json" \
        --model openai/gpt-4o-mini --input "$WORK/$n.jsonl" --out "$WORK/$n.out.jsonl" \
        --concurrency "$CONCURRENCY" --no-progress 2>"$WORK/$n.time"
    end=$(date +%s.%N)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$n.time")
    got=$(cut -d, -f1 "$WORK/$n.out.jsonl" | sort -u | wc -l)
    values=$(grep -c '"value"' "$WORK/$n.out.jsonl" || true)
    [[ "$got" == "$n" && "$values" == "$n" ]] || { echo "expected $n ids with values, got $got ids, $values values" >&2; exit 1; }
    python3 -c "import sys; n,s,e,r=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]),sys.argv[4]; print(f'RESULT cli lines={n} peak_rss_kb={r} wall_s={e-s:.2f} docs_per_s={n/(e-s):.0f}')" "$n" "$start" "$end" "$rss"
done
rm -rf "$WORK"
