"""``POST /v1/admin/reload``: load the bundle and the indexes on disk again (SIGHUP does the same)."""

from __future__ import annotations

from typing import Any

from nlp.errors import BundleError
from serve.deps import AdminToken, AnsweredHolderDep, HolderDep, KbHolderDep, token_router
from serve.errors import ApiError
from serve.holder import SidecarHolder
from serve.schemas import ReloadOut

__all__ = ["router"]

router = token_router(AdminToken, 401, 403, 409, prefix="/v1/admin", tag="admin")


def _reloaded(holder: SidecarHolder[Any], serving_key: str, refusals: list[tuple[str, dict[str, Any]]]) -> None:
    """Reload ``holder``; a refusal is noted with what keeps serving (under ``serving_key`` in the details)."""
    try:
        holder.reload()
    except BundleError as exc:
        kept = holder.current_version
        refusals.append((f"{holder.what}: {exc}; still serving {kept}", {serving_key: kept}))


@router.post(
    "/reload",
    response_model=ReloadOut,
    response_model_exclude_unset=True,  # an index's versions only when that index is configured
    summary="Load, check and swap in the bundle and the indexes on disk",
)
def reload(holder: HolderDep, kb: KbHolderDep, answered: AnsweredHolderDep) -> ReloadOut:
    """Every other worker of the server follows before its next answer (the sidecars changed),
    or is already serving these. The model and each index are swapped in when they pass their
    checks; one refused (409) leaves its predecessor serving, and the message says which and why."""
    previous = holder.current_version
    kb_previous = kb.current_version if kb else None
    answered_previous = answered.current_version if answered else None
    refusals: list[tuple[str, dict[str, Any]]] = []
    _reloaded(holder, "serving", refusals)
    if kb is not None:
        _reloaded(kb, "kb_serving", refusals)
    if answered is not None:
        _reloaded(answered, "answered_serving", refusals)
    if refusals:
        raise ApiError(409, "reload_refused", " | ".join(m for m, _ in refusals), [d for _, d in refusals])
    answer = ReloadOut(model_version=holder.current_version or "", previous=previous)
    if kb is not None:
        answer.kb_version, answer.kb_previous = kb.current_version, kb_previous
    if answered is not None:
        answer.answered_version, answer.answered_previous = answered.current_version, answered_previous
    return answer
