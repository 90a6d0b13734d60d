"""``hotline predict``: every task of a bundle for a ticket file, streamed (:mod:`training.predict_file`).

With ``--engine spark`` the same prediction runs on a Spark cluster over a folder of files
(:mod:`batch.predict`), written as Parquet.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.options import Subcommands, add_column_options, add_master_option, column_map, number
from nlp.errors import InputError

if TYPE_CHECKING:
    from nlp.tickets import ColumnMap
    from training.predict_file import PredictSummary

__all__ = ["add_predict"]


def add_predict(sub: Subcommands) -> None:
    p = sub.add_parser("predict", help="predict every task for a ticket file")
    p.add_argument("--model", required=True, help="bundle directory")
    p.add_argument(
        "--input",
        required=True,
        help="ticket file (CSV/XLSX/Parquet/JSONL); with --engine spark: Parquet or CSV file, folder or glob",
    )
    p.add_argument(
        "--output",
        required=True,
        help="output file (.csv, .xlsx, .parquet or .jsonl); with --engine spark: a Parquet folder",
    )
    add_column_options(p, labels=False)
    p.add_argument(
        "--explain", action="store_true", help="add department_explanation: the terms that pushed the department most"
    )
    p.add_argument(
        "--workers", type=number(int, 1), help="processes that predict (default: every core); input is streamed"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    spark = p.add_argument_group("Spark (--engine spark; needs the extra: pip install 'hotline-nlp[spark]')")
    spark.add_argument(
        "--engine", choices=("local", "spark"), default="local", help="local processes (default) or Apache Spark"
    )
    add_master_option(spark)
    spark.add_argument(
        "--time-col", help="filing time column: the output is partitioned by its ISO week (week=2022-W15)"
    )
    spark.add_argument(
        "--partitions",
        type=number(int, 1),
        help="Spark tasks to spread the input over when it reads as fewer (default: 2 per core of the cluster)",
    )
    p.set_defaults(func=run_predict)


def run_predict_spark(args: argparse.Namespace) -> int:
    from batch.predict import predict_spark
    from batch.session import spark_session

    if args.workers:
        raise InputError("--workers is for --engine local; with --engine spark, executors and cores come from --master")
    spark = spark_session(args.master, app="hotline predict")
    summary = predict_spark(
        spark, *_files(args), time_col=args.time_col, explain=args.explain, partitions=args.partitions
    )
    where = f"Spark {spark.sparkContext.master}" + (f", {summary.weeks} weeks" if args.time_col else "")
    print(_written(summary, args.output, where))
    return 0


def _files(args: argparse.Namespace) -> tuple[str, str, str, ColumnMap]:
    """What both engines read: the bundle, the input, the output and the input's columns."""
    return args.model, args.input, args.output, column_map(args, labels=False)


def _written(summary: PredictSummary, output: str, where: str = "") -> str:
    """The line saying what a run wrote."""
    scored = summary.rows - summary.rejected
    line = f"wrote {summary.rows} predictions to {output} (model {summary.bundle_id}{', ' + where if where else ''})"
    if summary.has_route:
        line += f"; route=auto for {summary.auto} of {scored}"
    if summary.rejected:
        line += f"; {summary.rejected} rows not scored (see column 'error')"
    return line


def run_predict(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        return run_predict_spark(args)
    if args.master or args.time_col or args.partitions:
        raise InputError("--master, --time-col and --partitions are options of --engine spark")
    from nlp.parallel import check_workers
    from training.predict_file import predict_file

    if args.workers is not None:
        try:
            check_workers(args.workers)
        except ValueError as exc:
            raise InputError(f"--workers: {exc}") from None

    summary = predict_file(*_files(args), explain=args.explain, workers=args.workers, progress=not args.quiet)
    scored = summary.rows - summary.rejected
    print(f"{Path(args.input).name}: {scored} rows scored, {summary.rejected} not scored", file=sys.stderr)
    print(_written(summary, args.output))
    if summary.duplicate_ids:
        where = ", ".join(f"lines {a} and {b}" for a, b in summary.duplicate_lines)
        print(
            f"hotline: warning: {summary.duplicate_ids} rows repeat the id of an earlier row ({where}"
            f"{', ...' if summary.duplicate_ids > len(summary.duplicate_lines) else ''}); every row was scored and "
            "written in input order: de-duplicate the export if an id should be one ticket",
            file=sys.stderr,
        )
    if summary.ids_unchecked:
        print(
            f"hotline: note: the ids of the last {summary.ids_unchecked} rows were not compared for repeats "
            f"(only the first {summary.ids_checked} are, to bound memory)",
            file=sys.stderr,
        )
    return 0
