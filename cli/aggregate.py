"""``hotline aggregate``: weekly counts of Spark predictions (:mod:`batch.aggregate`), the digest's history counts."""

from __future__ import annotations

import argparse

from cli.options import Subcommands, add_master_option

__all__ = ["add_aggregate"]


def add_aggregate(sub: Subcommands) -> None:
    p = sub.add_parser(
        "aggregate", help="weekly counts by platform, unit, department, consultation and COVID of predictions"
    )
    p.add_argument("--engine", choices=("spark",), default="spark", help="Apache Spark (the only engine)")
    p.add_argument("--input", required=True, help="predictions of 'hotline predict --engine spark --time-col ...'")
    p.add_argument("--output", required=True, help="Parquet folder of counts (week, dimension, value, tickets)")
    add_master_option(p)
    p.set_defaults(func=run_aggregate)


def run_aggregate(args: argparse.Namespace) -> int:
    from batch.aggregate import aggregate_spark
    from batch.session import spark_session

    summary = aggregate_spark(spark_session(args.master, app="hotline aggregate"), args.input, args.output)
    print(
        f"wrote {summary.rows} weekly counts of {summary.weeks} weeks to {args.output} "
        f"(by {', '.join(summary.dimensions)}); use them with 'hotline digest --history-counts {args.output}'"
    )
    return 0
