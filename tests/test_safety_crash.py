"""Safety suite 6 — crash safety (tests/data/safety/crash.json).

The ingest CLI rebuilds the index from one corpus version to the other (A <-> B)
and is killed with SIGKILL at a random moment, 20 times. After each kill a fresh
client opens the store: the active generation is exactly version A or exactly
version B (passage ids, document hashes and fingerprint), never a mix. After the
last kill a clean ingest succeeds and leaves no orphan collection behind.

Set SAFETY_SEED to replay a run (the seed in use is printed on failure).
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from ingest.pipeline import corpus_state, process, run
from terms.settings import ROOT
from ingest.store import Index, make_client

DATA = json.loads((Path(__file__).parent / "data" / "safety" / "crash.json").read_text(encoding="utf-8"))
SEED = int(os.environ.get("SAFETY_SEED", time.time_ns() % 1_000_000))


def write_version(corpus: Path, version: str) -> None:
    for old in corpus.iterdir():
        old.unlink()
    for name, doc in DATA["versions"][version].items():
        clauses = "\n".join(doc["clause"].format(n=n) for n in range(1, DATA["articles"] + 1))
        (corpus / name).write_text(f"{doc['title']}\n\n{clauses}", encoding="utf-8")


def expected(settings, embedder) -> dict:
    """What a complete index of the corpus folder holds: fingerprint, hashes, passage ids."""
    fingerprint, hashes, present = corpus_state(settings, embedder.name)
    ids = {p.id for doc, path in present for p in process(doc, path, settings)[0]}
    return {"fingerprint": fingerprint, "hashes": hashes, "ids": ids}


def fresh_index(settings, embedder) -> Index:
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # no state shared with earlier clients
    return Index(make_client(settings), embedder, settings.collection_prefix)


def observed(settings, embedder) -> dict | None:
    index = fresh_index(settings, embedder)
    active = index.active()
    if active is None:
        return None
    passages = index.passages(active.name)
    assert {p.doc_id for p in passages} == set(active.documents), "passages of a document not in the manifest"
    assert set(index.documents(active.name)) == set(active.documents)
    return {"fingerprint": active.fingerprint, "hashes": active.documents, "ids": {p.id for p in passages},
            "count": len(passages), "generation": active.name}


def ingest_child(settings) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "--quiet", "--corpus", str(settings.corpus_dir),
         "--data", str(settings.data_dir)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigkill_at_random_points_never_leaves_a_mixed_index(tmp_path, make_settings, embedder):
    rng = random.Random(SEED)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = make_settings(corpus)
    versions = {}
    for name in ("A", "B"):
        write_version(corpus, name)
        versions[name] = expected(settings, embedder)
    assert versions["A"]["ids"] != versions["B"]["ids"]
    assert len(versions["A"]["ids"]) >= DATA["articles"] and len(versions["B"]["ids"]) >= DATA["articles"]

    # Complete builds by the CLI (A, then A -> B -> A), timed: the kills fall across such a run.
    durations = []
    for version in ("A", "B", "A"):
        write_version(corpus, version)
        started = time.monotonic()
        child = ingest_child(settings)
        assert child.wait(timeout=120) == 0
        durations.append(time.monotonic() - started)
        state = observed(settings, embedder)
        assert state and state["ids"] == versions[version]["ids"]
    full_run = max(durations[1:])  # a rebuild beside an existing generation
    # Most kills land in the second half of a run (past the imports and the model load,
    # in the reading, embedding, writing and switching); a few come after it ends. The
    # machine's speed varies while the suite runs (and a rebuild reuses the embeddings of
    # unchanged passages), so the run length the delays scale with follows what the kills
    # see: a kill that finds the build already over shortens it. Kills go on, up to three
    # times the planned number, until half of them have hit a running build.
    fractions = [rng.uniform(0.15, 0.5) for _ in range(DATA["kills"] // 5)]
    fractions += [rng.uniform(0.5, 1.0) for _ in range(DATA["kills"] - 2 * (DATA["kills"] // 5))]
    fractions += [rng.uniform(1.0, 1.4) for _ in range(DATA["kills"] // 5)]
    rng.shuffle(fractions)

    outcomes = []
    run_length = full_run
    kill = 0
    while kill < DATA["kills"] or (sum(r for r, _ in outcomes) < DATA["kills"] // 2 and kill < 3 * DATA["kills"]):
        current = next(n for n, v in versions.items() if v["fingerprint"] == state["fingerprint"])
        target = "B" if current == "A" else "A"
        write_version(corpus, target)
        delay = fractions[kill % len(fractions)] * run_length
        child = ingest_child(settings)
        time.sleep(delay)
        was_running = child.poll() is None
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if not was_running:
            run_length *= 0.85
        state = observed(settings, embedder)
        where = f"kill {kill + 1} at {delay:.2f} s of ~{run_length:.1f} s (seed {SEED})"
        assert state is not None, f"no active generation after {where}"
        match = [n for n, v in versions.items()
                 if state["ids"] == v["ids"] and state["hashes"] == v["hashes"] and state["fingerprint"] == v["fingerprint"]]
        assert match, f"the active generation is neither A nor B after {where}: {state['count']} passages"
        assert state["count"] == len(versions[match[0]]["ids"])
        outcomes.append((was_running, match[0] == target))
        kill += 1
    killed_mid_build = sum(1 for running, _ in outcomes if running)
    print(f"crash suite (seed {SEED}): {len(outcomes)} kills, {killed_mid_build} mid-run, "
          f"{sum(1 for _, new in outcomes if new)} left the new version, "
          f"{sum(1 for _, new in outcomes if not new)} the old one; full run {full_run:.1f} s")
    assert killed_mid_build >= DATA["kills"] // 2, f"only {killed_mid_build} of {len(outcomes)} kills hit a running build (seed {SEED})"
    # Both outcomes happened: kills before the switch kept the old version, later ones the new.
    assert {new for _, new in outcomes} == {True, False}, f"outcomes {outcomes} (seed {SEED})"

    # A clean ingest after the last kill succeeds and leaves no orphan collections.
    index = fresh_index(settings, embedder)
    previous = index.active().name
    current = next(n for n, v in versions.items() if v["fingerprint"] == index.active().fingerprint)
    write_version(corpus, "B" if current == "A" else "A")
    report = run(settings, embedder=embedder, client=index.client, progress=False)
    assert report.ok and not report.up_to_date
    assert observed(settings, embedder)["ids"] == versions["B" if current == "A" else "A"]["ids"]
    left = {n for n in fresh_index(settings, embedder)._collection_names() if not n.endswith("_registry")}
    assert left == {f"{settings.collection_prefix}_{part}_{g}" for part in "psd" for g in (report.generation, previous)}
    again = run(settings, embedder=embedder, progress=False)
    assert again.up_to_date
    left = {n for n in fresh_index(settings, embedder)._collection_names() if not n.endswith("_registry")}
    assert left == {f"{settings.collection_prefix}_{part}_{report.generation}" for part in "psd"}
