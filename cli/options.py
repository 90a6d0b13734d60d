"""What several commands share: numeric option types, the input column options, reading tickets.

Option values are checked by argparse itself (through :func:`number` and :func:`iso_date`), so a
bad value stops with usage and one line saying what was expected, before anything is read.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from datetime import date
from typing import TypeAlias, TypeVar

from nlp.tasks import TASKS
from nlp.tickets import Column, ColumnMap, Tickets, read_tickets

__all__ = [
    "Subcommands",
    "add_column_options",
    "add_master_option",
    "column",
    "column_map",
    "iso_date",
    "number",
    "read_reporting",
]

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
N = TypeVar("N", int, float)


def _describe(kind: Callable[[str], N], low: float | None, high: float | None, low_open: bool) -> str:
    noun = "a whole number" if kind is int else "a number"
    if low is not None and high is not None:
        return f"{noun} in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f"{noun} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{noun} <= {high:g}"
    return noun


def number(
    kind: Callable[[str], N], low: float | None = None, high: float | None = None, *, low_open: bool = False
) -> Callable[[str], N]:
    """An argparse ``type`` for a finite ``int`` or ``float`` from ``low`` to ``high`` (inclusive).

    ``low_open`` excludes ``low`` itself. A value that is not a number, or is out of range, is
    refused with what was expected: ``expected a number in (0, 1], got 1.5``.
    """
    expected = _describe(kind, low, high, low_open)

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        too_low = low is not None and (value <= low if low_open else value < low)
        if not math.isfinite(value) or too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value

    return parse


def iso_date(text: str) -> date:
    """An argparse ``type`` for a calendar date written as ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date such as 2022-03-07, got {text!r}") from None


def add_column_options(parser: argparse.ArgumentParser, *, labels: bool) -> None:
    """The options naming the input file's columns (and, with ``labels``, each task's label column)."""
    group = parser.add_argument_group("columns of the input file")
    group.add_argument("--text-col", help="ticket body column (default: text)")
    group.add_argument("--title-col", help="ticket title column (default: title, if present)")
    group.add_argument("--id-col", help="ticket id column (default: id, if present; else line numbers)")
    if labels:
        for task in TASKS:
            group.add_argument(f"--{task}-col", help=f"label column for the {task} task (default: {task}, if present)")
        group.add_argument(
            "--first-unit-col",
            help="the unit each ticket was first sent to, in a dispatch history (default: first_unit, if present): "
            "training and evaluation then report the transfers the model would have avoided and caused",
        )


def add_master_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--master``: where a Spark command runs."""
    parser.add_argument(
        "--master", help="Spark master: local[2], spark://HOST:7077, yarn (default: spark-submit's, else local[*])"
    )


def column(value: str | None, default: str, flag: str) -> Column:
    """A column the user named is required; a default name is used only if present."""
    return Column(value, required=True, flag=flag) if value else Column(default, required=False, flag=flag)


def column_map(args: argparse.Namespace, *, labels: bool) -> ColumnMap:
    """The columns named by :func:`add_column_options`."""
    return ColumnMap(
        text=Column(args.text_col or "text", required=True, flag="--text-col"),
        title=column(args.title_col, "title", "--title-col"),
        id=column(args.id_col, "id", "--id-col"),
        labels={task: column(getattr(args, f"{task}_col"), task, f"--{task}-col") for task in TASKS} if labels else {},
        extra={
            "first_unit": column(args.first_unit_col, "first_unit", "--first-unit-col"),
            # How the demo corpus gave each ticket's place; real exports get it from the place resolver.
            "place_given": column(None, "place_given", ""),
        }
        if labels
        else {},
    )


def read_reporting(args: argparse.Namespace, path: str, *, labels: bool) -> Tickets:
    """Read a ticket export; say on stderr how many rows were accepted, and why the first rejected ones were not."""
    tickets = read_tickets(path, column_map(args, labels=labels))
    print(tickets.summary(), file=sys.stderr)
    if len(tickets.rejected):
        first = tickets.rejected.head(5)
        listed = "; ".join(f"line {r.line}: {r.reason}" for r in first.itertuples())
        print(f"  rejected rows (first {len(first)}): {listed}", file=sys.stderr)
    return tickets
