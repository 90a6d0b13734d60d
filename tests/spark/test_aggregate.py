"""Weekly counts of Spark predictions: equal to counting the predictions by hand, and read by the digest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from batch.aggregate import aggregate_spark, weekly_counts
from cli.main import main
from nlp.errors import InputError
from nlp.tables import write_table
from trends.counts import read_counts


@pytest.fixture(scope="module")
def counts_dir(spark: SparkSession, spark_predictions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("counts") / "weekly"
    summary = aggregate_spark(spark, str(spark_predictions), str(out))
    assert summary.dimensions == ["all", "consultation", "covid", "department"]  # the test bundle has no platform
    return out


def _by(frame: pd.DataFrame, column: str) -> dict[tuple[str, str], int]:
    return {(str(w), str(v)): int(n) for (w, v), n in frame.groupby(["week", column]).size().items()}


def test_counts_are_the_predictions_counted(counts_dir: Path, spark_predictions: Path) -> None:
    predictions = pd.read_parquet(spark_predictions).astype({"week": str})
    dated = predictions[predictions["week"] != "unknown"]
    scored = dated[dated["error"] == ""]
    counts = read_counts(counts_dir)

    def got(dimension: str) -> dict[tuple[str, str], int]:
        rows = counts[counts["dimension"] == dimension]
        return {(w, v): int(n) for w, v, n in zip(rows["week"], rows["value"], rows["tickets"], strict=True)}

    assert got("department") == _by(scored, "department")
    assert got("covid") == _by(scored.assign(covid=scored["covid"].astype(int).astype(str)), "covid")
    assert got("consultation") == _by(scored.assign(c=scored["consultation"].astype(int).astype(str)), "c")
    status = dated.assign(status=dated["error"].map(lambda e: "not scored" if e else "scored"))
    assert got("all") == _by(status, "status")
    assert sum(got("all").values()) == len(dated) == len(predictions) - 2  # the two undated rows are not counted


def test_places_units_and_topics_are_counted_when_predicted(spark: SparkSession) -> None:
    predictions = pd.DataFrame(
        {
            "id": list("abcdef"),
            "week": ["2022-W10", "2022-W10", "2022-W10", "2022-W11", "unknown", "2022-W11"],
            "platform": ["姑苏区", "姑苏区", "市级", "姑苏区", "市级", None],
            "unit": ["姑苏区住建委", "双塔街道", "市公积金中心", "双塔街道", "市公积金中心", None],
            "topic": ["t1", "t1", "t2", "t1", "t2", None],
            "covid": pd.array([1, 0, 0, 1, 1, None], dtype="Int8"),
            "error": ["", "", "", "", "", "empty text"],
        }
    )
    counts = weekly_counts(spark.createDataFrame(predictions)).toPandas()
    by = {(r.week, r.dimension, r.value): r.tickets for r in counts.itertuples()}
    assert by[("2022-W10", "platform", "姑苏区")] == 2 and by[("2022-W10", "platform", "市级")] == 1
    assert by[("2022-W11", "platform", "姑苏区")] == 1 and ("2022-W11", "platform", "市级") not in by
    assert by[("2022-W10", "unit", "双塔街道")] == 1 and by[("2022-W10", "topic", "t1")] == 2
    assert by[("2022-W10", "covid", "1")] == 1 and by[("2022-W10", "covid", "0")] == 2
    assert by[("2022-W11", "all", "not scored")] == 1 and by[("2022-W11", "all", "scored")] == 1
    assert not (counts["week"] == "unknown").any()


def test_predictions_without_weeks_are_refused(
    spark: SparkSession, spark_tickets: pd.DataFrame, tmp_path: Path
) -> None:
    write_table(spark_tickets, tmp_path / "tickets.parquet")
    with pytest.raises(InputError, match=r"missing week, error.*--time-col"):
        aggregate_spark(spark, str(tmp_path / "tickets.parquet"), str(tmp_path / "out"))


def test_counts_feed_the_digest(
    counts_dir: Path, spark_predictions: Path, spark_tickets: pd.DataFrame, tmp_path: Path
) -> None:
    tickets = write_table(spark_tickets, tmp_path / "tickets.csv")
    predictions = pd.read_parquet(spark_predictions).astype({"week": str})
    scored = predictions[(predictions["error"] == "") & (predictions["week"] != "unknown")]
    weeks = sorted(scored["week"].unique())
    week, previous = weeks[-2], weeks[-3]  # a full week, with a week before it
    out = tmp_path / "digest"
    argv = ["digest", "--tickets", str(tickets), "--week", week, "--history", "3", "--out", str(out)]
    assert main([*argv, "--history-counts", str(counts_dir)]) == 0

    section = json.loads((out / "digest.json").read_text(encoding="utf-8"))["counts"]
    assert section["weeks"] == [weeks[-4], previous, week]
    assert section["scored"][week] == int((scored["week"] == week).sum())
    departments = scored[scored["week"] == week]["department"].value_counts()
    before = scored[scored["week"] == previous]["department"].value_counts()
    top = section["tables"]["department"][0]
    assert top["value"] == departments.index[0] and top["this_week"] == departments.iloc[0]
    assert top["change"] == departments.iloc[0] - before.get(top["value"], 0)
    assert section["shares"]["covid"][week] == pytest.approx(scored[scored["week"] == week]["covid"].mean())
    assert "## Where tickets went, week over week" in (out / "digest.md").read_text(encoding="utf-8")
    assert "<h3>By department</h3>" in (out / "digest.html").read_text(encoding="utf-8")
