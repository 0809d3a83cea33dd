"""Parse one PDF in a child process: ``python -m ingest.pdfworker FILE MAX_PAGES MEMORY_MB``.

Crafted PDFs (decompression bombs, circular references, thousands of pages) can
hang or exhaust a parser, so the parent runs this under a time limit and the
child caps its own address space. Prints JSON: {"pages": [...]} or {"error": "..."}.
"""
from __future__ import annotations

import json
import logging
import resource
import sys


def main(path: str, max_pages: int, memory_mb: int) -> dict:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # pypdf warns on every recoverable oddity: keep them quiet, but note the loops it
    # breaks (a circular xref chain is a crafted file, not a damaged one).
    watch = _LoopWatch(logging.WARNING)
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.propagate = False
    pypdf_log.addHandler(watch)
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    return {"error": "encrypted PDF (a password is needed to read it)"}
            except Exception as exc:  # pypdf raises several types for unsupported encryption
                return {"error": f"encrypted PDF ({exc.__class__.__name__})"}
        count = len(reader.pages)
        if count > max_pages:
            return {"error": f"too many pages ({count} > {max_pages})"}
        pages = [page.extract_text() or "" for page in reader.pages]
    except MemoryError:
        return {"error": "parsing exceeded the memory limit (decompression bomb?)"}
    except LimitReachedError as exc:  # pypdf's own bound on inflated streams
        if "decompress" in str(exc):
            return {"error": "parsing exceeded the decompression limit (decompression bomb?)"}
        return {"error": f"corrupt PDF (LimitReachedError: {str(exc)[:200]})"}
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, RecursionError, OSError) as exc:
        return {"error": f"corrupt PDF ({exc.__class__.__name__}: {str(exc)[:200]})"}
    if watch.loops:
        return {"error": f"corrupt PDF (circular references: {watch.loops[0][:120]})"}
    if not any(p.strip() for p in pages):
        return {"error": "no text layer (empty or scanned PDF)"}
    return {"pages": pages}


class _LoopWatch(logging.Handler):
    """Keeps the messages of the reference loops pypdf detects and breaks."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.loops: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "ircular" in record.getMessage():
            self.loops.append(record.getMessage())


if __name__ == "__main__":
    result = main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
    sys.stdout.write(json.dumps(result))
