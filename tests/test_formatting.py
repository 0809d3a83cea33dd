"""Answer and corpus formatting: pure functions, escaping first."""
from __future__ import annotations

import html
import re

import pytest

from assistant.answer import Answer, Citation
from assistant.server import formatting

URLS = {"cgs-20210601": "https://www.highconnexion.com/",
        "cs-billing": "https://www.highconnexion.com/wp-content/uploads/CP_HighConnexion_Billing.pdf"}
PASSAGE = ("Sauf dispositions contraires, les factures sont payables à 30 jours date de facture. "
           "En cas de retard, des pénalités s'appliquent.")
QUOTE = "les factures sont payables à 30 jours date de facture."


def cite(quote: str = QUOTE, passage: str = PASSAGE, **changes) -> Citation:
    fields = dict(doc_id="cgs-20210601", document="Conditions Générales de Service", version="CGS 20210601",
                  article="3", article_title="CONDITIONS FINANCIERES", heading="Règlement", pages=(1, 2), quote=quote,
                  passage_id="cgs-20210601:abc", label="CGS art. 3 — Règlement, p. 1, 2", passage_text=passage)
    fields.update(changes)
    return Citation(**fields)


def answer(**changes) -> Answer:
    fields = dict(text=f"Selon l'article 3 (Règlement) des CGS : « {QUOTE} »", citations=[cite()], abstained=False,
                  confidence=0.93, language="fr", mode="extractive", latency_ms=12.0)
    fields.update(changes)
    return Answer(**fields)


def test_text_is_escaped_and_keeps_line_breaks_without_blank_lines():
    out = formatting.text_html('a <b>"x"</b>\n\nb & c')
    assert out == "a &lt;b&gt;&quot;x&quot;&lt;/b&gt;<br><br>b &amp; c"
    assert "\n" not in out  # a blank line would end the markdown HTML block


def test_highlight_marks_the_quote_inside_its_escaped_passage():
    out = formatting.highlight("avant <i>x</i> après", "<i>x</i>")
    assert out == "avant <mark>&lt;i&gt;x&lt;/i&gt;</mark> après"


def test_highlight_without_the_quote_in_the_passage_marks_nothing():
    assert formatting.highlight("a < b", "absent") == "a &lt; b"


def test_card_shows_document_version_article_heading_pages_quote_and_whole_clause():
    card = formatting.citation_card(cite(), 1, URLS, "fr")
    assert "Conditions Générales de Service · CGS 20210601" in card
    assert "Article 3 — CONDITIONS FINANCIERES" in card
    assert "Règlement · p. 1, 2" in card
    assert f"<mark>{formatting.text_html(QUOTE)}</mark>" in card
    details = re.search(r"<details[^>]*>.*</details>", card).group(0)
    assert "En cas de retard, des pénalités s&#x27;appliquent." in details
    assert 'href="https://www.highconnexion.com/"' in card
    assert "\n" not in card


def test_card_in_english_and_for_a_preamble():
    card = formatting.citation_card(cite(article="", article_title="", heading="", pages=(1,)), 2, URLS, "en")
    assert "Preamble" in card and "[2]" in card and "Read the whole clause" in card
    assert "p. 1" in card


def test_long_passage_is_cut_around_the_quote_in_the_card_but_whole_in_details():
    passage = "début " * 100 + QUOTE + " fin" * 100
    card = formatting.citation_card(cite(passage=passage), 1, URLS)
    quote_block = re.search(r'<blockquote class="ta-quote">(.*?)</blockquote>', card).group(1)
    assert quote_block.startswith("… ") and quote_block.endswith(" …")
    assert len(quote_block) < len(passage)
    assert passage.count("début") == card.split("<details")[1].count("début")


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">',
                                     "<a href='javascript:alert(1)'>x</a>", "$$x$$ **bold** [l](http://evil)"])
def test_nothing_from_documents_becomes_markup(payload):
    passage = f"Le code est {payload} à changer."
    bad = answer(text=f"Selon : « {payload} »", citations=[cite(quote=payload, passage=passage,
                                                                  document=payload, heading=payload)],
                 notice=payload, pointers=[{"id": "x", "title": payload, "url": "javascript:alert(1)"}])
    out = formatting.answer_html(bad, URLS)
    assert "<script" not in out and "<img" not in out and "<a href='" not in out
    assert re.findall(r'href="([^"]*)"', out) == ["https://www.highconnexion.com/"]  # the manifest URL only
    assert formatting.text_html(payload) in out


def test_links_only_for_manifest_urls():
    assert formatting.safe_url("https://www.highconnexion.com/", URLS.values()) == "https://www.highconnexion.com/"
    assert formatting.safe_url("https://evil.example/", URLS.values()) is None
    assert formatting.safe_url("javascript:alert(1)", ["javascript:alert(1)"]) is None
    assert formatting.link_html("https://evil.example/", "x", URLS.values()) == "x"


def test_answer_html_shows_text_mode_cards_and_is_one_html_block():
    out = formatting.answer_html(answer(), URLS, "fr")
    assert out.startswith('<div class="ta-answer">') and out.endswith("</div>") and "\n" not in out
    assert "Mode : extractif" in out
    assert out.count('class="ta-card"') == 1
    assert "ta-abstain" not in out


def test_llm_mode_and_supporting_definition():
    citations = [cite(), cite(supporting=True, passage_id="cgs-20210601:def")]
    out = formatting.answer_html(answer(mode="llm", language="en", citations=citations), URLS, "fr")
    assert "Mode : LLM" in out and "Useful definition" in out and out.count("ta-card-support") == 1


def test_abstention_says_why_and_links_the_documents_to_read():
    pointers = [{"id": "cs-billing", "title": "Conditions spécifiques — Billing", "url": URLS["cs-billing"]}]
    out = formatting.answer_html(answer(text="Les CGS ne répondent pas.", citations=[], abstained=True,
                                        confidence=0.21, pointers=pointers), URLS, "fr")
    assert "Pas de réponse dans les documents indexés" in out
    assert "Aucune clause des documents disponibles ne répond" in out
    # The figures stay in the technical details, not in the sentence sales staff read.
    visible, details = out.split('<details class="ta-footer">')
    assert "0.21" not in visible and "confiance 0.21 (seuil 0.50)" in details
    assert f'href="{URLS["cs-billing"]}"' in out and "Conditions spécifiques — Billing</a>" in out
    assert "ta-card" not in out
    assert "consultez les documents ci-dessous" in out


def test_an_abstention_with_no_document_to_read_points_to_none():
    """Nothing is listed below: the reason does not send the reader to documents below."""
    for lang, listed, alone in (("fr", "ci-dessous", "reformulez-la si elle porte sur les conditions de service"),
                                ("en", "below", "rephrase it if it is about the terms of service")):
        out = formatting.answer_html(answer(text="…", citations=[], abstained=True, confidence=0.1, language=lang),
                                     URLS, lang)
        assert alone in out and listed not in out and "ta-pointers" not in out


def test_a_figure_the_terms_do_not_give_is_said_so_with_its_context_clause():
    out = formatting.answer_html(answer(text="Les CGS ne fixent pas ce montant ; la clause la plus proche est …",
                                        citations=[cite(supporting=True)], abstained=True, reason="not_given",
                                        confidence=0.3), URLS, "fr")
    assert "abordent le sujet mais ne donnent pas ce qui est demandé" in out
    assert "Aucune clause des documents disponibles" not in out
    assert "ta-card" in out
    # The nearest clause is context, not a definition.
    assert '<span class="ta-badge">Contexte</span>' in out and "Définition utile" not in out


@pytest.mark.parametrize("reason", ["no_question", "task"])
def test_a_message_that_asks_nothing_gets_no_abstention_box(reason):
    out = formatting.answer_html(answer(text="Bonjour ! Je réponds aux questions sur les CGS.", citations=[],
                                        abstained=True, reason=reason, confidence=0.0), URLS, "fr")
    assert "ta-abstain" not in out and "Bonjour ! Je réponds" in out
    assert "confiance" not in out  # nothing was looked up: no score to read as a failure


def test_sources_text():
    text = formatting.sources_text([cite(), cite(doc_id="other", label="X art. 1")], URLS)
    assert text == ("\n\nSources:\n[1] CGS art. 3 — Règlement, p. 1, 2 — https://www.highconnexion.com/\n"
                    "[2] X art. 1")
    assert formatting.sources_text([], URLS) == ""


def test_partial_and_user_messages_are_escaped():
    assert formatting.partial_html("<b>x") == '<div class="ta-answer"><div class="ta-text ta-streaming">&lt;b&gt;x</div></div>'
    assert formatting.user_html("<img src=x>") == '<div class="ta-user">&lt;img src=x&gt;</div>'


def test_documents_table():
    rows = [
        {"id": "cgs-20210601", "title": "Conditions Générales de Service", "kind": "general conditions",
         "version": "CGS 20210601", "url": URLS["cgs-20210601"], "indexed": True, "passages": 73},
        {"id": "cs-billing", "title": "Conditions spécifiques — Billing", "kind": "specific conditions: billing",
         "version": "", "url": URLS["cs-billing"], "indexed": False, "passages": 0},
        {"id": "x", "title": "<b>odd</b>", "kind": "", "version": "", "url": "javascript:alert(1)",
         "indexed": False, "passages": 0},
    ]
    out = formatting.documents_html(rows, "fr")
    assert out.count("<tr>") == 4
    assert "Indexé" in out and "CGS 20210601 · 73 passages" in out
    assert "Référencé, non disponible" in out and f'href="{URLS["cs-billing"]}"' in out
    assert "&lt;b&gt;odd&lt;/b&gt;" in out and 'href="javascript' not in out
    assert "Indexed" in formatting.documents_html(rows, "en")
    assert "conditions générales" in out and "general conditions" not in out
    assert "general conditions" in formatting.documents_html(rows, "en")


def test_short_url_for_display():
    assert formatting.short_url("https://www.highconnexion.com/") == "highconnexion.com"
    assert (formatting.short_url("https://www.highconnexion.com/wp-content/uploads/CP_HighConnexion_Billing.pdf")
            == "highconnexion.com/…/CP_HighConnexion_Billing.pdf")


def test_an_answer_speaks_its_own_language_whatever_the_interface():
    pointers = [{"id": "cs-billing", "title": "Conditions spécifiques — Billing", "url": URLS["cs-billing"]}]
    english = answer(text="The CGS do not answer.", citations=[], abstained=True, language="en", pointers=pointers)
    out = formatting.answer_html(english, URLS, "fr")
    assert "No answer in the indexed documents" in out and "Read instead" in out
    assert "Pas de réponse" not in out and "À consulter" not in out


def test_a_link_in_the_text_is_not_listed_again():
    url = URLS["cs-billing"]
    pointers = [{"id": "cs-billing", "title": "Conditions spécifiques — Billing", "url": url}]
    out = formatting.answer_html(answer(text=f"Voir le document : {url}", citations=[], abstained=True,
                                        pointers=pointers), URLS, "fr")
    assert out.count(f'href="{url}"') == 1 and "ta-pointers" not in out
    # the longest manifest URL wins over the home page it starts with
    assert f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>' in out


def test_mode_and_confidence_sit_behind_a_details_toggle():
    out = formatting.answer_html(answer(), URLS, "fr")
    details = re.search(r'<details class="ta-footer">.*?</details>', out).group(0)
    assert "<summary>Détails techniques</summary>" in details
    assert "Mode : extractif" in details and "confiance 0.93" in details and "12 ms" in details


def test_citations_of_one_clause_make_one_card_with_every_quote():
    second = "En cas de retard, des pénalités s'appliquent."
    out = formatting.answer_html(answer(citations=[cite(), cite(quote=second), cite(quote=QUOTE)]), URLS, "fr")
    assert out.count('class="ta-card"') == 1
    quote = re.search(r'<blockquote class="ta-quote">(.*?)</blockquote>', out).group(1)
    assert quote.count("<mark>") == 2 and formatting.text_html(second) in quote


def test_a_list_item_or_lowercase_quote_brings_its_lead_in():
    passage = "Le Prestataire exerce les activités suivantes :\n- Messaging (SMS, email)\n- Billing\n\nAutre phrase."
    assert (formatting.with_lead_in(passage, "- Billing")
            == "Le Prestataire exerce les activités suivantes :\n- Messaging (SMS, email)\n- Billing")
    assert formatting.with_lead_in(PASSAGE, QUOTE) == "Sauf dispositions contraires, " + QUOTE
    assert formatting.with_lead_in(PASSAGE, "En cas de retard, des pénalités s'appliquent.") == (
        "En cas de retard, des pénalités s'appliquent.")
    card = formatting.answer_html(answer(citations=[cite(quote="- Billing", passage=passage)]), URLS, "fr")
    mark = re.search(r"<mark>(.*?)</mark>", card).group(1)
    assert mark.startswith("Le Prestataire exerce les activités suivantes :")
    for quote in (QUOTE, "- Billing"):
        source = passage if quote == "- Billing" else PASSAGE
        assert formatting.with_lead_in(source, quote) in source  # always verbatim


def test_copy_text_is_ready_for_an_email():
    text = formatting.copy_text(answer(), URLS)
    assert text.startswith(f"Selon l'article 3 (Règlement) des CGS : « {QUOTE} »")
    assert ("Source :\n- Conditions Générales de Service (version CGS 20210601), Article 3 — CONDITIONS FINANCIERES "
            "(Règlement), pages 1, 2\n  https://www.highconnexion.com/") in text
    assert "<" not in text
    out = formatting.answer_html(answer(), URLS, "fr")
    button = re.search(r'<button type="button" class="ta-copy-btn">Copier la réponse</button>'
                       r'<span class="ta-copy-done">Réponse copiée</span><pre class="ta-copy-text">([^<]*)</pre>', out)
    assert button and html.unescape(button.group(1)) == text and "\n" not in out
    llm = formatting.copy_text(answer(mode="llm", text="Payable à 30 jours.", language="en"), URLS)
    assert "Source :\n- Conditions" in llm and f"\n  « Sauf dispositions contraires, {QUOTE} »" in llm
