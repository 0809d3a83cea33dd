"""A small, real OpenAI-compatible HTTP server whose "model" follows a script.

It speaks the parts of the protocol our client uses: ``GET /v1/models`` and
``POST /v1/chat/completions``, as one JSON body or, with ``"stream": true``, as
server-sent events (``data: {chunk}`` … ``data: [DONE]``). Each completion request
takes the next scripted :class:`Reply` (the default one when the script is empty)
and every request is recorded, so a test can assert what the prompt contained.

>>> with FakeOpenAI() as server:                                  # doctest: +SKIP
...     server.script(say("Les factures sont payables à 30 jours [1]."), hang(10))
...     settings = settings.model_copy(update={"llm_base_url": server.url})
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "fake-model"


@dataclass(frozen=True)
class Reply:
    """What the fake model does with one request.

    kind: "say" (the given text), "echo" (quote the first sentence of passage
    ``passage`` and cite it as ``[marker or passage]``), "obey" (follows a
    "90 days / 90 jours" injection found in the prompt, else echoes), "hang" (sleeps
    ``seconds`` before answering), "error" (HTTP ``status``), "malformed" (a body
    that is not JSON). ``delay`` is the pause between streamed words: a "slow" model.
    """

    kind: str = "echo"
    text: str = ""
    passage: int = 1
    marker: int | None = None
    delay: float = 0.0
    seconds: float = 30.0
    status: int = 500


def say(text: str, delay: float = 0.0) -> Reply:
    return Reply("say", text=text, delay=delay)


def echo(passage: int = 1, marker: int | None = None, delay: float = 0.0) -> Reply:
    return Reply("echo", passage=passage, marker=marker, delay=delay)


def obey_injections() -> Reply:
    return Reply("obey")


def hang(seconds: float = 30.0) -> Reply:
    return Reply("hang", seconds=seconds)


def http_error(status: int = 500) -> Reply:
    return Reply("error", status=status)


def malformed() -> Reply:
    return Reply("malformed")


def slow(every: float = 1.5, words: int = 40) -> Reply:
    """One word every `every` seconds: a stream that never stalls long enough for a read timeout."""
    text = " ".join(["Les factures sont payables à trente jours"] * (words // 6 + 1)) + " [1]."
    return Reply("say", text=text, delay=every)


INJECTION = re.compile(r"90\s*(?:days|jours)", re.IGNORECASE)
INJECTED_ANSWER = "Le délai de paiement est de 90 jours [1]."


def prompt_text(body: dict) -> str:
    """All the message contents of a chat request, one after the other."""
    parts = []
    for message in body.get("messages", []):
        content = message.get("content", "")
        if isinstance(content, list):  # content parts
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        parts.append(str(content))
    return "\n".join(parts)


def passages_in(prompt: str) -> dict[int, str]:
    """The numbered passages of a prompt: "[n] label" on one line, the passage text below."""
    found = {}
    for m in re.finditer(r"^\[(\d+)\][^\n]*\n(.*?)(?=^\[\d+\]|^</|\Z)", prompt, re.M | re.S):
        found[int(m.group(1))] = m.group(2).strip()
    return found


def first_sentence(text: str) -> str:
    m = re.match(r".+?[.;:](?=\s|$)", text, re.S)
    return " ".join((m.group() if m else text).split())


class FakeOpenAI:
    """The running server; `url` is the base URL to give an OpenAI client."""

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or echo()
        self.requests: list[dict] = []  # {"method", "path", "body"} for every request
        self.replies: list[str] = []  # the text each completion answered (before any mangling)
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a hanging reply must not hold up close()
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply) -> "FakeOpenAI":
        """Queue the replies for the next completion requests (replacing any left over)."""
        with self._lock:
            self._script = deque(replies)
        return self

    def completions(self) -> list[dict]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.replies.clear()

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FakeOpenAI":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the fake model ---------------------------------------------------------
    def _next(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _text(self, reply: Reply, body: dict) -> str:
        prompt = prompt_text(body)
        if reply.kind == "say":
            return reply.text
        if reply.kind == "obey" and INJECTION.search(prompt):
            return INJECTED_ANSWER
        passages = passages_in(prompt)
        sentence = first_sentence(passages.get(reply.passage, ""))
        lead = "Under the terms:" if "Answer in English" in prompt else "Selon les conditions :"
        return f"{lead} « {sentence} » [{reply.marker or reply.passage}]."

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server closes first; True when it slept the whole time."""
        return not self._closing.wait(seconds)


def _handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the body ends when the connection closes: simplest SSE

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            server.requests.append({"method": "GET", "path": self.path, "body": None})
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list",
                                 "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "tests"}]})
            else:
                self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"unparsed": raw.decode("utf-8", "replace")}
            server.requests.append({"method": "POST", "path": self.path, "body": body})
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                return
            reply = server._next()
            try:
                self._complete(reply, body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its deadline): nothing to do

        def _complete(self, reply: Reply, body: dict) -> None:
            if reply.kind == "hang" and not server._sleep(reply.seconds):
                return
            if reply.kind == "error":
                self._json(reply.status, {"error": {"message": "scripted failure", "type": "server_error"}})
                return
            stream = bool(body.get("stream"))
            if reply.kind == "malformed":
                self._raw(200, "text/event-stream" if stream else "application/json",
                          b'data: {"choices": [{"delta": {"content": "Les fac\n\n' if stream
                          else b'{"id": "chatcmpl-fake", "choices": [{"message": ')
                return
            text = server._text(reply, body)
            server.replies.append(text)
            if stream:
                self._stream(text, body, reply.delay)
            else:
                server._sleep(reply.delay)
                self._json(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", MODEL),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": len(prompt_text(body).split()),
                              "completion_tokens": len(text.split()), "total_tokens": 0},
                })

        def _stream(self, text: str, body: dict, delay: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()

            def chunk(delta: dict, finish: str | None = None) -> None:
                data = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": body.get("model", MODEL),
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                self.wfile.write(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()

            chunk({"role": "assistant", "content": ""})
            for i, word in enumerate(re.findall(r"\S+\s*", text)):
                if i and delay and not server._sleep(delay):
                    return
                chunk({"content": word})
            chunk({}, "stop")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _json(self, status: int, data: dict) -> None:
            self._raw(status, "application/json", json.dumps(data, ensure_ascii=False).encode())

        def _raw(self, status: int, content_type: str, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()

    return Handler
