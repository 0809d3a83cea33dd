"""Parse one PDF in a child process: ``python -m ingest.pdfworker FILE MAX_PAGES MEMORY_MB``.

Crafted PDFs (decompression bombs, circular references, thousands of pages) can
hang or exhaust a parser, so the parent runs this under a time limit and the
child caps its own address space. Prints JSON: {"pages": [...]} or {"error": "..."}.
"""
from __future__ import annotations

import json
import resource
import sys


def main(path: str, max_pages: int, memory_mb: int) -> dict:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import logging

    logging.disable(logging.WARNING)  # pypdf warns on every recoverable oddity
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

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
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError, OSError) as exc:
        return {"error": f"corrupt PDF ({exc.__class__.__name__}: {str(exc)[:200]})"}
    if not any(p.strip() for p in pages):
        return {"error": "no text layer (empty or scanned PDF)"}
    return {"pages": pages}


if __name__ == "__main__":
    result = main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
    sys.stdout.write(json.dumps(result))
