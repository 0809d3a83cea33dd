"""Load a document file into pages: .txt/.md (form feed = page break) and .pdf."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from terms.errors import DocumentError
from terms.records import Page
from terms.settings import Settings

SUPPORTED = {".txt", ".md", ".pdf"}


def load(path: Path, settings: Settings) -> list[Page]:
    """Pages of a document, numbered from 1. Raises DocumentError naming the file."""
    return read(path, settings)[0]


def read(path: Path, settings: Settings) -> tuple[list[Page], list[str]]:
    """Pages of a document and what the reader should know about them, each note naming
    the file: "CP_x.pdf p. 3: no text layer: scanned?". Raises DocumentError naming the file."""
    suffix = path.suffix.lower()
    size_mb = path.stat().st_size / 1e6
    if size_mb > settings.max_file_mb:
        raise DocumentError(path.name, f"file too large ({size_mb:.0f} MB > {settings.max_file_mb} MB)")
    if suffix in (".txt", ".md"):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentError(path.name, f"not UTF-8 text ({exc.reason})") from exc
        if not text.strip():
            raise DocumentError(path.name, "empty document")
        return [Page(i + 1, page) for i, page in enumerate(text.split("\f"))], []
    if suffix == ".pdf":
        pages, notes = _load_pdf(path, settings)
        # A page without text is most often a scanned image: its clauses cannot be searched.
        textless = [f"p. {p.number}: no text layer: scanned?" for p in pages if not p.text.strip()]
        return pages, [f"{path.name} {note}" for note in textless + notes]
    raise DocumentError(path.name, f"unsupported file type {suffix or '(none)'}")


def _load_pdf(path: Path, settings: Settings) -> tuple[list[Page], list[str]]:
    # Tables are looked for within part of the time limit, so that a long document
    # still has its text read in time.
    command = [sys.executable, "-m", "ingest.pdfworker", str(path), str(settings.max_pdf_pages),
               str(settings.pdf_memory_mb), str(settings.pdf_timeout * 0.5)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=settings.pdf_timeout,
                              cwd=Path(__file__).resolve().parent.parent)
    except subprocess.TimeoutExpired as exc:
        raise DocumentError(path.name, f"parsing took longer than {settings.pdf_timeout:.0f} s") from exc
    try:
        result = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        result = {}
    if "pages" not in result:
        reason = result.get("error") or _crash_reason(done)
        raise DocumentError(path.name, reason)
    return [Page(i + 1, text) for i, text in enumerate(result["pages"])], list(result.get("notes", []))


def _crash_reason(done: subprocess.CompletedProcess) -> str:
    if "MemoryError" in done.stderr or done.returncode in (-9, 137):
        return "parsing exceeded the memory limit (decompression bomb?)"
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return f"parser failed ({last[:200]})"
