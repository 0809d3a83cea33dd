"""Structure parsing and segmentation: the CGS outline against a reviewed golden file,
the offset invariant, definitions, bullets, and other numbering styles."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from terms.records import DocumentInfo, Page
from ingest.segment import sections, segment
from ingest.structure import Outline, parse
from tests.conftest import cgs_pages

GOLDEN = Path(__file__).parent / "golden" / "cgs_outline.txt"
CGS = DocumentInfo(id="cgs-20210601", title="Conditions Générales de Service", version="CGS 20210601")

# The article 1 definitions, in order; "Service(s)" is defined twice in the PDF itself.
CGS_TERMS = ["Activités", "Conditions tarifaires", "Conditions spécifiques", "Service(s)", "Développement",
             "Devis", "Ecrit(e)", "Service(s)", "Solution(s)", "Solution(s) de Paiement", "Prestations",
             "Livrables", "Utilisateur"]


def outline_lines(outline: Outline) -> list[str]:
    """One line per article, sub-heading and lettered sub-sub-heading, with its page(s).

    "3 CONDITIONS FINANCIERES | p.1", "3 > Règlement | p.1", "4 > Développement > a/ … | p.3".
    """
    lines: list[str] = []
    article, level2, seen_article = "", "", False
    for block in outline.blocks:
        pages = ",".join(map(str, outline.pages_of(block.start, block.end)))
        if block.kind == "article":
            article, level2, seen_article = block.number, "", True
            lines.append(f"{block.number} {block.title}".strip() + f" | p.{pages}")
        elif block.kind == "heading" and seen_article:
            level2 = block.title
            lines.append(f"{article} > {block.title} | p.{pages}")
        elif block.kind == "subheading":
            path = " > ".join(h for h in (article, level2, block.title) if h)
            lines.append(f"{path} | p.{pages}")
    return lines


def golden_lines() -> list[str]:
    return [line for line in GOLDEN.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def cgs_outline() -> Outline:
    return parse(cgs_pages())


@pytest.fixture(scope="module")
def cgs_passages(cgs_outline):
    return segment(cgs_outline, CGS, 900)


def check_invariants(outline: Outline, passages) -> None:
    assert passages, "no passage"
    for p in passages:
        assert outline.text[p.start:p.end] == p.text
        assert p.text.strip() == p.text and p.text
        assert p.pages, f"passage without pages: {p.text[:60]!r}"
    assert len({p.id for p in passages}) == len(passages)


# -- the CGS -------------------------------------------------------------------------

def test_cgs_outline_matches_reviewed_golden(cgs_outline):
    assert outline_lines(cgs_outline) == golden_lines()


def test_every_section_path_is_in_the_golden_outline(cgs_outline):
    """The segmenter's heading paths are the parser's outline (no heading lost between them)."""
    golden_paths = {line.split(" | ")[0] for line in golden_lines()}
    for section in sections(cgs_outline):
        if section.kind in ("preamble", "definition"):
            continue
        path = " > ".join((section.article, *section.headings)) if section.headings else \
            f"{section.article} {section.article_title}"
        assert path in golden_paths, path


def test_golden_has_the_reviewed_headings():
    """Guards the golden file itself against a careless regeneration."""
    paths = [line.split(" | ")[0] for line in golden_lines()]
    for expected in ["2 > Acceptation du Devis", "2 > Prestations complémentaires – modifications",
                     "2 > Annulation", "2 > Durée", "2 > Résiliation",
                     "3 > Rémunération des Prestations", "3 > Règlement",
                     "3 > Règlement hors délai – défaut de paiement", "3 > Frais divers",
                     "4 > Obligations générales du Prestataire", "4 > Obligations générales du Client",
                     "4 > Reserve de propriété", "4 > Preuve", "4 > Services", "4 > Solutions", "4 > Développement",
                     "4 > Manquements et Pénalités", "9 > Droits du Prestataire",
                     "9 > Eléments de propriété intellectuelle du Client", "9 > Référence commerciale"]:
        assert expected in paths, expected
    lettered = [p.split(" > ")[-1][:2] for p in paths if p.startswith("4 > Développement > ")]
    assert lettered == ["a/", "b/", "c/", "d/", "e/", "f/"]
    assert [p.split()[0] for p in paths if " > " not in p] == [str(n) for n in range(1, 15)]


def test_page_starts(cgs_outline):
    starts = cgs_outline.page_starts
    assert len(starts) == 4
    assert cgs_outline.text[starts[1]:].startswith("règlement comptant des Prestations")
    assert cgs_outline.text[starts[2]:].startswith("- Se prémunir des risques")
    assert cgs_outline.text[starts[3]:].startswith("des éditeurs de logiciels")


def test_passages_slice_the_text_and_have_unique_ids(cgs_outline, cgs_passages):
    passages, sentences = cgs_passages
    check_invariants(cgs_outline, passages)
    by_id = {p.id: p for p in passages}
    for s in sentences:
        assert cgs_outline.text[s.start:s.end] == s.text
        p = by_id[s.passage_id]
        assert p.start <= s.start and s.end <= p.end


def test_passages_cover_the_whole_text(cgs_outline, cgs_passages):
    """No clause falls between passages: outside them there are only heading lines."""
    passages, _ = cgs_passages
    covered = sorted((p.start, p.end) for p in passages)
    gaps, pos = [], 0
    for a, b in covered:
        gaps.append(cgs_outline.text[pos:a])
        pos = max(pos, b)
    gaps.append(cgs_outline.text[pos:])
    heading_lines = {b.text for b in cgs_outline.blocks if b.kind in ("article", "heading", "subheading")}
    for gap in gaps:
        for line in gap.split("\n"):
            assert not line.strip() or line in heading_lines, line


def test_passage_pages(cgs_passages):
    passages, _ = cgs_passages
    reglement = next(p for p in passages if p.headings == ("Règlement",))
    assert reglement.pages == (1, 2)  # the sentence runs across the page break
    assert "et/ou le règlement comptant des Prestations" in reglement.text
    assert next(p for p in passages if p.article == "14").pages == (4,)
    assert next(p for p in passages if p.headings == ("Frais divers",)).pages == (2,)
    assert next(p for p in passages if p.kind == "preamble").pages == (1,)
    assert next(p for p in passages if "des éditeurs de logiciels" in p.text).pages == (3, 4)


def test_one_passage_per_definition(cgs_passages):
    passages, _ = cgs_passages
    definitions = [p for p in passages if p.kind == "definition"]
    assert [p.term for p in definitions] == CGS_TERMS
    for p in definitions:
        assert p.article == "1" and p.headings == (p.term,)
        assert p.text.startswith(p.term)
    activities = definitions[0]
    # Sub-definitions and their bullets stay inside the definition that announces them.
    assert "Marketing : désigne" in activities.text and "- Développement informatique," in activities.text
    assert "Paiement (« Billing ») : désigne" in activities.text
    first, second = (p for p in definitions if p.term == "Service(s)")
    assert first.text == second.text and first.id != second.id


def test_frais_divers_bullets_stay_with_their_lead_in(cgs_passages):
    passages, _ = cgs_passages
    lead_in = "les frais de déplacement seront facturés sur les bases suivantes :"
    holder = [p for p in passages if lead_in in p.text]
    assert len(holder) == 1
    for bullet in ["- Déplacements hors Lyon au réel sur justificatifs, (Frais A/R en TGV en 2nde classe",
                   "- Séjour en hôtel : maximum 110 € / nuit", "- Repas midi : maximum 15 €",
                   "- Repas soir : maximum 30 €"]:
        assert bullet in holder[0].text


def test_an_aside_dash_is_not_a_bullet(cgs_outline, cgs_passages):
    """"…la possibilité,\\n- nonobstant toute stipulation contraire -, d’exiger…" is one sentence."""
    _, sentences = cgs_passages
    texts = [s.text for s in sentences]
    whole = [t for t in texts if t.startswith("En cas de modification de la situation financière du Client")]
    assert len(whole) == 1
    assert whole[0].endswith("préalablement à l’exécution de celles-ci.")
    assert "- nonobstant toute stipulation contraire -, d’exiger" in whole[0]
    assert not any(b.kind == "bullet" and "nonobstant" in b.text for b in cgs_outline.blocks)


def test_long_sections_split_at_sentences_under_the_limit(cgs_outline, cgs_passages):
    passages, _ = cgs_passages
    for p in passages:
        # Definitions and the preamble are kept whole up to twice the limit, by design.
        assert len(p.text) <= 900 * (1.4 if p.kind == "body" else 2), (p.heading_path, len(p.text))
        if p.kind == "body" and p.end < len(cgs_outline.text):
            # A passage ends at the end of a sentence, a bullet or a line.
            assert re.search(r"[.;:,)€]$", p.text) or cgs_outline.text[p.end] == "\n", p.text[-60:]


# -- other numbering styles ---------------------------------------------------------------

def _cut(text: str, doc_id: str = "doc", limit: int = 900):
    outline = parse([Page(i + 1, page) for i, page in enumerate(text.split("\f"))])
    passages, _ = segment(outline, DocumentInfo(id=doc_id, title=doc_id), limit)
    check_invariants(outline, passages)
    return outline, passages


MARKDOWN = """# Contrat de maintenance

Le présent contrat lie le Client et le Prestataire.

## Article 7.1 Objet

Le Prestataire assure la maintenance corrective du logiciel.

## Article 7.2 Durée du contrat

Le contrat est conclu pour une durée d'un an.
Il est renouvelable par tacite reconduction.

### Résiliation anticipée

Chaque partie peut résilier le contrat avec un préavis de trois mois.

## 8. Prix

Le prix est payable à trente jours.
"""


def test_markdown_headings():
    _, passages = _cut(MARKDOWN, "md")
    paths = [p.heading_path for p in passages]
    assert paths == [("Contrat de maintenance",), ("7.1. Objet",), ("7.2. Durée du contrat",),
                     ("7.2. Durée du contrat", "Résiliation anticipée"), ("8. Prix",)]
    assert not any("#" in p.text for p in passages)
    assert passages[2].text == "Le contrat est conclu pour une durée d'un an. Il est renouvelable par tacite reconduction."
    assert [p.article for p in passages] == ["", "7.1", "7.2", "7.2", "8"]


def test_roman_numbered_articles():
    text = ("CONTRAT DE PRESTATION\n\n"
            "ARTICLE I - DEFINITIONS\nClient : désigne la personne qui commande.\n"
            "Prestataire : désigne la société qui exécute les prestations.\n\n"
            "ARTICLE II - OBJET\nLe présent contrat a pour objet la fourniture de services.\n\n"
            "ARTICLE III - PRIX\nLe prix est fixé au devis. Il est payable à trente jours.\n")
    _, passages = _cut(text, "roman")
    assert [(p.article, p.article_title, p.kind, p.term) for p in passages] == [
        ("", "Préambule", "preamble", ""),
        ("I", "DEFINITIONS", "definition", "Client"),
        ("I", "DEFINITIONS", "definition", "Prestataire"),
        ("II", "OBJET", "body", ""),
        ("III", "PRIX", "body", ""),
    ]
    assert passages[-1].text == "Le prix est fixé au devis. Il est payable à trente jours."


def test_dotted_article_numbers():
    text = ("Conditions particulières\n\n"
            "Article 7.1 Objet\nLe présent contrat définit les conditions du service.\n\n"
            "Article 7.2 Durée\nLe contrat prend effet à sa signature pour une durée d'un an.\n"
            "Il se renouvelle tacitement.\n\n"
            "Article 7.3 : Prix\nLe prix est indiqué au bon de commande.\n")
    _, passages = _cut(text, "dotted")
    assert [(p.article, p.article_title) for p in passages] == [
        ("", "Préambule"), ("7.1", "Objet"), ("7.2", "Durée"), ("7.3", "Prix")]
    assert passages[2].heading_path == ("7.2. Durée",)
    assert passages[2].text == "Le contrat prend effet à sa signature pour une durée d'un an. Il se renouvelle tacitement."


def test_plain_text_falls_back_to_paragraphs():
    paragraphs = [
        f"Paragraphe {n} : le présent document décrit les modalités d'utilisation du service numéro {n}. "
        + "Chaque utilisateur s'engage à respecter les règles de bonne conduite et la loi applicable. " * 4
        for n in range(1, 7)
    ]
    text = "\n\n".join(p.strip() for p in paragraphs) + "\n\fSuite du document sur une seconde page.\n"
    outline, passages = _cut(text, "plain", limit=900)
    assert len(passages) >= 3
    for p in passages:
        assert p.article == "" and p.headings == () and p.kind == "body"  # not "the preamble" of anything
        assert len(p.text) <= 900
    # Passages are whole paragraphs: each starts a paragraph and ends at a paragraph's end.
    starts = {b.start for b in outline.blocks}
    ends = {b.end for b in outline.blocks}
    assert all(p.start in starts and p.end in ends for p in passages)
    assert passages[-1].pages[-1] == 2
    assert passages[0].pages == (1,)
