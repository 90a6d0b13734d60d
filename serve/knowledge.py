"""The indexes the service suggests from: a :class:`~serve.holder.SidecarHolder` per source.

The knowledge base (``HOTLINE_KB_INDEX``, ``hotline serve --kb-index DIR``) and, beside it,
past answered tickets (``HOTLINE_ANSWERED_INDEX``, ``--answered-index DIR``: ``hotline kb build
--answered-tickets``) are configured like the model, loaded and verified at start-up through
:func:`kb.index.load_index` (signature and payload hash before unpickling), and reloaded with
the model: on ``POST /v1/admin/reload``, on SIGHUP, and in every worker before its next
suggestion once ``hotline kb build`` has written a new sidecar. Each holder refuses an index
of the other source (a configuration mistake that would mix answers and tickets).
"""

from __future__ import annotations

from typing import Any, ClassVar

from kb.index import SIDECAR, KbIndex, load_index
from nlp.errors import BundleError
from serve.holder import SidecarHolder

__all__ = ["SMOKE_QUERY", "AnsweredHolder", "KbHolder", "index_info", "kb_version"]

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

    :class:`AnsweredHolder` holds the index of past answered tickets the same way.

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
    source: ClassVar[str] = "kb"  # the index source this holder serves (kb.index.SOURCES)

    def load(self) -> KbIndex:
        candidate = load_index(self.directory)
        if candidate.source != self.source:
            raise BundleError(
                f"{self.directory}: expected an index of source {self.source!r} for the {self.what}, "
                f"got {candidate.source!r}; {self.remedy}"
            )
        candidate.rank(SMOKE_QUERY)
        return candidate

    def version(self, item: KbIndex) -> str:
        return kb_version(item.meta)

    def counted(self, outcome: str, item: KbIndex | None) -> None:
        self.metrics.kb_reloads.labels(source=self.source, outcome=outcome).inc()
        if item is not None:
            self.metrics.set_kb_index(kb_version(item.meta), source=self.source)


class AnsweredHolder(KbHolder):
    """Holds the index of past answered tickets, suggested beside the knowledge base ("similar answered tickets")."""

    what = "answered-ticket index"
    remedy = "build it again with 'hotline kb build --answered-tickets'"
    source = "answered_ticket"
