"""``hotline predict``: a ticket file scored chunk by chunk on every core.

The input is read a chunk at a time (:func:`nlp.stream.iter_table`), chunks are predicted
by worker processes (:func:`nlp.parallel.predict_chunks`), and the output is appended in
input order (:class:`nlp.stream.TableWriter`), so memory stays bounded whatever the file
size. Every input row comes out, in input order; rows that could not be scored say why in
the ``error`` column. Ids that repeat an earlier row's are counted and reported at the end
(their rows are scored like any other): a routing system that joins predictions by id needs
to know.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from nlp.batching import READ_BATCH
from nlp.bundle import Bundle, load_bundle
from nlp.errors import InputError
from nlp.explain import explain as explain_terms
from nlp.parallel import predict_chunks
from nlp.predict import columns
from nlp.scoring import score
from nlp.stream import TableWriter, iter_table
from nlp.tables import check_not_input
from nlp.tasks import is_binary
from nlp.tickets import ColumnMap, map_columns, rejection_reasons

__all__ = ["PredictSummary", "predict_file"]


@dataclass
class PredictSummary:
    """What one run scored."""

    bundle_id: str = ""
    rows: int = 0
    rejected: int = 0
    auto: int = 0
    has_route: bool = False
    duplicate_ids: int = 0  # rows whose id an earlier row already had
    duplicate_lines: list[tuple[int, int]] = field(default_factory=list)  # a few (first line, repeating line)
    ids_checked: int = 0  # rows whose ids were compared (up to DUPLICATE_CHECK_ROWS)
    ids_unchecked: int = 0  # rows beyond that limit


# Ids are compared by a 64-bit hash, 12 bytes a row with its line: 30 million rows (years of a
# city) take 360 MB; rows beyond are scored but their ids not compared, so memory stays bounded.
DUPLICATE_CHECK_ROWS = 30_000_000


class _RepeatedIds:
    """Collect a hash of every non-empty id with its line; tell which rows repeat an earlier id."""

    def __init__(self, limit: int = DUPLICATE_CHECK_ROWS) -> None:
        self.limit = limit
        self.hashes: list[np.ndarray] = []
        self.lines: list[np.ndarray] = []
        self.rows = 0
        self.skipped = 0

    def add(self, rows: pd.DataFrame) -> None:
        rows = rows[rows["id"] != ""]  # an empty id is already an error of its row
        room = max(0, self.limit - self.rows)
        self.skipped += max(0, len(rows) - room)
        rows = rows.iloc[:room]
        if len(rows):
            self.hashes.append(pd.util.hash_array(rows["id"].to_numpy(dtype=object)))
            self.lines.append(rows["line"].to_numpy(dtype=np.uint32))
            self.rows += len(rows)

    def report(self, summary: PredictSummary, examples: int = 3) -> None:
        summary.ids_checked, summary.ids_unchecked = self.rows, self.skipped
        if not self.hashes:
            return
        hashes, lines = np.concatenate(self.hashes), np.concatenate(self.lines)
        order = np.argsort(hashes, kind="stable")  # equal hashes end up together, in input order
        ranked = hashes[order]
        repeats = np.flatnonzero(ranked[1:] == ranked[:-1]) + 1
        summary.duplicate_ids = len(repeats)
        firsts = np.searchsorted(ranked, ranked[repeats])  # where each repeated id first appears
        pairs = sorted(
            zip(lines[order[firsts]].tolist(), lines[order[repeats]].tolist(), strict=True), key=lambda p: p[1]
        )
        summary.duplicate_lines = pairs[:examples]


def _score(bundle: Bundle, rows: pd.DataFrame, *, explain: bool, jsonl: bool, id_name: str) -> pd.DataFrame:
    """Predictions for one chunk (``line``, ``id``, ``title``, ``text``, ``error``), formatted for the output."""
    accepted = rows.loc[rows["error"] == ""]
    scores = score(bundle, accepted["title"].tolist(), accepted["text"].tolist(), keep_features=explain)
    predictions = pd.DataFrame(columns(scores, top_cells=None if jsonl else _top_json), index=accepted.index)
    if explain and len(accepted):
        terms = explain_terms(bundle, scores)
        predictions["department_explanation"] = pd.Series(
            [[[t["term"], t["weight"]] for t in row] for row in terms], index=accepted.index, dtype=object
        )
    out = pd.concat([rows[["id"]], predictions.reindex(rows.index)], axis=1)
    out["error"] = rows["error"]
    for column in out.columns:
        if column.endswith("_explanation") and not jsonl:  # lists become JSON text in tables
            out[column] = [json.dumps(v, ensure_ascii=False) if isinstance(v, list) else "" for v in out[column]]
        elif _TOP_COLUMN.search(column) and not jsonl:
            out[column] = out[column].fillna("")  # rows not scored
    for task in bundle.tasks:
        if is_binary(task) and task in out.columns:
            out[task] = out[task].astype("Int8")
    return out.rename(columns={"id": id_name}).reset_index(drop=True)


_TOP_COLUMN = re.compile(r"_top\d+$")


def _top_json(classes: np.ndarray, order: np.ndarray, top: np.ndarray) -> list[str]:
    """``json.dumps`` of each row's ``[[label, proba], ...]``, for the whole chunk at once.

    Each class's opening (``[["label", `` first, ``, ["label", `` after) and each
    probability's closing (``0.9713]``) are written once, as numpy writes a float64: its
    shortest repr, as json does (tested for every 4-decimal value). A row joins its pieces
    (a third of the time numpy's string additions took).
    """
    names = [json.dumps(str(label), ensure_ascii=False) for label in classes]
    first = np.array([f"[[{name}, " for name in names], dtype=object)
    later = np.array([f", [{name}, " for name in names], dtype=object)
    steps = np.rint(top * 10_000)  # the probabilities are k / 10,000 (rounded to 4 decimals)
    if len(steps) and steps.min() >= 0 and steps.max() <= 10_000 and np.array_equal(steps / 10_000, top):
        closed = _four_decimals()[steps.astype(np.intp)]  # a lookup: writing each float cost more than the rest
    else:
        closed = np.strings.add(top.astype(np.dtypes.StringDType()), "]").astype(object)
    pieces = [first[order[:, 0]].tolist(), closed[:, 0].tolist()]
    for j in range(1, order.shape[1]):
        pieces += [later[order[:, j]].tolist(), closed[:, j].tolist()]
    return [f"{''.join(row)}]" for row in zip(*pieces, strict=True)]


@cache
def _four_decimals() -> np.ndarray:
    """Every probability of 4 decimals (k / 10,000, as ``round(4)`` makes it) written with its closing bracket, by k."""
    written = (np.arange(10_001) / 10_000).astype(np.dtypes.StringDType())
    return np.strings.add(written, "]").astype(object)


def _chunks(path: Path, columns: ColumnMap, chunk_rows: int, state: dict[str, object]) -> Iterator[pd.DataFrame]:
    for raw, first_line in iter_table(path, chunk_rows=chunk_rows):
        frame, _, id_col = map_columns(raw, columns, path, first_line=first_line)
        state["id_col"] = id_col
        yield frame[["line", "id", "title", "text"]].assign(error=rejection_reasons(frame))


def predict_file(
    model: str | Path,
    input_path: str | Path,
    output: str | Path,
    columns: ColumnMap,
    *,
    explain: bool = False,
    workers: int | None = None,
    chunk_rows: int = READ_BATCH,
    progress: bool = True,
) -> PredictSummary:
    """Score every row of ``input_path`` with the bundle in ``model`` and write ``output``.

    Returns
    -------
    PredictSummary
        Rows written, rows not scored, rows routed ``auto``.
    """
    check_not_input(output, input_path)
    bundle = load_bundle(model)
    if explain and "department" not in bundle.pipelines:
        raise InputError(
            f"--explain lists the terms behind the department, but model {bundle.bundle_id} has no department task"
        )
    input_path = Path(input_path)
    state: dict[str, object] = {}
    chunks = _chunks(input_path, columns, chunk_rows, state)
    first = next(chunks)  # column errors surface here, before any worker starts
    id_name = str(state["id_col"]) if state["id_col"] else "line"  # generated ids are line numbers
    job = partial(_score, explain=explain, jsonl=Path(output).suffix.lower() == ".jsonl", id_name=id_name)
    summary = PredictSummary(bundle_id=bundle.bundle_id, has_route=bundle.routing_task() is not None)
    bar = tqdm(desc="predicting", unit="ticket", disable=not progress or None, leave=False, file=sys.stderr)

    repeated = _RepeatedIds() if state["id_col"] else None  # generated ids (line numbers) never repeat

    def everything() -> Iterator[pd.DataFrame]:
        for rows in itertools.chain([first], chunks):
            if repeated is not None:
                repeated.add(rows)
            yield rows

    with TableWriter(output) as writer:
        for out in predict_chunks(model, everything(), job, workers=workers, bundle=bundle):
            writer.write(out)
            summary.rows += len(out)
            summary.rejected += int((out["error"] != "").sum())
            if "route" in out:
                summary.auto += int((out["route"] == "auto").sum())
            bar.update(len(out))
    bar.close()
    if repeated is not None:
        repeated.report(summary)
    return summary
