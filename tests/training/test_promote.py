from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from demo.corpus import generate
from nlp.bundle import load_bundle, read_sidecar
from nlp.errors import BundleError
from nlp.tables import write_table
from nlp.tickets import ColumnMap, read_tickets
from training.fit import TrainConfig
from training.promote import PromoteRefused, promote
from training.train import train_bundle


@pytest.fixture(scope="module")
def worse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle trained on shuffled department labels: it routes at random."""
    frame, _ = generate(n=700, weeks=2, seed=5)
    frame["department"] = np.random.default_rng(0).permutation(frame["department"].to_numpy())
    path = write_table(frame[["id", "title", "text", "department"]], tmp_path_factory.mktemp("worse") / "t.csv")
    out = tmp_path_factory.mktemp("worse") / "model"
    train_bundle(read_tickets(path, ColumnMap.for_training()), out, config=TrainConfig(folds=3), progress=False)
    return out


@pytest.fixture
def serving(tmp_path: Path, bundle_dir: Path) -> Path:
    target = tmp_path / "serving"
    shutil.copytree(bundle_dir, target)
    return target


def test_a_first_promotion_copies_a_bundle_that_loads(tmp_path: Path, bundle_dir: Path) -> None:
    result = promote(bundle_dir, tmp_path / "models" / "current")
    assert result.replaced_id is None and result.previous_dir is None
    assert (
        load_bundle(tmp_path / "models" / "current").bundle_id
        == result.candidate_id
        == read_sidecar(bundle_dir)["bundle_id"]
    )
    assert not list((tmp_path / "models").glob(".*staging*"))  # the staging folder is gone


def test_a_worse_candidate_is_refused_and_nothing_changes(serving: Path, worse_dir: Path, unseen: pd.DataFrame) -> None:
    before = (serving / "bundle.joblib").read_bytes()
    with pytest.raises(PromoteRefused, match=r"department macro-F1 0\.\d+ -> 0\.\d+.*nothing was changed"):
        promote(worse_dir, serving, labelled=unseen)
    assert (serving / "bundle.joblib").read_bytes() == before
    assert not serving.with_name("serving.previous").exists()


def test_force_promotes_it_and_the_previous_bundle_rolls_back(
    serving: Path, worse_dir: Path, bundle_dir: Path, unseen: pd.DataFrame
) -> None:
    good = read_sidecar(serving)["bundle_id"]
    result = promote(worse_dir, serving, labelled=unseen, force=True)
    (department,) = [c for c in result.comparisons if c.task == "department"]
    assert department.candidate < department.current - 0.3  # shuffled labels: far worse
    assert read_sidecar(serving)["bundle_id"] == result.candidate_id != good
    assert result.previous_dir is not None and read_sidecar(result.previous_dir)["bundle_id"] == good
    back = promote(result.previous_dir, serving)  # rolling back swaps the two
    assert back.candidate_id == good and read_sidecar(serving)["bundle_id"] == good
    assert read_sidecar(result.previous_dir)["bundle_id"] == result.candidate_id


def test_an_equal_candidate_passes_the_gate(
    serving: Path, bundle_dir: Path, unseen: pd.DataFrame, tmp_path: Path
) -> None:
    same = shutil.copytree(bundle_dir, tmp_path / "same")
    result = promote(same, serving, labelled=unseen)
    assert result.comparisons and all(c.change == 0 for c in result.comparisons)


def test_a_broken_candidate_never_reaches_the_target(serving: Path, tmp_path: Path, bundle_dir: Path) -> None:
    broken = shutil.copytree(bundle_dir, tmp_path / "broken")
    (broken / "bundle.joblib").write_bytes(b"not a bundle")
    before = (serving / "bundle.joblib").read_bytes()
    with pytest.raises(BundleError, match="SHA-256 differs"):
        promote(broken, serving)
    assert (serving / "bundle.joblib").read_bytes() == before


def test_a_broken_serving_bundle_is_replaced_only_with_force(serving: Path, bundle_dir: Path) -> None:
    (serving / "bundle.joblib").write_bytes(b"damaged")
    with pytest.raises(PromoteRefused, match=r"cannot be loaded.*--force replaces it"):
        promote(bundle_dir, serving)
    result = promote(bundle_dir, serving, force=True)
    assert result.replaced_id is None and result.previous_dir is None
    assert load_bundle(serving).bundle_id == result.candidate_id
