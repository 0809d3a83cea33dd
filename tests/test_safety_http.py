"""Safety suite — HTTP at the edge, on a real server: HEAD and OPTIONS on our routes
answer as HTTP says (with our JSON errors), and the Host header is checked, so a page
on another site whose name was rebound to 127.0.0.1 (DNS rebinding) gets nothing.
"""
from __future__ import annotations

import httpx
import pytest

from assistant.server import make_app
from tests.server_utils import running_server


@pytest.fixture(scope="module")
def url(server_settings, assistant):
    settings = server_settings.model_copy(update={"rate_limit_per_minute": 0,
                                                  "allowed_hosts": ["terms.example.com"]})
    with running_server(make_app(settings, assistant=assistant)) as base:
        yield base


@pytest.mark.parametrize("path", ["/api/documents", "/health", "/v1/models"])
def test_head_is_get_without_the_body(url, path):
    get, head = httpx.get(url + path), httpx.head(url + path)
    assert head.status_code == 200 == get.status_code
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_head_where_there_is_no_get(url):
    r = httpx.head(url + "/api/ask")
    assert r.status_code == 405 and r.content == b"" and r.headers["allow"] == "OPTIONS, POST"
    missing = httpx.head(url + "/api/nope")
    assert missing.status_code == 404 and missing.content == b""
    assert missing.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path,allow", [
    ("/api/ask", "OPTIONS, POST"), ("/api/documents", "GET, HEAD, OPTIONS"), ("/health", "GET, HEAD, OPTIONS"),
    ("/v1/chat/completions", "OPTIONS, POST"), ("/api/feedback", "OPTIONS, POST"),
])
def test_options_lists_the_methods(url, path, allow):
    r = httpx.options(url + path)
    assert r.status_code == 204 and r.headers["allow"] == allow and r.content == b""
    assert "access-control-allow-origin" not in r.headers  # no cross-site reader is invited


def test_options_on_an_unknown_route_is_our_404(url):
    r = httpx.options(url + "/api/nope")
    assert r.status_code == 404 and r.json() == {"error": "not found", "detail": "no route OPTIONS /api/nope"}


def test_other_methods_are_our_405(url):
    r = httpx.put(url + "/api/ask", json={})
    assert r.status_code == 405 and r.json()["error"] == "method not allowed" and "POST" in r.headers["allow"]


@pytest.mark.parametrize("path", ["/api/documents", "/", "/gradio_api/info", "/v1/models", "/health"])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}",
                                  "localhost:1", "127.0.0.2:{port}", ""])
def test_foreign_host_headers_are_refused(url, path, host):
    port = url.rsplit(":", 1)[1]
    r = httpx.get(url + path, headers={"host": host.format(port=port)})
    assert r.status_code == 400 and r.json()["error"] == "bad host", (host, r.status_code, r.text[:200])
    assert "TERMS_ALLOWED_HOSTS" in r.json()["detail"]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST:{port}",
                                  "localhost", "terms.example.com", "terms.example.com:{port}"])
def test_loopback_names_and_allowed_hosts_are_served(url, host):
    port = url.rsplit(":", 1)[1]
    assert httpx.get(url + "/api/documents", headers={"host": host.format(port=port)}).status_code == 200
