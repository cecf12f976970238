#!/usr/bin/env python3
"""Client CPU time per `create` call for Python instructor, the counterpart of
benches/client_cpu.rs, against the same local server (examples/bench_server.rs).

Measures this process's CPU time (time.process_time(): user+system, all threads)
around N sequential calls (sync OpenAI client) and around M calls kept 256-at-a-time
in flight (AsyncOpenAI + asyncio.gather bounded by a semaphore).

Needs `instructor` and `openai` (install them in a venv outside the repository):

    python3 -m venv /tmp/instructor-bench-venv
    /tmp/instructor-bench-venv/bin/pip install instructor openai
    BENCH_URL=http://127.0.0.1:18080/v1 /tmp/instructor-bench-venv/bin/python benches/python_client_cpu.py

Settings (environment): BENCH_URL (default http://127.0.0.1:18080/v1),
BENCH_PY_SEQ (1000), BENCH_PY_CONC_TOTAL (3000), BENCH_CONCURRENCY (256),
BENCH_PY_WARMUP (50), BENCH_PY_KEEPALIVE (unset: openai's default pool).

Besides the human-readable lines it prints one machine-readable line per phase:
`RESULT python <seq|conc> calls=<n> cpu_us_per_call=<x> wall_s=<y> ...`.
"""

import asyncio
import os
import sys
import time
from importlib.metadata import PackageNotFoundError, version

import instructor
import openai
from openai import AsyncOpenAI, OpenAI
from pydantic import BaseModel, Field

try:  # openai >= 3 ships on httpx2; older releases on httpx.
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx

MODEL = "gpt-4o-mini"
PROMPT = "Jason is 25 years old."
MESSAGES = [{"role": "user", "content": PROMPT}]


class User(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(min_length=1, max_length=100, description="Full name as written in the text.")
    age: int = Field(ge=0, le=150)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return max(1, int(value)) if value else default


def check(user: User) -> None:
    if not (isinstance(user, User) and user.name == "Jason" and user.age == 25):
        raise SystemExit(f"python_client_cpu: unexpected answer {user!r}")


def report(phase: str, calls: int, concurrency: int, cpu0: float, cpu1: float, wall0: float, wall1: float) -> None:
    cpu = cpu1 - cpu0
    wall = wall1 - wall0
    per_call = cpu * 1e6 / calls
    print(
        f"python {phase:<4} calls={calls:<6} concurrency={concurrency:<3} wall={wall:>8.3f} s  "
        f"calls/s={calls / wall:>9.0f}  CPU={cpu * 1e3:>9.1f} ms  CPU/call={per_call:>8.2f} µs"
    )
    print(
        f"RESULT python {phase} calls={calls} concurrency={concurrency} "
        f"cpu_us_per_call={per_call:.3f} wall_s={wall:.4f} cpu_s={cpu:.4f}"
    )
    sys.stdout.flush()


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def sequential(url: str, calls: int, warmup: int) -> None:
    client = instructor.from_openai(OpenAI(base_url=url, api_key="sk-bench"), mode=instructor.Mode.TOOLS)

    def one() -> None:
        check(client.chat.completions.create(model=MODEL, response_model=User, messages=MESSAGES))

    for _ in range(warmup):
        one()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        one()
    cpu1, wall1 = time.process_time(), time.perf_counter()
    report("seq", calls, 1, cpu0, cpu1, wall0, wall1)


async def concurrent(url: str, total: int, concurrency: int) -> None:
    # openai's default connection pool (at most 100 idle keep-alive connections). Raising
    # it to 256, like the Rust client's pool, measured *more* CPU per call here, so the
    # default is the conservative choice; BENCH_PY_KEEPALIVE=<n> overrides it.
    keepalive = os.environ.get("BENCH_PY_KEEPALIVE")
    options = {}
    if keepalive:
        limits = httpx.Limits(max_connections=max(concurrency, int(keepalive)), max_keepalive_connections=int(keepalive))
        options["http_client"] = openai.DefaultAsyncHttpxClient(limits=limits)
    raw = AsyncOpenAI(base_url=url, api_key="sk-bench", **options)
    client = instructor.from_openai(raw, mode=instructor.Mode.TOOLS)
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with semaphore:
            user = await client.chat.completions.create(model=MODEL, response_model=User, messages=MESSAGES)
        check(user)

    # Warm-up: open the connections.
    await asyncio.gather(*(one() for _ in range(concurrency)))

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(total)))
    cpu1, wall1 = time.process_time(), time.perf_counter()
    report("conc", total, concurrency, cpu0, cpu1, wall0, wall1)
    await raw.close()


def main() -> None:
    url = os.environ.get("BENCH_URL", "http://127.0.0.1:18080/v1")
    seq = env_int("BENCH_PY_SEQ", 1000)
    conc_total = env_int("BENCH_PY_CONC_TOTAL", 3000)
    concurrency = env_int("BENCH_CONCURRENCY", 256)
    warmup = env_int("BENCH_PY_WARMUP", 50)
    versions = ", ".join(
        f"{name} {package_version(name)}"
        for name in ("instructor", "openai", "pydantic", "pydantic_core", "httpx2", "httpx", "jiter")
        if package_version(name) != "?"
    )
    print(
        f"python_client_cpu: Python {sys.version.split()[0]}; {versions}; against {url}; "
        f"{seq} sequential calls, {conc_total} calls at concurrency {concurrency}; CPU = time.process_time()"
    )
    if seq > 0:
        sequential(url, seq, warmup)
    asyncio.run(concurrent(url, conc_total, concurrency))


if __name__ == "__main__":
    main()
