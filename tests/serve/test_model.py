from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nlp.bundle import write_signed_sidecar
from nlp.errors import BundleError
from serve.metrics import Metrics
from serve.model import ModelHolder


def _retag(directory: Path, **changes: object) -> None:
    sidecar = directory / "bundle.json"
    meta = {**json.loads(sidecar.read_text(encoding="utf-8")), **changes}
    write_signed_sidecar(sidecar, meta)  # signed by the key's holder and renamed into place, as training writes it


@pytest.fixture
def serving(bundle_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(bundle_dir, tmp_path / "serving"))


def test_holders_sharing_a_bundle_follow_its_sidecar(serving: Path) -> None:
    """Two workers: one reloads, the other follows before its next prediction."""
    first, second = ModelHolder(serving, Metrics()), ModelHolder(serving, Metrics())
    first.reload(), second.reload()
    assert not second.stale()
    _retag(serving, bundle_id="hotline-next")
    assert first.reload().bundle_id == "hotline-next"
    assert second.stale()
    second.follow()
    assert second.current is not None and second.current.bundle_id == "hotline-next" and not second.stale()


def test_a_refused_sidecar_is_tried_once_and_the_old_model_kept(serving: Path) -> None:
    holder = ModelHolder(serving, Metrics())
    old = holder.reload()
    _retag(serving, versions=None)
    holder.follow()
    holder.follow()
    assert holder.current is old and not holder.stale() and "versions" in (holder.last_error or "")
    assert holder.metrics.registry.get_sample_value("hotline_model_reloads_total", {"outcome": "refused"}) == 1.0
    with pytest.raises(BundleError, match="versions"):
        holder.reload()  # asked explicitly, it says why


def test_nothing_on_disk_is_stale_until_tried(tmp_path: Path) -> None:
    holder = ModelHolder(tmp_path / "none", Metrics())
    assert holder.stale()
    holder.follow()
    assert holder.current is None and not holder.stale() and "no such model directory" in (holder.last_error or "")
