from __future__ import annotations

import json

import pandas as pd
import pytest

from demo.corpus import CONSULTATION_SHARE, COVID_SHARE, SURGE_FLOOR, generate, surge_counts, write_corpus
from demo.topics import emerging_topics


@pytest.fixture(scope="module")
def corpus() -> tuple[pd.DataFrame, list[dict[str, object]]]:
    return generate(n=4000, weeks=12, seed=5)


def test_deterministic_for_a_seed() -> None:
    a, _ = generate(n=300, weeks=4, seed=1)
    b, _ = generate(n=300, weeks=4, seed=1)
    c, _ = generate(n=300, weeks=4, seed=2)
    assert a.equals(b)
    assert not a["text"].equals(c["text"])


def test_columns_ids_and_order(corpus) -> None:
    frame, _ = corpus
    assert list(frame.columns[:11]) == [
        "id", "created_at", "district", "street", "channel", "reporter", "title", "text",
        "consultation", "covid", "department",
    ]  # fmt: skip
    assert len(frame) == 4000 and frame["id"].is_unique
    assert frame["created_at"].is_monotonic_increasing


def test_shares_are_close_to_suzhou_2022(corpus) -> None:
    frame, _ = corpus
    assert abs(frame["consultation"].mean() - CONSULTATION_SHARE) < 0.03
    assert abs(frame["covid"].mean() - COVID_SHARE) < 0.04
    assert frame["department"].nunique() >= 12


def test_varied_enough_not_to_be_memorised(corpus) -> None:
    frame, _ = corpus
    assert frame["text"].nunique() > 0.9 * len(frame)
    # Vague tickets share a wording across several departments: no classifier can be perfect.
    by_title = frame.groupby("title")["department"].nunique()
    assert (by_title > 1).sum() >= 5


def test_personal_data_is_present_for_masking(corpus) -> None:
    frame, _ = corpus
    assert frame["text"].str.contains(r"1[3-9]\d{9}").mean() > 0.05


def test_emerging_topics_surge_in_the_recorded_week(corpus) -> None:
    frame, trends = corpus
    assert {t["key"] for t in trends} == {"site_noise", "parking_bundle", "code_outage", "water_outage"}
    for trend in trends:
        counts = list(trend["weekly_counts"].values())
        weeks = list(trend["weekly_counts"])
        start = weeks.index(trend["start_week"])
        assert sum(counts[:start]) == 0 and counts[start] > 0
        assert max(counts) >= 15
        assert (frame["topic"] == trend["key"]).sum() == sum(counts)


# (case, profile, tickets a week, expected injected tickets per week)
SURGES = [
    ("thin: the rise is lifted to the floor, the fade is not", (0.02, 0.06, 0.09, 0.05, 0.01), 100, [7, 7, 9, 5, 1]),
    ("thin: a share above the floor is kept", (0.14, 0.03), 100, [14, 3]),
    ("thick: the shares alone", (0.02, 0.06, 0.09, 0.05, 0.01), 1000, [20, 60, 90, 50, 10]),
    ("tiny: the floor takes at most a tenth of the week", (0.02, 0.06, 0.01), 40, [4, 4, 0]),
    ("no profile", (), 100, []),
]


@pytest.mark.parametrize(("profile", "per_week", "expected"), [c[1:] for c in SURGES], ids=[c[0] for c in SURGES])
def test_surge_counts(profile: tuple[float, ...], per_week: int, expected: list[int]) -> None:
    assert surge_counts(profile, per_week) == expected


@pytest.mark.parametrize("per_week", [1000, 40_000])
def test_the_floor_does_not_bind_at_larger_volumes(per_week: int) -> None:
    for topic in emerging_topics():
        assert surge_counts(topic.profile, per_week) == [round(s * per_week) for s in topic.profile], topic.key


def test_thin_streams_surge_from_nothing_to_an_absolute_jump() -> None:
    """At 100 tickets a week every surge starts as issue 18's example: from 0 to about 7 in a week."""
    frame, trends = generate(n=1200, weeks=12, seed=3)
    assert len(frame) == 1200  # the surges' tickets are taken out of the base topics
    for trend in trends:
        counts = list(trend["weekly_counts"].values())
        start = list(trend["weekly_counts"]).index(trend["start_week"])
        assert sum(counts[:start]) == 0
        # Re-filed copies and the surplus dropped at random move a surge by a ticket, as any topic.
        assert counts[start] >= SURGE_FLOOR - 1, (trend["key"], counts)


def test_short_corpora_scale_or_drop_trends() -> None:
    _, none = generate(n=200, weeks=3, seed=0)
    assert none == []
    _, some = generate(n=600, weeks=6, seed=0)
    assert some and all(t["weekly_counts"][t["start_week"]] > 0 for t in some)


def test_write_corpus_writes_the_side_file(tmp_path) -> None:
    out, side, frame = write_corpus(tmp_path / "t.csv", n=400, weeks=6, seed=0)
    assert pd.read_csv(out)["id"].tolist() == frame["id"].tolist()
    record = json.loads(side.read_text(encoding="utf-8"))
    assert record["seed"] == 0 and record["emerging"]


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"n": 10}, "expected n >= 50"), ({"weeks": 0}, "expected weeks >= 1")]
)
def test_bad_arguments(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(**kwargs)
