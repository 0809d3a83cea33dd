"""Start a server process, wait until it says it is ready, stop it: the one loop the
benchmarks and the tests share (``python app.py``, ``chroma run``, …)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def background(command: list[str], ready: Callable[[], bool], log_path: Path, timeout: float,
               env: dict[str, str] | None = None, cwd: Path = ROOT) -> Iterator[subprocess.Popen]:
    """Run ``command`` until the block ends; enter the block once ``ready()`` is true.

    ``ready`` is polled (HTTP errors count as not yet); the process's output goes to
    ``log_path``, whose tail is in the error if it exits or never becomes ready.
    """
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited: {log_path.read_text(errors='replace')[-2000:]}")
            try:
                if ready():
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not become ready in {timeout:.0f} s")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


@contextmanager
def app_server(env: dict[str, str], data_dir: Path | None, ready_timeout: float) -> Iterator[str]:
    """``python app.py`` on a free loopback port; yields its URL once /health says ready.

    ``data_dir`` is copied first (the server writes its audit log there); without it the
    server uses the project's data/ and ingests if it is stale.
    """
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="terms-server-"))
    if data_dir is not None:
        shutil.copytree(data_dir, workdir / "data", ignore=shutil.ignore_patterns("audit.sqlite3*", "ingest.lock"))
        env = {"TERMS_DATA_DIR": str(workdir / "data"), **env}
    url = f"http://127.0.0.1:{port}"
    try:
        with background([sys.executable, "app.py", "--port", str(port)],
                        lambda: bool(httpx.get(f"{url}/health", timeout=2).json().get("ready")),
                        workdir / "server.log", ready_timeout, env=env):
            yield url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def chroma_server(path: Path, log_path: Path, timeout: float = 60.0) -> Iterator[int]:
    """``chroma run`` on a free loopback port; yields the port once its heartbeat answers."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    with background([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                    lambda: httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200,
                    log_path, timeout, env={"ANONYMIZED_TELEMETRY": "False"}):
        yield port
