"""Signing the browser in when ``TERMS_API_KEY`` is set.

The chat page cannot send a bearer header, so the key is typed once into a form here;
the server answers with a session cookie (``access.new_session``: HttpOnly,
SameSite=Strict, signed with the key, 12 hours) and the page and its Gradio queue
pass the gate with it. The key never reaches the page's script or its URL. Without an
API key there is nothing to sign in to: /login sends the browser to the chat.
The review page's sign-in (``review.py``) is built from the same parts.
"""
from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from terms.settings import Settings

from .access import USER_SESSION, SessionKind, new_session

STYLE = """body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;background:#f6f7fb}
form{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002;display:grid;gap:.8rem;width:22rem}
input,button{font-size:1rem;padding:.6rem}button{background:#4f46e5;color:#fff;border:0;border-radius:8px}
.error{color:#b91c1c}"""
PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Assistant CGS — connexion</title>
<style>{style}</style></head>
<body><form method="post" action="/login">
<h1>Assistant CGS</h1>
<label for="key">Clé d’accès / Access key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
{error}<button type="submit">Entrer / Enter</button>
</form></body></html>"""
WRONG = '<p class="error" role="alert">Clé incorrecte / Wrong key</p>'


async def posted_key(request: Request) -> str:
    """The ``key`` field of a posted form ("" when absent)."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    return (form.get("key") or [""])[0]


def right_key(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def open_session(response: Response, request: Request, key: str, kind: SessionKind) -> Response:
    """Set a new signed session cookie of ``kind`` on ``response`` (Secure on https)."""
    response.set_cookie(kind.cookie, new_session(key, kind=kind), max_age=kind.seconds, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


def close_session(response: Response, kind: SessionKind) -> Response:
    response.delete_cookie(kind.cookie, path="/", httponly=True, samesite="strict")
    return response


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/login")
    def login_page() -> Response:
        if not settings.api_key:
            return RedirectResponse("/", status_code=303)
        return HTMLResponse(PAGE.format(style=STYLE, error=""))

    @routes.post("/login")
    async def login(request: Request) -> Response:
        if not settings.api_key:
            return RedirectResponse("/", status_code=303)
        if not right_key(await posted_key(request), settings.api_key):
            return HTMLResponse(PAGE.format(style=STYLE, error=WRONG), status_code=401)
        return open_session(RedirectResponse("/", status_code=303), request, settings.api_key, USER_SESSION)

    @routes.get("/logout")
    def logout() -> Response:
        return close_session(RedirectResponse("/login" if settings.api_key else "/", status_code=303), USER_SESSION)

    return routes
