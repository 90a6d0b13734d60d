from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nlp.bundle import PAYLOAD, SIDECAR, Bundle, load_bundle, read_sidecar, save_bundle
from nlp.errors import BundleError
from nlp.predict import predict


@pytest.fixture
def copy(bundle_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bundle_dir, target)
    return target


def _edit_sidecar(directory: Path, **changes: object) -> None:
    meta = json.loads((directory / SIDECAR).read_text(encoding="utf-8"))
    meta.update(changes)
    (directory / SIDECAR).write_text(json.dumps(meta), encoding="utf-8")


def test_sidecar_describes_the_bundle(bundle: Bundle) -> None:
    meta = bundle.meta
    for key in ("bundle_id", "schema", "created_at", "git_commit", "data", "params", "tasks", "versions", "tokenizer"):
        assert key in meta
    assert meta["data"]["rows"] > 0 and len(meta["data"]["sha256"]) == 64
    assert set(meta["tasks"]) == {"consultation", "covid", "department"}
    assert 0 < meta["tasks"]["department"]["route_threshold"] <= 1
    assert "macro_f1" in meta["tasks"]["department"]["metrics"]


def test_round_trip_predicts_the_same(bundle: Bundle, tmp_path: Path) -> None:
    save_bundle(Bundle(pipelines=bundle.pipelines, meta=dict(bundle.meta)), tmp_path / "again")
    again = load_bundle(tmp_path / "again")
    texts = ["苏康码变黄码了", "公司拖欠工资三个月"]
    assert predict(again, texts).equals(predict(bundle, texts))
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == sorted([SIDECAR, PAYLOAD])


def test_pipelines_share_one_feature_step(bundle: Bundle) -> None:
    steps = {id(p.steps[0][1]) for p in bundle.pipelines.values()}
    assert len(steps) == 1


def test_refuses_a_directory_without_sidecar(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not a model bundle"):
        load_bundle(tmp_path)
    with pytest.raises(BundleError, match="no such model directory"):
        load_bundle(tmp_path / "missing")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"producer": "someone-else"}, "expected a bundle written by hotline-nlp"),
        ({"schema": 99}, "expected bundle schema 1, got 99"),
        ({"versions": {"scikit-learn": "0.24.2"}}, "trained with scikit-learn 0.24.2"),
    ],
)
def test_refuses_foreign_or_incompatible_sidecars(copy: Path, changes: dict[str, object], message: str) -> None:
    _edit_sidecar(copy, **changes)
    with pytest.raises(BundleError, match=message):
        read_sidecar(copy)


def test_refuses_a_changed_payload_before_unpickling(copy: Path) -> None:
    with open(copy / PAYLOAD, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(BundleError, match="SHA-256 differs"):
        load_bundle(copy)


def test_refuses_an_unreadable_sidecar(copy: Path) -> None:
    (copy / SIDECAR).write_text("{not json", encoding="utf-8")
    with pytest.raises(BundleError, match="unreadable sidecar"):
        load_bundle(copy)


def test_save_into_a_file_path_is_refused(bundle: Bundle, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(BundleError, match="expected a directory"):
        save_bundle(bundle, tmp_path / "file")
