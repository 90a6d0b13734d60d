"""Atomic file writes: a reader of a path sees its old content or its new one, never half a file.

Every file the project writes for others to read (model bundles, tables, streamed tables, digests)
goes through :func:`atomic_path`: the content goes to a temporary file in the target's own folder
(so that the rename stays on one file system), is flushed to disk, gets ordinary permissions and is
renamed over the target. On any error the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_atomic"]

FILE_MODE = 0o644  # mkstemp makes files private; outputs are read by other users (the service's, an analyst's)


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block completes, it replaces ``path``.

    Parameters
    ----------
    path : path-like
        The file to write. Its folder must exist.
    suffix : str
        Ending of the temporary name, for writers that choose a format by extension
        (``pandas.DataFrame.to_excel``, for one).

    Examples
    --------
    >>> with atomic_path(folder / "bundle.joblib") as tmp:  # doctest: +SKIP
    ...     joblib.dump(pipelines, tmp)
    """
    target = Path(path)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:  # the bytes are on disk before the name points at them
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], content: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``content`` (text in ``encoding``, or bytes) to ``path`` atomically; return the path."""
    with atomic_path(path) as tmp:
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding=encoding)
    return Path(path)
