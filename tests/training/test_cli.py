from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from nlp.tables import write_table


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_data(tmp_path: Path, capsys) -> None:
    code, out, _ = run(
        capsys, "demo-data", "--n", "300", "--weeks", "4", "--seed", "3", "--out", str(tmp_path / "d.parquet")
    )
    assert code == 0 and "wrote 300 tickets" in out
    assert len(pd.read_parquet(tmp_path / "d.parquet")) == 300
    assert (tmp_path / "d.parquet.trends.json").exists()


def test_train_writes_a_bundle_and_prints_evaluation(tmp_path: Path, corpus_path: Path, capsys) -> None:
    small = tmp_path / "small.csv"
    pd.read_csv(corpus_path).head(600).to_csv(small, index=False)
    code, out, err = run(
        capsys,
        "train",
        "--tickets",
        str(small),
        "--out",
        str(tmp_path / "m"),
        "--folds",
        "3",
        "--no-char-ngrams",
        "--quiet",
    )
    assert code == 0, err
    assert "department" in out and "macro-F1" in out and "route=auto" in out
    meta = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert set(meta["tasks"]) == {"consultation", "covid", "department"}


def test_train_only_the_tasks_whose_columns_exist(tmp_path: Path, corpus_path: Path, capsys) -> None:
    frame = (
        pd.read_csv(corpus_path)
        .head(400)[["id", "title", "text", "department"]]
        .rename(columns={"department": "部门", "text": "内容"})
    )
    path = write_table(frame, tmp_path / "t.xlsx")
    code, _, err = run(
        capsys,
        "train",
        "--tickets",
        str(path),
        "--text-col",
        "内容",
        "--department-col",
        "部门",
        "--out",
        str(tmp_path / "m"),
        "--folds",
        "3",
        "--quiet",
        "--drop-rare-labels",
    )
    assert code == 0, err
    assert list(json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))["tasks"]) == ["department"]


def _predict(capsys, model: Path, source: Path, output: Path, *options: str) -> tuple[int, str, str]:
    return run(capsys, "predict", "--model", str(model), "--input", str(source), "--output", str(output), *options)


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


def test_evaluate_prints_and_writes_json(tmp_path: Path, bundle_dir: Path, unseen: pd.DataFrame, capsys) -> None:
    path = write_table(unseen, tmp_path / "unseen.csv")
    code, out, err = run(
        capsys, "evaluate", "--model", str(bundle_dir), "--input", str(path), "--json", str(tmp_path / "e.json")
    )
    assert code == 0, err
    report = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))["tasks"]
    assert report["department"]["macro_f1"] > 0.8 and report["department"]["top3_accuracy"] > 0.9
    assert report["department"]["confusion"]["matrix"]
    assert 0 < report["department"]["auto_coverage"] <= 1
    assert report["covid"]["per_class"]["1"]["recall"] > 0.9
    assert "top-3" in out


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("id,body\n1,x\n", [], "column 'text' not found"),
        ("id,text\n1,a\n1,b\n", [], "duplicated ids"),
        ("", [], "the file is empty"),
        ("id,text,covid\n1,  ,1\n", [], "0 usable rows"),
        (
            "id,text,department\n" + "".join(f"{i},文本{i},{'甲' if i < 25 else '乙'}\n" for i in range(30)),
            [],
            "fewer than 10 examples",
        ),
        ("id,text,covid\n1,a,maybe\n", [], "line 2, column 'covid'"),
        ("id,text\n1,a\n", [], "no label column found"),
    ],
)
def test_train_bad_inputs(tmp_path: Path, capsys, content: str, extra: list[str], message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "train", "--tickets", str(path), "--out", str(tmp_path / "m"), "--quiet", *extra)
    assert code == 2
    assert message in err and "hotline: error:" in err and "Traceback" not in err


def test_model_directory_that_is_not_a_bundle(tmp_path: Path, capsys) -> None:
    path = write_table(pd.DataFrame({"text": ["x"]}), tmp_path / "in.csv")
    code, _, err = run(
        capsys, "predict", "--model", str(tmp_path), "--input", str(path), "--output", str(tmp_path / "o.csv")
    )
    assert code == 2 and "not a model bundle" in err


def test_tampered_bundle_is_refused(tmp_path: Path, bundle_dir: Path, capsys) -> None:
    shutil.copytree(bundle_dir, tmp_path / "m")
    (tmp_path / "m" / "bundle.joblib").write_bytes(b"not a pickle")
    path = write_table(pd.DataFrame({"text": ["x"]}), tmp_path / "in.csv")
    code, _, err = run(
        capsys, "predict", "--model", str(tmp_path / "m"), "--input", str(path), "--output", str(tmp_path / "o.csv")
    )
    assert code == 2 and "SHA-256 differs" in err


def test_bad_option_values_are_explained(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo-data", "--n", "many", "--out", "x.csv"])
    assert exit_info.value.code == 2
    assert "expected a whole number, got 'many'" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    hotline = Path(sys.executable).parent / "hotline"
    result = subprocess.run([str(hotline), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "demo-data" in result.stdout


def test_a_path_the_system_refuses_is_one_line_saying_which_and_why(tmp_path: Path, bundle_dir: Path, capsys) -> None:
    path = write_table(pd.DataFrame({"text": ["楼上太吵"]}), tmp_path / "in.csv")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    code, _, err = _predict(capsys, bundle_dir, path, blocker / "sub" / "o.csv", "--quiet")
    assert code == 2 and err.startswith(f"hotline: error: {blocker}") and "check the path" in err
    assert "Traceback" not in err


def test_promote_compares_then_copies_and_says_how_to_reload(
    tmp_path: Path, bundle_dir: Path, unseen: pd.DataFrame, capsys
) -> None:
    path = write_table(unseen, tmp_path / "labelled.csv")
    target = tmp_path / "serving"
    code, out, err = run(capsys, "promote", "--model", str(bundle_dir), "--to", str(target))
    assert code == 0, err
    code, out, err = run(capsys, "promote", "--model", str(target), "--to", str(target))
    assert code == 2 and "already the bundle" in err
    code, out, err = run(
        capsys, "promote", "--model", str(bundle_dir), "--to", str(target), "--against", str(path), "--tolerance", "0"
    )
    assert code == 0, err
    assert "department" in out and "macro-F1" in out and "(+0.0000)" in out
    assert "kept in" in out and "/v1/admin/reload" in out
    with pytest.raises(SystemExit) as stopped:
        run(capsys, "promote", "--model", str(bundle_dir), "--to", str(target), "--tolerance", "2")
    assert stopped.value.code == 2 and "expected a number from 0 to 1" in capsys.readouterr().err
