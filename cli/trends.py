"""``hotline ingest`` and ``digest``: the ticket store and the weekly hot-issue digest (:mod:`trends`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from cli.options import Subcommands, add_column_options, column, column_map, number
from nlp.errors import InputError
from nlp.tickets import Column, ColumnMap, Tickets, read_tickets

__all__ = ["add_digest", "add_ingest"]


def _add_trend_options(parser: argparse.ArgumentParser) -> None:
    add_column_options(parser, labels=False)
    group = parser.add_argument_group("trend columns")
    group.add_argument("--time-col", help="filing time column (default: created_at)")
    group.add_argument("--reporter-col", help="reporter id column (default: reporter, if present)")
    group.add_argument("--likes-col", help="likes column (default: likes, if present)")
    group.add_argument("--dislikes-col", help="dislikes column (default: dislikes, if present)")
    group.add_argument("--district-col", help="district column (default: district, if present)")


def _trend_columns(args: argparse.Namespace) -> ColumnMap:
    """Columns for ingest and digest: the ticket columns plus time, reporter and engagement."""
    base = column_map(args, labels=False)
    extra = {
        "reporter": column(args.reporter_col, "reporter", "--reporter-col"),
        "likes": column(args.likes_col, "likes", "--likes-col"),
        "dislikes": column(args.dislikes_col, "dislikes", "--dislikes-col"),
        "district": column(args.district_col, "district", "--district-col"),
        "channel": Column("channel", required=False),
    }
    time = Column(args.time_col or "created_at", required=True, flag="--time-col")
    return ColumnMap(text=base.text, title=base.title, id=base.id, time=time, extra=extra)


def _read_for_trends(args: argparse.Namespace, path: str) -> Tickets:
    tickets = read_tickets(path, _trend_columns(args))
    undated = tickets.frame["created_at"].isna()
    if undated.any():  # a ticket without a time cannot be placed in a week
        rejected = tickets.frame.loc[undated, ["line", "id"]].assign(reason="missing time")
        tickets.rejected = pd.concat([tickets.rejected, rejected], ignore_index=True)
        tickets.frame = tickets.frame.loc[~undated].reset_index(drop=True)
    print(tickets.summary(), file=sys.stderr)
    return tickets


def add_ingest(sub: Subcommands) -> None:
    p = sub.add_parser("ingest", help="load a ticket export into the ticket store (DuckDB), upserting by id")
    p.add_argument("file", nargs="?", help="ticket export (CSV/XLSX/Parquet/JSONL)")
    p.add_argument("--prediction-log", help="instead of an export: the service's prediction log (SQLite)")
    p.add_argument("--store", default="tickets.duckdb", help="store file (default tickets.duckdb)")
    _add_trend_options(p)
    p.set_defaults(func=run_ingest)


def run_ingest(args: argparse.Namespace) -> int:
    from trends.store import TicketStore, read_prediction_log

    if args.prediction_log:
        frame = read_prediction_log(args.prediction_log)
        counts = TicketStore(args.store).upsert(frame, source=Path(args.prediction_log).name)
        print(f"{args.store}: {counts['inserted']} tickets added, {counts['updated']} updated from the prediction log")
        return 0
    if not args.file:
        raise InputError("name a ticket export to ingest, or --prediction-log FILE")

    tickets = _read_for_trends(args, args.file)
    if tickets.id_generated:
        raise InputError(f"{args.file}: no id column; the store upserts by ticket id, so pass --id-col NAME")
    counts = TicketStore(args.store).upsert(tickets.frame, source=Path(args.file).name)
    for row in tickets.rejected.head(5).itertuples():
        print(f"  rejected line {row.line}: {row.reason}", file=sys.stderr)
    print(
        f"{args.store}: {counts['inserted']} tickets added, {counts['updated']} updated, {len(tickets.rejected)} rejected"
    )
    return 0


def add_digest(sub: Subcommands) -> None:
    p = sub.add_parser("digest", help="write the weekly hot-issue digest (JSON, Markdown, HTML)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--tickets", help="ticket export to read")
    source.add_argument("--store", help="ticket store to read")
    p.add_argument("--week", required=True, help="ISO week, for example 2019-W34")
    p.add_argument("--history", type=number(int, 1), default=8, help="weeks of history mined and charted (default 8)")
    p.add_argument("--top", type=number(int, 1), default=20, help="topics listed (default 20)")
    p.add_argument("--model", help="bundle directory: adds departments and COVID share per topic")
    p.add_argument("--out", required=True, help="folder for digest.json, digest.md, digest.html")
    p.add_argument(
        "--cache",
        help="folder of mined weeks reused by later digests (default with --store: STORE.weeks; none with --tickets)",
    )
    p.add_argument("--no-cache", action="store_true", help="mine every week of the history again")
    p.add_argument(
        "--history-counts",
        help="weekly counts of 'hotline aggregate': adds where tickets went (platform, unit, department) week over week",
    )
    _add_trend_options(p)
    p.set_defaults(func=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    from nlp.tokenize import default_tokenizer
    from trends.digest import DigestParams, build_digest, parse_week
    from trends.render import write_digest
    from trends.store import TicketStore
    from trends.summary import SummaryCache, mining_identity

    parse_week(args.week)  # a malformed week fails before any reading
    params = DigestParams(history=args.history, top=args.top)
    tokenizer = default_tokenizer()
    source: TicketStore | pd.DataFrame
    if args.store:
        source = TicketStore(args.store)
        source.count()  # a missing store fails here, with its message
        folder = args.cache or source.summary_folder
    else:
        source = _read_for_trends(args, args.tickets).frame
        folder = args.cache
    cache = None if folder is None or args.no_cache else SummaryCache(folder, mining_identity(tokenizer, params.topics))
    bundle = None
    if args.model:
        from nlp.bundle import load_bundle

        bundle = load_bundle(args.model)
    digest = build_digest(source, args.week, tokenizer, params=params, bundle=bundle, cache=cache)
    if args.history_counts:
        from trends.counts import counts_section, read_counts

        digest.counts = counts_section(read_counts(args.history_counts), digest.week, history=args.history)
    paths = write_digest(digest, args.out)
    emerging = sum(t.emerging for t in digest.topics)
    print(
        f"digest of {digest.week}: {digest.n_tickets} tickets, {digest.n_topics} topics, {emerging} emerging; wrote {', '.join(str(p) for p in paths)}"
    )
    return 0
