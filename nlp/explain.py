"""Why a ticket got its prediction: the terms that pushed the predicted class most.

For a linear head, a term's push is its TF-IDF value times the class weight of the model
(averaged over the calibration ensemble). Only word features are listed (body and title
words and word bigrams, a word's pushes summed): character n-grams also push, but
fragments such as "康码变" tell an operator nothing.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from nlp.bundle import Bundle
from nlp.features import as_ticket_frame
from nlp.scoring import Scores, score

__all__ = ["explain", "explain_tickets"]

_names_cache: weakref.WeakKeyDictionary[Any, np.ndarray] = weakref.WeakKeyDictionary()
_coef_cache: weakref.WeakKeyDictionary[Any, np.ndarray] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


_WORD_BLOCKS = ("words", "title")


def _feature_names(features: Any) -> np.ndarray:
    """Readable term per feature column; ``""`` for columns that are not word features."""
    with _lock:
        if features not in _names_cache:
            names = features.named_steps["vectors"].get_feature_names_out()
            blocks_and_terms = (n.split("__", 1) for n in names)
            _names_cache[features] = np.array(
                [t if b in _WORD_BLOCKS else "" for b, t in blocks_and_terms], dtype=object
            )
        return _names_cache[features]


def _coefficients(classifier: Any) -> np.ndarray:
    """Class-by-feature weights of a calibrated linear head (binary: one row for class 1)."""
    with _lock:
        if classifier not in _coef_cache:
            coefs = [np.asarray(c.estimator.coef_) for c in classifier.calibrated_classifiers_]
            _coef_cache[classifier] = np.mean(coefs, axis=0)
        return _coef_cache[classifier]


def explain(bundle: Bundle, scores: Scores, *, task: str = "department", k: int = 5) -> list[list[dict[str, Any]]]:
    """Top ``k`` terms pushing each ticket towards its predicted class of ``task``.

    Parameters
    ----------
    bundle : Bundle
    scores : Scores
        The tickets' scores from :func:`nlp.scoring.score` with ``keep_features=True``: the
        feature matrix the head saw is reused, not computed again.
    task : str
    k : int

    Returns
    -------
    list of list of dict
        Per ticket, ``{"term": str, "weight": float}`` sorted by weight, strongest first.
    """
    if task not in bundle.pipelines:
        raise ValueError(f"expected a task of the bundle ({', '.join(bundle.tasks)}), got {task!r}")
    if task not in scores.features:
        raise ValueError(f"expected scores computed with keep_features=True, got none for {task!r}")
    pipeline = bundle.pipelines[task]
    features, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
    matrix = scores.features[task].tocsr()
    names = _feature_names(features)
    coef = _coefficients(classifier)
    scored = scores.tasks[task]
    # The predicted class's column of the head's weights (binary heads: class 1, or its negative).
    predicted = scored.proba.argmax(axis=1)
    out = []
    for row, cls in enumerate(predicted):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        columns, values = matrix.indices[start:end], matrix.data[start:end]
        # Binary heads have one weight row (for class 1); pushing towards 0 is its negative.
        weights = coef[0] * (1 if cls == 1 else -1) if coef.shape[0] == 1 else coef[cls]
        push = values * weights[columns]
        totals: dict[str, float] = {}
        for name, value in zip(names[columns], push, strict=True):
            if name and value > 0:
                totals[name] = totals.get(name, 0.0) + float(value)
        ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:k]
        out.append([{"term": term, "weight": round(value, 4)} for term, value in ranked])
    return out


def explain_tickets(
    bundle: Bundle, tickets: Any, *, task: str = "department", k: int = 5
) -> list[list[dict[str, Any]]]:
    """:func:`explain` for raw tickets (anything :func:`nlp.features.as_ticket_frame` accepts)."""
    frame = as_ticket_frame(tickets)
    scores = score(bundle, frame["title"].tolist(), frame["text"].tolist(), keep_features=True)
    return explain(bundle, scores, task=task, k=k)
