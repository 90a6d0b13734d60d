"""``hotline predict --engine spark``: a folder of ticket files scored on a Spark cluster.

One prediction code path: each executor's Python worker maps Arrow batches of raw rows through
the same functions as ``hotline predict`` (:func:`nlp.tickets.map_columns`,
:func:`nlp.tickets.rejection_reasons`, :func:`training.predict_file._score`), so a row gets the
same columns, values and ``error`` on Spark as on one machine, and no row is dropped.

The bundle is shipped once per executor (``SparkContext.addFile``) and loaded once per Python
worker through :func:`nlp.bundle.load_bundle` (its checks apply on every node), cached by path
and sidecar hash: Spark reuses its Python workers from task to task.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nlp.bundle import SIDECAR, Bundle, load_bundle
from nlp.errors import BundleError, InputError
from nlp.tables import DELIMITED, detect_encoding, file_sha256
from nlp.tickets import Column, ColumnMap, map_columns, rejection_reasons
from training.predict_file import PredictSummary, _score

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["NO_WEEK", "PARTITIONS_PER_CORE", "WEEK", "SparkSummary", "iso_weeks", "predict_spark", "read_input"]

WEEK = "week"  # the partition column of predictions with a time column
# The week of rows whose time is missing or unreadable: a named partition, because readers such
# as pandas cannot read Spark's partition of nulls (__HIVE_DEFAULT_PARTITION__) with the others.
NO_WEEK = "unknown"
PARTITIONS_PER_CORE = 2  # enough tasks to keep every core busy, each a few Arrow batches


@dataclass
class SparkSummary(PredictSummary):
    """What one Spark run scored (ids are not compared for repeats: rows are matched by id downstream)."""

    weeks: int = 0  # ISO weeks with predictions, when partitioned by a time column


def iso_weeks(times: pd.Series) -> pd.Series:
    """The ISO week (``2022-W15``) of each filing time; missing or unreadable times give :data:`NO_WEEK`.

    Times are read as :func:`nlp.tickets.read_tickets` reads them (mixed formats, an aware time
    converted to Beijing time), but a bad value is not an error here: its row keeps its
    prediction and goes to the partition of unknown weeks.
    """
    if pd.api.types.is_datetime64_any_dtype(times):
        parsed = _beijing(pd.to_datetime(times))
    else:
        text = times.astype(object).where(times.notna(), "").astype(str).str.strip()
        text = text.where(text != "", None)
        try:
            parsed = _beijing(pd.to_datetime(text, errors="coerce", format="mixed"))
        except ValueError:  # aware and naive times mixed: each on its own
            parsed = pd.Series(
                [_beijing(pd.Series([pd.to_datetime(t, errors="coerce")])).iloc[0] for t in text], index=text.index
            ).astype("datetime64[ns]")
    iso = parsed.dt.isocalendar()
    labels = iso["year"].astype("string") + "-W" + iso["week"].astype("string").str.zfill(2)
    return labels.astype(object).where(labels.notna(), NO_WEEK)


def _beijing(parsed: pd.Series) -> pd.Series:
    """Aware times in Beijing time, without their zone (naive times are taken as Beijing time already)."""
    if getattr(parsed.dt, "tz", None) is not None:
        return parsed.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return parsed


def _input_format(path: str) -> str:
    """``parquet`` or ``csv`` from the path's extension, or from the files in a local folder."""
    suffix = Path(path.rstrip("/")).suffix.lower()
    if not suffix and Path(path).is_dir():
        suffixes = {
            p.suffix.lower() for p in Path(path).rglob("*") if p.is_file() and not p.name.startswith(("_", "."))
        }
        known = suffixes & {".parquet", *DELIMITED}
        if len(known) == 1:
            suffix = known.pop()
        elif len(known) > 1:
            raise InputError(f"{path}: expected one kind of file in the folder, got {', '.join(sorted(known))}")
    if suffix == ".parquet":
        return "parquet"
    if suffix in DELIMITED:
        return "csv"
    raise InputError(
        f"{path}: expected Parquet or CSV files (a .parquet/.csv file, a folder of them or a glob such as "
        f"'exports/*.parquet'), got {suffix or 'no extension'!r}"
    )


def _first_local_file(path: str) -> Path | None:
    """A local file of the input, to sniff its encoding (None for remote paths such as ``hdfs://``)."""
    if Path(path).is_file():
        return Path(path)
    pattern = str(Path(path) / "**" / "*") if Path(path).is_dir() else path
    return next((Path(p) for p in sorted(glob.glob(pattern, recursive=True)) if Path(p).is_file()), None)


def read_input(spark: SparkSession, path: str) -> DataFrame:
    """Parquet or CSV files (a file, a folder or a glob) as a DataFrame; CSV cells are read as strings."""
    kind = _input_format(path)
    if kind == "parquet":
        frame = spark.read.parquet(path)
    else:
        local = _first_local_file(path)
        if "://" not in path and local is None:
            raise InputError(f"{path}: no such file, folder or matching files; check the path")
        encoding = detect_encoding(local) if local is not None else "utf-8"
        frame = spark.read.csv(
            path,
            header=True,
            sep="\t" if Path(path).suffix.lower() == ".tsv" else ",",
            multiLine=True,  # ticket texts may hold line breaks inside quotes
            escape='"',  # RFC 4180 doubled quotes, as pandas writes them
            encoding="utf-8" if encoding == "utf-8-sig" else encoding,
            inferSchema=False,
        )
    return frame.toDF(*[name.strip().lstrip("\ufeff") for name in frame.columns])


_worker_bundles: dict[tuple[str, str], Bundle] = {}


def _worker_bundle(name: str, sidecar_sha256: str) -> Bundle:
    """The bundle shipped as ``name``, loaded once per Python worker (Spark reuses its workers)."""
    from pyspark import SparkFiles

    path = SparkFiles.get(name)
    key = (path, sidecar_sha256)
    if key not in _worker_bundles:
        if file_sha256(Path(path) / SIDECAR) != sidecar_sha256:
            raise BundleError(f"{path}: the bundle shipped to this executor differs from the driver's; rerun the job")
        _worker_bundles[key] = load_bundle(path)
    return _worker_bundles[key]


def _predict_batches(
    batches: Iterator[pd.DataFrame],
    *,
    name: str,
    sidecar_sha256: str,
    columns: ColumnMap,
    id_name: str,
    time_col: str | None,
    explain: bool,
) -> Iterator[pd.DataFrame]:
    """Run in the executors: raw rows in, the columns of ``hotline predict`` out (plus ``week``)."""
    bundle = _worker_bundle(name, sidecar_sha256)
    for raw in batches:
        frame, _, _ = map_columns(raw, columns, Path(name))
        rows = frame[["line", "id", "title", "text"]].assign(error=rejection_reasons(frame))
        out = _score(bundle, rows, explain=explain, jsonl=False, id_name=id_name)
        if time_col is not None:
            out[WEEK] = iso_weeks(raw[time_col].reset_index(drop=True))
        yield out


def _resolve_columns(frame: DataFrame, columns: ColumnMap, path: str, time_col: str | None) -> tuple[ColumnMap, str]:
    """The input's id, title and text columns (errors as ``hotline predict`` says them); the id column is required."""
    empty = pd.DataFrame(columns=frame.columns, dtype=object)
    probe = ColumnMap(text=columns.text, title=columns.title, id=columns.id)
    _, _, id_col = map_columns(empty, probe, Path(path))
    if id_col is None:
        raise InputError(
            f"{path}: no id column (columns: {', '.join(frame.columns)}); Spark reads files in parallel, so rows are "
            "matched by id, not line: pass --id-col NAME"
        )
    if time_col is not None and time_col not in frame.columns:
        raise InputError(f"{path}: column {time_col!r} not found (columns: {', '.join(frame.columns)}); fix --time-col")
    title = columns.title.name if columns.title is not None and columns.title.name in frame.columns else None
    resolved = ColumnMap(
        text=Column(columns.text.name), title=Column(title) if title else None, id=Column(id_col), time=None
    )
    return resolved, id_col


def _output_schema(bundle: Bundle, id_name: str, with_week: bool, explain: bool) -> Any:
    """The Spark schema of the predictions: that of :func:`training.predict_file._score` on one probe row."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    probe = pd.DataFrame({"line": [2, 3], "id": ["a", "b"], "title": ["", ""], "text": ["路灯不亮", ""]})
    probe["error"] = rejection_reasons(probe)
    out = _score(bundle, probe, explain=explain, jsonl=False, id_name=id_name)
    if with_week:
        out[WEEK] = pd.Series(["2022-W01", NO_WEEK], dtype=object)
    return from_arrow_schema(pa.Schema.from_pandas(out, preserve_index=False))


def predict_spark(
    spark: SparkSession,
    model: str | Path,
    input_path: str,
    output: str,
    columns: ColumnMap,
    *,
    time_col: str | None = None,
    explain: bool = False,
    partitions: int | None = None,
) -> SparkSummary:
    """Score every row of ``input_path`` on Spark and write Parquet to the folder ``output``.

    With ``time_col`` the output is partitioned by ISO week (``week=2022-W15/``; rows whose time
    is missing or unreadable go to ``week=unknown``). An input read as fewer than ``partitions``
    splits (default: :data:`PARTITIONS_PER_CORE` per core of the cluster) is spread over that many.
    """
    bundle = load_bundle(model)  # refused here, before any executor starts, if the bundle is not loadable
    if explain and "department" not in bundle.pipelines:
        raise InputError(
            f"--explain lists the terms behind the department, but model {bundle.bundle_id} has no department task"
        )
    frame = read_input(spark, input_path)
    resolved, id_name = _resolve_columns(frame, columns, input_path, time_col)
    wanted = [c.name for c in (resolved.id, resolved.title, resolved.text) if c is not None]
    if time_col is not None:
        wanted.append(time_col)
    frame = frame.select(*dict.fromkeys(wanted))  # executors receive only what they read
    # A CSV file with line breaks in cells cannot be split, and a Parquet file of one row group
    # is one split: spread the rows so that every core scores (scoring costs far more than the shuffle).
    partitions = partitions or PARTITIONS_PER_CORE * spark.sparkContext.defaultParallelism
    if frame.rdd.getNumPartitions() < partitions:
        frame = frame.repartition(partitions)

    model_dir = Path(model).resolve()
    spark.sparkContext.addFile(str(model_dir), recursive=True)
    job = partial(
        _predict_batches,
        name=model_dir.name,
        sidecar_sha256=file_sha256(model_dir / SIDECAR),
        columns=resolved,
        id_name=id_name,
        time_col=time_col,
        explain=explain,
    )
    schema = _output_schema(bundle, id_name, time_col is not None, explain)
    writer = frame.mapInPandas(job, schema).write.mode("overwrite")
    if time_col is not None:
        writer = writer.partitionBy(WEEK)
    writer.parquet(output)
    return _summarise(spark, output, bundle, time_col is not None)


def _summarise(spark: SparkSession, output: str, bundle: Bundle, with_week: bool) -> SparkSummary:
    from pyspark.sql import functions as F

    written = spark.read.parquet(output)
    aggregates = [F.count(F.lit(1)).alias("rows"), F.sum((F.col("error") != "").cast("long")).alias("rejected")]
    if "route" in written.columns:
        aggregates.append(F.sum((F.col("route") == "auto").cast("long")).alias("auto"))
    if with_week:
        aggregates.append(F.countDistinct(F.when(F.col(WEEK) != NO_WEEK, F.col(WEEK))).alias("weeks"))
    row = written.agg(*aggregates).first()
    assert row is not None
    values = row.asDict()
    return SparkSummary(
        bundle_id=bundle.bundle_id,
        rows=int(values["rows"] or 0),
        rejected=int(values["rejected"] or 0),
        auto=int(values.get("auto") or 0),
        has_route=bundle.routing_task() is not None,
        weeks=int(values.get("weeks") or 0),
    )
