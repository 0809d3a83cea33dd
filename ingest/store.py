"""The passage index in Chroma, built aside and switched atomically.

Each build is a *generation*: its own collections for passages, sentences and
documents. A one-record registry collection names the active generation; switching
is one upsert of that record, so a reader sees the old index or the new one, never
a half-built one, and a killed build leaves the previous generation serving.
Unchanged passages (same content-derived id) reuse their stored embeddings.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .embeddings import Embedder
from terms.records import Passage, Sentence
from terms.settings import Settings

BATCH = 64
EMBED_CHUNK = 64
# The embedded store's files (SQLite's database, and its journal or write-ahead log).
STORE_FILES = ("chroma.sqlite3", "chroma.sqlite3-wal", "chroma.sqlite3-journal")
# A file written this recently may be written again within the same timestamp tick (file
# times move in coarse steps): its unchanged time does not prove it unchanged.
RECENT_WRITE_SECONDS = 2.0


def make_client(settings: Settings):
    """A Chroma client: HttpClient when a host is configured, else PersistentClient."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def _store_folder(client) -> Path | None:
    """The folder of an embedded (persistent) store; None for a server or an in-memory one."""
    try:
        settings = client.get_settings()
    except Exception:  # noqa: BLE001 - a client that cannot say is read every time
        return None
    if not getattr(settings, "is_persistent", False) or not getattr(settings, "persist_directory", None):
        return None
    return Path(settings.persist_directory)


def _files_state(folder: Path) -> tuple | None:
    """Each store file's (inode, size, modification time), or None if one was written in
    the last ``RECENT_WRITE_SECONDS`` (its time would not show a write in the same tick)."""
    state = []
    recent = time.time_ns() - int(RECENT_WRITE_SECONDS * 1e9)
    for name in STORE_FILES:
        try:
            found = os.stat(folder / name)
        except OSError:
            state.append(None)
            continue
        if found.st_mtime_ns >= recent:
            return None
        state.append((found.st_ino, found.st_size, found.st_mtime_ns))
    return tuple(state)


class ChromaEmbedding:
    """Our embedder in Chroma's embedding-function shape, so Chroma never falls back
    to its own default model (which would try to download one)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002 (Chroma's name)
        return list(self._embedder.embed_passages(list(input)))

    def embed_query(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002
        return list(self._embedder.embed_queries(list(input)))

    @staticmethod
    def name() -> str:
        return "terms-assistant"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "ChromaEmbedding":
        from .embeddings import load_embedder, spec_of

        return ChromaEmbedding(load_embedder(spec_of(config.get("model") or "e5int8:")))

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]


@dataclass(frozen=True)
class Generation:
    name: str
    fingerprint: str
    documents: dict[str, str]  # doc id -> content hash
    embedder: str
    built_at: float


def passage_metadata(p: Passage) -> dict[str, Any]:
    return {
        "doc_id": p.doc_id, "version": p.version, "start": p.start, "end": p.end,
        "pages": ",".join(map(str, p.pages)), "article": p.article, "article_title": p.article_title,
        "headings": json.dumps(p.headings, ensure_ascii=False), "kind": p.kind, "term": p.term,
    }


def passage_from(id_: str, text: str, meta: dict[str, Any]) -> Passage:
    return Passage(
        doc_id=meta["doc_id"], version=meta["version"], text=text, start=int(meta["start"]), end=int(meta["end"]),
        pages=tuple(int(x) for x in str(meta["pages"]).split(",") if x), article=meta["article"],
        article_title=meta["article_title"], headings=tuple(json.loads(meta["headings"])), kind=meta["kind"],
        term=meta["term"], id=id_,
    )


class Index:
    """Read and write the generations of one collection prefix."""

    def __init__(self, client, embedder: Embedder, prefix: str = "terms") -> None:
        self.client = client
        self.embedder = embedder
        self.prefix = prefix
        self._ef = ChromaEmbedding(embedder)
        self._registry = client.get_or_create_collection(f"{prefix}_registry", embedding_function=self._ef)
        self._folder = _store_folder(client)
        self._known: tuple[tuple, Generation | None] | None = None  # (files' state, active then)

    # -- reading ---------------------------------------------------------------
    def active(self) -> Generation | None:
        got = self._registry.get(ids=["active"], include=["metadatas"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0]
        return Generation(meta["generation"], meta["fingerprint"], json.loads(meta["documents"]),
                          meta["embedder"], float(meta["built_at"]))

    def active_now(self) -> Generation | None:
        """``active()``, read again only if the store may have changed since the last read.

        Answering a question asks which generation is active; reading the registry costs
        1.5 ms of a 30 ms answer. An embedded store (a folder on this machine) whose files
        are as they were at the last read, and were not written in the last
        ``RECENT_WRITE_SECONDS``, has the same active generation: any process's switch writes
        them. A store behind a server is read every time."""
        if self._folder is None:
            return self.active()
        state = _files_state(self._folder)
        known = self._known
        if known is not None and known[0] == state and state is not None:
            return known[1]
        active = self.active()
        self._known = (state, active)
        return active

    def collection(self, generation: str, part: str):
        return self.client.get_collection(f"{self.prefix}_{part}_{generation}", embedding_function=self._ef)

    def passages(self, generation: str) -> list[Passage]:
        got = self.collection(generation, "p").get(include=["documents", "metadatas"])
        found = [passage_from(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(found, key=lambda p: (p.doc_id, p.start))

    def sentences(self, generation: str) -> tuple[list[Sentence], np.ndarray]:
        got = self.collection(generation, "s").get(include=["documents", "metadatas", "embeddings"])
        sentences = [Sentence(m["passage_id"], d, int(m["start"]), int(m["end"]))
                     for d, m in zip(got["documents"], got["metadatas"])]
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(sentences), -1)
        return sentences, vectors

    def passage_vectors(self, generation: str, ids: list[str]) -> np.ndarray:
        """The stored embeddings of these passages, in this order."""
        if not ids:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        got = self.collection(generation, "p").get(ids=ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        return np.stack([np.asarray(by_id[i], dtype=np.float32) for i in ids])

    def documents(self, generation: str) -> dict[str, str]:
        """Cleaned text of every indexed document, by id."""
        got = self.collection(generation, "d").get(include=["documents"])
        return dict(zip(got["ids"], got["documents"]))

    def dense(self, generation: str, query_vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Passage ids and cosine similarities, best first."""
        collection = self.collection(generation, "p")
        n = min(k, collection.count())
        if n == 0:
            return []
        got = collection.query(query_embeddings=[query_vector.tolist()], n_results=n, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0])]

    # -- writing ---------------------------------------------------------------
    def build(self, fingerprint: str, documents: dict[str, str], texts: dict[str, str],
              passages: list[Passage], sentences: list[Sentence], progress: bool = True) -> tuple[Generation, int]:
        """Write a complete new generation beside the active one; return it and how
        many texts had to be embedded. Call ``switch`` to make it active."""
        sentences = list({_sentence_id(s): s for s in sentences}.values())  # ids must be unique
        name = f"{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"
        texts_of = embedded_texts(passages, sentences)
        # Each distinct text is embedded once: the stored vector of an unchanged record
        # (same content-derived id) is reused, and a text shared by several records (a
        # sentence repeated across passages or documents) is embedded for one of them.
        known: dict[str, Any] = {}
        previous = self.active()
        if previous is not None and previous.embedder == self.embedder.name:
            for part, ids in (("p", [p.id for p in passages]), ("s", [_sentence_id(s) for s in sentences])):
                for id_, vector in self._vectors(previous.name, part, ids).items():
                    known.setdefault(texts_of[id_], vector)
        missing = [t for t in dict.fromkeys(texts_of.values()) if t not in known]
        known.update(zip(missing, self._embed(missing, progress)))
        vectors = {id_: known[text] for id_, text in texts_of.items()}

        space = {"hnsw:space": "cosine"}
        pc = self.client.create_collection(f"{self.prefix}_p_{name}", embedding_function=self._ef, metadata=space)
        sc = self.client.create_collection(f"{self.prefix}_s_{name}", embedding_function=self._ef, metadata=space)
        dc = self.client.create_collection(f"{self.prefix}_d_{name}", embedding_function=self._ef)
        for chunk in _chunks(passages, BATCH):
            pc.add(ids=[p.id for p in chunk], documents=[p.text for p in chunk],
                   metadatas=[passage_metadata(p) for p in chunk], embeddings=[vectors[p.id] for p in chunk])
        for chunk in _chunks(sentences, BATCH * 4):
            sc.add(ids=[_sentence_id(s) for s in chunk], documents=[s.text for s in chunk],
                   metadatas=[{"passage_id": s.passage_id, "start": s.start, "end": s.end} for s in chunk],
                   embeddings=[vectors[_sentence_id(s)] for s in chunk])
        if texts:
            dc.add(ids=list(texts), documents=list(texts.values()), embeddings=[[1.0]] * len(texts))
        generation = Generation(name, fingerprint, documents, self.embedder.name, time.time())
        return generation, len(missing)

    def switch(self, generation: Generation) -> None:
        """Make a generation active (one record upsert), then drop all but the previous one."""
        previous = self.active()
        self._registry.upsert(ids=["active"], embeddings=[[1.0] * self.embedder.dim], metadatas=[{
            "generation": generation.name, "fingerprint": generation.fingerprint,
            "documents": json.dumps(generation.documents), "embedder": generation.embedder,
            "built_at": generation.built_at,
        }])
        keep = {generation.name} | ({previous.name} if previous else set())
        self.drop_generations(keep)

    def drop_generations(self, keep: set[str]) -> list[str]:
        """Delete collections of generations not in ``keep`` (left by killed builds too)."""
        dropped = []
        for name in self._collection_names():
            for part in ("p", "s", "d"):
                tag = f"{self.prefix}_{part}_"
                if name.startswith(tag) and name[len(tag):] not in keep:
                    self.client.delete_collection(name)
                    dropped.append(name)
        return dropped

    def _collection_names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]

    def _vectors(self, generation: str, part: str, ids: list[str]) -> dict[str, Any]:
        try:
            collection = self.collection(generation, part)
        except Exception:  # noqa: BLE001 - a missing old generation only means no reuse
            return {}
        found: dict[str, Any] = {}
        for chunk in _chunks(ids, 500):
            got = collection.get(ids=chunk, include=["embeddings"])
            found.update(zip(got["ids"], got["embeddings"]))
        return found

    def _embed(self, texts: list[str], progress: bool) -> list[np.ndarray]:
        from tqdm import tqdm

        out: list[np.ndarray] = []
        with tqdm(total=len(texts), desc="embedding", unit="text", disable=None if (progress and texts) else True,
                  leave=False) as bar:
            for chunk in _chunks(texts, EMBED_CHUNK):  # large enough to keep every worker busy
                out.extend(self.embedder.embed_passages(chunk))
                bar.update(len(chunk))
        return out


def embedding_text(p: Passage) -> str:
    """What gets embedded for a passage: its heading path, then its text."""
    return f"{p.context}\n{p.text}" if p.context else p.text


def embedded_texts(passages: list[Passage], sentences: list[Sentence]) -> dict[str, str]:
    """The text whose vector each record (passage id, sentence id) stores."""
    texts = {p.id: embedding_text(p) for p in passages}
    texts.update({_sentence_id(s): s.text for s in sentences})
    return texts


def _sentence_id(s: Sentence) -> str:
    return f"{s.passage_id}:{hash_text(s.text)}"


def hash_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
