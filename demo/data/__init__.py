"""The demo generators' phrase pools, names and topic tables, shipped as CSV (read on demand, never at import).

Every file was written by this project for the demo corpus; none holds a real ticket. The files
are described in ``README.md`` beside them. Rows keep their order: the generators draw by position,
so reordering a file changes the corpus a seed gives.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterable
from functools import cache
from importlib import resources
from operator import itemgetter
from typing import TypeVar

__all__ = ["grouped", "read_pools", "read_rows"]

K = TypeVar("K", bound=Hashable)


@cache
def read_rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of the shipped table ``<name>.csv``, each a dict keyed by the header, cells as text."""
    path = resources.files(__package__).joinpath(f"{name}.csv")
    if not path.is_file():
        raise ValueError(f"expected a shipped demo table such as 'topics', got {name!r}")
    return tuple(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def grouped(rows: Iterable[dict[str, str]], key: Callable[[dict[str, str]], K], value: str) -> dict[K, tuple[str, ...]]:
    """The ``value`` cells of ``rows`` gathered by ``key(row)``, groups and items in file order."""
    groups: dict[K, list[str]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row[value])
    return {k: tuple(items) for k, items in groups.items()}


@cache
def read_pools(name: str) -> dict[str, tuple[str, ...]]:
    """A table of ``pool`` and one item column as pools: each pool's items in file order (empty items kept)."""
    rows = read_rows(name)
    item = next(column for column in rows[0] if column != "pool")
    return grouped(rows, itemgetter("pool"), item)
