"""Ingest a corpus folder into the index: load, clean, segment, embed, switch."""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from .embeddings import Embedder, load_embedder, settings_embedder
from terms.errors import DocumentError, IngestBusy
from terms.instructions import suspicious_lines

from .loaders import SUPPORTED, read
from .manifest import is_present, read_manifest
from terms.records import DocumentInfo, Passage, Sentence
from .segment import segment
from terms.settings import Settings
from .store import Index, make_client
from . import use_channel
from .structure import parse

log = logging.getLogger("ingest")

# Bump when cleaning or segmentation changes, so existing indexes count as stale.
PIPELINE_VERSION = "3"


@dataclass
class IngestReport:
    documents: int = 0
    pages: int = 0
    passages: int = 0
    embedded: int = 0
    seconds: float = 0.0
    up_to_date: bool = False
    generation: str = ""
    errors: list[DocumentError] = field(default_factory=list)
    flagged: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # indexed, but partly: "CP_x.pdf p. 3: no text layer: scanned?"
    per_document: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.up_to_date:
            lines = [f"index up to date (generation {self.generation}): {self.documents} documents, "
                     f"{self.passages} passages; nothing to do ({self.seconds:.1f} s)"]
        else:
            lines = [f"indexed generation {self.generation}: {self.documents} documents, {self.pages} pages, "
                     f"{self.passages} passages ({self.embedded} embedded) in {self.seconds:.1f} s"]
        lines += [f"  error: {e}" for e in self.errors]
        lines += [f"  skipped: {s}" for s in self.skipped]
        lines += [f"  warning: {w}" for w in self.warnings]
        for doc, hits in self.flagged.items():
            lines.append(f"  flagged {doc}: text that reads like instructions to a model "
                         f"(ingested as plain text): {hits[0]}" + (f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""))
        return "\n".join(lines)


def document_hash(doc: DocumentInfo, path: Path) -> str:
    h = hashlib.sha256()
    h.update(repr((doc.id, doc.title, doc.version, doc.kind, doc.language)).encode())
    h.update(path.read_bytes())
    return h.hexdigest()[:16]


def corpus_state(settings: Settings, embedder_name: str) -> tuple[str, dict[str, str], list[tuple[DocumentInfo, Path]]]:
    """Fingerprint of what an index of this corpus should contain (cheap: hashes files only)."""
    present = []
    for doc in read_manifest(settings.corpus_dir):
        if is_present(doc, settings.corpus_dir):
            present.append((doc, settings.corpus_dir / doc.file))
    hashes = {doc.id: document_hash(doc, path) for doc, path in present}
    material = repr((sorted(hashes.items()), embedder_name, PIPELINE_VERSION, settings.max_passage_chars))
    return hashlib.sha256(material.encode()).hexdigest()[:16], hashes, present


def is_stale(settings: Settings, index: Index) -> bool:
    active = index.active()
    fingerprint, _, _ = corpus_state(settings, index.embedder.name)
    return active is None or active.fingerprint != fingerprint


def process(doc: DocumentInfo, path: Path, settings: Settings, notes: list[str] | None = None
            ) -> tuple[list[Passage], list[Sentence], str, int, list[str]]:
    """Load, clean and segment one document (pure but for reading the file).

    What the reader noticed (a page without a text layer…) is added to ``notes``."""
    pages, read_notes = read(path, settings)
    if notes is not None:
        notes += read_notes
    outline = parse(pages)
    if not outline.text.strip():
        raise DocumentError(path.name, "no text after cleaning")
    passages, sentences = segment(outline, doc, settings.max_passage_chars)
    return passages, sentences, outline.text, len(pages), suspicious_lines(pages)


def run(settings: Settings, embedder: Embedder | None = None, client=None, progress: bool = True,
        force: bool = False, wait: float = 0.0) -> IngestReport:
    """Bring the index in line with the corpus folder. One writer at a time: another one
    running makes this one wait up to ``wait`` seconds (then finish what that one left,
    usually nothing), or refuse at once with ``IngestBusy`` (the default: the server's
    reload says so to its caller instead of hanging)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.data_dir / "ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if wait <= 0:
            raise IngestBusy(f"another ingest is running (lock held on {settings.data_dir / 'ingest.lock'})") from None
        log.info("another ingest is running: waiting up to %.0f s for it", wait)
        try:
            lock.acquire(timeout=wait)
        except Timeout as exc:
            raise IngestBusy(f"another ingest is still running after {wait:.0f} s "
                             f"(lock held on {settings.data_dir / 'ingest.lock'})") from exc
    try:
        embedder = embedder or settings_embedder(settings)
        return _run_locked(settings, embedder,
                           client or make_client(settings), progress, force)
    finally:
        lock.release()


def _run_locked(settings: Settings, embedder: Embedder, client, progress: bool, force: bool) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    index = Index(client, embedder, settings.collection_prefix)
    fingerprint, hashes, present = corpus_state(settings, embedder.name)
    active = index.active()
    for path in sorted(settings.corpus_dir.iterdir()) if settings.corpus_dir.is_dir() else []:
        if path.is_file() and path.suffix.lower() not in SUPPORTED and path.name != "manifest.toml":
            report.skipped.append(f"{path.name}: unsupported file type")
            log.warning("skipped %s: unsupported file type", path.name)
    if active and active.fingerprint == fingerprint and not force:
        index.drop_generations({active.name})  # orphans of killed builds
        # An index built before the second channel existed (or whose file was lost) gets
        # its vectors now, not at a server's first question.
        if settings.second_channel == "use" and not use_channel.cache_path(settings.data_dir, active.name).exists():
            second_channel(settings, index.passages(active.name), active.name)
        report.up_to_date, report.generation = True, active.name
        report.documents = len(active.documents)
        report.passages = index.collection(active.name, "p").count()
        report.seconds = time.perf_counter() - started
        return report

    passages: list[Passage] = []
    sentences: list[Sentence] = []
    texts: dict[str, str] = {}
    docs_iter = present
    if progress:
        from tqdm import tqdm

        docs_iter = tqdm(present, desc="reading", unit="doc", leave=False)
    for doc, path in docs_iter:
        try:
            notes: list[str] = []
            doc_passages, doc_sentences, text, pages, flags = process(doc, path, settings, notes)
        except DocumentError as exc:
            report.errors.append(exc)
            hashes.pop(doc.id, None)
            log.error("%s", exc)
            continue
        passages += doc_passages
        sentences += doc_sentences
        texts[doc.id] = text
        report.documents += 1
        report.pages += pages
        report.per_document[doc.id] = len(doc_passages)
        if flags:
            report.flagged[doc.id] = flags
        for note in notes:
            report.warnings.append(note)
            log.warning("%s", note)
    if report.errors:
        # The index must not claim to match a corpus it could not fully read: the
        # fingerprint then differs from a clean run, so the next start retries.
        fingerprint = f"{fingerprint}-partial"
    generation, report.embedded = index.build(fingerprint, hashes, texts, passages, sentences, progress)
    # The generation's second-channel vectors exist before it becomes active.
    second_channel(settings, passages, generation.name, active.name if active else None)
    index.switch(generation)
    if settings.second_channel == "use":
        use_channel.prune(settings.data_dir, {generation.name} | ({active.name} if active else set()))
    report.passages, report.generation = len(passages), generation.name
    report.seconds = time.perf_counter() - started
    return report


def second_channel(settings: Settings, passages: list[Passage], generation: str, previous: str | None = None) -> None:
    """Compute (or complete) a generation's USE passage vectors; the previous generation's
    file supplies the passages both share."""
    if settings.second_channel != "use" or not passages:
        return
    path = use_channel.cache_path(settings.data_dir, generation)
    seed = use_channel.cache_path(settings.data_dir, previous) if previous else None
    use_channel.passage_vectors(use_channel.load_use(), passages, path, seed)
