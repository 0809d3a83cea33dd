"""The door of the server, for every route (Gradio's too), in this order:

1. the ``Host`` header, when the server listens on loopback: only localhost,
   127.0.0.1 and [::1] with our port, plus ``allowed_hosts`` (a page on another
   site whose name was rebound to 127.0.0.1 is turned away);
2. the access policy (``access``): closed routes, the API key or session, the admin key or
   admin session (an unsigned browser is sent to the sign-in form of the page it asked for);
3. HEAD and OPTIONS on our JSON routes;
4. the per-client rate limit;
5. the body: read here, in chunks, within ``max_body_kb`` (413 as soon as it is
   over, before it is all sent) and within ``read_timeout`` seconds (408), then
   handed on; nothing waits for a body while holding anything;
6. a bound on answers in flight (beyond it: 503 at once rather than a hung request),
   taken only once the body is complete; a streamed answer holds it to its last byte.

One ASGI middleware, so a refused request never reaches the thread pool or Gradio.
"""
from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from terms.settings import Settings

from .access import ADMIN_SESSION, COOKIE, Policy, Refused
from .errors import error_json, send_error, translated

log = logging.getLogger("server")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
LOOPBACK_BINDS = ("localhost", "127.0.0.1", "::1", "[::1]")


class RateLimiter:
    """At most ``per_minute`` requests per key in any sliding minute."""

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        """0 when the request may pass (and counts it), else seconds to wait.

        >>> limiter = RateLimiter(2)
        >>> [limiter.check("a", now=t) for t in (0, 1, 2)], limiter.check("b", now=2)
        ([0.0, 0.0, 58.0], 0.0)
        """
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return seen[0] + self.window - now
            seen.append(now)
            if len(self._seen) > 10_000:  # forget idle clients
                for k in [k for k, v in self._seen.items() if not v or v[-1] <= now - self.window]:
                    del self._seen[k]
            return 0.0


class InFlight:
    """A non-blocking counter of answers being computed or queued."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._slots = threading.BoundedSemaphore(capacity)

    def try_enter(self) -> bool:
        return self._slots.acquire(blocking=False)

    def leave(self) -> None:
        self._slots.release()


class Hosts:
    """Which ``Host`` headers the server answers.

    >>> hosts = Hosts("127.0.0.1", ["terms.example.com"])
    >>> [hosts.allows(h, 7860) for h in ("127.0.0.1:7860", "localhost:7860", "[::1]:7860", "terms.example.com")]
    [True, True, True, True]
    >>> [hosts.allows(h, 7860) for h in ("evil.example:7860", "localhost:9999", None)]
    [False, False, False]
    >>> Hosts("0.0.0.0", []).allows("anything", 7860)
    True
    """

    def __init__(self, bind_host: str, allowed: list[str]) -> None:
        self.allowed = {h.strip().lower() for h in allowed if h.strip()}
        # Off a loopback interface the server is meant to be reached by other names;
        # the check then holds only if names are configured.
        self.enforced = bind_host.lower() in LOOPBACK_BINDS or bind_host.startswith("127.") or bool(self.allowed)

    def allows(self, host: str | None, port: int | None) -> bool:
        if not self.enforced:
            return True
        if not host:
            return False
        host = host.strip().lower()
        name, _, given_port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        if not name:  # no port given
            name, given_port = host, ""
        if name in LOOPBACK_NAMES and given_port in ("", str(port)):
            return True
        return host in self.allowed or name in self.allowed


class Gate:
    """ASGI middleware: the whole door (see the module docstring)."""

    def __init__(self, app, settings: Settings, capacity: int,
                 methods_for: Callable[[str], set[str]] | None = None, policy: Policy | None = None) -> None:
        self.app = app
        self.policy = policy or Policy(settings.api_key, settings.admin_key)
        self.hosts = Hosts(settings.host, settings.allowed_hosts)
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self.in_flight = InFlight(capacity)
        self.max_body = settings.max_body_kb * 1024
        self.read_timeout = settings.read_timeout
        self.methods_for = methods_for or (lambda path: set())

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        path = scope.get("path", "")
        rule = self.policy.rule(path)
        try:
            port = (scope.get("server") or (None, None))[1]
            if not self.hosts.allows(headers.get("host"), port):
                raise Refused(400, "bad host", f"this server does not answer for Host {headers.get('host')!r}; "
                              "to serve another name, add it to TERMS_ALLOWED_HOSTS")
            client = (scope.get("client") or ("?", 0))[0]
            who = self.policy.identify(rule, path, client, _bearer(headers), _cookie(headers, COOKIE),
                                       admin_cookie=_cookie(headers, ADMIN_SESSION.cookie))
        except Refused as refused:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            if refused.status == 401 and path == "/" and scope.get("method") == "GET":
                return await _redirect(send, "/login")  # the chat page, when the API key is set
            if refused.status in (401, 403) and path in ("/quality", "/quality/") and scope.get("method") == "GET":
                return await _redirect(send, "/quality/login")  # the review page: its form says what is missing
            return await send_error(send, refused.status, refused.error, refused.detail, refused.headers,
                                    body=scope.get("method") != "HEAD")
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)

        method = scope.get("method", "GET")
        head = rule.ours and method == "HEAD"
        if rule.ours and method == "OPTIONS":
            return await self._options(path, send)
        if rule.counted:
            wait = self.limiter.check(who)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                return await send_error(send, 429, "rate limited", f"at most {self.limiter.per_minute} requests per "
                                        f"minute; retry in {seconds} s", {"retry-after": str(seconds)}, body=not head)
        if _has_body(headers):
            try:
                body = await self._read_body(receive, headers)
            except Refused as refused:
                return await send_error(send, refused.status, refused.error, refused.detail, refused.headers)
            except _ClientGone:
                return None
            receive = _replay(body, receive)
        if head:  # answered like GET, without the body
            scope, send = {**scope, "method": "GET"}, _without_body(send)
        elif not rule.ours:
            return await self._gradio(scope, receive, send)
        if rule.heavy and method == "POST":
            if not self.in_flight.try_enter():
                return await send_error(send, 503, "busy", f"{self.in_flight.capacity} answers are already in "
                                        "progress; retry shortly", {"retry-after": "2"})
            try:
                return await self.app(scope, receive, send)
            finally:
                self.in_flight.leave()
        return await self.app(scope, receive, send)

    async def _gradio(self, scope, receive, send) -> None:
        """Routes that are not our JSON API (Gradio's, the page): their error responses
        leave in our shape, their crashes as our 500."""
        translating = _Translating(send)
        try:
            await self.app(scope, receive, translating)
        except Exception:  # Gradio re-raises after sending its own 500: log it once, answer ours
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if not translating.started:
                await send_error(send, 500, "internal error", "the server failed on this request; it is logged")

    async def _read_body(self, receive, headers: dict[str, str]) -> bytes:
        """The whole body, or Refused: 413 past ``max_body`` (announced or sent), 408 past
        ``read_timeout``; the connection is then closed."""
        limit, kb = self.max_body, self.max_body // 1024
        close = {"connection": "close"}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Refused(413, "request too large", f"the body is over {kb} KB (TERMS_MAX_BODY_KB)", close)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.read_timeout
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise Refused(408, "request timeout", f"the body did not arrive within {self.read_timeout:g} s",
                              close) from None
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise Refused(413, "request too large", f"the body is over {kb} KB (TERMS_MAX_BODY_KB)", close)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _options(self, path: str, send) -> None:
        methods = self.methods_for(path)
        if not methods:
            return await send_error(send, 404, "not found", f"no route OPTIONS {path}")
        await send({"type": "http.response.start", "status": 204,
                    "headers": [(b"allow", ", ".join(sorted(methods)).encode())]})
        await send({"type": "http.response.body", "body": b""})


class _ClientGone(Exception):
    """The client hung up while sending its body: there is no one to answer."""


def _headers(scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}


def _has_body(headers: dict[str, str]) -> bool:
    return headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers


def _bearer(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _cookie(headers: dict[str, str], name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _replay(body: bytes, receive):
    """A ``receive`` that hands the body read by the gate, then the client's own
    messages (a disconnect, which streamed answers listen for)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _without_body(send):
    async def headless(message):
        if message["type"] != "http.response.body":
            return await send(message)
        if not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return headless


class _Translating:
    """A ``send`` that rewrites the error responses of routes that are not ours (Gradio's):
    a JSON 4xx into our error shape, any 5xx into our JSON 500."""

    def __init__(self, send) -> None:
        self.send = send
        self.started = False  # a response start went out
        self._held: dict | None = None
        self._chunks: list[bytes] = []

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            status = message["status"]
            kind = dict(message.get("headers", [])).get(b"content-type", b"")
            if status >= 500 or (400 <= status < 500 and kind.startswith(b"application/json")):
                self._held = message
                return
            self.started = True
            return await self.send(message)
        if self._held is None or message["type"] != "http.response.body":
            return await self.send(message)
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        status = self._held["status"]
        body = error_json("internal error", "the server failed on this request; it is logged") if status >= 500 \
            else translated(status, b"".join(self._chunks))
        headers = [(k, v) for k, v in self._held.get("headers", []) if k not in (b"content-length", b"content-type")]
        self.started = True
        await self.send({**self._held, "headers": headers + [(b"content-type", b"application/json"),
                                                             (b"content-length", str(len(body)).encode())]})
        await self.send({"type": "http.response.body", "body": body})


async def _redirect(send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
