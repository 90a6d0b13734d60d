"""A picklable jieba tokenizer that carries its user dictionary and stop words as data.

jieba's module-level ``jieba.lcut`` is process-global state and its ``Tokenizer``
does not pickle. :class:`Tokenizer` keeps only plain data (words, backend name) in
its state and builds the segmenter lazily, so a fitted vectorizer that holds it
pickles, loads in another process and yields the same tokens.

Backends
--------
``jieba``
    The reference: jieba's pure-Python segmenter (about 0.4 M characters/s here).
``rjieba``
    jieba-rs, the Rust port, through the ``rjieba`` binding: the same dictionary, HMM
    and user words, about 15x faster. The two differ in one place: jieba splits a run of
    letters, digits and symbols such as ``2015-8-31`` into ``2015 - 8 - 31`` and jieba-rs
    keeps it whole; :func:`_content` splits such tokens the way jieba does, after
    which the backends give identical tokens on 99.99% of the real messages (see
    ``bench/throughput.py``). Both support the user dictionary.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from itertools import filterfalse
from typing import Any

from nlp.lexicon import load_words

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Tokenizer", "cached_tokens", "default_tokenizer"]

BACKENDS = ("jieba", "rjieba")
DEFAULT_BACKEND = "rjieba"

_build_lock = threading.Lock()
_memo: ContextVar[dict[tuple[str, tuple[str, ...], str], list[str]] | None] = ContextVar("_memo", default=None)


@contextmanager
def cached_tokens() -> Iterator[None]:
    """Remember every segmentation made inside the block.

    Cross-validation segments the same texts once per fold; inside this block each text
    is segmented once. Memory grows with the texts seen, so it is for training runs only.
    """
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _is_content(token: str) -> bool:
    """True for tokens with at least one letter, digit or ideograph."""
    return token.isalnum() or any(unicodedata.category(ch)[0] in "LN" for ch in token)


# jieba's HMM step cuts a non-Chinese run into letter/digit runs (a decimal, a percent
# sign) and single other characters; jieba-rs keeps the run whole.
_JIEBA_SKIP = re.compile(r"[a-zA-Z0-9]+(?:\.\d+)?%?|.", re.DOTALL)
_HAN = re.compile("[\u4e00-\u9fd5]")


def _may_mix_pattern() -> re.Pattern[str]:
    """Characters that a token of several characters can hold without being a word or a number.

    The segmenters keep runs of ideographs, ASCII letters, digits and "+#&._%-" together and
    emit "\r\n" whole. Ideographs are alphanumeric except a few symbols and unassigned code
    points of the ideograph blocks (listed here from this Python's Unicode data); the rare
    supplementary ideographs are all listed, a superset. One character class: a lookahead per
    position would cost more than the filter it saves.
    """
    odd = [chr(c) for lo, hi in ((0x3400, 0xA000), (0xF900, 0xFB00)) for c in range(lo, hi) if not chr(c).isalnum()]
    return re.compile("[+#&._%\\-\r" + "".join(odd) + "\U00020000-\U0003ffff]")


# A text with none of these characters skips the token filter's slow path (a test compares both).
_MAY_MIX = _may_mix_pattern()


def _content(tokens: list[str], *, split_mixed: bool) -> list[str]:
    """The content tokens, mixed runs split as jieba does when ``split_mixed`` (one pass, the hot loop)."""
    if max(map(len, filterfalse(str.isalnum, tokens)), default=0) <= 1:
        # The usual case, in C: what is not a word or number is one punctuation mark or space.
        return list(filter(str.isalnum, tokens))
    out: list[str] = []
    for token in tokens:
        if token.isalnum():  # nearly every token: words, numbers
            out.append(token)
        elif len(token) == 1:  # one character that is not a letter or digit: punctuation, space, symbol
            continue
        elif split_mixed and len(token) > 1 and not _HAN.search(token):
            out.extend(t for t in _JIEBA_SKIP.findall(token) if _is_content(t))
        elif _is_content(token):
            out.append(token)
    return out


@lru_cache(maxsize=8)
def _build_jieba(user_words: tuple[str, ...]) -> Any:
    """Build one jieba segmenter per user dictionary and process (loading takes ~0.7 s)."""
    import jieba  # imported here: jieba prints and touches its cache file when first used

    logging.getLogger("jieba").setLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    for word in user_words:
        segmenter.add_word(word)
    return segmenter


@lru_cache(maxsize=8)
def _build_rjieba(user_words: tuple[str, ...]) -> Any:
    """Build one jieba-rs segmenter per user dictionary and process (loading takes ~0.2 s)."""
    try:
        import rjieba
    except ImportError as exc:  # a runtime dependency, but say what to do if it is missing
        raise ImportError(
            "the 'rjieba' tokenizer backend needs the rjieba package: pip install rjieba, or train with backend='jieba'"
        ) from exc
    segmenter = rjieba.Jieba()
    for word in user_words:
        segmenter.add_word(word, None, None)  # no frequency: jieba-rs suggests one that keeps it whole
    return segmenter


class Tokenizer:
    """Segment Chinese ticket text into content tokens.

    Parameters
    ----------
    user_words : iterable of str, default=()
        Words the segmenter must keep whole (苏康码, 核酸检测, district names ...).
    stop_words : iterable of str, default=()
        Words that carry no meaning for the hotline; :meth:`content_tokens` drops them,
        and :func:`nlp.features.make_features` passes them to the vectorizers.
    backend : {"jieba", "rjieba"}, default="rjieba"
        The segmentation engine (see the module docstring); bundles record it.

    Notes
    -----
    Calling the tokenizer drops whitespace and punctuation-only tokens, keeps stop words
    (scikit-learn's vectorizers remove them), and expects normalised text.
    """

    def __init__(
        self,
        *,
        user_words: Iterable[str] = (),
        stop_words: Iterable[str] = (),
        backend: str = DEFAULT_BACKEND,
    ) -> None:
        self.user_words = tuple(user_words)
        self.stop_words = tuple(stop_words)
        self.backend = backend

    def _segmenter(self) -> Any:
        # Remembered on the instance (never pickled): the lock and the cache lookup, which hashes
        # every user word, cost more than segmenting a short ticket.
        known = self.__dict__.get("_engine")
        if known is not None and known[0] is self.user_words and known[1] == self.backend:
            return known[2]
        if self.backend not in BACKENDS:
            raise ValueError(f"expected backend in {BACKENDS}, got {self.backend!r}")
        with _build_lock:
            engine = _build_rjieba(self.user_words) if self.backend == "rjieba" else _build_jieba(self.user_words)
        self._engine = (self.user_words, self.backend, engine)
        return engine

    def __call__(self, text: str) -> list[str]:
        """Return the tokens of ``text`` (whitespace and punctuation removed)."""
        memo = _memo.get()
        if memo is None:
            return self._cut(text)
        key = (self.backend, self.user_words, text)
        tokens = memo.get(key)
        if tokens is None:
            tokens = memo[key] = self._cut(text)
        return list(tokens)

    def _cut(self, text: str) -> list[str]:
        rjieba = self.backend == "rjieba"
        tokens = self._segmenter().cut(text) if rjieba else self._segmenter().lcut(text)
        if _MAY_MIX.search(text) is None:  # every token is a word, a number or a single mark
            return list(filter(str.isalnum, tokens))
        return _content(tokens, split_mixed=rjieba)

    def tag(self, text: str) -> list[tuple[str, str]]:
        """Words of ``text`` with their part-of-speech tags (jieba's tag set: ``n``, ``ns``, ``v``, ``c`` ...).

        Every word is kept, punctuation too: the words joined give ``text`` back.
        """
        segmenter = self._segmenter()
        if self.backend == "rjieba":
            # A user word has no tag in jieba-rs (""); jieba calls it "x", as any unknown word.
            return [(word, flag or "x") for word, flag in segmenter.tag(text, True)]
        known = self.__dict__.get("_pos")
        if known is None or known[0] is not segmenter:
            import jieba.posseg

            known = self._pos = (segmenter, jieba.posseg.POSTokenizer(segmenter))
        return [(pair.word, pair.flag) for pair in known[1].lcut(text)]

    def content_tokens(self, text: str) -> list[str]:
        """Return the tokens of ``text`` without stop words (for keywords and labels)."""
        stop = self._stop_set()
        return [t for t in self(text) if t not in stop]

    def _stop_set(self) -> frozenset[str]:
        return _frozen(self.stop_words)

    def __repr__(self) -> str:
        return f"Tokenizer(backend={self.backend!r}, user_words=<{len(self.user_words)} words>, stop_words=<{len(self.stop_words)} words>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and (
            (self.backend, self.user_words, self.stop_words) == (other.backend, other.user_words, other.stop_words)
        )

    def __hash__(self) -> int:
        return hash((self.backend, self.user_words, self.stop_words))

    def __getstate__(self) -> dict[str, Any]:
        # Only data: the segmenter is rebuilt (or taken from the process cache) after loading.
        return {"user_words": self.user_words, "stop_words": self.stop_words, "backend": self.backend}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.user_words = tuple(state["user_words"])
        self.stop_words = tuple(state["stop_words"])
        self.backend = state["backend"]


@lru_cache(maxsize=8)
def _frozen(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words)


def default_tokenizer(backend: str = DEFAULT_BACKEND) -> Tokenizer:
    """Return a tokenizer with the shipped hotline user dictionary and stop words."""
    return Tokenizer(user_words=load_words("user_words"), stop_words=load_words("stop_words"), backend=backend)
