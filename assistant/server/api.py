"""The HTTP API under /api, the health probe, and the error translation for both.

Routes are plain ``def``: FastAPI runs them in its thread pool, so several
questions are answered at once (the assistant holds no global lock).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from terms.errors import IndexMissing, TermsError
from terms.text import detect_language

from ..guard import check_comment
from .errors import validation_error
from .quality import cases_jsonl, parse_ids
from .runtime import Answered, NotReady, Runtime

log = logging.getLogger("server")

PUBLIC_FIELDS = ("text", "citations", "abstained", "reason", "confidence", "language", "mode", "latency_ms", "notice",
                 "pointers")


class ErrorBody(BaseModel):
    error: str
    detail: object = None


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(description="The question, in French or English.",
                                examples=["Quel est le délai de paiement des factures ?"])
    history: list[StrictStr] | None = Field(None, description=(
        "The user's earlier questions of the conversation, oldest first; only the latest `max_history_turns` "
        "(default 20) are used, each checked like a question."))
    k: Annotated[StrictInt, Field(ge=1, le=20)] | None = Field(None, description="Passages to retrieve (1..20).")


class CitationOut(BaseModel):
    doc_id: str
    document: str
    version: str
    article: str
    article_title: str
    heading: str
    pages: list[int]
    quote: str
    passage_id: str
    label: str
    passage_text: str
    supporting: bool
    url: str = ""


class AnswerOut(BaseModel):
    answer_id: int = Field(description="Audit id of this answer (for POST /api/feedback).")
    text: str
    citations: list[CitationOut]
    abstained: bool
    reason: str = Field("", description='Why it abstained: "no_evidence", "not_given" (the terms touch the '
                                         'topic but do not state the figure asked for; the nearest clause is cited '
                                         'as context), "no_question" (a greeting, thanks or bare markup: the '
                                         'text says what the assistant answers), or "task" (a role to play, a '
                                         'text to write or an order to obey, and no question: the text says what '
                                         'the assistant does instead).')
    confidence: float
    language: str
    mode: str
    latency_ms: float
    notice: str
    pointers: list[dict[str, str]]


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: StrictStr
    k: Annotated[StrictInt, Field(ge=1, le=20)] | None = None


class PassageOut(BaseModel):
    id: str
    doc_id: str
    version: str
    article: str
    title: str = Field(validation_alias=AliasChoices("title", "article_title"))
    headings: list[str]
    pages: list[int]
    start: int
    end: int
    kind: str
    text: str
    scores: dict[str, float]


class SearchOut(BaseModel):
    query: str
    language: str
    passages: list[PassageOut]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_id: Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]  # an SQLite row id
    rating: Literal["up", "down"]
    comment: StrictStr = Field("", description="At most 4,000 characters.")


def answer_body(answered: Answered) -> dict:
    """The public part of an answer (no internal fields), citations with their URL."""
    data = answered.answer.to_dict()
    body = {k: data[k] for k in PUBLIC_FIELDS}
    body["citations"] = [{**c, "url": answered.urls.get(c["doc_id"], "")} for c in body["citations"]]
    return {"answer_id": answered.answer_id, **body}


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["api"], responses={
        400: {"model": ErrorBody}, 401: {"model": ErrorBody}, 422: {"model": ErrorBody},
        429: {"model": ErrorBody}, 503: {"model": ErrorBody}})

    @api.post("/ask", response_model=AnswerOut, summary="Answer a question with exact clause citations")
    def ask(request: AskRequest) -> dict:
        return answer_body(runtime.answer("api", request.question, request.history, request.k))

    @api.post("/search", response_model=SearchOut, summary="The passages that best match a query, with scores")
    def search(request: SearchRequest) -> dict:
        assistant = runtime.assistant
        query, _ = runtime.check(request.query)
        language = detect_language(query)
        hits = assistant.retrieve(query, request.k, language)
        return {"query": query, "language": language, "passages": [{
            **h.passage.provenance(),
            "scores": {"fused": h.score, "dense": h.dense, "lexical": h.lexical, "rank": h.rank},
        } for h in hits]}

    @api.get("/documents", summary="The corpus: indexed documents and referenced ones not available")
    def documents() -> list[dict]:
        return runtime.documents()

    @api.post("/feedback", summary="Thumbs up/down (and a comment) on a logged answer")
    def feedback(request: FeedbackRequest) -> dict:
        comment = check_comment(request.comment)
        try:
            feedback_id = runtime.audit.feedback_for(request.answer_id, request.rating, comment)
        except KeyError:
            return ErrorResponse({"error": "unknown answer", "detail": f"no answer with id {request.answer_id}"},
                                 status_code=404)
        return {"feedback_id": feedback_id}

    @api.get("/quality", summary="Answers that need a look: rated down, abstained, low confidence (admin key)")
    def quality(limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
        return [{k: v for k, v in row.items() if k != "corpus_version"} for row in runtime.audit.to_review(limit)]

    @api.get("/quality/cases.jsonl", summary="Those answers (or the ids given) as eval cases to review (admin key)",
             response_class=Response, responses={200: {"content": {"application/jsonl": {}}}})
    def quality_cases(ids: Annotated[list[str] | None, Query(description=(
            "Answer ids, comma-separated (`ids=3,5`) or repeated (`ids=3&ids=5`); absent: every listed answer, "
            "given but empty: none."))] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
        try:
            wanted = parse_ids(ids)
        except ValueError as exc:
            return ErrorResponse({"error": "bad ids", "detail": str(exc)}, status_code=400)
        rows = [r for r in runtime.audit.to_review(limit) if wanted is None or r["id"] in wanted]
        return Response(cases_jsonl(rows), media_type="application/jsonl; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="review-cases.jsonl"'})

    @api.get("/feedback.csv", summary="All feedback as CSV (needs the admin key: TERMS_ADMIN_KEY)",
             response_class=Response, responses={200: {"content": {"text/csv": {}}}, 403: {"model": ErrorBody}})
    def feedback_csv() -> Response:
        return Response(runtime.audit.feedback_csv(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="feedback.csv"'})

    add_not_found(api)
    return api


def add_not_found(routes: APIRouter) -> None:
    """Answer unknown paths under the router's prefix with our JSON error (last route:
    without it they fall through to the chat mounted at "/")."""
    methods = route_methods([routes])

    @routes.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def not_found(rest: str, request: Request) -> JSONResponse:
        path = request.url.path
        allowed = methods(path)
        if allowed:
            return ErrorResponse({"error": "method not allowed", "detail": f"{request.method} {path}"},
                                 status_code=405, headers={"allow": ", ".join(sorted(allowed))})
        return ErrorResponse({"error": "not found", "detail": f"no route {request.method} {path}"}, status_code=404)


def route_methods(routers: list[APIRouter]) -> Callable[[str], set[str]]:
    """The methods a path answers among the routers' routes (HEAD with GET, OPTIONS),
    an empty set for a path none of them has: what OPTIONS and a 405 say."""
    table = [(r.path_regex, r.methods) for router in routers for r in router.routes
             if isinstance(r, APIRoute) and r.include_in_schema]

    def methods(path: str) -> set[str]:
        found = {m for regex, ms in table if regex.match(path) for m in ms}
        if "GET" in found:
            found.add("HEAD")
        return found | {"OPTIONS"} if found else set()

    return methods


class ErrorResponse(JSONResponse):
    """Our JSON error, ASCII-encoded: it may echo what a client sent (a field name, a
    path), and a lone surrogate there must not turn a 4xx into a 500."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True).encode()


def health_router(runtime: Runtime) -> APIRouter:
    health = APIRouter(tags=["health"])

    @health.get("/health", summary="Liveness, readiness, index stats and versions")
    def get_health() -> dict:
        return runtime.health()

    return health


def body_problem(request: Request, errors: list[dict]) -> str | None:
    """A plainer error for a body that is not a JSON object at all: not JSON (where it
    breaks), or sent as another content type."""
    broken = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if broken is not None:
        at = broken.get("loc", ())[1:]
        reason = (broken.get("ctx") or {}).get("error", "")
        if at:  # (the parser's reason may end in "at": "Unterminated string starting at")
            where = f"character {at[0]}" if reason.endswith(" at") else f"at character {at[0]}"
            said = f" ({reason} {where})" if reason else f" ({where})"
        else:
            said = f" ({reason})" if reason else ""
        return f"invalid request: the body is not valid JSON{said}: send one JSON object (fields: see /docs)"
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and any(tuple(e.get("loc", ())) == ("body",) for e in errors):
        return (f"invalid request: the body must be a JSON object sent as Content-Type: application/json "
                f"(not {kind or 'no content type'})")
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as ``{"error": ..., "detail": ...}`` with a fitting status."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        error, detail = validation_error(exc.errors())
        if all(e.get("type") == "string_unicode" for e in exc.errors()):  # text that is not valid Unicode
            where = ", ".join(d["where"] for d in detail)
            return ErrorResponse({"error": f"{where} contains an invalid character (a lone surrogate): send valid "
                                           "UTF-8 text", "detail": "BadQuestion"}, status_code=400)
        return ErrorResponse({"error": body_problem(request, exc.errors()) or error, "detail": detail},
                             status_code=422)

    @app.exception_handler(TermsError)
    async def terms_error(request: Request, exc: TermsError) -> JSONResponse:
        if isinstance(exc, (IndexMissing, NotReady)):
            return ErrorResponse({"error": "not ready", "detail": str(exc)}, status_code=503,
                                 headers={"retry-after": "5"})
        return ErrorResponse({"error": str(exc), "detail": type(exc).__name__}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = str(exc.detail)
        if exc.status_code == 400 and error == "There was an error parsing the body":  # FastAPI's, for bytes
            error = "invalid request: the body is not JSON text (send UTF-8 JSON, Content-Type: application/json)"
        return ErrorResponse({"error": error, "detail": None}, status_code=exc.status_code,
                             headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return ErrorResponse({"error": "internal error", "detail": "the server failed on this request; "
                              "it is logged"}, status_code=500)
