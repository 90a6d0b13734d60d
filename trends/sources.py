"""Where a digest reads tickets from: an in-memory export or the ticket store, one week at a time.

A source answers two questions for a span of time: which tickets were filed in it, and a key
that changes whenever those tickets change (so that a cached week summary is used only for
the very tickets it was built from).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import pandas as pd

__all__ = ["FrameSource", "TicketSource"]

KEY_COLUMNS = ["id", "created_at", "title", "text"]  # what mining a week depends on


class TicketSource(Protocol):
    def tickets(self, *, since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
        """Tickets filed in ``[since, until)``, oldest first."""
        ...

    def content_key(self, since: datetime, until: datetime) -> str | None:
        """A key of the tickets filed in ``[since, until)``; None when there are none."""
        ...


class FrameSource:
    """Tickets already in memory (an export read with ``--tickets``)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame.assign(created_at=pd.to_datetime(frame["created_at"]))

    def tickets(self, *, since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
        stamps = self.frame["created_at"]
        keep = pd.Series(True, index=self.frame.index)
        if since is not None:
            keep &= stamps >= since
        if until is not None:
            keep &= stamps < until
        return self.frame[keep].sort_values(["created_at", "id"], kind="stable").reset_index(drop=True)

    def content_key(self, since: datetime, until: datetime) -> str | None:
        stamps = self.frame["created_at"]
        rows = self.frame.loc[(stamps >= since) & (stamps < until), KEY_COLUMNS]
        if rows.empty:
            return None
        # A sum of row hashes: independent of row order, changed by any edited, added or removed row.
        total = int(pd.util.hash_pandas_object(rows.astype(str), index=False).to_numpy().sum(dtype="uint64"))
        return f"frame-{len(rows)}-{total:016x}"
