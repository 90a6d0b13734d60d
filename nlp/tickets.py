"""Tickets from an export: the export's columns mapped to canonical ones, unusable rows set aside.

:func:`read_tickets` maps the columns of a table (read by :mod:`nlp.tables`) to the canonical
names (``id``, ``title``, ``text``, ``created_at`` and the label columns), parses labels and
times, rejects unusable rows with a reason, and refuses whole files with one clear message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nlp.errors import InputError
from nlp.tables import file_sha256, read_table
from nlp.tasks import TASKS, is_binary, parse_binary_label

__all__ = ["Column", "ColumnMap", "Tickets", "map_columns", "read_tickets", "rejection_reasons", "split_rejected"]


@dataclass(frozen=True)
class Column:
    """Where a canonical field lives in an export.

    ``required=False`` marks a default name the user did not ask for: a missing
    optional column is simply absent, a missing required one is an error.
    """

    name: str
    required: bool = True
    flag: str = ""  # the CLI option that sets it, named in error messages


@dataclass(frozen=True)
class ColumnMap:
    """The export's column for each canonical field (``None``: not used)."""

    text: Column = Column("text", required=True, flag="--text-col")
    title: Column | None = Column("title", required=False, flag="--title-col")
    id: Column | None = Column("id", required=False, flag="--id-col")
    time: Column | None = None
    labels: Mapping[str, Column] = field(default_factory=dict)
    extra: Mapping[str, Column] = field(default_factory=dict)

    @classmethod
    def for_training(cls) -> ColumnMap:
        """Default names, with every task's label column used when present."""
        return cls(labels={task: Column(task, required=False, flag=f"--{task}-col") for task in TASKS})


@dataclass
class Tickets:
    """Tickets read from one export.

    Attributes
    ----------
    frame : DataFrame
        Accepted rows: ``line`` (line in the file, header = 1), ``id``, ``title``, ``text``,
        ``created_at`` when mapped, and one column per label task found.
    rejected : DataFrame
        Rows that cannot be used, with ``line``, ``id`` and ``reason``.
    sha256 : str
        Hash of the file's bytes, recorded in model bundles.
    label_tasks : list of str
        The tasks whose label columns were present.
    """

    frame: pd.DataFrame
    rejected: pd.DataFrame
    sha256: str
    path: Path
    label_tasks: list[str]
    id_generated: bool = False

    def summary(self) -> str:
        """One line: rows accepted and rejected, with the reasons counted."""
        text = f"{self.path.name}: {len(self.frame)} rows accepted"
        if len(self.rejected):
            reasons = self.rejected["reason"].value_counts()
            listed = ", ".join(f"{n} {r}" for r, n in reasons.items())
            text += f", {len(self.rejected)} rejected ({listed})"
        return text


def _resolve(frame: pd.DataFrame, column: Column | None, path: Path) -> str | None:
    if column is None:
        return None
    if column.name in frame.columns:
        return column.name
    if column.required:
        hint = f"; pass {column.flag} NAME" if column.flag else ""
        raise InputError(f"{path}: column {column.name!r} not found (columns: {', '.join(frame.columns)}){hint}")
    return None


def _as_text(series: pd.Series) -> pd.Series:
    """Every cell as a string, missing ones as ``""``."""
    if isinstance(series.dtype, pd.StringDtype):  # CSV columns read as text already are: no round trip
        return series.fillna("")
    return series.astype(object).where(series.notna(), "").astype(str)


def read_tickets(path: str | os.PathLike[str], columns: ColumnMap | None = None) -> Tickets:
    """Read a ticket export and map it to canonical columns.

    Rows with an empty or whitespace-only text are rejected with a reason; a missing
    required column, duplicate ids or an unreadable label value refuse the whole file.

    Raises
    ------
    InputError
        With the file, the column or line, and what to do.
    """
    path = Path(path)
    columns = columns or ColumnMap()
    raw = read_table(path)
    frame, label_tasks, id_col = map_columns(raw, columns, path)
    _check_duplicate_ids(frame, path, id_col)
    accepted, rejected = split_rejected(frame)
    return Tickets(
        frame=accepted,
        rejected=rejected,
        sha256=file_sha256(path),
        path=path,
        label_tasks=label_tasks,
        id_generated=id_col is None,
    )


def map_columns(
    raw: pd.DataFrame, columns: ColumnMap, path: Path, *, first_line: int = 2
) -> tuple[pd.DataFrame, list[str], str | None]:
    """Map an export's rows (all strings) to the canonical columns.

    Returns
    -------
    frame : DataFrame
        Every row, with ``line`` counted from ``first_line`` (the file's line of ``raw``'s first row).
    label_tasks : list of str
        Tasks whose label column was found.
    id_col : str or None
        The export's id column; None when ids are generated from line numbers.
    """
    text_col = _resolve(raw, columns.text, path)
    assert text_col is not None  # text is always required
    title_col = _resolve(raw, columns.title, path)
    id_col = _resolve(raw, columns.id, path)
    time_col = _resolve(raw, columns.time, path)

    frame = pd.DataFrame({"line": range(first_line, len(raw) + first_line)})
    # Columns are assigned as arrays (.array: position, not index, and no copy into Python objects).
    frame["id"] = _as_text(raw[id_col]).str.strip().array if id_col else frame["line"].astype(str).array
    frame["title"] = _as_text(raw[title_col]).array if title_col else ""
    frame["text"] = _as_text(raw[text_col]).array
    if time_col:
        frame["created_at"] = _parse_times(raw[time_col], path, time_col)
    for name, column in columns.extra.items():
        resolved = _resolve(raw, column, path)
        if resolved:
            frame[name] = _as_text(raw[resolved]).array

    label_tasks = []
    for task, column in columns.labels.items():
        resolved = _resolve(raw, column, path)
        if resolved is None:
            continue
        label_tasks.append(task)
        frame[task] = _parse_labels(raw[resolved], task, path, resolved)
    return frame, label_tasks, id_col


def rejection_reasons(frame: pd.DataFrame) -> pd.Series:
    """Why each row of a mapped export cannot be used (``empty id``, ``empty text``), ``""`` if it can."""
    reasons = pd.Series("", index=frame.index)
    reasons[frame["id"] == ""] = "empty id"
    reasons[frame["text"].str.strip() == ""] = "empty text"
    return reasons


def split_rejected(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accepted rows, and the rows that cannot be used (``line``, ``id``, ``reason``)."""
    reasons = rejection_reasons(frame)
    rejected = frame.loc[reasons != "", ["line", "id"]].assign(reason=reasons[reasons != ""])
    return frame.loc[reasons == ""].reset_index(drop=True), rejected.reset_index(drop=True)


def _parse_labels(series: pd.Series, task: str, path: Path, column: str) -> pd.Series:
    if not is_binary(task):
        text = _as_text(series).str.strip()
        return text.where(text != "", None)
    values: list[int | None] = []
    for line, value in enumerate(series.tolist(), start=2):
        try:
            values.append(parse_binary_label(value, task))
        except ValueError as exc:
            raise InputError(f"{path}: line {line}, column {column!r}: {exc}; fix the value or leave it empty") from exc
    return pd.Series(values, dtype="Int8")


def _parse_times(series: pd.Series, path: Path, column: str) -> np.ndarray:
    text = _as_text(series).str.strip()
    parsed = pd.to_datetime(text.where(text != "", None), errors="coerce", format="mixed")
    bad = parsed.isna() & (text != "")
    if bad.any():
        first = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{path}: line {first + 2}, column {column!r}: expected a date-time such as 2022-05-01 08:30, "
            f"got {text.iloc[first]!r} ({int(bad.sum())} such values); fix them or leave them empty"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return parsed.to_numpy()


def _check_duplicate_ids(frame: pd.DataFrame, path: Path, id_col: str | None) -> None:
    ids = frame.loc[frame["id"] != "", "id"]
    duplicated = ids[ids.duplicated(keep=False)]
    if duplicated.empty:
        return
    examples = []
    for value, lines in frame.loc[duplicated.index].groupby("id")["line"]:
        examples.append(f"{value!r} on lines {', '.join(map(str, lines.tolist()[:3]))}")
        if len(examples) == 3:
            break
    raise InputError(
        f"{path}: column {id_col!r} has {duplicated.nunique()} duplicated ids ({'; '.join(examples)}); "
        "ids must be unique: remove the repeated rows or pass --id-col with a unique column"
    )
