"""Serving fast path: the same fitted pipelines, evaluated without scikit-learn's per-call overhead.

For one ticket, scikit-learn spends most of the time validating inputs: a calibrated
department head calls ~40 sub-estimators, each checking its array, and the ColumnTransformer
goes through joblib. Here the fitted objects are read once into plain arrays and evaluated
with the same formulas (decision function, sigmoid calibration, normalisation, mean over the
calibration ensemble; TF-IDF blocks stacked with their weights). Nothing is refitted or stored:
the fast path is derived from the pipeline in the bundle, and tests check that it gives the
pipeline's own probabilities. Structures it does not recognise fall back to scikit-learn.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from nlp.features import TicketText, clean_tickets
from nlp.ngrams import CharNgramTfidf, WordNgramTfidf
from nlp.places import PlaceFeatures
from nlp.tokenize import Tokenizer

__all__ = ["fast_features", "fast_head", "fast_head_on_columns"]

_cache: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


@dataclass(frozen=True)
class _Member:
    """One calibrated linear model of the ensemble; its weights are the next columns of ``FastHead.weights``."""

    a: np.ndarray  # sigmoid slope per output
    b: np.ndarray  # sigmoid offset per output
    columns: np.ndarray  # class column of each output


@dataclass(frozen=True)
class FastHead:
    """``CalibratedClassifierCV(method="sigmoid")`` over linear estimators, as arrays.

    The members' weights are stacked side by side in one C-ordered matrix, so that the decision
    values of the whole ensemble are one sparse product (one pass over the features instead of
    one per member, and no copy of a transposed ``coef_`` per call). Their sigmoids are applied
    to every output at once too: a loop over the members per call cost more than the product
    for one ticket.
    """

    weights: Any  # (n_features, total outputs), every member's coef_.T side by side (ndarray or sparse)
    intercepts: np.ndarray  # (total outputs,)
    members: tuple[_Member, ...]
    n_classes: int
    # Derived from ``members`` (per output: sigmoid slope and offset, member, class column).
    _a: np.ndarray = field(init=False, repr=False)
    _b: np.ndarray = field(init=False, repr=False)
    _member: np.ndarray = field(init=False, repr=False)
    _column: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        derived = {
            "_a": np.concatenate([m.a for m in self.members]),
            "_b": np.concatenate([m.b for m in self.members]),
            "_member": np.concatenate([np.full(len(m.columns), i) for i, m in enumerate(self.members)]),
            "_column": np.concatenate([m.columns for m in self.members]),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)  # frozen: set once, here

    def predict_proba(self, X: Any) -> np.ndarray:
        product = X @ self.weights
        # Sparse weights (a unit head's, over its selected features only) give a sparse product.
        return self.proba_from(product.toarray() if sparse.issparse(product) else np.asarray(product))

    def proba_from(self, products: np.ndarray) -> np.ndarray:
        """The probabilities from ``X @ weights`` (several heads' products can be computed in one).

        Per member as scikit-learn computes it: each output's sigmoid in its class column, the
        other class of a binary task as the complement, rows normalised for several classes;
        then the mean over the members.
        """
        decisions = products + self.intercepts
        n, n_members = decisions.shape[0], len(self.members)
        proba = np.zeros((n, n_members, self.n_classes))
        proba[:, self._member, self._column] = expit(-(self._a * decisions + self._b))
        if self.n_classes == 2:
            proba[:, :, 0] = 1.0 - proba[:, :, 1]
        else:
            total = proba.sum(axis=2, keepdims=True)
            proba = np.divide(proba, total, out=np.full_like(proba, 1 / self.n_classes), where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        mean = proba[:, 0].copy()
        for member in range(1, n_members):  # in member order, as scikit-learn adds them
            mean += proba[:, member]
        return mean / n_members


@dataclass(frozen=True)
class _PlaceBlock:
    """A fitted place block, fed the cleaned documents as the one-column frame it was fitted on."""

    places: PlaceFeatures

    def transform(self, docs: list[str]) -> Any:
        return self.places.transform_texts(docs)


@dataclass(frozen=True)
class FastFeatures:
    """The ticket feature pipeline: cleaning step, then weighted TF-IDF blocks stacked."""

    blocks: tuple[tuple[Any, str, float], ...]  # (fitted vectorizer, column, weight)

    def transform(self, frame: pd.DataFrame) -> sparse.csr_matrix:
        return self.transform_lists(frame["title"].tolist(), frame["text"].tolist())

    def transform_lists(
        self, titles: list[str], texts: list[str], shared: dict[Any, Any] | None = None
    ) -> sparse.csr_matrix:
        """The feature matrix of the tickets.

        ``shared`` (a dict, empty at first) carries work between the feature steps of one batch:
        bundles whose tasks were trained on different data have a feature step each, but they
        all clean the same tickets, and blocks with equal tokenizers (or equal character n-gram
        ranges) cut the same documents into the same tokens (or n-grams). Each is done once.
        Without it nothing is kept: a lone feature step needs each only once.
        """
        if shared is None:
            cleaned = clean_tickets(titles, texts)
        elif "cleaned" in shared:
            cleaned = shared["cleaned"]
        else:
            cleaned = shared["cleaned"] = clean_tickets(titles, texts)
        parts = []
        for vectorizer, column, weight in self.blocks:
            part = _block(vectorizer, cleaned[column], column, shared)
            parts.append(part * weight if weight != 1.0 else part)
        return sparse.hstack(parts, format="csr")


def _block(vectorizer: Any, docs: list[str], column: str, shared: dict[Any, Any] | None) -> Any:
    """One fitted block's matrix of ``docs``, with the segmentation or n-grams of ``shared``."""
    if shared is None:
        return vectorizer.transform(docs)
    if type(vectorizer) is WordNgramTfidf and isinstance(vectorizer.tokenizer, Tokenizer):
        key: tuple[Any, ...] = (column, "tokens", vectorizer.tokenizer)  # equal tokenizers give equal tokens
        if key not in shared:
            shared[key] = [vectorizer.tokenizer(doc) for doc in docs]
        return vectorizer.transform_tokens(shared[key])
    if type(vectorizer) is CharNgramTfidf:
        # Counted once (each document's distinct n-grams): every block then looks up each
        # distinct n-gram of the batch once instead of every occurrence.
        key = (column, "chars", tuple(vectorizer.ngram_range))
        if key not in shared:
            shared[key] = vectorizer.ngram_counts(docs)
        return vectorizer.transform_counts(shared[key])
    return vectorizer.transform(docs)


def _compile_head(classifier: Any) -> FastHead | None:
    if not isinstance(classifier, CalibratedClassifierCV) or not hasattr(classifier, "calibrated_classifiers_"):
        return None
    classes = list(classifier.classes_)
    members: list[_Member] = []
    weights: list[np.ndarray] = []
    intercepts: list[np.ndarray] = []
    for calibrated in classifier.calibrated_classifiers_:
        estimator = calibrated.estimator
        if (
            calibrated.method != "sigmoid"
            or not hasattr(estimator, "coef_")
            or not hasattr(estimator, "decision_function")
        ):
            return None
        coef = np.asarray(estimator.coef_)
        columns = np.array([classes.index(c) for c in estimator.classes_])
        if len(classes) == 2:
            columns = np.array([1])  # binary: the single output is the score of classes_[1]
        weights.append(coef.T)
        intercepts.append(np.broadcast_to(np.asarray(estimator.intercept_, dtype=float), coef.shape[:1]))
        members.append(
            _Member(
                a=np.array([c.a_ for c in calibrated.calibrators], dtype=float),
                b=np.array([c.b_ for c in calibrated.calibrators], dtype=float),
                columns=columns[: coef.shape[0]],
            )
        )
    return FastHead(
        weights=np.ascontiguousarray(np.hstack(weights), dtype=float),
        intercepts=np.concatenate(intercepts),
        members=tuple(members),
        n_classes=len(classes),
    )


def _compile_features(features: Any) -> FastFeatures | None:
    if not isinstance(features, Pipeline) or len(features.steps) != 2:
        return None
    text_step, vectors = features.steps[0][1], features.steps[1][1]
    if (
        type(text_step) is not TicketText
        or not isinstance(vectors, ColumnTransformer)
        or not hasattr(vectors, "transformers_")
    ):
        return None
    weights = vectors.transformer_weights or {}
    blocks = []
    for name, transformer, column in vectors.transformers_:
        if transformer == "drop" or name == "remainder":
            continue
        if isinstance(transformer, PlaceFeatures) and list(column) == [transformer.text_col]:
            blocks.append((_PlaceBlock(transformer), transformer.text_col, float(weights.get(name, 1.0))))
            continue
        if transformer == "passthrough" or not isinstance(column, str):
            return None
        if not hasattr(transformer, "vocabulary_") and type(transformer) not in (CharNgramTfidf, WordNgramTfidf):
            return None
        blocks.append((transformer, column, float(weights.get(name, 1.0))))
    return FastFeatures(blocks=tuple(blocks))


def _cached(obj: Any, compile_: Any) -> Any:
    with _lock:
        try:
            return _cache[obj]
        except KeyError:
            compiled = _cache[obj] = compile_(obj) or obj  # fall back to the object itself
            return compiled


def fast_features(features: Any) -> Any:
    """An object with ``transform(frame)`` equal to ``features.transform``, faster when recognised."""
    return _cached(features, _compile_features)


def fast_head_on_columns(classifier: Any, columns: np.ndarray, n_features: int) -> Any:
    """A head fitted on ``X[:, columns]``, evaluated on the whole ``X`` (its weights spread to every column, sparse).

    Selecting columns of a sparse row costs a pass over every feature; spreading the weights
    once makes the head one sparse product over the ticket's own terms.
    """
    compiled = fast_head(classifier)
    if not isinstance(compiled, FastHead):
        return None
    spread = sparse.csr_matrix(
        (np.ones(len(columns)), (columns, np.arange(len(columns)))), shape=(n_features, len(columns))
    )
    return FastHead(
        weights=(spread @ sparse.csr_matrix(compiled.weights)).tocsr(),
        intercepts=compiled.intercepts,
        members=compiled.members,
        n_classes=compiled.n_classes,
    )


def fast_head(classifier: Any) -> Any:
    """An object with ``predict_proba(X)`` equal to ``classifier.predict_proba``, faster when recognised."""
    return _cached(classifier, _compile_head)
