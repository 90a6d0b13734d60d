"""Two-level routing: the platform, then the handling unit within it.

Suzhou dispatches every work order to one of about 900 units through 11 platforms (its 10
districts and county-level cities, and the city level, 市级). One classifier over 900 units
would hold 900 weight vectors over every feature and learn each district's streets from a
handful of tickets. Here the decision is split the way dispatch is:

    P(unit | ticket) = P(platform of the unit | ticket) * P(unit | platform, ticket)

The platform head sees every ticket; each platform's unit head sees only that platform's
tickets and separates its units by content, on the features that tell them apart most
(chi-squared selection per platform), which keeps the model small. The unit's probability can
never exceed its platform's, so a ticket whose platform is uncertain is never routed to a unit
automatically.

The platform itself is two decisions (:class:`PlatformHead`): does the matter stay at city
level (content decides: the provident fund, the health code), and if not, which district
(the place decides). One flat 11-class head lets a named street outvote the content: the
district's classifier rarely sees city matters that name its streets, so it stays confident.
"""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.feature_selection import chi2
from sklearn.utils.validation import check_is_fitted

from nlp.fastpath import (  # the arrays the service evaluates for calibrated heads
    FastHead,
    fast_head,
    fast_head_on_columns,
)

__all__ = ["CITY", "NEGLIGIBLE_PLATFORM", "PlatformHead", "TwoLevelRouter"]

CITY = "市级"  # the platform of city-level units


class _Constant:
    """The unit head of a platform with a single unit: it always answers that unit."""

    classes_: np.ndarray

    def __init__(self, label: Any) -> None:
        self.classes_ = np.array([label], dtype=object)

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.ones((X.shape[0], 1))


class _Selected:
    """A unit head evaluated on its selected columns (through the fast path when it knows the head)."""

    def __init__(self, head: Any, columns: np.ndarray) -> None:
        self.head, self.columns = head, columns

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(fast_head(self.head).predict_proba(X[:, self.columns]))


class PlatformHead(ClassifierMixin, BaseEstimator):
    """Platform probabilities as P(city level), then the districts sharing the rest.

    ``P(市级) = P_level(city)`` and ``P(district) = (1 - P_level(city)) * P_district(district)``,
    where the level head is fitted on every ticket (city level or not) and the district head
    on the tickets of the districts only.

    Parameters
    ----------
    head : classifier
        Unfitted probabilistic classifier, cloned for the level head and the district head.
    city : str
        The label of the city level.

    Attributes
    ----------
    classes_ : ndarray
        The platforms, sorted.
    level_head_ : classifier or None
        City level (``True``) or not; None when the tickets hold only one of the two.
    district_head_ : classifier or None
        Among the districts; None when the tickets hold no district.
    """

    def __init__(self, head: Any = None, city: str = CITY) -> None:
        self.head = head
        self.city = city

    def fit(self, X: Any, y: Any) -> PlatformHead:
        """Fit the level head on every row and the district head on the districts' rows."""
        platforms = np.asarray(y, dtype=object)
        at_city = platforms == self.city
        districts = np.unique(platforms[~at_city])
        self.level_head_ = clone(self.head).fit(X, at_city) if at_city.any() and len(districts) else None
        self.district_head_ = None
        if len(districts) == 1:
            self.district_head_ = _Constant(districts[0])
        elif len(districts) > 1:
            local = np.flatnonzero(~at_city)
            self.district_head_ = clone(self.head).fit(X[local], platforms[local])
        labels = [*([self.city] if at_city.any() else []), *(str(d) for d in districts)]
        self.classes_ = np.array(sorted(labels), dtype=object)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each platform of :attr:`classes_` (rows sum to 1)."""
        check_is_fitted(self, "classes_")
        position = {label: i for i, label in enumerate(self.classes_)}
        out = np.zeros((X.shape[0], len(self.classes_)))
        city = np.zeros(X.shape[0]) if self.city not in position else np.ones(X.shape[0])
        if self.level_head_ is not None:
            level = fast_head(self.level_head_)
            city = level.predict_proba(X)[:, list(self.level_head_.classes_).index(True)]
        if self.city in position:
            out[:, position[self.city]] = city
        if self.district_head_ is not None:
            columns = [position[str(c)] for c in self.district_head_.classes_]
            out[:, columns] = (1.0 - city)[:, None] * fast_head(self.district_head_).predict_proba(X)
        return out

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


@dataclass(frozen=True)
class _UnitHeads:
    """The router's unit heads as the fast path evaluates them.

    ``heads``: per platform with units, its column in the platform head, its units' columns in
    the router's classes, its head on its selected columns (for a batch), the same head's
    calibration and its outputs in :attr:`weights` (for a few tickets; None for a head the fast
    path does not know). ``spread``: the (head, selected columns) of those outputs, in order.
    """

    heads: list[tuple[int, np.ndarray, Any, Any, slice | None]]
    spread: list[tuple[Any, np.ndarray]]
    n_features: int

    @cached_property
    def weights(self) -> Any:
        """Every spread head's weights side by side (sparse, features by outputs), or None.

        Built when a few tickets first need them: a batch never does, and building them took a
        tenth of a second of a batch's start-up.
        """
        if not self.spread:
            return None
        spread = [fast_head_on_columns(head, columns, self.n_features).weights for head, columns in self.spread]
        return sparse.hstack(spread, format="csr")


_COMPILED: weakref.WeakKeyDictionary[Any, tuple[int, _UnitHeads]] = weakref.WeakKeyDictionary()

# A platform less probable than this for a ticket is not evaluated further for it (TwoLevelRouter.predict_proba).
# Calibrated platform heads leave many platforms between 1e-3 and 3e-3: skipping them too made
# scoring a batch 6-13 % faster, for one ticket in 10,000 losing its unit from the top-5
# (bench/routing.py prints both).
NEGLIGIBLE_PLATFORM = 3e-3
# Up to this many tickets, the unit heads of every platform are evaluated in one sparse product.
ONE_PRODUCT_ROWS = 8


class TwoLevelRouter(ClassifierMixin, BaseEstimator):
    """Unit probabilities as platform probability times the unit's probability within its platform.

    Parameters
    ----------
    head : classifier
        Unfitted probabilistic classifier, cloned for the platform head and for each
        platform's unit head (the project's calibrated linear SVM).
    unit_platforms : dict
        The platform of every unit (from the unit catalogue or the training export).
    max_features : int
        Features each platform's unit head keeps (chi-squared on that platform's tickets).
    min_unit_count : int
        Units with fewer training tickets are left out of their platform's unit head (their
        tickets still train the platform head); see ``rare_units_``.
    city : str
        The platform of city-level units (see :class:`PlatformHead`).

    Attributes
    ----------
    classes_ : ndarray
        Every unit the router can answer, sorted.
    platform_head_ : PlatformHead
        The fitted platform head (its ``classes_`` are the platforms).
    unit_heads_ : dict
        Platform to ``(selected feature columns, fitted unit head)``.
    rare_units_ : dict
        Units left out for having fewer than ``min_unit_count`` tickets, with their counts.
    """

    def __init__(
        self,
        head: Any = None,
        unit_platforms: dict[str, str] | None = None,
        max_features: int = 20_000,
        min_unit_count: int = 3,
        city: str = CITY,
    ) -> None:
        self.head = head
        self.unit_platforms = unit_platforms
        self.max_features = max_features
        self.min_unit_count = min_unit_count
        self.city = city

    def fit(self, X: Any, y: Any) -> TwoLevelRouter:
        """Fit the platform head on every ticket and one unit head per platform on its tickets."""
        units = np.asarray(y, dtype=object)
        mapping = self.unit_platforms or {}
        unknown = sorted(set(units.tolist()) - set(mapping))
        if unknown:
            raise ValueError(f"expected a platform for every unit, got none for {unknown[:5]} ({len(unknown)} units)")
        platforms = np.array([mapping[u] for u in units], dtype=object)
        self.platform_head_ = PlatformHead(head=self.head, city=self.city).fit(X, platforms)
        labels, counts = np.unique(units, return_counts=True)
        self.rare_units_ = {str(u): int(n) for u, n in zip(labels, counts, strict=True) if n < self.min_unit_count}
        kept = ~np.isin(units, list(self.rare_units_))
        self.unit_heads_: dict[str, tuple[np.ndarray, Any]] = {}
        for platform in self.platform_head_.classes_:
            rows = np.flatnonzero((platforms == platform) & kept)
            present = np.unique(units[rows])
            if len(present) == 0:
                continue
            if len(present) == 1:
                self.unit_heads_[platform] = (np.arange(0), _Constant(present[0]))
                continue
            columns = self._select(X[rows], units[rows])
            self.unit_heads_[platform] = (columns, clone(self.head).fit(X[rows][:, columns], units[rows]))
        self.classes_ = np.array(
            sorted(str(c) for _, head in self.unit_heads_.values() for c in head.classes_), dtype=object
        )
        return self

    def _select(self, X: Any, units: np.ndarray) -> np.ndarray:
        """The columns that tell this platform's units apart most (all columns when few)."""
        used = np.flatnonzero(np.asarray(abs(X).sum(axis=0)).ravel() > 0)  # terms these tickets use
        if len(used) <= self.max_features:
            return used
        scores, _ = chi2(X[:, used], units)
        best = np.argsort(-np.nan_to_num(scores), kind="stable")[: self.max_features]
        return np.sort(used[best])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each unit of :attr:`classes_`: its platform's times its own within the platform.

        A platform's unit head runs only on the tickets for which that platform's probability
        reaches :data:`NEGLIGIBLE_PLATFORM`; its units get 0 for the others, where their
        probability could not exceed that, far below any routing threshold. Most tickets have a
        few plausible platforms of eleven, so this skips most of the work. Rows sum to less than
        1 by the skipped share, and when a platform has no unit the router learned.
        """
        check_is_fitted(self, "unit_heads_")
        return self.unit_proba(X, self.platform_head_.predict_proba(X))

    def unit_proba(self, X: Any, platform_proba: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` given the platform head's probabilities of ``X`` (a bundle that
        also predicts the platform computes them once for both)."""
        out = np.zeros((X.shape[0], len(self.classes_)))
        compiled = self._compiled(X.shape[1])
        # A few tickets: one sparse product over every platform's units costs less than one
        # call per platform. A batch: products of the plausible platforms' rows only.
        few = X.shape[0] <= ONE_PRODUCT_ROWS and bool(compiled.spread)
        products = (X @ compiled.weights).toarray() if few else None
        for p, targets, head, calibration, outputs in compiled.heads:
            rows = np.flatnonzero(platform_proba[:, p] >= NEGLIGIBLE_PLATFORM)
            if not len(rows):
                continue
            if products is not None and outputs is not None:
                within = calibration.proba_from(products[rows, outputs])
            else:  # a batch: the platform's rows, on the head's own columns (a dense product)
                within = head.predict_proba(X if len(rows) == X.shape[0] else X[rows])
            out[np.ix_(rows, targets)] = platform_proba[rows, p][:, None] * within
        return out

    def _compiled(self, n_features: int) -> _UnitHeads:
        """The unit heads as the fast path evaluates them (see :class:`_UnitHeads`).

        Built on first use and kept, not pickled: derived from the fitted heads, as
        :mod:`nlp.fastpath` does.
        """
        cached = _COMPILED.get(self)
        if cached is not None and cached[0] == n_features:
            compiled: _UnitHeads = cached[1]
            return compiled
        position = {label: i for i, label in enumerate(self.classes_)}
        heads: list[tuple[int, np.ndarray, Any, Any, slice | None]] = []
        spread: list[tuple[Any, np.ndarray]] = []
        start = 0
        for p, platform in enumerate(self.platform_head_.classes_):
            if platform not in self.unit_heads_:
                continue
            columns, head = self.unit_heads_[platform]
            targets = np.array([position[str(c)] for c in head.classes_])
            if isinstance(head, _Constant):
                heads.append((p, targets, head, None, None))
                continue
            compiled_head = fast_head(head)
            if not isinstance(compiled_head, FastHead):
                heads.append((p, targets, _Selected(head, columns), None, None))
            else:
                width = compiled_head.weights.shape[1]
                spread.append((head, columns))
                # Its weights live in the stacked matrix only: the head keeps its calibration.
                calibration = dataclasses.replace(compiled_head, weights=None)
                heads.append((p, targets, _Selected(head, columns), calibration, slice(start, start + width)))
                start += width
        compiled = _UnitHeads(heads, spread, n_features)
        _COMPILED[self] = (n_features, compiled)
        return compiled

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])

    def platform_proba(self, X: Any) -> np.ndarray:
        """Probabilities of the platforms (columns: ``platform_head_.classes_``)."""
        check_is_fitted(self, "platform_head_")
        return np.asarray(self.platform_head_.predict_proba(X))
