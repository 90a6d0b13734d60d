"""One local[2] SparkSession for every Spark test, and generated tickets with bad rows (a few hundred: fast)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from demo.corpus import generate
from nlp.tables import write_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        pytest.skip("Java is not installed: the Spark tests need Java 17 (make test installs it)")
    from batch.session import spark_session

    session = spark_session("local[2]", app="hotline tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_tickets() -> pd.DataFrame:
    """Four weeks of generated tickets, with rows that cannot be scored or placed in a week."""
    frame, _ = generate(n=300, weeks=4, seed=31)
    frame = frame[["id", "created_at", "district", "title", "text"]].copy()
    frame["created_at"] = frame["created_at"].astype(str)
    frame.loc[[4, 150], "text"] = "  "  # not scored: empty text
    frame.loc[200, "text"] = ""
    frame.loc[77, "id"] = ""  # not scored: empty id
    frame.loc[[10, 220], "created_at"] = ""  # scored, in no week
    frame.loc[12, "title"] = ""
    frame.loc[13, "text"] = '他说："路灯不亮"，\n第二行, 逗号'  # quotes, a line break and commas inside a CSV cell
    return frame


@pytest.fixture(scope="session")
def csv_folder(spark_tickets: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tickets as a folder of two CSV files (as an export split by month would come)."""
    folder = tmp_path_factory.mktemp("spark-input") / "tickets"
    folder.mkdir()
    write_table(spark_tickets.iloc[:140], folder / "part-1.csv")
    write_table(spark_tickets.iloc[140:], folder / "part-2.csv")
    return folder


@pytest.fixture(scope="session")
def single_machine(
    spark_tickets: pd.DataFrame, bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> pd.DataFrame:
    """What ``hotline predict`` writes for the same tickets in one file."""
    from nlp.tickets import ColumnMap
    from training.predict_file import predict_file

    folder = tmp_path_factory.mktemp("single")
    source = write_table(spark_tickets, folder / "tickets.csv")
    predict_file(bundle_dir, source, folder / "predictions.parquet", ColumnMap(), workers=1, progress=False)
    return pd.read_parquet(folder / "predictions.parquet")


@pytest.fixture(scope="session")
def spark_predictions(
    spark: SparkSession, csv_folder: Path, bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """``hotline predict --engine spark --time-col created_at`` on the CSV folder: a Parquet folder by week."""
    from batch.predict import predict_spark
    from nlp.tickets import ColumnMap

    out = tmp_path_factory.mktemp("spark-output") / "predictions"
    predict_spark(spark, bundle_dir, str(csv_folder), str(out), ColumnMap(), time_col="created_at")
    return out


def sorted_by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("id", kind="stable").reset_index(drop=True)
