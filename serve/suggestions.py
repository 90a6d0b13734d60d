"""A suggest request, one function per layer: limits, then :func:`kb.suggest.suggest`, then the counters.

The routes (``POST /v1/suggest``, ``POST /v1/predict?suggest=true``) call :func:`answer_suggest`
and :func:`add_suggestions`; nothing here knows about HTTP beyond raising
:class:`~serve.errors.ApiError`. The question is cleaned as a ticket is for prediction
(:func:`nlp.text.clean`: normalised, personal data masked) inside the index before any term is
looked up, so the terms a response shows (``shared_terms``) are masked ones; no text is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kb.index import KbIndex
from kb.suggest import suggest
from serve.errors import ApiError
from serve.knowledge import index_info
from serve.metrics import Metrics
from serve.predictions import check_sizes
from serve.schemas import IndexOut, Prediction, SuggestIn, SuggestionOut, SuggestOut, TicketIn, plausible_time
from serve.settings import Settings

__all__ = ["PREDICT_K", "add_suggestions", "answer_suggest", "check_times", "suggestions_for"]

PREDICT_K = 5  # suggestions per consultation of ?suggest=true (POST /v1/suggest takes k)


def suggestions_for(
    indexes: Sequence[KbIndex], text: str, title: str | None, asked_at: datetime | None, k: int, metrics: Metrics
) -> list[SuggestionOut]:
    """The ``k`` best entries valid at ``asked_at`` (default now), best first; [] when every index abstains."""
    found = suggest(indexes, text, title=title, asked_at=asked_at or datetime.now(), k=k)
    metrics.suggestions.labels(outcome="suggested" if found else "abstained").inc()
    return [
        SuggestionOut(
            id=s.entry_id,
            question=s.question,
            answer=s.answer,
            department=s.department,
            score=s.score,
            shared_terms=list(s.shared_terms),
            source=s.source,
        )
        for s in found
    ]


def answer_suggest(query: SuggestIn, indexes: Sequence[KbIndex], settings: Settings, metrics: Metrics) -> SuggestOut:
    """Check the limits (413), suggest from the knowledge base (``indexes[0]``) and past answered tickets, count."""
    check_sizes([query], settings)
    found = suggestions_for(indexes, query.text, query.title, query.asked_at, query.k, metrics)
    answer = SuggestOut(suggestions=found, abstained=not found, index=IndexOut(**index_info(indexes[0])))
    if len(indexes) > 1:
        answer.answered_index = IndexOut(**index_info(indexes[1]))
    return answer


def check_times(tickets: Sequence[TicketIn]) -> None:
    """Refuse (422), before anything is predicted, a ticket whose ``created_at`` validity windows cannot be
    compared with (a year outside 1900–2199): with ?suggest=true its time chooses the entries."""
    for i, ticket in enumerate(tickets):
        if ticket.created_at is None:
            continue
        try:
            plausible_time(ticket.created_at)
        except ValueError as exc:
            where = f"tickets.{i}.created_at" if len(tickets) > 1 else "created_at"
            message = f"{where}: {exc}; with ?suggest=true it chooses the knowledge-base entries valid then"
            raise ApiError(422, "validation_error", message, [{"field": where, "message": str(exc)}]) from exc


def add_suggestions(
    predictions: Sequence[Prediction], tickets: Sequence[TicketIn], indexes: Sequence[KbIndex], metrics: Metrics
) -> None:
    """Set ``suggestions`` on the predictions of consultations (entries valid at the ticket's ``created_at``).

    Other tickets keep ``suggestions`` unset, so their answer has no such key; a bundle without
    a consultation task predicts no consultation, so none gets suggestions. Call
    :func:`check_times` before predicting.
    """
    for prediction, ticket in zip(predictions, tickets, strict=True):
        if prediction.consultation is not None and prediction.consultation.value == 1:
            prediction.suggestions = suggestions_for(
                indexes, ticket.text, ticket.title, ticket.created_at, PREDICT_K, metrics
            )
