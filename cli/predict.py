"""``hotline predict``: every task of a bundle for a ticket file, streamed (:mod:`training.predict_file`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.options import Subcommands, add_column_options, column_map, number

__all__ = ["add_predict"]


def add_predict(sub: Subcommands) -> None:
    p = sub.add_parser("predict", help="predict every task for a ticket file")
    p.add_argument("--model", required=True, help="bundle directory")
    p.add_argument("--input", required=True, help="ticket file (CSV/XLSX/Parquet/JSONL)")
    p.add_argument("--output", required=True, help="output file (.csv, .xlsx, .parquet or .jsonl)")
    add_column_options(p, labels=False)
    p.add_argument(
        "--explain", action="store_true", help="add department_explanation: the terms that pushed the department most"
    )
    p.add_argument(
        "--workers", type=number(int, 1), help="processes that predict (default: every core); input is streamed"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    from nlp.errors import InputError
    from nlp.parallel import default_workers
    from training.predict_file import predict_file

    if args.workers is not None and args.workers > default_workers():
        raise InputError(
            f"--workers: expected at most {default_workers()} (the cores of this machine; each worker loads its own "
            f"model), got {args.workers}"
        )

    summary = predict_file(
        args.model,
        args.input,
        args.output,
        column_map(args, labels=False),
        explain=args.explain,
        workers=args.workers,
        progress=not args.quiet,
    )
    scored = summary.rows - summary.rejected
    print(f"{Path(args.input).name}: {scored} rows scored, {summary.rejected} not scored", file=sys.stderr)
    line = f"wrote {summary.rows} predictions to {args.output} (model {summary.bundle_id})"
    if summary.has_route:
        line += f"; route=auto for {summary.auto} of {scored}"
    if summary.rejected:
        line += f"; {summary.rejected} rows not scored (see column 'error')"
    print(line)
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
