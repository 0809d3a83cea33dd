"""A background of questions that are not about contract terms, to recognise them.

Colleagues ask a chat assistant everything: a VPN that fails, a restaurant near the
station, the office's bank details. Such a question can still land near some clause
(a laptop that crashes near the maintenance clause, a train ticket near the travel
costs), and how near a question is to the terms depends on its length and wording more
than on its topic. So the question is also compared with typical questions of office
life that contract terms never answer (``background.txt``, written from general
knowledge, not from any question set): when it is as near to one of them as to the
best clause, it is probably not about the terms. ``decide`` weighs that with the
other signals.

The background is embedded as passages, like the clauses, so that both similarities
are on the same scale; the vectors are computed once per model and kept (the package
keeps those of the bundled model, ``background.npz``; another model's go to the data
folder).
"""
from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

import numpy as np

from ingest import Embedder

log = logging.getLogger(__name__)

TEXTS = Path(__file__).with_name("background.txt")
SHIPPED = Path(__file__).with_name("background.npz")


def questions(path: Path = TEXTS) -> list[str]:
    """The background questions (one a line; ``#`` comments and blank lines skipped)."""
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def key(embedder_name: str, texts: list[str]) -> str:
    """What a set of vectors was computed from: the model and the exact texts."""
    digest = hashlib.sha256("\n".join([embedder_name, *texts]).encode("utf-8")).hexdigest()
    return digest[:16]


class Background:
    """The background's vectors for one embedder, loaded (or computed) on first use."""

    def __init__(self, embedder: Embedder, cache_dir: Path | None = None, path: Path = TEXTS) -> None:
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.path = path
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    self._vectors = self._load()
        return self._vectors

    def nearest(self, query_vector: np.ndarray) -> float:
        """The cosine of the background question nearest to a question (0 without any)."""
        vectors = self.vectors()
        return float((vectors @ query_vector).max()) if len(vectors) else 0.0

    def _load(self) -> np.ndarray:
        texts = questions(self.path)
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        wanted = key(self.embedder.name, texts)
        places = [SHIPPED] + ([self.cache_dir / f"background-{wanted}.npz"] if self.cache_dir else [])
        for place in places:
            try:
                with np.load(place) as stored:
                    if str(stored["key"]) == wanted:
                        return stored["vectors"].astype(np.float32)
            except (OSError, ValueError, KeyError):
                continue
        log.info("embedding %d background questions for %s", len(texts), self.embedder.name)
        vectors = np.asarray(self.embedder.embed_passages(texts), dtype=np.float32)
        if self.cache_dir is not None:
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                target = places[-1]
                tmp = target.with_name(target.name + ".tmp.npz")
                np.savez(tmp, key=np.array(wanted), vectors=vectors)
                tmp.replace(target)
            except OSError as exc:  # a read-only data folder: computed again next time
                log.warning("background vectors not kept (%s)", exc)
        return vectors


def ship(embedder: Embedder, path: Path = TEXTS, out: Path = SHIPPED) -> Path:
    """Write the package's vectors for ``embedder`` (after editing ``background.txt``):
    ``python -m assistant.background``."""
    texts = questions(path)
    vectors = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
    np.savez_compressed(out, key=np.array(key(embedder.name, texts)), vectors=vectors.astype(np.float16))
    return out


if __name__ == "__main__":
    from terms import Settings, offline_environment

    offline_environment()
    from ingest import load_embedder

    print(ship(load_embedder(Settings().embedding_model)))
