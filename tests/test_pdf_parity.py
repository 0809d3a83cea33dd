"""The CGS as a PDF reads as the CGS as text.

The CGS text layer (one string per page) is rendered here into PDFs of several layouts
(running header and footer, page numbers in their usual forms, another font, two
columns, text re-flowed so that pages break mid-sentence), parsed in the real child
process, then cleaned, structured and segmented. Whatever the layout, the outline, the
passages and their sentences are those of the text; no header, footer or page number is
left inside a passage. One layout also goes through the whole ingest into Chroma.
"""
from __future__ import annotations

import re

import pytest

from ingest.furniture import strip_furniture
from ingest.loaders import load
from ingest.pipeline import run
from ingest.segment import segment
from ingest.store import Index, make_client
from ingest.structure import parse
from terms.records import DocumentInfo, Page
from terms.settings import Settings
from tests.conftest import cgs_pages
from tests.pdf_layouts import HEADER, LAYOUTS, SAME_PAGES, render
from tests.test_outline import check_invariants, outline_lines

CGS = DocumentInfo(id="cgs", title="Conditions Générales de Service", version="CGS 20210601")
# What the layouts print besides the text, as it could survive inside a passage.
FURNITURE = re.compile(r"HIGH CONNEXION —|HIGH CONNEXION SAS au capital|Page \d+ (?:/|sur) \d+"
                       r"|(?:^|\s)(?:\d+/\d+|- \d+ -|— \d+ —)(?:\s|$)|\bPRESENTES\.\s+\d")


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def from_text():
    outline = parse(cgs_pages())
    passages, sentences = segment(outline, CGS)
    return outline, passages, sentences


@pytest.fixture(scope="module", params=list(LAYOUTS))
def from_pdf(request, tmp_path_factory):
    path = render(request.param, [p.text for p in cgs_pages()], tmp_path_factory.mktemp("layout") / "cgs.pdf")
    pages = load(path, Settings())
    outline = parse(pages)
    passages, sentences = segment(outline, CGS)
    return request.param, pages, outline, passages, sentences


def test_same_outline(from_text, from_pdf):
    layout, _, outline, _, _ = from_pdf
    expected, found = outline_lines(from_text[0]), outline_lines(outline)
    if layout not in SAME_PAGES:  # pages differ by design: compare the headings alone
        expected, found = [x.split(" | ")[0] for x in expected], [x.split(" | ")[0] for x in found]
    assert found == expected


def test_same_passages(from_text, from_pdf):
    layout, _, outline, passages, _ = from_pdf
    check_invariants(outline, passages)
    expected = from_text[1]
    assert len(passages) == len(expected) == 73
    assert [(p.heading_path, p.kind, p.term) for p in passages] == \
           [(p.heading_path, p.kind, p.term) for p in expected]
    assert [flat(p.text) for p in passages] == [flat(p.text) for p in expected]
    if layout in SAME_PAGES:
        assert [p.pages for p in passages] == [p.pages for p in expected]


def test_same_sentences(from_text, from_pdf):
    *_, sentences = from_pdf
    assert [flat(s.text) for s in sentences] == [flat(s.text) for s in from_text[2]]


def test_no_furniture_left(from_pdf):
    _, _, outline, passages, _ = from_pdf
    leftovers = [p.text for p in passages if FURNITURE.search(p.text)]
    assert not leftovers, leftovers[0][:300]
    assert HEADER not in outline.text


def test_a_sentence_across_a_page_break_is_whole_with_both_pages(from_text, from_pdf):
    """Wherever a page starts inside a line of the cleaned text, a sentence ran across the
    break: it is one sentence again, and its passage has the pages on both sides."""
    _, pages, outline, passages, sentences = from_pdf
    mid_line = [(n, start) for n, start in enumerate(outline.page_starts, 1)
                if 0 < start < len(outline.text) and outline.text[start - 1] != "\n"]
    assert mid_line  # the CGS breaks pages mid-sentence in every layout
    for number, start in mid_line:
        holder = next(p for p in passages if p.start < start < p.end)
        assert {number - 1, number} <= set(holder.pages), (number, holder.pages, holder.text[:80])
        sentence = next(s for s in sentences if s.start < start < s.end)
        assert flat(sentence.text) in {flat(s.text) for s in from_text[2]}


def test_reflowed_pages_break_inside_sentences(from_pdf):
    """The re-flowed layout is the hard case: more, smaller pages, breaking anywhere."""
    layout, pages, outline, passages, _ = from_pdf
    if layout in SAME_PAGES:
        pytest.skip("one PDF page per text page")
    assert len(pages) > 6
    spanning = [p for p in passages if len(p.pages) > 1]
    assert len(spanning) >= 5
    assert max(p.pages[-1] for p in passages) == len(pages)


# -- the furniture rules on small pages -------------------------------------------------------

def pages_of(*texts: str) -> list[Page]:
    return [Page(n, text) for n, text in enumerate(texts, 1)]


BODY = ["Le prix est fixé au devis accepté.\nIl est révisable chaque année.",
        "Les factures sont payables à trente jours.\nTout retard donne lieu à pénalités.",
        "Le contrat est conclu pour un an.\nIl se renouvelle tacitement.",
        "Tout litige relève du tribunal de commerce.\nLe droit français s'applique."]


@pytest.mark.parametrize("number", ["Page {n} / 4", "Page {n} sur 4", "page {n}", "{n}/4", "- {n} -", "— {n} —",
                                    "{n}", "  {n}  "])
def test_page_numbers_in_their_usual_forms(number):
    pages = pages_of(*(f"{body}\n{number.format(n=n)}" for n, body in enumerate(BODY, 1)))
    assert [p.text for p in strip_furniture(pages)] == BODY


def test_page_numbers_at_the_top_and_headers_of_two_lines():
    pages = pages_of(*(f"ACME SAS\nContrat de service — réf. 2024-07\n{n}\n{body}\n \nACME SAS — RCS Lyon 123 456 789"
                       for n, body in enumerate(BODY, 1)))
    assert [p.text for p in strip_furniture(pages)] == [f"{body}\n " for body in BODY]


def test_printed_numbers_may_be_offset_from_the_pages():
    """A document printed as pages 11 to 14 of a bundle."""
    pages = pages_of(*(f"{body}\n{n + 10}" for n, body in enumerate(BODY, 1)))
    assert [p.text for p in strip_furniture(pages)] == BODY


def test_text_that_only_looks_like_furniture_stays():
    # Numbers that are not the pages', a first line whose number does not follow the
    # pages, a last line repeated on two pages out of four.
    texts = ["ARTICLE 3\n" + BODY[0] + "\n30", "ARTICLE 5\n" + BODY[1] + "\n12",
             "ARTICLE 8\n" + BODY[2] + "\nFin.", "Annexe\n" + BODY[3] + "\nFin."]
    pages = pages_of(*texts)
    assert [p.text for p in strip_furniture(pages)] == texts
    assert strip_furniture(cgs_pages()) == cgs_pages()  # the text layer has no furniture


def test_the_link_lines_above_a_footer_go_too():
    """Exporters leave link-annotation URLs at a page end, here above the footer: with the
    footer gone they end the page, and cleaning drops them."""
    texts = [f"{BODY[0]}\nhttps://exemple.fr/conditions.pdf\nhttps://exemple.fr/conditions.pdf\nPage 1 / 2",
             f"{BODY[1]}\nPage 2 / 2"]
    outline = parse(pages_of(*texts))
    assert "exemple.fr" not in outline.text and "Page" not in outline.text
    assert flat(outline.text) == flat(BODY[0] + " " + BODY[1])


def test_a_table_row_is_never_furniture():
    from ingest.tables import encode

    rows = [["Opérateur", "Taux"], ["Orange", "45 %"]]
    texts = [f"{encode(rows)}\n{body}\n{encode(rows)}" for body in BODY]
    assert [p.text for p in strip_furniture(pages_of(*texts))] == texts


# -- end to end -----------------------------------------------------------------------------------

def test_ingest_of_the_pdf_indexes_what_the_text_gives(from_text, tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    render("header+footer Page n / N", [p.text for p in cgs_pages()], corpus / "cgs.pdf")
    report = run(Settings(corpus_dir=corpus, data_dir=tmp_path / "data"), embedder=embedder, progress=False)
    assert report.ok and report.pages == 4 and report.passages == 73, report.summary()
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    indexed = Index(make_client(settings), embedder, settings.collection_prefix).passages(report.generation)
    expected = {p.id: p for p in from_text[1]}
    assert {p.id for p in indexed} == set(expected)  # same text, same heading path: same id
    for p in indexed:
        assert p.pages == expected[p.id].pages
        assert not FURNITURE.search(p.text)
