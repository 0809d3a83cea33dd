"""Tables in a page's text, and how a table row reads in a passage (pure functions).

The PDF worker finds tables by their geometry and writes each one into the page text
at its place, one line per row, marked with ASCII separators that extracted text never
keeps (the worker strips them from it): a table's first row starts with TABLE, every
other row with ROW, and cells are separated by CELL. ``structure.parse`` turns such a
run of lines into one caption and one row block per data row, each row naming its
columns: "Opérateur : Orange ; Taux de reversement : 45 % ; Seuil : 10 €".
"""
from __future__ import annotations

import re

TABLE = "\x1d"  # starts the first row of a table
ROW = "\x1e"  # starts every other row
CELL = "\x1f"  # separates the cells of a row
MARKERS = re.compile("[\x1d\x1e\x1f]")


def encode(rows: list[list[str]]) -> str:
    """The lines that stand for a table in a page's text (the first row is its header).

    >>> encode([["Opérateur", "Taux"], ["Orange", "45 %"]]).split("\\n")[1]
    '\\x1eOrange\\x1f45 %'
    """
    lines = [CELL.join(cell_text(c) for c in row) for row in rows]
    return "\n".join((TABLE if i == 0 else ROW) + line for i, line in enumerate(lines))


def cell_text(value: str | None) -> str:
    """A cell on one line: its wrapped lines joined, separators and control characters dropped."""
    return " ".join(MARKERS.sub(" ", value or "").split())


def is_row(line: str) -> bool:
    return line[:1] in (TABLE, ROW)


def starts_table(line: str) -> bool:
    return line[:1] == TABLE


def cells(line: str) -> list[str]:
    return [" ".join(c.split()) for c in line[1:].split(CELL)]


def row_text(header: list[str], row: list[str]) -> str:
    """A row as one line that names its columns; empty cells are left out.

    >>> row_text(["Opérateur", "Taux de reversement", "Seuil"], ["Orange", "45 %", "10 €"])
    'Opérateur : Orange ; Taux de reversement : 45 % ; Seuil : 10 €'
    >>> row_text(["Opérateur", "", "Seuil"], ["SFR", "42 %", ""])
    'Opérateur : SFR ; 42 %'
    """
    parts = []
    for i, value in enumerate(row):
        if not value:
            continue
        name = header[i] if i < len(header) else ""
        parts.append(f"{name} : {value}" if name and name != value else value)
    return " ; ".join(parts)
