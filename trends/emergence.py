"""Is a topic emerging? Its share of this week's tickets against its share in the weeks before.

Pure functions on counts: a topic's weekly counts (tickets like the topic's, see ``History``
in :mod:`trends.digest`) and the number of tickets each week. No I/O.

The count model (Gamma-Poisson)
    A topic's rate per ticket in the baseline weeks gets a Gamma posterior: a weak prior
    (shape ``prior_shape``, about half a ticket) plus the baseline's tickets like the topic
    over the baseline's tickets. This week's count is then negative binomial (a Poisson count
    whose rate is uncertain), and the surprise of a week is its upper tail: the chance of at
    least this many tickets if nothing had changed. The prior keeps a topic silent in the
    baseline (or never seen) from having a rate of exactly zero, so its first tickets are
    surprising but finite, and a thin history (80 tickets a week) makes a wide predictive,
    a thick one (330,000 a week) a narrow one.

False discoveries
    A digest tests every topic of the week; the p-values are adjusted by Benjamini-Hochberg
    (the q-value) and a topic is significant when its q-value is at most ``fdr``: among the
    topics flagged, about ``fdr`` of them are expected to be chance.

Minimum effect
    At 330,000 tickets a week a change of 3 % is statistically certain and means nothing to an
    analyst (and the clustering itself moves a topic's count by more than that). A topic is
    only flagged when its share is at least ``min_ratio`` times its baseline share and it has
    at least ``min_excess`` tickets more than expected, or ``excess_share`` of the week's tickets
    when that is more (33 tickets in a week of 330,000).

Statuses
    ``new``: nothing like it in any earlier week, significant and large enough;
    ``growing``: its share rose week on week over the last ``growth_weeks`` weeks, and this
    week's share against the share where the rise began is significant and large enough;
    ``emerging``: significant and large enough against the baseline;
    ``fading``: at most 1 / ``min_ratio`` of its baseline share, significantly;
    ``steady`` otherwise (and always when there is no earlier week to compare with).
    The first three are flagged (``emerging`` is true).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Emergence", "EmergenceParams", "assess", "bh_q_values", "surge_p_values"]

STATUSES = ("new", "growing", "emerging", "fading", "steady")
FLAGGED = frozenset({"new", "growing", "emerging"})


@dataclass(frozen=True)
class EmergenceParams:
    """Knobs of the emergence rule (documented defaults; see the module docstring)."""

    baseline_weeks: int = 4  # weeks before this one that make the baseline share
    prior_shape: float = 0.5  # Gamma prior of a topic's rate per ticket: about half a ticket's evidence
    fdr: float = 0.05  # Benjamini-Hochberg level across the week's topics
    min_ratio: float = 2.0  # this week's share against the baseline share
    min_excess: float = 3.0  # tickets above the expected count
    excess_share: float = 1e-4  # ... or this share of the week's tickets, whichever is more
    growth_weeks: int = 3  # week-on-week rises that make a steady growth

    def __post_init__(self) -> None:
        if self.baseline_weeks < 1 or self.growth_weeks < 1:
            raise ValueError(
                f"expected baseline_weeks and growth_weeks >= 1, got {self.baseline_weeks} and {self.growth_weeks}"
            )
        if not 0 < self.fdr < 1:
            raise ValueError(f"expected 0 < fdr < 1, got {self.fdr}")
        if self.prior_shape <= 0 or self.min_ratio < 1:
            raise ValueError(f"expected prior_shape > 0 and min_ratio >= 1, got {self.prior_shape}, {self.min_ratio}")


@dataclass(frozen=True)
class Emergence:
    """The verdict on one topic this week."""

    status: str
    share: float  # this week's tickets like the topic / this week's tickets
    baseline_share: float  # the same over the baseline weeks (posterior mean, with the prior)
    expected: float  # this week's tickets times the baseline share
    ratio: float  # share / baseline_share (1 without a baseline)
    p_value: float  # upper tail of this week's count against the baseline
    q_value: float  # p_value adjusted across the week's topics (Benjamini-Hochberg)
    trend_p_value: float  # the same against the share where a week-on-week rise began (1 without one)
    trend_q_value: float

    @property
    def emerging(self) -> bool:
        return self.status in FLAGGED


def surge_p_values(
    counts: np.ndarray, totals: np.ndarray, base_counts: np.ndarray, base_totals: np.ndarray, prior_shape: float
) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower tail probabilities of ``counts`` in ``totals`` tickets given a baseline.

    The rate per ticket is Gamma(``prior_shape`` + ``base_counts``, ``base_totals``) a posteriori;
    the count of ``totals`` tickets is then negative binomial. Arrays broadcast.

    Returns
    -------
    upper, lower : ndarray
        P(X >= counts) and P(X <= counts).
    """
    counts = np.asarray(counts, dtype=float)
    shape = prior_shape + np.asarray(base_counts, dtype=float)
    base_totals = np.maximum(np.asarray(base_totals, dtype=float), 1.0)  # a baseline of no tickets: the prior alone
    p = base_totals / (base_totals + np.asarray(totals, dtype=float))
    upper = stats.nbinom.sf(counts - 1, shape, p)
    lower = stats.nbinom.cdf(counts, shape, p)
    return np.clip(upper, 0.0, 1.0), np.clip(lower, 0.0, 1.0)


def bh_q_values(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of one week's tests; empty stays empty."""
    p_values = np.asarray(p_values, dtype=float)
    if not p_values.size:
        return p_values
    return np.asarray(stats.false_discovery_control(p_values, method="bh"))


def _rising_start(shares: np.ndarray, covered: int, growth_weeks: int) -> int | None:
    """Column where a rise of ``growth_weeks`` week-on-week increases ending this week began, if any."""
    start = shares.size - 1 - growth_weeks
    if start < shares.size - covered:  # the rise must lie within weeks the data covers
        return None
    run = shares[start:]
    return start if bool(np.all(np.diff(run) > 0)) else None


def assess(
    counts: np.ndarray, totals: np.ndarray, *, covered: int | None = None, params: EmergenceParams | None = None
) -> list[Emergence]:
    """The emergence status of each topic of this week.

    Parameters
    ----------
    counts : ndarray of shape (n_topics, n_weeks)
        Tickets like each topic in each week, oldest first; the last column is this week.
    totals : ndarray of shape (n_weeks,)
        Tickets in each week.
    covered : int, optional
        How many of the last weeks (this one included) the data covers; earlier weeks are
        unknown, not empty, and are ignored. Default: every week.
    params : EmergenceParams, optional

    Returns
    -------
    list of Emergence
        One per row of ``counts``, q-values adjusted across the rows.
    """
    params = params or EmergenceParams()
    counts = np.asarray(counts, dtype=float)
    totals = np.asarray(totals, dtype=float)
    if counts.ndim != 2 or totals.shape != (counts.shape[1],):
        raise ValueError(
            f"expected counts (n_topics, n_weeks) and totals (n_weeks,), got {counts.shape}, {totals.shape}"
        )
    if (counts < 0).any() or (totals < 0).any() or (counts > totals).any():
        raise ValueError("expected non-negative counts no larger than the week's tickets")
    n_topics, n_weeks = counts.shape
    covered = n_weeks if covered is None else min(covered, n_weeks)
    if n_topics == 0:
        return []
    now, total = counts[:, -1], max(totals[-1], 1.0)
    share = now / total
    base = slice(max(n_weeks - covered, n_weeks - 1 - params.baseline_weeks), n_weeks - 1)
    base_counts, base_total = counts[:, base].sum(axis=1), totals[base].sum()
    has_baseline = base.stop > base.start and base_total > 0
    baseline_share = (params.prior_shape + base_counts) / max(base_total, 1.0)
    expected = total * baseline_share
    # Without a baseline there is no change to measure: 1, not this week's share over the prior alone.
    ratio = share / baseline_share if has_baseline else np.ones(n_topics)
    floor = max(params.min_excess, params.excess_share * total)
    large = (ratio >= params.min_ratio) & (now - expected >= floor)
    if has_baseline:
        upper, lower = surge_p_values(now, total, base_counts, base_total, params.prior_shape)
    else:  # nothing to compare with: no test
        upper = lower = np.ones(n_topics)
    q, q_fading = bh_q_values(upper), bh_q_values(lower)

    shares = counts / np.maximum(totals, 1.0)
    trend_p = np.ones(n_topics)
    trend_large = np.zeros(n_topics, dtype=bool)
    for t in range(n_topics):
        start = _rising_start(shares[t], covered, params.growth_weeks)
        if start is None:
            continue
        trend_p[t] = surge_p_values(now[t], total, counts[t, start], totals[start], params.prior_shape)[0]
        start_share = (params.prior_shape + counts[t, start]) / max(totals[start], 1.0)
        trend_large[t] = share[t] >= params.min_ratio * start_share and now[t] - total * start_share >= floor
    trend_q = bh_q_values(trend_p)

    earlier = counts[:, n_weeks - covered : n_weeks - 1]
    silent = earlier.sum(axis=1) == 0  # nothing like it in any earlier week the data covers
    out = []
    for t in range(n_topics):
        surge = has_baseline and bool(large[t]) and q[t] <= params.fdr
        if surge and silent[t]:
            status = "new"
        elif trend_large[t] and trend_q[t] <= params.fdr:
            status = "growing"
        elif surge:
            status = "emerging"
        elif has_baseline and ratio[t] * params.min_ratio <= 1 and q_fading[t] <= params.fdr:
            status = "fading"
        else:
            status = "steady"
        out.append(
            Emergence(
                status=status,
                share=float(share[t]),
                baseline_share=float(baseline_share[t]),
                expected=float(expected[t]),
                ratio=float(ratio[t]),
                p_value=float(upper[t]),
                q_value=float(q[t]),
                trend_p_value=float(trend_p[t]),
                trend_q_value=float(trend_q[t]),
            )
        )
    return out
