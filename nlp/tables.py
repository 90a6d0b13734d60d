"""Table files: reading exports and writing outputs, format chosen by extension.

Exports come as CSV or TSV (UTF-8 or GB18030, as Chinese government systems write them),
Excel, Parquet or JSON (Lines). Every cell is read as a string, so that ids such as ``00123``
keep their zeros; a file that cannot be used is refused with one message naming it and saying
what to do. Outputs are written atomically (:mod:`nlp.atomic`). :mod:`nlp.stream` reads and
writes the same formats a chunk at a time; :mod:`nlp.tickets` maps a table to ticket columns.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.atomic import atomic_path
from nlp.errors import InputError

__all__ = [
    "READ_FORMATS",
    "WRITE_FORMATS",
    "check_not_input",
    "check_readable",
    "check_writable",
    "delimited_options",
    "detect_encoding",
    "file_sha256",
    "read_table",
    "reading",
    "write_table",
]

READ_FORMATS = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".jsonl", ".json")
WRITE_FORMATS = (".csv", ".xlsx", ".parquet", ".jsonl")
DELIMITED = (".csv", ".tsv", ".txt")
_ENCODINGS = ("utf-8-sig", "gb18030")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_readable(path: Path) -> None:
    """Refuse, with what to do, a path that is missing, a folder, of an unknown format or empty."""
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputError(f"{path}: expected a file, got a directory")
    if path.suffix.lower() not in READ_FORMATS:
        raise InputError(f"{path}: expected one of {', '.join(READ_FORMATS)}, got {path.suffix or 'no extension'!r}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; export the tickets again")


def check_writable(path: Path) -> str:
    """The output format (lower-case extension) of ``path``; refuse one that cannot be written."""
    suffix = path.suffix.lower()
    if suffix not in WRITE_FORMATS:
        raise InputError(f"{path}: expected an output ending in {', '.join(WRITE_FORMATS)}, got {suffix or 'none'!r}")
    return suffix


def _utf16(head: bytes) -> str | None:
    """``utf-16`` (with a byte-order mark), ``utf-16-le``/``-be`` (without: every other byte NUL), or None."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    pairs = len(head) // 2
    if pairs < 2:
        return None
    # ASCII (commas, digits, Latin column names) in UTF-16 has a NUL in every other byte; neither
    # UTF-8 nor GB18030 text ever has NULs, so a quarter of them is already conclusive.
    if head[1::2].count(0) >= pairs / 4:
        return "utf-16-le"
    if head[0::2].count(0) >= pairs / 4:
        return "utf-16-be"
    return None


def detect_encoding(path: Path) -> str:
    """UTF-16 when the file starts like it, else the first of UTF-8 and GB18030 that decodes the whole file.

    The file is read in blocks, not held.
    """
    with open(path, "rb") as handle:
        wide = _utf16(handle.read(4096))
    if wide is not None:
        return wide
    for encoding in _ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InputError(f"{path}: could not be decoded as UTF-8 or GB18030; re-export it in one of those encodings")


def check_not_input(output: str | os.PathLike[str], *inputs: str | os.PathLike[str]) -> None:
    """Refuse an output path that is one of the inputs: writing it would destroy what is being read."""
    target = Path(output).resolve()
    for source in inputs:
        if Path(source).resolve() == target:
            raise InputError(f"{output}: the output would overwrite the input {source}; write to another file")


def delimited_options(path: Path) -> dict[str, Any]:
    """``pandas.read_csv`` options for a CSV/TSV export: every cell a string, empty cells ``""``."""
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    return {"sep": sep, "dtype": str, "keep_default_na": False, "encoding": detect_encoding(path)}


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn a parser's error inside the block into an :class:`InputError` naming the file and its format."""
    try:
        yield
    except InputError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path}: no header and no rows; export the tickets again") from exc
    except Exception as exc:  # a parser's own message, with where it happened
        raise InputError(f"{path}: could not be read as {path.suffix.lower()[1:]}: {exc}") from exc


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a table, every cell as a string (ids such as ``00123`` keep their zeros).

    CSV is tried as UTF-8 (with or without BOM), then GB18030.
    """
    path = Path(path)
    check_readable(path)
    suffix = path.suffix.lower()
    with reading(path):
        if suffix in DELIMITED:
            frame = pd.read_csv(path, **delimited_options(path))
        elif suffix in (".xlsx", ".xls"):
            frame = pd.read_excel(path, dtype=str)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_json(path, lines=suffix == ".jsonl", dtype=False)
    if frame.empty:
        raise InputError(f"{path}: no rows after the header; export the tickets again")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` atomically, format by extension; create the folder if needed."""
    path = Path(path)
    suffix = check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=suffix) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, encoding="utf-8")
        elif suffix == ".xlsx":
            frame.to_excel(tmp, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False, date_format="iso")
    return path
