"""Shared fixtures: a small generated corpus and one bundle trained on it, the demo knowledge base and
its index (each once per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from demo.corpus import generate, write_corpus
from demo.kb import DemoKb, demo_kb
from kb.entries import validate_entries
from kb.index import KbIndex, build_index
from nlp.bundle import Bundle
from nlp.tables import write_table
from nlp.tickets import ColumnMap, read_tickets
from training.fit import TrainConfig
from training.train import train_bundle

SMALL = TrainConfig(folds=3)

# Bundles are signed and verified with this key in every test (and in the processes tests start),
# never with a developer's own key file; unsigned bundles are refused as in production.
os.environ["HOTLINE_BUNDLE_KEY"] = "hotline-nlp tests: not a secret"
os.environ.pop("HOTLINE_ALLOW_UNSIGNED_BUNDLES", None)


# The dispatch columns of the demo corpus; without them an export trains department groups.
ROUTING_COLUMNS = ["platform", "unit", "first_unit", "place_given"]


@pytest.fixture(scope="session")
def corpus_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export labelled with department groups (the routing columns dropped: their tests train their own)."""
    path, _side, frame = write_corpus(tmp_path_factory.mktemp("corpus") / "tickets.csv", n=2000, weeks=8, seed=11)
    write_table(frame.drop(columns=ROUTING_COLUMNS), path)
    return path


@pytest.fixture(scope="session")
def stream() -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Twelve weeks of demo tickets with four injected emerging topics."""
    return generate(n=6000, weeks=12, seed=0)


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


@pytest.fixture(scope="session")
def demo() -> DemoKb:
    """The demo knowledge base with its calibration and test queries."""
    return demo_kb(seed=0)


@pytest.fixture(scope="session")
def demo_index(demo: DemoKb) -> KbIndex:
    """The demo knowledge base's index, calibrated on its calibration queries (a few seconds)."""
    return build_index(validate_entries(demo.entries.drop(columns="topic")), calibration=demo.calibration)
