"""Run an ASGI app under a real uvicorn server on a free loopback port, in a thread."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from assistant.server.serve import uvicorn_config
from terms.settings import Settings
from tests.conftest import free_port


@contextmanager
def running_server(app, ready_timeout: float = 120.0, wait_ready: bool = True,
                   read_timeout: float | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1, configured as ``python app.py`` serves it, and yield
    its base URL once /health says ready. ``read_timeout``: the app's setting by default.

    >>> with running_server(make_app(settings, assistant)) as url:   # doctest: +SKIP
    ...     httpx.get(f"{url}/health").json()["ready"]
    True
    """
    port = free_port()
    settings = getattr(getattr(app, "state", None), "settings", None) or Settings()
    if read_timeout is None:
        read_timeout = settings.read_timeout
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, read_timeout, settings.trusted_proxies,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        while wait_ready:
            if httpx.get(f"{url}/health", timeout=5).json()["ready"]:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the server never became ready")
            time.sleep(0.2)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
