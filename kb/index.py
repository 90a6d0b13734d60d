"""The knowledge-base index: BM25 and TF-IDF retrieval, a learned fusion, validity windows, abstention.

An entry is found by three scorers over the cleaned text (normalised, personal data masked,
as tickets are): jieba-segmented BM25 over question and answer (``bm25s`` builds it), and
word TF-IDF over the question and over question and answer, and character n-gram TF-IDF
over the question (:mod:`nlp.ngrams`). Each scorer's best
candidates among the entries valid at the ticket's time are pooled and described by a dozen
features: the scores, their gaps to the best, and how much of the entry's terms the ticket
holds (an entry term absent from the ticket, 租房 against a ticket about buying, counts
against the entry). A logistic regression fitted at build time on labelled or generated
queries turns the features into a probability that the entry answers the ticket; the
threshold under which the index abstains is chosen on held-out queries (cross-fitted) and
stored with the index.

Scoring reads the scorers' postings (sparse matrices, derived once per loaded index, never
stored) for the ticket's own terms only: the entries that share a term and their scores come
from those postings alone, and the best are selected among them (``bm25s``' own top-k
selection, or a sparse product, costs time in proportion to every entry of the index). Terms found in more than ``_COMMON`` of the entries do not generate candidates, but
count in every candidate's features.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

import bm25s
import joblib
import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from kb.entries import EntryChanges, entry_hashes, read_entries, validity_windows
from kb.expand import Expander, load_expansions
from kb.tickets import read_answered
from nlp.bundle import checked_sidecar, library_versions, verified_payload, write_payload, write_signed_sidecar
from nlp.errors import BundleError, InputError
from nlp.ngrams import CharNgramTfidf
from nlp.tables import file_sha256, read_table
from nlp.text import clean, clean_many
from nlp.tokenize import Tokenizer, default_tokenizer

__all__ = [
    "FORMAT",
    "FUSIONS",
    "SCHEMA",
    "KbIndex",
    "Ranked",
    "build_file",
    "build_index",
    "load_index",
    "save_index",
    "to_moment",
]

FORMAT = "hotline-kb-index"
SCHEMA = 1
SIDECAR = "index.json"
PAYLOAD = "index.joblib"
SOURCES = ("kb", "answered_ticket")
FUSIONS = ("learned", "rrf", "bm25", "char")
_POOL = 20  # candidates taken from each scorer
_COMMON = 0.01  # terms in more than this share of entries (and 50) generate no candidates
_RRF_K = 60
# Under the best suggestion, entries scoring less are not listed. The runners-up are what an
# operator reads when the best is wrong: 0.05 left out right entries ranked 2nd-3rd (hit@3 0.942
# on the demo's test queries, mean of five seeds; 0.02 gives 0.956, 0.01 0.958, none 0.971, with
# hit@1 and abstention unchanged: `python -m bench.kb --only demo --misses --tradeoff-seeds 0,1,2,3,4`).
LIST_FLOOR = 0.02
# Share of unanswerable calibration queries the threshold abstains on. Test queries are worded
# unlike the calibration ones and abstain more (0.75 gave 0.85 on the demo's test queries, mean
# of five seeds, with hit@3 0.94; 0.85 gave 0.92 and 0.915): see `python -m bench.kb --misses`.
ABSTAIN_TARGET = 0.75
_WRONG_COST = 1.0  # without unanswerable queries: a wrong suggestion costs as much as a right one gains
_PSEUDO_QUERIES = 1000
_MIN_PSEUDO = 50
FEATURES = (
    "bm25_rel",
    "bm25_log",
    "word_cos",
    "char_cos",
    "word_entry_cover",
    "char_entry_cover",
    "word_query_cover",
    "char_query_cover",
    "word_gap",
    "char_gap",
    "bm25_rank",
    "char_rank",
    "full_cos",
    "full_entry_cover",
    "full_query_cover",
    "known_share",
    "full_query_cover_all",
)
# What the abstainer reads of a query's ranked list: whether the list holds an answer at all.
LIST_FEATURES = ("top", "top3_sum", "top_gap", "known_share", "top_bm25_log", "top_query_cover")
_LISTED = 3  # the abstainer learns whether the right entry is among this many first


class _Terms(NamedTuple):
    """A query's vector for one scorer: its term ids (sorted, distinct) and their weights."""

    indices: np.ndarray
    data: np.ndarray


@dataclass
class _Query:
    text: str
    tokens: list[str]
    word: _Terms
    char: _Terms
    full: _Terms
    bm25: _Terms  # term counts
    known: float  # share of the query's content words (by count) that some entry holds


@dataclass
class Ranked:
    """Entries of the index for one query, best first, with their fused scores."""

    rows: np.ndarray
    scores: np.ndarray
    tokens: list[str] = field(default_factory=list)
    confidence: float = 0.0  # that the list holds an answer: the index abstains under its threshold


@dataclass
class KbIndex:
    """A built index: entries, fitted scorers, the fusion and the abstain threshold.

    Build it with :func:`build_index`, query it with :meth:`rank` or :func:`kb.suggest.suggest`.
    ``entries`` holds the entries as given (with their content ``hash``); ``start``/``end`` the
    validity windows in seconds, superseded entries cut short.
    """

    entries: pd.DataFrame
    source: str
    start: np.ndarray
    end: np.ndarray
    tokenizer: Tokenizer
    bm25: bm25s.BM25
    char: CharNgramTfidf
    word_idf: np.ndarray
    word_rows: sparse.csr_matrix
    char_rows: sparse.csr_matrix
    full_idf: np.ndarray
    full_rows: sparse.csr_matrix
    expander: Expander
    fusion: str = "learned"
    ranker: LogisticRegression | None = None
    abstainer: LogisticRegression | None = None
    threshold: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def __getstate__(self) -> dict[str, Any]:
        # Postings are transposes of the rows: rebuilt after loading, not stored twice.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    # -- scoring ------------------------------------------------------------------------------
    def _postings(
        self,
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        cached = self.__dict__.get("_cached_postings")
        if cached is None:
            n = len(self.entries)
            scores = self.bm25.scores
            # bm25s stores a CSC matrix of (entry, token): the same arrays are a CSR of (token, entry).
            bm25_post = sparse.csr_matrix(
                (scores["data"], scores["indices"], scores["indptr"]), shape=(len(scores["indptr"]) - 1, n)
            )
            word_post = self.word_rows.T.tocsr()
            char_post = self.char_rows.T.tocsr()
            cap = max(_COMMON * n, 50)
            word_common = np.diff(word_post.indptr) > cap
            char_common = np.diff(char_post.indptr) > cap
            bm25_common = np.diff(bm25_post.indptr) > cap
            cached = (bm25_post, word_post, char_post, bm25_common, word_common, char_common)
            self._cached_postings = cached
        return cached

    def _encode(self, text: str) -> _Query:
        cleaned = self.expander(clean(text))
        content = self.tokenizer.content_tokens(cleaned)
        vocab = self.bm25.vocab_dict
        ids = np.fromiter((vocab[t] for t in content if t in vocab), dtype=np.int64)
        terms, counts = np.unique(ids, return_counts=True)
        char = self.char.transform([cleaned])
        return _Query(
            text=cleaned,
            tokens=content,
            word=_query_tfidf(terms, counts, self.word_idf),
            char=_Terms(char.indices, char.data),
            full=_query_tfidf(terms, counts, self.full_idf),
            known=len(ids) / len(content) if content else 0.0,
            bm25=_Terms(terms, counts.astype(np.float32)),
        )

    def rank(
        self, text: str, *, at: int | None = None, exclude: Sequence[int] = (), fusion: str | None = None
    ) -> Ranked:
        """Score the entries that share a term with ``text`` and are valid at ``at`` (seconds; None: any time).

        ``exclude`` leaves rows out (leave-one-out evaluation). Returns the candidates, best first,
        with their fused score (a probability for the learned fusion).
        """
        query = self._encode(text)
        rows, features, pools = self._candidates(query, at, exclude)
        if len(rows) == 0:
            return Ranked(rows, np.zeros(0), query.tokens)
        fusion = fusion or self.fusion
        scores = self._fuse(features, pools, fusion)
        order = np.argsort(-scores, kind="stable")
        confidence = float(scores[order[0]])
        if self.abstainer is not None and fusion == self.fusion:
            linear = _list_features(scores[order], features[order[0]]) @ self.abstainer.coef_[0]
            confidence = float(1 / (1 + np.exp(-(linear + self.abstainer.intercept_[0]))))
        return Ranked(rows[order], scores[order], query.tokens, confidence)

    def suggested(self, ranked: Ranked, k: int) -> Ranked:
        """The ``k`` best of ``ranked`` to show, or none when the best is under the threshold.

        Below the best, entries scoring under ``LIST_FLOOR`` are left out: they are noise.
        """
        if len(ranked.scores) == 0 or ranked.confidence < self.threshold:
            return Ranked(ranked.rows[:0], ranked.scores[:0], ranked.tokens, ranked.confidence)
        floor = min(LIST_FLOOR, self.threshold) if self.abstainer is None else LIST_FLOOR
        keep = np.flatnonzero(ranked.scores[:k] >= floor)
        keep = keep[keep == np.arange(len(keep))]  # best first: stop at the first one left out
        return Ranked(ranked.rows[keep], ranked.scores[keep], ranked.tokens, ranked.confidence)

    def _candidates(
        self, query: _Query, at: int | None, exclude: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        bm25_post, word_post, char_post, bm25_common, word_common, char_common = self._postings()

        pools = []
        for post, vector, common in (
            (bm25_post, query.bm25, bm25_common),
            (word_post, query.word, word_common),
            (char_post, query.char, char_common),
        ):
            rows, values = _matches(post, vector, common)
            keep = values > 0
            if at is not None:
                keep &= (self.start[rows] <= at) & (at < self.end[rows])
            if len(exclude):
                keep &= ~np.isin(rows, exclude)
            pools.append(_best(rows[keep], values[keep], _POOL))
        rows = np.unique(np.concatenate(pools))
        if len(rows) == 0:
            return rows, np.zeros((0, len(FEATURES))), {}
        bm25 = _bm25_of(bm25_post, rows, query.bm25)
        # Exact cosine and coverage over every term of the query (common ones too).
        word_cos, word_entry, word_query = _overlap(self.word_rows, rows, query.word)
        char_cos, char_entry, char_query = _overlap(self.char_rows, rows, query.char)
        full_cos, full_entry, full_query = _overlap(self.full_rows, rows, query.full)
        top_bm25 = bm25.max() if bm25.max() > 0 else 1.0
        features = np.column_stack(
            [
                bm25 / top_bm25,
                np.log1p(bm25),
                word_cos,
                char_cos,
                word_entry,
                char_entry,
                word_query,
                char_query,
                word_cos - word_cos.max(),
                char_cos - char_cos.max(),
                1 / (1 + _ranks(bm25)),
                1 / (1 + _ranks(char_cos)),
                full_cos,
                full_entry,
                full_query,
                np.full(len(rows), query.known),
                full_query * query.known,
            ]
        )
        ranks = {"bm25": _ranks(bm25), "word": _ranks(word_cos), "char": _ranks(char_cos)}
        return rows, features, ranks

    def _fuse(self, features: np.ndarray, ranks: dict[str, np.ndarray], fusion: str) -> np.ndarray:
        if fusion == "learned":
            if self.ranker is None:
                raise BundleError("this index has no fitted ranker; rebuild it with calibration queries")
            # The logistic function of the linear score, without predict_proba's per-call checks.
            linear = features @ self.ranker.coef_[0] + self.ranker.intercept_[0]
            return np.asarray(1 / (1 + np.exp(-linear)))
        if fusion == "rrf":
            return sum(1 / (_RRF_K + 1 + r) for r in ranks.values())  # type: ignore[return-value]
        if fusion == "bm25":
            return features[:, FEATURES.index("bm25_log")]
        if fusion == "char":
            return features[:, FEATURES.index("char_cos")]
        raise ValueError(f"expected fusion in {FUSIONS}, got {fusion!r}")


def _counts(docs: list[list[int]], n_terms: int) -> sparse.csr_matrix:
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    columns = np.fromiter(chain.from_iterable(docs), dtype=np.int64, count=int(lengths.sum()))
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    counts = sparse.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(len(docs), n_terms))
    counts.sum_duplicates()
    return counts


def _idf(docs: list[list[int]], n_terms: int) -> np.ndarray:
    """Smoothed idf of each term id, as scikit-learn's; 0 for a term no document holds (it never counts)."""
    df = np.bincount(_counts(docs, n_terms).indices, minlength=n_terms)
    return np.where(df > 0, np.log((1 + len(docs)) / (1 + df)) + 1, 0.0)


def _tfidf(docs: list[list[int]], idf: np.ndarray) -> sparse.csr_matrix:
    """L2-normalised sublinear TF-IDF rows of documents given as term ids."""
    matrix = _counts(docs, len(idf))
    matrix.data = (1 + np.log(matrix.data)) * idf[matrix.indices]
    matrix.eliminate_zeros()
    inplace_csr_row_normalize_l2(matrix)
    return matrix


def _query_tfidf(terms: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> _Terms:
    """One query's L2-normalised sublinear TF-IDF (as a row of :func:`_tfidf`) from its distinct term ids and counts."""
    weights = (1 + np.log(counts)) * idf[terms]
    known = weights != 0
    terms, weights = terms[known], weights[known]
    norm = np.sqrt(np.dot(weights, weights))
    return _Terms(terms, weights / norm if norm > 0 else weights)


def _spans(begin: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``begin[i] .. begin[i] + lengths[i] - 1`` of every span, one after another."""
    return np.repeat(begin - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())


def _matches(post: sparse.csr_matrix, query: _Terms, common: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries (sorted) holding a query term that is not common, and their summed weights over those terms.

    The query vector times the postings, read from the postings of the query's own terms: a
    product with scipy's sparse matrices allocates and clears a buffer as long as the index
    for every query (most of a query's time at 200 k entries).
    """
    use = (query.data != 0) & ~common[query.indices]
    terms, weights = query.indices[use], query.data[use].astype(np.float64)
    begin = post.indptr[terms]
    lengths = post.indptr[terms + 1] - begin
    positions = _spans(begin, lengths)
    rows, inverse = np.unique(post.indices[positions], return_inverse=True)
    values = post.data[positions].astype(np.float64) * np.repeat(weights, lengths)
    return rows, np.bincount(inverse, weights=values, minlength=len(rows))


def _best(rows: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` rows of highest value; among equal values at the cut, the first rows (``rows`` ascending)."""
    if len(values) <= k:
        return rows
    kth = np.partition(values, len(values) - k)[len(values) - k]
    above = np.flatnonzero(values > kth)
    tied = np.flatnonzero(values == kth)[: k - len(above)]
    return rows[np.concatenate([above, tied])]


def _bm25_of(post: sparse.csr_matrix, rows: np.ndarray, query: _Terms) -> np.ndarray:
    """BM25 of the rows for every query token, common ones too (each token's postings are sorted by row)."""
    scores = np.zeros(len(rows))
    for token, count in zip(query.indices, query.data, strict=True):
        begin, stop = post.indptr[token], post.indptr[token + 1]
        posting = post.indices[begin:stop]
        pos = np.searchsorted(posting, rows)
        found = pos < len(posting)
        found[found] = posting[pos[found]] == rows[found]
        scores[found] += count * post.data[begin + pos[found]]
    return scores


def _ranks(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next ..."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(len(values))
    return ranks


def _overlap(matrix: sparse.csr_matrix, rows: np.ndarray, query: _Terms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cosine of each row with the query, the share of the row's mass on query terms, and of the query's on row terms.

    Both are L2-normalised TF-IDF vectors, so the shares are sums of squared weights: 1 when
    every term of one is in the other. A low entry share means the entry says things the
    ticket does not (租房 in the entry, 买房 in the ticket).
    """
    q_cols, q_vals = query.indices, query.data.astype(np.float64)
    order = np.argsort(q_cols)
    q_cols, q_vals = q_cols[order], q_vals[order]
    n = len(rows)
    # The rows' stored values gathered straight from the CSR arrays (slicing builds a matrix per call).
    begin, stop = matrix.indptr[rows], matrix.indptr[rows + 1]
    lengths = stop - begin
    positions = _spans(begin, lengths)
    if len(q_cols) == 0 or len(positions) == 0:
        return np.zeros(n), np.zeros(n), np.zeros(n)
    columns = matrix.indices[positions]
    pos = np.minimum(np.searchsorted(q_cols, columns), len(q_cols) - 1)
    hit = q_cols[pos] == columns
    data = matrix.data[positions].astype(np.float64)
    owner = np.repeat(np.arange(n), lengths)
    cos = np.bincount(owner[hit], weights=data[hit] * q_vals[pos[hit]], minlength=n)
    entry_share = np.bincount(owner[hit], weights=data[hit] ** 2, minlength=n)
    query_share = np.bincount(owner[hit], weights=q_vals[pos[hit]] ** 2, minlength=n)
    return cos, entry_share, query_share


# -- building ---------------------------------------------------------------------------------


def build_index(
    entries: pd.DataFrame,
    *,
    source: str = "kb",
    calibration: pd.DataFrame | None = None,
    fusion: str = "learned",
    tokenizer: Tokenizer | None = None,
    seed: int = 0,
    abstain_target: float = ABSTAIN_TARGET,
) -> KbIndex:
    """Build an index from validated entries (:func:`kb.entries.validate_entries`).

    Parameters
    ----------
    entries : DataFrame
        ``id, question, answer, department, valid_from, valid_to`` and any other columns.
    source : {"kb", "answered_ticket"}
        What the entries are; suggestions carry it.
    calibration : DataFrame, optional
        Queries with known answers, ``text`` (``title`` and ``asked_at`` optional) and ``gold``
        (an entry id, empty when the knowledge base has no answer): the ranker is fitted and the
        abstain threshold chosen on them. Without, queries are generated from the entries
        (words of a question, dropped at random; for unanswerable ones the entry is held out).
    fusion : {"learned", "rrf", "bm25", "char"}
        How candidates are ranked; the others than ``learned`` are baselines for benchmarks.
    abstain_target : float, default 0.75
        Share of the unanswerable calibration queries to abstain on: lower, fewer answerable
        queries go without a suggestion and more unanswerable ones get one.
    """
    if not 0 < abstain_target <= 1:
        raise ValueError(f"expected abstain_target in (0, 1], got {abstain_target!r}")
    if source not in SOURCES:
        raise ValueError(f"expected source in {SOURCES}, got {source!r}")
    if fusion not in FUSIONS:
        raise ValueError(f"expected fusion in {FUSIONS}, got {fusion!r}")
    started = time.perf_counter()
    tokenizer = tokenizer or default_tokenizer()
    entries = entries.reset_index(drop=True).copy()
    entries["hash"] = entry_hashes(entries)
    start, end = validity_windows(entries)
    questions = clean_many(entries["question"].tolist())
    answers = clean_many(entries["answer"].tolist())
    stop = set(tokenizer.stop_words)
    # Each text is segmented once: BM25 and both word TF-IDFs share the token ids of bm25s' vocabulary.
    question_tokens = [[t for t in tokenizer(q) if t not in stop] for q in questions]
    bm25_docs = [
        q + [t for t in tokenizer(a) if t not in stop] or [""] for q, a in zip(question_tokens, answers, strict=True)
    ]
    bm25 = bm25s.BM25()
    bm25.index(bm25_docs, show_progress=False)
    vocab = bm25.vocab_dict
    question_ids = [[vocab[t] for t in tokens] for tokens in question_tokens]
    full_ids = [[vocab[t] for t in tokens] for tokens in bm25_docs]
    word_idf, full_idf = _idf(question_ids, len(vocab)), _idf(full_ids, len(vocab))
    char = CharNgramTfidf((1, 3), min_df=1).fit(questions)
    index = KbIndex(
        entries=entries,
        source=source,
        start=start,
        end=end,
        tokenizer=tokenizer,
        bm25=bm25,
        char=char,
        word_idf=word_idf,
        word_rows=_tfidf(question_ids, word_idf),
        char_rows=char.transform(questions),
        full_idf=full_idf,
        full_rows=_tfidf(full_ids, full_idf),
        expander=Expander(load_expansions()),
        fusion=fusion,
    )
    fitted = time.perf_counter()
    queries = _calibration_queries(index, calibration, seed)
    _calibrate(index, queries, seed, abstain_target)
    index.meta.update(
        entries=len(entries),
        build_seconds=round(fitted - started, 2),
        calibration_seconds=round(time.perf_counter() - fitted, 2),
    )
    return index


@dataclass
class _Labelled:
    text: str
    at: int | None
    gold: int  # row, or -1 when the index has no answer
    exclude: tuple[int, ...] = ()


def _calibration_queries(index: KbIndex, calibration: pd.DataFrame | None, seed: int) -> list[_Labelled]:
    if calibration is not None:
        missing = [c for c in ("text", "gold") if c not in calibration.columns]
        if missing:
            raise InputError(f"calibration queries: expected columns text, gold; got {', '.join(calibration.columns)}")
        row_of = {entry_id: i for i, entry_id in enumerate(index.entries["id"])}
        unknown = sorted(set(calibration["gold"].fillna("")) - set(row_of) - {""})
        if unknown:
            raise InputError(f"calibration queries: gold ids not among the entries: {', '.join(unknown[:5])}")
        titles = (
            calibration["title"].fillna("")
            if "title" in calibration.columns
            else pd.Series("", index=calibration.index)
        )
        times = (
            calibration["asked_at"] if "asked_at" in calibration.columns else pd.Series(None, index=calibration.index)
        )
        return [
            _Labelled(text=f"{title} {text}".strip(), at=to_moment(at), gold=row_of.get(gold or "", -1))
            for title, text, at, gold in zip(
                titles, calibration["text"], times, calibration["gold"].fillna(""), strict=True
            )
        ]
    return _pseudo_queries(index, seed)


def _pseudo_queries(index: KbIndex, seed: int) -> list[_Labelled]:
    """Queries generated from the entries: each answerable, and again with its entry held out."""
    rng = random.Random(seed)
    n = len(index.entries)
    # Every entry once (up to _PSEUDO_QUERIES); a small knowledge base gets several queries per entry.
    rows = rng.sample(range(n), min(n, _PSEUDO_QUERIES)) + [rng.randrange(n) for _ in range(_MIN_PSEUDO - n)]
    questions = index.entries["question"].tolist()
    key_rows: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        key_rows.setdefault(q, []).append(i)
    out = []
    for row in rows:
        tokens = index.tokenizer(clean(questions[row]))
        kept = [t for t in tokens if rng.random() < 0.7] or tokens[:1]
        text = "".join(kept)
        at = int(index.start[row]) if index.start[row] > np.iinfo(np.int64).min else None
        out.append(_Labelled(text=text, at=at, gold=row))
        out.append(_Labelled(text=text, at=at, gold=-1, exclude=tuple(key_rows[questions[row]])))
    return out


def to_moment(value: Any) -> int | None:
    """A date-time (``datetime``, ISO string, Timestamp) as seconds since the epoch, as validity windows are.

    ``None``, ``""`` and NaT give None (any time). Times are local, without a time zone, as in ticket exports.
    """
    if value is None or (isinstance(value, str) and not value.strip()) or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("Asia/Shanghai").tz_localize(None)
    return int(stamp.to_datetime64().astype("datetime64[s]").astype(np.int64))


def _calibrate(index: KbIndex, queries: list[_Labelled], seed: int, abstain_target: float = ABSTAIN_TARGET) -> None:
    """Fit the ranker on the queries and choose the abstain threshold on cross-fitted scores."""
    pooled = []
    for q in queries:
        rows, features, ranks = index._candidates(index._encode(q.text), q.at, q.exclude)
        pooled.append((rows, features, ranks, rows == q.gold))
    fold = np.random.default_rng(seed).integers(0, 2, len(queries))
    if index.fusion == "learned":
        X = np.concatenate([p[1] for p in pooled]) if pooled else np.zeros((0, len(FEATURES)))
        y = np.concatenate([p[3] for p in pooled]) if pooled else np.zeros(0, dtype=bool)
        which = np.repeat(fold, [len(p[0]) for p in pooled])
        if y.sum() < 4 or (~y).sum() < 4:
            raise InputError(
                f"expected calibration queries whose answers are found among the candidates, got {int(y.sum())}; "
                "give more queries or check their gold ids"
            )
        held_out = np.zeros(len(y))
        for k in (0, 1):
            part = which == k
            if y[~part].any() and (~y[~part]).any():
                held_out[part] = _ranker(seed).fit(X[~part], y[~part]).predict_proba(X[part])[:, 1]
            else:  # too few queries to split: in-sample scores
                held_out[part] = _ranker(seed).fit(X, y).predict_proba(X[part])[:, 1]
        index.ranker = _ranker(seed).fit(X, y)
        bounds = np.cumsum([0] + [len(p[0]) for p in pooled])
        scores = [held_out[bounds[i] : bounds[i + 1]] for i in range(len(pooled))]
    else:
        scores = [index._fuse(p[1], p[2], index.fusion) if len(p[0]) else np.zeros(0) for p in pooled]

    top_scores, top_right, unanswerable, listed, described = [], [], [], [], []
    for q, (_, features, _, gold), s in zip(queries, pooled, scores, strict=True):
        order = np.argsort(-s, kind="stable")
        top_scores.append(float(s[order[0]]) if len(s) else 0.0)
        top_right.append(bool(gold[order[0]]) if len(s) else False)
        listed.append(bool(gold[order[:_LISTED]].any()))
        described.append(_list_features(s[order], features[order[0]]) if len(s) else np.zeros(len(LIST_FEATURES)))
        unanswerable.append(q.gold < 0)
    confidence = np.asarray(top_scores)
    if index.fusion == "learned":
        confidence = _fit_abstainer(index, np.asarray(described), np.asarray(listed, dtype=bool), fold, seed)
    index.threshold = _choose_threshold(
        confidence, np.asarray(top_right, dtype=bool), np.asarray(unanswerable, dtype=bool), abstain_target
    )
    if index.fusion == "rrf":  # fused ranks carry no confidence (every top scores alike): never abstains
        index.threshold = 0.0
    answerable = sum(q.gold >= 0 for q in queries)
    index.meta["calibration"] = {
        "queries": len(queries),
        "answerable": int(answerable),
        "generated": any(q.exclude for q in queries),  # made from the entries (held out when unanswerable)
        "threshold": index.threshold,
        "abstain_target": abstain_target,
    }


def _list_features(scores: np.ndarray, top: np.ndarray) -> np.ndarray:
    """:data:`LIST_FEATURES` of a ranked list: its fused scores (best first) and the features of its best entry."""
    return np.array(
        [
            scores[0],
            scores[:_LISTED].sum(),
            scores[0] - (scores[1] if len(scores) > 1 else 0.0),
            top[FEATURES.index("known_share")],
            top[FEATURES.index("bm25_log")],
            top[FEATURES.index("full_query_cover_all")],
        ]
    )


def _fit_abstainer(index: KbIndex, X: np.ndarray, listed: np.ndarray, fold: np.ndarray, seed: int) -> np.ndarray:
    """Fit ``index.abstainer`` (whether a query's list holds its answer) and return its cross-fitted confidences.

    The ranker's probability of the best entry alone is low when two entries share the
    answer's mass (renting and buying both plausible) although the list holds it; the
    abstainer reads the whole list. Without both outcomes among the queries it is left out and
    the top score is the confidence, as before.
    """
    if len(X) == 0 or listed.all() or not listed.any():
        index.abstainer = None
        return X[:, 0] if len(X) else np.zeros(0)
    held_out = np.zeros(len(X))
    for k in (0, 1):
        part = fold == k
        train = ~part if listed[~part].any() and not listed[~part].all() else np.ones(len(X), dtype=bool)
        held_out[part] = _ranker(seed).fit(X[train], listed[train]).predict_proba(X[part])[:, 1]
    index.abstainer = _ranker(seed).fit(X, listed)
    return held_out


def _ranker(seed: int) -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=1000, random_state=seed)


def _choose_threshold(
    scores: np.ndarray, right: np.ndarray, unanswerable: np.ndarray, target: float = ABSTAIN_TARGET
) -> float:
    """The top score under which to abstain.

    With unanswerable queries: the lowest threshold that abstains on ``target`` of them
    (every answerable query above it keeps its suggestions). Without: the one giving the most
    right suggestions less ``_WRONG_COST`` per wrong one.
    """
    if unanswerable.any():
        ranked = np.sort(scores[unanswerable])
        k = int(np.ceil(target * len(ranked)))
        return float(np.nextafter(ranked[k - 1], np.inf))
    if len(scores) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    gain = np.cumsum(np.where(right[order], 1.0, -_WRONG_COST))
    best = int(np.argmax(gain))
    if gain[best] <= 0:
        return float(scores[order[0]]) + 1e-9  # nothing is worth showing: abstain on all seen
    below = scores[order[best + 1]] if best + 1 < len(order) else scores[order[best]] - 1e-6
    return float((scores[order[best]] + below) / 2)


# -- files ------------------------------------------------------------------------------------


def save_index(index: KbIndex, directory: str | os.PathLike[str]) -> Path:
    """Write the index to ``directory`` atomically: the payload, then the sidecar naming its hash."""
    directory = Path(directory)
    payload = write_payload(directory, PAYLOAD, index, what="index")
    meta = {
        **index.meta,
        "format": FORMAT,
        "schema": SCHEMA,
        "source": index.source,
        "fusion": index.fusion,
        "threshold": index.threshold,
        "versions": library_versions() | {"bm25s": bm25s.__version__},
        "payload": payload,
    }
    index.meta = write_signed_sidecar(directory / SIDECAR, meta)  # signed with the bundles' key
    return directory


def read_sidecar(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The index's sidecar, checked for format and schema (the payload is not read)."""
    directory = Path(directory)
    path = directory / SIDECAR
    if not path.is_file():
        raise BundleError(f"{directory}: no {SIDECAR}; expected a directory written by `hotline kb build`")
    return checked_sidecar(
        path,
        marker=("format", FORMAT),
        schema=SCHEMA,
        remedy="build the index again with this version's 'hotline kb build'",
    )


def load_index(directory: str | os.PathLike[str]) -> KbIndex:
    """Load an index after checking its sidecar, the payload's SHA-256 and the signature (unpickling runs code)."""
    directory = Path(directory)
    meta = read_sidecar(directory)
    payload_meta = meta.get("payload")
    if not isinstance(payload_meta, dict) or not all(isinstance(payload_meta.get(k), str) for k in ("file", "sha256")):
        raise BundleError(f"{directory / SIDECAR}: expected 'payload' with 'file' and 'sha256', got {payload_meta!r}")
    payload = verified_payload(directory / SIDECAR, meta)
    index = joblib.load(payload)
    if not isinstance(index, KbIndex):
        raise BundleError(f"{payload}: expected a knowledge-base index, got {type(index).__name__}")
    index.meta = meta
    index._postings()  # derived once at load, so that the first query does not pay for it
    return index


def build_file(
    entries: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    queries: str | os.PathLike[str] | None = None,
    source: str = "kb",
    abstain_target: float = ABSTAIN_TARGET,
    ticket_columns: dict[str, str] | None = None,
) -> tuple[KbIndex, EntryChanges | None]:
    """``hotline kb build``: read and check the entries, build, save to ``out``; the changes by id.

    With ``source="answered_ticket"``, ``entries`` is a ticket export with the message and its
    reply (:func:`kb.tickets.read_answered`, its column names in ``ticket_columns``: ``id_col``,
    ``title_col``, ``text_col``, ``reply_col``); otherwise a knowledge-base entry file
    (:func:`kb.entries.read_entries`). When ``out`` already holds an index, the new entries are
    compared with it by id and content hash (added, changed, removed); the new index replaces
    it atomically.
    """
    answered = source == "answered_ticket"
    frame = read_answered(entries, **(ticket_columns or {})) if answered else read_entries(entries)
    calibration = read_table(queries) if queries is not None else None
    previous: dict[str, str] | None = None
    if (Path(out) / SIDECAR).is_file():
        old = load_index(out)
        previous = dict(zip(old.entries["id"], old.entries["hash"], strict=True))
    index = build_index(frame, source=source, calibration=calibration, abstain_target=abstain_target)
    changes = None
    if previous is not None:
        changes = EntryChanges.between(previous, index.entries["id"].tolist(), index.entries["hash"].tolist())
        index.meta["changes"] = changes.__dict__
    index.meta["entries_file"] = {"name": Path(entries).name, "sha256": file_sha256(Path(entries))}
    save_index(index, out)
    return index, changes
