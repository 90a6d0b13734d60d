"""``POST /v1/predict`` and ``POST /v1/predict/batch``."""

from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Query, Response

from serve.deps import ApiToken, ContextDep, SuggestIndexesDep, token_router
from serve.predictions import Context, answer, log_predictions
from serve.schemas import BatchIn, BatchOut, Prediction, TicketIn
from serve.suggestions import add_suggestions, check_times

__all__ = ["router"]

router = token_router(ApiToken, 401, 413, 422, 503, prefix="/v1", tag="predict")
Explain = Annotated[bool, Query(description="add the terms that pushed the department")]


def _answered(
    tickets: list[TicketIn],
    context: Context,
    indexes: SuggestIndexesDep,
    explain: bool,
    background: BackgroundTasks | None = None,
) -> list[Prediction]:
    """:func:`serve.predictions.answer`, with ``?suggest=true`` suggestions for the consultations; the
    predictions are logged now, or with ``background`` once the answer is sent."""
    if indexes is not None:
        check_times(tickets)
    predictions = answer(tickets, context, explain=explain)
    if background is None:
        log_predictions(tickets, predictions, context)
    else:
        background.add_task(log_predictions, tickets, predictions, context)
    if indexes is not None:
        add_suggestions(predictions, tickets, indexes, context.metrics)
    return predictions


# One ticket takes a few ms of CPU: cheaper on the event loop than a threadpool hop.
@router.post("/predict", response_model=Prediction, summary="Classify one ticket")
async def predict_one(
    ticket: TicketIn, context: ContextDep, indexes: SuggestIndexesDep, explain: Explain = False
) -> Prediction:
    """With ``?suggest=true``, a ticket predicted as a consultation gets ``suggestions`` (knowledge-base
    entries valid at ``created_at``, as ``POST /v1/suggest`` answers them); other tickets get no such key."""
    (prediction,) = _answered([ticket], context, indexes, explain)  # logged now: cheaper than a hop
    return prediction


# A batch (up to ~0.3 s) runs in the threadpool so that it never blocks health checks.
@router.post("/predict/batch", response_model=BatchOut, summary="Classify tickets, answered in the same order")
def predict_batch(
    batch: BatchIn,
    context: ContextDep,
    indexes: SuggestIndexesDep,
    background: BackgroundTasks,
    explain: Explain = False,
) -> Response:
    """``?suggest=true`` as for one ticket."""
    # Logged once answered: masking and encoding 1,000 tickets for the log cost about 20 ms.
    predictions = _answered(batch.tickets, context, indexes, explain, background) if batch.tickets else []
    out = BatchOut(predictions=predictions, model_version=context.bundle.bundle_id)
    # Serialised by pydantic at once: FastAPI would dump, validate and encode the answer again,
    # a quarter of a 1,000-ticket batch's time, for the same bytes.
    return Response(out.model_dump_json(), media_type="application/json")
