"""The review page for quality staff (/quality): its sign-in with the admin key, the table
of answers that need a look, the export of checked rows; on real servers, in Chromium."""
from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from assistant.server import make_app
from assistant.server.access import ADMIN_SESSION, USER_SESSION, new_session
from tests.server_utils import running_server

API_KEY, ADMIN_KEY = "page-api-key", "page-admin-key"
API = {"authorization": f"Bearer {API_KEY}"}
HOSTILE = "<img src=x onerror=alert(1)>"
DOWN_COMMENT = "il fallait aussi la médiation <b>vraiment</b>"
ABSTAINED_COMMENT = "bien refusé"
HOSTILE_COMMENT = "<script>alert(2)</script>"
LIMIT = 30  # requests per minute and credential on the keyed server


@pytest.fixture(scope="module")
def url(server_settings, assistant):
    """Both keys set: the chat needs the API key, the review page the admin key."""
    settings = server_settings.model_copy(update={"api_key": API_KEY, "admin_key": ADMIN_KEY,
                                                  "rate_limit_per_minute": LIMIT})
    with running_server(make_app(settings, assistant=assistant)) as base:
        yield base


@pytest.fixture(scope="module")
def answers(url) -> dict[str, int]:
    """A rated-down answer, an abstention and a hostile question, logged through the API."""

    def ask(question: str) -> dict:
        r = httpx.post(f"{url}/api/ask", json={"question": question}, headers=API, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    def rate(answer: dict, rating: str, comment: str) -> None:
        r = httpx.post(f"{url}/api/feedback", json={"answer_id": answer["answer_id"], "rating": rating,
                                                    "comment": comment}, headers=API)
        assert r.status_code == 200, r.text

    disliked = ask("Quel tribunal est compétent en cas de litige ?")
    abstained = ask("What's the capital of Australia?")
    hostile = ask(HOSTILE)
    assert not disliked["abstained"] and abstained["abstained"]
    rate(disliked, "down", DOWN_COMMENT)
    rate(abstained, "up", ABSTAINED_COMMENT)
    rate(hostile, "down", HOSTILE_COMMENT)  # listed whatever its answer
    return {"disliked": disliked["answer_id"], "abstained": abstained["answer_id"], "hostile": hostile["answer_id"]}


def admin_cookie(url: str) -> str:
    r = httpx.post(f"{url}/quality/login", data={"key": ADMIN_KEY})
    assert r.status_code == 303 and r.headers["location"] == "/quality", r.text
    return r.cookies[ADMIN_SESSION.cookie]


def prolonged(cookie: str) -> str:
    """A cookie value whose expiry was moved a year on, its signature kept."""
    sid, expiry, mac = cookie.split(".")
    return f"{sid}.{int(expiry) + 365 * 86400}.{mac}"


def signed_in_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1000, "height": 700}, accept_downloads=True)
    page.goto(f"{url}/quality")
    assert page.url.endswith("/quality/login")
    page.fill("#key", ADMIN_KEY)
    page.click("button[type=submit]")
    page.locator("table").wait_for()
    assert page.url.endswith("/quality")
    return page


def test_without_an_admin_key_the_page_says_so(server_settings, assistant, browser, tmp_path_factory):
    settings = server_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("page-open")})
    with running_server(make_app(settings, assistant=assistant)) as base:
        r = httpx.post(f"{base}/api/ask", json={"question": "What's the capital of Australia?"}, timeout=60)
        assert r.json()["abstained"]  # something to review, which must not show
        page = browser.new_page()
        response = page.goto(f"{base}/quality")
        assert response.status == 403 and page.url.endswith("/quality/login")
        assert "TERMS_ADMIN_KEY" in page.inner_text("body")
        assert page.locator("table, input").count() == 0 and "Australia" not in page.content()
        page.close()
        r = httpx.post(f"{base}/quality/login", data={"key": "anything"})
        assert r.status_code == 403 and "set-cookie" not in r.headers and "Australia" not in r.text
        assert httpx.get(f"{base}/api/quality").status_code == 403


def test_a_wrong_key_gets_the_form_again_and_no_cookie(url, browser):
    r = httpx.post(f"{url}/quality/login", data={"key": "guess"})
    assert r.status_code == 401 and "set-cookie" not in r.headers
    assert 'action="/quality/login"' in r.text and "Clé d’administration / Admin key" in r.text
    assert httpx.post(f"{url}/quality/login", data={"key": API_KEY}).status_code == 401  # the API key is not it
    page = browser.new_page()
    page.goto(f"{url}/quality")
    page.fill("#key", "guess")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible() and page.url.endswith("/quality/login")
    assert not page.context.cookies()
    page.close()


def test_the_table_lists_what_needs_a_look_escaped(url, answers, browser, artifacts):
    dialogs: list[str] = []
    page = signed_in_page(browser, url)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    cookie = next(c for c in page.context.cookies() if c["name"] == ADMIN_SESSION.cookie)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert ADMIN_SESSION.cookie not in page.evaluate("document.cookie")
    assert ADMIN_KEY not in page.content()

    def row(name: str):
        return page.locator(f"tr:has(#pick-{answers[name]})")

    disliked = row("disliked").inner_text()
    assert "Quel tribunal est compétent" in disliked and "rated down" in disliked and DOWN_COMMENT in disliked
    abstained = row("abstained").inner_text()
    assert "capital of Australia" in abstained and "abstained" in abstained and "rated down" not in abstained
    assert ABSTAINED_COMMENT in abstained
    assert page.inner_text(f"#q-{answers['hostile']}") == HOSTILE  # shown as text
    assert HOSTILE_COMMENT in row("hostile").inner_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.content()
    assert page.locator("table img, table b, table script").count() == 0 and not dialogs
    listed = [int(v) for v in page.locator("input[name=ids][type=checkbox]").evaluate_all(
        "boxes => boxes.map(b => b.value)")]
    assert listed == sorted(listed, reverse=True) and set(answers.values()) <= set(listed)  # newest first

    page.screenshot(path=str(artifacts / "quality.png"), full_page=True)  # docs/ui/quality.png is a copy
    page.close()


def test_exporting_two_checked_rows_downloads_exactly_those(url, answers, browser):
    page = signed_in_page(browser, url)
    page.check(f"#pick-{answers['disliked']}")
    page.check(f"#pick-{answers['hostile']}")
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter la sélection en cas d’éval (JSONL)").click()
    download = info.value
    assert download.suggested_filename == "review-cases.jsonl"
    cases = [json.loads(line) for line in Path(download.path()).read_text(encoding="utf-8").splitlines()]
    assert {c["id"] for c in cases} == {f"review-{answers['disliked']}", f"review-{answers['hostile']}"}
    assert len(cases) == 2 and all(c["review"] for c in cases)
    assert HOSTILE_COMMENT in next(c for c in cases if c["question"] == HOSTILE)["note"]

    page.uncheck(f"#pick-{answers['disliked']}")
    page.uncheck(f"#pick-{answers['hostile']}")
    with page.expect_download() as info:  # nothing checked: an empty file, not everything
        page.get_by_role("button", name="Exporter la sélection en cas d’éval (JSONL)").click()
    assert Path(info.value.path()).read_text() == ""
    with page.expect_download() as info:
        page.get_by_role("link", name="Tout exporter en cas d’éval (JSONL) / Export all").click()
    every = {json.loads(line)["id"] for line in Path(info.value.path()).read_text(encoding="utf-8").splitlines()}
    assert every == {f"review-{n}" for n in page.locator("input[name=ids][type=checkbox]").evaluate_all(
        "boxes => boxes.map(b => b.value)")}
    page.close()


def test_the_admin_cookie_opens_the_admin_routes_and_nothing_else(url, answers):
    cookies = {ADMIN_SESSION.cookie: admin_cookie(url)}
    r = httpx.get(f"{url}/api/quality", cookies=cookies)
    assert r.status_code == 200 and {row["id"] for row in r.json()} >= set(answers.values())
    assert httpx.get(f"{url}/api/quality/cases.jsonl", params={"ids": answers["disliked"]},
                     cookies=cookies).text.count("\n") == 1
    assert httpx.get(f"{url}/api/feedback.csv", cookies=cookies).status_code == 200
    page = httpx.get(f"{url}/quality", params={"limit": 1}, cookies=cookies)
    assert page.status_code == 200 and page.text.count('type="checkbox"') == 1
    assert "default-src 'none'" in page.headers["content-security-policy"]  # no script may run on it
    assert page.headers["cache-control"] == "no-store"
    assert httpx.get(f"{url}/quality", params={"limit": 0}, cookies=cookies).status_code == 422
    # Nothing more than the admin routes: not the chat's API, not the chat page.
    assert httpx.get(f"{url}/api/documents", cookies=cookies).status_code == 401
    assert httpx.get(f"{url}/", cookies=cookies).headers.get("location") == "/login"


def test_the_chat_session_and_forged_cookies_do_not_open_them(url):
    signed_in = httpx.post(f"{url}/login", data={"key": API_KEY})
    user = signed_in.cookies[USER_SESSION.cookie]
    assert httpx.get(f"{url}/api/documents", cookies={USER_SESSION.cookie: user}).status_code == 200
    now = time.time()
    refused = {
        "the chat session": {USER_SESSION.cookie: user},
        "the chat session as an admin cookie": {ADMIN_SESSION.cookie: user},
        "signed with another key": {ADMIN_SESSION.cookie: new_session("guess", kind=ADMIN_SESSION)},
        "expired": {ADMIN_SESSION.cookie: new_session(ADMIN_KEY, now=now - ADMIN_SESSION.seconds - 5,
                                                      kind=ADMIN_SESSION)},
        "its expiry pushed back": {ADMIN_SESSION.cookie: prolonged(new_session(ADMIN_KEY, kind=ADMIN_SESSION))},
        "garbage": {ADMIN_SESSION.cookie: "a.b.c"},
    }
    for name, cookies in refused.items():
        for path in ("/api/quality", "/api/quality/cases.jsonl", "/api/feedback.csv"):
            r = httpx.get(url + path, cookies=cookies)
            assert r.status_code == 401 and r.json()["error"] == "unauthorized", (name, path, r.status_code)
        r = httpx.get(f"{url}/quality", cookies=cookies)
        assert r.status_code == 303 and r.headers["location"] == "/quality/login", name
    fresh = {ADMIN_SESSION.cookie: new_session(ADMIN_KEY, now=now - 60, kind=ADMIN_SESSION)}
    assert httpx.get(f"{url}/api/quality", cookies=fresh).status_code == 200  # the forgeries above could pass
    assert httpx.get(f"{url}/quality", headers=API).status_code == 303  # nor does the API key


def test_signing_out_clears_the_cookie(url, answers, browser):
    page = signed_in_page(browser, url)
    page.get_by_role("link", name="Se déconnecter / Sign out").click()
    page.locator("#key").wait_for()
    assert page.url.endswith("/quality/login")
    assert ADMIN_SESSION.cookie not in {c["name"] for c in page.context.cookies()}
    page.goto(f"{url}/quality")
    assert page.url.endswith("/quality/login") and page.locator("table").count() == 0
    assert page.request.get(f"{url}/api/quality").status == 401
    page.close()


def test_key_guesses_are_rate_limited(url):
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as guesser:
        codes = [guesser.post(f"{url}/quality/login", data={"key": f"guess-{n}"}).status_code
                 for n in range(LIMIT + 1)]
        assert codes == [401] * LIMIT + [429], codes
        assert guesser.post(f"{url}/quality/login", data={"key": ADMIN_KEY}).status_code == 429  # even the right one
