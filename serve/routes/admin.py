"""``POST /v1/admin/reload``: load the bundle on disk again (SIGHUP does the same)."""

from __future__ import annotations

from nlp.errors import BundleError
from serve.deps import AdminToken, HolderDep, token_router
from serve.errors import ApiError
from serve.schemas import ReloadOut

__all__ = ["router"]

router = token_router(AdminToken, 401, 403, 409, prefix="/v1/admin", tag="admin")


@router.post("/reload", response_model=ReloadOut, summary="Load, check and swap in the bundle on disk")
def reload(holder: HolderDep) -> ReloadOut:
    """Every other worker of the server follows before its next prediction (the sidecar changed),
    or is already serving this bundle. A refused bundle (409) leaves the previous model serving."""
    previous = holder.bundle
    try:
        bundle = holder.reload()
    except BundleError as exc:
        kept = previous.bundle_id if previous else None
        raise ApiError(409, "reload_refused", f"{exc}; still serving {kept}", [{"serving": kept}]) from exc
    return ReloadOut(model_version=bundle.bundle_id, previous=previous.bundle_id if previous else None)
