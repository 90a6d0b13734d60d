"""The FastAPI application: ``create_app(settings)``.

Routes: ``POST /v1/predict``, ``POST /v1/predict/batch``, ``GET /v1/model``,
``POST /v1/admin/reload`` (also on SIGHUP), ``GET /healthz``, ``GET /readyz``, ``GET /metrics``.
Every error answers ``{"error": {"code", "message", "details", "request_id"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import html
import logging
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from nlp import __version__
from nlp.bundle import Bundle
from nlp.errors import BundleError, InputError
from nlp.explain import explain as explain_terms
from nlp.predict import predict, top_k_for
from nlp.scoring import score
from serve.digests import DigestCache, DigestFailed, DigestPending
from serve.metrics import Metrics, render
from serve.model import SMOKE_TICKETS, ModelHolder
from serve.observe import Observe
from serve.predlog import PredictionLog
from serve.schemas import BatchIn, BatchOut, ErrorOut, PendingOut, Prediction, TicketIn
from serve.settings import Settings
from trends.render import to_html
from trends.store import StoreBusy, StoreMissing

__all__ = ["app_from_env", "create_app", "get_settings"]

log = logging.getLogger("hotline.serve")
_bearer = HTTPBearer(auto_error=False)
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or wrong bearer token"},
    403: {"model": ErrorOut, "description": "admin endpoints disabled"},
    404: {"model": ErrorOut, "description": "no ticket store configured, or no tickets in that week"},
    413: {"model": ErrorOut, "description": "text, batch or body too large"},
    422: {"model": ErrorOut, "description": "malformed request"},
    503: {"model": ErrorOut, "description": "no model loaded"},
}


_PENDING_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{seconds}">
<title>{week} digest: being prepared</title></head>
<body><p>The digest of {week} is being prepared. This page reloads itself every {seconds} seconds
until it is ready; building a week for the first time can take a minute.</p></body></html>
"""


class ApiError(HTTPException):
    """An error answered in the service's one JSON shape."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(status_code=status, detail=message)
        self.code = code
        self.details = details or []


def get_settings(request: Request) -> Settings:
    """The app's settings (a dependency, so tests can override it)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def _check_token(credentials: HTTPAuthorizationCredentials | None, expected: str) -> None:
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "expected 'Authorization: Bearer <token>' with the service's token")


def require_api_token(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    if settings.api_token:
        _check_token(credentials, settings.api_token)


def require_admin_token(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    if not settings.admin_token:
        raise ApiError(403, "admin_disabled", "admin endpoints are disabled: set HOTLINE_ADMIN_TOKEN to enable them")
    _check_token(credentials, settings.admin_token)


def _bundle(request: Request) -> Bundle:
    bundle: Bundle | None = request.app.state.holder.bundle
    if bundle is None:
        raise ApiError(503, "not_ready", f"no model loaded: {request.app.state.holder.last_error or 'loading'}")
    return bundle


def _check_sizes(tickets: Sequence[TicketIn], settings: Settings) -> None:
    if len(tickets) > settings.max_batch:
        raise ApiError(
            413,
            "payload_too_large",
            f"expected at most {settings.max_batch} tickets per batch, got {len(tickets)}; split the batch",
        )
    for i, ticket in enumerate(tickets):
        for field in ("title", "text"):
            value = getattr(ticket, field)
            if value and len(value) > settings.max_text_chars:
                where = f"tickets.{i}.{field}" if len(tickets) > 1 else field
                raise ApiError(
                    413,
                    "payload_too_large",
                    f"{where}: expected at most {settings.max_text_chars} characters, got {len(value)}",
                    [{"field": where, "max": settings.max_text_chars, "got": len(value)}],
                )


def _score(bundle: Bundle, tickets: Sequence[TicketIn], *, explain: bool) -> list[dict[str, Any]]:
    titles, texts = [t.title or "" for t in tickets], [t.text for t in tickets]
    explained = explain and "department" in bundle.pipelines
    scores = score(bundle, titles, texts, keep_features=explained)
    terms = explain_terms(bundle, scores) if explained else None
    results: list[dict[str, Any]] = [
        {"ticket_id": t.ticket_id, "model_version": bundle.bundle_id, "flags": {}} for t in tickets
    ]
    for task, scored in scores.tasks.items():
        if scored.binary:
            values, probs = scored.decision().tolist(), scored.positive().round(4).tolist()
            for result, value, p in zip(results, values, probs, strict=True):
                entry = {"value": value, "proba": p}
                if task.startswith("flag:"):
                    result["flags"][task.removeprefix("flag:")] = entry
                else:
                    result[task] = entry
            continue
        labels, probs = scored.top(top_k_for(task))
        for result, names, row in zip(results, labels.astype(str).tolist(), probs.round(4).tolist(), strict=True):
            top = [{"label": name, "proba": p} for name, p in zip(names, row, strict=True)]
            result[task] = {"label": names[0], "proba": row[0], "top": top, "top3": top[:3]}
    routes = scores.route.tolist() if scores.route is not None else [None] * len(results)
    for i, result in enumerate(results):
        result["route"] = routes[i]
        result["explanation"] = terms[i] if terms is not None else None
    return results


def _answer(request: Request, tickets: Sequence[TicketIn], *, explain: bool) -> tuple[list[dict[str, Any]], str]:
    settings: Settings = request.app.state.settings
    _check_sizes(tickets, settings)
    bundle = _bundle(request)  # read once: a reload during this request does not affect it
    results = _score(bundle, tickets, explain=explain)
    metrics: Metrics = request.app.state.metrics
    for result in results:
        if result.get("route"):
            metrics.routes.labels(route=result["route"]).inc()
    predlog: PredictionLog | None = request.app.state.predlog
    if predlog is not None:
        try:
            predlog.write(request.state.request_id, tickets, results, bundle.bundle_id)
        except Exception as exc:  # the log must never cost a prediction (queue full, ...)
            _log_failure(request.app)(exc)
    return results, bundle.bundle_id


def _log_failure(app: FastAPI) -> Callable[[BaseException], None]:
    """Count and log a prediction-log failure (called from requests and from the writer thread)."""

    def report(exc: BaseException) -> None:
        app.state.metrics.errors.labels(kind="prediction_log").inc()
        log.error("prediction log write failed: %s: %s", type(exc).__name__, exc)

    return report


def _error_response(
    request: Request, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    body = {"error": {"code": code, "message": message, "details": details or [], "request_id": request_id}}
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


def _install_sighup(app: FastAPI) -> None:
    """SIGHUP reloads the model, as POST /v1/admin/reload does (main thread only)."""
    loop = asyncio.get_running_loop()

    def on_sighup() -> None:
        loop.run_in_executor(None, _reload_quietly, app)

    with contextlib.suppress(
        NotImplementedError, RuntimeError, ValueError
    ):  # not the main thread (tests), or no signals
        loop.add_signal_handler(signal.SIGHUP, on_sighup)


def _reload_quietly(app: FastAPI) -> None:
    try:
        bundle = app.state.holder.reload()
        gc.freeze()  # the model's large vocabularies live long: keep them out of every full collection
        app.state.metrics.reloads.labels(outcome="ok").inc()
        app.state.metrics.set_model(bundle.bundle_id)
    except BundleError:
        app.state.metrics.reloads.labels(outcome="refused").inc()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (default: from ``HOTLINE_*`` environment variables)."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.get_running_loop().run_in_executor(None, _reload_quietly, app)
        _install_sighup(app)
        yield
        if app.state.predlog is not None:
            await asyncio.get_running_loop().run_in_executor(None, app.state.predlog.close)
        if app.state.digests is not None:
            app.state.digests.close()

    app = FastAPI(
        title="hotline-nlp",
        version=__version__,
        description="Ticket classification for the 12345 hotline: consultation, COVID, department and routing.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.holder = ModelHolder(settings.model_dir)
    app.state.metrics = Metrics()
    app.state.digests = DigestCache(settings.store) if settings.store else None
    app.state.predlog = (
        PredictionLog(settings.prediction_log, on_error=_log_failure(app)) if settings.prediction_log else None
    )

    app.add_middleware(Observe, metrics=app.state.metrics, max_body_bytes=settings.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        summary, details = _validation_details(exc)
        app.state.metrics.errors.labels(kind="validation").inc()
        return _error_response(request, 422, "validation_error", summary, details)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, ApiError):
            return _error_response(request, exc.status_code, exc.code, str(exc.detail), exc.details)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error_response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        app.state.metrics.errors.labels(kind="internal").inc()
        log.exception("request %s failed", getattr(request.state, "request_id", None))
        return _error_response(
            request, 500, "internal_error", "the service failed on this request; it was logged with the request id"
        )

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="A model is loaded and answers", responses={503: _ERRORS[503]})
    def readyz(request: Request) -> dict[str, str]:
        bundle = _bundle(request)
        try:
            predict(bundle, SMOKE_TICKETS[:1])
        except Exception as exc:
            raise ApiError(503, "not_ready", f"model {bundle.bundle_id} does not answer: {type(exc).__name__}") from exc
        return {"status": "ready", "model_version": bundle.bundle_id}

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def metrics() -> Response:
        return Response(render(app.state.metrics), media_type="text/plain; version=0.0.4")

    @app.get("/v1/model", tags=["model"], summary="The loaded bundle's sidecar: labels, metrics, thresholds, versions")
    def model(request: Request) -> dict[str, Any]:
        return dict(_bundle(request).meta)

    auth = [Depends(require_api_token)]

    def _digest(week: str, settings: Settings) -> dict[str, Any]:
        """The digest, or DigestPending when its build takes longer than the configured wait."""
        cache: DigestCache | None = app.state.digests
        if cache is None:
            raise ApiError(
                404,
                "digests_off",
                "this service has no ticket store: set HOTLINE_STORE to a store made by 'hotline ingest'",
            )
        try:
            return cache.get(week, app.state.holder.bundle, wait=settings.digest_wait_seconds)
        except StoreMissing as exc:  # the service's configuration, not the request
            raise ApiError(503, "store_missing", str(exc)) from exc
        except InputError as exc:
            raise ApiError(422 if "expected a week" in str(exc) else 404, "bad_week", str(exc)) from exc
        except DigestFailed as exc:
            raise ApiError(503, "digest_failed", str(exc)) from exc
        except StoreBusy as exc:
            raise ApiError(503, "store_busy", str(exc)) from exc

    pending: dict[int | str, dict[str, Any]] = {
        202: {"model": PendingOut, "description": "the digest is being built; ask again after Retry-After"}
    }

    @app.get(
        "/v1/digest/{week}",
        tags=["digest"],
        dependencies=auth,
        responses={**pending, **_ERRORS},
        summary="The weekly hot-issue digest (JSON)",
    )
    def digest_json(week: str, settings: SettingsDep) -> Any:
        try:
            return _digest(week, settings)
        except DigestPending as wait:
            body = PendingOut(
                status="building", week=wait.week, retry_after_seconds=wait.retry_after, message=str(wait)
            )
            return JSONResponse(body.model_dump(), status_code=202, headers={"Retry-After": str(wait.retry_after)})

    @app.get(
        "/digest/{week}",
        tags=["digest"],
        dependencies=auth,
        responses={**pending, **_ERRORS},
        summary="The weekly hot-issue digest (HTML page)",
    )
    def digest_html(week: str, settings: SettingsDep) -> HTMLResponse:
        try:
            return HTMLResponse(to_html(_digest(week, settings)))
        except DigestPending as wait:
            # Analysts open this page in a browser: it reloads itself until the digest is there.
            page = _PENDING_PAGE.format(week=html.escape(wait.week), seconds=wait.retry_after)
            return HTMLResponse(page, status_code=202, headers={"Retry-After": str(wait.retry_after)})

    # One ticket takes ~3 ms of CPU: cheaper on the event loop than a threadpool hop.
    # A batch (up to ~0.3 s) runs in the threadpool so that it never blocks health checks.
    @app.post("/v1/predict", response_model=Prediction, tags=["predict"], dependencies=auth, responses=_ERRORS)
    async def predict_one(
        ticket: TicketIn,
        request: Request,
        explain: Annotated[bool, Query(description="add the terms that pushed the department")] = False,
    ) -> dict[str, Any]:
        results, _version = _answer(request, [ticket], explain=explain)
        return results[0]

    @app.post("/v1/predict/batch", response_model=BatchOut, tags=["predict"], dependencies=auth, responses=_ERRORS)
    def predict_batch(batch: BatchIn, request: Request, explain: Annotated[bool, Query()] = False) -> dict[str, Any]:
        if not batch.tickets:
            return {"predictions": [], "model_version": _bundle(request).bundle_id}
        results, version = _answer(request, batch.tickets, explain=explain)
        return {"predictions": results, "model_version": version}

    @app.post("/v1/admin/reload", tags=["admin"], dependencies=[Depends(require_admin_token)], responses=_ERRORS)
    def reload(request: Request) -> dict[str, Any]:
        previous = app.state.holder.bundle
        try:
            bundle = app.state.holder.reload()
        except BundleError as exc:
            app.state.metrics.reloads.labels(outcome="refused").inc()
            kept = previous.bundle_id if previous else None
            raise ApiError(409, "reload_refused", f"{exc}; still serving {kept}", [{"serving": kept}]) from exc
        gc.freeze()
        app.state.metrics.reloads.labels(outcome="ok").inc()
        app.state.metrics.set_model(bundle.bundle_id)
        return {"model_version": bundle.bundle_id, "previous": previous.bundle_id if previous else None}

    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn (``serve.app:app_from_env``): settings from the environment."""
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(settings)
