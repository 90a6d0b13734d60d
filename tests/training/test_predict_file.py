from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlp.bundle import Bundle
from nlp.errors import InputError
from nlp.predict import predict
from nlp.tables import write_table
from nlp.tickets import ColumnMap
from training.predict_file import _top_json, predict_file


@pytest.fixture(scope="module")
def tickets(unseen: pd.DataFrame) -> pd.DataFrame:
    frame = unseen[["id", "title", "text"]].head(120).reset_index(drop=True)
    frame.loc[[5, 77], "text"] = "  "  # rows that cannot be scored, in two different chunks
    return frame


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False, precise_float=True)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_chunked_parallel_prediction_equals_one_shot(
    tmp_path: Path, bundle_dir: Path, bundle: Bundle, tickets: pd.DataFrame, suffix: str
) -> None:
    source = write_table(tickets, tmp_path / f"in{suffix}")
    out = tmp_path / f"out{suffix}"
    summary = predict_file(bundle_dir, source, out, ColumnMap(), workers=2, chunk_rows=25, progress=False)
    result = _read(out)
    assert summary.rows == len(result) == len(tickets) and summary.rejected == 2
    assert list(result["id"].astype(str)) == list(tickets["id"])  # every row, in input order
    scored = result["error"] == ""
    assert list(result.loc[~scored, "error"]) == ["empty text", "empty text"]
    one_shot = predict(bundle, tickets[tickets["text"].str.strip() != ""]).reset_index(drop=True)
    chunked = result.loc[scored].reset_index(drop=True)
    assert list(chunked["department"]) == list(one_shot["department"])
    assert list(chunked["route"]) == list(one_shot["route"])
    assert (chunked["covid_proba"].astype(float) - one_shot["covid_proba"]).abs().max() < 1e-9
    top3 = [json.loads(t) if isinstance(t, str) else [list(x) for x in t] for t in chunked["department_top3"]]
    assert top3 == list(one_shot["department_top3"])  # labels and probabilities, whatever the format
    if suffix != ".jsonl":  # tables hold exactly the JSON text of the lists
        assert list(chunked["department_top3"]) == [
            json.dumps(v, ensure_ascii=False) for v in one_shot["department_top3"]
        ]
    if suffix != ".jsonl":  # tables hold the list as JSON text, empty for a row not scored
        assert list(result.loc[~scored, "department_top3"]) == ["", ""]
    assert summary.auto == int((one_shot["route"] == "auto").sum())


def test_one_worker_gives_the_same_file(tmp_path: Path, bundle_dir: Path, tickets: pd.DataFrame) -> None:
    source = write_table(tickets, tmp_path / "in.csv")
    for workers in (1, 2):
        predict_file(
            bundle_dir,
            source,
            tmp_path / f"w{workers}.csv",
            ColumnMap(),
            workers=workers,
            chunk_rows=30,
            progress=False,
        )
    assert (tmp_path / "w1.csv").read_bytes() == (tmp_path / "w2.csv").read_bytes()


def test_gb18030_export_streams(tmp_path: Path, bundle_dir: Path, tickets: pd.DataFrame) -> None:
    source = tmp_path / "gbk.csv"
    tickets.to_csv(source, index=False, encoding="gb18030")
    summary = predict_file(
        bundle_dir, source, tmp_path / "o.csv", ColumnMap(), workers=1, chunk_rows=50, progress=False
    )
    assert summary.rows == len(tickets)


def test_failed_run_leaves_no_output(tmp_path: Path, bundle_dir: Path) -> None:
    source = write_table(pd.DataFrame({"body": ["苏康码变黄了"]}), tmp_path / "in.csv")
    with pytest.raises(InputError, match="column 'text' not found"):
        predict_file(bundle_dir, source, tmp_path / "o.csv", ColumnMap(), workers=2, progress=False)
    assert not list(tmp_path.glob("*o.csv*"))


def test_a_file_with_only_a_header_is_refused(tmp_path: Path, bundle_dir: Path) -> None:
    (tmp_path / "in.csv").write_text("id,text\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rows after the header"):
        predict_file(bundle_dir, tmp_path / "in.csv", tmp_path / "o.csv", ColumnMap(), workers=1, progress=False)
    assert not list(tmp_path.glob("*o.csv*"))


def test_repeated_ids_are_reported_with_their_lines_and_every_row_is_kept(
    tmp_path: Path, bundle_dir: Path, tickets: pd.DataFrame
) -> None:
    frame = tickets.head(60).copy()
    frame.loc[[40, 52], "id"] = frame.loc[[3, 3], "id"].to_numpy()  # chunks of 25: across chunks, twice
    frame.loc[[10, 20], "id"] = ""  # empty ids are their rows' own error, not repeats
    source = write_table(frame, tmp_path / "in.csv")
    summary = predict_file(
        bundle_dir, source, tmp_path / "o.csv", ColumnMap(), workers=2, chunk_rows=25, progress=False
    )
    assert summary.rows == 60 and summary.duplicate_ids == 2
    assert summary.duplicate_lines == [(5, 42), (5, 54)]  # header is line 1: row 3 is line 5
    assert summary.ids_checked == 58 and summary.ids_unchecked == 0
    assert len(_read(tmp_path / "o.csv")) == 60


def test_unique_ids_report_no_repeats(tmp_path: Path, bundle_dir: Path, tickets: pd.DataFrame) -> None:
    source = write_table(tickets, tmp_path / "in.csv")
    summary = predict_file(bundle_dir, source, tmp_path / "o.csv", ColumnMap(), workers=1, progress=False)
    assert summary.duplicate_ids == 0 and summary.duplicate_lines == [] and summary.ids_checked == len(tickets)


def test_ids_beyond_the_limit_are_counted_as_unchecked() -> None:
    from training.predict_file import PredictSummary, _RepeatedIds

    repeated = _RepeatedIds(limit=4)
    repeated.add(pd.DataFrame({"id": ["a", "b", "a"], "line": [2, 3, 4]}))
    repeated.add(pd.DataFrame({"id": ["c", "a", "b"], "line": [5, 6, 7]}))  # only "c" fits
    summary = PredictSummary()
    repeated.report(summary)
    assert (summary.duplicate_ids, summary.duplicate_lines) == (1, [(2, 4)])
    assert (summary.ids_checked, summary.ids_unchecked) == (4, 2)


def test_top_cells_are_the_json_of_each_rows_list() -> None:
    # Every 4-decimal probability, and some not rounded (written by numpy as they are).
    steps = np.arange(10_001) / 10_000
    probs = np.concatenate([steps, [0.123456, 1e-7]]).reshape(-1, 1)
    classes = np.array(["市级", 'a "quoted" unit'], dtype=object)
    order = np.tile([[1]], (len(probs), 1))
    for top in (probs[:-2], probs):  # rounded only (a lookup), and not only (numpy's own writing)
        cells = _top_json(classes, order[: len(top)], top)
        assert cells == [json.dumps([[classes[1], float(p)]], ensure_ascii=False) for p in top[:, 0]]
