"""Word lists shipped with the package (read on demand, never at import)."""

from __future__ import annotations

from importlib import resources

__all__ = ["load_words"]


def load_words(name: str) -> tuple[str, ...]:
    """Return the words of a shipped list (``"user_words"`` or ``"stop_words"``).

    Blank lines and lines starting with ``#`` are skipped; order is kept, duplicates dropped.
    """
    path = resources.files(__package__).joinpath(f"{name}.txt")
    if not path.is_file():
        raise ValueError(f"expected a shipped word list such as 'user_words', got {name!r}")
    lines = path.read_text(encoding="utf-8").splitlines()
    words = (line.strip() for line in lines)
    return tuple(dict.fromkeys(w for w in words if w and not w.startswith("#")))
