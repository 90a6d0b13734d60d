from __future__ import annotations

import pandas as pd
import pytest

from demo.corpus import generate
from nlp.tokenize import Tokenizer, default_tokenizer


@pytest.fixture(scope="session")
def stream() -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Twelve weeks of demo tickets with four injected emerging topics."""
    return generate(n=6000, weeks=12, seed=0)


@pytest.fixture(scope="session")
def tokenizer() -> Tokenizer:
    return default_tokenizer()
