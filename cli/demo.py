"""``hotline demo-data``: the generated demo corpus (:mod:`demo.corpus`)."""

from __future__ import annotations

import argparse
from datetime import date

from cli.options import Subcommands, iso_date, number

__all__ = ["add_demo_data", "add_demo_kb"]


def add_demo_data(sub: Subcommands) -> None:
    p = sub.add_parser("demo-data", help="generate the demo corpus of Suzhou-style tickets")
    p.add_argument("--n", type=number(int, 50), default=6000, help="number of tickets (default 6000)")
    p.add_argument("--weeks", type=number(int, 1), default=12, help="weeks covered (default 12)")
    p.add_argument("--seed", type=number(int), default=0, help="random seed (default 0)")
    p.add_argument("--start", type=iso_date, default=date(2022, 3, 7), help="first day (default 2022-03-07)")
    p.add_argument("--out", required=True, help="output file (.csv, .xlsx, .parquet or .jsonl)")
    p.set_defaults(func=run_demo_data)


def run_demo_data(args: argparse.Namespace) -> int:
    from demo.corpus import write_corpus

    out, side, frame = write_corpus(args.out, n=args.n, weeks=args.weeks, seed=args.seed, start=args.start)
    print(
        f"wrote {len(frame)} tickets over {args.weeks} weeks to {out} "
        f"(consultation {frame['consultation'].mean():.1%}, COVID {frame['covid'].mean():.1%}, "
        f"{frame['department'].nunique()} departments); injected trends in {side}"
    )
    return 0


def add_demo_kb(sub: Subcommands) -> None:
    p = sub.add_parser("demo-kb", help="generate the demo knowledge base and colloquial test queries")
    p.add_argument("--seed", type=number(int), default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, help="entries file (.csv, .xlsx, .parquet or .jsonl)")
    p.add_argument("--queries", required=True, help="test queries file, with the gold entry of each")
    p.add_argument(
        "--calibration", help="labelled queries of other situations, for `kb build --queries` (default: none written)"
    )
    p.set_defaults(func=run_demo_kb)


def run_demo_kb(args: argparse.Namespace) -> int:
    from demo.kb import demo_kb
    from nlp.tables import write_table

    kb = demo_kb(seed=args.seed)
    out = write_table(kb.entries, args.out)
    queries = write_table(kb.test, args.queries)
    print(f"wrote {len(kb.entries)} knowledge-base entries to {out} and {len(kb.test)} test queries to {queries}")
    if args.calibration:
        write_table(kb.calibration, args.calibration)
        print(f"wrote {len(kb.calibration)} calibration queries to {args.calibration}")
    return 0
