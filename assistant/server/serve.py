"""How the server listens: uvicorn, with a deadline on request headers.

uvicorn closes idle keep-alive connections, but a connection that opens and then
sends its request line and headers a byte at a time is kept forever; enough of them
exhaust the process's file descriptors. Here a connection must send a complete
request head within ``read_timeout`` seconds of opening (or of its first byte, for
the next request on a kept-alive connection), or it is closed. The body has its own
deadline, in the gate.

>>> server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", 7860, read_timeout=10))   # doctest: +SKIP
"""
from __future__ import annotations

import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections that are too slow to send a request head."""

    head_timeout: float = 10.0
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._head_deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # the head is in: the request runs
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.head_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _too_slow(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def uvicorn_config(app, host: str, port: int, read_timeout: float, trusted_proxies: str = "",
                   **options) -> uvicorn.Config:
    """The uvicorn configuration every server of the project runs with (the app, the
    tests, the benchmarks): h11 with the head deadline, short keep-alive, and
    X-Forwarded-For believed only from ``trusted_proxies`` (uvicorn believes it from
    127.0.0.1 by default: any local client could then pick the address it is limited as)."""
    protocol = type("HeadDeadline", (HeadDeadlineProtocol,), {"head_timeout": read_timeout})
    proxies = ",".join(p.strip() for p in trusted_proxies.split(",") if p.strip())
    options.setdefault("proxy_headers", bool(proxies))
    if proxies:
        options.setdefault("forwarded_allow_ips", proxies)
    options.setdefault("timeout_keep_alive", 5)
    options.setdefault("h11_max_incomplete_event_size", 16 * 1024)  # request line and headers
    return uvicorn.Config(app, host=host, port=port, http=protocol, **options)
