"""The bundle the service answers with: a :class:`~serve.holder.SidecarHolder` of the model.

How a reload reaches every worker (the sidecar check before each prediction) is in
:mod:`serve.holder`; ``hotline promote`` and ``hotline train`` write the sidecar last,
atomically, so a changed sidecar means a complete new bundle.
"""

from __future__ import annotations

from nlp.bundle import SIDECAR, Bundle, load_bundle
from nlp.predict import SMOKE_TICKETS, smoke_check
from serve.holder import SidecarHolder

__all__ = ["SMOKE_TICKETS", "ModelHolder"]


class ModelHolder(SidecarHolder[Bundle]):
    """Holds the current bundle (:attr:`current`); :meth:`reload` swaps in one that passed a smoke prediction.

    Parameters
    ----------
    directory : Path
        The bundle directory, read again on every reload.
    metrics : Metrics
        Where reloads are counted (``ok`` or ``refused``) and the loaded model is shown.
    """

    sidecar = SIDECAR
    what = "model"
    remedy = "retrain or restore it"

    @staticmethod
    def validate(bundle: Bundle) -> None:
        """Predict the smoke tickets; raise BundleError if the bundle cannot answer (a refused
        bundle never serves: the old one keeps serving)."""
        smoke_check(bundle)

    def load(self) -> Bundle:
        candidate = load_bundle(self.directory)
        self.validate(candidate)
        return candidate

    def version(self, item: Bundle) -> str:
        return item.bundle_id

    def counted(self, outcome: str, item: Bundle | None) -> None:
        self.metrics.reloads.labels(outcome=outcome).inc()
        if item is not None:
            self.metrics.set_model(item.bundle_id)
