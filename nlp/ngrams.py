"""Word and character n-gram TF-IDF computed in bulk with numpy.

scikit-learn's ``TfidfVectorizer`` builds every n-gram of every document as a Python string
and looks it up in a dict: on 440-character messages that costs several times more than
segmenting them. Here a batch of documents becomes one array of units (code points, or
token ids), each n-gram one exact 64-bit code (no hashing, so no collisions), and the
vocabulary a sorted array of codes looked up through a hash index. The result is the same
matrix as ``TfidfVectorizer`` with the same options, up to the order of the columns
(tests check this):

- :class:`CharNgramTfidf` as ``TfidfVectorizer(analyzer="char", lowercase=False)``, n <= 3;
- :class:`WordNgramTfidf` as ``TfidfVectorizer(tokenizer=..., token_pattern=None,
  lowercase=False, stop_words=[...])``, n <= 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, pairwise, repeat
from typing import Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2
from sklearn.utils.validation import check_is_fitted

from nlp.batching import NGRAM_BATCH

__all__ = ["CharNgramTfidf", "NgramCounts", "WordNgramTfidf"]

_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's char analyzer
# The attribute holding the lookup structures derived from the fitted arrays (hash indexes, the
# token lookup), by name: rebuilt after loading or refitting, never pickled.
_DERIVED = "_derived"
# The pickled form of WordNgramTfidf.tokens_ (one string and the end offsets of its tokens).
_PACKED_TOKENS = "_packed_tokens"
# Up to this many n-gram codes, a lookup searches the sorted vocabulary instead of its hash index.
SEARCH_SORTED_UP_TO = 512
T = TypeVar("T")


class NgramCounts(NamedTuple):
    """The distinct n-grams of each document of a chunk and their counts (CSR layout over ``codes``)."""

    indptr: np.ndarray
    ids: np.ndarray  # document by document, the position in ``codes`` of each distinct n-gram
    counts: np.ndarray
    codes: np.ndarray  # the chunk's distinct codes, in order of first appearance


def _count(owner: np.ndarray, code: np.ndarray, n_docs: int) -> NgramCounts:
    """Each document's distinct n-grams with their counts (from every n-gram's document and code)."""
    ids, distinct = pd.factorize(code)  # a hash pass: no sort of the codes
    matrix = _summed(owner, ids, (n_docs, len(distinct)), np.float32)
    return NgramCounts(matrix.indptr, matrix.indices, matrix.data, np.asarray(distinct, dtype=np.uint64))


def _summed(owner: np.ndarray, column: np.ndarray, shape: tuple[int, int], dtype: Any) -> sparse.csr_matrix:
    """The CSR matrix counting each (document, column) pair of :func:`_ngram_codes`' order.

    There the n-grams of each n come document by document, and a column is one n-gram, so
    each column's documents come in order: converting to CSC sums the repeats in one pass, and
    converting back writes each row's columns in order. (Summing repeats in CSR sorted every
    row first: half the time of the character n-grams of 400-character messages.)
    """
    ones = np.ones(len(owner), dtype=dtype)
    return sparse.coo_matrix((ones, (owner, column)), shape=shape).tocsc().tocsr()


def _chunks(docs: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(docs), NGRAM_BATCH):
        yield docs[start : start + NGRAM_BATCH]


def _ngram_codes(
    units: np.ndarray, lengths: np.ndarray, ngram_range: tuple[int, int], bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every n-gram of the documents as (document index, code).

    ``units`` holds the documents' units one after another (each >= 1; 0 marks a unit that
    no n-gram may contain), ``lengths`` the number of units of each document.
    """
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    has_gaps = bool((units == 0).any())  # unknown words; characters never have any
    all_docs, all_codes = [], []
    for n in range(ngram_range[0], ngram_range[1] + 1):
        count = len(units) - n + 1
        if count <= 0:
            continue
        # An n-gram starting in the last n-1 units of a document would run into the next one.
        valid = np.ones(count, dtype=bool)
        for k in range(1, n):
            last = ends - k
            valid[last[(last >= 0) & (last < count)]] = False
        code = units[:count].copy()
        if has_gaps:
            valid &= code > 0
        for k in range(1, n):
            following = units[k : k + count]
            if has_gaps:
                valid &= following > 0
            code <<= np.uint64(bits)
            code |= following
        all_docs.append(owner[:count][valid])
        all_codes.append(code[valid])
    if not all_codes:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint64)
    return np.concatenate(all_docs), np.concatenate(all_codes)


def _decode(code: int, bits: int) -> list[int]:
    units = []
    while code:
        units.append(code & ((1 << bits) - 1))
        code >>= bits
    return units[::-1]


class _NgramTfidf(TransformerMixin, BaseEstimator):
    """Shared fit/transform: subclasses turn documents into units (``_units``)."""

    _bits: int
    _max_n: int
    ngram_range: tuple[int, int]
    min_df: int
    max_features: int | None
    sublinear_tf: bool
    dtype: Any

    def _check_params(self) -> tuple[int, int]:
        low, high = self.ngram_range
        if not 1 <= low <= high <= self._max_n:
            raise ValueError(
                f"expected ngram_range within (1, {self._max_n}) with low <= high, got {self.ngram_range!r}"
            )
        return low, high

    def _units(self, docs: list[str], *, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _start_fit(self) -> None:
        """Reset what ``_units`` learns while fitting."""

    def fit(self, X: Iterable[str], y: Any = None) -> _NgramTfidf:
        """Learn the vocabulary and document frequencies of ``X``."""
        self._check_params()
        docs = _as_docs(X)
        self.__dict__.pop(_DERIVED, None)  # built from an earlier fit
        self._start_fit()
        seen_codes, seen_df, seen_tf = [], [], []
        for owner, code, _ in self._coded_chunks(docs, self._units, fitting=True):
            # Document frequency: count the distinct (code, document) pairs of each code.
            order = np.lexsort((owner, code))
            owner, code = owner[order], code[order]
            new_pair = np.ones(len(code), dtype=bool)
            new_pair[1:] = (code[1:] != code[:-1]) | (owner[1:] != owner[:-1])
            unique, first, tf = np.unique(code, return_index=True, return_counts=True)
            seen_codes.append(unique)
            seen_df.append(np.add.reduceat(new_pair.astype(np.int64), first) if len(first) else first)
            seen_tf.append(tf)
        codes = np.concatenate(seen_codes) if seen_codes else np.zeros(0, np.uint64)
        vocabulary, inverse = np.unique(codes, return_inverse=True)
        df = np.bincount(inverse, weights=np.concatenate(seen_df) if seen_df else None, minlength=len(vocabulary))
        tf = np.bincount(inverse, weights=np.concatenate(seen_tf) if seen_tf else None, minlength=len(vocabulary))
        keep = df >= self.min_df
        max_features = self.max_features
        if max_features is not None and keep.sum() > max_features:
            ranked = np.argsort(-np.where(keep, tf, -1), kind="stable")[:max_features]  # most frequent, as sklearn
            keep = np.zeros_like(keep)
            keep[ranked] = True
        if not keep.any():
            raise ValueError(
                f"expected some n-gram in at least {self.min_df} documents, got none; give more or longer texts"
            )
        self.codes_ = vocabulary[keep]
        self.idf_ = (np.log((1 + len(docs)) / (1 + df[keep])) + 1).astype(self.dtype)
        return self

    def transform(self, X: Iterable[str]) -> sparse.csr_matrix:
        """The L2-normalised TF-IDF matrix of ``X`` (one row per document)."""
        check_is_fitted(self, "codes_")
        return self._tfidf([self._counts(*coded) for coded in self._coded_chunks(_as_docs(X), self._units)])

    def _coded_chunks(
        self, items: list[T], units: Callable[..., tuple[np.ndarray, np.ndarray]], *, fitting: bool = False
    ) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        """``(owner, code, n_docs)`` of every n-gram of each chunk of ``items`` (documents, or token lists)."""
        ngram_range = self._check_params()
        for chunk in _chunks(items):
            yield (*_ngram_codes(*units(chunk, fitting=fitting), ngram_range, self._bits), len(chunk))

    def _tfidf(self, parts: list[sparse.csr_matrix]) -> sparse.csr_matrix:
        """The TF-IDF matrix of the count matrices of consecutive chunks of documents."""
        if not parts:
            counts = sparse.csr_matrix((0, len(self.codes_)), dtype=self.dtype)
        elif len(parts) == 1:  # one chunk, as for every batch of a service: no stacking
            counts = parts[0].astype(self.dtype, copy=False)
        else:
            counts = sparse.vstack(parts, format="csr").astype(self.dtype, copy=False)
        if self.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1
        counts.data *= self.idf_[counts.indices]
        # What sklearn.preprocessing.normalize(norm="l2") runs, without its per-call parameter checks.
        inplace_csr_row_normalize_l2(counts)
        return counts

    def _counts(self, owner: np.ndarray, code: np.ndarray, n_docs: int) -> sparse.csr_matrix:
        """Counts of the vocabulary's n-grams among the (document, code) pairs of ``n_docs`` documents."""
        column = self._columns(code)
        known = column >= 0
        return _summed(owner[known], column[known], (n_docs, len(self.codes_)), self.dtype)

    def _columns(self, code: np.ndarray) -> np.ndarray:
        """The column of each n-gram code (-1 for one not in the vocabulary)."""
        if len(code) > SEARCH_SORTED_UP_TO:
            return np.asarray(_index(self, "codes", lambda: self.codes_).get_indexer(pd.Index(code)))
        # A few documents (the service's one ticket): a binary search in the sorted codes costs
        # less than wrapping the codes in the Index the hash lookup takes.
        position = np.searchsorted(self.codes_, code)
        found = self.codes_[np.minimum(position, len(self.codes_) - 1)] == code
        return np.where(found, position, -1)

    def __getstate__(self) -> dict[str, Any]:
        # Hash indexes are derived from the fitted arrays and rebuilt after loading.
        return {k: v for k, v in super().__getstate__().items() if k != _DERIVED}


def _as_docs(X: Iterable[str]) -> list[str]:
    if isinstance(X, str):
        raise TypeError("expected an iterable of documents, got one str")
    return list(X)


def _derived(owner: Any, name: str, make: Callable[[], T]) -> T:
    """``owner``'s lookup structure ``name``, made by ``make`` on first use and kept out of pickles."""
    derived: dict[str, Any] = owner.__dict__.setdefault(_DERIVED, {})
    if name not in derived:
        derived[name] = make()
    return derived[name]


def _index(owner: Any, name: str, make_values: Callable[[], Any]) -> pd.Index:
    """A cached hash index of ``make_values()`` (5x faster to search than a sorted array), kept out of pickles."""

    def make() -> pd.Index:
        values = make_values()
        # Strings stay Python objects: an Arrow-backed index converts every lookup (10x slower).
        dtype = object if not isinstance(values, np.ndarray) or values.dtype == object else None
        return pd.Index(values, dtype=dtype)

    return _derived(owner, name, make)


class CharNgramTfidf(_NgramTfidf):
    """TF-IDF of character n-grams (n from 1 to 3), as ``TfidfVectorizer(analyzer="char")``.

    Parameters
    ----------
    ngram_range : (int, int), default=(2, 3)
        Smallest and largest n; both within 1..3.
    min_df : int, default=2
        n-grams in fewer documents are left out of the vocabulary.
    max_features : int or None, default=None
        Keep only the most frequent n-grams (by count over the corpus).
    sublinear_tf : bool, default=True
        Use 1 + log(tf) instead of tf.
    dtype : numpy dtype, default=np.float32

    Attributes
    ----------
    codes_ : ndarray of uint64
        The sorted vocabulary, one exact code per n-gram; column ``j`` is ``codes_[j]``.
    idf_ : ndarray
        Smoothed inverse document frequency per column, as scikit-learn computes it.
    """

    _bits = 21  # every code point (+1) fits in 21 bits, so three fit in a uint64
    _max_n = 3

    def __init__(
        self,
        ngram_range: tuple[int, int] = (2, 3),
        *,
        min_df: int = 2,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype

    def ngram_counts(self, X: Iterable[str]) -> list[NgramCounts]:
        """The distinct n-grams of each document of ``X`` and their counts, chunk by chunk.

        They depend only on the documents and ``ngram_range``: fitted character blocks over
        the same documents share them, each looking up every distinct n-gram of a chunk once
        (:meth:`transform_counts`; :mod:`nlp.fastpath` does this).
        """
        return [_count(*coded) for coded in self._coded_chunks(_as_docs(X), self._units)]

    def transform_counts(self, counts: list[NgramCounts]) -> sparse.csr_matrix:
        """``transform`` of the documents whose :meth:`ngram_counts` are ``counts``.

        Each distinct n-gram of a chunk is looked up once; the columns of a row come in no
        particular order (products and norms do not mind; ``sort_indices`` orders them).
        """
        check_is_fitted(self, "codes_")
        parts = []
        for c in counts:
            column = self._columns(c.codes)[c.ids]
            known = column >= 0
            kept_before = np.concatenate(([0], np.cumsum(known)))
            parts.append(
                sparse.csr_matrix(
                    (c.counts[known].astype(self.dtype), column[known], kept_before[c.indptr]),
                    shape=(len(c.indptr) - 1, len(self.codes_)),
                )
            )
        return self._tfidf(parts)

    def _units(self, docs: list[str], *, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        docs = [_WHITE_SPACES.sub(" ", d) for d in docs]
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        units = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + 1
        return units, lengths

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The n-gram of each column."""
        check_is_fitted(self, "codes_")
        return np.array(["".join(chr(u - 1) for u in _decode(int(c), self._bits)) for c in self.codes_], dtype=object)


class WordNgramTfidf(_NgramTfidf):
    """TF-IDF of word n-grams (n from 1 to 2), as ``TfidfVectorizer(tokenizer=...)``.

    Stop words are removed before n-grams are formed, as scikit-learn does.

    Parameters
    ----------
    tokenizer : callable
        ``str -> list[str]``; :class:`nlp.tokenize.Tokenizer` in this project.
    ngram_range : (int, int), default=(1, 2)
    stop_words : list of str or None
    min_df, max_features, sublinear_tf, dtype
        As :class:`CharNgramTfidf`.

    Attributes
    ----------
    tokens_ : ndarray of object
        Every token seen in fitting; a token's unit is its position + 1.
    codes_, idf_
        As :class:`CharNgramTfidf`.
    """

    _bits = 31
    _max_n = 2

    def __init__(
        self,
        tokenizer: Callable[[str], list[str]],
        ngram_range: tuple[int, int] = (1, 2),
        *,
        stop_words: list[str] | None = None,
        min_df: int = 2,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        self.tokenizer = tokenizer
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype

    def _start_fit(self) -> None:
        self._fit_ids: dict[str, int] = {}

    def transform_tokens(self, lists: list[list[str]]) -> sparse.csr_matrix:
        """``transform`` of documents already tokenized by ``tokenizer`` (one token list per document).

        Fitted word blocks with the same tokenizer over the same documents can share the
        segmentation, the costliest step (:mod:`nlp.fastpath` does).
        """
        check_is_fitted(self, "codes_")
        return self._tfidf([self._counts(*coded) for coded in self._coded_chunks(lists, self._units_of_lists)])

    def _units(self, docs: list[str], *, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        return self._units_of_lists([self.tokenizer(doc) for doc in docs], fitting=fitting)

    def _units_of_lists(self, lists: list[list[str]], *, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        owner = np.repeat(np.arange(len(lists)), np.fromiter(map(len, lists), dtype=np.int64, count=len(lists)))
        # Stop words go before n-grams are formed (as in scikit-learn); unknown tokens stay, as 0.
        if fitting:
            # An object Index: pandas would otherwise infer Arrow strings and convert on every lookup.
            tokens = pd.Index(list(chain.from_iterable(lists)), dtype=object)
            is_stop = _index(self, "stop_words", lambda: list(self.stop_words or ())).get_indexer(tokens) >= 0
            tokens, owner = tokens[~is_stop], owner[~is_stop]
            local, uniques = pd.factorize(tokens)
            ids = self._fit_ids
            unit_of = np.array([ids.setdefault(u, len(ids)) for u in uniques], dtype=np.uint64) + 1
            units = unit_of[local] if len(local) else np.zeros(0, dtype=np.uint64)
        else:
            # One dict lookup per token, in C, finds stop words and vocabulary together (about
            # twice as fast as building a pandas Index of the tokens and searching it).
            lookup = _derived(self, "tokens", self._make_lookup)
            found = map(lookup.get, chain.from_iterable(lists), repeat(0))
            unit = np.fromiter(found, dtype=np.int64, count=len(owner))  # -1 stop word, 0 unknown
            keep = unit >= 0
            units, owner = unit[keep].astype(np.uint64), owner[keep]
        return units, np.bincount(owner, minlength=len(lists)).astype(np.int64)

    def _make_lookup(self) -> dict[str, int]:
        """Token -> unit for transforming: -1 for a stop word, else the vocabulary token's unit."""
        lookup = {t: u for u, t in enumerate(self.tokens_, start=1)}
        lookup.update(dict.fromkeys(self.stop_words or (), -1))  # a stop word never counts
        return lookup

    def fit(self, X: Iterable[str], y: Any = None) -> WordNgramTfidf:
        super().fit(X, y)
        self.tokens_ = np.array(list(self._fit_ids), dtype=object)  # a token's unit is its position + 1
        del self._fit_ids
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        if "tokens_" in state:
            # Pickled as one string and the tokens' end offsets: joblib unpickles an object array
            # item by item in pure Python: about half the load time of the public bundle.
            tokens = state.pop("tokens_").tolist()
            state[_PACKED_TOKENS] = ("".join(tokens), np.cumsum([0, *map(len, tokens)], dtype=np.int64))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        packed = state.pop(_PACKED_TOKENS, None)
        super().__setstate__(state)
        if packed is not None:
            text, ends = packed
            self.tokens_ = np.array([text[a:b] for a, b in pairwise(ends.tolist())], dtype=object)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The n-gram of each column (words joined by a space, as scikit-learn)."""
        check_is_fitted(self, "codes_")
        return np.array(
            [" ".join(self.tokens_[u - 1] for u in _decode(int(c), self._bits)) for c in self.codes_], dtype=object
        )
