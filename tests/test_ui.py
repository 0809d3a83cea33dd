"""The web chat in a real browser (Chromium through Playwright) against a real server."""
from __future__ import annotations

import os
import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from assistant.core import Assistant
from assistant.server import make_app, ui
from assistant.server.audit import AuditLog
from ingest.embeddings import load_embedder
from ingest.pipeline import run
from terms.settings import ROOT
from tests.conftest import MODEL
from tests.server_utils import running_server

QUESTION = "Quel est le délai de paiement des factures ?"
# Counts DOM updates that show a partially written answer: proof the answer streamed in.
WATCH_STREAMING = """() => { window.__partial = 0; new MutationObserver(() => {
    if (document.querySelector('#ta-chat .ta-streaming')) window.__partial++; })
    .observe(document.body, {subtree: true, childList: true, characterData: true}); }"""


@pytest.fixture(scope="module")
def url(server_settings, assistant):
    with running_server(make_app(server_settings, assistant=assistant)) as base:
        yield base


DESKTOP = {"width": 1200, "height": 1000}
PHONE = {"width": 390, "height": 844}


def open_page(browser, url: str, viewport: dict) -> Page:
    context = browser.new_context(viewport=viewport, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(url + "/")
    page.locator("#ta-question textarea").wait_for()
    return page


@pytest.fixture
def page(browser, url):
    page = open_page(browser, url, DESKTOP)
    yield page
    page.context.close()


def ask(page: Page, question: str) -> None:
    box = page.locator("#ta-question textarea")
    box.fill(question)
    box.press("Enter")


def ask_and_wait(page: Page, question: str) -> None:
    """Ask and wait for the complete answer (its copy button comes with the final message)."""
    done = page.locator("#ta-chat .ta-copy-btn").count()
    ask(page, question)
    expect(page.locator("#ta-chat .ta-copy-btn")).to_have_count(done + 1, timeout=60_000)
    page.wait_for_timeout(300)  # the scroll that follows the last update


def test_question_streams_an_answer_with_its_citation_card(page, artifacts):
    page.evaluate(WATCH_STREAMING)
    ask(page, QUESTION)
    card = page.locator("#ta-chat .ta-card").first
    card.wait_for(timeout=60_000)
    assert page.evaluate("window.__partial") > 3
    expect(page.locator("#ta-chat .ta-user")).to_have_text(QUESTION)
    expect(card.locator(".ta-article")).to_contain_text("Article 3")
    expect(card.locator(".ta-doc")).to_contain_text("CGS 20210601")
    expect(card.locator(".ta-meta")).to_contain_text("p. 1")
    expect(card.locator(".ta-quote mark").first).to_contain_text("30 jours")
    footer = page.locator("#ta-chat details.ta-footer")
    expect(footer.locator(".ta-mode")).not_to_be_visible()  # jargon, behind a toggle
    footer.locator("summary").click()
    expect(footer.locator(".ta-mode")).to_contain_text("extractif")
    footer.locator("summary").click()
    clause = card.locator("details.ta-clause")
    expect(clause.locator(".ta-clause-text")).not_to_be_visible()
    clause.locator("summary").click()
    expect(clause.locator(".ta-clause-text")).to_contain_text("ne donnent pas lieu à escompte")  # the rest of the clause
    clause.locator("summary").click()
    page.evaluate(ui.SCROLL_JS)  # the clicks scrolled the chat; show the question and its answer
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "chat.png"), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOT"):  # refresh the README's picture on purpose only
        shutil.copyfile(artifacts / "chat.png", ROOT / "docs" / "chat.png")


def test_copy_thumbs_and_comment_then_a_new_conversation(page, server_settings):
    ask(page, QUESTION)
    page.locator("#ta-chat .ta-card").first.wait_for(timeout=60_000)
    page.locator("#ta-chat button[aria-label='Dislike']").click()
    expect(page.locator("#ta-status")).to_contain_text("Merci")
    page.locator("#ta-comment textarea").fill("Il manque les pénalités")
    page.locator("#ta-send-comment").click()
    expect(page.locator("#ta-status")).to_contain_text("Commentaire enregistré")
    rows = AuditLog(server_settings.audit_db).feedback()
    assert rows[-1]["rating"] == "down" and rows[-1]["comment"] == "Il manque les pénalités"
    assert rows[-1]["question"] == QUESTION and '"article": "3"' in rows[-1]["citations"]
    answers = AuditLog(server_settings.audit_db).answers()
    assert answers[0]["channel"] == "ui" and answers[0]["id"] == rows[-1]["answer_id"]
    page.locator("#ta-new").click()
    expect(page.locator("#ta-chat .ta-card")).to_have_count(0)


def test_documents_tab_lists_indexed_and_absent(page):
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#ta-documents table.ta-docs")
    cgs = table.locator("tr", has_text="Conditions Générales de Service")
    expect(cgs).to_contain_text("Indexé")
    expect(cgs).to_contain_text("CGS 20210601")
    billing = table.locator("tr", has_text="Conditions spécifiques — Billing")
    expect(billing).to_contain_text("Référencé, non disponible")
    expect(billing.locator("a")).to_have_attribute(
        "href", "https://www.highconnexion.com/wp-content/uploads/CP_HighConnexion_Billing.pdf")


def test_english_toggle_switches_the_labels(page):
    page.locator("#ta-lang").get_by_text("English").click()
    expect(page.locator("#ta-send")).to_have_text("Send")
    expect(page.locator("#ta-header h1")).to_have_text("CGS Assistant")
    page.get_by_role("tab", name="Documents").click()
    expect(page.locator("#ta-documents")).to_contain_text("Referenced, not available")


def test_example_question_fills_the_box(page):
    page.locator("#ta-examples").get_by_text("Quelles sont les pénalités").click()
    expect(page.locator("#ta-question textarea")).to_have_value(
        "Quelles sont les pénalités en cas de retard de paiement ?")


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    """A server over a one-document corpus whose clause text is HTML and script."""
    from terms.settings import Settings

    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "notes-securite.txt").write_text(
        "ARTICLE 1 – OBJET\nLe présent document décrit les règles de sécurité des accès du Client.\n\n"
        "ARTICLE 2 – MOTS DE PASSE\nLe mot de passe de démonstration affiché par la console est "
        "<script>alert(1)</script> suivi de <img src=x onerror=\"window.__xss=1;alert(2)\"> et doit être changé "
        "dès la première connexion.\nLe Client conserve ses identifiants de manière confidentielle.\n",
        encoding="utf-8")
    settings = Settings(corpus_dir=corpus, data_dir=root / "data")
    embedder = load_embedder(MODEL)
    assert run(settings, embedder=embedder, progress=False).ok
    with running_server(make_app(settings, assistant=Assistant.from_settings(settings, embedder=embedder))) as base:
        yield base


def test_html_in_documents_and_questions_renders_as_inert_text(browser, hostile_url):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_url + "/")
    ask(page, "<img src=y onerror=\"window.__xss=3\"> Quel est le mot de passe de démonstration affiché par la console ?")
    card = page.locator("#ta-chat .ta-card").first
    card.wait_for(timeout=60_000)
    card.locator("summary").click()
    expect(card.locator(".ta-quote mark")).to_contain_text("<script>alert(1)</script>")
    expect(card.locator(".ta-clause-text")).to_contain_text('<img src=x onerror="window.__xss=1;alert(2)">')
    expect(page.locator("#ta-chat .ta-user")).to_contain_text('<img src=y onerror="window.__xss=3">')
    page.wait_for_timeout(300)
    assert page.locator("#ta-chat script").count() == 0
    assert page.locator("#ta-chat img").count() == 0
    assert page.evaluate("window.__xss") is None and dialogs == []
    page.close()


# -- the examples ---------------------------------------------------------------------
@pytest.mark.parametrize("lang,question,article",
                         [(lang, q, a) for lang, items in ui.EXAMPLES.items() for q, a in items])
def test_every_example_question_is_answered_from_its_article(assistant, lang, question, article):
    answer = assistant.ask(question)
    assert not answer.abstained and answer.language == lang
    assert answer.citations[0].article == article and answer.citations[0].doc_id == "cgs-20210601"


def test_examples_follow_the_interface_language(page):
    page.locator("#ta-lang").get_by_text("English").click()
    expect(page.locator("#ta-examples")).to_contain_text(ui.EXAMPLES["en"][0][0])
    expect(page.locator("#ta-examples")).not_to_contain_text(ui.EXAMPLES["fr"][0][0])


# -- long answers -----------------------------------------------------------------------
def in_view(page: Page, selector: str) -> bool:
    """Whether the element's top line shows inside both the chat's visible area and the window."""
    box = page.locator(selector).last.bounding_box()
    chat = page.locator("#ta-chat").bounding_box()
    height = page.viewport_size["height"]
    return chat["y"] <= box["y"] and box["y"] + 20 <= min(chat["y"] + chat["height"], height)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720}, PHONE], ids=["laptop", "phone"])
def test_the_start_of_a_new_answer_stays_in_view(browser, url, viewport):
    page = open_page(browser, url, viewport)
    ask_and_wait(page, "Quel est le délai de paiement des factures ?")
    ask_and_wait(page, "Quelle est la durée du contrat et comment le résilier ?")  # the longest example
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#ta-chat").scroll_into_view_if_needed()
    assert in_view(page, "#ta-chat .ta-user")
    assert in_view(page, "#ta-chat .ta-answer .ta-text")
    page.context.close()


def test_the_chat_is_sized_to_the_window(browser, url):
    heights = {}
    for height in (700, 1100):
        page = open_page(browser, url, {"width": 1200, "height": height})
        chat = page.locator("#ta-chat").bounding_box()
        send = page.locator("#ta-send").bounding_box()
        assert send["y"] + send["height"] <= height  # chat and question box fit the window
        heights[height] = chat["height"]
        page.context.close()
    assert heights[1100] - heights[700] > 300


# -- one language at a time ---------------------------------------------------------------
ENGLISH_UI = ("Error", "Send", "New conversation", "Example questions", "general conditions", "charter",
              "Copy the answer", "No answer in", "Read instead", "Technical details")
FRENCH_UI = ("Erreur", "Envoyer", "Nouvelle conversation", "Exemples de questions", "conditions générales", "charte",
             "Copier la réponse", "Pas de réponse", "À consulter", "Détails techniques")


def visible_text(page: Page) -> str:
    """The page's visible text, less its links' addresses (a file name is no interface text)."""
    page.wait_for_timeout(500)
    return re.sub(r"\S+/\S*", " ", page.locator("body").inner_text())


def words_in(words: tuple[str, ...], text: str) -> list[str]:
    return [w for w in words if re.search(rf"\b{re.escape(w)}\b", text)]


def test_french_interface_shows_no_english(page):
    page.locator("#ta-send").click()  # an empty question
    expect(page.locator("#ta-status")).to_contain_text("Écrivez d’abord votre question.")
    assert page.locator(".toast-body").count() == 0
    ask_and_wait(page, QUESTION)
    text = visible_text(page)
    page.get_by_role("tab", name="Documents").click()
    text += visible_text(page)
    assert "conditions générales" in text and "Copier la réponse" in text
    assert words_in(ENGLISH_UI, text) == []


def test_a_long_story_is_answered_and_a_flood_is_refused_beside_the_box(page):
    """A salesperson's story of ~600 characters (~160 tokens) is answered; a text past the
    token bound is refused beside the box in the interface's language, with no error toast,
    and stays in the box to be shortened."""
    story = ("Bonjour, alors voilà : le client a signé la propale en mars pour une campagne SMS sur six mois, "
             "on a lancé en avril, il a payé les deux premières factures avec trois semaines de retard à chaque "
             "fois, et là il nous annonce qu'il arrête tout à la fin du mois parce que les résultats ne lui "
             "plaisent pas, qu'il ne paiera pas les mois restants et qu'en plus il veut récupérer toutes ses "
             "données et les visuels qu'on a faits pour lui. Il a le droit d'arrêter comme ça du jour au "
             "lendemain, et qu'est-ce qu'il nous doit pour les mois qui restent ?")
    ask_and_wait(page, story)
    expect(page.locator("#ta-chat .ta-answer").last.locator(".ta-quote").first).to_be_visible()
    flood = "漢字" * 300  # 600 characters, past the token bound
    ask(page, flood)
    expect(page.locator("#ta-status")).to_contain_text("Votre question est trop longue")
    assert page.locator(".toast-body").count() == 0
    assert page.locator("#ta-question textarea").input_value() == flood


def test_english_interface_shows_no_french(page):
    page.locator("#ta-lang").get_by_text("English").click()
    expect(page.locator("#ta-send")).to_have_text("Send")
    page.locator("#ta-send").click()
    expect(page.locator("#ta-status")).to_contain_text("Type your question first.")
    ask_and_wait(page, "What is the price of an SMS?")  # no answer in the CGS
    answer = page.locator("#ta-chat .ta-answer").last
    expect(answer.locator(".ta-abstain")).to_contain_text("No answer in the indexed documents")
    text = visible_text(page)
    page.get_by_role("tab", name="Documents").click()
    text += visible_text(page)
    assert "general conditions" in text
    assert words_in(FRENCH_UI, text) == []


def test_an_answer_speaks_the_language_of_its_question(page):
    ask_and_wait(page, "What is the price of an SMS?")  # French interface, English question
    answer = page.locator("#ta-chat .ta-answer").last
    expect(answer).to_contain_text("No answer in the indexed documents")
    expect(answer).not_to_contain_text("Pas de réponse")


# -- copy ---------------------------------------------------------------------------------
def test_each_answer_copies_its_own_text_ready_for_an_email(page):
    ask_and_wait(page, QUESTION)
    ask_and_wait(page, "Quelle est la durée du contrat et comment le résilier ?")
    first = page.locator("#ta-chat .ta-copy-btn").first
    first.click()
    expect(first).to_have_text("✓ Réponse copiée")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Selon l'article 3 (Rémunération des Prestations) des CGS : « ") and "30 jours" in copied
    # (one source or two: the payment term is stated in two passages of article 3)
    assert ("\n- Conditions Générales de Service (version CGS 20210601), Article 3 — CONDITIONS FINANCIERES"
            in copied) and ("Source :\n" in copied or "Sources :\n" in copied)
    assert "page" in copied and copied.endswith("https://www.highconnexion.com/")
    assert "<" not in copied and "durée indéterminée" not in copied
    page.locator("#ta-new").click()
    expect(page.locator("#ta-chat .ta-card")).to_have_count(0)
    ask_and_wait(page, "Quelle est la durée du contrat et comment le résilier ?")
    page.locator("#ta-chat .ta-copy-btn").last.click()
    expect(page.locator("#ta-chat .ta-copy-btn").last).to_have_text("✓ Réponse copiée")
    assert "Article 2" in page.evaluate("navigator.clipboard.readText()")


# -- citations ------------------------------------------------------------------------------
def test_one_card_per_clause_and_one_link_per_document(page):
    ask_and_wait(page, "Comment signaler une anomalie dans le cadre de la maintenance ?")  # two sentences of one clause
    answer = page.locator("#ta-chat .ta-answer").last
    expect(answer.locator(".ta-card")).to_have_count(1)
    expect(answer.locator(".ta-card .ta-quote mark")).to_have_count(2)
    ask_and_wait(page, "What is the price of an SMS?")
    answer = page.locator("#ta-chat .ta-answer").last
    marketing = "https://www.highconnexion.com/wp-content/uploads/CP_HighConnexion_Marketing.pdf"
    expect(answer.locator(f"a[href='{marketing}']")).to_have_count(1)
    # the quoted list item comes with the sentence that leads into the list
    expect(answer.locator(".ta-card .ta-quote mark").first).to_contain_text("Marketing : désigne les prestations de :")


# -- phone ---------------------------------------------------------------------------------
def overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_phone_layout_keeps_header_and_documents_readable(browser, url):
    page = open_page(browser, url, PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    toggle = page.locator("#ta-lang").bounding_box()
    for part in ("#ta-header h1", "#ta-header p"):
        assert not overlap(toggle, page.locator(part).bounding_box()), part
    assert toggle["x"] + toggle["width"] <= PHONE["width"]
    page.get_by_role("tab", name="Documents").click()
    link = page.locator("#ta-documents td.ta-link").first
    link.wait_for()
    assert link.bounding_box()["width"] >= 250
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()


# -- feedback ------------------------------------------------------------------------------
def test_the_comment_box_opens_next_to_the_rated_answer(page):
    ask_and_wait(page, QUESTION)
    page.locator("#ta-chat button[aria-label='Like']").last.click()
    comment = page.locator("#ta-comment")
    expect(comment).to_be_visible()
    chat, box, question = (page.locator(s).bounding_box() for s in ("#ta-chat", "#ta-comment", "#ta-question"))
    assert chat["y"] + chat["height"] <= box["y"] < question["y"]  # between the answer and the next question


def test_rating_an_answer_again_keeps_only_the_last_rating(page, server_settings):
    ask_and_wait(page, "Quelles sont les pénalités en cas de retard de paiement ?")
    answer_id = AuditLog(server_settings.audit_db).answers()[0]["id"]
    page.locator("#ta-chat button[aria-label='Dislike']").last.click()
    expect(page.locator("#ta-status")).to_contain_text("Merci")
    page.locator("#ta-chat button[aria-label='Like']").last.click()
    page.wait_for_timeout(500)
    rows = [r for r in AuditLog(server_settings.audit_db).feedback() if r["answer_id"] == answer_id]
    assert [r["rating"] for r in rows] == ["up"]
