"""Ticket-derived text shown as written in the digest's Markdown (e-mail and chat render it)."""

from __future__ import annotations

import html
import re

__all__ = ["markdown_text"]

# Characters that Markdown (or the HTML it may carry) would read as markup in ticket-derived text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#!])")


def markdown_text(text: str) -> str:
    """``text`` HTML-escaped with its Markdown punctuation backslashed, so a title's ``<script>``
    or ``[link](url)`` is shown, never rendered."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
