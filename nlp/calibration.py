"""A calibration split for large exports: fit on most rows, calibrate on a bounded stratified sample.

``CalibratedClassifierCV(cv=k)`` fits a classifier ``k`` times (or ``k + 1`` with
``ensemble=False``) and its sigmoids on every row. At a million tickets and hundreds of units
that is most of the training time, while a sigmoid has two parameters per class: a few
thousand held-out rows fix them as well as a million. ``CalibrationHoldout`` is a one-split
cross-validator for ``CalibratedClassifierCV(cv=CalibrationHoldout())``: one fit on the
kept rows, one sigmoid per class on the held-out ones. It lives in :mod:`nlp` because the
fitted head keeps it as a parameter, so loading a bundle must find it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["CalibrationHoldout"]


class CalibrationHoldout:
    """One stratified split: ``share`` of the rows held out for calibration, at most ``max_rows``.

    Every class with at least two rows has at least one row on each side, so every class the
    classifier learns also gets a calibrated sigmoid; a class with one row stays on the fitting side.

    Parameters
    ----------
    share : float, default=0.2
        Share of the rows held out (before the cap).
    max_rows : int, default=20_000
        Cap on the held-out rows: beyond it, more rows add time, not precision.
    random_state : int, default=0
        Seed of the draw.
    """

    def __init__(self, share: float = 0.2, max_rows: int = 20_000, random_state: int = 0) -> None:
        self.share = share
        self.max_rows = max_rows
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return 1

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(fitting rows, calibration rows)`` once."""
        if not 0 < self.share < 1 or self.max_rows < 1:
            raise ValueError(
                f"expected 0 < share < 1 and max_rows >= 1, got share={self.share}, max_rows={self.max_rows}"
            )
        labels = np.asarray(y if y is not None else np.zeros(X.shape[0]))
        share = min(self.share, self.max_rows / max(1, len(labels)))
        rng = np.random.default_rng(self.random_state)
        _, codes = np.unique(labels, return_inverse=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        held: list[np.ndarray] = []
        for rows in np.split(order, bounds):
            if len(rows) < 2:
                continue
            take = min(len(rows) - 1, max(1, round(share * len(rows))))
            held.append(rng.choice(rows, size=take, replace=False))
        calibration = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
        fitting = np.setdiff1d(np.arange(len(labels)), calibration, assume_unique=True)
        yield fitting, calibration

    def __repr__(self) -> str:
        return f"CalibrationHoldout(share={self.share}, max_rows={self.max_rows}, random_state={self.random_state})"
