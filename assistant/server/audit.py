"""The audit log: every answer given and every feedback, in one database.

SQLite in the data directory by default; PostgreSQL when ``TERMS_DATABASE_URL`` names
one, so that several app processes keep one history. The same SQLAlchemy Core tables
serve both; the schema is created and migrated on start (``MIGRATIONS``, recorded in a
``schema_version`` table; one process at a time migrates). Each write is one short
transaction on a pooled connection, so web workers on several threads never share one.
"""
from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from filelock import FileLock
from sqlalchemy import (CheckConstraint, Column, Connection, Engine, Float, ForeignKey, Integer, MetaData, Table,
                        Text, create_engine, event, func, insert, select, text, update)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.schema import CreateTable

from terms.errors import TermsError

from ..answer import Answer

METADATA = MetaData()
ANSWERS = Table(
    "answers", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("history", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", Text, nullable=False),
    Column("mode", Text, nullable=False),
    Column("abstained", Integer, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("language", Text, nullable=False),
    Column("corpus_version", Text, nullable=False),
    Column("latency_ms", Float, nullable=False),
    sqlite_autoincrement=True,
)
FEEDBACK = Table(
    "feedback", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),
    Column("answer_id", Integer, ForeignKey("answers.id")),
    Column("rating", Text, CheckConstraint("rating IN ('up', 'down')"), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", Text, nullable=False),
    sqlite_autoincrement=True,
)
SCHEMA_VERSION = Table("schema_version", METADATA, Column("version", Integer, primary_key=True),
                       Column("applied_at", Text, nullable=False))

FEEDBACK_COLUMNS = ("id", "at", "answer_id", "rating", "comment", "question", "answer", "citations")


def _create_tables(conn: Connection) -> None:
    # IF NOT EXISTS: SQLite files written before versioning already hold these tables.
    for table in (ANSWERS, FEEDBACK):
        conn.execute(CreateTable(table, if_not_exists=True))


def _one_rating_per_answer(conn: Connection) -> None:
    # Rating an answer again replaces its rating: keep each answer's latest vote, then let
    # the database hold the rule.
    conn.execute(text("DELETE FROM feedback WHERE answer_id IS NOT NULL AND id NOT IN "
                      "(SELECT MAX(id) FROM feedback WHERE answer_id IS NOT NULL GROUP BY answer_id)"))
    conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS feedback_one_per_answer ON feedback (answer_id) "
                      "WHERE answer_id IS NOT NULL"))


# Applied in order, each once per database; append, never edit.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _create_tables,  # 1: answers and feedback
    _one_rating_per_answer,  # 2: one rating per answer, the last one standing
]
# Held (for the transaction) by the process migrating a PostgreSQL database.
_PG_LOCK = 0x7465726D73  # "terms"


class AuditUnavailable(TermsError):
    """The audit database cannot be opened or migrated."""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def citations_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict()["citations"], ensure_ascii=False)


def database_url(where: Path | str) -> str:
    """A SQLAlchemy URL for a SQLite file path or a database URL.

    >>> database_url("postgresql://terms@db:5432/terms")
    'postgresql+psycopg://terms@db:5432/terms'
    >>> database_url(Path("/srv/data/audit.sqlite3"))
    'sqlite:////srv/data/audit.sqlite3'
    """
    where = str(where)
    if "://" not in where:
        return f"sqlite:///{Path(where).resolve()}"
    for scheme in ("postgresql://", "postgres://"):  # psycopg 3 is the driver we ship
        if where.startswith(scheme):
            return "postgresql+psycopg://" + where[len(scheme):]
    return where


class AuditLog:
    """>>> log = AuditLog(Path("/tmp/audit.sqlite3"))   # doctest: +SKIP
    >>> log = AuditLog("postgresql://terms:secret@127.0.0.1:5432/terms")   # doctest: +SKIP
    >>> log.log_answer("api", "Délai ?", [], answer, {"generation": "…"})   # doctest: +SKIP
    1
    """

    def __init__(self, where: Path | str) -> None:
        try:
            url = make_url(database_url(where))
        except SQLAlchemyError as exc:  # the message would repeat the URL, password and all
            raise AuditUnavailable(f"audit database: not a database URL ({type(exc).__name__})") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise AuditUnavailable(f"audit database: {url.get_backend_name()} is not supported "
                                   "(a PostgreSQL URL, or unset for SQLite in the data directory)")
        self.path = Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None
        # The URL as it may be shown: never its password.
        self.where = url.render_as_string(hide_password=True)
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.engine: Engine = create_engine(url, connect_args={"timeout": 10})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                # pre_ping: a pooled connection that the server or a proxy dropped is replaced.
                self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
            self.schema_version = self._migrate()
        except SQLAlchemyError as exc:
            if hasattr(self, "engine"):
                self.engine.dispose()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise AuditUnavailable(f"audit database {self.where}: {type(exc).__name__}: {reason}") from exc

    def _migrate(self) -> int:
        """Bring the schema to the latest version; returns it."""
        lock = FileLock(str(self.path) + ".migrate.lock") if self.path is not None else None
        if lock is not None:
            lock.acquire(timeout=60)
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
                conn.execute(CreateTable(SCHEMA_VERSION, if_not_exists=True))
                current = conn.execute(select(func.max(SCHEMA_VERSION.c.version))).scalar() or 0
                for version, migration in enumerate(MIGRATIONS[current:], current + 1):
                    migration(conn)
                    conn.execute(insert(SCHEMA_VERSION).values(version=version, applied_at=_now()))
                return len(MIGRATIONS)
        finally:
            if lock is not None:
                lock.release()

    def log_answer(self, channel: str, question: str, history: list[str], answer: Answer,
                   corpus_version: Mapping) -> int:
        """Record one answer; returns its id (to attach feedback to it)."""
        with self.engine.begin() as conn:
            result = conn.execute(insert(ANSWERS).values(
                at=_now(), channel=channel, question=question, history=json.dumps(history, ensure_ascii=False),
                answer=answer.text, citations=citations_json(answer), mode=answer.mode,
                abstained=int(answer.abstained), confidence=answer.confidence, language=answer.language,
                corpus_version=json.dumps(corpus_version, ensure_ascii=False), latency_ms=answer.latency_ms))
            return int(result.inserted_primary_key[0])

    def answer(self, answer_id: int) -> dict | None:
        if not 0 < answer_id < 2**63:  # no database can even look such an id up
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(ANSWERS).where(ANSWERS.c.id == answer_id)).mappings().first()
        return dict(row) if row else None

    def answers(self, limit: int = 100) -> list[dict]:
        """The latest answers, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ANSWERS).order_by(ANSWERS.c.id.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def add_feedback(self, rating: str, question: str, answer: str, citations: str | list,
                     comment: str = "", answer_id: int | None = None) -> int:
        """A vote (and comment); a vote on an answer already rated replaces its rating (and its
        comment, when one is given) and keeps its id."""
        if not isinstance(citations, str):
            citations = json.dumps(citations, ensure_ascii=False)
        for attempt in range(2):  # a vote racing another on the same answer finds it the second time
            try:
                with self.engine.begin() as conn:
                    if answer_id is not None:
                        existing = conn.execute(select(FEEDBACK.c.id).where(FEEDBACK.c.answer_id == answer_id)).scalar()
                        if existing is not None:
                            values = {"at": _now(), "rating": rating, **({"comment": comment} if comment else {})}
                            conn.execute(update(FEEDBACK).where(FEEDBACK.c.id == existing).values(**values))
                            return int(existing)
                    result = conn.execute(insert(FEEDBACK).values(
                        at=_now(), answer_id=answer_id, rating=rating, comment=comment, question=question,
                        answer=answer, citations=citations))
                    return int(result.inserted_primary_key[0])
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def feedback_for(self, answer_id: int, rating: str, comment: str = "") -> int:
        """Feedback on a logged answer (its question, text and citations are copied)."""
        row = self.answer(answer_id)
        if row is None:
            raise KeyError(answer_id)
        return self.add_feedback(rating, row["question"], row["answer"], row["citations"], comment, answer_id)

    def set_comment(self, feedback_id: int, comment: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(FEEDBACK).where(FEEDBACK.c.id == feedback_id).values(comment=comment))

    def feedback(self) -> list[dict]:
        columns = [FEEDBACK.c[name] for name in FEEDBACK_COLUMNS]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*columns).order_by(FEEDBACK.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def to_review(self, limit: int = 200, confidence_below: float = 0.6) -> list[dict]:
        """The latest answers that need a look, newest first: rated down, abstained on, or
        answered with low confidence; each with its latest rating and comment (if any) and
        why it is listed."""
        votes = select(FEEDBACK.c.answer_id, FEEDBACK.c.rating, FEEDBACK.c.comment).where(
            FEEDBACK.c.answer_id.isnot(None)).subquery()
        query = (select(ANSWERS, votes.c.rating, votes.c.comment)
                 .select_from(ANSWERS.outerjoin(votes, votes.c.answer_id == ANSWERS.c.id))
                 .where((votes.c.rating == "down") | (ANSWERS.c.abstained == 1)
                        | (ANSWERS.c.confidence < confidence_below))
                 .order_by(ANSWERS.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings().all()]
        for row in rows:
            row["why"] = [why for why, yes in (("rated down", row["rating"] == "down"),
                                               ("abstained", bool(row["abstained"])),
                                               ("low confidence", row["confidence"] < confidence_below)) if yes]
        return rows

    def feedback_csv(self) -> str:
        """All feedback as CSV (one row per vote, citations as JSON)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FEEDBACK_COLUMNS)
        writer.writeheader()
        for row in self.feedback():
            writer.writerow({k: _defuse(v) for k, v in row.items()})
        return out.getvalue()

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL: readers never wait for the writer; foreign keys: SQLite leaves them off.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _defuse(value):
    """Spreadsheets run cells starting with = + - @ as formulas; quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
