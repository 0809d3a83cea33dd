"""The one server: FastAPI (HTTP API, OpenAI-compatible endpoint, health) with the
Gradio chat mounted at "/".

>>> app = make_app(Settings())          # doctest: +SKIP
>>> uvicorn.run(app, port=7860)         # doctest: +SKIP
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from terms.settings import Settings

from ..core import Assistant
from .runtime import NotReady, Runtime

__all__ = ["NotReady", "Runtime", "make_app"]


def make_app(settings: Settings, assistant: Assistant | None = None):
    """Build the app. With no ``assistant``, one is prepared in a background thread at
    start-up (ingesting first if the index is missing or stale); /health says
    ``"ready": false`` until it can answer."""
    import anyio.to_thread
    import gradio as gr
    from fastapi import FastAPI

    from . import api, openai_compat, ui
    from .gate import ApiGate

    runtime = Runtime(settings, assistant)
    capacity = settings.concurrency_limit + settings.max_queue

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Sync routes and Gradio callbacks share this pool: room for every admitted answer.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, capacity + 8)
        runtime.start()
        yield

    app = FastAPI(
        title="Terms assistant",
        version=_version(),
        summary="Questions about High Connexion's contract terms, answered with exact clause citations.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    api.install_error_handlers(app)
    app.include_router(api.health_router(runtime))
    app.include_router(api.router(runtime))
    app.include_router(openai_compat.router(runtime))
    app.add_middleware(ApiGate, api_key=settings.api_key, rate_limit_per_minute=settings.rate_limit_per_minute,
                       capacity=capacity)

    demo = ui.build_ui(runtime)
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    return gr.mount_gradio_app(app, demo, path="/", footer_links=[], run_history=False, ssr_mode=False,
                               theme=ui.theme(), css=ui.css(), show_error=True)


def _version() -> str:
    from .runtime import package_version

    return package_version()
