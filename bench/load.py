"""Load test of the HTTP API on loopback: ``python bench/load.py [options]``.

Starts ``python app.py --port P`` itself (or uses ``--url``), measures a baseline
(one user, sequential requests), then runs ``--users`` concurrent users for
``--duration`` seconds on ``POST /api/ask`` with a rotating set of real CGS
questions, and prints p50/p95/p99 latency, throughput and error rate, with the
ratios to the baseline. With ``--busy`` it also starts a second server with a tiny
capacity (TERMS_CONCURRENCY_LIMIT / TERMS_MAX_QUEUE) and floods it: the requests
beyond capacity must get 503 at once, not hang.

    python bench/load.py                                  # 25 users, 60 s, busy check
    python bench/load.py --users 5 --duration 5 --json out.json
    python bench/load.py --url http://127.0.0.1:7860 --no-busy

The servers it starts run in extractive mode with the per-client rate limit off
(every user shares the loopback address); with ``--url`` configure yours the same
way (TERMS_RATE_LIMIT_PER_MINUTE=0), or 429s count as errors. ``--data-dir`` points
the started servers at an existing index (a copy is used, the original is not
written to); without it they use the project's data/ and ingest if it is stale.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench.serve import ROOT, app_server  # noqa: E402
from evals.metrics import percentile as nearest_rank  # noqa: E402


# Extractive answers, no per-client limit: every simulated user shares the loopback address.
BENCH_ENV = {"TERMS_RATE_LIMIT_PER_MINUTE": "0", "TERMS_LLM_BASE_URL": ""}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile with q in 0..100 (evals.metrics takes 0..1)."""
    return nearest_rank(values, q / 100)

QUESTIONS = [q for q in (ROOT / "bench" / "questions.txt").read_text(encoding="utf-8").splitlines() if q.strip()]


async def one(client: httpx.AsyncClient, question: str, timeout: float) -> tuple[float, int | str]:
    started = time.perf_counter()
    try:
        r = await client.post("/api/ask", json={"question": question}, timeout=timeout)
        status: int | str = r.status_code
        if status == 200 and "citations" not in r.json():
            status = "bad body"
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    return time.perf_counter() - started, status


async def baseline(url: str, seconds: float, count: int, timeout: float) -> list[float]:
    """Sequential single-user latencies: at least ``count`` requests or ``seconds``."""
    latencies = []
    questions = itertools.cycle(QUESTIONS)
    async with httpx.AsyncClient(base_url=url) as client:
        await one(client, QUESTIONS[0], timeout)  # warm-up, not counted
        started = time.monotonic()
        while len(latencies) < count or time.monotonic() - started < seconds:
            latency, status = await one(client, next(questions), timeout)
            if status != 200:
                raise RuntimeError(f"baseline request failed: {status}")
            latencies.append(latency)
    return latencies


async def load(url: str, users: int, seconds: float, timeout: float) -> dict:
    """``users`` concurrent users, each asking one question after the other."""
    results: list[tuple[float, int | str]] = []
    questions = itertools.cycle(QUESTIONS)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        stop = time.monotonic() + seconds

        async def user() -> None:
            while time.monotonic() < stop:
                results.append(await one(client, next(questions), timeout))

        started = time.monotonic()
        await asyncio.gather(*(user() for _ in range(users)))
        elapsed = time.monotonic() - started
    ok = [lat for lat, status in results if status == 200]
    errors: dict[str, int] = {}
    for _, status in results:
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
    return {"requests": len(results), "ok": len(ok), "errors": errors, "seconds": elapsed,
            "error_rate": (len(results) - len(ok)) / len(results) if results else 0.0,
            "throughput": len(ok) / elapsed if elapsed else 0.0, "latencies": ok}


async def flood(url: str, requests: int, timeout: float) -> dict:
    """``requests`` at once against a small-capacity server: how fast do the refusals come?"""
    limits = httpx.Limits(max_connections=requests, max_keepalive_connections=requests)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        results = await asyncio.gather(*(one(client, q, timeout)
                                         for q in itertools.islice(itertools.cycle(QUESTIONS), requests)))
    busy = [lat for lat, status in results if status == 503]
    return {"requests": requests, "answered": sum(1 for _, s in results if s == 200), "busy": len(busy),
            "other": sorted(str(s) for _, s in results if s not in (200, 503)),
            "busy_max_s": max(busy, default=0.0), "busy_p50_s": percentile(busy, 50)}


def summary(base: list[float], run: dict) -> dict:
    lat = run["latencies"]
    b50, b95 = percentile(base, 50), percentile(base, 95)
    out = {
        "baseline": {"requests": len(base), "p50_ms": b50 * 1000, "p95_ms": b95 * 1000,
                     "mean_ms": 1000 * sum(base) / len(base), "throughput": len(base) / sum(base)},
        "load": {k: run[k] for k in ("requests", "ok", "errors", "error_rate", "throughput", "seconds")},
    }
    out["load"].update({f"p{q}_ms": percentile(lat, q) * 1000 for q in (50, 95, 99)})
    out["ratios"] = {"p50": percentile(lat, 50) / b50 if b50 else 0.0, "p95": percentile(lat, 95) / b95 if b95 else 0.0,
                     "throughput": run["throughput"] / out["baseline"]["throughput"]}
    return out


def report(result: dict, users: int) -> str:
    b, lo, r = result["baseline"], result["load"], result["ratios"]
    lines = [
        f"baseline (1 user, sequential, {b['requests']} requests): p50 {b['p50_ms']:.0f} ms, p95 {b['p95_ms']:.0f} ms, "
        f"mean {b['mean_ms']:.0f} ms, {b['throughput']:.2f} req/s",
        f"load ({users} users, {lo['seconds']:.0f} s, {lo['requests']} requests): p50 {lo['p50_ms']:.0f} ms, "
        f"p95 {lo['p95_ms']:.0f} ms, p99 {lo['p99_ms']:.0f} ms, {lo['throughput']:.2f} req/s, "
        f"error rate {100 * lo['error_rate']:.2f}% {lo['errors'] or ''}",
        f"ratios to baseline: p50 x{r['p50']:.1f}, p95 x{r['p95']:.1f}, throughput x{r['throughput']:.2f}",
    ]
    if "busy" in result:
        f = result["busy"]
        lines.append(f"busy check (capacity {f['capacity']}, {f['requests']} at once): {f['answered']} answered, "
                     f"{f['busy']} got 503 (slowest 503 in {f['busy_max_s'] * 1000:.0f} ms, median "
                     f"{f['busy_p50_s'] * 1000:.0f} ms), other {f['other'] or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/load.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already running server (default: start `python app.py`)")
    parser.add_argument("--data-dir", type=Path, help="index to serve (copied), for the servers started here")
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--baseline-requests", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0, help="per-request timeout, seconds")
    parser.add_argument("--busy", action=argparse.BooleanOptionalAction, default=True,
                        help="also check that a full queue answers 503 at once")
    parser.add_argument("--busy-capacity", type=int, nargs=2, default=(1, 1), metavar=("LIMIT", "QUEUE"))
    parser.add_argument("--busy-requests", type=int, default=24)
    parser.add_argument("--busy-max", type=float, default=1.0, help="seconds within which a 503 must come")
    parser.add_argument("--ready-timeout", type=float, default=600.0)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)

    async def measure(url: str) -> dict:
        base = await baseline(url, args.baseline_seconds, args.baseline_requests, args.timeout)
        return summary(base, await load(url, args.users, args.duration, args.timeout))

    if args.url:
        result = asyncio.run(measure(args.url.rstrip("/")))
    else:
        with app_server(dict(BENCH_ENV), args.data_dir, args.ready_timeout) as url:
            result = asyncio.run(measure(url))
    if args.busy:
        limit, queue = args.busy_capacity
        env = {"TERMS_CONCURRENCY_LIMIT": str(limit), "TERMS_MAX_QUEUE": str(queue)}
        with app_server({**BENCH_ENV, **env}, args.data_dir, args.ready_timeout) as url:
            result["busy"] = {"capacity": limit + queue, **asyncio.run(flood(url, args.busy_requests, args.timeout))}
    print(report(result, args.users))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    failed = result["load"]["error_rate"] > 0 or (args.busy and (result["busy"]["busy"] == 0
                                                                  or result["busy"]["busy_max_s"] >= args.busy_max))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
