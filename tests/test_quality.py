"""From the questions asked to eval cases: the quality export (admin key) on a real server."""
from __future__ import annotations

import json

import httpx
import pytest

from assistant.server import make_app
from assistant.server.quality import as_case
from tests.server_utils import running_server

ADMIN_KEY = "quality-admin"
ADMIN = {"authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module")
def url(server_settings, assistant, tmp_path_factory):
    settings = server_settings.model_copy(update={"admin_key": ADMIN_KEY,
                                                  "data_dir": tmp_path_factory.mktemp("quality-data")})
    with running_server(make_app(settings, assistant=assistant)) as base:
        yield base


def ask(url: str, question: str) -> dict:
    r = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_review_list_and_its_cases(url):
    good = ask(url, "Quel est le délai de paiement des factures ?")
    disliked = ask(url, "Quel tribunal est compétent en cas de litige ?")
    off_topic = ask(url, "What's the capital of Australia?")
    assert not good["abstained"] and off_topic["abstained"]
    r = httpx.post(f"{url}/api/feedback", json={"answer_id": disliked["answer_id"], "rating": "down",
                                                "comment": "il fallait aussi la médiation"})
    assert r.status_code == 200, r.text
    httpx.post(f"{url}/api/feedback", json={"answer_id": good["answer_id"], "rating": "up"})

    listed = httpx.get(f"{url}/api/quality", headers=ADMIN).json()
    by_id = {row["id"]: row for row in listed}
    assert good["answer_id"] not in by_id or "rated down" not in by_id[good["answer_id"]]["why"]
    assert by_id[disliked["answer_id"]]["why"][0] == "rated down"
    assert by_id[disliked["answer_id"]]["comment"] == "il fallait aussi la médiation"
    assert "abstained" in by_id[off_topic["answer_id"]]["why"]

    ids = f"{disliked['answer_id']},{off_topic['answer_id']}"
    r = httpx.get(f"{url}/api/quality/cases.jsonl", params={"ids": ids}, headers=ADMIN)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    cases = {c["id"]: c for c in map(json.loads, r.text.splitlines())}
    assert set(cases) == {f"review-{disliked['answer_id']}", f"review-{off_topic['answer_id']}"}
    disliked_case = cases[f"review-{disliked['answer_id']}"]
    assert disliked_case["review"] is True and disliked_case["answerable"] is True
    assert disliked_case["question"] == "Quel tribunal est compétent en cas de litige ?"
    quote = next(c["quote"] for c in disliked["citations"] if not c["supporting"])
    assert disliked_case["expect"]["sources"] and quote.startswith(disliked_case["expect"]["sources"][0])
    assert "médiation" in disliked_case["note"]
    off_case = cases[f"review-{off_topic['answer_id']}"]
    assert off_case["answerable"] is False and off_case["expect"]["sources"] == []
    assert off_case["language"] == "en"


def test_only_admins_read_it(url):
    for path in ("/api/quality", "/api/quality/cases.jsonl"):
        assert httpx.get(f"{url}{path}").status_code == 401
        assert httpx.get(f"{url}{path}", headers={"authorization": "Bearer guess"}).status_code == 401
    r = httpx.get(f"{url}/api/quality/cases.jsonl", params={"ids": "1;drop"}, headers=ADMIN)
    assert r.status_code == 400 and r.json()["error"] == "bad ids"


def test_a_case_follows_the_eval_set_format():
    row = {"id": 9, "question": "Et en cas de retard ?", "history": '["Délai de paiement ?"]', "language": "fr",
           "abstained": 0, "why": ["low confidence"], "comment": "",
           "citations": json.dumps([{"quote": "Toute somme non payée à l’échéance donnera lieu, de plein droit, "
                                              "au versement de pénalités", "supporting": False},
                                    {"quote": "Devis : désigne le détail", "supporting": True}])}
    case = as_case(row)
    assert set(case) >= {"id", "question", "history", "language", "answerable", "expect"}
    assert case["history"] == ["Délai de paiement ?"]
    assert case["expect"]["sources"] == ["Toute somme non payée à l’échéance donnera lieu, de plein"]
    assert 5 <= len(case["expect"]["sources"][0].split()) <= 12
