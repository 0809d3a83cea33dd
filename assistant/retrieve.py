"""Hybrid retrieval: dense (Chroma, our embeddings) + BM25, fused by weighted rank.

English questions are searched lexically through a bilingual vocabulary, and the
lexical side weighs less for them: English words match nothing in French text, and
at full weight they drag good dense hits down.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np

from terms.errors import IndexMissing
from terms.instructions import reads_as_instruction
from terms.records import Passage, Sentence
from ingest.store import Index

from .glossary import expand_english
from .lexical import BM25, passage_tokens
from terms.text import fold, tokens

RRF_K = 60
CANDIDATES = 30
# English questions search lexically through the glossary, at a lower weight. Measured
# on the English cases of the CGS eval set (hit@5 / MRR): weight 0 -> 0.864 / 0.790,
# 0.25 -> 0.901 / 0.797, 0.5 -> 0.926 / 0.809, 1.0 -> 0.914 / 0.810.
LEXICAL_WEIGHT = {"fr": 1.0, "en": 0.5}
SENTENCE_WEIGHT = 1.0  # measured on the CGS eval set: 0 -> hit@1 0.66, 0.5 -> 0.71, 1 -> 0.72, 2 -> 0.70


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # fused rank score
    dense: float  # cosine similarity with the question
    lexical: float  # BM25
    rank: int  # 1-based


@dataclass
class Snapshot:
    """Everything retrieval needs from one index generation, loaded once."""

    generation: str
    passages: list[Passage]
    by_id: dict[str, Passage]
    bm25: BM25
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    sentences_of: dict[str, list[int]]
    texts: dict[str, str]
    sentence_terms: list[frozenset[str]] = field(default_factory=list)
    # Passages that read as instructions to a model: searchable, never quoted or shown to one.
    suspicious: frozenset[str] = frozenset()
    definitions: dict[str, Passage] = field(default_factory=dict)  # folded term -> passage


class HybridSearch:
    """Search the active generation of an index; reloads when the generation switches."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        active = self.index.active()
        if active is None:
            raise IndexMissing("no index yet: run `python -m ingest`")
        current = self._snapshot
        if current is not None and current.generation == active.name:
            return current
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != active.name:
                self._snapshot = self._load(active.name)
            return self._snapshot

    def _load(self, generation: str) -> Snapshot:
        passages = self.index.passages(generation)
        sentences, vectors = self.index.sentences(generation)
        order = sorted(range(len(sentences)), key=lambda i: (sentences[i].passage_id, sentences[i].start))
        sentences = [sentences[i] for i in order]
        vectors = vectors[order] if len(order) else vectors
        sentences_of: dict[str, list[int]] = {}
        for i, s in enumerate(sentences):
            sentences_of.setdefault(s.passage_id, []).append(i)
        definitions = {}
        for p in passages:
            if p.kind == "definition" and p.term:
                definitions.setdefault(_term_key(p.term), p)
        return Snapshot(
            generation=generation, passages=passages, by_id={p.id: p for p in passages},
            bm25=BM25([passage_tokens(p.text, p.context) for p in passages]),
            sentences=sentences, sentence_vectors=vectors, sentences_of=sentences_of,
            texts=self.index.documents(generation), definitions=definitions,
            sentence_terms=[frozenset(tokens(s.text)) for s in sentences],
            suspicious=frozenset(p.id for p in passages if reads_as_instruction(p.text)),
        )

    def search(self, query: str, k: int = 5, language: str = "fr", query_vector: np.ndarray | None = None,
               lexical_query: str | None = None) -> list[Hit]:
        """The k best passages for a query, with their scores, best first."""
        snap = self.snapshot()
        if query_vector is None:
            query_vector = self.index.embedder.embed_queries([query])[0]
        dense = self.index.dense(snap.generation, query_vector, min(CANDIDATES, len(snap.passages)))
        dense_rank = {pid: r for r, (pid, _) in enumerate(dense, 1)}
        dense_score = dict(dense)

        lexical_text = lexical_query if lexical_query is not None else query
        if language == "en":
            lexical_terms = tokens(expand_english(lexical_text), "fr") + tokens(lexical_text, "fr")
        else:
            lexical_terms = tokens(lexical_text, "fr")
        bm = snap.bm25.scores(lexical_terms)
        ranked = BM25.best(bm, CANDIDATES)
        lexical_rank = {snap.passages[i].id: r for r, i in enumerate(ranked, 1)}
        lexical_score = {snap.passages[i].id: bm[i] for i in ranked}

        # The passage whose best sentence matches the question: questions usually
        # target one sentence, which a whole-passage vector dilutes.
        sentence_rank: dict[str, int] = {}
        if SENTENCE_WEIGHT and len(snap.sentences):
            sims = snap.sentence_vectors @ query_vector
            best: dict[str, float] = {}
            for i in np.argsort(-sims)[: CANDIDATES * 4]:
                pid = snap.sentences[i].passage_id
                if pid not in best:
                    best[pid] = float(sims[i])
            sentence_rank = {pid: r for r, pid in enumerate(list(best)[:CANDIDATES], 1)}

        weight = LEXICAL_WEIGHT.get(language, 1.0)
        fused: dict[str, float] = {}
        for pid, r in dense_rank.items():
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + r)
        for pid, r in sentence_rank.items():
            fused[pid] = fused.get(pid, 0.0) + SENTENCE_WEIGHT / (RRF_K + r)
        for pid, r in lexical_rank.items():
            fused[pid] = fused.get(pid, 0.0) + weight / (RRF_K + r)
        best = sorted(fused, key=lambda pid: -fused[pid])[:k]
        missing = [pid for pid in best if pid not in dense_score]
        if missing:  # lexical-only hits still get a true cosine, for abstention and display
            vecs = self._passage_vectors(snap, missing)
            dense_score.update({pid: float(v @ query_vector) for pid, v in zip(missing, vecs)})
        return [Hit(snap.by_id[pid], fused[pid], dense_score.get(pid, 0.0), lexical_score.get(pid, 0.0), r)
                for r, pid in enumerate(best, 1)]

    def _passage_vectors(self, snap: Snapshot, ids: list[str]) -> list[np.ndarray]:
        got = self.index.collection(snap.generation, "p").get(ids=ids, include=["embeddings"])
        by = dict(zip(got["ids"], got["embeddings"]))
        return [np.asarray(by[i], dtype=np.float32) for i in ids]

    def definitions_in(self, question: str) -> list[Passage]:
        """Definitions (article 1) of the defined terms a question uses."""
        snap = self.snapshot()
        folded = " ".join(fold(question).replace("'", " ").split())
        found = []
        for key, passage in snap.definitions.items():
            pattern = r"\b" + r"s?\s+".join(map(re.escape, key.split())) + r"s?\b"
            if key and re.search(pattern, folded):
                found.append(passage)
        return found


def _term_key(term: str) -> str:
    """"Service(s)" -> "service", "Solution(s) de Paiement" -> "solution de paiement"."""
    return " ".join(fold(re.sub(r"\(.*?\)", "", term)).split())
