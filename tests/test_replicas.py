"""Several app processes behind one load balancer: one real Chroma server holds the
index, one real PostgreSQL the audit log and the feedback, one writer ingests.

Two ``python app.py`` processes, each with its own private data dir, answer questions
and take feedback; one export holds all of it, and after the writer re-ingests a
changed corpus both answer from the new index generation."""
from __future__ import annotations

import csv
import io
import json
import sys

import httpx
import pytest

from assistant.server.audit import AuditLog
from bench.serve import background, chroma_server, free_port
from ingest.pipeline import run
from ingest.store import Index, make_client
from tests.postgres import postgres_url  # noqa: F401 (a fixture)

OLD_TERM = "payables à trente jours"
NEW_TERM = "payables à quarante-cinq jours"

ADMIN_KEY = "replica-admin-key"  # the feedback export reads other users' votes: admins only


@pytest.fixture
def shared_index(tmp_path):
    with chroma_server(tmp_path / "chroma", tmp_path / "chroma.log") as port:
        yield port


def app_process(tmp_path, name: str, env: dict[str, str]):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = tmp_path / f"{name}-data"  # private: nothing an app writes locally is shared
    return url, background(
        [sys.executable, "app.py", "--port", str(port)],
        lambda: bool(httpx.get(f"{url}/health", timeout=2).json().get("ready")),
        tmp_path / f"{name}.log", 300, env={**env, "TERMS_DATA_DIR": str(data)})


def ask(url: str, question: str) -> dict:
    r = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=120)
    r.raise_for_status()
    return r.json()


def test_two_app_processes_share_one_history_and_one_index(tmp_path, small_corpus, embedder, postgres_url,
                                                           shared_index):
    database = postgres_url
    env = {"TERMS_ADMIN_KEY": ADMIN_KEY, "TERMS_CORPUS_DIR": str(small_corpus), "TERMS_CHROMA_HOST": "127.0.0.1",
           "TERMS_CHROMA_PORT": str(shared_index), "TERMS_DATABASE_URL": database,
           "TERMS_RATE_LIMIT_PER_MINUTE": "0", "TERMS_LLM_BASE_URL": ""}
    writer = {"corpus_dir": small_corpus, "data_dir": tmp_path / "writer-data", "chroma_host": "127.0.0.1",
              "chroma_port": shared_index}
    from terms.settings import Settings

    first = run(Settings(**writer), embedder=embedder, progress=False)
    assert first.ok and not first.up_to_date

    url_a, server_a = app_process(tmp_path, "a", env)
    url_b, server_b = app_process(tmp_path, "b", env)
    with server_a, server_b:
        generations = {httpx.get(f"{u}/health").json()["index"]["generation"] for u in (url_a, url_b)}
        assert generations == {first.generation}

        # Questions to both; votes on each other's answers (only a shared log knows them).
        answers = {}
        for url, question in [(url_a, "Quel est le délai de paiement des factures ?"),
                              (url_b, "Quel tribunal est compétent en cas de litige ?"),
                              (url_a, "Combien de temps dure le contrat ?"),
                              (url_b, "Le prestataire peut-il sous-traiter ?")]:
            answers[question] = (url, ask(url, question))
        assert OLD_TERM in answers["Quel est le délai de paiement des factures ?"][1]["text"]
        votes = []
        for n, (question, (url, body)) in enumerate(answers.items()):
            other = url_b if url == url_a else url_a
            r = httpx.post(f"{other}/api/feedback", json={"answer_id": body["answer_id"],
                                                          "rating": "up" if n % 2 else "down",
                                                          "comment": f"vote {n}"}, timeout=30)
            assert r.status_code == 200, r.text
            votes.append((question, f"vote {n}"))

        for url in (url_a, url_b):  # either server exports everything
            export = httpx.get(f"{url}/api/feedback.csv", headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
            assert export.status_code == 200, export.text
            exported = list(csv.DictReader(io.StringIO(export.text)))
            assert [(row["question"], row["comment"]) for row in exported] == votes
        log = AuditLog(database)
        logged = {(row["channel"], row["question"]) for row in log.answers()}
        assert logged == {("api", q) for q in answers}

        # One writer re-ingests a changed corpus: both servers move to the new generation.
        alpha = small_corpus / "alpha.txt"
        alpha.write_text(alpha.read_text(encoding="utf-8").replace("payables à trente jours", NEW_TERM),
                         encoding="utf-8")
        second = run(Settings(**writer), embedder=embedder, progress=False)
        assert second.ok and second.generation != first.generation
        active = Index(make_client(Settings(**writer)), embedder).active()
        assert active.name == second.generation
        for url in (url_a, url_b):
            body = ask(url, "Quel est le délai de paiement des factures ?")
            assert NEW_TERM in body["text"], body["text"]
            assert httpx.get(f"{url}/health").json()["index"]["generation"] == second.generation
            row = log.answer(body["answer_id"])
            assert json.loads(row["corpus_version"])["generation"] == second.generation
        log.close()
    for name in ("a", "b"):  # nothing of the history went to a server's own data dir
        assert not (tmp_path / f"{name}-data" / "audit.sqlite3").exists()
