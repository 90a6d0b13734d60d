"""Past answered tickets as a second source of suggestions ("similar answered tickets").

A ticket export with the citizen's message and the reply becomes entries: the question is the
title and message, the answer the reply, both with personal data masked (they are shown to
operators). They are indexed as knowledge-base entries are, with ``source="answered_ticket"``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from kb.entries import validate_entries
from nlp.errors import InputError
from nlp.tables import read_table
from nlp.text import mask_pii

__all__ = ["answered_entries", "read_answered"]


def answered_entries(
    raw: pd.DataFrame,
    *,
    id_col: str = "id",
    title_col: str | None = "title",
    text_col: str = "text",
    reply_col: str = "reply",
    time_col: str | None = None,
    source: str = "answered tickets",
) -> pd.DataFrame:
    """Entries (:func:`kb.entries.validate_entries`) from answered tickets; rows without a reply are left out.

    The ticket's time, when given, is kept as ``asked_at`` (entries from tickets never expire).
    """
    for name, column in (("--id-col", id_col), ("--text-col", text_col), ("--reply-col", reply_col)):
        if column not in raw.columns:
            raise InputError(
                f"{source}: column {column!r} not found (columns: {', '.join(raw.columns)}); pass {name} NAME"
            )

    def text(column: str | None) -> pd.Series:
        if column is None or column not in raw.columns:
            return pd.Series("", index=raw.index)
        return raw[column].astype(object).where(raw[column].notna(), "").astype(str).str.strip()

    message = (text(title_col) + " " + text(text_col)).str.strip()
    frame = pd.DataFrame(
        {
            "id": text(id_col),
            "question": [mask_pii(m) for m in message],
            "answer": [mask_pii(r) for r in text(reply_col)],
        }
    )
    if time_col:
        frame["asked_at"] = text(time_col)
    answered = (frame["answer"] != "").to_numpy()
    lines = np.flatnonzero(answered) + 2  # the header is line 1
    return validate_entries(frame.loc[answered].reset_index(drop=True), source=source, lines=lines)


def read_answered(path: str | os.PathLike[str], **columns: str | None) -> pd.DataFrame:
    """:func:`answered_entries` of a ticket export (CSV, Excel, Parquet ...)."""
    return answered_entries(read_table(path), source=str(Path(path)), **columns)  # type: ignore[arg-type]
