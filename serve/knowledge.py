"""The knowledge-base index the service suggests from: a :class:`~serve.holder.SidecarHolder` of the index.

It is configured like the model (``HOTLINE_KB_INDEX``, ``hotline serve --kb-index DIR``), loaded
and verified at start-up through :func:`kb.index.load_index` (signature and payload hash before
unpickling), and reloaded with the model: on ``POST /v1/admin/reload``, on SIGHUP, and in every
worker before its next suggestion once ``hotline kb build`` has written a new sidecar.
"""

from __future__ import annotations

from typing import Any

from kb.index import SIDECAR, KbIndex, load_index
from serve.holder import SidecarHolder

__all__ = ["SMOKE_QUERY", "KbHolder", "index_info", "kb_version"]

# Asked of every candidate index before it serves: it must rank without failing (this also builds
# its postings, so that the first caller does not wait for them).
SMOKE_QUERY = "请问社保卡丢了怎么补办？"


def kb_version(meta: dict[str, Any]) -> str:
    """The index's version as responses and metrics show it: ``kb-`` and the payload's SHA-256 prefix.

    A rebuild from changed entries changes the payload, so the version; the same entries give
    the same version.
    """
    return f"kb-{str(meta['payload']['sha256'])[:12]}"


def index_info(index: KbIndex) -> dict[str, Any]:
    """What a suggestion response says about the index it came from (from the verified sidecar)."""
    return {
        "version": kb_version(index.meta),
        "sha256": index.meta["payload"]["sha256"],
        "entries": len(index),
        "source": index.source,
    }


class KbHolder(SidecarHolder[KbIndex]):
    """Holds the current knowledge-base index (:attr:`current`); :meth:`reload` swaps in a verified new one.

    Parameters
    ----------
    directory : Path
        The index directory (``hotline kb build --out``), read again on every reload.
    metrics : Metrics
        Where reloads are counted (``ok`` or ``refused``) and the loaded index is shown.
    """

    sidecar = SIDECAR
    what = "knowledge base"
    remedy = "build it again with 'hotline kb build'"

    def load(self) -> KbIndex:
        candidate = load_index(self.directory)
        candidate.rank(SMOKE_QUERY)
        return candidate

    def version(self, item: KbIndex) -> str:
        return kb_version(item.meta)

    def counted(self, outcome: str, item: KbIndex | None) -> None:
        self.metrics.kb_reloads.labels(outcome=outcome).inc()
        if item is not None:
            self.metrics.set_kb_index(kb_version(item.meta))
