from __future__ import annotations

import numpy as np
import pytest

from training.calibrate import choose_route_threshold, coverage_curve

CLASSES = ["a", "b"]


def _scores(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Confident predictions are right more often, as with a calibrated model."""
    rng = np.random.default_rng(seed)
    confidence = rng.uniform(0.5, 1.0, n)
    right = rng.uniform(size=n) < confidence
    y = np.where(right, "a", "b")
    proba = np.column_stack([confidence, 1 - confidence])
    return y, proba


def test_threshold_reaches_the_target_on_the_routed_tickets() -> None:
    y, proba = _scores(5000)
    result = choose_route_threshold(y, proba, CLASSES, target_precision=0.9, z=0)
    threshold = result["route_threshold"]
    routed = proba.max(axis=1) >= threshold
    assert (y[routed] == "a").mean() >= 0.9
    assert result["auto_coverage"] == pytest.approx(routed.mean(), abs=1e-3)
    # The lowest such threshold: routing one step more drops below the target.
    lower = np.sort(proba.max(axis=1)[~routed])[-1]
    assert (y[proba.max(axis=1) >= lower] == "a").mean() < 0.9


def test_higher_targets_route_fewer_tickets() -> None:
    y, proba = _scores(5000)
    low = choose_route_threshold(y, proba, CLASSES, target_precision=0.85)
    high = choose_route_threshold(y, proba, CLASSES, target_precision=0.95)
    assert high["auto_coverage"] < low["auto_coverage"]


def test_unreachable_target_routes_nothing() -> None:
    y = np.array(["b"] * 100)
    proba = np.column_stack([np.linspace(0.6, 0.99, 100), 1 - np.linspace(0.6, 0.99, 100)])
    result = choose_route_threshold(y, proba, CLASSES, target_precision=0.97)
    assert result["route_threshold"] is None and result["auto_coverage"] == 0.0


def test_too_few_routed_tickets_do_not_make_a_threshold() -> None:
    y, proba = _scores(20)
    assert choose_route_threshold(y, proba, CLASSES, target_precision=0.5, min_routed=30)["route_threshold"] is None


def test_threshold_never_routes_a_ticket_below_even_odds() -> None:
    # Three classes, every ticket right: the held-out precision alone would route them all,
    # even those whose answer has 0.4.
    confidence = np.linspace(0.34, 0.99, 300)
    proba = np.column_stack([confidence, (1 - confidence) / 2, (1 - confidence) / 2])
    result = choose_route_threshold(np.array(["a"] * 300), proba, ["a", "b", "c"], target_precision=0.97)
    assert result["route_threshold"] > 0.5
    assert result["auto_coverage"] == pytest.approx((confidence > 0.5).mean(), abs=1e-3)


def test_bad_target() -> None:
    with pytest.raises(ValueError, match="expected 0 < target_precision <= 1"):
        choose_route_threshold(np.array(["a"]), np.array([[1.0, 0.0]]), CLASSES, target_precision=1.5)


def test_curve_counts_the_tickets_routed_at_each_threshold_and_how_many_are_right() -> None:
    # Four tickets: confidences 0.55 (right), 0.8 (wrong: predicts b, truth a), 0.9 and 0.99 (right).
    proba = np.array([[0.55, 0.45], [0.2, 0.8], [0.9, 0.1], [0.01, 0.99]])
    y = np.array(["a", "a", "a", "b"])
    rows = {row["threshold"]: row for row in coverage_curve(y, proba, CLASSES)}
    assert rows[0.5] == {"threshold": 0.5, "coverage": 1.0, "precision": 0.75}
    assert rows[0.8] == {"threshold": 0.8, "coverage": 0.75, "precision": pytest.approx(2 / 3, abs=1e-4)}  # >= routes
    assert rows[0.85] == {"threshold": 0.85, "coverage": 0.5, "precision": 1.0}
    assert rows[0.99] == {"threshold": 0.99, "coverage": 0.25, "precision": 1.0}


def test_curve_has_no_precision_where_nothing_is_routed() -> None:
    proba = np.array([[0.6, 0.4], [0.35, 0.65]])
    rows = coverage_curve(np.array(["a", "b"]), proba, CLASSES)
    assert [r["precision"] for r in rows if r["coverage"] == 0] == [None] * sum(r["threshold"] > 0.65 for r in rows)
    assert [r["coverage"] for r in rows if r["threshold"] <= 0.6] == [1.0] * 4


def test_confidence_margin_routes_fewer_but_holds_on_new_tickets() -> None:
    y, proba = _scores(3000, seed=1)
    plain = choose_route_threshold(y, proba, CLASSES, target_precision=0.9, z=0)
    margin = choose_route_threshold(y, proba, CLASSES, target_precision=0.9)
    assert margin["route_threshold"] > plain["route_threshold"]
    # On fresh tickets from the same model, the margin keeps precision at the target in most draws.
    held = []
    for seed in range(2, 22):
        y_new, proba_new = _scores(3000, seed=seed)
        routed = proba_new.max(axis=1) >= margin["route_threshold"]
        held.append((y_new[routed] == "a").mean() >= 0.9)
    assert sum(held) >= 17
