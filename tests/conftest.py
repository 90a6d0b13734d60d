"""Shared fixtures: a small generated corpus and one bundle trained on it (once per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from nlp.bundle import Bundle
from nlp.io import ColumnMap, read_tickets
from training.demo_corpus import generate, write_corpus
from training.fit import TrainConfig
from training.train import train_bundle

SMALL = TrainConfig(folds=3)

# Bundles are signed and verified with this key in every test (and in the processes tests start),
# never with a developer's own key file; unsigned bundles are refused as in production.
os.environ["HOTLINE_BUNDLE_KEY"] = "hotline-nlp tests: not a secret"
os.environ.pop("HOTLINE_ALLOW_UNSIGNED_BUNDLES", None)


@pytest.fixture(scope="session")
def corpus_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _side, _frame = write_corpus(tmp_path_factory.mktemp("corpus") / "tickets.csv", n=2000, weeks=8, seed=11)
    return path


@pytest.fixture(scope="session")
def unseen() -> pd.DataFrame:
    """Tickets from another seed: written from the same topics, never seen in training."""
    frame, _ = generate(n=600, weeks=2, seed=99)
    return frame


@pytest.fixture(scope="session")
def bundle_dir(corpus_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "model"
    train_bundle(read_tickets(corpus_path, ColumnMap.for_training()), out, config=SMALL, progress=False)
    return out


@pytest.fixture(scope="session")
def bundle(bundle_dir: Path) -> Bundle:
    from nlp.bundle import load_bundle

    return load_bundle(bundle_dir)
