"""Errors that reach users: each says what was wrong, where, and what to do."""

from __future__ import annotations

__all__ = ["BundleError", "HotlineError", "InputError"]


class HotlineError(Exception):
    """An error caused by the user's input or environment, shown without a traceback."""


class InputError(HotlineError, ValueError):
    """A ticket file, column or value that cannot be used."""


class BundleError(HotlineError):
    """A model directory that is missing, incomplete, foreign or incompatible."""
