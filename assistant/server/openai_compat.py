"""An OpenAI-compatible endpoint, so any OpenAI client or chat front-end can ask.

``POST /v1/chat/completions`` and ``GET /v1/models`` (one model, ``terms-assistant``).

- The **last user message is the question**; the earlier user messages are the
  history, under the server's one history rule (``Runtime.check``: the latest
  ``max_history_turns`` kept, each checked like a question). System and assistant
  messages are ignored: the answer comes from the terms, not from instructions.
  ``content`` may be a string or a list of ``{"type": "text", "text": ...}`` parts.
- The answer text ends with a sources list::

      Selon l'article 3 (Règlement) des CGS : « … payables à 30 jours … »

      Sources:
      [1] CGS art. 3 — Règlement, p. 1, 2 — https://www.highconnexion.com/

- The structured citations (the objects of ``POST /api/ask``) travel in an extra
  top-level field ``citations`` of the response, and of the final chunk of a stream,
  with ``terms`` holding ``abstained``, ``confidence``, ``language``, ``mode``,
  ``pointers`` and the audit ``answer_id``. With the official client::

      from openai import OpenAI
      client = OpenAI(base_url="http://127.0.0.1:7860/v1", api_key="<TERMS_API_KEY or anything>")
      r = client.chat.completions.create(model="terms-assistant",
                                         messages=[{"role": "user", "content": "Délai de paiement ?"}])
      r.choices[0].message.content, r.model_extra["citations"]

- ``stream=True`` sends server-sent events of ``chat.completion.chunk`` objects: a
  first chunk with the role, content deltas as the answer is written, the sources
  list, a last chunk with ``finish_reason: "stop"`` and the citations, then
  ``data: [DONE]``.
- ``usage`` counts are approximate (whitespace-separated words).
- Other request fields (temperature, max_tokens…) are accepted and ignored.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from terms.errors import BadQuestion

from .api import add_not_found, answer_body
from .formatting import sources_text
from .runtime import Answered, Runtime

MODEL_ID = "terms-assistant"


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[str]]:
    """(question, history): the last user message, and the user messages before it.

    >>> split_messages([ChatMessage(role="user", content="a"), ChatMessage(role="assistant", content="b"),
    ...                 ChatMessage(role="user", content=[{"type": "text", "text": "c"}])])
    ('c', ['a'])
    """
    users = [m.text() for m in messages if m.role == "user"]
    if not users:
        raise BadQuestion("no user message: the last user message is the question")
    return users[-1], users[:-1]


def _usage(question: str, history: list[str], text: str) -> dict:
    prompt = sum(len(x.split()) for x in [question, *history])
    completion = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def router(runtime: Runtime) -> APIRouter:
    v1 = APIRouter(prefix="/v1", tags=["openai-compatible"])

    @v1.get("/models", summary="The one model: terms-assistant")
    def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0,
                                            "owned_by": "high-connexion-terms"}]}

    @v1.post("/chat/completions", summary="Answer the last user message (OpenAI chat completions format)")
    def chat_completions(request: ChatRequest):
        question, history = split_messages(request.messages)
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not request.stream:
            answered = runtime.answer("openai", question, history)
            text = answered.answer.text + sources_text(answered.answer.citations, answered.urls)
            return {
                "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": _usage(answered.question, answered.history, text),
                **_extras(answered),
            }
        # Checked and retrieved now: a refusal is an HTTP error, not a broken stream.
        pieces = runtime.stream("openai", question, history)
        return StreamingResponse(_sse(pieces, completion_id, created), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    add_not_found(v1)
    return v1


def _extras(answered: Answered) -> dict:
    body = answer_body(answered)
    terms = {k: body[k] for k in ("answer_id", "abstained", "confidence", "language", "mode", "notice", "pointers",
                                  "latency_ms")}
    return {"citations": body["citations"], "terms": terms}


def _sse(pieces: Iterator[str | Answered], completion_id: str, created: int) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        data = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for item in pieces:
        if isinstance(item, Answered):
            answer = item.answer
            sources = sources_text(answer.citations, item.urls)
            if sources:
                yield chunk({"content": sources})
            yield chunk({}, "stop", usage=_usage(item.question, item.history, answer.text + sources), **_extras(item))
        else:
            yield chunk({"content": item})
    yield "data: [DONE]\n\n"
