"""Pure functions that undo the artifacts of PDF text extraction.

The pipeline works on lines: each page is stripped of its trailing link-annotation
lines, then the lines of the whole document are re-joined into logical lines
(one per heading, paragraph, definition or bullet item) by ``structure.unwrap``.
"""
from __future__ import annotations

import re

URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S*\s*$")
BULLET = re.compile(r"^\s*(?:[-•–▪●◦*]\s+|\d+°/\s*)")
_WORD_END = re.compile(r"(\w+)-$")
_WORD_START = re.compile(r"^(\w+)")


def strip_trailing_spaces(line: str) -> str:
    return line.rstrip()


def drop_trailing_url_lines(lines: list[str]) -> list[str]:
    """Remove the bare URL lines a PDF's link annotations leave at the end of a page.

    >>> drop_trailing_url_lines(["et/ou le", "", "https://a.b/c.pdf", "https://a.b/c.pdf"])
    ['et/ou le']

    URLs inside sentences ("- pour le SMS+ : https://af2m.org/…") are kept: only a
    run of lines that are nothing but URLs, at the very end of the page, goes.
    """
    end = len(lines)
    while end and (not lines[end - 1].strip() or URL_LINE.match(lines[end - 1])):
        end -= 1
    if end < len(lines) and any(URL_LINE.match(line) for line in lines[end:]):
        return lines[:end]
    return lines


def is_url_fragment(text: str) -> bool:
    """True when the text ends inside a URL (``…/wp-``), so a line break there is an artifact."""
    last = text.split()[-1] if text.split() else ""
    return bool(re.match(r"(?:https?://|www\.)\S+$", last)) or "@" in last and last.endswith("-")


def join_hyphenated(left: str, right: str, vocabulary: set[str] | frozenset[str] = frozenset()) -> str:
    """Join two lines when the first ends with a word hyphenated across the line end.

    A hyphen is kept when it is a real one ("ci-" + "dessous", URLs); it is dropped
    when the joined word occurs elsewhere in the document (``vocabulary``), which is
    how a soft hyphenation ("exécu-" + "tion") shows itself.

    >>> join_hyphenated("voir ci-", "dessous les liens")
    'voir ci-dessous les liens'
    >>> join_hyphenated("l'exécu-", "tion des Prestations", {"l'exécution", "exécution"})
    "l'exécution des Prestations"
    """
    left = left.rstrip()
    right = right.lstrip()
    head = _WORD_END.search(left)
    tail = _WORD_START.match(right)
    if head and tail and not is_url_fragment(left):
        whole = (head.group(1) + tail.group(1)).lower()
        if whole in vocabulary:
            return left[:-1] + right
    return left + right


def ends_with_hyphenated_word(line: str) -> bool:
    stripped = line.rstrip()
    return bool(_WORD_END.search(stripped)) and not stripped.endswith(" -")


def words(text: str) -> set[str]:
    """The lowercased words of a text, used as the vocabulary for de-hyphenation."""
    return {w.lower() for w in re.findall(r"\w+", text)}


def soften_caps(text: str) -> str:
    """Lowercase runs of ALL-CAPS words so embeddings keep their meaning.

    >>> soften_caps("LE TRIBUNAL DE COMMERCE DE PARIS SERA SEUL COMPETENT")
    'le tribunal de commerce de paris sera seul competent'
    """
    return re.sub(r"\b[A-ZÀ-Ý][A-ZÀ-Ý'’\-]+\b", lambda m: m.group(0).lower(), text)


def collapse_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
