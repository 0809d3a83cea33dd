"""BM25 over the passages, French-aware (see ``text.tokens``)."""
from __future__ import annotations

import math
from collections import Counter

from terms.text import tokens


class BM25:
    """Okapi BM25. ``docs`` are already tokenised.

    >>> index = BM25([["paiement", "30", "jour"], ["tribunal", "paris"]])
    >>> index.scores(["tribunal"])[1] > 0 == index.scores(["tribunal"])[0]
    True
    """

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


def passage_tokens(text: str, context: str) -> list[str]:
    """What a passage is indexed under: its heading path (twice: headings name the
    topic) and its text."""
    head = tokens(context)
    return head + head + tokens(text)
