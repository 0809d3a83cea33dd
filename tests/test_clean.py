"""The pure cleaning functions, alone and as the parser applies them to the CGS."""
from __future__ import annotations

import pytest

from ingest.clean import (
    collapse_spaces,
    drop_trailing_url_lines,
    ends_with_hyphenated_word,
    is_url_fragment,
    join_hyphenated,
    soften_caps,
    strip_trailing_spaces,
    words,
)
from terms.records import Page
from ingest.structure import parse
from tests.conftest import CGS_FILE, cgs_pages

URLS = [
    "https://www.highconnexion.com/wp-content/uploads/CP_HighConnexion_Marketing.pdf",
    "https://www.highconnexion.com/wp-content/uploads/CP_HighConnexion_Billing.pdf",
    "https://www.highconnexion.com/wp-content/uploads/DPA_Highconnexion.pdf",
    "https://www.highco.com/investisseurs/anticorruption-conformite/",
    "alerte-corruption@notification-highco.com",
]


@pytest.fixture(scope="module")
def cgs_text() -> str:
    return parse(cgs_pages()).text


@pytest.fixture(scope="module")
def cgs_lines(cgs_text) -> list[str]:
    return cgs_text.split("\n")


# -- trailing spaces ------------------------------------------------------------------------

def test_strip_trailing_spaces():
    assert strip_trailing_spaces("Règlement \t ") == "Règlement"
    assert strip_trailing_spaces("  - Repas midi ") == "  - Repas midi"  # leading indent is kept


def test_cleaned_cgs_has_no_trailing_or_doubled_whitespace(cgs_lines):
    assert CGS_FILE.read_text(encoding="utf-8").split("\n")[4].endswith(" ")  # the raw text has them
    for line in cgs_lines:
        assert line == line.strip(), repr(line)
        assert "\f" not in line and "\r" not in line


# -- hyphenation ------------------------------------------------------------------------------

def test_real_hyphen_is_kept_across_a_line_end():
    assert join_hyphenated("via les liens ci-", "dessous), à l'exclusion", words("ci dessous")) == \
        "via les liens ci-dessous), à l'exclusion"
    assert join_hyphenated("ses sous-", "traitants", {"sous", "traitants"}) == "ses sous-traitants"


def test_soft_hyphen_is_dropped_when_the_joined_word_is_known():
    vocabulary = words("avant l'exécution des Prestations")
    assert join_hyphenated("préalablement à l'exécu-", "tion des Prestations", vocabulary) == \
        "préalablement à l'exécution des Prestations"
    # Unknown joined word: the hyphen may be real, so it stays.
    assert join_hyphenated("l'exécu-", "tion", set()) == "l'exécu-tion"


def test_url_hyphen_is_never_dropped():
    vocabulary = {"wpcontent", "content"}
    assert join_hyphenated("disponible sur : https://www.highconnexion.com/wp-",
                           "content/uploads/DPA_Highconnexion.pdf.", vocabulary) == \
        "disponible sur : https://www.highconnexion.com/wp-content/uploads/DPA_Highconnexion.pdf."


def test_is_url_fragment():
    assert is_url_fragment("voir https://www.highconnexion.com/wp-")
    assert is_url_fragment("www.example.fr/a-")
    assert not is_url_fragment("les liens ci-")
    assert not is_url_fragment("")


def test_ends_with_hyphenated_word():
    assert ends_with_hyphenated_word("les liens ci-  ")
    assert not ends_with_hyphenated_word("possibilité, -")  # an opening dash, not a split word
    assert not ends_with_hyphenated_word("Règlement")


def test_parser_joins_soft_hyphenation_and_keeps_real_hyphens():
    text = ("Le Prestataire garantit l'exécution des Prestations. La bonne exécu-\n"
            "tion suppose la collaboration du Client, dont les sous-\n"
            "traitants et les équipes ci-\n"
            "dessous sont informés.\n")
    outline = parse([Page(1, text)])
    assert "La bonne exécution suppose la collaboration du Client, dont les sous-traitants et les équipes " \
           "ci-dessous sont informés." in outline.text


def test_cgs_hyphenated_words(cgs_text):
    assert "(consultables via les liens ci-dessous)" in cgs_text
    assert "tout sous-traitant de son choix" in cgs_text
    assert "de ses sous-traitants à qui il peut faire appel" in cgs_text
    assert "ci- " not in cgs_text and "sous- " not in cgs_text


# -- link annotations at page ends ------------------------------------------------------------

def test_drop_trailing_url_lines():
    lines = ["d'exiger des garanties et/ou le", "", URLS[0], URLS[0], URLS[1], ""]
    assert drop_trailing_url_lines(lines) == ["d'exiger des garanties et/ou le"]


def test_url_lines_inside_a_page_are_kept():
    lines = ["- pour le SMS+ : https://af2m.org/chartes-smsplus/", "https://af2m.org/rd-sva/", "suite du texte", ""]
    assert drop_trailing_url_lines(lines) == lines
    assert drop_trailing_url_lines(["fin de page.", "", ""]) == ["fin de page.", "", ""]
    assert drop_trailing_url_lines([]) == []


def test_sentence_reads_whole_across_the_page_break(cgs_text):
    assert "d’exiger des garanties et sûretés et/ou le règlement comptant des Prestations" in cgs_text
    # The link annotations of page 2 are gone too: each af2m URL is left once, in its bullet.
    for url in ("https://af2m.org/chartes-smsplus/", "https://af2m.org/rd-sva/", "https://af2m.org/chartes-internetplus/"):
        assert cgs_text.count(url) == 1, url


def test_cgs_has_no_bare_url_lines(cgs_lines):
    for line in cgs_lines:
        assert not line.startswith("http"), line


# -- URLs inside the body ---------------------------------------------------------------------

@pytest.mark.parametrize("url", URLS)
def test_split_urls_are_rejoined_intact(cgs_text, url):
    assert url in cgs_text
    assert f"{url.split('//')[-1][:12]}" in cgs_text


def test_rejoined_urls_end_where_they_should(cgs_text):
    assert "DPA_Highconnexion.pdf. Par ailleurs" in cgs_text
    assert "anticorruption-conformite/." in cgs_text
    assert "à l’adresse email suivante : alerte-corruption@notification-highco.com," in cgs_text
    assert "- Conditions spécifiques aux prestations de Billing : " + URLS[1] in cgs_text


# -- bullets --------------------------------------------------------------------------------

def test_bullet_items_are_whole_lines(cgs_lines):
    item = "- Achats de contenus digitaux (musiques, vidéos, articles de presse, ticketing, billetterie, Etc.)"
    assert cgs_lines.count(item) == 2  # "Service(s)" is defined twice
    assert "- Déplacements hors Lyon au réel sur justificatifs, (Frais A/R en TGV en 2nde classe ou " \
           "remboursement du véhicule de location + frais kilométriques)" in cgs_lines
    assert "- Mise à disposition de solutions digitales (solution wallet, jeu SMS, Web & mobile et audiotel)," \
        in cgs_lines
    assert "- Repas midi : maximum 15 €" in cgs_lines


def test_bullet_continued_across_the_page_break(cgs_lines):
    """Page 3 begins in the middle of a list: its first item is a bullet of its own."""
    assert "- Se prémunir des risques de dommages, perte ou destruction, y compris par cas fortuit ou force " \
           "majeure, concernant ses matériels et logiciels qui pourraient être installés par Le Prestataire " \
           "sur le site du Client ;" in cgs_lines


def test_parser_keeps_bullets_apart_and_whole():
    text = ("Les frais sont facturés sur les bases suivantes :\n\n"
            "- Séjour en hôtel : maximum 110 € / nuit\n"
            "- Déplacements au réel sur justificatifs, (train en\n"
            "seconde classe)\n\n"
            "- Repas : maximum 15 €.\n"
            "Les autres frais sont refacturés.\n")
    lines = parse([Page(1, text)]).text.split("\n")
    assert lines == ["Les frais sont facturés sur les bases suivantes :",
                     "- Séjour en hôtel : maximum 110 € / nuit",
                     "- Déplacements au réel sur justificatifs, (train en seconde classe)",
                     "- Repas : maximum 15 €.",
                     "Les autres frais sont refacturés."]


# -- small helpers ------------------------------------------------------------------------------

def test_soften_caps():
    assert soften_caps("LES PARTIES S’EFFORCERONT DE REGLER LEURS DIFFERENDS") == \
        "les parties s’efforceront de regler leurs differends"
    assert soften_caps("LE TRIBUNAL DE COMMERCE DE PARIS SERA SEUL COMPETENT POUR") == \
        "le tribunal de commerce de paris sera seul competent pour"
    assert soften_caps("Le Client (RCS LYON) paie la TVA") == "Le Client (rcs lyon) paie la tva"
    assert soften_caps("A défaut, le Client") == "A défaut, le Client"  # one capital letter is not shouting
    assert soften_caps("ANTI-CORRUPTION") == "anti-corruption"


def test_words_and_collapse_spaces():
    assert words("L’Utilisateur paie 30 €, l'utilisateur") == {"l", "utilisateur", "paie", "30"}
    assert collapse_spaces("  a \n b\t\tc  ") == "a b c"
