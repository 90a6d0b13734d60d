"""What a digest keeps of one week: its topics and its tickets as hashed term vectors.

A week's summary depends on that week's tickets only (no look-ahead), so once built it can
be cached: a weekly digest then mines only the new week and reads the earlier weeks'
summaries (:class:`SummaryCache`). The term vectors count each ticket's tokens in a fixed
hashed space of ``N_FEATURES`` columns, so weeks summarised apart can still be put in one
TF-IDF space (see ``History`` in :mod:`trends.digest`).

A cache entry is keyed by the week's content (a hash of its tickets, computed by the ticket
source) and by how it was mined (:func:`mining_identity`): a late ticket re-ingested into an
old week, other topic parameters or another tokenizer make a new entry; stale entries of the
same week are removed when the new one is written.

Two digests that need the same unmined week at once (the Monday job and an analyst opening
the page in the service) take turns: the second waits for the first's entry instead of
mining the week a second time (:meth:`SummaryCache.mining`, a lock file per week).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from nlp.tokenize import Tokenizer, cached_tokens
from trends.topics import Topic, TopicParams, find_topics, topic_documents, with_clean_text

__all__ = ["N_FEATURES", "SummaryCache", "WeekSummary", "mining_identity", "summarise_week", "term_vectors"]

log = logging.getLogger(__name__)

N_FEATURES = 2**20  # hashed term columns: collisions among a week's ~10^5 distinct terms are rare
SUMMARY_VERSION = 4  # bump when mining or the term vectors change: older cache entries are then ignored


@dataclass
class WeekSummary:
    """One week: its ticket ids, its topics (largest first) and its tickets' term vectors.

    ``term_counts`` has one row per ticket, in ``ticket_ids`` order: sublinear term
    frequencies (1 + ln tf) of the clustered text (:func:`trends.topics.topic_documents`).
    """

    label: str
    ticket_ids: list[str]
    topics: list[Topic]
    term_counts: sp.csr_matrix

    @property
    def size(self) -> int:
        return len(self.ticket_ids)

    def document_frequency(self) -> np.ndarray:
        """Tickets of the week that contain each hashed term."""
        return np.bincount(self.term_counts.indices, minlength=N_FEATURES)

    @classmethod
    def empty(cls, label: str) -> WeekSummary:
        return cls(label, [], [], sp.csr_matrix((0, N_FEATURES), dtype=np.float32))


def term_vectors(docs: list[str], tokenizer: Tokenizer) -> sp.csr_matrix:
    """Sublinear term frequencies of ``docs`` in the hashed space (float32, no norm)."""
    hasher = HashingVectorizer(
        tokenizer=tokenizer,
        token_pattern=None,
        lowercase=False,
        stop_words=list(tokenizer.stop_words) or None,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    )
    counts = sp.csr_matrix(hasher.transform(docs))
    np.log(counts.data, out=counts.data)
    counts.data += 1
    return counts


def summarise_week(label: str, tickets: pd.DataFrame, tokenizer: Tokenizer, params: TopicParams) -> WeekSummary:
    """Mine one week's tickets (``id``, ``title``, ``text``) and count their terms."""
    if tickets.empty:
        return WeekSummary.empty(label)
    tickets = with_clean_text(tickets.reset_index(drop=True))
    with cached_tokens():  # segmented once for the topics and the term vectors; freed after the week
        topics = find_topics(tickets, tokenizer, params)
        counts = term_vectors(topic_documents(tickets), tokenizer)
    return WeekSummary(label, tickets["id"].astype(str).tolist(), topics, counts)


def mining_identity(tokenizer: Tokenizer, params: TopicParams) -> str:
    """Everything besides the tickets that a summary depends on, as a short hash."""
    text = json.dumps(
        {
            "version": SUMMARY_VERSION,
            "params": dataclasses.asdict(params),
            "backend": tokenizer.backend,
            "user_words": list(tokenizer.user_words),
            "stop_words": list(tokenizer.stop_words),
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class SummaryCache:
    """Week summaries in a folder: ``<week>-<key>/`` holding ``summary.json`` and ``terms.npz``.

    Nothing is unpickled: topics are JSON, term vectors a NumPy archive. Entries are written
    to a temporary folder and renamed, so a reader never sees half an entry. A cache that
    cannot be written (read-only folder, full disk) only costs time: the digest goes on.

    Parameters
    ----------
    folder : Path
        Where entries live; created on first write.
    identity : str
        :func:`mining_identity` of the digest that uses the cache.
    """

    def __init__(self, folder: str | Path, identity: str) -> None:
        self.folder = Path(folder)
        self.identity = identity

    def _entry(self, label: str, content_key: str) -> Path:
        key = hashlib.sha256(f"{content_key}|{self.identity}".encode()).hexdigest()[:16]
        return self.folder / f"{label}-{key}"

    @contextmanager
    def mining(self, label: str) -> Iterator[None]:
        """Hold the week's lock while it is mined and stored, so other processes wait for the entry.

        The lock is released when the block ends or the process dies. Where no lock can be
        taken (a read-only cache, a system without ``fcntl``), weeks are mined without one.
        """
        try:
            import fcntl

            self.folder.mkdir(parents=True, exist_ok=True)
            handle = open(self.folder / f".{label}.lock", "a")  # noqa: SIM115 - held across the yield
        except (ImportError, OSError):
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # waits while another digest mines this week
            yield  # closing the file releases the lock

    def get(self, label: str, content_key: str) -> WeekSummary | None:
        entry = self._entry(label, content_key)
        try:
            meta = json.loads((entry / "summary.json").read_text(encoding="utf-8"))
            counts = sp.load_npz(entry / "terms.npz").tocsr()
            topics = [Topic(**t) for t in meta["topics"]]
            ticket_ids = [str(i) for i in meta["ticket_ids"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if entry.exists():  # dropped, so that the week mined again can take its place
                log.warning("dropping unreadable digest cache entry %s (%s)", entry, exc)
                shutil.rmtree(entry, ignore_errors=True)
            return None
        return WeekSummary(label, ticket_ids, topics, counts)

    def put(self, summary: WeekSummary, content_key: str) -> None:
        entry = self._entry(summary.label, content_key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=self.folder))
            meta = {"ticket_ids": summary.ticket_ids, "topics": [dataclasses.asdict(t) for t in summary.topics]}
            (staging / "summary.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            sp.save_npz(staging / "terms.npz", summary.term_counts, compressed=False)
            try:
                os.rename(staging, entry)
            except OSError:  # another digest wrote the same entry first: theirs is as good
                shutil.rmtree(staging, ignore_errors=True)
                return
        except OSError as exc:
            log.warning("could not write the digest cache entry %s (%s); the digest goes on", entry, exc)
            return
        for stale in self.folder.glob(f"{summary.label}-*"):  # older contents of the same week
            if stale != entry:
                shutil.rmtree(stale, ignore_errors=True)
