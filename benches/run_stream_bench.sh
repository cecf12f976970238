#!/usr/bin/env bash
# Streaming: instructor (Rust) create_iterable / create_partial vs Python instructor's,
# on the same local server and the same SSE bytes.
#
#   benches/run_stream_bench.sh
#
# Builds examples/bench_server.rs and the `stream_bench` bench (release), makes a Python
# venv with `instructor` and `openai` outside the repository if missing, starts the
# server, sends each stream once (so its generation is not measured), then runs every
# scenario in its own process, Rust (benches/stream_bench.rs) then Python
# (benches/python_stream_bench.py), each under /usr/bin/time -v; Python also under
# `ulimit -v` and `timeout`. Stops the server and prints wall time, CPU time and memory
# side by side with the Python/Rust ratios.
#
# Scenarios: iterable:<items> (create_iterable::<User>, 12-byte deltas of a
# {"tasks":[...]} tool call), partial:<bytes> (create_partial::<Report> of one report of
# about that many bytes, 12-byte deltas); Python only: async-partial:<bytes> (the same
# through AsyncOpenAI, which streams; the sync path collects every snapshot first).
#
# Environment:
#   BENCH_PORT (18081), BENCH_VENV (/tmp/instructor-bench-venv), BENCH_SERVER_SECONDS (3600),
#   BENCH_SSE_WRITE (16384: bytes per server write; 0 = one write per SSE event),
#   BENCH_SCENARIOS ("iterable:50000 partial:16384 partial:65536 partial:262144"),
#   BENCH_PY_EXTRA ("async-partial:65536 async-partial:262144": Python-only rows; set it
#   empty to skip them),
#   BENCH_REPS (3: Rust repetitions, median), BENCH_PY_REPS (1),
#   BENCH_PY_TIMEOUT (600 s per Python scenario), BENCH_PY_MEM_GB (8: ulimit -v for Python),
#   BENCH_DHAT (0; 1 = also run the Rust bench under valgrind's DHAT for the exact peak
#   heap of BENCH_DHAT_SCENARIOS, "iterable:1 iterable:50000 partial:1024 partial:65536";
#   slow: about 60x native).
set -euo pipefail

cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-18081}"
VENV="${BENCH_VENV:-/tmp/instructor-bench-venv}"
SERVER_SECONDS="${BENCH_SERVER_SECONDS:-3600}"
SSE_WRITE="${BENCH_SSE_WRITE:-16384}"
SCENARIOS="${BENCH_SCENARIOS:-iterable:50000 partial:16384 partial:65536 partial:262144}"
PY_EXTRA="${BENCH_PY_EXTRA-async-partial:65536 async-partial:262144}"
REPS="${BENCH_REPS:-3}"
PY_REPS="${BENCH_PY_REPS:-1}"
PY_TIMEOUT="${BENCH_PY_TIMEOUT:-600}"
PY_MEM_GB="${BENCH_PY_MEM_GB:-8}"
DHAT="${BENCH_DHAT:-0}"
DHAT_SCENARIOS="${BENCH_DHAT_SCENARIOS:-iterable:1 iterable:50000 partial:1024 partial:65536}"
export BENCH_URL="http://127.0.0.1:${PORT}/v1"
LOGS="$(mktemp -d /tmp/stream_bench.XXXXXX)"

echo "== machine: $(nproc) CPUs; $(uptime)"
echo "== commit $(git rev-parse --short HEAD 2>/dev/null || echo '?') (plus the working tree); logs in $LOGS"

echo "== building (release)"
cargo build --release --example bench_server --bench stream_bench \
    --message-format=json-render-diagnostics >"$LOGS/build.json"
EXE="$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "stream_bench" and m.get("executable"):
        print(m["executable"])
' "$LOGS/build.json" | tail -n 1)"
SERVER="${CARGO_TARGET_DIR:-target}/release/examples/bench_server"
[[ -x "$EXE" && -x "$SERVER" ]] || { echo "build products not found" >&2; exit 1; }

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating $VENV with instructor and openai"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet instructor openai
fi

source benches/support/bench_server.sh
echo "== starting the server on port $PORT (exits by itself after ${SERVER_SECONDS}s; ${SSE_WRITE} bytes per write)"
start_server "$SERVER" "$PORT" "$SERVER_SECONDS" "$LOGS/server.log" --sse-write "$SSE_WRITE"

# The server path of a scenario (async-partial streams the partial bytes).
sse_path() { local kind="${1%%:*}" n="${1##*:}"; echo "sse/${kind#async-}/$n"; }

echo "== generating the streams once"
for sc in $SCENARIOS $PY_EXTRA $DHAT_SCENARIOS iterable:100 partial:2048; do
    bytes="$(curl -sS -X POST "$BENCH_URL/$(sse_path "$sc")/chat/completions" -d '{}' | wc -c)"
    echo "   $sc: $bytes bytes of SSE"
done

for sc in $SCENARIOS; do
    echo "== Rust $sc"
    /usr/bin/time -v -o "$LOGS/rust.$sc.time" "$EXE" "$sc" --reps "$REPS" | tee "$LOGS/rust.$sc.log"
done

for sc in $SCENARIOS $PY_EXTRA; do
    echo "== Python $sc (cap: ulimit -v ${PY_MEM_GB} GiB, timeout ${PY_TIMEOUT}s)"
    set +e
    (
        ulimit -v $((PY_MEM_GB * 1024 * 1024))
        exec /usr/bin/time -v -o "$LOGS/python.$sc.time" \
            timeout -k 10 "$PY_TIMEOUT" "$VENV/bin/python" benches/python_stream_bench.py "$sc" --reps "$PY_REPS"
    ) >"$LOGS/python.$sc.log" 2>"$LOGS/python.$sc.err"
    echo $? >"$LOGS/python.$sc.rc"
    set -e
    cat "$LOGS/python.$sc.log"
    grep -E '^(PROGRESS|[A-Za-z]*Error)' "$LOGS/python.$sc.err" | tail -n 3 || true
    echo "   exit status $(cat "$LOGS/python.$sc.rc"); $(grep -E 'Maximum resident|Elapsed' "$LOGS/python.$sc.time" | tr -s ' \t' ' ' | paste -sd ';')"
done

if [[ "$DHAT" == 1 ]]; then
    for sc in $DHAT_SCENARIOS; do
        echo "== Rust $sc under valgrind --tool=dhat (peak heap)"
        BENCH_WARMUP=0 valgrind --tool=dhat --dhat-out-file=/dev/null "$EXE" "$sc" --reps 1 \
            >"$LOGS/dhat.$sc.log" 2>&1 || true
        grep -E 'RESULT|Total:|At t-gmax' "$LOGS/dhat.$sc.log" || true
    done
fi

stop_server
cat "$LOGS/server.log"

echo
echo "== $(uptime)"
"$VENV/bin/python" - "$LOGS" "$SCENARIOS" "$PY_EXTRA" "$DHAT_SCENARIOS" "$DHAT" "$PY_TIMEOUT" "$PY_MEM_GB" <<'EOF'
import os
import re
import sys

logs, scenarios, extra, dhat_scenarios, dhat, py_timeout, py_mem = sys.argv[1:]
scenarios, extra = scenarios.split(), extra.split()


def result(path):
    """The RESULT line of a log as a dict, or None."""
    try:
        text = open(path).read()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("RESULT "):
            parts = line.split()
            d = dict(p.split("=", 1) for p in parts[3:])
            return {k: (float(v) if re.fullmatch(r"[-+0-9.eE]+|nan|inf", v) else v) for k, v in d.items()}
    return None


def time_v(path):
    """(max RSS kB, wall s, user+sys s) from /usr/bin/time -v."""
    try:
        text = open(path).read()
    except OSError:
        return None
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    user = re.search(r"User time \(seconds\): ([\d.]+)", text)
    system = re.search(r"System time \(seconds\): ([\d.]+)", text)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    seconds = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    return (
        int(rss.group(1)) if rss else 0,
        seconds,
        (float(user.group(1)) if user else 0) + (float(system.group(1)) if system else 0),
    )


def python_failure(sc):
    rc = open(f"{logs}/python.{sc}.rc").read().strip() if os.path.exists(f"{logs}/python.{sc}.rc") else "?"
    err = open(f"{logs}/python.{sc}.err").read() if os.path.exists(f"{logs}/python.{sc}.err") else ""
    tv = time_v(f"{logs}/python.{sc}.time") or (0, 0, 0)
    if "MemoryError" in err:
        why = f"MemoryError: exceeded the {py_mem} GiB address-space cap"
    elif rc in ("124", "137"):
        why = f"did not finish within {py_timeout} s"
    else:
        why = f"failed (exit {rc})"
    progress = [l for l in err.splitlines() if l.startswith("PROGRESS")]
    return f"{why} after {tv[1]:.0f} s wall, {tv[2]:.0f} s CPU, max RSS {tv[0] / 1024:.0f} MiB" + (
        f"; last progress: {progress[-1]}" if progress else ""
    )


def fmt_s(x):
    return "-" if x is None else (f"{x:.3f}" if x < 100 else f"{x:.0f}")


def ratio(py, rust):
    return "-" if py is None or not rust else f"{py / rust:.1f}x"


rows = []
notes = []
for sc in scenarios + extra:
    # Python-only rows (async-partial:N) are compared with Rust's partial:N.
    rust_sc = sc.removeprefix("async-")
    r = result(f"{logs}/rust.{rust_sc}.log")
    p = result(f"{logs}/python.{sc}.log")
    rt = time_v(f"{logs}/rust.{rust_sc}.time")
    pt = time_v(f"{logs}/python.{sc}.time")
    json_bytes = (r or p or {}).get("json_bytes")
    rows.append((sc, r, p, rt, pt, json_bytes))
    if p is None and os.path.exists(f"{logs}/python.{sc}.rc"):
        notes.append(f"Python {sc}: {python_failure(sc)}")

print("Wall time end to end and client CPU time per call (Rust: median of its repetitions; Python: median too)")
head = f"{'scenario':<22} {'deltas':>7} {'Rust wall s':>11} {'Py wall s':>10} {'wall ratio':>10} {'Rust CPU s':>10} {'Py CPU s':>9} {'CPU ratio':>9} {'Rust µs/delta':>13} {'Py µs/delta':>11}"
print(head)
print("-" * len(head))
for sc, r, p, rt, pt, jb in rows:
    deltas = (r or p or {}).get("deltas")
    rw, rc = (r or {}).get("wall_s"), (r or {}).get("cpu_s")
    pw, pc = (p or {}).get("wall_s"), (p or {}).get("cpu_s")
    print(
        f"{sc:<22} {int(deltas) if deltas else '-':>7} {fmt_s(rw):>11} {fmt_s(pw):>10} {ratio(pw, rw):>10} "
        f"{fmt_s(rc):>10} {fmt_s(pc):>9} {ratio(pc, rc):>9} "
        f"{(f'{rc * 1e6 / deltas:.1f}' if rc and deltas else '-'):>13} {(f'{pc * 1e6 / deltas:.1f}' if pc and deltas else '-'):>11}"
    )
print()
print("Memory: peak RSS during the call minus RSS before it (VmHWM after a reset), and the process's max RSS (time -v)")
head = f"{'scenario':<22} {'JSON bytes':>10} {'Rust +RSS kB':>12} {'/JSON':>7} {'Py +RSS kB':>11} {'/JSON':>8} {'Rust maxRSS kB':>14} {'Py maxRSS kB':>12}"
print(head)
print("-" * len(head))
for sc, r, p, rt, pt, jb in rows:
    def growth(d):
        if not d:
            return None
        return int(d["rss_peak_kb"] - d["rss_base_kb"])
    rg, pg = growth(r), growth(p)
    print(
        f"{sc:<22} {int(jb) if jb else '-':>10} {rg if rg is not None else '-':>12} "
        f"{(f'{rg * 1024 / jb:.1f}x' if rg is not None and jb else '-'):>7} {pg if pg is not None else '-':>11} "
        f"{(f'{pg * 1024 / jb:.1f}x' if pg is not None and jb else '-'):>8} "
        f"{(rt[0] if rt and r else '-'):>14} {(pt[0] if pt and pt[0] else '-'):>12}"
    )
if dhat == "1":
    print()
    print("Rust peak heap (valgrind DHAT, whole process, one call, no warm-up); 'call' = peak minus the")
    print("peak of the smallest scenario of the same kind (the process's own heap: runtime, client, schemas)")
    peaks = {}
    for sc in dhat_scenarios.split():
        try:
            text = open(f"{logs}/dhat.{sc}.log").read()
        except OSError:
            continue
        gmax = re.search(r"At t-gmax:\s+([\d,]+) bytes", text)
        total = re.search(r"Total:\s+([\d,]+) bytes in ([\d,]+) blocks", text)
        r = result(f"{logs}/dhat.{sc}.log")
        if gmax and r:
            peaks[sc] = (int(gmax.group(1).replace(",", "")), int(r["json_bytes"]), total.groups() if total else ("?", "?"))
        else:
            errors = [l for l in text.splitlines() if l.startswith("stream_bench:") and "against" not in l]
            print(f"  {sc:<18} failed under DHAT: {errors[-1] if errors else '?'}")
    for sc, (peak, jb, total) in peaks.items():
        kind = sc.split(":")[0]
        base_sc = min((s for s in peaks if s.split(":")[0] == kind), key=lambda s: int(s.split(":")[1]))
        base = peaks[base_sc][0] if base_sc != sc else 0
        call = peak - base
        print(
            f"  {sc:<18} peak heap {peak:>12,} B  JSON {jb:>9,} B  peak/JSON {peak / jb:>8.1f}x  "
            f"call {call:>12,} B = {call / jb:>6.1f}x JSON  (allocated in total: {total[0]} B in {total[1]} blocks)"
        )
for n in notes:
    print("NOTE", n)
print("async-partial rows: Python's async create_partial vs the same Rust partial run")
print("ratio = Python / Rust (aims: create_iterable >= 50x; Rust peak <= 10x the JSON)")
EOF
