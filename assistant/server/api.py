"""The HTTP API under /api, the health probe, and the error translation for both.

Routes are plain ``def``: FastAPI runs them in its thread pool, so several
questions are answered at once (the assistant holds no global lock).
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from terms.errors import IndexMissing, TermsError
from terms.text import detect_language

from .runtime import Answered, NotReady, Runtime

PUBLIC_FIELDS = ("text", "citations", "abstained", "confidence", "language", "mode", "latency_ms", "notice",
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
    answer_id: StrictInt
    rating: Literal["up", "down"]
    comment: Annotated[StrictStr, Field(max_length=4000)] = ""


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
        try:
            feedback_id = runtime.audit.feedback_for(request.answer_id, request.rating, request.comment)
        except KeyError:
            return JSONResponse({"error": "unknown answer", "detail": f"no answer with id {request.answer_id}"},
                                status_code=404)
        return {"feedback_id": feedback_id}

    @api.get("/feedback.csv", summary="All feedback as CSV", response_class=Response,
             responses={200: {"content": {"text/csv": {}}}})
    def feedback_csv() -> Response:
        return Response(runtime.audit.feedback_csv(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="feedback.csv"'})

    add_not_found(api)
    return api


def add_not_found(routes: APIRouter) -> None:
    """Answer unknown paths under the router's prefix with our JSON error (last route:
    without it they fall through to the chat mounted at "/")."""
    known = {r.path: r.methods for r in routes.routes}

    @routes.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def not_found(rest: str, request: Request) -> JSONResponse:
        path = request.url.path
        if path in known:
            return JSONResponse({"error": "method not allowed", "detail": f"{request.method} {path}"},
                                status_code=405, headers={"allow": ", ".join(sorted(known[path]))})
        return JSONResponse({"error": "not found", "detail": f"no route {request.method} {path}"}, status_code=404)


def health_router(runtime: Runtime) -> APIRouter:
    health = APIRouter(tags=["health"])

    @health.get("/health", summary="Liveness, readiness, index stats and versions")
    def get_health() -> dict:
        return runtime.health()

    return health


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as ``{"error": ..., "detail": ...}`` with a fitting status."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"where": ".".join(str(x) for x in e.get("loc", ()) if x != "body"), "problem": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()]
        where = ", ".join(d["where"] or "body" for d in detail)
        return JSONResponse({"error": f"invalid request ({where})", "detail": detail}, status_code=422)

    @app.exception_handler(TermsError)
    async def terms_error(request: Request, exc: TermsError) -> JSONResponse:
        if isinstance(exc, (IndexMissing, NotReady)):
            return JSONResponse({"error": "not ready", "detail": str(exc)}, status_code=503,
                                headers={"retry-after": "5"})
        return JSONResponse({"error": str(exc), "detail": type(exc).__name__}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail), "detail": None}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
