"""The review page for quality staff: the answers that need a look, in the browser.

``/quality`` lists what ``GET /api/quality`` lists (rated down, abstained on, low
confidence, with the user's comment), newest first, as a server-rendered table; the
checked rows leave as eval cases through ``/api/quality/cases.jsonl`` (a plain GET form:
no script on the page). A browser cannot send the admin key as a bearer header, so
staff type it once at ``/quality/login`` and get an admin session cookie
(``access.ADMIN_SESSION``); the gate lets only the admin key or that cookie reach
``/quality`` and sends anyone else here to sign in.

Every string in the table comes from users (questions, comments) or from the answers
built on them: all of it is escaped, and the page's content security policy allows no
script at all, so a missed escape could still not run one.
"""
from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from terms.settings import Settings

from .access import ADMIN_SESSION
from .login import STYLE, WRONG, close_session, open_session, posted_key, right_key
from .runtime import Runtime

EXCERPT_CHARS = 160
# No script, no frames, no other origin: the page is text, a table and two forms.
HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}
WHY = {"rated down": "mal notée / rated down", "abstained": "abstention / abstained",
       "low confidence": "confiance faible / low confidence"}

HEAD = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Assistant CGS — {title}</title>
<style>{style}</style></head>
"""
SIGN_IN = HEAD + """<body><form method="post" action="/quality/login">
<h1>Réponses à revoir <small lang="en">Answers to review</small></h1>
<label for="key">Clé d’administration / Admin key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
{error}<button type="submit">Entrer / Enter</button>
</form></body></html>"""
OFF = HEAD + """<body><main>
<h1>Réponses à revoir <small lang="en">Answers to review</small></h1>
<p>Cette page est désactivée : définissez la clé d’administration (<code>TERMS_ADMIN_KEY</code>) sur le serveur.</p>
<p lang="en">This page is off: set the admin key (<code>TERMS_ADMIN_KEY</code>) on the server.</p>
</main></body></html>"""
TABLE_STYLE = """body{font-family:system-ui,sans-serif;background:#f6f7fb;margin:0;padding:1.5rem;color:#111827}
main{background:#fff;padding:1.5rem 2rem;border-radius:12px;box-shadow:0 2px 12px #0002;max-width:80rem;margin:auto}
h1{margin:0 0 .3rem;font-size:1.4rem}h1 small,th small{font-weight:400;color:#6b7280}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}
nav{display:flex;gap:1rem}a{color:#4f46e5}.meta{color:#4b5563;margin:.2rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}caption{text-align:left;color:#4b5563;padding:.4rem 0}
th,td{border-bottom:1px solid #e5e7eb;padding:.5rem;text-align:left;vertical-align:top}
thead th{background:#f3f4f6;font-size:.8rem}tbody th{font-weight:600}
table{table-layout:fixed}.text{overflow-wrap:break-word}td.num{text-align:right;font-variant-numeric:tabular-nums}
.why{display:inline-block;font-size:.75rem;padding:1px 7px;border-radius:999px;background:#fef3c7;color:#92400e;
margin:0 .2rem .2rem 0}.why.down{background:#fee2e2;color:#991b1b}
.empty{color:#6b7280}button{font-size:1rem;padding:.6rem 1rem;background:#4f46e5;color:#fff;border:0;
border-radius:8px;margin-top:1rem;cursor:pointer}input[type=number]{width:5rem;padding:.3rem}
.w-pick{width:4%}.w-when{width:9%}.w-question{width:19%}.w-lang{width:6.5%}.w-answer{width:24.5%}.w-why{width:12%}
.w-conf{width:9%}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
th,td{padding:.45rem .4rem}.limit button{margin:0 0 0 .4rem;padding:.3rem .7rem;font-size:.9rem}input[type=checkbox]{width:1.1rem;height:1.1rem}"""
PAGE = HEAD + """<body><main>
<header><h1>Réponses à revoir <small lang="en">Answers to review</small></h1>
<nav><a href="/api/quality/cases.jsonl?limit={limit}">Tout exporter en cas d’éval (JSONL) / Export all</a>
<a href="/quality/logout">Se déconnecter / Sign out</a></nav></header>
<p class="meta">Mal notées, abstentions ou confiance faible, les plus récentes d’abord.
<span lang="en">Rated down, abstained on or answered with low confidence, newest first.</span></p>
<form class="limit" method="get" action="/quality"><label for="limit">Nombre maximum / At most</label>
<input id="limit" name="limit" type="number" min="1" max="1000" value="{limit}"><button type="submit">Afficher / Show</button>
</form>
<form method="get" action="/api/quality/cases.jsonl">
<input type="hidden" name="limit" value="{limit}"><input type="hidden" name="ids" value="">
<table><caption>{count}</caption>
<colgroup><col class="w-pick"><col class="w-when"><col class="w-question"><col class="w-lang"><col class="w-answer">
<col class="w-why"><col><col class="w-conf"></colgroup>
<thead><tr><th scope="col"><span class="sr">Choisir / Select</span></th><th scope="col">Quand <small>When</small></th>
<th scope="col">Question</th><th scope="col">Langue <small>Language</small></th>
<th scope="col">Réponse (extrait) <small>Answer (excerpt)</small></th><th scope="col">Pourquoi <small>Why</small></th>
<th scope="col">Commentaire <small>Comment</small></th><th scope="col">Confiance <small>Confidence</small></th></tr></thead>
<tbody>
{rows}</tbody></table>
<button type="submit">Exporter la sélection en cas d’éval (JSONL) <small lang="en">/ Export the selection</small></button>
</form></main></body></html>"""
CARD = "main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002;max-width:34rem}"
EMPTY_ROW = '<tr><td colspan="8" class="empty">Rien à revoir / Nothing to review</td></tr>\n'


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first ``limit`` characters, cut at a word, with "…" when cut (not escaped).

    >>> excerpt("Les factures sont payables à trente jours.", 20)
    'Les factures sont…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;:") + "…"


def table_row(row: dict) -> str:
    """One answer as a table row; every value escaped.

    >>> "<img" in table_row({"id": 3, "at": "2025-01-02T10:11:12+0000", "question": "<img src=x>", "language": "fr",
    ...                      "answer": "", "why": ["abstained"], "comment": "", "confidence": 0.1})
    False
    """
    answer_id = int(row["id"])
    why = "".join(f'<span class="why{" down" if w == "rated down" else ""}">{escape(WHY.get(w, w))}</span>'
                  for w in row.get("why", []))
    when = str(row.get("at", ""))[:16].replace("T", " ")
    return (f'<tr><td><input type="checkbox" name="ids" value="{answer_id}" id="pick-{answer_id}" '
            f'aria-labelledby="q-{answer_id}"></td>'
            f'<td class="num">{escape(when)}</td>'
            f'<th scope="row" id="q-{answer_id}" class="text">{escape(str(row.get("question", "")))}</th>'
            f'<td>{escape(str(row.get("language", "")))}</td>'
            f'<td class="text">{escape(excerpt(str(row.get("answer", ""))))}</td>'
            f'<td>{why}</td>'
            f'<td class="text">{escape(str(row.get("comment") or ""))}</td>'
            f'<td class="num">{float(row.get("confidence", 0.0)):.2f}</td></tr>\n')


def render(rows: list[dict], limit: int) -> str:
    count = (f"{len(rows)} réponse(s) à revoir (au plus {limit}) / "
             f"{len(rows)} answer(s) to review (at most {limit})")
    return PAGE.format(title="réponses à revoir", style=TABLE_STYLE, limit=limit, count=escape(count),
                       rows="".join(map(table_row, rows)) or EMPTY_ROW)


def router(settings: Settings, runtime: Runtime) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def page(html: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def sign_in(error: str = "", status: int = 200) -> HTMLResponse:
        if not settings.admin_key:
            return page(OFF.format(title="revue désactivée", style=STYLE + CARD), 403)
        return page(SIGN_IN.format(title="revue", style=STYLE, error=error), status)

    @routes.get("/quality")
    def review(limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
        # Only the admin key or an admin session get here (the gate: access.py).
        return page(render(runtime.audit.to_review(limit), limit))

    @routes.get("/quality/login")
    def login_page() -> Response:
        return sign_in()

    @routes.post("/quality/login")
    async def login(request: Request) -> Response:
        if not settings.admin_key:
            return sign_in()
        if not right_key(await posted_key(request), settings.admin_key):
            return sign_in(WRONG, 401)
        return open_session(RedirectResponse("/quality", status_code=303), request, settings.admin_key,
                            ADMIN_SESSION)

    @routes.get("/quality/logout")
    def logout() -> Response:
        return close_session(RedirectResponse("/quality/login", status_code=303), ADMIN_SESSION)

    return routes
