"""Tables read and written in chunks, so that memory stays bounded whatever the file size.

:func:`iter_table` yields an export's rows a chunk at a time (CSV, TSV, JSON Lines and
Parquet stream; Excel and JSON are read whole, as their formats require). :class:`TableWriter`
appends chunks to a temporary file and renames it into place when closed, so a reader never
sees half an output and a failed run leaves no output behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from nlp.atomic import atomic_path
from nlp.batching import READ_BATCH
from nlp.errors import InputError
from nlp.tables import DELIMITED, check_readable, check_writable, delimited_options, read_table, reading

__all__ = ["TableWriter", "iter_table"]


def iter_table(path: str | os.PathLike[str], *, chunk_rows: int = READ_BATCH) -> Iterator[tuple[pd.DataFrame, int]]:
    """Yield ``(rows, first_line)`` chunks of a table, every cell a string.

    ``first_line`` is the file line of the chunk's first row (the header is line 1), so that
    messages and outputs can point at lines as :func:`nlp.tickets.read_tickets` does.
    """
    path = Path(path)
    check_readable(path)
    suffix = path.suffix.lower()
    with reading(path):
        if suffix in DELIMITED:
            chunks: Iterator[pd.DataFrame] = iter(pd.read_csv(path, **delimited_options(path), chunksize=chunk_rows))
        elif suffix == ".jsonl":
            chunks = iter(pd.read_json(path, lines=True, dtype=False, chunksize=chunk_rows))
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            batches = pq.ParquetFile(path).iter_batches(batch_size=chunk_rows)
            chunks = (batch.to_pandas() for batch in batches)
        else:
            whole = read_table(path)
            chunks = (whole.iloc[i : i + chunk_rows] for i in range(0, len(whole), chunk_rows))
        line, seen = 2, False
        for chunk in chunks:
            if chunk.empty:
                continue
            chunk.columns = [str(c).strip() for c in chunk.columns]
            yield chunk.reset_index(drop=True), line
            line += len(chunk)
            seen = True
    if not seen:
        raise InputError(f"{path}: no rows after the header; export the tickets again")


class TableWriter:
    """Write a table chunk by chunk to ``path``, atomically (temporary file, then rename).

    CSV and JSON Lines are appended as they come; Parquet is written row group by row group
    with the first chunk's schema; Excel cannot be appended to, so its chunks are kept and
    written on close (an Excel sheet holds at most about a million rows anyway).

    Use as a context manager: the file appears only if the block completes.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.suffix = check_writable(self.path)
        self.rows = 0
        self._tmp: Path | None = None
        self._parquet: Any = None
        self._excel: list[pd.DataFrame] = []
        self._stack = ExitStack()

    def __enter__(self) -> TableWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self._stack.enter_context(atomic_path(self.path, suffix=self.suffix))
        self._stack.push(self._finish)  # runs first: the temporary file is complete before it is renamed
        return self

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame``'s rows (the same columns every time)."""
        assert self._tmp is not None, "use TableWriter as a context manager"
        first = self.rows == 0
        if self.suffix == ".csv":
            frame.to_csv(self._tmp, index=False, header=first, mode="w" if first else "a", encoding="utf-8")
        elif self.suffix == ".jsonl":
            with open(self._tmp, "w" if first else "a", encoding="utf-8") as handle:
                frame.to_json(handle, orient="records", lines=True, force_ascii=False, date_format="iso")
                if len(frame):
                    handle.write("\n")
        elif self.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self._parquet is None:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                self._parquet = pq.ParquetWriter(self._tmp, table.schema)
            else:
                table = pa.Table.from_pandas(frame, schema=self._parquet.schema, preserve_index=False)
            self._parquet.write_table(table)
        else:
            self._excel.append(frame)
        self.rows += len(frame)

    def _finish(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if kind is None and self.suffix == ".xlsx":
            assert self._tmp is not None
            pd.concat(self._excel, ignore_index=True).to_excel(self._tmp, index=False)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stack.__exit__(kind, error, trace)
