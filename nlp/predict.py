"""Predictions as table columns: :func:`nlp.scoring.score` flattened, one row per ticket.

One convention for every table (files, the trend miner): a binary task gives ``<task>`` (0/1)
and ``<task>_proba`` (probability of 1); a multi-class task (department, platform, unit)
gives ``<task>``, ``<task>_proba`` and ``<task>_top<k>`` (list of ``[label, proba]``, most
probable first); ``route`` is ``auto`` when the routing task's probability reaches the
bundle's threshold and exceeds 0.5 (:data:`nlp.scoring.AUTO_MIN_CONFIDENCE`), else
``manual``. Probabilities are rounded to 4 decimals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from nlp.bundle import Bundle
from nlp.errors import BundleError
from nlp.features import as_ticket_frame
from nlp.routing import ONE_PRODUCT_ROWS
from nlp.scoring import Scores, score

__all__ = ["SMOKE_TICKETS", "TOP_K", "columns", "predict", "smoke_check", "top_k_for", "top_lists", "warm_up"]

TOP_K = 3
# The unit has hundreds of candidates: the routing service shows an operator five of them.
TOP_K_BY_TASK = {"unit": 5}

# Every bundle must answer these before it serves or is promoted: a load that unpickles but
# cannot predict (missing task, broken tokenizer) is refused.
SMOKE_TICKETS = ["我的苏康码变成黄码了，怎么转绿？", "楼上邻居半夜装修噪音太大", "请问公积金提取需要什么材料"]


def top_k_for(task: str, top_k: int | None = None) -> int:
    """How many candidates of ``task`` to list: ``top_k`` when given, else the task's default."""
    return top_k if top_k is not None else TOP_K_BY_TASK.get(task, TOP_K)


def predict(bundle: Bundle, tickets: Any, *, top_k: int | None = None) -> pd.DataFrame:
    """Predict every task of ``bundle`` for ``tickets``, as a table.

    Parameters
    ----------
    bundle : Bundle
    tickets : DataFrame or list
        Anything :func:`nlp.features.as_ticket_frame` accepts (``text``, optional ``title``).
    top_k : int, optional
        How many candidates to list for each multi-class task (default: 3, the unit 5).

    Returns
    -------
    DataFrame
        One row per ticket, in input order, with the columns described in the module docstring.
    """
    frame = as_ticket_frame(tickets)
    if len(frame) == 0:
        return pd.DataFrame(index=range(0))
    return pd.DataFrame(columns(score(bundle, frame["title"].tolist(), frame["text"].tolist()), top_k=top_k))


def columns(scores: Scores, *, top_k: int | None = None, top_cells: TopCells | None = None) -> dict[str, Any]:
    """The table columns of ``scores`` (see the module docstring).

    ``top_cells(classes, order, probs)`` builds the top-k cells from the classes, each row's
    top-k columns and their rounded probabilities; by default lists of ``[label, proba]``.
    """
    out: dict[str, Any] = {}
    for task, scored in scores.tasks.items():
        if scored.binary:
            out[task] = scored.decision()
            out[f"{task}_proba"] = scored.positive().round(4)
            continue
        k = top_k_for(task, top_k)
        order, probs = scored.top_indices(k)
        probs = probs.round(4)
        out[task] = scored.classes[order[:, 0]]
        out[f"{task}_proba"] = probs[:, 0]
        out[f"{task}_top{k}"] = (top_cells or top_lists)(scored.classes, order, probs)
    if scores.route is not None:
        out["route"] = scores.route
    return out


TopCells = Callable[[np.ndarray, np.ndarray, np.ndarray], list[Any]]


def top_lists(classes: np.ndarray, order: np.ndarray, probs: np.ndarray) -> list[list[list[Any]]]:
    """Each row's ``[[label, proba], ...]`` as Python lists."""
    # Whole arrays to Python lists first: per-row numpy indexing costs more than the rest.
    return [
        [[label, p] for label, p in zip(names, row, strict=True)]
        for names, row in zip(classes[order].astype(str).tolist(), probs.tolist(), strict=True)
    ]


def warm_up(bundle: Bundle, *, batch: bool = False) -> None:
    """Build what a bundle builds on first use (segmenters, fast paths) by predicting one ticket.

    With ``batch``, as many tickets as a batch takes the batch's ways (the router's unit
    heads on their own columns), so that what only a few tickets use is not built.
    """
    predict(bundle, SMOKE_TICKETS[:1] * (ONE_PRODUCT_ROWS + 1 if batch else 1))


def smoke_check(bundle: Bundle) -> None:
    """Predict :data:`SMOKE_TICKETS`; raise BundleError if the bundle cannot answer them."""
    try:
        out = predict(bundle, SMOKE_TICKETS)
    except Exception as exc:
        raise BundleError(
            f"bundle {bundle.bundle_id} failed its smoke prediction: {type(exc).__name__}: {exc}"
        ) from exc
    if len(out) != len(SMOKE_TICKETS):
        raise BundleError(f"bundle {bundle.bundle_id} answered {len(out)} of {len(SMOKE_TICKETS)} smoke tickets")
