"""Safety suite 3 — output safety (tests/data/safety/output.json).

A document whose clauses hold <script>, <img onerror>, javascript: links, markdown
images pointing outside, an iframe and an svg onload; questions carrying the same;
a model reply carrying the same. In a real browser the chat shows all of it as
text: no script/img/iframe/svg element from content, no element with an onerror or
onload attribute, no javascript: link, and not one request leaves loopback. The
API returns the same text as JSON data, and never HTML on an API route.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fakes import say, start_fake_llm

from assistant.core import Assistant
from assistant.server import make_app
from ingest.pipeline import run
from tests.server_utils import running_server

DATA = json.loads((Path(__file__).parent / "data" / "safety" / "output.json").read_text(encoding="utf-8"))
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Everything in the page that content could have turned into live markup.
LIVE_MARKUP = """() => ({
  scripts: document.querySelectorAll('#ta-chat script').length,
  images: document.querySelectorAll('#ta-chat img').length,
  frames: document.querySelectorAll('iframe, #ta-chat svg[onload], #ta-chat object, #ta-chat embed').length,
  handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(
      a => a.name.startsWith('on') && /__xss|alert/.test(a.value))).length,
  onerror: document.querySelectorAll('#ta-chat [onerror], #ta-chat [onload]').length,
  jslinks: [...document.querySelectorAll('a[href]')].filter(
      a => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length,
  xss: window.__xss === undefined ? null : window.__xss,
})"""


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory, embedder):
    from terms.settings import Settings

    root = tmp_path_factory.mktemp("output")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / DATA["document"]["file"]).write_text(DATA["document"]["text"], encoding="utf-8")
    settings = Settings(corpus_dir=corpus, data_dir=root / "data", rate_limit_per_minute=0, admin_key="admin")
    assert run(settings, embedder=embedder, progress=False).ok
    return settings


@pytest.fixture(scope="module")
def fake_llm():
    server = start_fake_llm(say(DATA["model_reply"]))
    yield server
    server.close()


@pytest.fixture(scope="module", params=["extractive", "llm"])
def server(request, hostile_index, embedder, fake_llm):
    settings = hostile_index
    if request.param == "llm":
        settings = settings.model_copy(update={"llm_base_url": fake_llm.url, "llm_timeout": 5.0})
    assistant = Assistant.from_settings(settings, embedder=embedder)
    with running_server(make_app(settings, assistant=assistant)) as url:
        yield request.param, url


def test_markup_in_answers_and_questions_is_inert_in_the_chat(browser, server, fake_llm):
    mode, url = server
    page = browser.new_page()
    requests, dialogs = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url + "/")
    box = page.locator("#ta-question textarea")
    box.wait_for()
    shown = ""
    for n, question in enumerate(DATA["questions"], 1):
        box.fill(question)
        box.press("Enter")
        page.locator("#ta-chat .ta-answer:not(:has(.ta-streaming))").nth(n - 1).wait_for(timeout=60_000)
        for details in page.locator("#ta-chat details.ta-clause").all():
            if not details.get_attribute("open"):
                details.locator("summary").click()  # open the whole clauses too
        page.wait_for_timeout(200)
        live = page.evaluate(LIVE_MARKUP)
        assert live == {"scripts": 0, "images": 0, "frames": 0, "handlers": 0, "onerror": 0, "jslinks": 0,
                        "xss": None}, f"{mode}, question {n}: {live}"
    shown = page.locator("#ta-chat").inner_text()
    for literal in DATA["must_show_literally"]:
        assert " ".join(literal.split()) in " ".join(shown.split()), f"{literal!r} not shown as text ({mode})"
    assert DATA["questions"][-1].split(" Quel")[0] in " ".join(shown.split())  # the user's markup, as text
    if mode == "llm":
        assert fake_llm.replies, "the model was never asked"
    outside = sorted({urlsplit(u).hostname for u in requests
                      if urlsplit(u).scheme in ("http", "https", "ws", "wss")} - LOOPBACK)
    assert outside == [], f"requests left loopback: {outside}"
    assert DATA["external_host"] not in " ".join(requests)
    assert dialogs == []
    page.close()


API_ROUTES = [  # (method, path, body): every one must answer JSON (or its declared CSV), never HTML
    ("POST", "/api/ask", {"question": "Quel est le lien d'aide de la console ?"}),
    ("POST", "/api/search", {"query": "script de suivi de la console"}),
    ("GET", "/api/documents", None),
    ("GET", "/api/ask", None),
    ("POST", "/api/ask", {"question": ""}),
    ("POST", "/api/ask", {"question": 3}),
    ("POST", "/api/ask", "<html>not json</html>"),
    ("GET", "/api/nope", None),
    ("GET", "/api/<script>", None),
    ("POST", "/api/feedback", {"answer_id": 10 ** 9, "rating": "up"}),
    ("GET", "/v1/models", None),
    ("GET", "/v1/nope", None),
    ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "Quel est le bouton de secours ?"}]}),
    ("POST", "/v1/chat/completions", {"messages": []}),
    ("GET", "/health", None),
]


@pytest.mark.parametrize("method,path,body", API_ROUTES, ids=[f"{m} {p} {i}" for i, (m, p, _) in enumerate(API_ROUTES)])
def test_api_routes_answer_json_never_html(server, method, path, body):
    mode, url = server
    kwargs = {"content": body} if isinstance(body, str) else {"json": body} if body is not None else {}
    r = httpx.request(method, url + path, headers={"accept": "text/html,*/*"}, timeout=60, **kwargs)
    kind = r.headers.get("content-type", "")
    assert kind.startswith("application/json"), f"{method} {path} -> {r.status_code} {kind}: {r.text[:200]}"
    assert "text/html" not in kind
    data = r.json()
    expected = {"/api/nope": 404, "/api/<script>": 404, "/v1/nope": 404}.get(path)
    if (method, path) == ("GET", "/api/ask"):
        expected = 405
    if expected:
        assert r.status_code == expected, r.text
    if r.status_code >= 400:
        assert "error" in data
    if path == "/api/ask" and r.status_code == 200:
        # The markup comes back as data, verbatim, inside JSON strings.
        quotes = " ".join(c["quote"] + c["passage_text"] for c in data["citations"])
        assert "javascript:window.__xss" in quotes or "<a href" in quotes or "![logo]" in quotes, quotes[:300]


def test_feedback_export_is_csv_not_html(server):
    _, url = server
    r = httpx.get(url + "/api/feedback.csv", timeout=30, headers={"authorization": "Bearer admin"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
