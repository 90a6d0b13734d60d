"""Knowledge-base entries: reading, validation with line numbers, content hashes and validity windows.

An entry file (CSV, TSV, Excel, Parquet, JSON Lines) has the columns ``id``, ``question`` and
``answer``, optionally ``department``, ``valid_from`` and ``valid_to`` (ISO dates, empty = open);
other columns are kept. ``valid_to`` is the last day an entry is valid. An entry is superseded
by a later entry with the same question (after normalisation) from that entry's ``valid_from`` on.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nlp.errors import InputError
from nlp.tables import read_table
from nlp.text import normalize_many

__all__ = [
    "OPEN_END",
    "OPEN_START",
    "REQUIRED",
    "EntryChanges",
    "entry_hashes",
    "read_entries",
    "to_seconds",
    "validate_entries",
    "validity_windows",
]

REQUIRED = ("id", "question", "answer")
OPTIONAL = ("department", "valid_from", "valid_to")
OPEN_START = np.iinfo(np.int64).min
OPEN_END = np.iinfo(np.int64).max
_LISTED = 5  # problems named in the error message
_DAY = 86_400


@dataclass(frozen=True)
class EntryChanges:
    """What a rebuild changed, by entry id (compared through content hashes)."""

    added: int
    changed: int
    removed: int
    unchanged: int

    @classmethod
    def between(cls, old: dict[str, str], new_ids: list[str], new_hashes: list[str]) -> EntryChanges:
        """Compare the ``{id: hash}`` of the previous index with the new entries."""
        added = changed = unchanged = 0
        for entry_id, digest in zip(new_ids, new_hashes, strict=True):
            before = old.get(entry_id)
            if before is None:
                added += 1
            elif before == digest:
                unchanged += 1
            else:
                changed += 1
        removed = len(old.keys() - set(new_ids))
        return cls(added=added, changed=changed, removed=removed, unchanged=unchanged)

    def summary(self) -> str:
        return f"{self.added} added, {self.changed} changed, {self.removed} removed, {self.unchanged} unchanged"


def read_entries(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate an entry file; see :func:`validate_entries`."""
    return validate_entries(read_table(path), source=str(Path(path)))


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def _dates(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ISO date strings (``""`` when empty) and a mask of unparsable values."""
    parsed = pd.to_datetime(series.where(series != "", None), errors="coerce", format="ISO8601")
    bad = parsed.isna() & (series != "")
    midnight = parsed.dt.normalize() == parsed
    text = parsed.dt.strftime("%Y-%m-%d").where(midnight, parsed.dt.strftime("%Y-%m-%dT%H:%M:%S"))
    return text.where(parsed.notna(), ""), bad


def validate_entries(
    raw: pd.DataFrame, *, source: str = "entries", first_line: int = 2, lines: np.ndarray | None = None
) -> pd.DataFrame:
    """Check entries and return them with every cell as text and dates in ISO form.

    Returns
    -------
    DataFrame
        ``id, question, answer, department, valid_from, valid_to``, the other columns, and ``line``
        (the row's line in the file, header = 1).

    Raises
    ------
    InputError
        A required column missing, or rows with an empty id or question, a repeated id, an
        unparsable date or ``valid_to`` before ``valid_from``: the first few are listed with
        their line.
    """
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(
            f"{source}: expected columns {', '.join(REQUIRED)}, got {', '.join(map(str, raw.columns))}; "
            f"add {', '.join(missing)}"
        )
    frame = pd.DataFrame({c: _text(raw[c]) for c in raw.columns}).reset_index(drop=True)
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = ""
    # ``lines``: the file lines of rows already picked from a file (answered tickets without a reply are left out).
    frame["line"] = np.arange(first_line, first_line + len(frame)) if lines is None else np.asarray(lines)
    problems: list[tuple[int, str]] = []
    for column in ("id", "question"):
        for line in frame.loc[frame[column] == "", "line"]:
            problems.append((int(line), f"empty {column}"))
    has_id = frame["id"] != ""
    first_of = frame.loc[has_id].groupby("id")["line"].transform("min")
    repeated = first_of[first_of != frame.loc[has_id, "line"]]
    lines, ids = frame["line"].to_numpy(), frame["id"].to_numpy()
    for position, first in zip(
        np.flatnonzero(has_id)[(first_of != frame.loc[has_id, "line"]).to_numpy()], repeated, strict=True
    ):
        problems.append((int(lines[position]), f"id {ids[position]!r} repeats line {first}"))
    for column in ("valid_from", "valid_to"):
        values, bad = _dates(frame[column])
        raw_values = frame[column].to_numpy()
        for position in np.flatnonzero(bad.to_numpy()):
            problems.append(
                (int(lines[position]), f"{column} {raw_values[position]!r} is not an ISO date (YYYY-MM-DD)")
            )
        frame[column] = values
    both = (frame["valid_from"] != "") & (frame["valid_to"] != "")
    reversed_ = both & (pd.to_datetime(frame["valid_to"].where(both)) < pd.to_datetime(frame["valid_from"].where(both)))
    for index in reversed_[reversed_].index:
        row = frame.loc[index]
        problems.append((int(row["line"]), f"valid_to {row['valid_to']} is before valid_from {row['valid_from']}"))
    if problems:
        problems.sort()
        listed = "; ".join(f"line {line}: {what}" for line, what in problems[:_LISTED])
        more = f" and {len(problems) - _LISTED} more" if len(problems) > _LISTED else ""
        raise InputError(f"{source}: {len(problems)} bad rows ({listed}{more}); fix them and build again")
    ordered = [*REQUIRED, *OPTIONAL]
    return frame[ordered + [c for c in frame.columns if c not in ordered]].reset_index(drop=True)


def entry_hashes(frame: pd.DataFrame) -> list[str]:
    """A SHA-256 of each entry's content (every column but ``line``), to tell changed entries apart."""
    columns = sorted(c for c in frame.columns if c not in ("line", "hash"))
    joined = map("\x1f".join, zip(*(frame[c].tolist() for c in columns), strict=True))
    header = "\x1e".join(columns) + "\x1e"  # a new column changes every hash, as it changes every entry
    return [hashlib.sha256((header + text).encode("utf-8")).hexdigest() for text in joined]


def to_seconds(values: pd.Series, *, end: bool = False) -> np.ndarray:
    """ISO dates or date-times as seconds since the epoch; empty is open (``OPEN_START``/``OPEN_END``).

    With ``end``, a bare date means the end of that day (``valid_to`` is the last valid day).
    """
    parsed = pd.to_datetime(values.where(values != "", None), format="ISO8601")
    seconds = parsed.to_numpy(dtype="datetime64[s]").astype(np.int64)
    if end:
        seconds = seconds + np.where(values.str.len() == 10, _DAY, 0)
    return np.where(parsed.isna().to_numpy(), OPEN_END if end else OPEN_START, seconds)


def validity_windows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each entry's window ``[start, end)`` in seconds, with superseded entries cut short.

    Entries with the same question (normalised, punctuation ignored) are versions of one
    answer: each one ends, at the latest, when the next one by ``valid_from`` starts.
    """
    start = to_seconds(frame["valid_from"])
    end = to_seconds(frame["valid_to"], end=True)
    keys = ["".join(filter(str.isalnum, q)) for q in normalize_many(frame["question"].tolist())]
    order = np.lexsort((start, np.asarray(pd.factorize(pd.Series(keys, dtype=object))[0])))
    same = np.asarray(keys, dtype=object)[order]
    follows = same[1:] == same[:-1]
    later = start[order][1:] > start[order][:-1]
    cut = np.flatnonzero(follows & later)
    end = end.copy()
    end[order[cut]] = np.minimum(end[order[cut]], start[order[cut + 1]])
    return start, end
