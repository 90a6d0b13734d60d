from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

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


def test_a_request_while_its_worker_loads_a_changed_sidecar_waits_for_it(serving: Path) -> None:
    holder = ModelHolder(serving, Metrics())
    holder.reload()
    _retag(serving, bundle_id="hotline-next")
    loading, release = threading.Event(), threading.Event()
    load = holder.load

    def slow_load() -> Any:
        loading.set()
        release.wait(30)
        return load()

    holder.load = slow_load  # type: ignore[method-assign]
    first = threading.Thread(target=holder.follow)  # a request that saw the change first
    first.start()
    assert loading.wait(30)
    assert holder.stale()  # still stale while it loads: the next request follows too, so it waits
    answered: list[str] = []

    def request() -> None:
        holder.follow()
        answered.append(holder.current.bundle_id if holder.current else "")

    second = threading.Thread(target=request)
    second.start()
    time.sleep(0.2)
    assert answered == []  # waiting for the load, not answering from the old model
    release.set()
    first.join(30)
    second.join(30)
    assert answered == ["hotline-next"] and not holder.stale()


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
