"""The digest's section of weekly counts (from ``hotline aggregate``), without Spark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp.errors import InputError
from trends.counts import counts_markdown, counts_section, read_counts


@pytest.fixture
def counts() -> pd.DataFrame:
    rows = [
        ("2022-W09", "all", "scored", 10),
        ("2022-W10", "all", "scored", 20),
        ("2022-W10", "all", "not scored", 3),
        ("2022-W10", "covid", "1", 5),
        ("2022-W10", "covid", "0", 15),
        ("2022-W09", "covid", "1", 1),
        ("2022-W09", "platform", "姑苏区", 4),
        ("2022-W09", "platform", "市级", 6),
        ("2022-W10", "platform", "姑苏区", 12),
        ("2022-W10", "platform", "市级", 2),
        ("2022-W10", "platform", "吴中区", 6),
        ("2022-W12", "platform", "市级", 99),  # after the digest's week: not read
    ]
    return pd.DataFrame(rows, columns=["week", "dimension", "value", "tickets"])


def test_section_is_the_history_up_to_the_week(counts: pd.DataFrame) -> None:
    section = counts_section(counts, "2022-W10", history=3)
    assert section["weeks"] == ["2022-W08", "2022-W09", "2022-W10"]
    assert section["scored"] == {"2022-W08": 0, "2022-W09": 10, "2022-W10": 20}
    assert section["shares"]["covid"] == {"2022-W08": 0.0, "2022-W09": 0.1, "2022-W10": 0.25}
    assert "consultation" not in section["shares"]  # not in the counts
    platforms = section["tables"]["platform"]
    assert [p["value"] for p in platforms] == ["姑苏区", "吴中区", "市级"]  # by this week's tickets
    assert platforms[0] == {
        "value": "姑苏区",
        "weekly_counts": {"2022-W08": 0, "2022-W09": 4, "2022-W10": 12},
        "this_week": 12,
        "previous_week": 4,
        "change": 8,
    }
    assert platforms[2]["change"] == -4
    assert "| 姑苏区 | 12 | 4 | +8 | 0 4 12 |" in counts_markdown(section)


def test_top_keeps_the_busiest(counts: pd.DataFrame) -> None:
    assert [p["value"] for p in counts_section(counts, "2022-W10", history=2, top=1)["tables"]["platform"]] == [
        "姑苏区"
    ]


def test_a_week_the_counts_do_not_cover_is_refused(counts: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"no tickets in 2022-W11 \(they cover 2022-W09 to 2022-W12\)"):
        counts_section(counts, "2022-W11")


def test_read_counts_checks_the_columns(counts: pd.DataFrame, tmp_path: Path) -> None:
    counts.to_parquet(tmp_path / "ok.parquet")
    pd.testing.assert_frame_equal(read_counts(tmp_path / "ok.parquet"), counts, check_dtype=False)
    counts.drop(columns=["value"]).to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="missing value"):
        read_counts(tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="no such counts folder"):
        read_counts(tmp_path / "missing")
