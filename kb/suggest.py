"""Suggestions for a ticket: the entries valid at its time that answer it, or none when unsure.

:func:`suggest` serves one ticket (the API calls it); :func:`suggest_file` writes a
``suggestions`` column for a ticket export (``hotline kb suggest``): the JSON list of
``[entry_id, score]``, best first, ``[]`` when the index abstains.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from kb.index import KbIndex, Ranked, load_index, to_moment
from nlp.tables import check_not_input, read_table, write_table
from nlp.text import clean
from nlp.tickets import Column, ColumnMap, map_columns

__all__ = ["Suggestion", "suggest", "suggest_file"]

_SHARED_TERMS = 8


@dataclass(frozen=True)
class Suggestion:
    """One suggested answer, with why it was suggested.

    ``score`` is the index's confidence that the entry answers the ticket (0 to 1 for the
    default fusion); ``shared_terms`` are the words of the ticket that the entry also holds,
    most telling first as they appear in the ticket; ``source`` is ``kb`` for a knowledge-base
    entry and ``answered_ticket`` for a past ticket and its reply.
    """

    entry_id: str
    question: str
    answer: str
    department: str
    score: float
    shared_terms: tuple[str, ...]
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "shared_terms": list(self.shared_terms)}


def suggest(
    index: KbIndex | Sequence[KbIndex],
    text: str,
    title: str | None = None,
    asked_at: datetime | str | None = None,
    k: int = 5,
) -> list[Suggestion]:
    """The ``k`` best entries for a ticket, valid at ``asked_at`` (default: now), best first.

    With several indexes (the knowledge base and past answered tickets), each abstains on its
    own and the suggestions that remain are merged by score.
    """
    if k < 1:
        raise ValueError(f"expected k >= 1, got {k}")
    indexes = [index] if isinstance(index, KbIndex) else list(index)
    query = f"{title or ''} {text}".strip()
    at = to_moment(asked_at if asked_at is not None else datetime.now())
    found: list[Suggestion] = []
    for each in indexes:
        shown = each.suggested(each.rank(query, at=at), k)
        found.extend(_describe(each, shown))
    found.sort(key=lambda s: -s.score)
    return found[:k]


def _describe(index: KbIndex, shown: Ranked) -> list[Suggestion]:
    entries = index.entries
    out = []
    for row, score in zip(shown.rows.tolist(), shown.scores.tolist(), strict=True):
        entry = entries.iloc[row]
        entry_terms = set(index.tokenizer(index.expander(clean(f"{entry['question']} {entry['answer']}"))))
        # Single characters (卡, 办) say little on their own: words of two or more are shown.
        shared = [t for t in dict.fromkeys(shown.tokens) if len(t) > 1 and t in entry_terms][:_SHARED_TERMS]
        out.append(
            Suggestion(
                entry_id=str(entry["id"]),
                question=str(entry["question"]),
                answer=str(entry["answer"]),
                department=str(entry["department"]),
                score=round(float(score), 4),
                shared_terms=tuple(shared),
                source=index.source,
            )
        )
    return out


def suggest_file(
    index_dir: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    id_col: str = "id",
    title_col: str = "title",
    text_col: str = "text",
    time_col: str = "asked_at",
    k: int = 5,
) -> dict[str, int]:
    """``hotline kb suggest``: one output row per input row with its ``suggestions``.

    The output holds the id column (``line`` when the input has none) and ``suggestions``, the
    JSON list of ``[entry_id, score]``; the title and time columns are used when present (the
    time defaults to now). Rows with an empty text get ``[]``. Returns counts: ``rows``,
    ``suggested`` (rows with at least one suggestion) and ``empty`` (rows without text).
    """
    check_not_input(output, input)
    dirs = [index_dir] if isinstance(index_dir, str | os.PathLike) else list(index_dir)
    indexes = [load_index(d) for d in dirs]
    path = Path(input)
    columns = ColumnMap(
        text=Column(text_col, required=True, flag="--text-col"),
        title=Column(title_col, required=False, flag="--title-col"),
        id=Column(id_col, required=False, flag="--id-col"),
        time=Column(time_col, required=False, flag="--time-col"),
    )
    frame, _, id_source = map_columns(read_table(path), columns, path)
    now = datetime.now()
    times = frame["created_at"] if "created_at" in frame.columns else pd.Series(pd.NaT, index=frame.index)
    cells, suggested, empty = [], 0, 0
    for title, text, at in zip(frame["title"], frame["text"], times, strict=True):
        if not text.strip():
            empty += 1
            cells.append("[]")
            continue
        found = suggest(indexes, text, title=title, asked_at=now if pd.isna(at) else at, k=k)
        suggested += bool(found)
        cells.append(json.dumps([[s.entry_id, s.score] for s in found], ensure_ascii=False))
    key = id_col if id_source is not None else "line"
    out = pd.DataFrame({key: frame["id"] if id_source is not None else frame["line"], "suggestions": cells})
    write_table(out, output)
    return {"rows": len(out), "suggested": suggested, "empty": empty}
