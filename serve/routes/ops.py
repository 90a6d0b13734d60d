"""Operations: ``/healthz``, ``/readyz``, ``/metrics``, ``GET /v1/model`` and ``GET /v1/kb``.

They need no token: load balancers, Prometheus and operators call them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from nlp.predict import predict
from serve.deps import AnsweredHolderDep, BundleDep, KbHolderDep, KbIndexDep, MetricsDep
from serve.errors import ApiError, responses
from serve.knowledge import kb_version
from serve.metrics import render
from serve.model import SMOKE_TICKETS

__all__ = ["router"]

router = APIRouter()


# HEAD too: load balancers and uptime probes often ask with HEAD (one operation in OpenAPI: the GET).
@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", tags=["operations"], summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.head("/readyz", include_in_schema=False)
@router.get("/readyz", tags=["operations"], summary="A model is loaded and answers", responses=responses(503))
def readyz(bundle: BundleDep, kb: KbHolderDep, answered: AnsweredHolderDep) -> dict[str, str | None]:
    """With a knowledge base configured, ``kb_version`` names the index serving (null while none is loaded:
    predictions are answered, suggestions are not); with past answered tickets configured,
    ``answered_version`` (null while none is loaded: the knowledge base suggests alone)."""
    try:
        predict(bundle, SMOKE_TICKETS[:1])
    except Exception as exc:
        raise ApiError(503, "not_ready", f"model {bundle.bundle_id} does not answer: {type(exc).__name__}") from exc
    ready: dict[str, str | None] = {"status": "ready", "model_version": bundle.bundle_id}
    if kb is not None:
        ready["kb_version"] = kb.current_version
    if answered is not None:
        ready["answered_version"] = answered.current_version
    return ready


@router.get("/metrics", tags=["operations"], summary="Prometheus metrics")
def metrics(registry: MetricsDep) -> Response:
    return Response(render(registry), media_type="text/plain; version=0.0.4")


def _sidecar_route(path: str, tag: str, summary: str) -> Any:
    """A GET route that shows a loaded sidecar (503 while nothing is loaded)."""
    return router.get(path, tags=[tag], summary=summary, responses=responses(503))


@_sidecar_route("/v1/model", "model", "The loaded bundle's sidecar: labels, metrics, thresholds, versions")
async def model(bundle: BundleDep) -> dict[str, Any]:
    return dict(bundle.meta)


@_sidecar_route(
    "/v1/kb", "suggest", "The loaded knowledge-base index's sidecar: entries, calibration, threshold, versions"
)
async def kb_index(index: KbIndexDep) -> dict[str, Any]:
    """The sidecar ``hotline kb build`` signed, and ``version`` as suggestions name the index."""
    return {**index.meta, "version": kb_version(index.meta)}
