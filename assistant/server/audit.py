"""The audit log: every answer given and every feedback, in one SQLite file.

Each write opens its own short connection inside one transaction, so web workers
on several threads never share a connection.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

from ..answer import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    mode TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    confidence REAL NOT NULL,
    language TEXT NOT NULL,
    corpus_version TEXT NOT NULL,
    latency_ms REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    answer_id INTEGER REFERENCES answers(id),
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL
);
"""

FEEDBACK_COLUMNS = ("id", "at", "answer_id", "rating", "comment", "question", "answer", "citations")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def citations_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict()["citations"], ensure_ascii=False)


class AuditLog:
    """>>> log = AuditLog(Path("/tmp/audit.sqlite3"))   # doctest: +SKIP
    >>> log.log_answer("api", "Délai ?", [], answer, {"generation": "…"})   # doctest: +SKIP
    1
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def log_answer(self, channel: str, question: str, history: list[str], answer: Answer,
                   corpus_version: Mapping) -> int:
        """Record one answer; returns its id (to attach feedback to it)."""
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(
                "INSERT INTO answers (at, channel, question, history, answer, citations, mode, abstained,"
                " confidence, language, corpus_version, latency_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (_now(), channel, question, json.dumps(history, ensure_ascii=False), answer.text,
                 citations_json(answer), answer.mode, int(answer.abstained), answer.confidence, answer.language,
                 json.dumps(corpus_version, ensure_ascii=False), answer.latency_ms),
            )
            return int(cur.lastrowid)

    def answer(self, answer_id: int) -> dict | None:
        if not 0 < answer_id < 2**63:  # SQLite cannot even look such an id up
            return None
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return dict(row) if row else None

    def answers(self, limit: int = 100) -> list[dict]:
        """The latest answers, newest first."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM answers ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]

    def add_feedback(self, rating: str, question: str, answer: str, citations: str | list,
                     comment: str = "", answer_id: int | None = None) -> int:
        if not isinstance(citations, str):
            citations = json.dumps(citations, ensure_ascii=False)
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(
                "INSERT INTO feedback (at, answer_id, rating, comment, question, answer, citations)"
                " VALUES (?,?,?,?,?,?,?)", (_now(), answer_id, rating, comment, question, answer, citations))
            return int(cur.lastrowid)

    def feedback_for(self, answer_id: int, rating: str, comment: str = "") -> int:
        """Feedback on a logged answer (its question, text and citations are copied)."""
        row = self.answer(answer_id)
        if row is None:
            raise KeyError(answer_id)
        return self.add_feedback(rating, row["question"], row["answer"], row["citations"], comment, answer_id)

    def set_comment(self, feedback_id: int, comment: str) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment, feedback_id))

    def feedback(self) -> list[dict]:
        with closing(self._connect()) as conn:
            rows = conn.execute(f"SELECT {', '.join(FEEDBACK_COLUMNS)} FROM feedback ORDER BY id").fetchall()
        return [dict(r) for r in rows]

    def feedback_csv(self) -> str:
        """All feedback as CSV (one row per vote, citations as JSON)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FEEDBACK_COLUMNS)
        writer.writeheader()
        for row in self.feedback():
            writer.writerow({k: _defuse(v) for k, v in row.items()})
        return out.getvalue()


def _defuse(value):
    """Spreadsheets run cells starting with = + - @ as formulas; quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
