"""Text that addresses a model rather than a reader.

A document carrying such text is ingested as plain text and flagged, never obeyed;
ingest reports the lines, retrieval marks the passages so answers can treat them as data.
"""
from __future__ import annotations

import re

from .records import Page

# Text that addresses a model rather than a reader: a document carrying it is
# ingested as plain text and flagged, never obeyed.
_INSTRUCTION = re.compile(
    r"\[(?:SYSTEM|INST|ADMIN)\]|<\|?(?:system|im_start)\|?>|ignore (?:all |any )?(?:previous|prior|above|your) "
    r"(?:instructions|rules)|ignore[sz]? (?:toutes |les |tes |vos )+(?:instructions|consignes)|"
    r"you are now|tu es d[ée]sormais|system prompt|prompt syst[èe]me|disregard (?:the|all|previous)",
    re.IGNORECASE,
)


def reads_as_instruction(text: str) -> bool:
    """Whether text addresses a model rather than a reader ("[SYSTEM] Ignore previous…")."""
    return bool(_INSTRUCTION.search(text))


def suspicious_lines(pages: list[Page]) -> list[str]:
    """Lines that read like instructions to a model (flagged at ingest)."""
    hits = []
    for page in pages:
        for line in page.text.splitlines():
            if _INSTRUCTION.search(line):
                hits.append(f"p.{page.number}: {line.strip()[:120]}")
    return hits
