"""Spark predictions are the single-machine predictions: every column, every row, bad rows included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from batch.predict import iso_weeks, predict_spark
from nlp.errors import BundleError, InputError
from nlp.tables import write_table
from nlp.tickets import Column, ColumnMap
from tests.spark.conftest import sorted_by_id


def _same(single: pd.DataFrame, spark_out: pd.DataFrame) -> None:
    """Equal after sorting by id; Spark's Parquet has no pandas dtypes, so they are taken from the single machine's."""
    expected = sorted_by_id(single)
    got = sorted_by_id(spark_out)[list(expected.columns)].astype(expected.dtypes.to_dict())
    pd.testing.assert_frame_equal(got, expected)


def test_csv_folder_gives_the_single_machine_predictions(
    spark_predictions: Path, single_machine: pd.DataFrame, spark_tickets: pd.DataFrame
) -> None:
    out = pd.read_parquet(spark_predictions)
    assert len(out) == len(spark_tickets)  # nothing dropped
    assert list(out.columns[:-1]) == list(single_machine.columns) and out.columns[-1] == "week"
    _same(single_machine, out)
    errors = sorted_by_id(out)["error"].value_counts().to_dict()
    assert errors == {"": len(spark_tickets) - 4, "empty text": 3, "empty id": 1}
    assert out.loc[out["id"] == spark_tickets.loc[13, "id"], "error"].item() == ""  # the multi-line cell was one row


def test_partitions_are_iso_weeks_of_the_filing_time(spark_predictions: Path, spark_tickets: pd.DataFrame) -> None:
    out = pd.read_parquet(spark_predictions).astype({"week": object})
    expected = spark_tickets[["id"]].assign(
        week=[
            f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" if t else "unknown"
            for d, t in zip(
                pd.to_datetime(spark_tickets["created_at"].replace("", None)), spark_tickets["created_at"], strict=True
            )
        ]
    )
    merged = sorted_by_id(out[["id", "week"]]).merge(sorted_by_id(expected), on="id", suffixes=("", "_expected"))
    assert len(merged) == len(out)
    assert (merged["week"] == merged["week_expected"]).all()
    assert (merged["week"] == "unknown").sum() == 2  # kept, in the partition of no week
    assert sorted(p.name for p in spark_predictions.glob("week=*")) == [
        f"week={w}" for w in sorted(set(merged["week"]))
    ]


def test_parquet_file_without_time_gives_the_same_predictions(
    spark: SparkSession, bundle_dir: Path, spark_tickets: pd.DataFrame, single_machine: pd.DataFrame, tmp_path: Path
) -> None:
    source = write_table(spark_tickets.rename(columns={"text": "body"}), tmp_path / "tickets.parquet")
    columns = ColumnMap(text=Column("body", flag="--text-col"))
    summary = predict_spark(spark, bundle_dir, str(source), str(tmp_path / "out"), columns)
    out = pd.read_parquet(tmp_path / "out")
    assert "week" not in out.columns and not list(tmp_path.joinpath("out").glob("week=*"))
    _same(single_machine, out)
    assert (summary.rows, summary.rejected) == (len(spark_tickets), 4)
    assert summary.auto == int((single_machine["route"] == "auto").sum()) > 0
    scored = out[out["error"] == ""]
    assert all(isinstance(json.loads(cell), list) for cell in scored["department_top3"])


def test_input_without_ids_or_a_named_column_is_refused(
    spark: SparkSession, bundle_dir: Path, spark_tickets: pd.DataFrame, tmp_path: Path
) -> None:
    source = write_table(spark_tickets.drop(columns=["id"]), tmp_path / "noid.csv")
    with pytest.raises(InputError, match=r"no id column.*--id-col"):
        predict_spark(spark, bundle_dir, str(source), str(tmp_path / "a"), ColumnMap())
    with pytest.raises(InputError, match="column 'message' not found"):
        predict_spark(spark, bundle_dir, str(source), str(tmp_path / "b"), ColumnMap(text=Column("message")))
    with pytest.raises(InputError, match=r"'when' not found.*--time-col"):
        write_table(spark_tickets, tmp_path / "ok.csv")
        predict_spark(spark, bundle_dir, str(tmp_path / "ok.csv"), str(tmp_path / "c"), ColumnMap(), time_col="when")


def test_a_changed_bundle_is_refused_before_any_job(
    spark: SparkSession, bundle_dir: Path, csv_folder: Path, tmp_path: Path
) -> None:
    changed = tmp_path / "model"
    shutil.copytree(bundle_dir, changed)
    with open(changed / "bundle.joblib", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BundleError, match="SHA-256"):
        predict_spark(spark, changed, str(csv_folder), str(tmp_path / "out"), ColumnMap())
    assert not (tmp_path / "out").exists()


def test_iso_weeks_of_text_and_timestamps() -> None:
    text = pd.Series(["2022-01-02 23:59", "2022-01-03T00:00:00+08:00", "", None, "not a time"])
    assert list(iso_weeks(text)) == ["2021-W52", "2022-W01", "unknown", "unknown", "unknown"]
    stamps = pd.Series(pd.to_datetime(["2021-12-31 16:30"]).tz_localize("UTC"))  # 2022-01-01 00:30 in Beijing
    assert list(iso_weeks(stamps)) == ["2021-W52"]
    assert list(iso_weeks(pd.Series(pd.to_datetime(["2022-01-03"])))) == ["2022-W01"]
