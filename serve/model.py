"""The bundle the service answers with, its atomic replacement, and how every worker follows it.

A worker reloads when asked (``POST /v1/admin/reload``, SIGHUP) and also on its own when the
bundle's sidecar changes on disk: before a prediction it compares the sidecar's identity
(inode, size, modification time: one ``stat``) with the one it last loaded. ``hotline promote``
and ``hotline train`` write the sidecar last, atomically, so a changed sidecar means a
complete new bundle. This is what makes a reload reach every worker of ``hotline serve
--workers N``: the worker that took the admin call reloads, and every other worker sees the
same sidecar before its next prediction and reloads too, before answering. So once a reload
(or a promote) has returned, no worker answers from the old model. A bundle that is refused
is tried once per sidecar identity; the old model keeps serving.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
from pathlib import Path

from nlp.bundle import SIDECAR, Bundle, load_bundle
from nlp.errors import BundleError
from nlp.predict import SMOKE_TICKETS, smoke_check
from serve.metrics import Metrics

__all__ = ["SMOKE_TICKETS", "ModelHolder"]

log = logging.getLogger("hotline.serve")

_Identity = tuple[int, int, int] | None


class ModelHolder:
    """Holds the current bundle; :meth:`reload` swaps in a validated new one.

    A request reads :attr:`bundle` once and uses that object to the end, so requests in
    flight finish on the old model while new ones get the new model.

    Parameters
    ----------
    model_dir : Path
        The bundle directory, read again on every reload.
    metrics : Metrics
        Where reloads are counted (``ok`` or ``refused``) and the loaded model is shown.
    """

    def __init__(self, model_dir: Path, metrics: Metrics) -> None:
        self.model_dir = model_dir
        self.metrics = metrics
        self.bundle: Bundle | None = None
        self.last_error: str | None = None
        self._tried: _Identity = None  # the sidecar identity of the last attempt, loaded or refused
        self._attempted = False
        self._reload_lock = threading.Lock()

    @staticmethod
    def validate(bundle: Bundle) -> None:
        """Predict the smoke tickets; raise BundleError if the bundle cannot answer (a refused
        bundle never serves: the old one keeps serving)."""
        smoke_check(bundle)

    def _identity(self) -> _Identity:
        try:
            stat = os.stat(self.model_dir / SIDECAR)
        except OSError:
            return None
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def stale(self) -> bool:
        """Whether the sidecar on disk is not the one last tried (one ``stat``: cheap enough per request)."""
        return not self._attempted or self._identity() != self._tried

    def reload(self) -> Bundle:
        """Load, validate and swap in the bundle at :attr:`model_dir`.

        Raises
        ------
        BundleError
            When the new bundle is refused, for whatever reason (a malformed sidecar too);
            the current one keeps serving.
        """
        with self._reload_lock:  # one reload at a time; predictions are never blocked
            return self._reload()

    def follow(self) -> None:
        """Reload if the sidecar changed since the last attempt; a refusal is logged and counted, not raised."""
        with self._reload_lock:
            if self.stale():  # another request may have reloaded while this one waited for the lock
                with contextlib.suppress(BundleError):  # logged and counted by _reload
                    self._reload()

    def _reload(self) -> Bundle:
        self._tried, self._attempted = self._identity(), True  # before loading: a change meanwhile is seen next time
        try:
            candidate = load_bundle(self.model_dir)
            self.validate(candidate)
        except BundleError as exc:
            self._refused(exc)
            raise
        except Exception as exc:  # a malformed sidecar can fail in any way: a refusal too, never a crash
            error = BundleError(
                f"{self.model_dir}: unusable bundle ({type(exc).__name__}: {exc}); retrain or restore it"
            )
            self._refused(error)
            raise error from exc
        previous = self.bundle
        self.bundle = candidate  # one reference assignment: atomic for readers
        self.last_error = None
        gc.freeze()  # the model's large vocabularies live long: keep them out of every full collection
        self.metrics.reloads.labels(outcome="ok").inc()
        self.metrics.set_model(candidate.bundle_id)
        log.info("model %s loaded (was %s)", candidate.bundle_id, previous.bundle_id if previous else "none")
        return candidate

    def _refused(self, error: BundleError) -> None:
        self.last_error = str(error)
        self.metrics.reloads.labels(outcome="refused").inc()
        log.error("reload refused, keeping %s: %s", self.bundle.bundle_id if self.bundle else "no model", error)
