"""The demo knowledge base, built once per session (a few seconds)."""

from __future__ import annotations

import pytest

from demo.kb import DemoKb, demo_kb
from kb.entries import validate_entries
from kb.index import KbIndex, build_index


@pytest.fixture(scope="session")
def demo() -> DemoKb:
    return demo_kb(seed=0)


@pytest.fixture(scope="session")
def demo_index(demo: DemoKb) -> KbIndex:
    return build_index(validate_entries(demo.entries.drop(columns="topic")), calibration=demo.calibration)
