"""Prediction with a bundle: every task for a batch of tickets, features built once.

The output follows one convention for every caller (CLI, API, trend miner): binary tasks
give ``<task>`` (0/1) and ``<task>_proba`` (probability of 1); the department task gives
``department``, ``department_proba``, ``department_top3`` (list of ``[label, proba]``) and
``route`` (``auto`` when the top probability reaches the bundle's threshold, else ``manual``).
A binary task with seed terms in the sidecar (an analysts' flag ``flag:<name>``, the public
recipe's COVID lexicon) is positive by rule (probability 1.0) when a seed term is in the text.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from nlp.bundle import Bundle
from nlp.errors import BundleError
from nlp.fastpath import FastFeatures, fast_features, fast_head
from nlp.features import as_ticket_frame
from nlp.seeds import seed_documents, seed_hits
from nlp.tasks import DEPARTMENT, is_binary

__all__ = ["SMOKE_TICKETS", "TOP_K", "predict", "predict_records", "smoke_check", "warm_up", "with_seed_rule"]

TOP_K = 3

# Every bundle must answer these before it serves or is promoted: a load that unpickles but
# cannot predict (missing task, broken tokenizer) is refused.
SMOKE_TICKETS = ["我的苏康码变成黄码了，怎么转绿？", "楼上邻居半夜装修噪音太大", "请问公积金提取需要什么材料"]


def predict(bundle: Bundle, tickets: Any, *, top_k: int = TOP_K, top_as_json: bool = False) -> pd.DataFrame:
    """Predict every task of ``bundle`` for ``tickets``.

    Parameters
    ----------
    bundle : Bundle
    tickets : DataFrame or list
        Anything :func:`nlp.features.as_ticket_frame` accepts (``text``, optional ``title``).
    top_k : int
        How many departments to list in ``department_top3``.
    top_as_json : bool
        Give ``department_top3`` as the JSON text of the list (what a table cell holds),
        built for the whole batch at once, instead of Python lists.

    Returns
    -------
    DataFrame
        One row per ticket, in input order, with the columns described in the module docstring.
    """
    frame = as_ticket_frame(tickets)
    if len(frame) == 0:
        return pd.DataFrame(index=range(0))
    return pd.DataFrame(_predict_columns(bundle, frame["title"].tolist(), frame["text"].tolist(), top_k, top_as_json))


def predict_records(bundle: Bundle, titles: list[str], texts: list[str], *, top_k: int = TOP_K) -> list[dict[str, Any]]:
    """The same predictions as :func:`predict`, one plain dict per ticket (no pandas: the service's path)."""
    if len(titles) != len(texts):
        raise ValueError(f"expected as many titles as texts, got {len(titles)} and {len(texts)}")
    if not texts:
        return []
    columns = _predict_columns(bundle, titles, texts, top_k)
    values = {name: column.tolist() if isinstance(column, np.ndarray) else column for name, column in columns.items()}
    return [dict(zip(values, row, strict=True)) for row in zip(*values.values(), strict=True)]


def warm_up(bundle: Bundle) -> None:
    """Build what a bundle builds on first use (segmenters, fast paths) by predicting one ticket."""
    predict(bundle, SMOKE_TICKETS[:1])


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


# Tickets scored together: the work their feature steps share (cleaned text, tokens, n-grams)
# is kept for one batch, so memory stays bounded whatever the number of tickets.
BATCH = 10_000


def _predict_columns(
    bundle: Bundle, titles: list[str], texts: list[str], top_k: int, top_as_json: bool = False
) -> dict[str, Any]:
    if len(texts) <= BATCH:
        return _predict_batch(bundle, titles, texts, top_k, top_as_json)
    batches = [
        _predict_batch(bundle, titles[i : i + BATCH], texts[i : i + BATCH], top_k, top_as_json)
        for i in range(0, len(texts), BATCH)
    ]
    return {
        name: np.concatenate([b[name] for b in batches])
        if isinstance(batches[0][name], np.ndarray)
        else [value for b in batches for value in b[name]]
        for name in batches[0]
    }


def _predict_batch(
    bundle: Bundle, titles: list[str], texts: list[str], top_k: int, top_as_json: bool
) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    # Tasks whose pipelines share one fitted feature step are vectorised once; different
    # feature steps share the cleaning, segmentation and n-grams of the batch.
    matrices: dict[int, Any] = {}
    steps = {id(pipeline.steps[0][1]) for pipeline in bundle.pipelines.values()}
    shared: dict[Any, Any] | None = {} if len(steps) > 1 else None
    seed_docs: list[str] | None = None  # normalised once, for every task with seed terms
    for task, pipeline in bundle.pipelines.items():
        features, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
        if id(features) not in matrices:
            fast = fast_features(features)
            matrices[id(features)] = (
                fast.transform_lists(titles, texts, shared)
                if isinstance(fast, FastFeatures)
                else fast.transform(pd.DataFrame({"title": titles, "text": texts}))
            )
        proba = fast_head(classifier).predict_proba(matrices[id(features)])
        classes = list(classifier.classes_)
        if is_binary(task):
            positive = proba[:, classes.index(1)]
            if _seeds(bundle, task):
                seed_docs = seed_docs if seed_docs is not None else seed_documents(titles, texts)
                positive = with_seed_rule(bundle, task, positive, titles, texts, documents=seed_docs)
            columns[task] = (positive >= 0.5).astype(int)
            columns[f"{task}_proba"] = positive.round(4)
        else:
            columns.update(_multiclass(task, proba, classes, top_k, bundle, top_as_json))
    return columns


def _seeds(bundle: Bundle, task: str) -> list[str]:
    seeds: list[str] = bundle.meta.get("tasks", {}).get(task, {}).get("seeds") or []
    return seeds


def with_seed_rule(
    bundle: Bundle,
    task: str,
    positive: np.ndarray,
    titles: list[str],
    texts: list[str],
    *,
    documents: list[str] | None = None,
) -> np.ndarray:
    """``positive`` (probabilities of class 1) set to 1.0 where a seed term of ``task`` is in the ticket.

    Binary tasks with seed terms in the sidecar (analysts' flags, the public recipe's COVID
    lexicon) are positive by rule when a seed matches; evaluation must score them the same way.
    """
    seeds = _seeds(bundle, task)
    if not seeds:
        return positive
    return np.where(seed_hits(seeds, titles, texts, documents=documents), 1.0, positive)


def _multiclass(
    task: str, proba: np.ndarray, classes: list[Any], top_k: int, bundle: Bundle, top_as_json: bool
) -> dict[str, Any]:
    order = np.argsort(-proba, axis=1)[:, :top_k]
    top = np.take_along_axis(proba, order, axis=1).round(4)
    labels = np.asarray(classes, dtype=object)
    out: dict[str, Any] = {
        task: labels[order[:, 0]],
        f"{task}_proba": top[:, 0],
        f"{task}_top{top_k}": _top_json(labels, order, top)
        if top_as_json
        # Whole arrays to Python lists first: per-row numpy indexing costs more than the rest.
        else [
            [[label, p] for label, p in zip(names, probs, strict=True)]
            for names, probs in zip(labels[order].astype(str).tolist(), top.tolist(), strict=True)
        ],
    }
    if task == DEPARTMENT:
        threshold = bundle.route_threshold()
        auto = top[:, 0] >= threshold if threshold is not None else np.zeros(len(top), dtype=bool)
        out["route"] = np.where(auto, "auto", "manual")
    return out


def _top_json(labels: np.ndarray, order: np.ndarray, top: np.ndarray) -> list[str]:
    """``json.dumps`` of each row's ``[[label, proba], ...]``, built column by column with numpy strings.

    numpy writes a float64 as its shortest repr, as json does (checked for every 4-decimal value).
    """
    text = np.dtypes.StringDType()
    names = np.array([json.dumps(str(label), ensure_ascii=False) for label in labels], dtype=text)[order]
    probs = top.astype(text)
    cells = [np.strings.add(np.strings.add("[" + names[:, j], ", "), probs[:, j]) + "]" for j in range(order.shape[1])]
    row = cells[0]
    for cell in cells[1:]:
        row = np.strings.add(row + ", ", cell)
    return list(("[" + row + "]").tolist())
