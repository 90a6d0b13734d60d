"""Choosing the auto-routing threshold on held-out predictions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from nlp.scoring import AUTO_MIN_CONFIDENCE

__all__ = ["MIN_ROUTED", "choose_route_threshold", "coverage_curve"]

# A threshold must be backed by this many held-out tickets, or its precision is noise.
MIN_ROUTED = 30
# One-sided 95 % confidence: the precision of routed tickets must reach the target with this
# margin, so that on new tickets it falls below the target only rarely (not half the time).
Z_95 = 1.645


def wilson_lower_bound(successes: np.ndarray, n: np.ndarray, z: float = Z_95) -> np.ndarray:
    """Lower bound of the Wilson score interval for a binomial proportion."""
    p = successes / n
    centre = p + z * z / (2 * n)
    margin = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n)


CURVE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99)


def _confidence(y_true: ArrayLike, proba: np.ndarray, classes: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    classes_arr = np.asarray(classes, dtype=object)
    confidence = proba.max(axis=1)
    correct = classes_arr[proba.argmax(axis=1)] == np.asarray(y_true, dtype=object)
    return confidence, correct


def choose_route_threshold(
    y_true: ArrayLike,
    proba: np.ndarray,
    classes: Sequence[Any],
    *,
    target_precision: float = 0.97,
    min_routed: int = MIN_ROUTED,
    z: float = Z_95,
) -> dict[str, Any]:
    """Lowest confidence threshold whose auto-routed tickets reach ``target_precision``.

    Tickets are sorted by top probability; the threshold is the one that routes the most
    tickets while the Wilson lower bound (``z``; 0 for the plain point estimate) of the
    precision of all routed tickets stays at or above the target. It is never below
    :data:`~nlp.scoring.AUTO_MIN_CONFIDENCE`: a ticket whose answer the model holds less likely
    than all the others together stays with a person, however well such tickets did on the
    held-out set.

    Returns
    -------
    dict
        ``route_threshold`` (None when no threshold reaches the target), ``target_precision``,
        ``auto_coverage`` and ``auto_precision`` on the held-out tickets.
    """
    if not 0.0 < target_precision <= 1.0:
        raise ValueError(f"expected 0 < target_precision <= 1, got {target_precision}")
    confidence, correct = _confidence(y_true, proba, classes)
    order = np.argsort(-confidence, kind="stable")
    conf_sorted, correct_sorted = confidence[order], correct[order]
    routed = np.arange(1, len(order) + 1)
    hits = np.cumsum(correct_sorted)
    precision = hits / routed
    bound = wilson_lower_bound(hits, routed, z) if z > 0 else precision
    # A cut is only possible where the confidence drops, so ties stay on one side.
    cut_ok = np.append(conf_sorted[:-1] > conf_sorted[1:], True)
    ok = (bound >= target_precision) & cut_ok & (routed >= min_routed) & (conf_sorted > AUTO_MIN_CONFIDENCE)
    result: dict[str, Any] = {
        "target_precision": target_precision,
        "confidence_z": z,
        "route_threshold": None,
        "auto_coverage": 0.0,
        "auto_precision": None,
    }
    if ok.any():
        k = int(np.flatnonzero(ok).max()) + 1
        result.update(
            route_threshold=float(conf_sorted[k - 1]),  # exact: rounding would move the cut
            auto_coverage=round(k / len(order), 4),
            auto_precision=round(float(precision[k - 1]), 4),
        )
    return result


def coverage_curve(y_true: ArrayLike, proba: np.ndarray, classes: Sequence[Any]) -> list[dict[str, float | None]]:
    """Coverage and precision of auto-routing at a fixed grid of thresholds."""
    confidence, correct = _confidence(y_true, proba, classes)
    rows: list[dict[str, float | None]] = []
    for threshold in CURVE_THRESHOLDS:
        routed = confidence >= threshold
        rows.append(
            {
                "threshold": threshold,
                "coverage": round(float(routed.mean()), 4),
                "precision": round(float(correct[routed].mean()), 4) if routed.any() else None,
            }
        )
    return rows
