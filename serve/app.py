"""The FastAPI application: ``create_app(settings)`` assembles the routers, the middleware and the lifespan.

A predict request, one function per layer: :mod:`serve.routes.predict` (HTTP) →
:func:`serve.predictions.answer` (limits, the pydantic answer, counters, log) →
:func:`nlp.scoring.score` (the model); a suggest request: :mod:`serve.routes.suggest` →
:func:`serve.suggestions.answer_suggest` → :func:`kb.suggest.suggest` (the index). The model
and the index are held by :mod:`serve.model` and :mod:`serve.knowledge` (:mod:`serve.holder`:
atomic swaps, reloads reaching every worker). What routes depend on is in :mod:`serve.deps`,
the error shape in :mod:`serve.errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from nlp import __version__
from nlp.errors import BundleError
from serve.digests import DigestCache
from serve.errors import install_handlers
from serve.holder import SidecarHolder
from serve.knowledge import AnsweredHolder, KbHolder
from serve.metrics import Metrics
from serve.model import ModelHolder
from serve.observe import Observe
from serve.predictions import log_failure_counter
from serve.predlog import PredictionLog
from serve.routes import ROUTERS
from serve.settings import Settings

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("hotline.serve")


def _reload_quietly(app: FastAPI) -> None:
    """Reload the model and the indexes outside a request (start, SIGHUP): a refusal is logged and
    counted by the holder, never raised, and one refused does not stop the other."""
    holders: list[SidecarHolder[Any]] = [
        h for h in (app.state.holder, app.state.kb, app.state.answered) if h is not None
    ]
    for holder in holders:
        try:
            holder.reload()
        except BundleError:
            pass
        except Exception:  # nothing may escape into an executor future nobody awaits
            app.state.metrics.errors.labels(kind="reload").inc()
            log.exception("%s reload failed", holder.what)


def _install_sighup(app: FastAPI) -> None:
    """SIGHUP reloads the model and the knowledge base, as POST /v1/admin/reload does (main thread only)."""
    loop = asyncio.get_running_loop()

    def on_sighup() -> None:
        loop.run_in_executor(None, _reload_quietly, app)

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests)
        loop.add_signal_handler(signal.SIGHUP, on_sighup)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    _install_sighup(app)  # first: a SIGHUP during the first load is not lost (nor fatal)
    await asyncio.get_running_loop().run_in_executor(None, _reload_quietly, app)
    yield
    if app.state.predlog is not None:
        await asyncio.get_running_loop().run_in_executor(None, app.state.predlog.close)
    if app.state.digests is not None:
        app.state.digests.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (default: from ``HOTLINE_*`` environment variables)."""
    settings = settings or Settings()
    app = FastAPI(
        title="hotline-nlp",
        version=__version__,
        description="Ticket classification for the 12345 hotline: consultation, COVID, department and routing; "
        "answer suggestions for consultations from the hotline's knowledge base.",
        lifespan=_lifespan,
    )
    metrics = Metrics()
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.holder = ModelHolder(settings.model_dir, metrics)
    app.state.kb = KbHolder(settings.kb_index, metrics) if settings.kb_index else None
    app.state.answered = AnsweredHolder(settings.answered_index, metrics) if settings.answered_index else None
    app.state.digests = DigestCache(settings.store) if settings.store else None
    app.state.predlog = (
        PredictionLog(
            settings.prediction_log,
            on_error=log_failure_counter(metrics),
            on_rows=metrics.count_prediction_log_rows,
        )
        if settings.prediction_log
        else None
    )
    app.add_middleware(Observe, metrics=metrics, max_body_bytes=settings.max_body_bytes)
    install_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn (``serve.app:app_from_env``): settings from the environment."""
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(settings)
