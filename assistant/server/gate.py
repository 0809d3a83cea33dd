"""The door of the HTTP API: bearer-token auth, a per-client rate limit, and a
bound on answers in flight (beyond it: 503 at once rather than a hung request).

One ASGI middleware, so a refused request never reaches the thread pool, and the
in-flight slot of a streamed answer is held until its last byte is sent.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
import time
from collections import deque

GUARDED = ("/api/", "/v1/")
HEAVY = ("/api/ask", "/v1/chat/completions")


class RateLimiter:
    """At most ``per_minute`` requests per key in any sliding minute."""

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        """0 when the request may pass (and counts it), else seconds to wait."""
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


class ApiGate:
    """ASGI middleware guarding /api/* and /v1/*."""

    def __init__(self, app, api_key: str | None, rate_limit_per_minute: int, capacity: int,
                 guarded: tuple[str, ...] = GUARDED, heavy: tuple[str, ...] = HEAVY) -> None:
        self.app = app
        self.api_key = api_key
        self.limiter = RateLimiter(rate_limit_per_minute)
        self.in_flight = InFlight(capacity)
        self.guarded = guarded
        self.heavy = heavy

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.guarded):
            return await self.app(scope, receive, send)
        token = _bearer(scope)
        if self.api_key and not (token and hmac.compare_digest(token.encode(), self.api_key.encode())):
            return await _error(send, 401, "unauthorized", "a valid `Authorization: Bearer <key>` header is required",
                                {"www-authenticate": "Bearer"})
        client = (scope.get("client") or ("?", 0))[0]
        key = client + ":" + hashlib.sha256((token or "").encode()).hexdigest()[:12]
        wait = self.limiter.check(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            return await _error(send, 429, "rate limited",
                                f"at most {self.limiter.per_minute} requests per minute; retry in {seconds} s",
                                {"retry-after": str(seconds)})
        if scope.get("method") == "POST" and path.rstrip("/") in self.heavy:
            if not self.in_flight.try_enter():
                return await _error(send, 503, "busy",
                                    f"{self.in_flight.capacity} answers are already in progress; retry shortly",
                                    {"retry-after": "2"})
            try:
                return await self.app(scope, receive, send)
            finally:
                self.in_flight.leave()
        return await self.app(scope, receive, send)


def _bearer(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


async def _error(send, status: int, error: str, detail, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": error, "detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
