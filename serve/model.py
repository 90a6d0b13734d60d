"""The bundle the service answers with, and its atomic replacement."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from nlp.bundle import Bundle, load_bundle
from nlp.errors import BundleError
from nlp.predict import SMOKE_TICKETS, smoke_check

__all__ = ["SMOKE_TICKETS", "ModelHolder"]

log = logging.getLogger("hotline.serve")


class ModelHolder:
    """Holds the current bundle; :meth:`reload` swaps in a validated new one.

    A request reads :attr:`bundle` once and uses that object to the end, so requests in
    flight finish on the old model while new ones get the new model.
    """

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self.bundle: Bundle | None = None
        self.last_error: str | None = None
        self._reload_lock = threading.Lock()

    @staticmethod
    def validate(bundle: Bundle) -> None:
        """Predict the smoke tickets; raise BundleError if the bundle cannot answer (a refused
        bundle never serves: the old one keeps serving)."""
        smoke_check(bundle)

    def reload(self) -> Bundle:
        """Load, validate and swap in the bundle at :attr:`model_dir`.

        Raises
        ------
        BundleError
            When the new bundle is refused; the current one keeps serving.
        """
        with self._reload_lock:  # one reload at a time; predictions are never blocked
            try:
                candidate = load_bundle(self.model_dir)
                self.validate(candidate)
            except BundleError as exc:
                self.last_error = str(exc)
                log.error("reload refused, keeping %s: %s", self.bundle.bundle_id if self.bundle else "no model", exc)
                raise
            previous = self.bundle
            self.bundle = candidate  # one reference assignment: atomic for readers
            self.last_error = None
            log.info("model %s loaded (was %s)", candidate.bundle_id, previous.bundle_id if previous else "none")
            return candidate
