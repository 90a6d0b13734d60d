"""The one-split calibration holdout of large exports."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import SGDClassifier

from nlp.calibration import CalibrationHoldout


def test_split_is_stratified_capped_and_keeps_every_class_on_both_sides() -> None:
    y = np.array(["a"] * 1000 + ["b"] * 50 + ["c"] * 2 + ["d"])
    (fitting, calibration), *more = list(CalibrationHoldout(share=0.2, max_rows=100).split(None, y))
    assert not more
    assert len(np.intersect1d(fitting, calibration)) == 0 and len(fitting) + len(calibration) == len(y)
    assert 90 <= len(calibration) <= 110  # capped at about 100 rows, not 20 % of 1,053
    held = dict(zip(*np.unique(y[calibration], return_counts=True), strict=True))
    assert held["a"] > held["b"] >= 1 and held["c"] == 1 and "d" not in held  # a class of one row stays fitted
    assert set(y[fitting]) == {"a", "b", "c", "d"}


def test_same_seed_same_split_other_seed_other_split() -> None:
    y = np.repeat(np.arange(5), 40)
    first = next(CalibrationHoldout(random_state=1).split(None, y))[1]
    assert np.array_equal(first, next(CalibrationHoldout(random_state=1).split(None, y))[1])
    assert not np.array_equal(first, next(CalibrationHoldout(random_state=2).split(None, y))[1])


@pytest.mark.parametrize("share,max_rows", [(0.0, 10), (1.0, 10), (0.2, 0)])
def test_bad_parameters_are_refused(share: float, max_rows: int) -> None:
    with pytest.raises(ValueError, match="expected 0 < share < 1"):
        next(CalibrationHoldout(share=share, max_rows=max_rows).split(None, np.zeros(10)))


def test_calibrated_classifier_fits_once_and_separates_classes() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    X = sparse.csr_matrix(np.eye(3)[y] * 2 + rng.normal(0, 0.5, (600, 3)))
    head = CalibratedClassifierCV(SGDClassifier(random_state=0), cv=CalibrationHoldout(max_rows=150)).fit(X, y)
    assert len(head.calibrated_classifiers_) == 1
    proba = head.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1) and (proba.argmax(axis=1) == y).mean() > 0.9
