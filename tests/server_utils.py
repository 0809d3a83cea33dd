"""Run an ASGI app under a real uvicorn server on a free loopback port, in a thread."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from tests.conftest import free_port


@contextmanager
def running_server(app, ready_timeout: float = 120.0, wait_ready: bool = True) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and yield its base URL once /health says ready.

    >>> with running_server(make_app(settings, assistant)) as url:   # doctest: +SKIP
    ...     httpx.get(f"{url}/health").json()["ready"]
    True
    """
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
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
