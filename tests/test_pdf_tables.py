"""Tables in PDFs: found by their geometry in the PDF worker, each a passage of its own
whose sentences are its rows, every row naming its columns.

The PDFs are made here with fpdf2: ruled and unruled tables, horizontal rules only,
cells that wrap, a table running over a page break with its header repeated. A made-up
Billing specific-conditions PDF goes through the whole ingest and the assistant quotes
the row that answers.
"""
from __future__ import annotations

import pytest

from assistant.core import Assistant
from ingest.loaders import read
from ingest.pipeline import run
from ingest.segment import segment
from ingest.store import Index, make_client
from ingest.structure import parse
from ingest.tables import encode
from terms.records import DocumentInfo, Page
from terms.settings import Settings
from tests.pdf_layouts import PAYOUT, PAYOUT_CAPTION, TIERS, TIERS_CAPTION, table_pdf
from tests.test_outline import check_invariants

BILLING = DocumentInfo(id="cs-billing", title="Conditions spécifiques — Billing")
BEFORE = ("ARTICLE 4 - REVERSEMENTS\n"
          "Le Prestataire reverse à l'Editeur une part du chiffre d'affaires encaissé auprès des opérateurs, "
          "selon les taux ci-dessous.")
AFTER = "Les reversements sont effectués par virement bancaire dans le mois qui suit leur échéance."
ORANGE = "Opérateur : Orange ; Taux de reversement : 45 % ; Seuil : 10 € ; Délai de paiement : 60 jours fin de mois"
WRAPPING = [row[:3] + [row[3] + (" à compter de la date de facture opérateur" if i else "")]
            for i, row in enumerate(PAYOUT)]


def row_lines(rows: list[list[str]]) -> list[str]:
    header = rows[0]
    return [" ; ".join(f"{name} : {value}" for name, value in zip(header, row)) for row in rows[1:]]


def cut(path):
    pages, notes = read(path, Settings())
    outline = parse(pages)
    passages, sentences = segment(outline, BILLING)
    check_invariants(outline, passages)
    return pages, outline, passages, sentences, notes


@pytest.mark.parametrize("borders", ["ALL", "NONE", "HORIZONTAL_LINES"])
@pytest.mark.parametrize("rows", [PAYOUT, WRAPPING], ids=["one-line cells", "wrapped cells"])
def test_a_table_is_one_passage_of_rows_that_name_their_columns(tmp_path, borders, rows):
    path = table_pdf(tmp_path / "billing.pdf", borders, tables=((PAYOUT_CAPTION, rows),), before=BEFORE, after=AFTER)
    _, _, passages, sentences, notes = cut(path)
    assert not notes
    tables = [p for p in passages if p.kind == "table"]
    assert len(tables) == 1, [(p.kind, p.text[:80]) for p in passages]
    table = tables[0]
    assert table.text.split("\n") == [PAYOUT_CAPTION] + row_lines(rows)
    assert table.headings == (PAYOUT_CAPTION,) and table.article == "4" and table.pages == (1,)
    # Each row is one sentence (a quote is made of sentences); the caption is in the heading path.
    assert [s.text for s in sentences if s.passage_id == table.id] == row_lines(rows)
    # The text around the table is untouched and keeps its place.
    kinds = [(p.kind, p.text.split()[0]) for p in passages]
    assert kinds == [("body", "Le"), ("table", "Tableau"), ("body", "Les")]
    assert "taux ci-dessous." in passages[0].text and passages[2].text.startswith("Les reversements")


@pytest.mark.parametrize("borders", ["ALL", "NONE"])
def test_a_table_across_a_page_break_is_one_table(tmp_path, borders):
    """The long table runs onto page 2 with its header repeated: one table, every row once,
    in order, under the same caption; the passage at the break has both pages."""
    path = table_pdf(tmp_path / "tarifs.pdf", borders, tables=((PAYOUT_CAPTION, PAYOUT), (TIERS_CAPTION, TIERS)),
                     before=BEFORE, after=AFTER)
    pages, outline, passages, sentences, _ = cut(path)
    assert len(pages) == 2
    assert sum(page.text.count(encode(TIERS[:1])) for page in pages) == 2  # the header, on both pages
    tiers = [p for p in passages if p.headings == (TIERS_CAPTION,)]
    assert all(p.kind == "table" for p in tiers)
    rows = [line for p in tiers for line in p.text.split("\n") if line != TIERS_CAPTION]
    assert rows == row_lines(TIERS)
    assert {n for p in tiers for n in p.pages} == {1, 2}
    last_on_page_1 = outline.page_starts[1] - 1
    assert any(p.start < last_on_page_1 < p.end for p in tiers) or \
        any(p.end == last_on_page_1 and p.pages == (1,) for p in tiers)
    assert [s.text for s in sentences if s.text.startswith("Palier")] == row_lines(TIERS)
    assert passages[-1].kind == "body" and passages[-1].pages == (2,)


def test_rows_are_whole_sentences_even_with_colons_and_semicolons():
    """The sentence splitter cuts at ": Capital" and "; Capital"; a row is never cut."""
    header = ["Opérateur", "Taux", "Seuil"]
    text = "ARTICLE 1 - TAUX\nTableau 1 — Taux\n" + encode([header, ["Orange", "45 %", "10 €"], ["SFR", "42 %", "15 €"]])
    outline = parse([Page(1, text)])
    passages, sentences = segment(outline, BILLING)
    check_invariants(outline, passages)
    assert [s.text for s in sentences] == ["Opérateur : Orange ; Taux : 45 % ; Seuil : 10 €",
                                           "Opérateur : SFR ; Taux : 42 % ; Seuil : 15 €"]


def test_empty_cells_and_a_one_row_table():
    rows = [["Opérateur", "Taux", "Remarque"], ["Orange", "45 %", ""], ["SFR", "", "hors promotions"]]
    lonely = [["Total", "100 %"]]
    text = f"Préambule.\n{encode(rows)}\nEntre les deux.\n{encode(lonely)}\nFin."
    outline = parse([Page(1, text)])
    rows_text = [b.text for b in outline.blocks if b.kind == "row"]
    assert rows_text == ["Opérateur : Orange ; Taux : 45 %", "Opérateur : SFR ; Remarque : hors promotions",
                         "Total ; 100 %"]


@pytest.mark.parametrize("above, kinds", [
    ("Les taux applicables sont les suivants.\nTaux de reversement par opérateur", ["text", "caption"]),
    ("Les taux applicables sont les suivants.\nGrille 2 - Reversements", ["text", "caption"]),
    ("Les taux applicables sont ceux du\nTableau ci-dessous", ["text"]),  # the end of a sentence
    ("Les taux applicables sont les suivants :", ["text"]),  # a lead-in, not a name
])
def test_the_line_above_a_table_is_its_caption_when_it_names_it(above, kinds):
    table = encode([["Opérateur", "Taux"], ["Orange", "45 %"], ["SFR", "42 %"]])
    outline = parse([Page(1, f"{above}\n{table}")])
    assert [b.kind for b in outline.blocks] == kinds + ["row", "row"]
    passages, _ = segment(outline, BILLING)
    table_passage = next(p for p in passages if p.kind == "table")
    assert table_passage.headings == ((above.split("\n")[-1],) if "caption" in kinds else ())


# -- end to end -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def billing_assistant(tmp_path_factory, embedder):
    from tests.conftest import CORPUS, SMALL_DOCS

    import shutil

    corpus = tmp_path_factory.mktemp("billing-corpus")
    shutil.copy(CORPUS / "manifest.toml", corpus / "manifest.toml")
    for name, text in SMALL_DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    table_pdf(corpus / "CP_HighConnexion_Billing.pdf", "ALL", tables=((PAYOUT_CAPTION, PAYOUT),),
              before=BEFORE, after=AFTER)
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path_factory.mktemp("billing-data"))
    report = run(settings, embedder=embedder, progress=False)
    assert report.ok and not report.warnings, report.summary()
    return Assistant(settings, Index(make_client(settings), embedder, settings.collection_prefix))


def test_the_assistant_quotes_the_row_with_its_column_names(billing_assistant):
    answer = billing_assistant.ask("Quel est le taux de reversement pour Orange ?")
    assert not answer.abstained, answer.text
    cited = [c for c in answer.citations if c.doc_id == "cs-billing"]
    assert cited, [c.label for c in answer.citations]
    assert ORANGE in [c.quote for c in cited]
    row = next(c for c in cited if c.quote == ORANGE)
    assert row.heading.endswith(PAYOUT_CAPTION) and row.pages == (1,) and row.article == "4"
    assert f"« {ORANGE} »" in answer.text
