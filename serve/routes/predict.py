"""``POST /v1/predict`` and ``POST /v1/predict/batch``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from serve.deps import ApiToken, ContextDep, token_router
from serve.predictions import answer
from serve.schemas import BatchIn, BatchOut, Prediction, TicketIn

__all__ = ["router"]

router = token_router(ApiToken, 401, 413, 422, 503, prefix="/v1", tag="predict")
Explain = Annotated[bool, Query(description="add the terms that pushed the department")]


# One ticket takes a few ms of CPU: cheaper on the event loop than a threadpool hop.
@router.post("/predict", response_model=Prediction, summary="Classify one ticket")
async def predict_one(ticket: TicketIn, context: ContextDep, explain: Explain = False) -> Prediction:
    (prediction,) = answer([ticket], context, explain=explain)
    return prediction


# A batch (up to ~0.3 s) runs in the threadpool so that it never blocks health checks.
@router.post("/predict/batch", response_model=BatchOut, summary="Classify tickets, answered in the same order")
def predict_batch(batch: BatchIn, context: ContextDep, explain: Explain = False) -> BatchOut:
    predictions = answer(batch.tickets, context, explain=explain) if batch.tickets else []
    return BatchOut(predictions=predictions, model_version=context.bundle.bundle_id)
