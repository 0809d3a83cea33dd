"""The audit log's contract on both of its databases (SQLite in the data dir, a real
PostgreSQL), its migrations, and what a bad database URL says."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from assistant.answer import Answer, Citation
from assistant.server.audit import MIGRATIONS, AuditLog, AuditUnavailable, database_url
from tests.postgres import postgres_url  # noqa: F401 (a fixture)

CITATION = Citation("cgs", "Conditions Générales de Service", "CGS 20210601", "3", "CONDITIONS FINANCIERES",
                    "Règlement", (1, 2), "payables à 30 jours", "cgs:abc", "CGS art. 3 — Règlement, p. 1, 2")


def answer(text: str = "Selon l'article 3 : « payables à 30 jours »") -> Answer:
    return Answer(text, [CITATION], False, 0.9, "fr", "extractive", latency_ms=12.5)


def fresh_database(url: str, name: str) -> str:
    """A new empty database on the test cluster, so each test starts from nothing."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path):
    if request.param == "sqlite":
        return tmp_path / "data" / "audit.sqlite3"
    return fresh_database(request.getfixturevalue("postgres_url"), f"audit_{uuid.uuid4().hex[:8]}")


def test_answers_and_feedback_round_trip(where):
    log = AuditLog(where)
    first = log.log_answer("api", "Délai de paiement ?", ["Bonjour"], answer(), {"generation": "g1"})
    second = log.log_answer("ui", "Tribunal ?", [], answer("Paris"), {"generation": "g1"})
    assert second > first
    row = log.answer(first)
    assert row["question"] == "Délai de paiement ?" and json.loads(row["history"]) == ["Bonjour"]
    assert json.loads(row["citations"])[0]["label"] == CITATION.label
    assert json.loads(row["corpus_version"]) == {"generation": "g1"}
    assert row["abstained"] == 0 and row["confidence"] == pytest.approx(0.9) and row["latency_ms"] == 12.5
    assert [r["id"] for r in log.answers()] == [second, first]
    assert log.answer(10_000) is None

    up = log.feedback_for(first, "up")
    down = log.add_feedback("down", "=HYPERLINK(1)", "texte", [{"label": "x"}], comment="faux", answer_id=second)
    log.set_comment(up, "très utile")
    rows = log.feedback()
    assert [(r["id"], r["rating"], r["comment"]) for r in rows] == [(up, "up", "très utile"), (down, "down", "faux")]
    assert rows[0]["question"] == "Délai de paiement ?" and rows[0]["answer_id"] == first
    exported = list(csv.DictReader(io.StringIO(log.feedback_csv())))
    assert [r["rating"] for r in exported] == ["up", "down"]
    assert exported[1]["question"] == "'=HYPERLINK(1)"  # a spreadsheet does not run it

    with pytest.raises(KeyError):
        log.feedback_for(10_000, "up")
    with pytest.raises(IntegrityError):
        log.add_feedback("meh", "q", "a", "[]")
    assert len(log.feedback()) == 2  # the refused vote left nothing behind
    log.close()


def test_reopening_keeps_everything_and_migrates_once(where):
    log = AuditLog(where)
    answer_id = log.log_answer("api", "Q ?", [], answer(), {})
    log.close()
    again = AuditLog(where)
    assert again.schema_version == len(MIGRATIONS)
    assert again.answer(answer_id)["question"] == "Q ?"
    with again.engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT version FROM schema_version").scalars().all()
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    again.close()


def test_a_file_written_before_versioning_is_adopted(tmp_path):
    path = tmp_path / "audit.sqlite3"
    old_schema = """
    CREATE TABLE answers (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, channel TEXT NOT NULL,
        question TEXT NOT NULL, history TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL,
        mode TEXT NOT NULL, abstained INTEGER NOT NULL, confidence REAL NOT NULL, language TEXT NOT NULL,
        corpus_version TEXT NOT NULL, latency_ms REAL NOT NULL);
    CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
        answer_id INTEGER REFERENCES answers(id), rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
        comment TEXT NOT NULL DEFAULT '', question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL);
    INSERT INTO answers VALUES (7, 't', 'api', 'Ancienne ?', '[]', 'a', '[]', 'extractive', 0, 0.5, 'fr', '{}', 3.0);
    """
    with sqlite3.connect(path) as conn:
        conn.executescript(old_schema)
    with sqlite3.connect(path) as conn:  # two votes on one answer, from before the one-vote rule
        conn.executescript("INSERT INTO feedback VALUES (1, 't', 7, 'down', '', 'Ancienne ?', 'a', '[]');"
                           "INSERT INTO feedback VALUES (2, 't', 7, 'up', 'mieux', 'Ancienne ?', 'a', '[]');")
    log = AuditLog(path)
    assert log.schema_version == len(MIGRATIONS)
    assert log.answer(7)["question"] == "Ancienne ?"
    assert [(r["id"], r["rating"]) for r in log.feedback()] == [(2, "up")]  # the last vote stands
    assert log.log_answer("api", "Nouvelle ?", [], answer(), {}) == 8


def test_rating_an_answer_again_replaces_its_rating(where):
    log = AuditLog(where)
    answer_id = log.log_answer("ui", "Q ?", [], answer(), {})
    down = log.feedback_for(answer_id, "down", "faux")
    up = log.feedback_for(answer_id, "up")
    assert up == down
    assert [(r["rating"], r["comment"]) for r in log.feedback()] == [("up", "faux")]  # the comment stays
    log.add_feedback("down", "Q ?", "a", "[]", comment="non", answer_id=answer_id)
    assert [(r["rating"], r["comment"]) for r in log.feedback()] == [("down", "non")]
    log.add_feedback("up", "libre", "a", "[]")  # votes on no logged answer are not merged
    log.add_feedback("up", "libre", "a", "[]")
    assert len(log.feedback()) == 3
    log.close()


def test_processes_starting_together_migrate_once(postgres_url):
    url = fresh_database(postgres_url, "audit_together")
    logs, errors = [], []

    def start() -> None:
        try:
            logs.append(AuditLog(url))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(logs) == 4
    ids = [log.log_answer("api", f"Q{i} ?", [], answer(), {}) for i, log in enumerate(logs)]
    assert len(set(ids)) == 4
    assert {r["question"] for r in logs[0].answers()} == {"Q0 ?", "Q1 ?", "Q2 ?", "Q3 ?"}
    for log in logs:
        log.close()


def test_an_unreachable_database_is_a_clear_error_without_its_password():
    with pytest.raises(AuditUnavailable) as caught:
        AuditLog("postgresql://terms:s3cret@127.0.0.1:1/terms")
    message = str(caught.value)
    assert "127.0.0.1:1/terms" in message and "s3cret" not in message and "***" in message
    with pytest.raises(AuditUnavailable, match="mysql is not supported"):
        AuditLog("mysql://terms:s3cret@127.0.0.1/terms")


def test_database_urls():
    assert database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("/tmp/a.sqlite3") == "sqlite:////tmp/a.sqlite3"
