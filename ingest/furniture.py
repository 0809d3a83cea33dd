"""Remove page furniture: running headers and footers, and page numbers (pure functions).

A PDF's text layer carries, on every page, lines that are not part of the document's
flow: the running header ("HIGH CONNEXION — Conditions Générales de Service"), the
footer ("Page 2 / 4", "- 2 -", a bare "2"). Left in, they split a sentence that runs
across a page break and end up quoted inside clauses. They are recognised by where they
are (at the top or bottom of a page, before any text of the document) and by what they
are: a line that recurs at the edge of most pages (its digits may change), or a page
number whose value follows the page's own number.

Link-annotation URL lines that exporters leave at a page end are passed over here, not
removed: ``clean.drop_trailing_url_lines`` drops them once the footer below them is gone.
"""
from __future__ import annotations

import re
from collections import Counter

from terms.records import Page

from .clean import URL_LINE
from .tables import is_row

EDGE = 3  # lines looked at on each side of a page when counting recurring lines
_PAGE_WORD = re.compile(r"^(?:page|p\.)\s*(\d{1,4})(?:\s*(?:/|sur|of|de)\s*\d{1,4})?$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(
    r"^(?:(\d{1,4})\s*/\s*\d{1,4}"  # 2/4
    r"|[-–—]\s*(\d{1,4})\s*[-–—]"  # - 2 -   — 2 —
    r"|(\d{1,4}))$"  # 2
)


def strip_furniture(pages: list[Page]) -> list[Page]:
    """The pages without their running headers, footers and page numbers.

    >>> texts = ["Le prix est fixé au devis.", "Il est payable à trente jours."]
    >>> pages = [Page(n, f"ACME — Contrat\\n{t}\\nPage {n} / 2") for n, t in enumerate(texts, 1)]
    >>> [p.text for p in strip_furniture(pages)]
    ['Le prix est fixé au devis.', 'Il est payable à trente jours.']

    Only lines at a page's edges go; a page keeps its number, and a text without
    headers or numbers comes back unchanged.
    """
    split = [page.text.split("\n") for page in pages]
    recurring = _recurring(pages, split)
    offset = _number_offset(pages, split)
    out = []
    for page, lines in zip(pages, split):
        drop = set()
        for edge in (range(len(lines)), range(len(lines) - 1, -1, -1)):
            drop |= _edge_furniture(lines, edge, page.number, recurring, offset)
        if not drop:
            out.append(page)
        else:
            out.append(Page(page.number, "\n".join(line for i, line in enumerate(lines) if i not in drop)))
    return out


def _key(line: str) -> str:
    """A line as it recurs from page to page: spacing collapsed, every number alike."""
    return re.sub(r"\d+", "#", " ".join(line.split()))


def _passed_over(line: str) -> bool:
    return not line.strip() or bool(URL_LINE.match(line))


def _edge_lines(lines: list[str], order) -> list[str]:
    found = []
    for i in order:
        if _passed_over(lines[i]):
            continue
        if is_row(lines[i]) or len(found) == EDGE:
            break
        found.append(lines[i])
    return found


def _recurring(pages: list[Page], split: list[list[str]]) -> set[str]:
    """Keys of the lines found at the edge of more than half of the pages (two at least).

    Where the line's numbers change, one of them must follow the page number ("Page 2 / 4",
    "Réf. CGS 20210601 - 2"): "ARTICLE 3" and "ARTICLE 5" opening two pages are text."""
    seen: dict[str, dict[int, str]] = {}
    for page, lines in zip(pages, split):
        for line in _edge_lines(lines, range(len(lines))) + _edge_lines(lines, range(len(lines) - 1, -1, -1)):
            seen.setdefault(_key(line), {})[page.number] = " ".join(line.split())
    with_text = sum(1 for lines in split if any(line.strip() for line in lines))
    out = set()
    for key, found in seen.items():
        if len(found) < 2 or len(found) * 2 <= with_text or not key.strip("# "):
            continue
        if len(set(found.values())) > 1 and not _follows_pages(found):
            continue
        out.add(key)
    return out


def _follows_pages(found: dict[int, str]) -> bool:
    """Whether some number of the line (the n-th, for one n) minus the page number is constant."""
    numbers = {page: [int(n) for n in re.findall(r"\d+", text)] for page, text in found.items()}
    count = min(len(n) for n in numbers.values())
    return any(len({n[i] - page for page, n in numbers.items()}) == 1 for i in range(count))


def _printed_number(line: str) -> tuple[int, bool] | None:
    """(number, has the word "page") when the line is a page number in one of its usual forms."""
    text = " ".join(line.split())
    if m := _PAGE_WORD.match(text):
        return int(m.group(1)), True
    if m := _PAGE_NUMBER.match(text):
        return int(next(g for g in m.groups() if g)), False
    return None


def _number_offset(pages: list[Page], split: list[list[str]]) -> int:
    """How printed page numbers relate to the pages' own numbers (0 unless most pages agree
    on another offset: a document printed as pages 5 to 8 of a bundle)."""
    offsets: Counter[int] = Counter()
    for page, lines in zip(pages, split):
        edges = _edge_lines(lines, range(len(lines))) + _edge_lines(lines, range(len(lines) - 1, -1, -1))
        found = {printed[0] - page.number for line in edges if (printed := _printed_number(line))}
        offsets.update(found)
    if offsets:
        best, n = offsets.most_common(1)[0]
        if n >= 2 and n * 2 > len(pages):
            return best
    return 0


def _edge_furniture(lines: list[str], order, number: int, recurring: set[str], offset: int) -> set[int]:
    """Indexes of the furniture lines met from one edge of a page before its first text line,
    with the blank lines between them and that edge."""
    seen: list[int] = []
    innermost = None
    for i in order:
        line = lines[i]
        if _passed_over(line):
            seen.append(i)
            continue
        printed = _printed_number(line)
        is_number = printed is not None and (printed[1] or printed[0] - number == offset)
        if is_row(line) or not (is_number or _key(line) in recurring):
            break
        seen.append(i)
        innermost = len(seen)
    if innermost is None:
        return set()
    return {i for i in seen[:innermost] if not URL_LINE.match(lines[i])}
