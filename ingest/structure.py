"""Turn a document's pages into cleaned text made of typed blocks.

A block is one logical line of the cleaned text: an article heading, a sub-heading,
a lettered sub-sub-heading, a definition, a bullet item or a paragraph. The cleaned
text is the blocks joined by newlines, and every block knows its offsets into it,
so later stages can cut passages that are exact slices of that text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .clean import (
    BULLET,
    URL_LINE,
    drop_trailing_url_lines,
    ends_with_hyphenated_word,
    join_hyphenated,
    strip_trailing_spaces,
    words,
)
from .furniture import strip_furniture
from .tables import cells, is_row, row_text, starts_table
from terms.records import Page

ARTICLE_NUMBERED = re.compile(r"^(\d{1,2})\.\s+(\S.*)$")
ARTICLE_WORD = re.compile(
    r"^(?:ARTICLE|Article)\s+(\d+(?:\.\d+)*|[IVXLCDM]+)\b\s*[-–—:.]?\s*(.*)$"
)
MARKDOWN = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
LETTERED = re.compile(r"^([a-z])/\s*(\S.*)$")
LETTER_ITEM = re.compile(r"^[a-z]\)\s")
DEFINITION = re.compile(r"^([A-ZÀ-Ý][\w’'()«» ]{0,40}?)\s*:\s*(?:désigne|désignent|\S)")
SENTENCE_END = re.compile(r"[.!?;:»)]\s*$")
CAPTION = re.compile(r"^(?:Tableau|Table|Grille|Barème|Annexe|Figure)\s+(?:n°\s*)?(?:\d+|[IVX]+|[A-Z])\b")
# Blocks that a following line never continues.
CLOSED = ("article", "heading", "subheading", "caption", "row")
# Words a title never ends on: articles, prepositions, conjunctions.
OPEN_WORDS = frozenset("""le la les l' un une des du de d' à au aux et ou en pour par sur dans avec sans sous
the a an of to and or in for by on with""".split())


@dataclass(frozen=True)
class Block:
    kind: str  # article | heading | subheading | definition | subdefinition | bullet | text | caption | row
    text: str
    start: int
    end: int
    number: str = ""  # article number for kind == "article"
    title: str = ""  # heading / article title / defined term / table caption


@dataclass(frozen=True)
class Outline:
    text: str
    blocks: tuple[Block, ...]
    page_starts: tuple[int, ...]  # offset where page i+1 begins

    def pages_of(self, start: int, end: int) -> tuple[int, ...]:
        pages = []
        for i, page_start in enumerate(self.page_starts):
            page_end = self.page_starts[i + 1] if i + 1 < len(self.page_starts) else len(self.text) + 1
            if page_start < max(end, start + 1) and start < page_end:
                pages.append(i + 1)
        return tuple(pages)


def _is_caps_title(title: str) -> bool:
    letters = [c for c in title if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8


def classify(line: str, prev: str, next_line: str, in_definitions: bool, raw: str = "") -> tuple[str, str, str]:
    """Return (kind, number, title) of a raw line given its neighbours.

    ``prev`` is the logical line before it ("" at a block boundary), ``next_line``
    the next non-blank raw line.
    """
    if m := MARKDOWN.match(line):
        level, title = len(m.group(1)), m.group(2).strip()
        if level <= 2:
            if w := ARTICLE_WORD.match(title):
                return "article", w.group(1), w.group(2).strip() or title
            if n := ARTICLE_NUMBERED.match(title):
                return "article", n.group(1), n.group(2).strip()
            return "article", "", title
        return "heading", "", title
    if m := ARTICLE_NUMBERED.match(line):
        if _is_caps_title(m.group(2)) or _is_numbered_title(m.group(2), next_line):
            return "article", m.group(1), m.group(2).strip()
    if m := ARTICLE_WORD.match(line):
        title = m.group(2).strip()
        if len(title) <= 90 and not SENTENCE_END.search(title.rstrip(":")) or not title:
            return "article", m.group(1), title
    if m := LETTERED.match(line):
        if len(line) <= 90:
            return "subheading", "", line.rstrip(" :")
    if BULLET.match(line) or LETTER_ITEM.match(line):
        return "bullet", "", ""
    if (m := DEFINITION.match(line)) and (in_definitions or re.search(r":\s*désigne", line)):
        nested = raw[:1].isspace()
        return ("subdefinition" if nested else "definition"), "", m.group(1).strip()
    if _looks_like_heading(line, prev, next_line):
        return "heading", "", line.rstrip(" :").strip()
    return "text", "", ""


def _is_numbered_title(title: str, next_line: str) -> bool:
    """"12. Copyright Infringement": a numbered title in ordinary case, as many terms of
    service number their sections (the CGS write them in capitals). A numbered line that
    reads as a sentence ("1. Le Client s'engage à…", one ending in a full stop) is not one.

    >>> _is_numbered_title("Copyright Infringement", "We respond to notices…"), _is_numbered_title("Le Client paie.", "X")
    (True, False)
    """
    return _looks_like_heading(title, "", next_line) and not SENTENCE_END.search(title)


def _looks_like_heading(line: str, prev: str, next_line: str) -> bool:
    if not line[:1].isupper() or len(line) > 70 or len(line.split()) > 9:
        return False
    if re.search(r"[.,;]$", line) or URL_LINE.match(line):
        return False
    if line.split()[-1].lower() in OPEN_WORDS:
        # A title does not end on "Le" or "de": this is the head of a sentence that a
        # narrow column wrapped onto a line of its own ("…avec le Prestataire. Le" / "Prestataire est…").
        return False
    if prev and not SENTENCE_END.search(prev) and len(line.split()) > 3:
        # Mid-paragraph, only a short title-like line can be a heading: the PDF
        # sometimes drops the full stop before one ("…période successive" / "Résiliation").
        return False
    first = next_line[:1]
    return bool(next_line) and (first.isupper() or first.isdigit() or bool(BULLET.match(next_line)) or first in "«\"")


@dataclass
class _Table:
    header: list[str]
    page: int  # the page of its last row
    rows: int = 0

    def goes_on(self, row: list[str], page: int) -> bool:
        """A table that starts a page right after one that ended the previous page, with as
        many columns, is the same table running across the page break."""
        return page != self.page and len(row) == len(self.header)


def _is_caption(line: str, prev: str) -> bool:
    """The line right above a table names it: "Tableau 1 — Taux de reversement par opérateur".
    A line that goes on from an unfinished sentence is that sentence's end, not a caption."""
    if CAPTION.match(line):
        return True
    return (len(line) <= 100 and line[:1].isupper() and not re.search(r"[.;:,]$", line)
            and (not prev or bool(SENTENCE_END.search(prev))))


def parse(pages: list[Page]) -> Outline:
    """Clean the pages and split them into typed blocks (pure function).

    The result's text is what every passage slices; its blocks are one per logical line.
    """
    raw_lines: list[tuple[int, str]] = []
    for page in strip_furniture(pages):
        lines = [line if is_row(line) else strip_trailing_spaces(line)  # an empty last cell is a cell
                 for line in page.text.replace("\r\n", "\n").split("\n")]
        raw_lines.extend((page.number, line) for line in drop_trailing_url_lines(lines))
    vocabulary = words(" ".join(line for _, line in raw_lines))

    out: list[str] = []  # finished logical lines
    kinds: list[tuple[str, str, str]] = []
    page_first_line: dict[int, tuple[int, int]] = {}  # page -> (logical line index, char offset in it)
    current = ""
    current_kind: tuple[str, str, str] | None = None
    blank_since = True
    in_definitions = False
    table: _Table | None = None  # the table whose rows are being read

    def flush() -> None:
        nonlocal current, current_kind
        if current_kind is not None:
            out.append(current)
            kinds.append(current_kind)
        current, current_kind = "", None

    def close_table() -> None:
        nonlocal current, current_kind, table
        if table and not table.rows and any(table.header):  # a one-row table: its row is its header
            flush()
            current, current_kind = " ; ".join(c for c in table.header if c), ("row", "", "")
        table = None

    for i, (page_no, raw) in enumerate(raw_lines):
        if is_row(raw):
            row = cells(raw)
            if starts_table(raw) and not (table and table.goes_on(row, page_no)):
                close_table()
                flush()  # the header names the columns of the rows below; it is no row itself
                table = _Table(row, page_no)
                page_first_line.setdefault(page_no, (len(out), 0))
                continue
            table = table or _Table([], page_no)
            repeated = page_no != table.page and row == table.header  # the header again, on the next page
            table.page = page_no
            if not repeated:
                flush()
                current, current_kind = row_text(table.header, row), ("row", "", "")
                table.rows += 1
                page_first_line.setdefault(page_no, (len(out), 0))
            blank_since = False
            continue
        line = raw.strip()
        if not line:
            blank_since = True
            continue
        close_table()
        next_raw = next((l for _, l in raw_lines[i + 1:] if l.strip()), "")
        next_line = "" if is_row(next_raw) else next_raw.strip()  # a line above a table heads no section
        continues = current_kind is not None and current_kind[0] not in CLOSED
        if continues and blank_since:
            # A blank line ends a block unless the sentence obviously goes on.
            continues = line[:1].islower() and not SENTENCE_END.search(current)
        after_heading = current_kind is not None and current_kind[0] in CLOSED
        prev = "" if (blank_since and not continues) or after_heading else current
        kind = classify(line, prev, next_line, in_definitions, raw)
        if starts_table(next_raw) and kind[0] in ("text", "heading") and _is_caption(line, prev):
            kind = ("caption", "", line)
        if (kind[0] == "bullet" and line.startswith("-") and continues and not blank_since
                and current_kind and current_kind[0] != "bullet" and not SENTENCE_END.search(current)):
            # A dash inside an unfinished sentence opens an aside, not a list item:
            # "…se réserve la possibilité,\n- nonobstant toute stipulation contraire -, d’exiger…".
            kind = ("text", "", "")
        if kind[0] == "text" and continues and current_kind and current_kind[0] == "bullet":
            # A paragraph after a list: a new sentence starting after a full stop.
            if re.search(r"[.;]$", current) and line[:1].isupper():
                continues = False
        if kind[0] != "text":
            flush()
            current, current_kind = line, kind
            if kind[0] == "article":
                in_definitions = "DEFINITION" in kind[2].upper()
        elif continues:
            if ends_with_hyphenated_word(current):
                current = join_hyphenated(current, line, vocabulary)
            else:
                current = f"{current} {line}"
        else:
            flush()
            current, current_kind = line, ("text", "", "")
        blank_since = False
        if page_no not in page_first_line:
            offset = len(current) - len(line)
            page_first_line[page_no] = (len(out), max(offset, 0))
    close_table()
    flush()

    text_parts, blocks, position = [], [], 0
    line_starts = []
    for line, (kind, number, title) in zip(out, kinds):
        line_starts.append(position)
        blocks.append(Block(kind, line, position, position + len(line), number, title))
        text_parts.append(line)
        position += len(line) + 1
    text = "\n".join(text_parts)
    page_starts: list[int] = []
    for page in reversed(pages):
        if page.number in page_first_line:
            index, offset = page_first_line[page.number]
            page_starts.append(line_starts[index] + offset if index < len(line_starts) else len(text))
        else:  # an empty page (a scanned one) starts where the next content does, and holds none
            page_starts.append(page_starts[-1] if page_starts else len(text))
    return Outline(text, tuple(blocks), tuple(reversed(page_starts)))
