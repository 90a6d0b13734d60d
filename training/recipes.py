"""Named training recipes: code that assembles labelled frames from known data layouts.

The data stays outside the repository; a recipe reads it from a data root given on the
command line (``../shared/data`` on the project's machines).

``public``: the public Chinese citizen-demand sets described in ``shared/data/README.md``.
Department routing uses the Teddy Cup 2020 (problem C) labelled messages, 7 first-level classes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.errors import InputError
from nlp.io import file_sha256, read_table
from nlp.text import normalize

__all__ = [
    "RECIPES",
    "TEDDY_PART",
    "TEDDY_SAMPLE",
    "TEDDY_UNLABELLED",
    "Recipe",
    "dedupe_by_text",
    "public",
    "teddy_department",
]

TEDDY_PART = "teddy2020c/labelled_messages_part.csv"
TEDDY_SAMPLE = "teddy2020c/labelled_messages_sample.csv"
TEDDY_UNLABELLED = (
    "teddy2020c/unlabelled_messages.csv",
    "teddy2020c/messages_with_replies.csv",
    "teddy2020c/hot_topic_messages.csv",
)
_SPACE = re.compile(r"\s+")


def _squash(text: object) -> str:
    """Remove all whitespace, as the Teddy ``part`` file does with its texts."""
    return "" if text is None or text != text else _SPACE.sub("", str(text))  # text != text: NaN


def _require(root: Path, relative: str) -> Path:
    path = root / relative
    if not path.is_file():
        raise InputError(
            f"{path}: not found; pass --data-root pointing at the folder that holds {relative.split('/')[0]}/"
        )
    return path


def dedupe_by_text(frame: pd.DataFrame, label: str) -> tuple[pd.DataFrame, int, int]:
    """Drop rows whose normalised text repeats; a text with conflicting labels is dropped entirely.

    Returns
    -------
    frame : DataFrame
        One row per distinct normalised text.
    duplicates : int
        Rows dropped as repeats of a kept row.
    conflicts : int
        Rows dropped because the same text carried different labels.
    """
    key = frame["text"].map(lambda t: _squash(normalize(t)))
    labels_per_text = frame.groupby(key)[label].nunique()
    conflicting = key.map(labels_per_text) > 1
    kept = frame[~conflicting & ~key.duplicated()]
    duplicates = int((~conflicting).sum() - len(kept))
    return kept.reset_index(drop=True), duplicates, int(conflicting.sum())


def teddy_department(data_root: str | Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Labelled Teddy messages for the department task, in the ``part`` file's layout.

    The ``sample`` file's title and detail are joined without whitespace, as the ``part``
    file (and the held-out evaluation set) has them; titles are left empty so that the model
    sees training messages exactly as it will see those.

    Returns
    -------
    frame : DataFrame
        ``id``, ``title`` (empty), ``text``, ``department``.
    counts : dict
        Rows read per file, duplicates and conflicts dropped.
    """
    root = Path(data_root)
    part = read_table(_require(root, TEDDY_PART))
    sample = read_table(_require(root, TEDDY_SAMPLE))
    for name, frame, columns in (
        (TEDDY_PART, part, ("label", "text")),
        (TEDDY_SAMPLE, sample, ("留言主题", "留言详情", "一级分类")),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(f"{root / name}: expected columns {', '.join(columns)}, missing {', '.join(missing)}")
    joined = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": [f"part-{i}" for i in range(len(part))],
                    "text": part["text"].map(_squash),
                    "department": part["label"],
                }
            ),
            pd.DataFrame(
                {
                    "id": "sample-" + sample["留言编号"].astype(str),
                    "text": sample["留言主题"].map(_squash) + sample["留言详情"].map(_squash),
                    "department": sample["一级分类"],
                }
            ),
        ],
        ignore_index=True,
    )
    joined["department"] = joined["department"].astype(str).str.strip()
    joined = joined[(joined["text"] != "") & (joined["department"] != "")]
    frame, duplicates, conflicts = dedupe_by_text(joined, "department")
    frame.insert(1, "title", "")
    counts = {
        "part": len(part),
        "sample": len(sample),
        "duplicates_dropped": duplicates,
        "conflicts_dropped": conflicts,
    }
    return frame, counts


@dataclass
class Recipe:
    """Labelled rows assembled by a recipe, and what they came from (for the bundle sidecar)."""

    frame: pd.DataFrame
    tasks: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # TrainConfig values this data wants


def public(data_root: str | Path) -> Recipe:
    """The ``public`` recipe: department routing from the Teddy messages (7 classes).

    The consultation and COVID heads of this recipe are not built yet; the bundle has the
    department task only.
    """
    root = Path(data_root)
    frame, counts = teddy_department(root)
    files = {name: file_sha256(root / name) for name in (TEDDY_PART, TEDDY_SAMPLE)}
    digest = file_sha256_of(files)
    data = {"recipe": "public", "source": str(root), "files": files, "sha256": digest, "rows": len(frame), **counts}
    # Character unigrams add ~0.5 point of macro-F1 on these long messages (cross-validated, bench/quality.py).
    return Recipe(frame=frame, tasks=["department"], data=data, config={"char_ngrams": (1, 3)})


def file_sha256_of(files: dict[str, str]) -> str:
    """One hash for several files: the SHA-256 of their names and hashes."""
    text = "\n".join(f"{name}:{digest}" for name, digest in sorted(files.items()))
    return hashlib.sha256(text.encode()).hexdigest()


RECIPES = {"public": public}
