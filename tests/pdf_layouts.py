"""Render a paged text into real PDFs of several layouts with fpdf2.

The PDF tests feed the CGS text layer (one string per page) through these layouts and
check that the PDF ingest finds what the text ingest finds. Each layout is what some
exporter does to a contract: running headers and footers, page numbers in their usual
forms, another font, two columns, or the text re-flowed so that pages break mid-sentence.
Lines of the source are kept as lines (a text layer's lines are the PDF's lines); only
the two-column layout wraps them again, into its narrower columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fpdf import FPDF

from ingest.clean import drop_trailing_url_lines

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
HEADER = "HIGH CONNEXION — Conditions Générales de Service — Ref CGS 20210601"
TOTAL = "{nb}"  # fpdf2 replaces it with the page count when the file is written


@dataclass(frozen=True)
class Furniture:
    """What the layout prints on every page besides the text."""

    header: str = ""  # may hold {n} and {N}
    footer: str = ""
    footer_2: str = ""  # a second footer line, above the first
    align: str = "C"


class _Document(FPDF):
    def __init__(self, furniture: Furniture, font: str, size: float) -> None:
        super().__init__(unit="mm")
        for family, file in (("Sans", "DejaVuSans.ttf"), ("Serif", "DejaVuSerif.ttf")):
            self.add_font(family, fname=str(FONT_DIR / file))
        self.furniture, self.font_name, self.size = furniture, font, size
        self.set_font(font, size=size)
        self.set_auto_page_break(False)
        self.set_margins(10, 8, 10)

    def _fill(self, template: str) -> str:
        return template.format(n=self.page_no(), N=TOTAL)

    def header(self) -> None:
        if self.furniture.header:
            self.set_xy(self.l_margin, 3)
            self.set_font(self.font_name, size=self.size)
            self.cell(0, 3, self._fill(self.furniture.header), align=self.furniture.align)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_font(self.font_name, size=self.size)
        if self.furniture.footer_2:
            self.set_xy(self.l_margin, self.h - 8)
            self.cell(0, 3, self._fill(self.furniture.footer_2), align="C")
        if self.furniture.footer:
            self.set_xy(self.l_margin, self.h - 5)
            self.cell(0, 3, self._fill(self.furniture.footer), align=self.furniture.align)


def _page_per_page(pages: list[str], path: Path, furniture: Furniture, font: str = "Sans",
                   size: float = 5, leading: float = 2.0) -> None:
    """One PDF page per text page, tall enough for its lines."""
    pdf = _Document(furniture, font, size)
    for text in pages:
        lines = text.split("\n")
        pdf.add_page(format=(210, 8 + len(lines) * leading + 12))
        for line in lines:
            pdf.set_x(pdf.l_margin)
            pdf.cell(0, leading, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def _two_columns(pages: list[str], path: Path, furniture: Furniture) -> None:
    """Each text page in two 90 mm columns: long lines wrap again inside their column."""
    size, leading, width, gap = 6, 2.4, 90, 10
    pdf = _Document(furniture, "Sans", size)
    ruler = _Document(Furniture(), "Sans", size)  # a scratch page to measure wrapped lines on
    ruler.add_page()
    for text in pages:
        lines = text.split("\n")
        # The link lines a text layer carries at a page end are link annotations here,
        # as in the exported original: too long for a column, and not text of the page.
        kept = drop_trailing_url_lines(lines)
        links, lines = [line.strip() for line in lines[len(kept):] if line.strip()], kept
        half = (len(lines) + 1) // 2
        columns = [lines[:half], lines[half:]]
        # Measure first so that the page is tall enough for the longer column.
        rows = max(sum(len(ruler.multi_cell(width, leading, line or " ", dry_run=True, output="LINES"))
                       for line in column) for column in columns)
        pdf.add_page(format=(2 * width + gap + 20, 8 + rows * leading + 12))
        for i, column in enumerate(columns):
            x = pdf.l_margin + i * (width + gap)
            pdf.set_xy(x, pdf.t_margin)
            for line in column:
                pdf.set_x(x)
                pdf.multi_cell(width, leading, line, align="L", new_x="LEFT", new_y="NEXT")
        for link in links:
            pdf.link(pdf.l_margin, pdf.h - 20, width, leading, link)
    pdf.output(str(path))


def _reflowed(pages: list[str], path: Path, furniture: Furniture) -> None:
    """The lines flow over A5 pages, so page breaks fall wherever they fall (mid-sentence).

    The link-annotation lines a text layer carries at its page ends are not part of the
    flow of a re-laid document, so they are left out here."""
    size, leading = 6, 2.6
    pdf = _Document(furniture, "Sans", size)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page(format=(148, 210))
    for text in pages:
        for line in drop_trailing_url_lines(text.rstrip("\n").split("\n")):
            pdf.cell(0, leading, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


RUNNING = Furniture(header=HEADER, footer="Page {n} / {N}")
LAYOUTS: dict[str, Callable[[list[str], Path], None]] = {
    "header+footer Page n / N": lambda pages, path: _page_per_page(pages, path, RUNNING),
    "footer n/N": lambda pages, path: _page_per_page(pages, path, Furniture(footer="{n}/{N}", align="R")),
    "footer - n -": lambda pages, path: _page_per_page(pages, path, Furniture(footer="- {n} -")),
    "footer bare n": lambda pages, path: _page_per_page(pages, path, Furniture(footer="{n}", align="R")),
    "serif, header Page n sur N, two-line footer": lambda pages, path: _page_per_page(
        pages, path, Furniture(header="Conditions Générales de Service    Page {n} sur {N}", align="R",
                               footer="— {n} —", footer_2="HIGH CONNEXION SAS au capital de 351 500 € — RCS LYON"),
        font="Serif", size=5.5, leading=2.3),
    "two columns": lambda pages, path: _two_columns(pages, path, Furniture(header=HEADER, footer="- {n} -")),
    "reflowed A5": lambda pages, path: _reflowed(pages, path, RUNNING),
}
# Layouts that keep one PDF page per source page, so passage pages must match too.
SAME_PAGES = [name for name in LAYOUTS if name not in ("reflowed A5",)]


def render(layout: str, pages: list[str], path: Path) -> Path:
    LAYOUTS[layout](pages, path)
    return path


# -- tables -------------------------------------------------------------------------------
PAYOUT_CAPTION = "Tableau 1 — Taux de reversement par opérateur"
PAYOUT = [
    ["Opérateur", "Taux de reversement", "Seuil", "Délai de paiement"],
    ["Orange", "45 %", "10 €", "60 jours fin de mois"],
    ["SFR", "42 %", "15 €", "60 jours fin de mois"],
    ["Bouygues Telecom", "40 %", "15 €", "90 jours"],
    ["Free Mobile", "38 %", "20 €", "90 jours"],
]
TIERS_CAPTION = "Tableau 2 — Tarifs des SMS par palier de volume mensuel"
TIERS = [["Palier", "Volume mensuel", "Prix unitaire HT", "Frais de mise en service"]] + [
    [f"P{n}", f"de {n * 10} 000 à {n * 10 + 9} 999 SMS", f"0,0{(99 - n) // 2:02d} €", f"{100 + n * 5} €"]
    for n in range(1, 61)
]


def table_pdf(path: Path, borders: str = "ALL", tables: tuple[tuple[str, list[list[str]]], ...] = (
        (PAYOUT_CAPTION, PAYOUT),), before: str = "", after: str = "", font_size: float = 9) -> Path:
    """A specific-conditions page: text, then each table under its caption, then text.

    ``borders`` is fpdf2's borders layout: "ALL" (ruled), "NONE" (unruled), "HORIZONTAL_LINES"…
    A table longer than the page goes on to the next one, its header row repeated."""
    pdf = FPDF()
    pdf.add_font("Sans", fname=str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("Sans", style="B", fname=str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_font("Sans", size=font_size)
    pdf.add_page()
    if before:
        pdf.multi_cell(0, 5, before, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    for caption, rows in tables:
        pdf.cell(0, 6, caption, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        with pdf.table(borders_layout=borders, text_align="LEFT", line_height=5) as table:
            for data in rows:
                row = table.row()
                for value in data:
                    row.cell(value)
        pdf.ln(4)
    if after:
        pdf.multi_cell(0, 5, after, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path
