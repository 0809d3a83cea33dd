"""Find the tables of a PDF page from its geometry (runs inside the PDF worker).

pypdf reads a table as lines of run-together cells. Here a page's geometry says where
its tables are and what their cells hold:

- ruled tables (cell borders drawn) are pdfplumber's: its "lines" strategy rebuilds the
  grid from the rulings, merged and wrapped cells included;
- unruled tables (cells set apart by white space, maybe with horizontal rules only) are
  found from word positions: a run of at least three lines that wide gaps cut into short
  cells, whose cells stay within shared column bands.

Prose never has such a run (its lines are one stretch of words). Two columns of prose
do, but their stretches are long, which table cells are not, and a page draws them one
column after the other, where it draws a table row by row.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import median

MIN_ROWS = 3  # a header and two rows, for a table found by alignment alone
MAX_WORDS_PER_CELL = 4  # the median cell of an unruled table is short; a column of prose is not


@dataclass(frozen=True)
class Table:
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom, in points from the page's top left
    rows: list[list[str]]  # the first row is the header


def find_tables(page) -> list[Table]:
    """The tables of a pdfplumber page, top to bottom."""
    ruled = []
    for found in page.find_tables():
        rows = [[" ".join((cell or "").split()) for cell in row] for row in found.extract()]
        rows = [row for row in rows if any(row)]
        if len(rows) >= 2 and max(len(row) for row in rows) >= 2:  # a framed paragraph is no table
            ruled.append(Table(tuple(found.bbox), rows))
    # In the order the page draws them: a table is drawn row by row, columns of prose one after the other.
    words = [{**w, "order": i} for i, w in enumerate(page.extract_words(use_text_flow=True))
             if not any(_inside(w, t.bbox) for t in ruled)]
    return sorted(ruled + aligned_tables(words), key=lambda t: t.bbox[1])


def _inside(word: dict, bbox: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = bbox
    return word["x0"] >= x0 - 1 and word["x1"] <= x1 + 1 and word["top"] >= top - 1 and word["bottom"] <= bottom + 1


@dataclass
class _Cell:
    x0: float
    x1: float
    words: list[dict]

    @property
    def text(self) -> str:
        return " ".join(w["text"] for w in self.words)


def _lines(words: list[dict]) -> list[list[dict]]:
    """Words grouped into lines by their vertical position, each line left to right."""
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(word["top"] - lines[-1][0]["top"]) <= 0.5 * (word["bottom"] - word["top"]):
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _cells(line: list[dict]) -> list[_Cell]:
    """A line cut where the gap between two words is wider than the text is high."""
    size = median(w["bottom"] - w["top"] for w in line)
    cells = [_Cell(line[0]["x0"], line[0]["x1"], [line[0]])]
    for word in line[1:]:
        if word["x0"] - cells[-1].x1 > size:
            cells.append(_Cell(word["x0"], word["x1"], [word]))
        else:
            cells[-1].x1 = word["x1"]
            cells[-1].words.append(word)
    return cells


def aligned_tables(words: list[dict]) -> list[Table]:
    """Tables whose cells are set apart by white space alone (words as pdfplumber gives them)."""
    lines = [(line, _cells(line)) for line in _lines(words)]
    tables, run = [], []
    for line, cells in lines + [([], [])]:
        height = line[0]["bottom"] - line[0]["top"] if line else 0
        near = bool(run) and bool(line) and line[0]["top"] - run[-1][0][-1]["bottom"] < 2.5 * height
        if len(cells) >= 2 and (near or not run):
            run.append((line, cells))
            continue
        if len(cells) == 1 and near and _within_bands(cells[0], run):
            run.append((line, cells))  # a wrapped cell going on below its row
            continue
        if table := _table(run):
            tables.append(table)
        run = [(line, cells)] if len(cells) >= 2 else []
    return tables


def _bands(run) -> list[tuple[float, float]]:
    """Column bands: the x-ranges that the cells of the run's full rows cover, merged."""
    spans = sorted((c.x0, c.x1) for _, cells in run if len(cells) >= 2 for c in cells)
    bands: list[list[float]] = []
    for x0, x1 in spans:
        if bands and x0 <= bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], x1)
        else:
            bands.append([x0, x1])
    return [(a, b) for a, b in bands]


def _column(x0: float, bands: list[tuple[float, float]]) -> int:
    """The band a cell or word starting at x0 falls in (the last one starting left of it)."""
    return max((i for i, (a, _) in enumerate(bands) if a - 1 <= x0), default=0)


def _nearest_anchor(i: int, anchors: list[int], tops: list[float], text: str) -> int:
    """The row a line of wrapped cells belongs to: the nearest full row; at equal distance,
    the row above when the text goes on from there (it starts in lower case), else the row
    below (a cell centred on its row starts above it)."""
    above = max((a for a in anchors if a < i), default=None)
    below = min((a for a in anchors if a > i), default=None)
    if above is None or below is None:
        return above if below is None else below
    up, down = tops[i] - tops[above], tops[below] - tops[i]
    if abs(up - down) <= 1:
        return above if text[:1].islower() else below
    return above if up < down else below


def _within_bands(cell: _Cell, run) -> bool:
    bands = _bands(run) + [(float("inf"), float("inf"))]
    return any(a - 1 <= cell.x0 <= b and cell.x1 < next_band[0]
               for (a, b), next_band in zip(bands[1:], bands[2:]))


def _table(run) -> Table | None:
    full = [cells for _, cells in run if len(cells) >= 2]
    if len(full) < MIN_ROWS:
        return None
    if median(len(c.words) for cells in full for c in cells) > MAX_WORDS_PER_CELL:
        return None
    bands = _bands(run)
    if len(bands) < 2:
        return None
    columns = [[(_column(c.x0, bands), c.text) for c in cells] for _, cells in run]
    tops = [line[0]["top"] for line, _ in run]
    anchors = [i for i, cols in enumerate(columns) if len(cols) >= 2 and cols[0][0] == 0]
    if not anchors:
        return None
    owner = {i: i for i in anchors}
    for i in range(len(run)):
        if i not in owner:
            owner[i] = _nearest_anchor(i, anchors, tops, columns[i][0][1])
    rows = {i: [[] for _ in bands] for i in anchors}
    for i in range(len(run)):  # top to bottom, so a cell's lines join in reading order
        for column, text in columns[i]:
            rows[owner[i]][column].append(text)
    rows = [[" ".join(parts) for parts in rows[i]] for i in anchors]
    drawn = [column for _, column in sorted((w["order"], _column(w["x0"], bands)) for line, _ in run for w in line)]
    if sum(a != b for a, b in zip(drawn, drawn[1:])) < len(anchors):
        return None  # drawn a column at a time: columns of prose side by side, not a table
    if len(rows) < MIN_ROWS:
        return None
    words = [w for line, _ in run for w in line]
    bbox = (min(w["x0"] for w in words), min(w["top"] for w in words),
            max(w["x1"] for w in words), max(w["bottom"] for w in words))
    return Table(bbox, rows)
