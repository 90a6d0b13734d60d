"""Seed terms of analysts' flags: the rule half of a flag (see ``training/flags.py``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from nlp.text import normalize

__all__ = ["seed_hits"]


def seed_hits(seeds: Sequence[str], titles: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """True for each ticket whose normalised title or body contains one of ``seeds``.

    Seeds are matched as normalised substrings (case and full-width folded), so 停水 matches
    "小区停水了" whatever the segmenter makes of it.
    """
    if len(titles) != len(texts):
        raise ValueError(f"expected as many titles as texts, got {len(titles)} and {len(texts)}")
    terms = [normalize(s) for s in seeds if normalize(s)]
    if not terms:
        return np.zeros(len(texts), dtype=bool)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    return np.fromiter(
        (pattern.search(normalize(f"{title} {text}")) is not None for title, text in zip(titles, texts, strict=True)),
        dtype=bool,
        count=len(texts),
    )
