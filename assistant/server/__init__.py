"""The one server: FastAPI (HTTP API, OpenAI-compatible endpoint, health) with the
Gradio chat mounted at "/".

>>> app = make_app(Settings())                                                      # doctest: +SKIP
>>> uvicorn.Server(serve.uvicorn_config(app, "127.0.0.1", 7860, read_timeout=10)).run()  # doctest: +SKIP
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

    from . import api, login, openai_compat, review, ui
    from .gate import Gate

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
    app.state.settings = settings
    api.install_error_handlers(app)
    routers = [api.health_router(runtime), api.router(runtime), openai_compat.router(runtime)]
    for routes in routers:
        app.include_router(routes)
    app.include_router(login.router(settings))
    app.include_router(review.router(settings, runtime))
    # The one door for every route, Gradio's included (access policy: access.py).
    app.add_middleware(Gate, settings=settings, capacity=capacity, methods_for=api.route_methods(routers))

    demo = ui.build_ui(runtime)
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    # show_error=False: an unexpected exception reaches the page as a plain "Error", not
    # as its text; the messages meant for users are gr.Error and are always shown.
    return gr.mount_gradio_app(app, demo, path="/", footer_links=[], run_history=False, ssr_mode=False,
                               theme=ui.theme(), css=ui.css(), show_error=False)


def _version() -> str:
    from .runtime import package_version

    return package_version()
