"""The index in real Chroma: idempotent re-ingest, exact replacement of changed passages,
atomic generation switch (a killed build leaves the old index serving), the writer lock,
and the same pipeline against a real Chroma server."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from terms.errors import IngestBusy
from ingest.pipeline import corpus_state, process, run
from bench import serve
from terms.settings import ROOT
from ingest.store import Index, make_client
from tests.conftest import CGS_FILE

PRIX = "Le prix est fixé au devis accepté par le Client. Les factures sont payables à trente jours."


def open_index(settings, embedder) -> Index:
    """A fresh client and index on the settings' store."""
    return Index(make_client(settings), embedder, settings.collection_prefix)


def state(index: Index):
    active = index.active()
    assert active is not None
    passages = index.passages(active.name)
    return active, {p.id: p for p in passages}


def top_hit(index: Index, embedder, question: str) -> str:
    active = index.active()
    hits = index.dense(active.name, embedder.embed_queries([question])[0], k=3)
    return {p.id: p for p in index.passages(active.name)}[hits[0][0]].text


def test_reingest_unchanged_changes_nothing(small_corpus, make_settings, embedder):
    settings = make_settings(small_corpus)
    first = run(settings, embedder=embedder, progress=False)
    assert first.ok and not first.up_to_date and first.documents == 3
    assert first.embedded > first.passages > 0  # passages and their sentences
    index = open_index(settings, embedder)
    generation, passages = state(index)

    again = run(settings, embedder=embedder, progress=False)
    assert again.up_to_date
    assert again.generation == first.generation and again.embedded == 0
    generation2, passages2 = state(open_index(settings, embedder))
    assert generation2 == generation
    assert passages2.keys() == passages.keys() and len(passages2) == first.passages


def test_forced_rebuild_reuses_every_embedding(small_corpus, make_settings, embedder):
    settings = make_settings(small_corpus)
    first = run(settings, embedder=embedder, progress=False)
    forced = run(settings, embedder=embedder, progress=False, force=True)
    assert forced.generation != first.generation
    assert forced.embedded == 0 and forced.passages == first.passages
    _, before = state(open_index(settings, embedder))
    assert len(before) == first.passages


def test_changed_document_replaces_exactly_its_passages(small_corpus, make_settings, embedder):
    settings = make_settings(small_corpus)
    run(settings, embedder=embedder, progress=False)
    index = open_index(settings, embedder)
    _, before = state(index)
    old_prix = [i for i, p in before.items() if p.text == PRIX]
    assert len(old_prix) == 1

    alpha = small_corpus / "alpha.txt"
    new_prix = "Le prix est fixé au devis accepté par le Client. Les factures sont payables à quarante-cinq jours."
    alpha.write_text(alpha.read_text(encoding="utf-8").replace(PRIX, new_prix), encoding="utf-8")
    report = run(settings, embedder=embedder, progress=False)
    assert report.ok and not report.up_to_date

    generation, after = state(open_index(settings, embedder))
    gone, added = before.keys() - after.keys(), after.keys() - before.keys()
    assert gone == set(old_prix)
    assert len(added) == 1
    new = after[added.pop()]
    assert new.text == new_prix and new.doc_id == "alpha" and new.article == "2"
    # Every untouched passage keeps its id (alpha's other articles too); those after the
    # change moved, and their stored offsets follow.
    assert len(before.keys() & after.keys()) == len(before) - 1
    for id_ in before.keys() & after.keys():
        old, now = before[id_], after[id_]
        assert (now.text, now.heading_path, now.doc_id) == (old.text, old.heading_path, old.doc_id)
        shift = len(new_prix) - len(PRIX) if now.doc_id == "alpha" and now.start > new.start else 0
        assert (now.start, now.end) == (old.start + shift, old.end + shift)
    # Only the new passage and its sentences were embedded.
    new_sentences = [s for s in index.sentences(generation.name)[0] if s.passage_id == new.id]
    assert len(new_sentences) == 2
    assert report.embedded == 1 + len(new_sentences)
    assert "quarante-cinq jours" in top_hit(index, embedder, "Sous quel délai les factures sont-elles payables ?")


class CountedReads:
    """The registry collection, counting its reads."""

    def __init__(self, collection) -> None:
        self.collection, self.reads = collection, 0

    def get(self, *args, **kwargs):
        self.reads += 1
        return self.collection.get(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.collection, name)


def age_store(folder: Path, seconds: float) -> None:
    """Date the store's files back, as if last written ``seconds`` ago."""
    then = time.time() - seconds
    for f in folder.glob("chroma.sqlite3*"):
        os.utime(f, (then, then))


def test_the_active_generation_is_read_again_only_after_a_write(small_corpus, make_settings, embedder):
    """Each question asks which generation is active: the registry is read again only
    when the store's files changed since the last read, or were written too recently
    for their times to tell."""
    settings = make_settings(small_corpus)
    first = run(settings, embedder=embedder, progress=False)
    index = open_index(settings, embedder)
    counted = index._registry = CountedReads(index._registry)
    assert index.active_now().name == first.generation
    assert index.active_now().name == first.generation
    assert counted.reads == 2  # just written: read every time

    age_store(settings.chroma_path, 60)
    for _ in range(3):
        assert index.active_now().name == first.generation
    assert counted.reads == 3  # one read, then the files say nothing changed

    # Another writer (its own client) switches: the next question sees the new generation.
    alpha = small_corpus / "alpha.txt"
    alpha.write_text(alpha.read_text(encoding="utf-8").replace("trente jours", "quarante jours"), encoding="utf-8")
    second = run(settings, embedder=embedder, progress=False)
    assert second.ok and second.generation != first.generation
    assert index.active_now().name == second.generation
    # Dated back again, a change of size or time alone still shows.
    age_store(settings.chroma_path, 60)
    assert index.active_now().name == second.generation
    reads = counted.reads
    age_store(settings.chroma_path, 30)
    assert index.active_now().name == second.generation
    assert counted.reads == reads + 1


def test_removed_document_disappears(small_corpus, make_settings, embedder):
    settings = make_settings(small_corpus)
    run(settings, embedder=embedder, progress=False)
    _, before = state(open_index(settings, embedder))
    assert any(p.doc_id == "gamma" for p in before.values())

    (small_corpus / "gamma.txt").unlink()
    report = run(settings, embedder=embedder, progress=False)
    assert report.ok and report.documents == 2 and report.embedded == 0
    index = open_index(settings, embedder)
    generation, after = state(index)
    assert {p.doc_id for p in after.values()} == {"alpha", "beta"}
    assert after.keys() == {i for i, p in before.items() if p.doc_id != "gamma"}
    assert "gamma" not in generation.documents and "gamma" not in index.documents(generation.name)
    sentences, vectors = index.sentences(generation.name)
    assert sentences and all(s.passage_id in after for s in sentences)
    assert vectors.shape == (len(sentences), embedder.dim)


def _collections(index: Index) -> set[str]:
    return set(index._collection_names())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _run_until_busy(proc: subprocess.Popen, cpu: float, timeout: float) -> None:
    """Wait until the child has used ``cpu`` seconds of CPU: past its imports and model
    load, inside the embedding of the CGS, whatever the machine's load (on an idle 2-core
    machine the embedding runs from about 3.7 to 12.9 s of the child's CPU; its collections
    are created after it, so a kill past it leaves them behind)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and _cpu_seconds(proc.pid) < cpu:
        assert time.monotonic() < deadline, "the child made no progress"
        time.sleep(0.1)


def test_killed_build_leaves_the_old_generation_serving(small_corpus, make_settings, embedder):
    settings = make_settings(small_corpus)
    first = run(settings, embedder=embedder, progress=False)
    index = open_index(settings, embedder)
    old_generation, old_passages = state(index)
    collections_before = _collections(index)

    # A bigger corpus, rebuilt in a child that dies mid-way through embedding it (killed in
    # the middle of the embedding's CPU span: at 10 s, near its end, it sometimes finished).
    shutil.copy(CGS_FILE, small_corpus / CGS_FILE.name)
    child = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--force", "--corpus", str(small_corpus), "--data", str(settings.data_dir)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _run_until_busy(child, cpu=7.0, timeout=240)
        assert child.poll() is None, "the child finished before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    index = open_index(settings, embedder)
    generation, passages = state(index)
    assert generation == old_generation
    assert passages.keys() == old_passages.keys() and len(passages) == first.passages
    assert "CGS" not in " ".join(generation.documents)
    assert "trente jours" in top_hit(index, embedder, "Sous quel délai les factures sont-elles payables ?")
    assert _collections(index) == collections_before


def test_build_without_switch_is_invisible_and_cleaned_up(small_corpus, make_settings, embedder):
    """The worst moment to die: the new generation is fully written but not switched to."""
    settings = make_settings(small_corpus)
    run(settings, embedder=embedder, progress=False)
    index = open_index(settings, embedder)
    old_generation, old_passages = state(index)

    _, hashes, present = corpus_state(settings, embedder.name)
    doc, path = next((d, p) for d, p in present if d.id == "beta")
    passages, sentences, text, _, _ = process(doc, path, settings)
    orphan, _ = index.build("orphan", {doc.id: hashes[doc.id]}, {doc.id: text}, passages, sentences, progress=False)
    orphans = {f"{settings.collection_prefix}_{part}_{orphan.name}" for part in "psd"}
    assert orphans <= _collections(index)

    fresh = open_index(settings, embedder)
    generation, now = state(fresh)
    assert generation == old_generation and now.keys() == old_passages.keys()
    assert "trente jours" in top_hit(fresh, embedder, "Sous quel délai les factures sont-elles payables ?")

    report = run(settings, embedder=embedder, progress=False)
    assert report.up_to_date and report.generation == old_generation.name
    left = _collections(open_index(settings, embedder))
    assert not orphans & left
    assert {n for n in left if not n.endswith("_registry")} == \
        {f"{settings.collection_prefix}_{part}_{old_generation.name}" for part in "psd"}


def test_lock_refuses_a_second_writer(small_corpus, make_settings, embedder):
    settings = make_settings(small_corpus)
    settings.data_dir.mkdir(parents=True)
    lock_path = settings.data_dir / "ingest.lock"
    with FileLock(str(lock_path)):
        with pytest.raises(IngestBusy) as caught:
            run(settings, embedder=embedder, progress=False)
    message = str(caught.value)
    assert "another ingest is running" in message and str(lock_path) in message
    assert not settings.chroma_path.exists() or open_index(settings, embedder).active() is None
    assert run(settings, embedder=embedder, progress=False).ok  # the lock is free again


def test_lock_held_by_another_process(small_corpus, make_settings, embedder, tmp_path):
    settings = make_settings(small_corpus)
    settings.data_dir.mkdir(parents=True)
    holder = _hold_lock(settings.data_dir / "ingest.lock", 60)
    try:
        with pytest.raises(IngestBusy):
            run(settings, embedder=embedder, progress=False)
    finally:
        holder.kill()
        holder.wait(timeout=10)


def _hold_lock(path, seconds: float) -> subprocess.Popen:
    """Another process holding a lock for ``seconds`` (once it says so)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(float(sys.argv[2]))",
         str(path), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_waiting_writer_runs_once_the_other_is_done(small_corpus, make_settings, embedder):
    # Two eval runs started together: the second waits for the first's ingest, then finds
    # the index up to date, instead of failing.
    settings = make_settings(small_corpus)
    settings.data_dir.mkdir(parents=True)
    assert run(settings, embedder=embedder, progress=False).ok
    holder = _hold_lock(settings.data_dir / "ingest.lock", 60)
    try:
        with pytest.raises(IngestBusy) as caught:
            run(settings, embedder=embedder, progress=False, wait=0.5)
        assert "still running after" in str(caught.value)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    holder = _hold_lock(settings.data_dir / "ingest.lock", 1.5)
    try:
        report = run(settings, embedder=embedder, progress=False, wait=60)
        assert holder.poll() is not None  # it did wait for the holder to finish
        assert report.ok and report.up_to_date
    finally:
        holder.kill()
        holder.wait(timeout=10)


@pytest.fixture
def chroma_server(tmp_path):
    path = tmp_path / "server-chroma"
    with serve.chroma_server(path, tmp_path / "chroma-server.log") as port:
        yield port, path


def test_client_server_mode(small_corpus, make_settings, embedder, chroma_server):
    port, server_path = chroma_server
    settings = make_settings(small_corpus, chroma_host="127.0.0.1", chroma_port=port)
    client = make_client(settings)
    assert type(client).__name__ != "PersistentClient" and client.heartbeat() > 0

    report = run(settings, embedder=embedder, progress=False)
    assert report.ok and report.documents == 3 and report.passages > 0
    assert run(settings, embedder=embedder, progress=False).up_to_date

    index = open_index(settings, embedder)
    generation, passages = state(index)
    assert generation.name == report.generation and len(passages) == report.passages
    assert "trente jours" in top_hit(index, embedder, "Sous quel délai les factures sont-elles payables ?")
    # Everything went to the server's store, nothing to the embedded one.
    assert not settings.chroma_path.exists()
    assert (server_path / "chroma.sqlite3").exists()
