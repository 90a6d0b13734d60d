from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from nlp.routing import CITY, NEGLIGIBLE_PLATFORM, ONE_PRODUCT_ROWS, PlatformHead, TwoLevelRouter

# Three platforms; unit u<p><k> belongs to platform p. Feature p marks the platform, feature
# 3 + k the unit's function: the router must combine both.
PLATFORMS = {f"u{p}{k}": f"p{p}" for p in range(3) for k in range(3)}  # u<p>2 are spare units


def _tickets(n: int, seed: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    units = rng.choice([u for u in sorted(PLATFORMS) if u[2] != "2"], size=n)
    X = np.zeros((n, 8))
    for i, unit in enumerate(units):
        X[i, int(unit[1])] = 1.0
        X[i, 3 + int(unit[2])] = 1.0
        X[i, 5 + rng.integers(3)] = rng.random()  # noise
    return sparse.csr_matrix(X), units


def _router(**params: object) -> TwoLevelRouter:
    head = CalibratedClassifierCV(LinearSVC(), cv=3)
    return TwoLevelRouter(head=head, unit_platforms=PLATFORMS, **params)


def test_learns_platform_and_unit_within_it() -> None:
    X, y = _tickets(300, 0)
    router = _router().fit(X, y)
    X_new, y_new = _tickets(100, 1)
    assert (router.predict(X_new) == y_new).mean() > 0.95
    assert list(router.classes_) == sorted(u for u in PLATFORMS if u[2] != "2")
    proba = router.predict_proba(X_new)
    assert np.allclose(proba.sum(axis=1), 1.0)
    # A unit's probability is its platform's share times its own: never above its platform's.
    platforms = router.platform_proba(X_new)
    for j, unit in enumerate(router.classes_):
        column = list(router.platform_head_.classes_).index(PLATFORMS[unit])
        assert (proba[:, j] <= platforms[:, column] + 1e-12).all()


def test_units_too_rare_are_left_out_but_still_train_the_platform() -> None:
    X, y = _tickets(300, 0)
    y = y.copy()
    y[:2] = "u22"  # a unit seen twice
    X = X.tolil()
    for i in range(2):
        X[i, :] = 0
        X[i, 2], X[i, 5] = 1.0, 1.0
    router = _router(min_unit_count=3).fit(X.tocsr(), y)
    assert router.rare_units_ == {"u22": 2} and "u22" not in router.classes_
    assert "p2" in router.platform_head_.classes_


def test_a_platform_with_one_unit_answers_it_with_the_platforms_probability() -> None:
    X, y = _tickets(300, 0)
    keep = ~np.isin(y, ["u21"])  # platform p2 keeps only u20
    router = _router().fit(X[keep], y[keep])
    proba = router.predict_proba(X[:20])
    column = list(router.classes_).index("u20")
    platform = router.platform_proba(X[:20])[:, list(router.platform_head_.classes_).index("p2")]
    assert np.allclose(proba[:, column], platform)


def test_feature_selection_keeps_what_tells_units_apart() -> None:
    X, y = _tickets(300, 0)
    router = _router(max_features=2).fit(X, y)
    for columns, _head in router.unit_heads_.values():
        assert len(columns) <= 2 and set(columns) <= {3, 4, 5, 6, 7}
    assert (router.predict(X) == y).mean() > 0.9  # the function features survive the selection


def test_every_unit_needs_a_platform() -> None:
    X, y = _tickets(30, 0)
    y = y.astype(object)
    y[0] = "nowhere"
    with pytest.raises(ValueError, match="expected a platform for every unit"):
        _router().fit(X, y)


def test_fast_evaluation_equals_the_fitted_heads_own() -> None:
    X, y = _tickets(300, 0)
    router = _router(max_features=3).fit(X, y)
    X_new, _ = _tickets(50, 2)
    platform = router.platform_head_.predict_proba(X_new)
    expected = np.zeros((50, len(router.classes_)))
    for p, name in enumerate(router.platform_head_.classes_):
        columns, head = router.unit_heads_[name]
        within = head.predict_proba(X_new[:, columns])
        for j, unit in enumerate(head.classes_):
            expected[:, list(router.classes_).index(unit)] = platform[:, p] * within[:, j]
    # Units of a platform below NEGLIGIBLE_PLATFORM for a ticket are 0, at most that far from their value.
    negligible = np.array(
        [platform[:, list(router.platform_head_.classes_).index(PLATFORMS[u])] for u in router.classes_]
    ).T
    expected = np.where(negligible < NEGLIGIBLE_PLATFORM, 0.0, expected)
    assert np.abs(router.predict_proba(X_new) - expected).max() < 1e-9
    assert np.abs(router.predict_proba(X_new[:1]) - expected[:1]).max() < 1e-9  # one ticket, as the service asks
    # A few tickets go through one product over every platform, a batch through one per platform: same values.
    singles = np.vstack([router.predict_proba(X_new[i : i + 1]) for i in range(10)])
    np.testing.assert_array_equal(singles, router.predict_proba(X_new)[:10])


DISTRICTS = 6


def _city_and_districts(n: int, seed: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Features 0-5: the place names district d0-d5 (or none); 6: a city-level matter; 7: a local matter.

    City matters stay at 市级 whatever place they name; local matters go to the named district,
    and to 市级 when no place is named. City matters seldom name a place (2 %), so no district
    learns from its own tickets that a city matter is not its own.
    """
    rng = np.random.default_rng(seed)
    X = np.zeros((n, DISTRICTS + 3))
    y = np.empty(n, dtype=object)
    for i in range(n):
        city_matter = rng.random() < 0.3
        named = rng.random() < (0.02 if city_matter else 0.8)
        district = rng.integers(DISTRICTS)
        if named:
            X[i, district] = 1.0
        X[i, DISTRICTS if city_matter else DISTRICTS + 1] = 1.0
        X[i, DISTRICTS + 2] = rng.random()
        y[i] = CITY if city_matter or not named else f"d{district}"
    return sparse.csr_matrix(X), y


def _probes(matter: int) -> sparse.csr_matrix:
    """One ticket per district naming it, about a city (0) or local (1) matter; then one naming no place."""
    probe = np.zeros((DISTRICTS + 1, DISTRICTS + 3))
    for d in range(DISTRICTS):
        probe[d, d] = 1.0
    probe[:, DISTRICTS + matter] = 1.0
    return sparse.csr_matrix(probe)


def test_a_batch_leaves_the_few_ticket_weights_unbuilt() -> None:
    X, y = _tickets(300, 0)
    router = _router(max_features=3).fit(X, y)
    X_new, _ = _tickets(ONE_PRODUCT_ROWS + 1, 3)
    batch = router.predict_proba(X_new)
    compiled = router._compiled(X_new.shape[1])
    assert "weights" not in vars(compiled)  # built on first use by a few tickets only
    few = router.predict_proba(X_new[:2])
    assert "weights" in vars(compiled)
    assert np.abs(few - batch[:2]).max() < 1e-9


def test_platform_head_lets_city_matters_outvote_the_place() -> None:
    X, y = _city_and_districts(600, 0)
    svm = CalibratedClassifierCV(LinearSVC(), cv=3)
    head = PlatformHead(head=svm).fit(X, y)
    assert list(head.classes_) == sorted([CITY, *(f"d{d}" for d in range(DISTRICTS))])
    city = head.predict_proba(_probes(0))
    assert np.allclose(city.sum(axis=1), 1.0)
    assert set(head.classes_[city.argmax(axis=1)]) == {CITY}  # the matter decides, not the place
    local = head.predict(_probes(1))
    assert list(local) == [*(f"d{d}" for d in range(DISTRICTS)), CITY]  # the place decides; none: 市级
    X_new, y_new = _city_and_districts(300, 1)
    assert (head.predict(X_new) == y_new).mean() > 0.95
    # One flat head over the platforms lets the named district win for some city matters.
    flat = clone(svm).fit(X, y)
    assert (flat.predict(_probes(0)) != CITY).any()


def test_platform_head_without_a_city_level_is_a_district_head() -> None:
    X, y = _city_and_districts(600, 0)
    local = np.flatnonzero(y != CITY)
    head = PlatformHead(head=CalibratedClassifierCV(LinearSVC(), cv=3)).fit(X[local], y[local])
    assert head.level_head_ is None and CITY not in head.classes_
    assert (head.predict(X[local]) == y[local]).mean() > 0.95
