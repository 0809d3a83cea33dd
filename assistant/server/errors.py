"""Every refusal leaves the server as ``{"error": ..., "detail": ...}``: the shapes, and
the ASGI helper that sends one before a request reaches any route.

Bodies are ASCII JSON: an error may quote what the client sent (a field name, a
path), and a lone surrogate in there must not turn a 4xx into a 500.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping


def error_json(error: str, detail: object = None) -> bytes:
    """Our error body.

    >>> error_json("not found", "no route GET /x")
    b'{"error": "not found", "detail": "no route GET /x"}'
    """
    return json.dumps({"error": error, "detail": detail}, ensure_ascii=True).encode()


def validation_error(errors: Iterable[Mapping]) -> tuple[str, list[dict]]:
    """(error, detail) for pydantic's validation errors: where, and the problem in words;
    never the input itself.

    >>> validation_error([{"loc": ("body", "data"), "msg": "Input should be a valid list", "type": "list_type"}])
    ('invalid request (data)', [{'where': 'data', 'problem': 'Input should be a valid list', 'type': 'list_type'}])
    """
    detail = [{"where": ".".join(str(x) for x in e.get("loc", ()) if x != "body"), "problem": e.get("msg", ""),
               "type": e.get("type", "")} for e in errors]
    return f"invalid request ({', '.join(d['where'] or 'body' for d in detail)})", detail


def translated(status: int, body: bytes) -> bytes:
    """A JSON error body from a route that is not ours (Gradio's), in our shape.

    >>> translated(422, b'{"detail": [{"loc": ["body", "data"], "msg": "Field required", "type": "missing"}]}')
    b'{"error": "invalid request (data)", "detail": [{"where": "data", "problem": "Field required", "type": "missing"}]}'
    >>> translated(404, b'{"detail": "Not Found"}')
    b'{"error": "not found", "detail": null}'
    """
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and set(data) == {"error", "detail"}:
        return body
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, list) and all(isinstance(e, Mapping) for e in detail):
        return error_json(*validation_error(detail))
    if isinstance(detail, str) and detail:
        return error_json(detail.lower() if detail.istitle() else detail)  # "Not Found" -> "not found"
    return error_json("invalid request" if status == 422 else "request refused")


async def send_error(send, status: int, error: str, detail: object = None,
                     headers: Mapping[str, str] | None = None, body: bool = True) -> None:
    """Answer with our JSON error, straight from ASGI (``body=False`` for HEAD)."""
    payload = error_json(error, detail)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload if body else b""})
