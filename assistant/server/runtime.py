"""What the server holds while it runs: the assistant (once it can answer), the audit
log, the one answer path every channel goes through, and the corpus facts the routes
and the chat show."""
from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata

from terms.errors import IngestBusy, TermsError
from terms.settings import Settings

from ..answer import Answer
from ..core import Assistant
from ..guard import check_question
from .audit import AuditLog

log = logging.getLogger("server")


class NotReady(TermsError):
    """The index is still being built; the server answers once it is done."""


def package_version() -> str:
    try:
        return metadata.version("terms-assistant")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class Answered:
    """An answer as a channel shows it: the question and history as checked and logged,
    the audit id (for feedback), and the manifest links of the cited documents."""

    answer: Answer
    answer_id: int
    question: str
    history: list[str]
    urls: dict[str, str]


@dataclass(frozen=True)
class Streamed:
    """A streamed answer: the checked question and history at once, then (iterating)
    pieces of text and, last, the Answered."""

    question: str
    history: list[str]
    pieces: Iterator[str | Answered]

    def __iter__(self) -> Iterator[str | Answered]:
        return self.pieces


class Runtime:
    """The assistant and its readiness. Given an assistant, it is ready at once;
    otherwise ``start()`` builds one in a background thread (ingesting first when the
    index is missing or stale) so the server can answer /health meanwhile."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self.audit = AuditLog(settings.database_url or settings.audit_db)
        self._assistant = assistant
        self.ready = threading.Event()
        self.error: str | None = None
        self.stage = "ready" if assistant else "starting"
        self._thread: threading.Thread | None = None
        if assistant is not None:
            self.ready.set()

    @property
    def assistant(self) -> Assistant:
        if not self.ready.is_set() or self._assistant is None:
            raise NotReady(self.error or f"the assistant is not ready yet ({self.stage})")
        return self._assistant

    def start(self) -> None:
        if self.ready.is_set() or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._prepare, name="prepare-index", daemon=True)
        self._thread.start()

    def _prepare(self) -> None:
        from ingest.embeddings import settings_embedder
        from ingest.pipeline import is_stale, run
        from ingest.store import Index, make_client

        try:
            self.stage = "loading the embedding model"
            embedder = settings_embedder(self.settings)
            client = make_client(self.settings)
            index = Index(client, embedder, self.settings.collection_prefix)
            while is_stale(self.settings, index):
                self.stage = "ingesting the corpus"
                log.info("index missing or stale: ingesting %s", self.settings.corpus_dir)
                try:
                    report = run(self.settings, embedder=embedder, client=client, progress=False)
                except IngestBusy as exc:
                    if index.active() is not None:
                        log.warning("%s; serving the current index meanwhile", exc)
                        break
                    log.info("%s; waiting for it", exc)
                    time.sleep(2)
                    continue
                log.info("%s", report.summary())
                break
            self.stage = "loading the index"
            assistant = Assistant.from_settings(self.settings, embedder=embedder, client=client)
            assistant.search.snapshot()  # load once now, not on the first question
            assistant.ask("délai de paiement")  # warms the vector index and the caches
            self._assistant = assistant
            self.stage = "ready"
            self.ready.set()
            log.info("ready: %s", self.index_stats())
        except TermsError as exc:
            self.error, self.stage = str(exc), "failed"
            log.error("cannot start the assistant: %s", exc)
        except Exception as exc:  # noqa: BLE001 - reported by /health instead of dying unseen in a thread
            self.error, self.stage = f"{type(exc).__name__}: {exc}", "failed"
            log.exception("cannot start the assistant")

    # -- the one answer path -----------------------------------------------------------
    def check(self, question: object, history: object = None) -> tuple[str, list[str]]:
        """The question and history every channel hands on, checked once at the edge.

        The history rule: ``history`` is the user's earlier questions of the
        conversation, oldest first; only the latest ``max_history_turns`` are kept
        (older ones are dropped, not refused), and each kept turn is cleaned and
        bounded like a question (a turn that is blank once cleaned is dropped). A
        question is bounded in characters, then in tokens of the embedding model
        (``max_question_tokens``): what it costs to answer. Raises BadQuestion with
        the reason.

        >>> runtime.settings.max_history_turns                # doctest: +SKIP
        2
        >>> runtime.check(" Délai ? ", ["q1", "q2", "  "])    # doctest: +SKIP
        ('Délai ?', ['q2'])
        """
        settings = self.settings
        turns = settings.max_history_turns
        if isinstance(history, list):
            history = history[-turns:] if turns > 0 else []
        return check_question(question, history, settings.max_question_chars, turns, settings.max_question_tokens,
                              self.assistant.embedder.count_tokens)

    def answer(self, channel: str, question: object, history: object = None, k: int | None = None) -> Answered:
        """Check, answer, log: what /api/ask, /v1/chat/completions and the chat all do.

        >>> runtime.answer("api", "Quel est le délai de paiement ?").answer.citations[0].article  # doctest: +SKIP
        '3'
        """
        assistant = self.assistant
        question, history = self.check(question, history)
        return self._logged(channel, question, history, assistant.ask(question, history, k))

    def stream(self, channel: str, question: object, history: object = None,
               k: int | None = None) -> Streamed:
        """The streaming twin of ``answer``: pieces of text, then the Answered.

        The question is checked and retrieved before this returns, so a refusal is
        raised here, before a caller has started its response."""
        assistant = self.assistant
        question, history = self.check(question, history)
        pieces = assistant.stream(question, history, k)
        first = next(pieces)
        return Streamed(question, history,
                        self._logged_stream(channel, question, history, itertools.chain([first], pieces)))

    def _logged_stream(self, channel: str, question: str, history: list[str],
                       pieces: Iterator[str | Answer]) -> Iterator[str | Answered]:
        for item in pieces:
            if isinstance(item, Answer):
                yield self._logged(channel, question, history, item)
                return
            yield item

    def _logged(self, channel: str, question: str, history: list[str], answer: Answer) -> Answered:
        answer_id = self.audit.log_answer(channel, question, history, answer, self.corpus_version())
        return Answered(answer, answer_id, question, history, self.urls())

    # -- facts about the corpus ------------------------------------------------------
    def index_stats(self) -> dict:
        snap = self.assistant.search.snapshot()
        return {"generation": snap.generation, "passages": len(snap.passages), "documents": len(snap.texts)}

    def corpus_version(self) -> dict:
        """Active generation and the versions of the indexed documents (for the audit)."""
        assistant = self.assistant
        snap = assistant.search.snapshot()
        docs = {d: (assistant.documents[d].version if d in assistant.documents else "") for d in sorted(snap.texts)}
        return {"generation": snap.generation, "documents": docs}

    def urls(self) -> dict[str, str]:
        """Manifest URLs by document id: the only links the chat renders."""
        return {d.id: d.url for d in self.assistant.documents.values() if d.url}

    def documents(self) -> list[dict]:
        """Every known document: indexed (version, passage count) or referenced but absent."""
        assistant = self.assistant
        snap = assistant.search.snapshot()
        counts: dict[str, int] = {}
        for p in snap.passages:
            counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
        absent = {d.id for d in assistant.absent_documents()}
        rows = []
        for d in assistant.documents.values():
            indexed = d.id in snap.texts
            rows.append({
                "id": d.id, "title": d.title, "short": d.short, "kind": d.kind, "language": d.language,
                "version": d.version, "effective": d.effective, "url": d.url, "file": d.file,
                "indexed": indexed, "available": d.id not in absent, "passages": counts.get(d.id, 0),
            })
        return rows

    def health(self) -> dict:
        ready = self.ready.is_set() and self._assistant is not None
        body = {
            "status": "ok" if ready else ("failed" if self.error else "starting"),
            "live": True,
            "ready": ready,
            "stage": self.stage,
            "error": self.error,
            "versions": {"package": package_version(), "documents": {}},
            "index": None,
        }
        if ready:
            body["index"] = self.index_stats()
            body["versions"]["documents"] = self.corpus_version()["documents"]
        return body
