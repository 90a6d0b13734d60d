"""``hotline kb build`` and ``hotline kb suggest``: the knowledge base behind answer suggestions (:mod:`kb`)."""

from __future__ import annotations

import argparse
import sys

from cli.options import Subcommands, number

__all__ = ["add_kb"]


def add_kb(sub: Subcommands) -> None:
    p = sub.add_parser("kb", help="knowledge base: build an index of answers, suggest them for tickets")
    kb = p.add_subparsers(dest="kb_command", required=True, metavar="ACTION")
    p = kb.add_parser("build", help="build (or rebuild, updating entries by id) the index of a knowledge base")
    p.add_argument(
        "--entries",
        required=True,
        help="CSV/XLSX/Parquet with id, question, answer and optional department, valid_from, valid_to (ISO dates)",
    )
    p.add_argument("--out", required=True, help="index directory to write (replaced atomically)")
    p.add_argument(
        "--queries",
        help="labelled queries to calibrate the abstention threshold on (id, title, text, asked_at, gold); "
        "default: queries generated from the entries",
    )
    p.add_argument(
        "--abstain-target",
        type=number(float, 0, 1, low_open=True),
        default=0.75,
        help="share of unanswerable calibration queries to abstain on (default 0.75): higher, fewer wrong "
        "suggestions and more answerable tickets without one",
    )
    p.add_argument(
        "--answered-tickets",
        action="store_true",
        help="--entries is a ticket export with each message and its reply (personal data masked on the way in), "
        "suggested as similar answered tickets",
    )
    for flag, default, what in (
        ("--id-col", "id", "ticket id"),
        ("--title-col", "title", "ticket title (used if present)"),
        ("--text-col", "text", "ticket message"),
        ("--reply-col", "reply", "the reply the ticket got (tickets without one are left out)"),
    ):
        p.add_argument(flag, default=default, help=f"with --answered-tickets: {what} column (default: {default})")
    p.set_defaults(func=run_build)
    p = kb.add_parser("suggest", help="suggest entries for each ticket of a file (an empty list when not confident)")
    p.add_argument("--index", required=True, action="append", help="index directory (repeat for several sources)")
    p.add_argument("--input", required=True, help="ticket file (CSV/XLSX/Parquet/JSONL)")
    p.add_argument("--output", required=True, help="output file: the id column and suggestions")
    p.add_argument("--id-col", default="id", help="ticket id column (default: id; line numbers when absent)")
    p.add_argument("--title-col", default="title", help="ticket title column (default: title, if present)")
    p.add_argument("--text-col", default="text", help="ticket text column (default: text)")
    p.add_argument("--time-col", default="asked_at", help="when the ticket was asked (default: asked_at; else now)")
    p.add_argument("--k", type=number(int, 1, 50), default=5, help="suggestions per ticket at most (default 5)")
    p.set_defaults(func=run_suggest)


def run_build(args: argparse.Namespace) -> int:
    from kb.index import build_file

    index, changes = build_file(
        args.entries,
        args.out,
        queries=args.queries,
        source="answered_ticket" if args.answered_tickets else "kb",
        abstain_target=args.abstain_target,
        ticket_columns={
            "id_col": args.id_col,
            "title_col": args.title_col,
            "text_col": args.text_col,
            "reply_col": args.reply_col,
        },
    )
    print(f"built index of {len(index.entries)} entries in {args.out}; abstention threshold {index.threshold:.4f}")
    if changes is not None:
        print(f"changes by id: {changes.added} added, {changes.changed} changed, {changes.removed} removed")
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    from kb.suggest import suggest_file

    counts = suggest_file(
        args.index,
        args.input,
        args.output,
        id_col=args.id_col,
        title_col=args.title_col,
        text_col=args.text_col,
        time_col=args.time_col,
        k=args.k,
    )
    print(
        f"wrote {counts['rows']} rows to {args.output}: {counts['suggested']} with suggestions, "
        f"{counts['rows'] - counts['suggested'] - counts['empty']} abstained, {counts['empty']} without text",
        file=sys.stderr,
    )
    return 0
