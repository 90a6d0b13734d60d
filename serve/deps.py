"""What routes depend on: the settings, the current bundle and index, the metrics and the token checks.

Every route takes these as typed ``Annotated[..., Depends(...)]`` parameters, never from
``app.state`` directly, so that a test overriding :func:`get_settings`
(``app.dependency_overrides[get_settings] = lambda: Settings(...)``) changes every limit.
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from kb.index import KbIndex
from nlp.bundle import Bundle
from serve.digests import DigestCache
from serve.errors import ApiError, responses
from serve.holder import SidecarHolder
from serve.knowledge import AnsweredHolder, KbHolder
from serve.metrics import Metrics
from serve.model import ModelHolder
from serve.predictions import Context
from serve.predlog import PredictionLog
from serve.settings import Settings

__all__ = [
    "NO_KB",
    "AdminToken",
    "AnsweredHolderDep",
    "ApiToken",
    "BundleDep",
    "ContextDep",
    "DigestsDep",
    "HolderDep",
    "KbHolderDep",
    "KbIndexDep",
    "KbIndexesDep",
    "MetricsDep",
    "PredictionLogDep",
    "SettingsDep",
    "SuggestIndexesDep",
    "TokenFirstRoute",
    "current_bundle",
    "current_index",
    "get_settings",
    "require_admin_token",
    "require_api_token",
    "token_router",
]

_bearer = HTTPBearer(auto_error=False)
T = TypeVar("T")


async def get_settings(request: Request) -> Settings:
    """The app's settings (the one object ``create_app`` was given)."""
    settings: Settings = request.app.state.settings
    return settings


def _app_state(name: str) -> Callable[[Request], Coroutine[Any, Any, Any]]:
    """A provider of ``app.state.<name>``, one of the objects ``create_app`` assembles (the Annotated type says which)."""

    async def provide(request: Request) -> Any:
        return getattr(request.app.state, name)

    provide.__name__ = f"app_state_{name}"  # what OpenAPI and tracebacks show
    return provide


# The providers are async: FastAPI would run a plain function in its threadpool, a hop that
# costs more than a single-ticket prediction.
SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[ModelHolder, Depends(_app_state("holder"))]
KbHolderDep = Annotated[KbHolder | None, Depends(_app_state("kb"))]
AnsweredHolderDep = Annotated[AnsweredHolder | None, Depends(_app_state("answered"))]
MetricsDep = Annotated[Metrics, Depends(_app_state("metrics"))]
PredictionLogDep = Annotated[PredictionLog | None, Depends(_app_state("predlog"))]
DigestsDep = Annotated[DigestCache | None, Depends(_app_state("digests"))]
_Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _followed(holder: SidecarHolder[T]) -> T | None:
    """What ``holder`` serves (None: nothing loaded), after following a changed sidecar (see :mod:`serve.holder`).

    Async, so that the usual case (one ``stat``, nothing changed) costs no threadpool hop;
    a reload runs in the threadpool and this request waits for it.
    """
    if holder.stale():
        await run_in_threadpool(holder.follow)
    return holder.current


async def _current(holder: SidecarHolder[T], code: str) -> T:
    """What ``holder`` serves (:func:`_followed`); 503 ``code`` if nothing."""
    current = await _followed(holder)
    if current is None:
        raise ApiError(503, code, f"no {holder.what} loaded: {holder.last_error or 'loading'}")
    return current


async def current_bundle(holder: HolderDep) -> Bundle:
    """The bundle to answer with (503 ``not_ready`` before one is loaded)."""
    return await _current(holder, "not_ready")


BundleDep = Annotated[Bundle, Depends(current_bundle)]

NO_KB = "no knowledge base configured: start the service with --kb-index DIR (build one with hotline kb build)"


async def current_index(kb: KbHolderDep) -> KbIndex:
    """The knowledge-base index to suggest from: 503 ``kb_missing`` without one configured, ``kb_not_ready``
    while none is loaded (the message says why)."""
    if kb is None:
        raise ApiError(503, "kb_missing", NO_KB)
    return await _current(kb, "kb_not_ready")


KbIndexDep = Annotated[KbIndex, Depends(current_index)]


async def current_indexes(index: KbIndexDep, answered: AnsweredHolderDep) -> tuple[KbIndex, ...]:
    """The indexes to suggest from: the knowledge base (as :func:`current_index`), then past answered
    tickets when configured and loaded (while none is loaded, the knowledge base answers alone: /readyz
    shows ``answered_version`` null)."""
    if answered is None:
        return (index,)
    tickets = await _followed(answered)
    return (index,) if tickets is None else (index, tickets)


KbIndexesDep = Annotated[tuple[KbIndex, ...], Depends(current_indexes)]
Suggest = Annotated[
    bool,
    Query(description="add knowledge-base suggestions to tickets predicted as consultations (503 without an index)"),
]


async def suggest_indexes(
    kb: KbHolderDep, answered: AnsweredHolderDep, suggest: Suggest = False
) -> tuple[KbIndex, ...] | None:
    """With ``?suggest=true``, the indexes (as :func:`current_indexes`, 503 without a knowledge base); otherwise None."""
    return await current_indexes(await current_index(kb), answered) if suggest else None


SuggestIndexesDep = Annotated[tuple[KbIndex, ...] | None, Depends(suggest_indexes)]


async def predict_context(
    request: Request, bundle: BundleDep, settings: SettingsDep, metrics: MetricsDep, predlog: PredictionLogDep
) -> Context:
    """The bundle (read once: a reload during the request does not affect it), limits, counters and log."""
    return Context(bundle, settings, metrics, predlog, getattr(request.state, "request_id", None))


ContextDep = Annotated[Context, Depends(predict_context)]


def _check_token(credentials: HTTPAuthorizationCredentials | None, expected: str) -> None:
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "expected 'Authorization: Bearer <token>' with the service's token")


async def require_api_token(settings: SettingsDep, credentials: _Credentials) -> None:
    """With ``HOTLINE_API_TOKEN`` set, the request must carry it as a bearer token."""
    if settings.api_token:
        _check_token(credentials, settings.api_token)


async def require_admin_token(settings: SettingsDep, credentials: _Credentials) -> None:
    """Admin endpoints need ``HOTLINE_ADMIN_TOKEN``; without one they are disabled (403)."""
    if not settings.admin_token:
        raise ApiError(403, "admin_disabled", "admin endpoints are disabled: set HOTLINE_ADMIN_TOKEN to enable them")
    _check_token(credentials, settings.admin_token)


ApiToken = Depends(require_api_token)
AdminToken = Depends(require_admin_token)
_TOKEN_CHECKS = (require_api_token, require_admin_token)


async def _settings_as_routes_see_them(request: Request) -> Settings:
    """:func:`get_settings`, or the test's override of it (sync or async, with or without the request)."""
    provider = request.app.dependency_overrides.get(get_settings, get_settings)
    settings = provider(request) if inspect.signature(provider).parameters else provider()
    return await settings if inspect.isawaitable(settings) else settings


class TokenFirstRoute(APIRoute):
    """A route whose token check runs before FastAPI reads and parses the body.

    FastAPI reads the body before it solves dependencies, so a token dependency alone would
    let anyone without the token make the service read and parse a large body. The route's
    token dependencies (:data:`ApiToken`, :data:`AdminToken` in ``dependencies=``) are checked
    here on the headers first; they still run as dependencies too (and document the security
    scheme in OpenAPI).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        checks = [d.dependency for d in self.dependencies if d.dependency in _TOKEN_CHECKS]
        if not checks:
            return handler

        async def checked_first(request: Request) -> Response:
            settings = await _settings_as_routes_see_them(request)
            credentials = await _bearer(request)
            for check in checks:
                await check(settings, credentials)
            return await handler(request)

        return checked_first


def token_router(
    token: Any, *statuses: int, prefix: str = "", tag: str, other: dict[int | str, dict[str, Any]] | None = None
) -> APIRouter:
    """A router whose every route needs ``token`` (:data:`ApiToken`, :data:`AdminToken`), checked before the body is read.

    ``statuses`` are the documented error statuses of its routes (:func:`serve.errors.responses`);
    ``other`` responses (by status, such as a 202) are documented before them.
    """
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        dependencies=[token],
        route_class=TokenFirstRoute,
        responses={**(other or {}), **responses(*statuses)},
    )
