"""Digests served from the ticket store, built on first request and cached until the store changes.

A digest is built in a separate process at lower CPU priority: mining a week of a city's
tickets takes tens of seconds and gigabytes, and the service's first job is answering the
routing service quickly. The building process exits after each digest, so its memory goes
back to the system. Week summaries are shared with ``hotline digest --store`` through the
store's week cache (:mod:`trends.summary`): after the weekly job has run, a request only reads them.

A request waits a few seconds for a build; a build that takes longer (a week nobody mined yet:
up to a minute at a city's volume) goes on in the background and the request is told to come
back (:class:`DigestPending`, answered 202 with ``Retry-After``), so no HTTP client or proxy
times out on it. The finished digest is kept whether or not anyone is still waiting.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from nlp.bundle import Bundle
from trends.digest import empty_week, parse_week, week_label
from trends.schema import Digest
from trends.store import TicketStore

__all__ = ["DigestCache", "DigestFailed", "DigestPending"]

NICENESS = 10  # below the serving processes: predictions keep the CPU while a digest is built
RETRY_AFTER_SECONDS = 10  # what a pending answer asks the client to wait before asking again


class DigestFailed(RuntimeError):
    """The building process died (out of memory, killed): nothing about the request was wrong."""


class DigestPending(RuntimeError):
    """The digest is being built and was not ready within the request's wait; ask again later."""

    def __init__(self, week: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(f"the digest of {week} is being built; ask again in {retry_after} seconds")
        self.week = week
        self.retry_after = retry_after


def _lower_priority() -> None:
    os.nice(NICENESS)


def _build(store: str, week: str, bundle: Bundle | None) -> Digest:
    """Runs in the building process."""
    from nlp.tokenize import default_tokenizer
    from trends.digest import DigestParams, build_digest
    from trends.summary import SummaryCache, mining_identity

    tickets = TicketStore(store)
    tokenizer = default_tokenizer()
    params = DigestParams()
    weeks = SummaryCache(tickets.summary_folder, mining_identity(tokenizer, params.topics))
    return build_digest(tickets, week, tokenizer, params=params, bundle=bundle, cache=weeks)


class DigestCache:
    """Build a week's digest once per store version (the file's modification time) and model.

    Concurrent requests for the same digest wait for one build.
    """

    def __init__(self, store: Path, *, capacity: int = 32) -> None:
        self.store = TicketStore(store)
        self.capacity = capacity
        self._cache: dict[tuple[str, float, str], Digest] = {}
        self._building: dict[tuple[str, float, str], Future[Digest]] = {}
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the service has threads (log writer, event loop) a fork would copy mid-flight.
            self._pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
                max_tasks_per_child=1,  # a fresh process per digest: its memory is returned afterwards
            )
        return self._pool

    def get(self, week: str, bundle: Bundle | None, *, wait: float | None = None) -> Digest:
        """The digest of ``week``, built if needed.

        Parameters
        ----------
        week : str
            ISO week, ``2022-W13``.
        bundle : Bundle or None
            The model whose predictions the digest uses.
        wait : float or None
            Seconds to wait for a build; None waits until it is done.

        Raises
        ------
        InputError
            A malformed week, or a week without tickets.
        DigestPending
            The build did not finish within ``wait``; it goes on, and a later call returns it.
        DigestFailed
            The building process died; the next call starts a new one.
        """
        monday = parse_week(week)  # raises InputError on a malformed week
        label = week_label(monday)
        since = datetime.combine(monday, datetime.min.time())
        if self.store.content_key(since, since + timedelta(weeks=1)) is None:
            raise empty_week(label)  # answered here: no building process for a week with nothing in it
        version = self.store.path.stat().st_mtime if self.store.path.exists() else 0.0
        key = (label, version, bundle.bundle_id if bundle else "")
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            future = self._building.get(key)
            if future is None:
                future = self._building[key] = self._executor().submit(_build, str(self.store.path), label, bundle)
                future.add_done_callback(partial(self._keep, key))
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            raise DigestPending(label) from None
        except BrokenProcessPool as exc:
            with self._lock:
                self._forget(key, future)
            self.close()  # the next request starts a new building process
            raise DigestFailed(
                f"building the digest of {label} failed ({exc}); retry, or check the server's memory"
            ) from exc
        except BaseException:
            with self._lock:  # a failed build is reported once; the next request starts another
                self._forget(key, future)
            raise

    def _forget(self, key: tuple[str, float, str], future: Future[Digest]) -> None:
        """Drop ``future`` from the builds in progress unless a newer build took its place (lock held)."""
        if self._building.get(key) is future:
            del self._building[key]

    def _keep(self, key: tuple[str, float, str], future: Future[Digest]) -> None:
        """Keep a finished digest (called when the build ends, whether or not a request still waits)."""
        if future.cancelled() or future.exception() is not None:
            return  # stays in _building until a request reports the failure
        with self._lock:  # one step: a request sees the build or the digest, never neither
            self._forget(key, future)
            if len(self._cache) >= self.capacity:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = future.result()

    def close(self) -> None:
        """Stop the building process (at shutdown)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            # Wait for an idle pool (its queues and semaphores are then released cleanly); do not
            # hold a shutdown for a digest still being built.
            pool.shutdown(wait=not self._building, cancel_futures=True)
