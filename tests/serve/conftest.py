from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb.index import KbIndex, save_index
from serve.app import create_app
from serve.settings import Settings

ADMIN = {"Authorization": "Bearer admin-secret"}


@pytest.fixture
def settings(bundle_dir: Path, tmp_path: Path) -> Settings:
    return Settings(
        model_dir=bundle_dir, prediction_log=tmp_path / "predictions.sqlite3", admin_token="admin-secret", max_batch=50
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def kb_index_dir(demo_index: KbIndex, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo knowledge base's index as ``hotline kb build`` writes it (signed with the tests' key)."""
    return save_index(demo_index, tmp_path_factory.mktemp("kb") / "index")
