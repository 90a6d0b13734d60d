from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from nlp.errors import InputError
from trends.digest import DigestParams, _heat, build_digest, parse_week
from trends.emergence import assess
from trends.schema import Digest, TopicEntry


@pytest.fixture(scope="module")
def digests(stream, tokenizer) -> dict[str, Digest]:
    frame, trends = stream
    weeks = sorted({str(t["start_week"]) for t in trends} | {str(t["peak_week"]) for t in trends})
    return {week: build_digest(frame, week, tokenizer) for week in weeks}


def _topics_of(digest: Digest, frame: pd.DataFrame, key: str) -> list[tuple[int, TopicEntry]]:
    ids = set(frame.loc[frame["topic"] == key, "id"])
    return [(rank, t) for rank, t in enumerate(digest.topics) if set(t.example_ids) & ids]


def test_each_injected_topic_is_emerging_when_it_starts(stream, digests) -> None:
    frame, trends = stream
    for trend in trends:
        found = _topics_of(digests[trend["start_week"]], frame, trend["key"])
        assert found, f"{trend['key']} not found in {trend['start_week']}"
        assert any(t.emerging for _rank, t in found), f"{trend['key']} not emerging in {trend['start_week']}"


def test_each_injected_topic_is_in_the_top_5_at_its_peak(stream, digests) -> None:
    frame, trends = stream
    for trend in trends:
        ranks = [rank for rank, _t in _topics_of(digests[trend["peak_week"]], frame, trend["key"])]
        assert ranks and min(ranks) < 5, f"{trend['key']} ranks {ranks} at {trend['peak_week']}"


def test_few_false_alarms(stream, digests) -> None:
    """An emerging topic whose example tickets come from no injected topic is a false alarm."""
    frame, trends = stream
    injected = {t["key"] for t in trends}
    topic_of = frame.set_index("id")["topic"]
    for week, digest in digests.items():
        false = [t.label for t in digest.topics if t.emerging and not set(topic_of[t.example_ids]) & injected]
        assert len(false) <= 3, f"{week}: {false}"


def test_digest_figures_agree_with_each_other_and_with_the_tickets(stream, digests) -> None:
    frame, _ = stream
    week_of = frame.set_index(frame["id"].astype(str))["created_at"].dt.strftime("%G-W%V")
    for week, digest in digests.items():
        assert digest.week == week and digest.history.weeks[-1] == week and len(digest.history.weeks) == 8
        assert digest.history.tickets[-1] == digest.n_tickets == int((week_of == week).sum())
        assert len(digest.topics) <= digest.n_topics
        heats = [t.heat for t in digest.topics]
        assert heats == sorted(heats, reverse=True)
        for topic in digest.topics:
            assert list(topic.weekly_counts) == digest.history.weeks
            assert all(
                n <= total for n, total in zip(topic.weekly_counts.values(), digest.history.tickets, strict=True)
            )
            # Growth is this week's count over the baseline (shown rounded to two decimals).
            assert topic.growth == pytest.approx(topic.weekly_counts[week] / max(topic.baseline, 1.0), abs=0.02)
            assert 0 < len(topic.example_ids) <= 3 and set(week_of[topic.example_ids]) == {week}
            assert [x.id for x in topic.examples] == topic.example_ids and topic.keywords
            assert topic.reporters <= topic.size
            assert topic.emerging == (topic.status in {"new", "growing", "emerging"})
            assert 0 <= topic.p_value <= topic.q_value <= 1
        # digest.json is the model's JSON: reading it back gives the same digest.
        assert Digest.model_validate(digest.to_json_dict()) == digest


def test_flagged_topics_below_the_top_are_kept(stream, tokenizer, digests) -> None:
    frame, _ = stream
    full = digests["2022-W15"]
    flagged = [t.id for t in full.topics[1:] if t.emerging]
    assert flagged, "the week has flagged topics below the hottest"
    cut = build_digest(frame, "2022-W15", tokenizer, params=DigestParams(top=1))
    assert [t.id for t in cut.topics] == [full.topics[0].id, *flagged]


def test_no_look_ahead(stream, tokenizer) -> None:
    frame, _ = stream
    week = "2022-W14"
    full = build_digest(frame, week, tokenizer)
    cut = build_digest(frame[frame["created_at"] < pd.Timestamp("2022-04-11")], week, tokenizer)
    assert [t.label for t in full.topics] == [t.label for t in cut.topics]
    assert [t.heat for t in full.topics] == [t.heat for t in cut.topics]


def test_locations_of_an_injected_topic(stream, digests) -> None:
    frame, _ = stream
    found = _topics_of(digests["2022-W15"], frame, "site_noise")
    places = {p for _rank, t in found for p in t.locations}
    assert places & {"郭巷街道", "尹山湖地块", "吴中区"}


def test_personal_data_is_masked_in_examples(stream, tokenizer) -> None:
    frame, _ = stream
    digest = build_digest(frame, "2022-W15", tokenizer)
    shown = " ".join(x.text + x.title for t in digest.topics for x in t.examples)
    assert not pd.Series([shown]).str.contains(r"1[3-9]\d{9}").any()


THIN = [80, 85, 78, 90, 82]  # tickets a week in a thin stream (the Teddy 2019 board: about 82)

# (case, weekly counts of a topic, weekly totals, whether heat gains from growth): the last week is this one.
HEAT_GROWTH = [
    ("the week doubles, the topic with it", [10, 10, 10, 10, 20], [1000, 1000, 1000, 1000, 2000], False),
    ("a steady share in a steady week", [10, 10, 10, 10, 10], [1000] * 5, False),
    ("the count doubles, the week triples", [10, 10, 10, 10, 20], [1000, 1000, 1000, 1000, 3000], False),
    ("the share doubles in a steady week", [10, 10, 10, 10, 20], [1000] * 5, True),
    ("the share doubles as the week halves", [10, 10, 10, 10, 10], [1000, 1000, 1000, 1000, 500], True),
    ("never seen, then 7 of 82", [0, 0, 0, 0, 7], THIN, True),
]


def _tickets(n: int, end: datetime) -> pd.DataFrame:
    """``n`` tickets of distinct reporters, filed two days before ``end``."""
    return pd.DataFrame({"created_at": [end - timedelta(days=2)] * n, "reporter": [f"U{i}" for i in range(n)]})


@pytest.mark.parametrize(("counts", "totals", "gains"), [c[1:] for c in HEAT_GROWTH], ids=[c[0] for c in HEAT_GROWTH])
def test_heat_grows_with_the_share_not_the_count(counts: list[int], totals: list[int], gains: bool) -> None:
    end = datetime(2022, 4, 18)
    ratio = assess(np.array([counts]), np.array(totals))[0].ratio  # the share ratio the digest gives heat
    rows = _tickets(counts[-1], end)
    growth_term = _heat(rows, end, ratio) - _heat(rows, end, 1.0)
    if gains:
        # At least a doubled share (0.5 ln 2, less the prior's half ticket), and finite for a topic never seen.
        assert 0.3 < growth_term < math.inf
        assert growth_term == pytest.approx(0.5 * math.log(ratio))
    else:
        assert growth_term == 0


def test_heat_adds_up_its_terms() -> None:
    end = datetime(2022, 4, 18)
    rows = _tickets(9, end).assign(reporter=["U1"] * 3 + [f"U{i}" for i in range(2, 8)], likes=[1] * 9, dislikes=0)
    expected = math.log(10) + math.log(8) + 0.5 * math.log(10) + math.exp(-2 / 7) + 0.5 * math.log(4)
    assert _heat(rows, end, 4.0) == pytest.approx(expected)
    assert _heat(rows, end, 0.5) == pytest.approx(expected - 0.5 * math.log(4))  # a fading share takes none away


@pytest.mark.parametrize(
    ("week", "message"), [("2019-34", "expected a week such as 2019-W34"), ("2031-W02", "no tickets filed in")]
)
def test_bad_weeks(stream, tokenizer, week: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_week(week)
        build_digest(stream[0], week, tokenizer)


@pytest.mark.parametrize(
    ("text", "monday"), [("2022-W15", "2022-04-11"), ("2019-w34", "2019-08-19"), (" 2020-W53 ", "2020-12-28")]
)
def test_weeks_are_read(text: str, monday: str) -> None:
    from trends.digest import parse_week

    assert parse_week(text).isoformat() == monday


@pytest.mark.parametrize("text", ["9999-W52", "2022-W54", "2021-W53", "２０２２-W15", "2022-15", "1969-W10", ""])
def test_impossible_weeks_are_refused_with_the_expected_form(text: str) -> None:
    from nlp.errors import InputError
    from trends.digest import parse_week

    with pytest.raises(InputError, match="expected a week such as 2019-W34"):
        parse_week(text)
