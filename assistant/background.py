"""A background of questions that are not about contract terms, to recognise them.

Colleagues ask a chat assistant everything: a VPN that fails, a restaurant near the
station, the office's bank details. Such a question can still land near some clause
(a laptop that crashes near the maintenance clause, a train ticket near the travel
costs), and how near a question is to the terms depends on its length and wording more
than on its topic. So the question is also compared with typical questions of office
life that contract terms never answer (``background.txt``, written from general
knowledge, not from any question set): when it is as near to them as to the best
clause, it is probably not about the terms. ``decide`` weighs that with the other
signals.

The comparison uses the second dense model (USE): it was trained to match questions with
questions, and separates the background far better than e5 (on the dev splits,
out-of-scope questions abstained on at most 3% answerable abstentions, in
cross-validation: 0.38 without a background, 0.40 with e5's, 0.61 with USE's). Without
USE the signal is left at its dev mean (it then says nothing). The vectors are computed
once and kept: the package keeps those of the bundled USE model (``background.npz``;
``python -m assistant.background`` rewrites it after ``background.txt`` changes); any
other encoder's go to the data folder.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ingest.use_channel import read_arrays, write_arrays

log = logging.getLogger(__name__)

TEXTS = Path(__file__).with_name("background.txt")
SHIPPED = Path(__file__).with_name("background.npz")
# Questions the terms do answer, in the same forms ("how long…", "c'est combien…"): what
# a question is compared with on the other side, so that its form cancels out.
FOREGROUND_TEXTS = Path(__file__).with_name("foreground.txt")
FOREGROUND_SHIPPED = Path(__file__).with_name("foreground.npz")
# The background questions a question is compared with: the mean of the nearest few
# (one near question can be chance). Chosen on the dev splits (1 or 3: 0.609 / 0.614).
NEAREST = 3


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
    """The background's vectors for one encoder, loaded (or computed) on first use.

    ``name`` names the encoder (the vectors' cache key); ``encode`` turns texts into
    unit vectors, in the space the questions will be compared in.
    """

    def __init__(self, name: str, encode: Callable[[list[str]], np.ndarray], cache_dir: Path | None = None,
                 path: Path = TEXTS, shipped: Path = SHIPPED) -> None:
        self.name = name
        self.encode = encode
        self.cache_dir = cache_dir
        self.path = path
        self.shipped = shipped
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    self._vectors = self._load()
        return self._vectors

    def nearest(self, vector: np.ndarray, k: int = NEAREST) -> float:
        """The mean cosine of the ``k`` background questions nearest to a question's vector
        (0 without a background)."""
        vectors = self.vectors()
        if not len(vectors):
            return 0.0
        sims = vectors @ vector
        k = min(k, len(sims))
        return float(np.partition(sims, len(sims) - k)[len(sims) - k:].mean())

    def _load(self) -> np.ndarray:
        texts = questions(self.path)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        cache = self.cache_dir / f"{self.path.stem}-{key(self.name, texts)}.npz" if self.cache_dir else None
        return kept_vectors(self.name, self.encode, texts, self.shipped, cache)


def kept_vectors(name: str, encode: Callable[[list[str]], np.ndarray], texts: list[str], shipped: Path,
                 cache: Path | None) -> np.ndarray:
    """The vectors of ``texts`` by the encoder ``name``: from the shipped file or the cache
    when either was computed from exactly these texts by this encoder; else computed
    (and kept in ``cache``)."""
    wanted = key(name, texts)
    for place in [shipped] + ([cache] if cache else []):
        stored = read_arrays(place, ("key", "vectors"))
        if stored and str(stored["key"]) == wanted:
            return stored["vectors"].astype(np.float32)
    log.info("encoding %d questions (%s) with %s", len(texts), shipped.stem, name)
    vectors = np.asarray(encode(texts), dtype=np.float32)
    if cache is not None:
        try:
            write_arrays(cache, key=np.array(wanted), vectors=vectors)
        except OSError as exc:  # a read-only data folder: computed again next time
            log.warning("vectors of %s not kept (%s)", shipped.stem, exc)
    return vectors


def ship(name: str, encode: Callable[[list[str]], np.ndarray], path: Path = TEXTS, out: Path = SHIPPED) -> Path:
    """Write the package's vectors (after editing ``background.txt``)."""
    return ship_vectors(name, encode, questions(path), out)


def ship_vectors(name: str, encode: Callable[[list[str]], np.ndarray], texts: list[str], out: Path) -> Path:
    """Write the vectors of ``texts`` where ``kept_vectors`` finds them (float16: half the
    size, and well within what a cosine needs)."""
    vectors = np.asarray(encode(texts), dtype=np.float32)
    np.savez_compressed(out, key=np.array(key(name, texts)), vectors=vectors.astype(np.float16))
    return out


if __name__ == "__main__":
    from terms import offline_environment

    offline_environment()
    from ingest.use_channel import load_use

    use = load_use()
    print(ship(use.name, use.encode))
    if FOREGROUND_TEXTS.exists():
        print(ship(use.name, use.encode, FOREGROUND_TEXTS, FOREGROUND_SHIPPED))
