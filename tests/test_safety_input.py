"""Safety suite — broken text and out-of-range values at the edge, on a real server.

A lone surrogate ("\\ud800", which a JSON string can carry but UTF-8 cannot) in a
question, a history turn, a /v1 message (string or list of parts), a search query or
a feedback comment is refused with our JSON 400, once, before the audit log, the
model or the page sees it; streams are refused before they start. Out-of-range ids get
a 4xx, and the chat's errors are plain sentences, never a codec's or pydantic's text.
"""
from __future__ import annotations

import json

import httpx
import pytest

from assistant.server import make_app
from assistant.server.audit import AuditLog
from tests.server_utils import running_server

QUESTION = "Quel est le délai de paiement des factures ?"
BROKEN = "Quel est le d\ud800lai de paiement ?"
# What must never reach a user: a codec's complaint, pydantic's report, a traceback.
RAW = ("surrogate", "codec", "pydantic", "validation error", "Traceback", "input_value")


@pytest.fixture(scope="module")
def server(server_settings, assistant):
    settings = server_settings.model_copy(update={"rate_limit_per_minute": 0})
    with running_server(make_app(settings, assistant=assistant)) as base:
        yield base, settings


def post(url: str, path: str, payload: dict) -> httpx.Response:
    """JSON with the lone surrogate escaped as "\\ud800", as a JavaScript client sends it."""
    return httpx.post(url + path, content=json.dumps(payload), headers={"content-type": "application/json"},
                      timeout=60)


def assert_refused(r: httpx.Response, what: str) -> None:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert f"{what} contains an invalid character (U+D800" in body["error"], body


def count_answers(settings) -> int:
    return len(AuditLog(settings.audit_db).answers(limit=10_000))


@pytest.mark.parametrize("where", ["question", "history"])
def test_api_ask_refuses_lone_surrogates(server, where):
    url, settings = server
    before = count_answers(settings)
    payload = {"question": BROKEN} if where == "question" else {"question": QUESTION, "history": [BROKEN]}
    assert_refused(post(url, "/api/ask", payload), "the question" if where == "question" else "a history turn")
    assert count_answers(settings) == before  # nothing logged


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("content", ["string", "parts", "history"])
def test_v1_refuses_lone_surrogates_before_any_stream(server, stream, content):
    url, _ = server
    broken = [{"type": "text", "text": "Quel est le "}, {"type": "text", "text": "d\udc00lai ?"}] \
        if content == "parts" else BROKEN
    messages = [{"role": "user", "content": broken}]
    if content == "history":
        messages = [{"role": "user", "content": BROKEN}, {"role": "assistant", "content": "…"},
                    {"role": "user", "content": QUESTION}]
    r = post(url, "/v1/chat/completions", {"messages": messages, "stream": stream})
    assert r.status_code == 400 and "invalid character" in r.json()["error"], r.text[:300]
    assert "data:" not in r.text  # refused whole, not a stream cut in the middle


def test_search_and_feedback_refuse_lone_surrogates(server):
    url, _ = server
    assert_refused(post(url, "/api/search", {"query": "d\ud800lai"}), "the question")
    answer_id = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=60).json()["answer_id"]
    r = post(url, "/api/feedback", {"answer_id": answer_id, "rating": "down", "comment": "trop \ud800 court"})
    assert_refused(r, "the comment")


def test_the_audit_log_holds_the_cleaned_question(server):
    url, settings = server
    r = httpx.post(f"{url}/api/ask", timeout=60,
                   json={"question": " Quel est le\u200b délai de\tpaiement des factures ?\u202e ",
                         "history": ["  Bonjour\u200b "]})
    row = AuditLog(settings.audit_db).answer(r.json()["answer_id"])
    assert row["question"] == "Quel est le délai de paiement des factures ?"
    assert json.loads(row["history"]) == ["Bonjour"]


@pytest.mark.parametrize("answer_id", [2**63, 2**63 - 1, 0, -1, 10**30])
def test_feedback_ids_out_of_range_are_4xx(server, answer_id):
    url, _ = server
    r = httpx.post(f"{url}/api/feedback", json={"answer_id": answer_id, "rating": "up"}, timeout=30)
    assert 400 <= r.status_code < 500 and set(r.json()) == {"error", "detail"}, r.text


def test_the_chat_says_what_is_wrong_in_plain_words(server):
    """Through Gradio's API (what the page's queue runs): our message, not a codec's."""
    url, _ = server
    r = post(url, "/gradio_api/call/ask", {"data": [BROKEN, "fr"]})
    assert r.status_code == 200, r.text
    events = httpx.get(f"{url}/gradio_api/call/ask/{r.json()['event_id']}", timeout=60).text
    assert "event: error" in events and "invalid character (U+D800" in events, events[:500]
    assert not any(word in events.replace("a lone surrogate", "") for word in RAW), events[:500]


@pytest.mark.parametrize("data", [[["not", "text"], "fr"], [QUESTION, "de"], [QUESTION], [{"role": 5}, 3]])
def test_malformed_gradio_calls_get_plain_errors(server, data):
    url, _ = server
    r = post(url, "/gradio_api/call/ask", {"data": data})
    text = r.text
    if r.status_code == 200:
        text += httpx.get(f"{url}/gradio_api/call/ask/{r.json()['event_id']}", timeout=60).text
    else:
        assert set(r.json()) == {"error", "detail"}
    assert not any(word in text for word in RAW), text[:500]


def test_gradio_request_errors_are_in_our_shape(server):
    url, _ = server
    r = post(url, "/gradio_api/call/ask", {"data": "not a list"})
    assert r.status_code == 422 and r.json()["error"] == "invalid request (data)", r.text
    assert "input" not in json.dumps(r.json())  # what was sent is not echoed back
