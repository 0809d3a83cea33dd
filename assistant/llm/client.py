"""The model behind a hard deadline: rewrites follow-ups and phrases answers, each
sentence verified before it is shown; any failure gives back the extractive answer."""
from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping

import httpx
import openai
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI

from terms.records import DocumentInfo, Passage
from terms.settings import Settings

from .. import messages
from ..answer import Answer
from ..followup import rewrite as rewrite_without_model
from ..guard import clean_question
from .errors import LLMUnavailable
from .prompts import answer_messages, echoes_prompt, rewrite_messages
from .verify import Verifier, first_sentence, split_sentences

log = logging.getLogger("assistant.llm")

MAX_TOKENS = 700


class LLM:
    """An OpenAI-compatible chat model behind a hard deadline and a verifier."""

    def __init__(self, settings: Settings, chat: ChatOpenAI | None = None) -> None:
        self.settings = settings
        self.deadline = settings.llm_timeout
        self.chat = chat or ChatOpenAI(
            model=settings.llm_model, base_url=settings.llm_base_url, api_key=settings.llm_api_key,
            temperature=0, max_tokens=MAX_TOKENS, max_retries=0, stream_usage=False,
            timeout=httpx.Timeout(settings.llm_timeout, connect=settings.llm_connect_timeout),
        )

    # -- follow-ups ---------------------------------------------------------------
    def rewrite(self, question: str, history: list[str]) -> str:
        """The follow-up as a standalone question; the deterministic rewrite when the model fails."""
        if not history:
            return question
        try:
            reply = "".join(self._pieces(rewrite_messages(question, history), stream=False))
            return self._standalone(reply)
        except LLMUnavailable as exc:
            log.warning("LLM rewrite unavailable (%s): deterministic rewrite", exc.reason)
            return rewrite_without_model(question, history)

    def _standalone(self, reply: str) -> str:
        lines = [line for line in (clean_question(x) for x in reply.splitlines()) if line]
        if not lines:
            raise LLMUnavailable("empty")
        line = re.sub(r"^(?:standalone question|question)\s*:\s*", "", lines[0], flags=re.I).strip("\"'«» ")
        if not line:
            raise LLMUnavailable("empty")
        if len(line) > self.settings.max_question_chars:
            raise LLMUnavailable("malformed")
        if echoes_prompt(line):
            raise LLMUnavailable("echo")
        return line

    # -- answers --------------------------------------------------------------------
    def answer(self, base: Answer, documents: Mapping[str, DocumentInfo],
               first_sentence_of: Callable[[Passage], str] = first_sentence) -> Answer:
        """The model's verified answer, or `base` with a notice."""
        pieces = self.stream(base, documents, first_sentence_of)
        while True:
            try:
                next(pieces)
            except StopIteration as done:
                return done.value

    def stream(self, base: Answer, documents: Mapping[str, DocumentInfo],
               first_sentence_of: Callable[[Passage], str] = first_sentence) -> Iterator[str]:
        """Yield each verified sentence as soon as the model has finished it; return the Answer.

        Used as ``final = yield from llm.stream(base, documents)``: the passages are the
        base answer's hits, ``documents`` names them. Sentences are checked
        before they are shown, so pieces come a sentence at a time, not a token at a time.
        """
        passages = [h.passage for h in base.hits]
        if not passages:
            return base
        docs = [documents.get(p.doc_id) for p in passages]
        check = Verifier(passages, docs, base.language)
        buffer, seen, shown = "", 0, False
        try:
            for piece in self._pieces(answer_messages(base.question, passages, docs, base.language), stream=True):
                buffer += piece
                settled = split_sentences(buffer, final=False)[:-1]  # the last one may go on
                for separator, sentence in settled[seen:]:
                    seen += 1
                    if (text := check.add(separator, sentence)) is not None:
                        shown = True
                        yield text
            for separator, sentence in split_sentences(buffer)[seen:]:
                if (text := check.add(separator, sentence)) is not None:
                    shown = True
                    yield text
            if echoes_prompt(buffer):
                raise LLMUnavailable("echo")
            final = check.answer(base, first_sentence_of=first_sentence_of)
        except LLMUnavailable as exc:
            log.warning("LLM answer unavailable (%s): extractive answer instead; dropped: %s",
                        exc.reason, check.dropped)
            fallback = messages.t(base.language, "fallback", reason=exc.describe(base.language))
            base.notice = f"{fallback} {base.notice}" if base.notice else fallback
            yield ("\n\n" if shown else "") + base.notice + "\n\n"
            yield from re.findall(r"\S+\s*", base.text)
            return base
        if check.dropped:
            log.info("LLM answer: dropped %s", check.dropped)
        if base.pointers:  # our own words, as in the extractive answer
            see_also = messages.see_also(base.language, base.pointers)
            final.text += "\n\n" + see_also
            yield "\n\n" + see_also
        return final

    # -- the call, under a deadline --------------------------------------------------
    def _pieces(self, prompt: list[BaseMessage], stream: bool) -> Iterator[str]:
        """The reply's text as it arrives; LLMUnavailable on error or past the deadline.

        The HTTP client's timeouts bound each read, not the whole reply: a server that
        sends a token every few seconds never trips them. So the call runs in a thread
        and we stop waiting at the deadline; the thread stops at its next chunk.
        """
        deadline = time.monotonic() + self.deadline
        inbox: queue.Queue = queue.Queue()
        stop = threading.Event()

        def call() -> None:
            try:
                if stream:
                    for chunk in self.chat.stream(prompt):
                        if stop.is_set():
                            return
                        inbox.put(("text", _content(chunk.content)))
                else:
                    inbox.put(("text", _content(self.chat.invoke(prompt).content)))
                inbox.put(("end", None))
            except Exception as exc:  # noqa: BLE001 - handed over to the caller, which falls back
                inbox.put(("error", exc))

        threading.Thread(target=call, name="llm-call", daemon=True).start()
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LLMUnavailable("timeout")
                try:
                    kind, value = inbox.get(timeout=remaining)
                except queue.Empty:
                    raise LLMUnavailable("timeout") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise LLMUnavailable(failure_reason(value)) from value
                if value:
                    yield value
        finally:
            stop.set()


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
        return "timeout"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
        return "connection"
    return "malformed"  # undecodable JSON or SSE, a reply without choices, …


def _content(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)
    raise LLMUnavailable("malformed")
