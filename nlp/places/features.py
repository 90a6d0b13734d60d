"""Place features for routing: the problem's place of each ticket as one-hot columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from nlp.places.gazetteer import PLATFORMS, Place
from nlp.places.resolver import PlaceKey, place_key, resolve_ticket, resolver_for

__all__ = ["PlaceFeatures"]

NO_PLACE = "place=none"


class PlaceFeatures(TransformerMixin, BaseEstimator):
    """Map tickets (a DataFrame with ``title`` and ``text``) to a sparse indicator matrix of their problem's place.

    Columns: ``district=<platform>`` for each of the 10 platforms, ``place=none``, then
    ``street=<name>`` and ``community=<name>`` for the streets and communities seen in the
    fitted tickets (``levels`` chooses which; ``landmark`` may be added). A ticket whose
    problem's place is ambiguous between k districts gets 1/k in each of their columns.

    Parameters
    ----------
    custom_places : sequence of Place, default=()
        An operator's places (:func:`nlp.places.load_custom_places`), carried as data: a pickled
        transformer rebuilds its matcher from them after loading.
    levels : tuple of str, default=("street", "community")
        The levels below the district that get columns.
    title_col, text_col : str
        The columns read.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Column index of each feature name.
    feature_names_in_ : ndarray of str
        The columns read (``title_col``, ``text_col``).
    """

    def __init__(
        self,
        *,
        custom_places: Sequence[Place] = (),
        levels: tuple[str, ...] = ("street", "community"),
        title_col: str = "title",
        text_col: str = "text",
    ) -> None:
        self.custom_places = custom_places
        self.levels = levels
        self.title_col = title_col
        self.text_col = text_col

    def _places(self, X: Any) -> list[PlaceKey]:
        if not isinstance(X, pd.DataFrame) or self.text_col not in X:
            got = list(X.columns) if isinstance(X, pd.DataFrame) else type(X).__name__
            raise ValueError(f"expected a DataFrame with columns {self.title_col!r} and {self.text_col!r}, got {got}")
        texts = X[self.text_col].fillna("").astype(str).tolist()
        if self.title_col not in X:  # the feature pipeline's case: one cleaned document per ticket
            return self._resolve(None, texts)
        return self._resolve(X[self.title_col].fillna("").astype(str).tolist(), texts)

    def _resolve(self, titles: list[str] | None, texts: list[str]) -> list[PlaceKey]:
        resolver = resolver_for(tuple(self.custom_places))
        if titles is None:
            return resolver.problem_keys(texts)  # in bulk
        return [place_key(resolve_ticket(t, x, resolver=resolver)) for t, x in zip(titles, texts, strict=True)]

    def _below(self, place: PlaceKey) -> list[str]:
        names = {"street": place.street, "community": place.community, "landmark": place.landmark}
        return [f"{level}={names[level]}" for level in self.levels if names.get(level)]

    def fit(self, X: pd.DataFrame, y: Any = None) -> PlaceFeatures:
        """Learn the street and community columns from the places of ``X``."""
        return self._fit(self._places(X))

    def transform(self, X: pd.DataFrame) -> sp.csr_matrix:
        """The indicator matrix of ``X`` (float64, CSR), one row per ticket."""
        if not hasattr(self, "vocabulary_"):
            raise ValueError("expected a fitted PlaceFeatures, got an unfitted one: call fit first")
        return self._matrix(self._places(X))

    def transform_texts(self, texts: list[str]) -> sp.csr_matrix:
        """:meth:`transform` of tickets given as bodies only (no title), without building a frame.

        The serving fast path feeds the cleaned documents this way; the frame costs more than
        the resolver for one ticket.
        """
        if not hasattr(self, "vocabulary_"):
            raise ValueError("expected a fitted PlaceFeatures, got an unfitted one: call fit first")
        return self._matrix(self._resolve(None, texts))

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        """:meth:`fit` then :meth:`transform`, resolving each ticket's places once (the costly part)."""
        places = self._places(X)
        return self._fit(places)._matrix(places)

    def _fit(self, places: list[PlaceKey]) -> PlaceFeatures:
        unknown = set(self.levels) - {"street", "community", "landmark"}
        if unknown:
            raise ValueError(f"expected levels among 'street', 'community', 'landmark', got {sorted(unknown)}")
        seen = sorted({name for place in places for name in self._below(place)})
        names = [f"district={d}" for d in PLATFORMS] + [NO_PLACE] + seen
        self.vocabulary_ = {name: i for i, name in enumerate(names)}
        self.feature_names_in_ = np.array([self.title_col, self.text_col], dtype=object)
        return self

    def _matrix(self, places: list[PlaceKey]) -> sp.csr_matrix:
        vocab = self.vocabulary_
        # Tickets of a batch share few distinct places: each one's columns are worked out once.
        entries: dict[PlaceKey, tuple[list[int], list[float]]] = {}
        indptr, cols, vals = [0], [], []
        for place in places:
            if place not in entries:
                districts = place.districts
                names = [f"district={d}" for d in districts] if districts else [NO_PLACE]
                below = [n for n in self._below(place) if n in vocab]
                pairs = sorted(  # canonical CSR: columns in order within a row
                    zip(
                        [vocab[name] for name in names + below],
                        [1.0 / len(names)] * len(names) + [1.0] * len(below),
                        strict=True,
                    )
                )
                entries[place] = ([c for c, _ in pairs], [w for _, w in pairs])
            columns, weights = entries[place]
            cols += columns
            vals += weights
            indptr.append(len(cols))
        return sp.csr_matrix(
            (np.array(vals, dtype=np.float64), np.array(cols, dtype=np.int32), np.array(indptr, dtype=np.int32)),
            shape=(len(places), len(vocab)),
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The column names, in column order."""
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)
