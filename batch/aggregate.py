"""``hotline aggregate --engine spark``: weekly counts of predictions, for digests and dashboards.

The counts are one long table (:data:`trends.counts.COLUMNS`): for each ISO ``week``, each
``dimension`` and each ``value`` of it, the number of ``tickets``. Dimensions, when the
predictions carry them: ``all`` (``scored`` and ``not scored`` rows), ``platform`` (the
district platform, or 市级, that the ticket goes to: the place of the prediction), ``unit``,
``department``, ``consultation`` and ``covid`` (``1`` or ``0``), and ``topic``. Rows not scored
count only in ``all``; rows without a week (``week=unknown``) are not counted. A long table keeps one schema whatever the bundle predicts, and a
province's year is a few hundred thousand rows, read by :mod:`trends.counts` in a moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from batch.predict import NO_WEEK, WEEK
from nlp.errors import InputError
from trends.counts import DIMENSIONS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["AggregateSummary", "aggregate_spark", "weekly_counts"]


@dataclass
class AggregateSummary:
    """What one aggregation wrote."""

    weeks: int
    rows: int
    dimensions: list[str]


def weekly_counts(predictions: DataFrame) -> DataFrame:
    """The long table of weekly counts of a DataFrame of predictions with a ``week`` column."""
    from functools import reduce

    from pyspark.sql import functions as F

    dated = predictions.where(F.col(WEEK).isNotNull() & (F.col(WEEK) != NO_WEEK))
    status = F.when(F.col("error") == "", F.lit("scored")).otherwise(F.lit("not scored"))
    parts = [dated.groupBy(WEEK, status.alias("value")).count().withColumn("dimension", F.lit("all"))]
    scored = dated.where(F.col("error") == "")
    for dimension in DIMENSIONS:
        if dimension in predictions.columns:
            value = F.col(dimension).cast("int").cast("string") if dimension in ("consultation", "covid") else None
            column = (value if value is not None else F.col(dimension).cast("string")).alias("value")
            parts.append(
                scored.where(F.col(dimension).isNotNull())
                .groupBy(WEEK, column)
                .count()
                .withColumn("dimension", F.lit(dimension))
            )
    counts = reduce(lambda a, b: a.unionByName(b), parts)
    return counts.select(WEEK, "dimension", "value", F.col("count").alias("tickets"))


def aggregate_spark(spark: SparkSession, input_path: str, output: str) -> AggregateSummary:
    """Read the predictions of ``hotline predict --engine spark --time-col ...`` and write their weekly counts."""
    predictions = spark.read.parquet(input_path)
    missing = [c for c in (WEEK, "error") if c not in predictions.columns]
    if missing:
        raise InputError(
            f"{input_path}: expected predictions with columns {WEEK!r} and 'error', missing {', '.join(missing)}; "
            "write them with 'hotline predict --engine spark --time-col COLUMN'"
        )
    counts = weekly_counts(predictions).orderBy(WEEK, "dimension", "value").coalesce(1)  # small: one file
    counts.write.mode("overwrite").parquet(output)
    written = spark.read.parquet(output)
    return AggregateSummary(
        weeks=written.select(WEEK).distinct().count(),
        rows=written.count(),
        dimensions=[r["dimension"] for r in written.select("dimension").distinct().orderBy("dimension").collect()],
    )
