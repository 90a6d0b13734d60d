from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trends.emergence import EmergenceParams, assess, bh_q_values, surge_p_values

THIN = [80, 85, 78, 90, 82]  # tickets a week in a thin stream (the Teddy 2019 board: about 82)
THICK = [330_000, 328_000, 335_000, 331_000, 330_000]  # Suzhou's volume
RISING = [10_000, 11_000, 12_100, 13_300, 14_600]  # a stream growing 10 % a week


def _steady(totals: list[int], share: float) -> list[int]:
    return [round(share * t) for t in totals]


# (case, weekly counts of the topic under test, weekly totals, expected status)
CASES = [
    ("thin: 0-1 a week, then 7 of 82", [1, 0, 1, 0, 7], THIN, "emerging"),
    ("thin: never seen, then 7 of 82", [0, 0, 0, 0, 7], THIN, "new"),
    ("thin: 2 a week, then 4", [2, 2, 1, 3, 4], THIN, "steady"),
    ("thin: never seen, then 3 (too few)", [0, 0, 0, 0, 3], THIN, "steady"),
    ("thick: +3 % of 1 %", [3300, 3280, 3350, 3310, 3410], THICK, "steady"),
    ("thick: +30 % of 1 %", [3300, 3280, 3350, 3310, 4300], THICK, "steady"),
    ("thick: share 1 % -> 2.5 %", [3300, 3280, 3350, 3310, 8250], THICK, "emerging"),
    ("thick: 10 a week -> 25 (a handful at city volume)", [10, 12, 9, 11, 25], THICK, "steady"),
    ("thick: never seen, then 600", [0, 0, 0, 0, 600], THICK, "new"),
    ("thick: share halves", [3300, 3280, 3350, 3310, 1500], THICK, "fading"),
    ("growth: share rises every week, x3 overall", [200, 210, 300, 420, 630], [40_000] * 5, "growing"),
    ("growth: rises, but only x1.3", [400, 410, 440, 480, 520], [40_000] * 5, "steady"),
    ("growth: a dip breaks the run", [200, 300, 250, 420, 630], [40_000] * 5, "emerging"),
    ("growth: counts rise only as the volume does", [100, 110, 121, 133, 146], RISING, "steady"),
]


@pytest.mark.parametrize(("counts", "totals", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_status(counts: list[int], totals: list[int], status: str) -> None:
    # The topic under test sits among steady topics of 2 % and 5 %, as in a real week.
    rows = np.array([counts, _steady(totals, 0.02), _steady(totals, 0.05)])
    verdicts = assess(rows, np.array(totals))
    assert verdicts[0].status == status, verdicts[0]
    assert verdicts[0].emerging == (status in {"new", "growing", "emerging"})
    assert [v.status for v in verdicts[1:]] == ["steady", "steady"]


def test_no_earlier_week_means_no_verdict() -> None:
    rows = np.array([[0, 0, 0, 0, 40], [0, 0, 0, 0, 3]])
    verdicts = assess(rows, np.array([0, 0, 0, 0, 82]), covered=1)
    assert [v.status for v in verdicts] == ["steady", "steady"]
    assert all(v.p_value == 1 and v.ratio == 1 for v in verdicts)  # no change to measure


def test_weeks_before_the_data_are_not_a_silent_history() -> None:
    # Only the last two weeks are covered: the zero weeks before do not make a rise of 3 weeks.
    rows = np.array([[0, 0, 0, 30, 40]])
    verdict = assess(rows, np.array([0, 0, 0, 1000, 1000]), covered=2)[0]
    assert verdict.status == "steady" and verdict.trend_p_value == 1


def test_fdr_is_applied_across_the_weeks_topics() -> None:
    totals = np.array([1000] * 5)
    borderline = [10, 10, 10, 10, 21]  # alone, significant at 1 %
    alone = assess(np.array([borderline]), totals)[0]
    assert alone.p_value < 0.01 and alone.status == "emerging"
    crowd = np.array([borderline] + [[20, 20, 20, 20, 20]] * 49)
    among = assess(crowd, totals)
    assert among[0].p_value == pytest.approx(alone.p_value)
    assert among[0].q_value > 0.05 and among[0].status == "steady"
    assert np.allclose([v.q_value for v in among], bh_q_values(np.array([v.p_value for v in among])))


def test_many_borderline_topics_together_are_evidence() -> None:
    # Benjamini-Hochberg, not Bonferroni: thirty topics that each rise at p ~ 0.015 all pass together.
    totals = np.array([1000] * 5)
    verdicts = assess(np.array([[5, 5, 5, 5, 12]] * 30), totals)
    assert all(0.05 / 30 < v.p_value < 0.05 for v in verdicts)
    assert all(v.status == "emerging" for v in verdicts)


def test_bh_q_values_textbook() -> None:
    # Sorted p: 0.01, 0.03, 0.04 -> 0.01*3/1, 0.03*3/2, 0.04*3/3, then the running minimum from the top.
    assert np.allclose(bh_q_values(np.array([0.01, 0.04, 0.03])), [0.03, 0.04, 0.04])
    assert bh_q_values(np.array([])).size == 0


def test_thick_baseline_tends_to_a_poisson_tail() -> None:
    upper, lower = surge_p_values(
        np.array([120]), np.array([10_000]), np.array([1_000_000]), np.array([100_000_000]), 0.5
    )
    assert upper[0] == pytest.approx(stats.poisson.sf(119, 100.005), rel=1e-2)
    assert lower[0] == pytest.approx(stats.poisson.cdf(120, 100.005), rel=1e-2)


def test_thin_baseline_is_wider_than_poisson() -> None:
    # Same baseline share (1 %), 100 times fewer baseline tickets: the rate is less certain.
    thin = surge_p_values(np.array([5]), np.array([100]), np.array([3]), np.array([300]), 0.5)[0][0]
    thick = surge_p_values(np.array([5]), np.array([100]), np.array([300]), np.array([30_000]), 0.5)[0][0]
    assert thin > thick


@pytest.mark.parametrize("volume", [100, 1000, 40_000, 330_000])
def test_pure_poisson_noise_rarely_flags(volume: int) -> None:
    """Two hundred weeks of 40 topics whose shares never change: flags are false, <= 1 a week on average."""
    rng = np.random.default_rng(volume)
    shares = rng.dirichlet(np.full(40, 0.8))  # a few large topics, many small ones
    flags = []
    for _ in range(200):
        totals = rng.poisson(volume, size=5)
        counts = rng.poisson(np.outer(shares, totals))
        flags.append(sum(v.emerging for v in assess(np.minimum(counts, totals), totals)))
    assert np.mean(flags) <= 1.0, np.mean(flags)
    assert np.mean(flags) <= 0.1, "with no effect at all, FDR control keeps almost every week clean"


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="expected counts"):
        assess(np.array([1, 2, 3]), np.array([10, 10, 10]))
    with pytest.raises(ValueError, match="no larger than"):
        assess(np.array([[20, 1]]), np.array([10, 10]))
    with pytest.raises(ValueError, match="expected 0 < fdr < 1"):
        EmergenceParams(fdr=0)
