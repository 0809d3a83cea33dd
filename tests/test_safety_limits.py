"""Safety suite 4 — limits (tests/data/safety/limits.json).

Oversized questions, histories with too many or too long turns, and corpus files
over ``max_file_mb`` are refused before any model work: the refusal is fast and the
embedder's call counter does not move (a real embedder that counts its calls; the
counter does move for a valid question, so the check can fail). The HTTP API
answers 400 the same way (413 for a body over its size limit), also bounds questions
in tokens of the embedding model (CJK, emoji, combining marks… within the character
limit but hundreds of tokens), keeps only the latest history turns, and answers 429
past the per-client rate limit, however the client names itself.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from assistant.core import Assistant
from assistant.server import make_app
from terms.errors import BadQuestion
from terms.settings import Settings
from ingest.loaders import load
from ingest.pipeline import run
from ingest.store import Index
from tests.server_utils import running_server

DATA = json.loads((Path(__file__).parent / "data" / "safety" / "limits.json").read_text(encoding="utf-8"))
LIMITS = DATA["settings"]
FAST = 0.5  # seconds: a refusal does no model work, so it is far quicker than an answer


class CountingEmbedder:
    """The real embedding model, counting every call and remembering what it embedded."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.calls = 0
        self.texts: list[str] = []

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts += texts
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts += texts
        return self.inner.embed_passages(texts)

    def count_tokens(self, text: str) -> int:  # the tokenizer only: not model work
        return self.inner.count_tokens(text)


def oversized(case: dict) -> tuple[str, list[str]]:
    """The (question, history) of a case, every other part within the limits."""
    question, turns, turn = DATA["valid_question"], [], "Et les pénalités ?"
    if case["limit"] == "max_question_chars":
        question = (question + " ") * (LIMITS["max_question_chars"] // len(question) + 1)
        question = question[: LIMITS["max_question_chars"] + case["over_by"]]
    elif case["limit"] == "max_history_turns":
        turns = [turn] * (LIMITS["max_history_turns"] + case["over_by"])
    elif case["limit"] == "turn_chars":
        turns = [turn, "x" * (LIMITS["max_question_chars"] + case["over_by"])]
    return question, turns


@pytest.fixture(scope="module")
def limited(cgs_settings, assistant, tmp_path_factory):
    settings = cgs_settings.model_copy(update={
        "max_question_chars": LIMITS["max_question_chars"], "max_history_turns": LIMITS["max_history_turns"],
        "max_question_tokens": LIMITS["max_question_tokens"], "rate_limit_per_minute": 0,
        "data_dir": cgs_settings.data_dir})
    counting = CountingEmbedder(assistant.embedder)
    bot = Assistant(settings, Index(assistant.index.client, counting, settings.collection_prefix))
    bot.ask(DATA["valid_question"])  # load the snapshot now
    return bot, counting


def test_a_valid_question_does_move_the_counter(limited):
    bot, counting = limited
    before = counting.calls
    answer = bot.ask(DATA["valid_question"])
    assert counting.calls > before and not answer.abstained


def test_the_limits_hold_exactly_at_the_boundary(limited):
    bot, counting = limited
    at_limit = {**DATA["cases"][0], "over_by": 0}
    question, _ = oversized(at_limit)
    assert len(question) == LIMITS["max_question_chars"]
    bot.ask(question, ["Et les pénalités ?"] * LIMITS["max_history_turns"])  # accepted


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["id"] for c in DATA["cases"]])
def test_oversized_input_is_refused_before_model_work(limited, case):
    bot, counting = limited
    question, history = oversized(case)
    before = counting.calls
    started = time.perf_counter()
    with pytest.raises(BadQuestion) as refused:
        bot.ask(question, history)
    elapsed = time.perf_counter() - started
    assert case["reason"] in str(refused.value)
    assert counting.calls == before, "the embedder ran before the refusal"
    assert elapsed < FAST, f"refusal took {elapsed:.2f} s"
    with pytest.raises(BadQuestion):
        next(bot.stream(question, history))
    assert counting.calls == before


@pytest.fixture(scope="module")
def api(limited, cgs_settings, tmp_path_factory):
    bot, counting = limited
    settings = bot.settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("limits-data")})
    with running_server(make_app(settings, assistant=bot)) as url:
        yield url, counting


REFUSED_BY_THE_API = [c for c in DATA["cases"] if c["limit"] != "max_history_turns"]


@pytest.mark.parametrize("case", REFUSED_BY_THE_API, ids=[c["id"] for c in REFUSED_BY_THE_API])
def test_the_api_refuses_oversized_input_with_400(api, case):
    url, counting = api
    question, history = oversized(case)
    before = counting.calls
    started = time.perf_counter()
    r = httpx.post(f"{url}/api/ask", json={"question": question, "history": history}, timeout=30)
    elapsed = time.perf_counter() - started
    assert r.headers["content-type"].startswith("application/json")
    assert_refused(r, case, {"question": question, "history": history})
    assert counting.calls == before and elapsed < 2 * FAST + 1
    messages = [{"role": "user", "content": h} for h in history] + [{"role": "user", "content": question}]
    r = httpx.post(f"{url}/v1/chat/completions", json={"messages": messages}, timeout=30)
    assert_refused(r, case, {"messages": messages})
    assert counting.calls == before


def assert_refused(r: httpx.Response, case: dict, payload: dict) -> None:
    """400 with the reason; or 413 for a body over the server's limit, refused as it is read."""
    if len(json.dumps(payload).encode()) > Settings().max_body_kb * 1024:
        assert r.status_code == 413 and r.json()["error"] == "request too large", r.text
    else:
        assert r.status_code == 400, r.text
        assert case["reason"] in r.json()["error"] and r.json()["detail"] == "BadQuestion"


def to_the_char_limit(text: str) -> str:
    return (text * (LIMITS["max_question_chars"] // len(text) + 1))[: LIMITS["max_question_chars"]]


@pytest.mark.parametrize("case", DATA["token_cases"], ids=[c["id"] for c in DATA["token_cases"]])
def test_the_api_bounds_questions_in_tokens(api, case):
    """Within the character limit, yet hundreds of tokens: refused before any model work,
    as a question, as a history turn, and through /v1."""
    url, counting = api
    text = to_the_char_limit(case["text"])
    before = counting.calls
    r = httpx.post(f"{url}/api/ask", json={"question": text}, timeout=30)
    assert r.status_code == 400, r.text
    assert "question is too long" in r.json()["error"] and f"at most {LIMITS['max_question_tokens']} tokens" \
        in r.json()["error"]
    r = httpx.post(f"{url}/api/ask", json={"question": DATA["valid_question"], "history": [text]}, timeout=30)
    assert r.status_code == 400 and "history turn is longer" in r.json()["error"], r.text
    r = httpx.post(f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": text}]}, timeout=30)
    assert r.status_code == 400 and "tokens" in r.json()["error"]
    assert counting.calls == before, "the embedder ran before the refusal"


def test_the_token_bound_lets_usual_questions_through(api):
    url, counting = api
    before = counting.calls
    long_but_fair = ("Quelles sont les pénalités applicables en cas de retard de paiement des factures "
                     "et à partir de quand sont-elles dues ?")
    for question in (DATA["valid_question"], long_but_fair):
        assert httpx.post(f"{url}/api/ask", json={"question": question}, timeout=60).status_code == 200
    assert counting.calls > before


def test_the_server_keeps_only_the_latest_turns(api):
    """Over HTTP a long conversation is not refused: its latest turns are the history."""
    url, _ = api
    case = next(c for c in DATA["cases"] if c["limit"] == "max_history_turns")
    question, history = oversized(case)
    history = ["Quel tribunal est compétent ?"] + history[1:]
    assert len(history) > LIMITS["max_history_turns"]
    r = httpx.post(f"{url}/api/ask", json={"question": question, "history": history}, timeout=30)
    assert r.status_code == 200, r.text
    messages = [{"role": "user", "content": h} for h in history] + [{"role": "user", "content": question}]
    assert httpx.post(f"{url}/v1/chat/completions", json={"messages": messages}, timeout=30).status_code == 200


def test_rate_limit_answers_429_per_client(limited, tmp_path_factory):
    bot, _ = limited
    settings = bot.settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("rate-data"),
                                               "rate_limit_per_minute": LIMITS["rate_limit_per_minute"]})
    with running_server(make_app(settings, assistant=bot)) as url:
        codes = [httpx.post(f"{url}/api/ask", json={"question": DATA["valid_question"]}, timeout=60).status_code
                 for _ in range(LIMITS["rate_limit_per_minute"])]
        assert codes == [200] * LIMITS["rate_limit_per_minute"]
        r = httpx.post(f"{url}/api/ask", json={"question": DATA["valid_question"]}, timeout=60)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.json()["error"] == "rate limited"
        # With no API key configured a bearer token proves nothing: a fresh random token
        # on each request is the same client (same address), still limited.
        for n in range(5):
            other = httpx.post(f"{url}/api/ask", json={"question": DATA["valid_question"]}, timeout=60,
                               headers={"authorization": f"Bearer random-{n}"})
            assert other.status_code == 429, other.text
        # Nor does an X-Forwarded-For header: no proxy is trusted, so the client cannot
        # name the address it is limited as.
        for spoofed in ("1.2.3.4", "5.6.7.8"):
            other = httpx.post(f"{url}/api/ask", json={"question": DATA["valid_question"]}, timeout=60,
                               headers={"x-forwarded-for": spoofed})
            assert other.status_code == 429, other.text
        # Another address is another client.
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=transport, timeout=60) as elsewhere:
            assert elsewhere.post(f"{url}/api/ask", json={"question": DATA["valid_question"]}).status_code == 200


def test_oversized_corpus_file_is_refused_before_reading(small_corpus, make_settings, embedder):
    settings = make_settings(small_corpus, max_file_mb=LIMITS["max_file_mb"])
    big = small_corpus / "enorme.txt"
    marker = "CLAUSE GEANTE"
    with big.open("w", encoding="utf-8") as f:
        line = f"{marker} Le Client paie tout, toujours, partout. " * 20 + "\n"
        while f.tell() < DATA["big_file_mb"] * 1_000_000:
            f.write(line)
    started = time.perf_counter()
    with pytest.raises(Exception) as refused:
        load(big, settings)
    assert time.perf_counter() - started < 0.1 and "file too large" in str(refused.value)

    counting = CountingEmbedder(embedder)
    report = run(settings, embedder=counting, progress=False)
    assert [e.file for e in report.errors] == [big.name]
    assert f"> {LIMITS['max_file_mb']} MB" in report.errors[0].reason
    assert report.documents == 3 and counting.calls > 0  # the other documents were embedded
    assert not any(marker in t for t in counting.texts), "the oversized file reached the embedder"
