"""Who may use which route: one policy for every path the server answers, Gradio's
own routes included.

=========  ============================================  ==================  ==============================
class      routes                                        no key set          ``TERMS_API_KEY`` set
=========  ============================================  ==================  ==============================
public     ``/health``, ``/login``, ``/logout``,         anyone              anyone
           ``/quality/login``, ``/quality/logout``
client     the chat page and its assets, Gradio's queue  anyone (the server  ``Bearer <api key>``, the
           and client API (``/gradio_api/queue/*``,      listens on          session cookie ``/login``
           ``call/*``, ``info``), ``/api/*``, ``/v1/*``,  loopback by         sets, or the admin key
           the API docs                                  default)
admin      ``/api/feedback.csv``, ``/api/quality*``,     403 until           ``Bearer <admin key>`` or the
           the review page ``/quality`` (other users'    ``TERMS_ADMIN_KEY`` admin session cookie
           ratings, questions, comments)                 is set; then as     ``/quality/login`` sets
                                                         the next column
closed     every other Gradio route: uploads, file       404                 404
           serving, monitoring, run history, …
=========  ============================================  ==================  ==============================

A path no rule names is closed: a route a Gradio upgrade adds stays shut until it is
listed here. The browser chat, when the API key is set, signs in once at ``/login``
with the key; the server answers with a session cookie (HttpOnly, SameSite=Strict,
signed with the key, 12 hours), so the page and its Gradio queue work without the key
ever reaching the page.

Quality staff sign in the same way at ``/quality/login`` with the admin key: its own
cookie (``terms_admin_session``: HttpOnly, SameSite=Strict, signed with the admin key
for that purpose only, 8 hours) opens the admin routes and nothing else; the chat's
session cookie never opens them, even when both keys are the same. An unsigned browser
asking for ``/quality`` is sent to the sign-in form (``gate.py``).

Rate limits count per client address when no API key is configured, and per
credential (the key, a session, the admin key, an admin session) when one is.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from enum import Enum


class Access(Enum):
    PUBLIC = "public"
    CLIENT = "client"
    ADMIN = "admin"
    CLOSED = "closed"


@dataclass(frozen=True)
class Rule:
    """``path``: a prefix when it ends with "/*", else exact (a trailing "/" also matches)."""

    path: str
    access: Access
    counted: bool = False  # counts against the per-client rate limit
    heavy: bool = False  # computes an answer: holds one of the in-flight slots
    ours: bool = False  # our JSON routes: HEAD and OPTIONS are answered, errors are ours

    def matches(self, path: str) -> bool:
        """Whether the rule names ``path``.

        >>> Rule("/api/*", Access.CLIENT).matches("/api/ask"), Rule("/", Access.CLIENT).matches("/x")
        (True, False)
        """
        if self.path.endswith("/*"):
            return path.startswith(self.path[:-1])
        return path == self.path or path == self.path.rstrip("/") + "/"


P, C, A = Access.PUBLIC, Access.CLIENT, Access.ADMIN
RULES: tuple[Rule, ...] = (
    Rule("/health", P, ours=True),
    Rule("/login", P, counted=True),  # counted: key guesses are rate limited
    Rule("/logout", P),
    Rule("/quality/login", P, counted=True), Rule("/quality/logout", P),  # the review page's sign-in
    Rule("/quality", A, counted=True),
    Rule("/api/feedback.csv", A, counted=True, ours=True),
    Rule("/api/quality", A, counted=True, ours=True), Rule("/api/quality/*", A, counted=True, ours=True),
    Rule("/api/ask", C, counted=True, heavy=True, ours=True),
    Rule("/v1/chat/completions", C, counted=True, heavy=True, ours=True),
    Rule("/api/*", C, counted=True, ours=True),
    Rule("/v1/*", C, counted=True, ours=True),
    Rule("/docs", C), Rule("/docs/oauth2-redirect", C), Rule("/redoc", C), Rule("/openapi.json", C),
    # The chat page and what it loads (about 70 files: not counted).
    Rule("/", C), Rule("/assets/*", C), Rule("/static/*", C), Rule("/theme.css", C), Rule("/favicon.ico", C),
    Rule("/config", C), Rule("/manifest.json", C), Rule("/robots.txt", C),
    # Gradio's queue (each question of the page is one join) and its client API.
    Rule("/gradio_api/queue/join", C, counted=True),
    Rule("/gradio_api/queue/*", C), Rule("/gradio_api/heartbeat/*", C), Rule("/gradio_api/cancel", C),
    # Gradio's client API: the one public endpoint, the question (ui.py); the page's other
    # events are private, and reads of other users' data are not in the page at all.
    Rule("/gradio_api/call/ask", C, counted=True), Rule("/gradio_api/call/ask/*", C),
    Rule("/gradio_api/call/v2/ask", C, counted=True), Rule("/gradio_api/call/v2/ask/*", C),
    Rule("/gradio_api/info", C), Rule("/gradio_api/openapi.json", C),
    Rule("/gradio_api/theme.css", C), Rule("/gradio_api/startup-events", C),
)
CLOSED = Rule("*", Access.CLOSED)



@dataclass(frozen=True)
class SessionKind:
    """A signed session cookie: its name, what its signature is for, how long it lasts.

    The purpose enters the signature, so a cookie of one kind never passes as the other
    (the chat's session is not an admin session, even if both keys are the same)."""

    cookie: str
    purpose: str
    seconds: int


USER_SESSION = SessionKind("terms_session", "terms-session", 12 * 3600)
ADMIN_SESSION = SessionKind("terms_admin_session", "terms-admin-session", 8 * 3600)
COOKIE, SESSION_SECONDS = USER_SESSION.cookie, USER_SESSION.seconds


class Refused(Exception):
    """A request the policy turns away: the status and our JSON error."""

    def __init__(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.detail, self.headers = status, error, detail, headers or {}


@dataclass(frozen=True)
class Policy:
    api_key: str | None = None
    admin_key: str | None = None
    rules: tuple[Rule, ...] = field(default=RULES)

    def rule(self, path: str) -> Rule:
        """The first rule naming ``path``; closed when none does.

        >>> Policy().rule("/gradio_api/upload").access
        <Access.CLOSED: 'closed'>
        >>> Policy().rule("/api/feedback.csv").access, Policy().rule("/api/documents").access
        (<Access.ADMIN: 'admin'>, <Access.CLIENT: 'client'>)
        """
        return next((r for r in self.rules if r.matches(path)), CLOSED)

    def identify(self, rule: Rule, path: str, client: str, bearer: str | None, cookie: str | None,
                 now: float | None = None, admin_cookie: str | None = None) -> str:
        """Who is asking, as the rate limiter counts them; raises Refused.

        >>> Policy().identify(Policy().rule("/api/ask"), "/api/ask", "10.0.0.1", "any-token", None)
        'address:10.0.0.1'
        >>> Policy(api_key="k").identify(Policy().rule("/api/ask"), "/api/ask", "10.0.0.1", "k", None)
        'api key'
        >>> admin = Policy(api_key="k", admin_key="k")  # one key for both: the sessions still differ
        >>> admin.identify(admin.rule("/api/quality"), "/api/quality", "10.0.0.1", None, None,
        ...                admin_cookie=new_session("k", kind=USER_SESSION))
        Traceback (most recent call last):
        ...
        assistant.server.access.Refused: unauthorized
        """
        if rule.access is Access.CLOSED:
            raise Refused(404, "not found", f"no route {path}")
        admin = _same(bearer, self.admin_key)
        if rule.access is Access.ADMIN:
            if not self.admin_key:
                raise Refused(403, "forbidden", f"{path} shows other users' data and is off: set TERMS_ADMIN_KEY "
                              "on the server, then send `Authorization: Bearer <admin key>`")
            if admin:
                return "admin key"
            session = read_session(admin_cookie, self.admin_key, now, ADMIN_SESSION)
            if session:
                return f"admin session:{session}"
            raise Refused(401, "unauthorized", f"{path} needs `Authorization: Bearer <admin key>` "
                          "(in a browser: sign in at /quality/login)", {"www-authenticate": "Bearer"})
        if rule.access is Access.PUBLIC or not self.api_key:
            return f"address:{client}"
        if admin:
            return "admin key"
        if _same(bearer, self.api_key):
            return "api key"
        session = read_session(cookie, self.api_key, now)
        if session:
            return f"session:{session}"
        raise Refused(401, "unauthorized", "a valid `Authorization: Bearer <key>` header is required "
                      "(in a browser: sign in at /login)", {"www-authenticate": "Bearer"})


def _same(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


def _mac(key: str, payload: str, purpose: str) -> str:
    return hmac.new(key.encode(), f"{purpose}:{payload}".encode(), hashlib.sha256).hexdigest()


def new_session(key: str, now: float | None = None, kind: SessionKind = USER_SESSION) -> str:
    """A session cookie value: a random id and an expiry, signed with the key (a new key
    ends every session).

    >>> read_session(new_session("k", now=0), "k", now=60) is not None
    True
    >>> read_session(new_session("k", now=0), "other key", now=60) is None
    True
    >>> read_session(new_session("k", now=0), "k", now=60, kind=ADMIN_SESSION) is None
    True
    >>> read_session(new_session("k", now=0, kind=ADMIN_SESSION), "k", now=8 * 3600 + 1, kind=ADMIN_SESSION) is None
    True
    """
    payload = f"{secrets.token_urlsafe(16)}.{int((time.time() if now is None else now) + kind.seconds)}"
    return f"{payload}.{_mac(key, payload, kind.purpose)}"


def read_session(value: str | None, key: str, now: float | None = None,
                 kind: SessionKind = USER_SESSION) -> str | None:
    """The session id of a valid, unexpired cookie value of that kind; else None."""
    if not value or value.count(".") != 2:
        return None
    sid, expiry, mac = value.split(".")
    payload = f"{sid}.{expiry}"
    if not hmac.compare_digest(mac.encode(), _mac(key, payload, kind.purpose).encode()):
        return None
    if not expiry.isdigit() or int(expiry) < (time.time() if now is None else now):
        return None
    return sid
