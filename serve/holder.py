"""What the service answers with from a directory on disk, its atomic replacement, and how every worker follows it.

The model bundle (:mod:`serve.model`) and the knowledge-base index (:mod:`serve.knowledge`) are
both a payload and a signed sidecar written last, atomically (``hotline train``, ``hotline
promote``, ``hotline kb build``), so both are held the same way. A worker reloads when asked
(``POST /v1/admin/reload``, SIGHUP) and also on its own when the sidecar changes on disk: before
answering it compares the sidecar's identity (inode, size, modification time: one ``stat``) with
the one it last tried. This is what makes a reload reach every worker of ``hotline serve
--workers N``: the worker that took the admin call reloads, and every other worker sees the same
sidecar before its next answer and reloads too; a request that comes while its worker is loading
a changed sidecar waits for it. So once a reload has returned, no worker answers from the old
one. A candidate that is refused is tried once per sidecar identity; the old one keeps serving.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

from nlp.errors import BundleError
from serve.metrics import Metrics

__all__ = ["SidecarHolder"]

log = logging.getLogger("hotline.serve")

T = TypeVar("T")
_Identity = tuple[int, int, int] | None


class SidecarHolder(ABC, Generic[T]):
    """Holds what was last loaded from :attr:`directory`; :meth:`reload` swaps in a validated new one.

    A request reads :attr:`current` once and uses that object to the end, so requests in flight
    finish on the old one while new ones get the new one. Subclasses say how to load and check
    a candidate (:meth:`load`), name it (:meth:`version`) and count reloads (:meth:`counted`).

    Parameters
    ----------
    directory : Path
        Read again on every reload.
    metrics : Metrics
        Where reloads are counted and what is loaded is shown.
    """

    sidecar: ClassVar[str]  # the file written last: its identity says whether a new one is there
    what: ClassVar[str]  # for messages: "model", "knowledge base"
    remedy: ClassVar[str]  # what to do with an unusable one

    def __init__(self, directory: Path, metrics: Metrics) -> None:
        self.directory = directory
        self.metrics = metrics
        self.current: T | None = None
        self.last_error: str | None = None
        self._tried: _Identity = None  # the sidecar identity of the last attempt, loaded or refused
        self._attempted = False
        self._reload_lock = threading.Lock()

    @abstractmethod
    def load(self) -> T:
        """Load :attr:`directory` and check the result can answer; raise BundleError if not."""

    @abstractmethod
    def version(self, item: T) -> str:
        """How logs, metrics and responses name ``item``."""

    @abstractmethod
    def counted(self, outcome: str, item: T | None) -> None:
        """Count a reload (``ok`` or ``refused``); ``item`` is the one now loaded when ``ok``."""

    @property
    def current_version(self) -> str | None:
        return self.version(self.current) if self.current is not None else None

    def _identity(self) -> _Identity:
        try:
            stat = os.stat(self.directory / self.sidecar)
        except OSError:
            return None
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def stale(self) -> bool:
        """Whether the sidecar on disk is not the one last tried (one ``stat``: cheap enough per request)."""
        return not self._attempted or self._identity() != self._tried

    def reload(self) -> T:
        """Load, validate and swap in what is at :attr:`directory`.

        Raises
        ------
        BundleError
            When the candidate is refused, for whatever reason (a malformed sidecar too); the
            current one keeps serving.
        """
        with self._reload_lock:  # one reload at a time; only answers that must follow it wait for it
            return self._reload()

    def follow(self) -> None:
        """Reload if the sidecar changed since the last attempt; a refusal is logged and counted, not raised."""
        with self._reload_lock:
            if self.stale():  # another request may have reloaded while this one waited for the lock
                with contextlib.suppress(BundleError):  # logged and counted by _reload
                    self._reload()

    def _reload(self) -> T:
        # The identity is read before loading, so that a change meanwhile is seen next time, and
        # recorded only once the attempt is over: until then the sidecar stays stale, and a
        # request that comes in meanwhile waits for the new one (follow) instead of answering
        # from the old one after another request had started loading.
        identity = self._identity()
        try:
            candidate = self.load()
        except BundleError as exc:
            self._tried, self._attempted = identity, True
            self._refused(exc)
            raise
        except Exception as exc:  # a malformed sidecar can fail in any way: a refusal too, never a crash
            self._tried, self._attempted = identity, True
            error = BundleError(f"{self.directory}: unusable {self.what} ({type(exc).__name__}: {exc}); {self.remedy}")
            self._refused(error)
            raise error from exc
        previous = self.current_version
        self.current = candidate  # one reference assignment: atomic for readers
        self._tried, self._attempted = identity, True  # after the swap: no request sees it fresh and old
        self.last_error = None
        gc.freeze()  # vocabularies and postings live long: keep them out of every full collection
        self.counted("ok", candidate)
        log.info("%s %s loaded (was %s)", self.what, self.version(candidate), previous or "none")
        return candidate

    def _refused(self, error: BundleError) -> None:
        self.last_error = str(error)
        self.counted("refused", None)
        log.error("%s reload refused, keeping %s: %s", self.what, self.current_version or "none", error)
