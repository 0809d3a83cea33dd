"""Safety suite 7 — LLM faults (tests/data/safety/llm_faults.json).

The model endpoint hangs, answers 5xx, sends malformed bodies, an empty or an
unverifiable reply, or one token every few seconds (a stream that never trips a
read timeout). Every request is still answered within the configured deadline
(``llm_timeout``, small here) by the extractive answer with a notice — through
``Assistant.ask``, ``Assistant.stream`` and ``POST /api/ask`` on a running server.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fakes
import httpx
import pytest
from fakes import start_fake_llm

from assistant.answer import Answer
from assistant.core import Assistant
from assistant.server import make_app
from tests.server_utils import running_server

DATA = json.loads((Path(__file__).parent / "data" / "safety" / "llm_faults.json").read_text(encoding="utf-8"))
FAULTS = DATA["faults"]
DEADLINE = DATA["llm_timeout"] + DATA["slack_seconds"]


def reply(fault: dict):
    return getattr(fakes, fault["reply"])(**fault["args"])


@pytest.fixture(scope="module")
def fake_llm():
    server = start_fake_llm()
    yield server
    server.close()


@pytest.fixture(scope="module")
def llm_assistant(assistant, cgs_settings, fake_llm) -> Assistant:
    settings = cgs_settings.model_copy(update={"llm_base_url": fake_llm.url, "llm_model": "fake-model",
                                               "llm_timeout": DATA["llm_timeout"], "llm_connect_timeout": 1.0})
    return Assistant.from_settings(settings, embedder=assistant.embedder, client=assistant.index.client)


def check_fallback(answer: Answer | dict, fault: dict, elapsed: float) -> None:
    get = answer.get if isinstance(answer, dict) else lambda k: getattr(answer, k)
    assert elapsed < DEADLINE, f"{fault['id']}: answered after {elapsed:.1f} s"
    assert get("mode") == "extractive" and not get("abstained"), get("text")
    assert any(n in get("notice") for n in fault["notice"]), get("notice")
    citations = get("citations")
    quotes = [c["quote"] if isinstance(c, dict) else c.quote for c in citations]
    assert any(DATA["expect_quote"] in q for q in quotes) and DATA["expect_quote"] in get("text")


def test_a_working_model_is_used(llm_assistant, fake_llm):
    """The fake does work when it is not faulty: the fallbacks below are the faults' doing."""
    fake_llm.reset()
    answer = llm_assistant.ask(DATA["question"])
    assert answer.mode == "llm" and not answer.notice and fake_llm.replies


@pytest.mark.parametrize("fault", FAULTS, ids=[f["id"] for f in FAULTS])
def test_ask_falls_back_within_the_deadline(llm_assistant, fake_llm, fault):
    fake_llm.reset()
    fake_llm.script(reply(fault))
    started = time.monotonic()
    answer = llm_assistant.ask(DATA["question"])
    check_fallback(answer, fault, time.monotonic() - started)
    assert len(fake_llm.completions()) == 1  # the model was asked, once (no retries past the deadline)


@pytest.mark.parametrize("fault", FAULTS, ids=[f["id"] for f in FAULTS])
def test_stream_falls_back_within_the_deadline(llm_assistant, fake_llm, fault):
    fake_llm.reset()
    fake_llm.script(reply(fault))
    started = time.monotonic()
    pieces = list(llm_assistant.stream(DATA["question"]))
    answer = pieces[-1]
    assert isinstance(answer, Answer)
    check_fallback(answer, fault, time.monotonic() - started)
    assert answer.notice in "".join(pieces[:-1])


@pytest.fixture(scope="module")
def api(llm_assistant, tmp_path_factory):
    settings = llm_assistant.settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("faults-data"),
                                                         "rate_limit_per_minute": 0})
    with running_server(make_app(settings, assistant=llm_assistant)) as url:
        yield url


@pytest.mark.parametrize("fault", FAULTS, ids=[f["id"] for f in FAULTS])
def test_http_api_falls_back_within_the_deadline(api, fake_llm, fault):
    fake_llm.reset()
    fake_llm.script(reply(fault))
    started = time.monotonic()
    r = httpx.post(f"{api}/api/ask", json={"question": DATA["question"]}, timeout=DEADLINE + 30)
    elapsed = time.monotonic() - started
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), r.text
    check_fallback(r.json(), fault, elapsed)


def test_concurrent_hanging_requests_all_come_back_in_time(api, fake_llm):
    fake_llm.reset()
    hangs = [f for f in FAULTS if f["reply"] == "hang"]
    fake_llm.script(*[reply(hangs[0])] * 6)

    def ask(_) -> tuple[float, dict]:
        started = time.monotonic()
        r = httpx.post(f"{api}/api/ask", json={"question": DATA["question"]}, timeout=DEADLINE + 30)
        assert r.status_code == 200, r.text
        return time.monotonic() - started, r.json()

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(ask, range(6)))
    for elapsed, body in results:
        # Six answers share two cores: the retrieval of each waits its turn a little.
        check_fallback(body, hangs[0], elapsed - DATA["slack_seconds"])
