from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import joblib
import pytest

from nlp.bundle import PAYLOAD, SIDECAR, Bundle, bundle_key, load_bundle, read_sidecar, save_bundle, sign_sidecar
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
        ({"producer": "someone-else"}, "expected producer .hotline-nlp., got .someone-else."),
        ({"schema": 99}, "expected schema 1, got 99"),
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


def _recompute_hash(directory: Path) -> None:
    """What an attacker who can write the folder but holds no key can do: make the checksum match again."""
    meta = json.loads((directory / SIDECAR).read_text(encoding="utf-8"))
    meta["payload"]["sha256"] = hashlib.sha256((directory / PAYLOAD).read_bytes()).hexdigest()
    (directory / SIDECAR).write_text(json.dumps(meta), encoding="utf-8")


class _RunsCode:
    """Unpickling this creates a marker file: code run by loading."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_a_payload_that_runs_code_never_runs(copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    joblib.dump({"department": _RunsCode(marker)}, copy / PAYLOAD)
    _recompute_hash(copy)
    with pytest.raises(BundleError, match="signature does not match"):
        load_bundle(copy)
    assert not marker.exists()


def test_the_marker_test_can_fail(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    joblib.dump(_RunsCode(marker), tmp_path / "x.joblib")
    joblib.load(tmp_path / "x.joblib")
    assert marker.exists()  # unpickling does run it: the test above would see it


def test_a_correctly_signed_bundle_loads_and_another_key_is_refused(copy: Path) -> None:
    assert load_bundle(copy).tasks
    with pytest.raises(BundleError, match="signature does not match"):
        load_bundle(copy, key=b"another key")


def test_a_sidecar_edited_without_the_key_is_refused(copy: Path) -> None:
    _edit_sidecar(copy, bundle_id="hotline-forged")
    with pytest.raises(BundleError, match="signature does not match"):
        read_sidecar(copy)
    sign_sidecar(copy)  # the owner of the key may
    assert read_sidecar(copy)["bundle_id"] == "hotline-forged"


def test_unsigned_bundles_are_refused_unless_allowed(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meta = json.loads((copy / SIDECAR).read_text(encoding="utf-8"))
    del meta["signature"]
    (copy / SIDECAR).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BundleError, match=r"not signed.*HOTLINE_ALLOW_UNSIGNED_BUNDLES=1"):
        load_bundle(copy)
    assert load_bundle(copy, allow_unsigned=True).tasks
    monkeypatch.setenv("HOTLINE_ALLOW_UNSIGNED_BUNDLES", "1")
    assert load_bundle(copy).tasks


def test_without_a_key_loading_is_refused_and_saving_creates_one(
    bundle: Bundle, copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_BUNDLE_KEY")
    key_file = tmp_path / "keys" / "bundle.key"
    monkeypatch.setenv("HOTLINE_BUNDLE_KEY_FILE", str(key_file))
    with pytest.raises(BundleError, match="no key to verify"):
        load_bundle(copy)
    save_bundle(Bundle(pipelines=bundle.pipelines, meta=dict(bundle.meta)), tmp_path / "mine")
    assert key_file.stat().st_mode & 0o777 == 0o600 and bundle_key() == key_file.read_text().strip().encode()
    assert load_bundle(tmp_path / "mine").tasks
    with pytest.raises(BundleError, match="signature does not match"):
        load_bundle(copy)  # signed with the tests' key, not this one


@pytest.mark.parametrize("name", ["../outside.joblib", "/tmp/outside.joblib", "sub/../../outside.joblib", ".."])
def test_a_payload_outside_the_bundle_folder_is_refused(copy: Path, name: str) -> None:
    shutil.copyfile(copy / PAYLOAD, copy.parent / "outside.joblib")
    meta = json.loads((copy / SIDECAR).read_text(encoding="utf-8"))
    meta["payload"]["file"] = name
    (copy / SIDECAR).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BundleError, match="outside the bundle folder"):
        load_bundle(copy)


def test_a_payload_linked_from_outside_is_refused(copy: Path) -> None:
    shutil.copyfile(copy / PAYLOAD, copy.parent / "outside.joblib")
    (copy / PAYLOAD).unlink()
    (copy / PAYLOAD).symlink_to(copy.parent / "outside.joblib")
    with pytest.raises(BundleError, match="outside the bundle folder"):
        load_bundle(copy)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"payload": None}, "expected 'payload' to be an object"),
        ({"payload": "x"}, "expected 'payload' to be an object"),
        ({"payload": {"file": 3, "sha256": "ab"}}, "expected payload.file to be a non-empty string, got 3"),
        ({"payload": {"file": "bundle.joblib"}}, "expected payload.sha256"),
        ({"versions": None}, "expected 'versions' to be an object, got None"),
        ({"tasks": []}, "expected 'tasks' to be an object"),
    ],
)
def test_malformed_sidecars_are_refused_with_a_bundle_error(
    copy: Path, changes: dict[str, object], message: str
) -> None:
    _edit_sidecar(copy, **changes)
    with pytest.raises(BundleError, match=message):
        load_bundle(copy)


def test_a_sidecar_without_payload_is_refused(copy: Path) -> None:
    meta = json.loads((copy / SIDECAR).read_text(encoding="utf-8"))
    del meta["payload"]
    (copy / SIDECAR).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BundleError, match="expected 'payload' to be an object with 'file' and 'sha256', got None"):
        load_bundle(copy)
