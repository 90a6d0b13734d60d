from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from nlp.tables import write_table
from tests.helpers import run_cli


def _predict(capsys, model: Path, source: Path, output: Path, *options: str) -> tuple[int, str, str]:
    return run_cli(capsys, "predict", "--model", str(model), "--input", str(source), "--output", str(output), *options)


def test_predict_keeps_order_ids_and_unscored_rows(tmp_path: Path, bundle_dir: Path, capsys) -> None:
    frame = pd.DataFrame(
        {"编号": ["a9", "a1", "a5"], "title": ["", "", ""], "text": ["苏康码变黄码了", "   ", "公司拖欠工资"]}
    )
    path = write_table(frame, tmp_path / "in.csv")
    code, out, err = _predict(capsys, bundle_dir, path, tmp_path / "out.csv", "--id-col", "编号", "--quiet")
    assert code == 0, err
    result = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert list(result.columns) == [
        "编号", "consultation", "consultation_proba", "covid", "covid_proba",
        "department", "department_proba", "department_top3", "route", "error",
    ]  # fmt: skip
    assert list(result["编号"]) == ["a9", "a1", "a5"]
    assert list(result["error"]) == ["", "empty text", ""]
    assert result.loc[0, "covid"] == "1" and result.loc[2, "department"] == "市人力资源和社会保障局"
    assert json.loads(result.loc[0, "department_top3"])[0][0] == result.loc[0, "department"]
    assert "1 rows not scored" in out
    assert "repeat the id" not in err


def test_predict_warns_of_repeated_ids(tmp_path: Path, bundle_dir: Path, capsys) -> None:
    frame = pd.DataFrame({"id": ["a", "b", "a"], "text": ["苏康码变黄码了", "楼上太吵", "公司拖欠工资"]})
    path = write_table(frame, tmp_path / "in.csv")
    code, _, err = _predict(capsys, bundle_dir, path, tmp_path / "o.csv", "--quiet")
    assert code == 0 and "1 rows repeat the id of an earlier row (lines 2 and 4)" in err
    assert len(pd.read_csv(tmp_path / "o.csv")) == 3


def test_predict_jsonl_keeps_lists(tmp_path: Path, bundle_dir: Path, capsys) -> None:
    path = write_table(pd.DataFrame({"text": ["楼上太吵"]}), tmp_path / "in.csv")
    code, _, _ = _predict(capsys, bundle_dir, path, tmp_path / "o.jsonl", "--quiet")
    row = json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8"))
    assert code == 0 and row["line"] == "2" and isinstance(row["department_top3"], list)


def test_model_directory_that_is_not_a_bundle(tmp_path: Path, capsys) -> None:
    path = write_table(pd.DataFrame({"text": ["x"]}), tmp_path / "in.csv")
    code, _, err = run_cli(
        capsys, "predict", "--model", str(tmp_path), "--input", str(path), "--output", str(tmp_path / "o.csv")
    )
    assert code == 2 and "not a model bundle" in err


def test_tampered_bundle_is_refused(tmp_path: Path, bundle_dir: Path, capsys) -> None:
    shutil.copytree(bundle_dir, tmp_path / "m")
    (tmp_path / "m" / "bundle.joblib").write_bytes(b"not a pickle")
    path = write_table(pd.DataFrame({"text": ["x"]}), tmp_path / "in.csv")
    code, _, err = run_cli(
        capsys, "predict", "--model", str(tmp_path / "m"), "--input", str(path), "--output", str(tmp_path / "o.csv")
    )
    assert code == 2 and "SHA-256 differs" in err
