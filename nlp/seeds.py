"""Seed terms: the rule half of analysts' flags and of the COVID lexicon (see ``training/flags.py``).

Seeds are matched as normalised substrings (case and full-width folded) of the normalised
title and body, so 停水 matches "小区停水了" whatever the segmenter makes of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from nlp.text import normalize, normalize_many

__all__ = ["seed_documents", "seed_hits", "seed_pattern"]


def seed_pattern(seeds: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for ``seeds`` (normalised, longest first, so that a substitution takes whole terms); None if empty."""
    return _pattern(tuple(seeds))


@lru_cache(maxsize=64)
def _pattern(seeds: tuple[str, ...]) -> re.Pattern[str] | None:
    # Remembered: every prediction of a task with seeds needs it, and building it normalises every seed.
    terms = [t for t in (normalize(s) for s in seeds) if t]
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))


def seed_documents(titles: Sequence[str], texts: Sequence[str]) -> list[str]:
    """The normalised ``title body`` each ticket's seeds are looked for in."""
    if len(titles) != len(texts):
        raise ValueError(f"expected as many titles as texts, got {len(titles)} and {len(texts)}")
    return normalize_many([f"{title} {text}" for title, text in zip(titles, texts, strict=True)])


def seed_hits(
    seeds: Sequence[str], titles: Sequence[str], texts: Sequence[str], *, documents: Sequence[str] | None = None
) -> np.ndarray:
    """True for each ticket whose normalised title or body contains one of ``seeds``.

    ``documents`` (from :func:`seed_documents`) saves normalising the tickets again when
    several seed lists are matched against the same tickets.
    """
    documents = seed_documents(titles, texts) if documents is None else documents
    pattern = seed_pattern(seeds)
    if pattern is None:
        return np.zeros(len(documents), dtype=bool)
    return np.fromiter((pattern.search(d) is not None for d in documents), dtype=bool, count=len(documents))
