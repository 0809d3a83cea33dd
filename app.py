"""Serve the terms assistant: chat at "/", HTTP API under /api, OpenAI-compatible /v1.

    python app.py [--host 127.0.0.1] [--port 7860]

Settings come from ``TERMS_*`` environment variables (see terms/settings.py). The
corpus is ingested at start-up, in the background, if the index is missing or stale.
"""
from __future__ import annotations

import argparse
import logging
import sys

from terms import Settings, offline_environment


def make_app(settings: Settings | None = None, assistant=None):
    """The FastAPI app with the Gradio chat mounted at "/"."""
    from assistant.server import make_app as build

    return build(settings or Settings(), assistant)


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", help="interface to listen on (default: TERMS_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: TERMS_PORT or 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    settings = Settings(**overrides)
    import uvicorn

    from assistant.server.serve import uvicorn_config

    logging.getLogger("server").info("serving on http://%s:%d (chat at /, API docs at /docs)",
                                     settings.host, settings.port)
    uvicorn.Server(uvicorn_config(make_app(settings), settings.host, settings.port, settings.read_timeout,
                                  settings.trusted_proxies, log_level="info")).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
