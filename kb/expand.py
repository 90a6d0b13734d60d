"""Query expansion: the official terms that a caller's colloquial words stand for.

Callers say 驾照, 电瓶车 and 丢了 where the knowledge base says 驾驶证, 电动自行车 and 遗失.
The shipped list ``kb/lexicon/colloquial.txt`` maps colloquial words to official terms; a
query is scored with the official terms added (its own words stay). Matching is leftmost and
longest first, without overlaps, so 不是苏州户口 is read as a whole and not as 苏州户口.
"""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["Expander", "load_expansions"]


def load_expansions(name: str = "colloquial") -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``(colloquial, official terms)`` pairs of a shipped list."""
    path = resources.files("kb").joinpath("lexicon", f"{name}.txt")
    if not path.is_file():
        raise ValueError(f"expected a shipped list such as 'colloquial', got {name!r}")
    pairs: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        official, sep, colloquial = line.partition("=")
        if not sep or not official.split() or not colloquial.split():
            raise ValueError(f"{path}: line {number}: expected 'official = colloquial ...', got {line!r}")
        for word in colloquial.split():
            pairs[word] = tuple(dict.fromkeys(pairs.get(word, ()) + tuple(official.split())))
    return tuple(pairs.items())


class Expander:
    """Add the official terms of the colloquial words found in a text.

    Parameters
    ----------
    pairs : sequence of (str, tuple of str)
        Colloquial word and the official terms it stands for (:func:`load_expansions`).
    """

    def __init__(self, pairs: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        self.pairs = pairs

    def _pattern(self) -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
        cached = self.__dict__.get("_compiled")
        if cached is None:
            words = sorted((w for w, _ in self.pairs), key=len, reverse=True)
            pattern = re.compile("|".join(map(re.escape, words))) if words else re.compile("(?!)")
            cached = self._compiled = (pattern, dict(self.pairs))
        return cached

    def terms(self, text: str) -> list[str]:
        """The official terms for ``text``'s colloquial words, in order of appearance, each once."""
        pattern, official = self._pattern()
        found = [term for match in pattern.finditer(text) for term in official[match.group()]]
        return list(dict.fromkeys(found))

    def __call__(self, text: str) -> str:
        """``text`` followed by the official terms of its colloquial words."""
        terms = self.terms(text)
        return f"{text} {' '.join(terms)}" if terms else text

    def __getstate__(self) -> dict[str, object]:
        return {"pairs": self.pairs}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.pairs = state["pairs"]  # type: ignore[assignment]
