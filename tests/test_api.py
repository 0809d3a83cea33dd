"""The HTTP API on a real server: answers, search, corpus, health, errors, auth, limits, audit."""
from __future__ import annotations

import json
import threading

import httpx
import pytest
from filelock import FileLock
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from assistant.server import make_app
from assistant.server.audit import AuditLog
from assistant.server.gate import Gate
from terms.settings import Settings
from tests.server_utils import running_server

QUESTION = "Quel est le délai de paiement des factures ?"
BILLING_URL = "https://www.highconnexion.com/wp-content/uploads/CP_HighConnexion_Billing.pdf"


ADMIN = "admin-secret"


@pytest.fixture(scope="module")
def url(server_settings, assistant):
    settings = server_settings.model_copy(update={"admin_key": ADMIN})
    with running_server(make_app(settings, assistant=assistant)) as base:
        yield base


@pytest.fixture(scope="module")
def http(url):
    with httpx.Client(base_url=url, timeout=60) as client:
        yield client


def test_ask_in_french_quotes_article_3(http):
    r = http.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"answer_id", "text", "citations", "abstained", "reason", "confidence", "language", "mode",
                         "latency_ms", "notice", "pointers"}
    assert not body["abstained"] and body["reason"] == "" and body["language"] == "fr" and body["mode"] == "extractive"
    first = body["citations"][0]
    assert first["article"] == "3" and "30 jours" in first["quote"]
    assert first["quote"] in first["passage_text"] and first["url"] == "https://www.highconnexion.com/"
    assert first["pages"] and first["version"] == "CGS 20210601"
    assert "30 jours" in body["text"]


def test_ask_with_history_and_k(http):
    r = http.post("/api/ask", json={"question": "Et en cas de retard ?", "history": [QUESTION], "k": 3})
    assert r.status_code == 200, r.text
    assert any(c["article"] == "3" for c in r.json()["citations"])


def test_search_returns_passages_with_provenance_and_scores(http, assistant):
    r = http.post("/api/search", json={"query": "délai de paiement des factures", "k": 4})
    assert r.status_code == 200, r.text
    passages = r.json()["passages"]
    assert len(passages) == 4
    assert any(p["article"] == "3" and "30 jours" in p["text"] for p in passages)
    texts = assistant.search.snapshot().texts
    for p in passages:
        assert {"fused", "dense", "lexical"} <= set(p["scores"])
        assert p["doc_id"] == "cgs-20210601" and p["version"] == "CGS 20210601" and p["pages"]
        assert texts[p["doc_id"]][p["start"]:p["end"]] == p["text"]  # provenance points at the text
    fused = [p["scores"]["fused"] for p in passages]
    assert fused == sorted(fused, reverse=True)


def test_documents_lists_indexed_and_absent(http):
    docs = {d["id"]: d for d in http.get("/api/documents").json()}
    cgs = docs["cgs-20210601"]
    assert cgs["indexed"] and cgs["available"] and cgs["version"] == "CGS 20210601" and cgs["passages"] > 20
    billing = docs["cs-billing"]
    assert not billing["indexed"] and not billing["available"] and billing["url"] == BILLING_URL


def test_health(http, assistant):
    body = http.get("/health").json()
    snap = assistant.search.snapshot()
    assert body["live"] and body["ready"] and body["status"] == "ok"
    assert body["index"] == {"generation": snap.generation, "passages": len(snap.passages), "documents": 1}
    assert body["versions"]["documents"] == {"cgs-20210601": "CGS 20210601"}
    assert body["versions"]["package"]


def test_openapi_documents_the_routes(http):
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/search", "/api/documents", "/health", "/v1/chat/completions", "/v1/models"} <= set(paths)
    assert http.get("/docs").status_code == 200


BAD_ASKS = {
    "empty": ({"question": ""}, 400, "empty"),
    "blank": ({"question": "   \u200b "}, 400, "empty"),
    "too long": ({"question": "x" * 2001}, 400, "too long"),
    "not a string": ({"question": 42}, 422, "question"),
    "missing": ({}, 422, "question"),
    "history not a list": ({"question": QUESTION, "history": "earlier"}, 422, "history"),
    "history of numbers": ({"question": QUESTION, "history": [1, 2]}, 422, "history"),
    "history turn too long": ({"question": QUESTION, "history": ["x" * 2001]}, 400, "history turn"),
    "k zero": ({"question": QUESTION, "k": 0}, 422, "k"),
    "k too big": ({"question": QUESTION, "k": 21}, 422, "k"),
    "k a string": ({"question": QUESTION, "k": "3"}, 422, "k"),
    "unknown field": ({"question": QUESTION, "top_k": 3}, 422, "top_k"),
}


@pytest.mark.parametrize("case", list(BAD_ASKS))
def test_bad_ask_is_a_json_4xx_that_says_what_is_wrong(http, case):
    payload, status, word = BAD_ASKS[case]
    r = http.post("/api/ask", json=payload)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "detail"}
    assert word in (body["error"] + json.dumps(body["detail"])).lower()


def test_history_keeps_the_latest_turns(http, server_settings):
    """The one history rule: earlier questions, oldest first, the latest max_history_turns kept."""
    turns = [f"Question numéro {n} ?" for n in range(25)] + ["   "]
    r = http.post("/api/ask", json={"question": QUESTION, "history": turns})
    assert r.status_code == 200, r.text
    row = AuditLog(server_settings.audit_db).answer(r.json()["answer_id"])
    assert json.loads(row["history"]) == turns[-server_settings.max_history_turns:-1]  # the blank one dropped


@pytest.mark.parametrize("payload", [{"query": ""}, {"query": "paiement", "k": 0}, {"query": ["a"]}])
def test_bad_search_is_a_json_4xx(http, payload):
    r = http.post("/api/search", json=payload)
    assert 400 <= r.status_code < 500 and "error" in r.json()


def test_body_that_is_not_json(http):
    r = http.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"].startswith("invalid request")
    assert "not valid JSON" in r.json()["error"] and "at character 1" in r.json()["error"]
    r = http.post("/api/ask", content=b'{"question": "abc', headers={"content-type": "application/json"})
    assert "(Unterminated string starting at character 13)" in r.json()["error"], r.text


@pytest.mark.parametrize("body, content_type, status, says", [
    (b'{"question": "D\xe9lai ?"}', "application/json", 400, "not JSON text"),  # Latin-1, not UTF-8
    (b"Quel est le delai ?", "text/plain", 422, "Content-Type: application/json (not text/plain)"),
])
def test_a_body_that_is_not_a_json_object_says_what_to_send(http, body, content_type, status, says):
    r = http.post("/api/ask", content=body, headers={"content-type": content_type})
    assert r.status_code == status and says in r.json()["error"], r.text
    assert http.post("/api/ask", json={"question": QUESTION}).status_code == 200


def test_answers_and_feedback_are_audited(http, server_settings, assistant):
    r = http.post("/api/ask", json={"question": QUESTION, "history": ["Bonjour"]})
    answer_id = r.json()["answer_id"]
    row = AuditLog(server_settings.audit_db).answer(answer_id)
    assert row["channel"] == "api" and row["question"] == QUESTION and json.loads(row["history"]) == ["Bonjour"]
    assert row["answer"] == r.json()["text"] and row["mode"] == "extractive" and row["abstained"] == 0
    assert json.loads(row["citations"])[0]["article"] == "3" and row["latency_ms"] > 0
    version = json.loads(row["corpus_version"])
    assert version == {"generation": assistant.search.snapshot().generation,
                       "documents": {"cgs-20210601": "CGS 20210601"}}

    f = http.post("/api/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "=trop court"})
    assert f.status_code == 200, f.text
    assert http.get("/api/feedback.csv").status_code == 401  # other users' data: the admin key only
    csv_text = http.get("/api/feedback.csv", headers={"authorization": f"Bearer {ADMIN}"})
    assert csv_text.headers["content-type"].startswith("text/csv")
    lines = csv_text.text.splitlines()
    assert lines[0] == "id,at,answer_id,rating,comment,question,answer,citations"
    assert f",{answer_id},down,'=trop court,{QUESTION}," in csv_text.text  # formulas are defused
    assert http.post("/api/feedback", json={"answer_id": 10**9, "rating": "up"}).status_code == 404
    assert http.post("/api/feedback", json={"answer_id": answer_id, "rating": "meh"}).status_code == 422


def test_bearer_token_when_an_api_key_is_set(server_settings, assistant):
    settings = server_settings.model_copy(update={"api_key": "s3cret"})
    with running_server(make_app(settings, assistant=assistant)) as base, httpx.Client(base_url=base) as http:
        for path in ("/api/documents", "/v1/models"):
            r = http.get(path)
            assert r.status_code == 401 and r.json()["error"] == "unauthorized"
            assert r.headers["www-authenticate"] == "Bearer"
            assert http.get(path, headers={"authorization": "Bearer wrong"}).status_code == 401
            assert http.get(path, headers={"authorization": "Bearer s3cret"}).status_code == 200
        assert http.get("/health").status_code == 200  # probes need no token


def test_no_token_needed_without_an_api_key(http):
    assert http.get("/api/documents").status_code == 200


def test_rate_limit_per_client(server_settings, assistant):
    settings = server_settings.model_copy(update={"rate_limit_per_minute": 3})
    with running_server(make_app(settings, assistant=assistant)) as base, httpx.Client(base_url=base) as http:
        assert [http.get("/api/documents").status_code for _ in range(3)] == [200, 200, 200]
        r = http.get("/api/documents")
        assert r.status_code == 429 and r.json()["error"] == "rate limited"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # without an API key a token names no one: the same address is the same client
        assert http.get("/api/documents", headers={"authorization": "Bearer other"}).status_code == 429
        assert http.get("/health").status_code == 200  # the probe is never limited


def test_busy_answers_503_at_once_instead_of_hanging():
    """The gate around a real endpoint that blocks until released."""
    release, entered = threading.Event(), threading.Event()

    def slow(request):
        entered.set()
        release.wait(10)
        return JSONResponse({"ok": True})

    inner = Starlette(routes=[Route("/api/ask", slow, methods=["POST"]), Route("/health", lambda r: JSONResponse(
        {"ready": True}))])
    app = Gate(inner, Settings(rate_limit_per_minute=0), capacity=1)
    with running_server(app) as base:
        first: dict = {}
        worker = threading.Thread(target=lambda: first.update(r=httpx.post(f"{base}/api/ask", timeout=20)))
        worker.start()
        assert entered.wait(10)
        busy = httpx.post(f"{base}/api/ask", timeout=2)
        assert busy.status_code == 503 and busy.json()["error"] == "busy" and busy.headers["retry-after"]
        release.set()
        worker.join(10)
        assert first["r"].status_code == 200
        assert httpx.post(f"{base}/api/ask", timeout=5).status_code == 200  # the slot came back


def test_start_up_ingests_in_the_background(make_settings, tmp_path):
    """Without an assistant the server answers /health at once, not ready while the
    index is built (held here by the ingest lock), then ready."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("ARTICLE 1 – PAIEMENT\nLes factures sont payables à 45 jours.\n",
                                     encoding="utf-8")
    settings = make_settings(corpus=corpus)
    settings.data_dir.mkdir(parents=True)
    lock = FileLock(str(settings.data_dir / "ingest.lock"))
    lock.acquire()
    try:
        with running_server(make_app(settings), wait_ready=False) as base, httpx.Client(base_url=base) as http:
            health = http.get("/health", timeout=2).json()
            assert health["live"] and not health["ready"] and health["index"] is None
            r = http.post("/api/ask", json={"question": "Délai de paiement ?"})
            assert r.status_code == 503 and r.json()["error"] == "not ready"
            lock.release()
            for _ in range(300):
                health = http.get("/health").json()
                if health["ready"]:
                    break
                threading.Event().wait(0.2)
            assert health["ready"] and health["index"]["documents"] == 1, health
            answer = http.post("/api/ask", json={"question": "Délai de paiement des factures ?"}).json()
            assert "45 jours" in answer["citations"][0]["quote"]
    finally:
        if lock.is_locked:
            lock.release()
