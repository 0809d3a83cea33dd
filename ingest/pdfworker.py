"""Parse one PDF in a child process: ``python -m ingest.pdfworker FILE MAX_PAGES MEMORY_MB TABLE_SECONDS``.

Crafted PDFs (decompression bombs, circular references, thousands of pages) can
hang or exhaust a parser, so the parent runs this under a time limit and the
child caps its own address space. Prints JSON: {"pages": [...], "notes": [...]}
or {"error": "..."}.

pypdf reads the text (in the order the page draws it, which keeps columns apart);
pdfplumber reads the page's geometry to find its tables (``pdftables``), and each
table replaces, at its place in the page text, the run-together lines pypdf made of it.
"""
from __future__ import annotations

import json
import logging
import resource
import sys
import time

from .tables import MARKERS, encode


def main(path: str, max_pages: int, memory_mb: int, table_seconds: float = 10.0) -> dict:
    # Imported before the cap: loading the parsers' code and libraries maps address
    # space that has nothing to do with the file being parsed.
    import pdfplumber
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # pypdf warns on every recoverable oddity: keep them quiet, but note the loops it
    # breaks (a circular xref chain is a crafted file, not a damaged one).
    watch = _LoopWatch(logging.WARNING)
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.propagate = False
    pypdf_log.addHandler(watch)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)

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
        plain, layouts = [], []
        for page in reader.pages:
            rows = _Baselines()
            plain.append(page.extract_text(visitor_text=rows.visit) or "")
            layouts.append(rows.may_hold_a_table())
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
    if not any(p.strip() for p in plain):
        return {"error": "no text layer (empty or scanned PDF)"}
    try:
        pages, notes = _with_tables(path, reader, plain, layouts, pdfplumber, table_seconds)
    except MemoryError:
        return {"error": "parsing exceeded the memory limit (decompression bomb?)"}
    return {"pages": pages, "notes": notes}


def _with_tables(path: str, reader, plain: list[str], layouts: list[bool], pdfplumber, seconds: float
                 ) -> tuple[list[str], list[str]]:
    """The pages' text with their tables in place. A page whose geometry cannot be read
    keeps its plain text (and a note says so): tables are found in addition to the text,
    never instead of it."""
    from .pdftables import find_tables

    started = time.monotonic()
    pages, notes = [], []
    if not any(layouts):
        return [_sanitise(t) for t in plain], notes
    try:
        geometry = pdfplumber.open(path)
    except MemoryError:
        raise
    except Exception as exc:  # pdfminer raises its own types on files pypdf tolerates
        return [_sanitise(t) for t in plain], [f"tables not read ({exc.__class__.__name__})"]
    with geometry:
        for number, (page, shape, text, maybe) in enumerate(zip(reader.pages, geometry.pages, plain, layouts), 1):
            if not maybe:  # reading a page's geometry costs ten times reading its text
                pages.append(_sanitise(text))
                continue
            if time.monotonic() - started > seconds:
                notes.append(f"tables not read from p. {number} on (over {seconds:.0f} s)")
                pages += [_sanitise(t) for t in plain[number - 1:]]
                break
            try:
                tables = find_tables(shape)
            except MemoryError:
                raise
            except Exception as exc:  # as above: a malformed page loses its tables, not its text
                notes.append(f"p. {number}: tables not read ({exc.__class__.__name__})")
                tables = []
            pages.append(_place_tables(page, tables) if tables else _sanitise(text))
            shape.flush_cache()
    return pages, notes


class _Baselines:
    """Counts the lines of a page drawn in several pieces side by side. A table's cells are
    placed one by one, so each of its rows is such a line; a page with fewer than a
    table's rows of them holds no table, and its geometry need not be read."""

    def __init__(self) -> None:
        self.pieces: dict[float, int] = {}

    def visit(self, text: str, cm, tm, *_) -> None:
        if text.strip():
            y = round(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            self.pieces[y] = self.pieces.get(y, 0) + 1

    def may_hold_a_table(self) -> bool:
        from .pdftables import MIN_ROWS

        return sum(n >= 2 for n in self.pieces.values()) >= MIN_ROWS


def _sanitise(text: str) -> str:
    """Extracted text never carries the separators that mark table rows."""
    return MARKERS.sub(" ", text)


def _place_tables(page, tables) -> str:
    """The page's text with each table's lines replaced by its encoded rows.

    pypdf hands each piece of text to a visitor with the matrices that place it; a piece
    drawn inside a table's box is left out, and the table goes where its first piece was.
    """
    box = page.mediabox
    parts: list[str | int] = []
    inside: int | None = None

    def visit(text: str, cm, tm, *_) -> None:
        nonlocal inside
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4] - float(box.left)
            top = float(box.top) - (tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            inside = next((i for i, t in enumerate(tables) if _contains(t.bbox, x, top)), None)
            if inside is not None:
                if inside not in parts:
                    parts.append(inside)
                return
        elif inside is not None:
            return  # the line breaks between a table's pieces
        parts.append(_sanitise(text))

    page.extract_text(visitor_text=visit)
    out = ""
    after_table = False
    for part in parts:
        if isinstance(part, int):
            out = (out if not out or out.endswith("\n") else out + "\n") + encode(tables[part].rows) + "\n"
            after_table = True
        else:
            out += part.lstrip("\n") if after_table else part
            after_table = after_table and not part.strip("\n")
    return out


def _contains(bbox, x: float, top: float, slack: float = 2.0) -> bool:
    x0, y0, x1, y1 = bbox
    return x0 - slack <= x <= x1 + slack and y0 - slack <= top <= y1 + slack


class _LoopWatch(logging.Handler):
    """Keeps the messages of the reference loops pypdf detects and breaks."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.loops: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "ircular" in record.getMessage():
            self.loops.append(record.getMessage())


if __name__ == "__main__":
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    result = main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), seconds)
    sys.stdout.write(json.dumps(result))
