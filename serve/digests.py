"""Digests served from the ticket store, built on first request and cached until the store changes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from nlp.bundle import Bundle
from nlp.tokenize import default_tokenizer
from trends.digest import DigestParams, build_digest, parse_week, week_label
from trends.store import TicketStore
from trends.summary import SummaryCache, mining_identity

__all__ = ["DigestCache"]


class DigestCache:
    """Build a week's digest once per store version (the file's modification time) and model."""

    def __init__(self, store: Path, *, capacity: int = 32) -> None:
        self.store = TicketStore(store)
        self.capacity = capacity
        self._cache: dict[tuple[str, float, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, week: str, bundle: Bundle | None) -> dict[str, Any]:
        label = week_label(parse_week(week))  # raises InputError on a malformed week
        version = self.store.path.stat().st_mtime if self.store.path.exists() else 0.0
        key = (label, version, bundle.bundle_id if bundle else "")
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        tokenizer = default_tokenizer()
        params = DigestParams()
        # Week summaries are shared with `hotline digest --store`: a week mined by either is reused.
        weeks = SummaryCache(self.store.summary_folder, mining_identity(tokenizer, params.topics))
        digest = build_digest(self.store, label, tokenizer, params=params, bundle=bundle, cache=weeks)
        with self._lock:
            if len(self._cache) >= self.capacity:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = digest
        return digest
