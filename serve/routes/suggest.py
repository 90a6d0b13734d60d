"""``POST /v1/suggest``: knowledge-base answers for a consultation."""

from __future__ import annotations

from serve.deps import ApiToken, KbIndexesDep, MetricsDep, SettingsDep, token_router
from serve.schemas import SuggestIn, SuggestOut
from serve.suggestions import answer_suggest

__all__ = ["router"]

router = token_router(ApiToken, 401, 413, 422, 503, prefix="/v1", tag="suggest")


# One query takes a few ms of CPU, as one prediction does: cheaper on the event loop than a threadpool hop.
@router.post(
    "/suggest",
    response_model=SuggestOut,
    summary="Knowledge-base entries that answer a consultation, valid when it is asked",
)
async def suggest(query: SuggestIn, indexes: KbIndexesDep, settings: SettingsDep, metrics: MetricsDep) -> SuggestOut:
    """Entries valid at ``asked_at`` (default now), best first, with why (``shared_terms``).
    When no entry is confident enough, ``suggestions`` is empty and ``abstained`` true: an operator is
    better served by no suggestion than by a wrong one. 503 when the service has no knowledge base."""
    return answer_suggest(query, indexes, settings, metrics)
