"""BM25 over the passages, French-aware (see ``text.tokens``).

The index is one sparse matrix of per-(passage, term) BM25 weights, computed once per
index snapshot; a query is a sparse product over the columns of its terms, so a
question costs the postings of its own terms, never a Python loop over passages.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse

from terms.text import tokens


class BM25:
    """Okapi BM25 (idf ``log(1 + (n - df + 0.5) / (df + 0.5))``). ``docs`` are already tokenised.

    >>> index = BM25([["paiement", "30", "jour"], ["tribunal", "paris"]])
    >>> index.scores(["tribunal"]).round(3).tolist()
    [0.0, 0.76]
    """

    def __init__(self, docs: list[list[str]], k1: float = 1.4, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        columns: list[int] = []
        counts: list[int] = []
        for row, doc in enumerate(docs):
            for term, f in Counter(doc).items():
                rows.append(row)
                columns.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                counts.append(f)
        n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        self.avg = avg = float(lengths.sum()) / max(n, 1) or 1.0
        df = np.bincount(np.asarray(columns, dtype=np.int64), minlength=len(self.vocabulary)).astype(np.float64)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        self.idf = dict(zip(self.vocabulary, idf.tolist()))
        rows_a, columns_a = np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64)
        f = np.asarray(counts, dtype=np.float64)
        norm = k1 * (1 - b + b * lengths / avg)
        # The same arithmetic, in the same order, as the per-passage formula.
        weight = idf[columns_a] * f * (k1 + 1) / (f + norm[rows_a])
        # Columns are what a query selects: CSC makes that a slice.
        self._matrix = sparse.csc_matrix((weight, (rows_a, columns_a)), shape=(n, len(self.vocabulary)))
        self.size = n

    def scores(self, query: list[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """The BM25 score of every passage (index order) for a query's terms; each
        distinct term counts once, times its weight (1 by default)."""
        found = [(self.vocabulary[t], (weights or {}).get(t, 1.0)) for t in dict.fromkeys(query)
                 if t in self.vocabulary]
        if not found:
            return np.zeros(self.size)
        columns, factors = zip(*found)
        return self._matrix[:, list(columns)] @ np.asarray(factors, dtype=np.float64)

    @staticmethod
    def best(scores: np.ndarray, n: int) -> list[int]:
        """Indices of the ``n`` best positive scores, best first; ties keep index order.

        >>> BM25.best(np.array([0.0, 2.0, 1.0, 2.0]), 2)
        [1, 3]
        """
        positive = np.flatnonzero(scores > 0)
        if len(positive) > n:  # keep every score tied with the n-th, then sort those
            cut = np.partition(scores[positive], len(positive) - n)[len(positive) - n]
            positive = positive[scores[positive] >= cut]
        return positive[np.argsort(-scores[positive], kind="stable")][:n].tolist()


def passage_tokens(text: str, context: str, language: str = "fr") -> list[str]:
    """What a passage is indexed under: its heading path (twice: headings name the
    topic) and its text, analysed in the documents' language (stop words, stems)."""
    head = tokens(context, language)
    return head + head + tokens(text, language)

