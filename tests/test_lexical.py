"""The sparse-matrix BM25 gives the scores and the ranking of the plain per-passage
formula, on the CGS passages and every question of the CGS eval set."""
from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest

from assistant.vocabulary import expand
from assistant.lexical import BM25, passage_tokens
from ingest.manifest import read_manifest
from ingest.pipeline import process
from terms.settings import ROOT, Settings
from terms.text import detect_language, tokens
from tests.conftest import CORPUS


class LoopBM25:
    """The formula as one Python loop over passages: the reference the matrix must equal."""

    def __init__(self, docs: list[list[str]], k1: float = 1.4, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.freqs = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg = sum(self.lengths) / max(len(docs), 1) or 1.0
        df = Counter(term for d in docs for term in set(d))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: list[str], weights: dict[str, float] | None = None) -> list[float]:
        out = []
        for freqs, length in zip(self.freqs, self.lengths):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / self.avg)
            for term in set(query):
                f = freqs.get(term)
                if f:
                    score += (weights or {}).get(term, 1.0) * self.idf[term] * f * (self.k1 + 1) / (f + norm)
            out.append(score)
        return out


@pytest.fixture(scope="module")
def cgs_docs() -> list[list[str]]:
    settings = Settings(corpus_dir=CORPUS)
    doc = next(d for d in read_manifest(CORPUS) if d.id.startswith("cgs"))
    passages, *_ = process(doc, CORPUS / doc.file, settings)
    assert len(passages) > 50
    return [passage_tokens(p.text, p.context) for p in passages]


def eval_queries() -> list[list[str]]:
    """The lexical terms retrieval searches for each eval question, as HybridSearch builds
    them: the question's own words, then the vocabulary's renderings of them."""
    out = []
    for path in sorted((ROOT / "evals" / "sets").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                question = json.loads(line)["question"]
                out.append(tokens(question, "fr") + tokens(expand(question, detect_language(question)), "fr"))
    return out


def test_scores_equal_the_loop_formula_on_the_cgs(cgs_docs):
    loop, matrix = LoopBM25(cgs_docs), BM25(cgs_docs)
    queries = eval_queries()
    assert len(queries) > 200
    compared = 0
    for query in queries:
        expected = np.asarray(loop.scores(query))
        got = matrix.scores(query)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
        compared += int((expected > 0).sum())
    assert compared > 1000  # the comparison covered real matches, not only zeros


def test_weighted_queries_and_repeated_terms(cgs_docs):
    loop, matrix = LoopBM25(cgs_docs), BM25(cgs_docs)
    query = tokens("pénalités de retard de paiement paiement facture tribunal inconnuxyz")
    weights = {query[0]: 0.25, query[-2]: 3.0}
    np.testing.assert_allclose(matrix.scores(query, weights), loop.scores(query, weights), rtol=0, atol=1e-9)
    assert matrix.scores(["inconnuxyz"]).tolist() == [0.0] * len(cgs_docs)
    assert matrix.scores([]).tolist() == [0.0] * len(cgs_docs)


def test_best_ranks_like_a_stable_sort_of_positive_scores(cgs_docs):
    loop, matrix = LoopBM25(cgs_docs), BM25(cgs_docs)
    for query in eval_queries():
        reference = loop.scores(query)
        expected = sorted((i for i, s in enumerate(reference) if s > 0), key=lambda i: -reference[i])[:30]
        got = BM25.best(matrix.scores(query), 30)
        # Equal up to ties that rounding may order differently.
        assert [round(reference[i], 9) for i in got] == [round(reference[i], 9) for i in expected]
    ties = np.array([1.0, 0.0, 2.0, 1.0, 2.0, 1.0, -1.0])
    assert BM25.best(ties, 4) == [2, 4, 0, 3]
    assert BM25.best(ties, 10) == [2, 4, 0, 3, 5]
    assert BM25.best(np.zeros(3), 5) == []


def test_empty_index():
    index = BM25([])
    assert index.scores(["paiement"]).tolist() == []
    assert BM25.best(index.scores(["paiement"]), 5) == []
    one = BM25([[]])
    assert one.scores(["paiement"]).tolist() == [0.0]
