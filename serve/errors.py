"""The service's one error shape, its exception handlers and every status it documents.

Every error answers ``{"error": {"code", "message", "details", "request_id"}}`` (:class:`~serve.schemas.ErrorOut`).
Routes raise :class:`ApiError`; FastAPI's own errors (validation, unknown route, wrong method,
body too large, undecodable body) are translated here, so no client ever sees another shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from serve.schemas import ErrorOut

__all__ = ["STATUSES", "ApiError", "error_body", "install_handlers", "responses"]

log = logging.getLogger("hotline.serve")

# Every error status a route may answer, with what it means (the OpenAPI document lists them).
STATUSES: dict[int, str] = {
    401: "missing or wrong bearer token (checked before the body is read)",
    403: "admin endpoints disabled (no HOTLINE_ADMIN_TOKEN)",
    404: "no ticket store configured, or no tickets in that week",
    409: "reload refused: the bundle or knowledge-base index on disk failed its checks; the previous one keeps serving",
    413: "text, batch or body too large (the body is counted as it arrives, chunked or not)",
    422: "malformed request: invalid JSON, invalid UTF-8 or lone surrogates, a bad field, an impossible week",
    503: "no model loaded, no knowledge-base index configured or loaded (suggestions), or the ticket store or digest "
    "builder unavailable",
}
# Codes for statuses raised by FastAPI or Starlette rather than by a route.
_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


class ApiError(HTTPException):
    """An error answered in the service's one JSON shape."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(status_code=status, detail=message)
        self.code = code
        self.details = details or []


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route answering ``statuses`` (for the OpenAPI document)."""
    return {status: {"model": ErrorOut, "description": STATUSES[status]} for status in statuses}


def error_body(code: str, message: str, details: list[dict[str, Any]] | None, request_id: str | None) -> dict[str, Any]:
    """The JSON of an error (also written by the middleware, which answers before any route)."""
    return {"error": {"code": code, "message": message, "details": details or [], "request_id": request_id}}


def _respond(
    request: Request, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body = error_body(code, message, details, getattr(request.state, "request_id", None))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    details = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part != "body"]
        field = ".".join(loc) or "body"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "json_invalid":
            field, message = "body", f"expected valid JSON: {error.get('ctx', {}).get('error', message)}"
        elif error.get("type") == "extra_forbidden":
            message = "unknown field; remove it (see /docs for the accepted fields)"
        details.append({"field": field, "message": message, "type": error.get("type")})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:3]) or "malformed request"
    return summary, details


def _count(request: Request, kind: str) -> None:
    request.app.state.metrics.errors.labels(kind=kind).inc()


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    summary, details = _validation_details(exc)
    _count(request, "validation")
    return _respond(request, 422, "validation_error", summary, details)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        return _respond(request, exc.status_code, exc.code, str(exc.detail), exc.details)
    if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI answers 400 for a body json cannot decode
        bad = exc.__cause__
        _count(request, "validation")
        message = (
            f"expected a UTF-8 JSON body, got the invalid byte {bad.object[bad.start : bad.start + 1]!r} at {bad.start}"
        )
        return _respond(request, 422, "validation_error", message, [{"field": "body", "message": message}])
    return _respond(request, exc.status_code, _CODES.get(exc.status_code, "http_error"), str(exc.detail))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    _count(request, "internal")
    log.exception("request %s failed", getattr(request.state, "request_id", None))
    return _respond(
        request, 500, "internal_error", "the service failed on this request; it was logged with the request id"
    )


def install_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` in the one shape."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
