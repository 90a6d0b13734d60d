from __future__ import annotations

import pytest

from nlp.tokenize import Tokenizer, default_tokenizer


@pytest.fixture(scope="session")
def tokenizer() -> Tokenizer:
    return default_tokenizer()
