"""A predict request, one function per layer: limits, then :func:`predictions_for` (the pydantic
answer built from :func:`nlp.scoring.score`), then the counters; the prediction log once answered.

The routes (:mod:`serve.routes.predict`) call :func:`answer`; nothing here knows about HTTP
beyond raising :class:`~serve.errors.ApiError` for a request over the limits.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nlp.bundle import Bundle
from nlp.explain import explain as explain_terms
from nlp.predict import top_k_for
from nlp.scoring import Scores, TaskScores, score
from serve.errors import ApiError
from serve.metrics import Metrics
from serve.predlog import PredictionLog
from serve.schemas import Candidate, Prediction, RankedOut, Scored, SuggestIn, Term, TicketIn
from serve.settings import Settings

__all__ = ["Context", "answer", "check_sizes", "log_failure_counter", "log_predictions", "predictions_for"]

log = logging.getLogger("hotline.serve")


def log_failure_counter(metrics: Metrics) -> Callable[[BaseException], None]:
    """Count and log a prediction-log failure (called from requests and from the log's writer thread)."""

    def report(exc: BaseException) -> None:
        metrics.errors.labels(kind="prediction_log").inc()
        log.error("prediction log write failed: %s: %s", type(exc).__name__, exc)

    return report


def check_sizes(tickets: Sequence[TicketIn | SuggestIn], settings: Settings) -> None:
    """Refuse (413) a batch or a title or text over the settings' limits (tickets, or a suggest query)."""
    if len(tickets) > settings.max_batch:
        raise ApiError(
            413,
            "payload_too_large",
            f"expected at most {settings.max_batch} tickets per batch, got {len(tickets)}; split the batch",
            [{"field": "tickets", "max": settings.max_batch, "got": len(tickets)}],
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


def _ranked(scored: TaskScores) -> list[RankedOut]:
    labels, probs = scored.top(top_k_for(scored.task))
    ranked = []
    for names, row in zip(labels.astype(str).tolist(), probs.round(4).tolist(), strict=True):
        top = [Candidate(label=name, proba=p) for name, p in zip(names, row, strict=True)]
        ranked.append(RankedOut(label=names[0], proba=row[0], top=top, top3=top[:3]))
    return ranked


def _binary(scored: TaskScores) -> list[Scored]:
    values, probs = scored.decision().tolist(), scored.positive().round(4).tolist()
    return [Scored(value=value, proba=p) for value, p in zip(values, probs, strict=True)]


def _explanations(bundle: Bundle, scores: Scores) -> list[list[Term]]:
    return [[Term(**term) for term in terms] for terms in explain_terms(bundle, scores)]


def predictions_for(bundle: Bundle, tickets: Sequence[TicketIn], *, explain: bool = False) -> list[Prediction]:
    """Score ``tickets`` with ``bundle`` and answer each as a :class:`Prediction`.

    Only the tasks the bundle has are set (a bundle without units answers ``unit: null``).
    ``explain`` adds the terms that pushed the department (bundles with a department task).
    """
    explained = explain and "department" in bundle.pipelines
    scores = score(bundle, [t.title or "" for t in tickets], [t.text for t in tickets], keep_features=explained)
    tasks: list[dict[str, Scored | RankedOut]] = [{} for _ in tickets]
    flags: list[dict[str, Scored]] = [{} for _ in tickets]
    for task, scored in scores.tasks.items():
        if scored.binary:
            name = task.removeprefix("flag:")
            for entry, flagged, value in zip(tasks, flags, _binary(scored), strict=True):
                (flagged if task.startswith("flag:") else entry)[name] = value
        else:
            for entry, ranked in zip(tasks, _ranked(scored), strict=True):
                entry[task] = ranked
    routes = scores.route.tolist() if scores.route is not None else [None] * len(tickets)
    terms = _explanations(bundle, scores) if explained else [None] * len(tickets)
    return [
        Prediction(
            ticket_id=ticket.ticket_id,
            model_version=bundle.bundle_id,
            flags=flagged,
            route=route,
            explanation=explanation,
            **entry,  # task names are Prediction fields (consultation, covid, department, ...)
        )
        for ticket, entry, flagged, route, explanation in zip(tickets, tasks, flags, routes, terms, strict=True)
    ]


@dataclass(frozen=True)
class Context:
    """What a predict request is answered with (built per request by :data:`serve.deps.ContextDep`)."""

    bundle: Bundle
    settings: Settings
    metrics: Metrics
    predlog: PredictionLog | None
    request_id: str | None


def answer(tickets: Sequence[TicketIn], context: Context, *, explain: bool = False) -> list[Prediction]:
    """Check the limits, predict and count the route decisions (the route then logs them: :func:`log_predictions`)."""
    check_sizes(tickets, context.settings)
    predictions = predictions_for(context.bundle, tickets, explain=explain)
    for route, count in Counter(p.route for p in predictions if p.route).items():
        context.metrics.routes.labels(route=route).inc(count)
    return predictions


def log_predictions(tickets: Sequence[TicketIn], predictions: Sequence[Prediction], context: Context) -> None:
    """Queue the predictions, masked, for the prediction log.

    The routes run this after the answer has been sent (a background task): masking and
    encoding cost a fifth of a batch's time, which the caller need not wait for. A failing
    log never costs the prediction: the failure is counted and logged.
    """
    if context.predlog is None:
        return
    try:
        # exclude_unset: the logged JSON holds the tasks the bundle has, as before the routers;
        # suggestions, added to the answer afterwards, were never logged.
        rows = [p.model_dump_json(exclude_unset=True, exclude={"suggestions"}) for p in predictions]
        context.predlog.write(context.request_id, tickets, rows, context.bundle.bundle_id)
    except Exception as exc:  # queue full, ...
        log_failure_counter(context.metrics)(exc)
