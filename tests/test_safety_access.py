"""Safety suite — who may use which route (assistant/server/access.py), on real servers.

Other users' data (the feedback export) needs the admin key, and is off without one;
Gradio's own routes are inside the same policy as /api and /v1 (the API key protects
them, the features we do not use are closed); the browser signs in once and gets a
session cookie; rate limits count per address without an API key, per credential
with one.
"""
from __future__ import annotations

import json

import httpx
import pytest
from gradio_client import Client

from assistant.server import make_app
from tests.server_utils import running_server

QUESTION = "Quel est le délai de paiement des factures ?"
API_KEY, ADMIN_KEY = "api-secret", "admin-secret"


@pytest.fixture(scope="module")
def open_url(server_settings, assistant):
    """The default server: no key set (it listens on loopback)."""
    with running_server(make_app(server_settings, assistant=assistant)) as base:
        yield base


@pytest.fixture(scope="module")
def keyed_url(server_settings, assistant, tmp_path_factory):
    settings = server_settings.model_copy(update={"api_key": API_KEY, "admin_key": ADMIN_KEY,
                                                  "data_dir": tmp_path_factory.mktemp("keyed-data")})
    with running_server(make_app(settings, assistant=assistant)) as base:
        yield base


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def gradio_events(url: str, api_name: str, data: list, headers: dict | None = None) -> str:
    """Call a Gradio endpoint through its HTTP API; the event stream's text."""
    r = httpx.post(f"{url}/gradio_api/call/{api_name}", json={"data": data}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    stream = httpx.get(f"{url}/gradio_api/call/{api_name}/{r.json()['event_id']}", headers=headers, timeout=60)
    return stream.text


# -- other users' data -----------------------------------------------------------------
def test_the_feedback_export_is_off_without_an_admin_key(open_url):
    for headers in ({}, bearer("anything")):
        r = httpx.get(f"{open_url}/api/feedback.csv", headers=headers)
        assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
        assert "TERMS_ADMIN_KEY" in r.json()["detail"]
    assert httpx.head(f"{open_url}/api/feedback.csv").status_code == 403


def test_only_the_admin_key_opens_the_export(keyed_url):
    assert httpx.get(f"{keyed_url}/api/feedback.csv").status_code == 401
    assert httpx.get(f"{keyed_url}/api/feedback.csv", headers=bearer(API_KEY)).status_code == 401
    r = httpx.get(f"{keyed_url}/api/feedback.csv", headers=bearer(ADMIN_KEY))
    assert r.status_code == 200 and r.text.startswith("id,at,answer_id,rating,comment")
    assert httpx.get(f"{keyed_url}/api/documents", headers=bearer(ADMIN_KEY)).status_code == 200


def test_gradio_exposes_the_question_and_nothing_that_reads_others_data(open_url):
    info = httpx.get(f"{open_url}/gradio_api/info").json()
    assert list(info["named_endpoints"]) == ["/ask"], info["named_endpoints"].keys()
    r = httpx.post(f"{open_url}/gradio_api/call/export_feedback", json={"data": []})
    assert r.status_code >= 400 and set(r.json()) == {"error", "detail"}, r.text
    events = gradio_events(open_url, "ask", [QUESTION, "fr"])
    assert "30 jours" in events and "event: complete" in events


@pytest.mark.parametrize("method,path", [
    ("POST", "/gradio_api/upload"), ("GET", "/gradio_api/upload_progress"), ("GET", "/gradio_api/file=/etc/hostname"),
    ("GET", "/gradio_api/file/etc/hostname"), ("GET", "/gradio_api/proxy=http://127.0.0.1/"), ("GET", "/monitoring"),
    ("GET", "/gradio_api/runs"), ("POST", "/gradio_api/run/ask"), ("POST", "/gradio_api/process_recording"),
    ("GET", "/gradio_api/dev/reload"), ("GET", "/no-such-page"),
])
def test_gradio_routes_we_do_not_use_are_closed(open_url, method, path):
    files = {"files": ("notes.txt", b"hello", "text/plain")} if path.endswith("upload") else None
    r = httpx.request(method, open_url + path, files=files, timeout=30)
    assert r.status_code == 404 and r.json()["error"] == "not found", (path, r.status_code, r.text[:200])


# -- the API key covers Gradio's API too ----------------------------------------------------
@pytest.mark.parametrize("method,path,body", [
    ("GET", "/gradio_api/info", None), ("POST", "/gradio_api/call/ask", {"data": [QUESTION, "fr"]}),
    ("POST", "/gradio_api/queue/join", {"data": [QUESTION], "fn_index": 0, "session_hash": "x"}),
    ("GET", "/config", None), ("POST", "/api/ask", {"question": QUESTION}), ("GET", "/v1/models", None),
])
def test_the_api_key_guards_gradio_as_it_guards_the_api(keyed_url, method, path, body):
    r = httpx.request(method, keyed_url + path, json=body, timeout=30)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized", (path, r.text[:200])
    r = httpx.request(method, keyed_url + path, json=body, headers=bearer("wrong"), timeout=30)
    assert r.status_code == 401
    r = httpx.request(method, keyed_url + path, json=body, headers=bearer(API_KEY), timeout=60)
    assert r.status_code < 400, (path, r.status_code, r.text[:200])


def test_gradio_client_works_with_the_key(keyed_url):
    client = Client(keyed_url + "/", headers=bearer(API_KEY), verbose=False, download_files=False)
    outputs = client.predict(QUESTION, "fr", api_name="/ask")
    assert "30 jours" in json.dumps(outputs, ensure_ascii=False)


def test_the_browser_signs_in_once_and_chats(browser, keyed_url):
    page = browser.new_page()
    page.goto(keyed_url + "/")
    assert page.url.endswith("/login")  # the chat page sends an unsigned browser to the form
    page.fill("#key", "wrong")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    page.fill("#key", API_KEY)
    page.click("button[type=submit]")
    box = page.locator("#ta-question textarea")
    box.wait_for(timeout=60_000)
    box.fill(QUESTION)
    box.press("Enter")
    page.locator("#ta-chat .ta-card").first.wait_for(timeout=60_000)
    assert "terms_session" not in page.evaluate("document.cookie")  # HttpOnly: no script reads it
    cookie = next(c for c in page.context.cookies() if c["name"] == "terms_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert API_KEY not in page.content()
    page.close()


# -- rate limits: per address without a key, per credential with one ------------------------
def test_fresh_tokens_do_not_escape_the_limit(server_settings, assistant, tmp_path_factory):
    settings = server_settings.model_copy(update={"rate_limit_per_minute": 5,
                                                  "data_dir": tmp_path_factory.mktemp("rate-open")})
    with running_server(make_app(settings, assistant=assistant)) as url:
        codes = [httpx.get(f"{url}/v1/models", headers=bearer(f"random-{n}")).status_code for n in range(8)]
        assert codes == [200] * 5 + [429] * 3, codes
        join = httpx.post(f"{url}/gradio_api/call/ask", json={"data": [QUESTION, "fr"]})
        assert join.status_code == 429 and join.json()["error"] == "rate limited"  # Gradio's API counts too
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with other:
            assert other.get(f"{url}/v1/models").status_code == 200  # another address, another budget


def test_with_a_key_the_limit_counts_per_credential(server_settings, assistant, tmp_path_factory):
    settings = server_settings.model_copy(update={"rate_limit_per_minute": 3, "api_key": API_KEY,
                                                  "data_dir": tmp_path_factory.mktemp("rate-keyed")})
    with running_server(make_app(settings, assistant=assistant)) as url:
        assert [httpx.get(f"{url}/v1/models", headers=bearer(API_KEY)).status_code for _ in range(3)] == [200] * 3
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as elsewhere:
            # the same key from another address: the same budget
            assert elsewhere.get(f"{url}/v1/models", headers=bearer(API_KEY)).status_code == 429
        signed_in = httpx.post(f"{url}/login", data={"key": API_KEY})
        assert signed_in.status_code == 303
        cookies = {"terms_session": signed_in.cookies["terms_session"]}
        assert httpx.get(f"{url}/v1/models", cookies=cookies).status_code == 200  # a session has its own
        guesses = [httpx.post(f"{url}/login", data={"key": f"guess-{n}"}).status_code for n in range(4)]
        assert guesses[-1] == 429, guesses  # key guesses are limited (per address)
