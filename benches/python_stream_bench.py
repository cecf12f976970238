#!/usr/bin/env python3
"""Streaming cost of Python instructor's create_iterable and create_partial, the
counterpart of benches/stream_bench.rs, against the same local server
(examples/bench_server.rs), which streams the same bytes to both.

Scenarios (arguments):
  iterable:<n>      client.chat.completions.create_iterable(response_model=User) of n
                    users; every item is validated and checked, none is kept;
  partial:<bytes>   client.chat.completions.create_partial(response_model=Report) of one
                    report of about <bytes> bytes; every snapshot is received (and
                    dropped), the last one is the validated Report;
  async-partial:<bytes>  the same through AsyncOpenAI (`async for`). Note: instructor
                    1.17's *sync* create_partial collects every snapshot in a list
                    (`list(generator)` in v2/providers/openai/handlers.py,
                    _parse_streaming_response) before yielding the first one, so its
                    memory grows with the sum of all snapshots; the async path yields
                    them as they are parsed.

Per repetition: wall time (time.perf_counter) around the call and the draining of its
generator, CPU time (time.process_time: user+system, all threads), and memory: the
resident-set high-water mark is reset ("5" into /proc/self/clear_refs) before the call
and read (VmHWM in /proc/self/status) after it, next to VmRSS before the call;
getrusage(RUSAGE_SELF).ru_maxrss is printed too (never reset).

Needs `instructor` and `openai` (install them in a venv outside the repository):

    python3 -m venv /tmp/instructor-bench-venv
    /tmp/instructor-bench-venv/bin/pip install instructor openai
    BENCH_URL=http://127.0.0.1:18080/v1 /tmp/instructor-bench-venv/bin/python \\
        benches/python_stream_bench.py iterable:50000 partial:65536

Settings (environment): BENCH_URL (default http://127.0.0.1:18080/v1), BENCH_PY_REPS
(1; the median is reported), BENCH_PY_WARMUP (1: untimed calls of a small scenario of
the same kind first), BENCH_PY_PROGRESS (seconds between progress lines on stderr while
a partial streams, 10; 0 turns them off). `--reps N` overrides BENCH_PY_REPS.

Besides the human-readable lines it prints one machine-readable line per scenario:
`RESULT python <scenario> reps=<n> wall_s=<median> cpu_s=<median> ... rss_peak_kb=<k>`.
"""

import asyncio
import functools
import os
import re
import resource
import statistics
import sys
import time
from importlib.metadata import PackageNotFoundError, version

import instructor
from openai import AsyncOpenAI, OpenAI
from pydantic import BaseModel, Field

MODEL = "gpt-4o-mini"
DELTA_BYTES = 12


class User(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(min_length=1, max_length=100, description="Full name as written in the text.")
    age: int = Field(ge=0, le=150)


class Item(BaseModel):
    """One line of a report."""

    id: int
    label: str
    done: bool


class Report(BaseModel):
    """A long report: a title, a long summary and many small items."""

    title: str
    summary: str
    items: list[Item]


def parse(text: str) -> tuple[str, int]:
    kind, _, n = text.partition(":")
    if kind not in ("iterable", "partial", "async-partial") or not n.isdigit():
        raise SystemExit(f"python_stream_bench: `{text}`: use iterable:<items> or partial:<bytes>")
    return kind, int(n)


def small(kind: str) -> tuple[str, int]:
    return (kind, 100) if kind == "iterable" else (kind, 2048)


def status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        match = re.search(rf"^{key}:\s+(\d+)", f.read(), re.M)
    return int(match.group(1)) if match else 0


def reset_peak_rss() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError as e:
        print(f"python_stream_bench: cannot reset the RSS high-water mark ({e})", file=sys.stderr)


def client(base: str, kind: str, n: int):
    path = f"{base}/sse/{kind.removeprefix('async-')}/{n}"
    maker = AsyncOpenAI if kind.startswith("async-") else OpenAI
    raw = maker(base_url=path, api_key="sk-bench", timeout=3600, max_retries=0)
    return instructor.from_openai(raw, mode=instructor.Mode.TOOLS)


def make_client(base: str, kind: str, n: int):
    """The client (sync kinds), or a factory of clients (async kinds: one per loop)."""
    if kind.startswith("async-"):
        return functools.partial(client, base, kind, n)
    return client(base, kind, n)


def messages(kind: str, n: int) -> list[dict]:
    prompt = f"Extract the {n} users." if kind == "iterable" else f"Write a report of about {n} bytes."
    return [{"role": "user", "content": prompt}]


def call(cl, kind: str, n: int, label: str, progress_every: float) -> tuple[int, int]:
    """One call, drained: (items or snapshots, JSON size of the answer)."""
    if kind == "iterable":
        count = 0
        json_bytes = 12 + max(0, n - 1)
        last = None
        for user in cl.chat.completions.create_iterable(
            model=MODEL, messages=messages(kind, n), response_model=User, max_retries=0
        ):
            if not isinstance(user, User):
                raise SystemExit(f"python_stream_bench: unexpected item {user!r}")
            json_bytes += 18 + len(user.name) + len(str(user.age))  # compact JSON of the item
            count += 1
            last = user
        expected = f"User {n - 1:05d}" if n else ""
        if count != n or (last.name if last else "") != expected:
            raise SystemExit(f"python_stream_bench: expected {n} users ending with {expected!r}, got {count}: {last!r}")
        return count, json_bytes
    state = {"snapshots": 0, "last": None}
    start = time.perf_counter()
    next_progress = [start + progress_every if progress_every > 0 else float("inf")]

    def seen(partial) -> None:
        state["snapshots"] += 1
        state["last"] = partial
        now = time.perf_counter()
        if now >= next_progress[0]:
            next_progress[0] = now + progress_every
            print(
                f"PROGRESS python {label} snapshots={state['snapshots']} elapsed_s={now - start:.1f} "
                f"cpu_s={time.process_time():.1f} rss_kb={status_kb('VmRSS')} hwm_kb={status_kb('VmHWM')}",
                file=sys.stderr,
                flush=True,
            )

    if kind == "async-partial":

        async def drain() -> None:
            # An async client belongs to one event loop: `cl` is a factory here.
            async for partial in cl().chat.completions.create_partial(
                model=MODEL, messages=messages(kind, n), response_model=Report, max_retries=0
            ):
                seen(partial)

        asyncio.run(drain())
    else:
        for partial in cl.chat.completions.create_partial(
            model=MODEL, messages=messages(kind, n), response_model=Report, max_retries=0
        ):
            seen(partial)
    snapshots, last = state["snapshots"], state["last"]
    if not isinstance(last, Report) or not last.items or not last.summary:
        raise SystemExit(f"python_stream_bench: unexpected final value {type(last).__name__}")
    return snapshots, len(last.model_dump_json())


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def main() -> None:
    base = os.environ.get("BENCH_URL", "http://127.0.0.1:18080/v1").rstrip("/")
    reps = int(os.environ.get("BENCH_PY_REPS", "1"))
    warmup = int(os.environ.get("BENCH_PY_WARMUP", "1"))
    progress_every = float(os.environ.get("BENCH_PY_PROGRESS", "10"))
    args = sys.argv[1:]
    scenarios = []
    i = 0
    while i < len(args):
        if args[i] == "--reps":
            reps = int(args[i + 1])
            i += 2
            continue
        scenarios.append(parse(args[i]))
        i += 1
    if not scenarios:
        scenarios = [("iterable", 50000), ("partial", 65536)]
    reps = max(1, reps)
    versions = ", ".join(
        f"{name} {package_version(name)}"
        for name in ("instructor", "openai", "pydantic", "pydantic_core", "jiter", "httpx2", "httpx")
        if package_version(name) != "?"
    )
    print(
        f"python_stream_bench: Python {sys.version.split()[0]}; {versions}; against {base}; "
        f"{reps} repetition(s) per scenario (median reported)",
        flush=True,
    )
    for kind, n in scenarios:
        label = f"{kind}:{n}"
        for _ in range(warmup):
            sk, sn = small(kind)
            call(make_client(base, sk, sn), sk, sn, f"{sk}:{sn}", 0)
        cl = make_client(base, kind, n)
        runs = []
        for _ in range(reps):
            reset_peak_rss()
            base_kb = status_kb("VmRSS")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            units, json_bytes = call(cl, kind, n, label, progress_every)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            runs.append((wall, cpu, units, json_bytes, base_kb, status_kb("VmHWM")))
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        units, json_bytes, base_kb = runs[0][2], runs[0][3], runs[0][4]
        peak = max(r[5] for r in runs)
        deltas = -(-json_bytes // DELTA_BYTES)
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        noun = "items" if kind == "iterable" else "snapshots"
        print(
            f"python {label:<16} reps={len(runs)} wall={wall:.4f} s (min {min(r[0] for r in runs):.4f})  "
            f"CPU={cpu:.4f} s (min {min(r[1] for r in runs):.4f})  {units} {noun}  json={json_bytes} B in {deltas} deltas  "
            f"CPU/delta={cpu * 1e6 / max(1, deltas):.2f} µs  RSS before={base_kb} kB peak={peak} kB "
            f"(+{peak - base_kb} kB = {(peak - base_kb) * 1024 / max(1, json_bytes):.2f}x json)  ru_maxrss={maxrss} kB"
        )
        print(
            f"RESULT python {label} reps={len(runs)} wall_s={wall:.6f} cpu_s={cpu:.6f} "
            f"wall_min_s={min(r[0] for r in runs):.6f} cpu_min_s={min(r[1] for r in runs):.6f} "
            f"units={units} json_bytes={json_bytes} deltas={deltas} rss_base_kb={base_kb} rss_peak_kb={peak} "
            f"ru_maxrss_kb={maxrss}",
            flush=True,
        )


if __name__ == "__main__":
    main()
