"""The scoring core: every task of a bundle for a batch of tickets, as typed results.

Everything that scores tickets goes through :func:`score`: file prediction, the service,
evaluation and explanations. It cleans, segments and vectorises each batch once per fitted
feature step (see :mod:`nlp.fastpath`), runs every head, applies the seed-term rules of binary
tasks, and decides the route. Callers format :class:`Scores` as they need (table columns in
:mod:`nlp.predict`, nested JSON in the service) instead of parsing each other's keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from nlp.batching import SCORE_BATCH
from nlp.bundle import Bundle
from nlp.fastpath import FastFeatures, fast_features, fast_head
from nlp.routing import TwoLevelRouter
from nlp.seeds import seed_documents, seed_hits
from nlp.tasks import is_binary

__all__ = ["AUTO_MIN_CONFIDENCE", "Scores", "TaskScores", "auto_routed", "score"]

# A ticket is routed automatically only when its answer is more likely than all the others
# together. For a unit this also means its platform is the most probable one (a unit's
# probability never exceeds its platform's), so a unit and a platform that disagree go to a
# person. The held-out set alone can set a lower threshold, on generated tickets easier than
# people's.
AUTO_MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class TaskScores:
    """One task's probabilities for a batch of tickets.

    Attributes
    ----------
    task : str
    classes : ndarray
        The labels, in the column order of ``proba`` (``[0, 1]`` for a binary task).
    proba : ndarray of shape (n_tickets, n_classes)
        Calibrated probabilities; for a binary task with seed terms, a ticket naming a seed
        has probability 1.0 of class 1.
    """

    task: str
    classes: np.ndarray
    proba: np.ndarray

    @property
    def binary(self) -> bool:
        return is_binary(self.task)

    def positive(self) -> np.ndarray:
        """Probability of class 1 (binary tasks)."""
        return self.proba[:, list(self.classes).index(1)]

    def decision(self) -> np.ndarray:
        """The predicted value per ticket: 0/1 at 0.5 for a binary task, else the most probable label."""
        if self.binary:
            return (self.positive() >= 0.5).astype(int)
        return self.classes[self.proba.argmax(axis=1)]

    def top_indices(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The columns of the ``k`` most probable classes per ticket and their probabilities, most probable first."""
        if k < 1:
            raise ValueError(f"expected k >= 1, got {k}")
        if k * 8 >= self.proba.shape[1]:
            order = np.argsort(-self.proba, axis=1, kind="stable")[:, :k]
            return order, np.take_along_axis(self.proba, order, axis=1)
        # Hundreds of units: k passes of argmax, each taking the row's largest value left (the
        # first of equal ones, as a stable sort of the whole row would). The taken values are
        # set aside in place and put back: a copy of the matrix costs more than the passes.
        proba, rows = self.proba, np.arange(len(self.proba))
        order = np.empty((len(proba), k), dtype=np.intp)
        taken = np.empty((len(proba), k))
        done = 0
        try:
            for j in range(k):
                column = proba.argmax(axis=1)
                taken[:, j] = proba[rows, column]
                order[:, j] = column
                proba[rows, column] = -np.inf
                done = j + 1
        finally:
            for j in range(done):
                proba[rows, order[:, j]] = taken[:, j]
        return order, taken

    def top(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most probable labels per ticket and their probabilities, most probable first."""
        order, probs = self.top_indices(k)
        return self.classes[order], probs


@dataclass(frozen=True)
class Scores:
    """Every task's :class:`TaskScores` for a batch, the route decision and, when asked, the features.

    Attributes
    ----------
    tasks : dict
        Task name to its scores, in the bundle's task order.
    route : ndarray of str or None
        ``"auto"`` where the routing task's top probability reaches the bundle's threshold
        and exceeds :data:`AUTO_MIN_CONFIDENCE`, else ``"manual"``; None for a bundle without a routing task.
    features : dict
        With ``keep_features=True``: task name to the feature matrix its head saw (tasks
        sharing a feature step share the matrix object).
    """

    tasks: dict[str, TaskScores]
    route: np.ndarray | None
    features: dict[str, Any]

    def __len__(self) -> int:
        return len(next(iter(self.tasks.values())).proba) if self.tasks else 0


def score(bundle: Bundle, titles: Sequence[str], texts: Sequence[str], *, keep_features: bool = False) -> Scores:
    """Score every task of ``bundle`` for the tickets ``(titles[i], texts[i])``.

    Parameters
    ----------
    bundle : Bundle
    titles, texts : sequence of str
        Raw ticket titles (``""`` when none) and bodies; cleaning happens inside.
    keep_features : bool
        Keep each task's feature matrix in :attr:`Scores.features` (explanations, evaluation).

    Returns
    -------
    Scores
    """
    if len(titles) != len(texts):
        raise ValueError(f"expected as many titles as texts, got {len(titles)} and {len(texts)}")
    titles, texts = list(titles), list(texts)
    if len(texts) <= SCORE_BATCH:
        return _score_batch(bundle, titles, texts, keep_features)
    parts = [
        _score_batch(bundle, titles[i : i + SCORE_BATCH], texts[i : i + SCORE_BATCH], keep_features)
        for i in range(0, len(texts), SCORE_BATCH)
    ]
    first = parts[0]
    tasks = {
        task: TaskScores(task, s.classes, np.concatenate([p.tasks[task].proba for p in parts]))
        for task, s in first.tasks.items()
    }
    route = np.concatenate([p.route for p in parts if p.route is not None]) if first.route is not None else None
    features: dict[str, Any] = {}
    stacked: dict[int, Any] = {}  # tasks that shared a matrix still share one
    for task, matrix in first.features.items():
        if id(matrix) not in stacked:
            stacked[id(matrix)] = sparse.vstack([p.features[task] for p in parts], format="csr")
        features[task] = stacked[id(matrix)]
    return Scores(tasks=tasks, route=route, features=features)


def _score_batch(bundle: Bundle, titles: list[str], texts: list[str], keep_features: bool) -> Scores:
    # Tasks whose pipelines share one fitted feature step are vectorised once; different
    # feature steps share the cleaning, segmentation and n-grams of the batch.
    matrices: dict[int, Any] = {}
    steps = {id(pipeline.steps[0][1]) for pipeline in bundle.pipelines.values()}
    shared: dict[Any, Any] | None = {} if len(steps) > 1 else None
    seed_docs: list[str] | None = None  # normalised once, for every task with seed terms
    memo: dict[tuple[int, int], np.ndarray] = {}
    tasks: dict[str, TaskScores] = {}
    features: dict[str, Any] = {}
    for task, pipeline in bundle.pipelines.items():
        step, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
        if id(step) not in matrices:
            matrices[id(step)] = _vectorise(step, titles, texts, shared)
        matrix = matrices[id(step)]
        proba = _head_proba(classifier, matrix, memo)
        classes = np.asarray(classifier.classes_, dtype=int if is_binary(task) else object)
        seeds = bundle.seeds(task)
        if seeds:
            seed_docs = seed_docs if seed_docs is not None else seed_documents(titles, texts)
            hits = seed_hits(seeds, titles, texts, documents=seed_docs)
            positive = list(classes).index(1)
            proba[hits] = 0.0
            proba[hits, positive] = 1.0
        tasks[task] = TaskScores(task, classes, proba)
        if keep_features:
            features[task] = matrix
    return Scores(tasks=tasks, route=_route(bundle, tasks), features=features)


def _head_proba(classifier: Any, matrix: Any, memo: dict[tuple[int, int], np.ndarray]) -> np.ndarray:
    """A head's probabilities of ``matrix``; the router reuses its platform head's, which the
    platform task (the same object) computed or will read from ``memo``."""
    key = (id(classifier), id(matrix))
    if key not in memo:
        if isinstance(classifier, TwoLevelRouter):
            platforms = _head_proba(classifier.platform_head_, matrix, memo)
            memo[key] = classifier.unit_proba(matrix, platforms)
        else:
            memo[key] = fast_head(classifier).predict_proba(matrix)
    return memo[key].copy()  # callers edit their copy (seed terms)


def _vectorise(step: Any, titles: list[str], texts: list[str], shared: dict[Any, Any] | None) -> Any:
    fast = fast_features(step)
    if isinstance(fast, FastFeatures):
        return fast.transform_lists(titles, texts, shared)
    import pandas as pd  # only a feature step the fast path does not know needs a frame

    return fast.transform(pd.DataFrame({"title": titles, "text": texts}))


def _route(bundle: Bundle, tasks: dict[str, TaskScores]) -> np.ndarray | None:
    """``auto`` where the routing task's top probability reaches its threshold and exceeds
    :data:`AUTO_MIN_CONFIDENCE` (None: no routing task)."""
    task = bundle.routing_task()
    if task is None or task not in tasks:
        return None
    threshold = bundle.route_threshold(task)
    # The probability callers are shown (4 decimals) is the one compared, so they can check the decision.
    confidence = tasks[task].proba.max(axis=1).round(4)
    return np.where(auto_routed(confidence, threshold), "auto", "manual")


def auto_routed(confidence: np.ndarray, threshold: float | None) -> np.ndarray:
    """Which tickets of top probability ``confidence`` are routed automatically: those reaching
    ``threshold`` (none when it is None) and exceeding :data:`AUTO_MIN_CONFIDENCE` (the floor
    holds for bundles calibrated before it existed too)."""
    if threshold is None:
        return np.zeros(len(confidence), dtype=bool)
    return (confidence >= threshold) & (confidence > AUTO_MIN_CONFIDENCE)
