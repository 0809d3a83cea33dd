"""Safety suite — slow and oversized requests, on a real server over real sockets.

A client that announces a large body and sends a few bytes, or dribbles its request
headers, must not hold anything an honest question needs: bodies are read by the
gate within ``read_timeout`` and ``max_body_kb`` before an answer slot is taken, and
request heads have the same deadline in the server's protocol.
"""
from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from assistant.server import make_app
from tests.server_utils import running_server

QUESTION = "Quel est le délai de paiement des factures ?"
SLOW = 100  # more than the server's answer slots (concurrency_limit + max_queue = 72)
READ_TIMEOUT = 6.0


@pytest.fixture(scope="module")
def url(server_settings, assistant):
    settings = server_settings.model_copy(update={"read_timeout": READ_TIMEOUT, "rate_limit_per_minute": 0})
    with running_server(make_app(settings, assistant=assistant)) as base:
        yield base


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def open_request(port: int, head: str, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head.encode() + body)
    return sock


def post_head(port: int, path: str, length: int) -> str:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n")


def response_of(sock: socket.socket, timeout: float) -> tuple[int, dict]:
    """(status, JSON body) of the response on ``sock``; (0, {}) if it closed without one."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    if not data:
        return 0, {}
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), (json.loads(body) if body.strip() else {})


def test_slow_bodies_do_not_lock_honest_questions_out(url):
    port = port_of(url)
    slow = [open_request(port, post_head(port, path, 60_000), b'{"question')  # under the size limit, never sent
            for path in ["/api/ask", "/v1/chat/completions"] * (SLOW // 2)]
    try:
        time.sleep(0.5)
        r = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
        assert r.status_code == 200, r.text  # not 503 "busy": the slow clients hold no answer slot
        v1 = httpx.post(f"{url}/v1/chat/completions", timeout=30,
                        json={"messages": [{"role": "user", "content": QUESTION}]})
        assert v1.status_code == 200, v1.text
        assert "30 jours" in r.json()["text"] and "30 jours" in v1.json()["choices"][0]["message"]["content"]
        slow[-1].setblocking(False)
        with pytest.raises(BlockingIOError):  # answered while the slow clients were still waiting
            slow[-1].recv(1)
        slow[-1].setblocking(True)
        # Then each slow client is told its body did not come, and let go.
        statuses = {response_of(sock, READ_TIMEOUT + 5)[0] for sock in slow}
        assert statuses == {408}, statuses
    finally:
        for sock in slow:
            sock.close()


def test_a_body_announced_too_large_is_refused_before_it_is_sent(url):
    port = port_of(url)
    sock = open_request(port, post_head(port, "/api/ask", 50_000_000), b'{"question": "')
    try:
        started = time.perf_counter()
        status, body = response_of(sock, 5)
        assert status == 413 and body["error"] == "request too large" and "64 KB" in body["detail"], body
        assert time.perf_counter() - started < 2
    finally:
        sock.close()


def test_a_chunked_body_is_cut_off_at_the_limit(url):
    """No length announced: the gate counts as it reads, and stops at the limit."""
    port = port_of(url)
    head = (f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    sock = open_request(port, head)
    chunk = b'{"question": "' + b"x" * 16_000
    try:
        for _ in range(5):  # 80 KB in 16 KB chunks, never terminated
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        status, body = response_of(sock, 5)
        assert status == 413 and body["error"] == "request too large", body
    finally:
        sock.close()


def test_a_large_body_gets_our_json_413(url):
    r = httpx.post(f"{url}/api/ask", timeout=30, content=json.dumps({"question": "x" * 100_000}),
                   headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "request too large"
    g = httpx.post(f"{url}/gradio_api/queue/join", timeout=30, content=b"[" + b"1," * 40_000 + b"1]",
                   headers={"content-type": "application/json"})
    assert g.status_code == 413 and g.json()["error"] == "request too large"  # Gradio's routes too


def test_a_slow_request_head_is_closed(url):
    port = port_of(url)
    sock = open_request(port, f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ")
    idle = socket.create_connection(("127.0.0.1", port), timeout=30)  # connects, sends nothing
    try:
        started = time.perf_counter()
        sock.settimeout(READ_TIMEOUT + 5)
        assert sock.recv(100) == b""  # closed by the server, no response
        idle.settimeout(READ_TIMEOUT + 5)
        assert idle.recv(100) == b""
        assert time.perf_counter() - started < READ_TIMEOUT + 3
    finally:
        sock.close()
        idle.close()
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200
