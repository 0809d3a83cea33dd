"""Cut an outline into passages along the document's own structure (pure functions).

Preamble, articles, sub-headings and lettered sub-sub-headings become heading paths;
each definition of a definitions article is its own passage; a bullet list stays
with its lead-in sentence; long sections are split at sentence boundaries into
paragraph-sized passages that repeat their heading path as context. A table is a
passage of its own (kind "table", its caption last in its heading path) whose
sentences are its rows, each naming its columns. Every passage's text is
``outline.text[start:end]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from terms.records import DocumentInfo, Passage, Sentence, passage_id
from terms.text import sentence_spans
from .structure import Block, Outline

@dataclass
class Section:
    article: str
    article_title: str
    headings: tuple[str, ...]
    kind: str
    blocks: list[Block] = field(default_factory=list)


def sections(outline: Outline) -> list[Section]:
    """Group the blocks under their heading path."""
    # Text before the first article is a preamble; a document without articles has
    # none (its paragraphs are its body, not "the preamble" of anything).
    has_articles = any(b.kind == "article" for b in outline.blocks)
    out: list[Section] = [Section("", "Préambule", (), "preamble") if has_articles else Section("", "", (), "body")]
    level2 = ""
    interrupted: Section | None = None  # the section a table stands in, resumed after it
    for block in outline.blocks:
        current = out[-1]
        if block.kind in ("caption", "row"):
            if block.kind == "caption" or current.kind != "table":
                interrupted = current if current.kind != "table" else interrupted
                outer = interrupted.headings if interrupted.kind != "definition" else ()
                caption = (block.title,) if block.kind == "caption" else ()
                out.append(Section(current.article, current.article_title, outer + caption, "table"))
            out[-1].blocks.append(block)
            continue
        if current.kind == "table" and block.kind not in ("article", "heading", "subheading", "definition"):
            # Text after a table goes on with the section the table stood in.
            out.append(Section(interrupted.article, interrupted.article_title, interrupted.headings,
                               "body" if interrupted.kind == "definition" else interrupted.kind))
            current = out[-1]
        if block.kind == "article":
            level2 = ""
            out.append(Section(block.number, block.title, (), "body"))
        elif block.kind == "heading" and current.kind == "preamble" and len(out) == 1:
            current.blocks.append(block)  # title lines belong to the preamble
        elif block.kind == "heading":
            level2 = block.title
            out.append(Section(current.article, current.article_title, (block.title,), "body"))
        elif block.kind == "subheading":
            out.append(Section(current.article, current.article_title,
                               tuple(h for h in (level2, block.title) if h), "body"))
        elif block.kind == "definition":
            out.append(Section(current.article, current.article_title, (block.title,), "definition"))
            out[-1].blocks.append(block)
        else:
            current.blocks.append(block)
    return [s for s in out if s.blocks]


def _units(blocks: list[Block]) -> list[list[Block]]:
    """Bullets stay with the block that leads into them."""
    units: list[list[Block]] = []
    for block in blocks:
        if block.kind in ("bullet", "subdefinition") and units:
            units[-1].append(block)
        else:
            units.append([block])
    return units


def _pieces(outline: Outline, unit: list[Block], limit: int) -> list[tuple[int, int]]:
    """Split one unit into spans of at most about ``limit`` characters.

    Cuts fall between sentences, and between bullets; the sentence that leads into a
    list stays with its first bullets.
    """
    start, end = unit[0].start, unit[-1].end
    if end - start <= limit * 1.3:
        return [(start, end)]
    spans = sentence_spans(outline.text[start:end], start)
    bullet_starts = {b.start for b in unit[1:]}
    pieces, piece_start, piece_end = [], spans[0][0], spans[0][1]
    for i, (a, b) in enumerate(spans[1:], 1):
        follows_lead_in = a in bullet_starts and spans[i - 1][1] < a and _is_lead_in(outline.text, spans[i - 1])
        if b - piece_start > limit and not follows_lead_in:
            pieces.append((piece_start, piece_end))
            piece_start = a
        piece_end = b
    pieces.append((piece_start, piece_end))
    return pieces


def _is_lead_in(text: str, span: tuple[int, int]) -> bool:
    return text[span[0]:span[1]].rstrip().endswith(":") and "\n" not in text[span[0]:span[1]]


def segment(outline: Outline, doc: DocumentInfo, limit: int = 900) -> tuple[list[Passage], list[Sentence]]:
    """Cut the outline into passages and their sentences."""
    passages: list[Passage] = []
    for section in sections(outline):
        units = _units(section.blocks)
        if section.kind in ("definition", "preamble"):
            spans = [(section.blocks[0].start, section.blocks[-1].end)]
            if spans[0][1] - spans[0][0] > limit * 2:
                spans = [p for u in units for p in _pieces(outline, u, limit)]
        else:
            spans = _pack([p for u in units for p in _pieces(outline, u, limit)], limit)
        for start, end in spans:
            passages.append(Passage(
                doc_id=doc.id, version=doc.version, text=outline.text[start:end], start=start, end=end,
                pages=outline.pages_of(start, end), article=section.article,
                article_title=section.article_title, headings=section.headings, kind=section.kind,
                term=section.headings[0] if section.kind == "definition" else "",
            ))
    passages = _dedupe_ids(passages)
    sentences = [Sentence(p.id, outline.text[a:b], a, b) for p in passages for a, b in _sentences(outline, p)]
    return passages, sentences


def _sentences(outline: Outline, passage: Passage) -> list[tuple[int, int]]:
    """A table's sentences are its rows, whole: "Opérateur : Orange ; Taux de reversement : 45 %"
    would otherwise be cut at each colon. Its caption names it in the heading path."""
    if passage.kind != "table":
        return sentence_spans(passage.text, passage.start)
    return [(b.start, b.end) for b in outline.blocks
            if b.kind == "row" and passage.start <= b.start and b.end <= passage.end]


def _pack(spans: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """Merge neighbouring short spans of one section up to the limit."""
    packed: list[tuple[int, int]] = []
    for a, b in spans:
        small_tail = b - a < limit * 0.25 and b - packed[-1][0] <= limit * 1.4 if packed else False
        if packed and (small_tail or b - packed[-1][0] <= limit and (packed[-1][1] - packed[-1][0]) < limit * 0.6):
            packed[-1] = (packed[-1][0], b)
        else:
            packed.append((a, b))
    return packed


def _dedupe_ids(passages: list[Passage]) -> list[Passage]:
    """Identical text under an identical heading (the CGS defines "Service(s)" twice)
    would share an id; the second copy gets its occurrence number in the id."""
    seen: dict[str, int] = {}
    out = []
    for p in passages:
        n = seen.get(p.id, 0)
        seen[p.id] = n + 1
        if n:
            p = Passage(**{**p.__dict__, "id": passage_id(p.doc_id, p.heading_path + (f"#{n + 1}",), p.text)})
        out.append(p)
    return out
