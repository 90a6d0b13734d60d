"""The feature pipeline shared by every classifier head.

Ticket records (a DataFrame with ``text`` and optionally ``title``) become one sparse
matrix: word TF-IDF of title + body, character n-gram TF-IDF of the same, and word
TF-IDF of the title alone, weighted apart because titles are short and telling.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from nlp.ngrams import CharNgramTfidf, WordNgramTfidf
from nlp.places import PlaceFeatures
from nlp.text import clean_many
from nlp.tokenize import Tokenizer

__all__ = ["TicketText", "as_ticket_frame", "make_features"]


def as_ticket_frame(tickets: Any) -> pd.DataFrame:
    """Coerce tickets to a DataFrame with string columns ``title`` and ``text``.

    Accepts a DataFrame with a ``text`` column (``title`` optional), a list of
    mappings, or a list of strings (bodies without titles).
    """
    if isinstance(tickets, pd.DataFrame):
        frame = tickets
    elif isinstance(tickets, list | tuple) and all(isinstance(t, str) for t in tickets):
        frame = pd.DataFrame({"text": list(tickets)})
    elif isinstance(tickets, list | tuple):
        frame = pd.DataFrame(list(tickets))
    else:
        raise TypeError(f"expected a DataFrame or a list of tickets, got {type(tickets).__name__}")
    if "text" not in frame.columns:
        raise ValueError(f"expected a 'text' column, got columns {list(frame.columns)}")
    title = frame["title"] if "title" in frame.columns else pd.Series("", index=frame.index)
    return pd.DataFrame(
        {
            "title": title.fillna("").astype(str).to_numpy(),
            "text": frame["text"].fillna("").astype(str).to_numpy(),
        }
    )


_FIRST_CLAUSE = re.compile(r"^[^,.;!?，。；！？:：]{1,40}")


def _headline(title: str, body: str) -> str:
    """The title, or the body's first clause when a ticket has none (exports often lack titles)."""
    if title:
        return title
    match = _FIRST_CLAUSE.match(body)
    return match.group(0) if match else body[:40]


def clean_tickets(titles: Sequence[str], texts: Sequence[str]) -> dict[str, list[str]]:
    """Cleaned ``title`` (the title, or the body's first clause) and ``doc`` (title + body) lists."""
    both = clean_many([*titles, *texts])  # one batch: most of the cleaning runs once for all
    clean_titles, bodies = both[: len(titles)], both[len(titles) :]
    docs = [f"{t} {b}" if t and not b.startswith(t) else b for t, b in zip(clean_titles, bodies, strict=True)]
    headlines = [_headline(t, b) for t, b in zip(clean_titles, bodies, strict=True)]
    return {"title": headlines, "doc": docs}


class TicketText(TransformerMixin, BaseEstimator):
    """Clean ticket records into the ``title`` and ``doc`` (title + body) columns.

    Stateless: cleaning is normalisation then PII masking (:func:`nlp.text.clean`),
    done inside the pipeline so that serving cannot diverge from training. A ticket
    without a title gets its body's first clause as title.
    """

    def fit(self, X: Any, y: Any = None) -> TicketText:
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        frame = as_ticket_frame(X)
        return pd.DataFrame(clean_tickets(frame["title"].tolist(), frame["text"].tolist()))


def make_features(
    tokenizer: Tokenizer,
    *,
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] | None = (2, 3),
    title_weight: float = 0.5,
    char_weight: float = 0.6,
    min_df: int = 2,
    max_features: int | None = 300_000,
    places: bool = False,
    place_weight: float = 0.5,
) -> Pipeline:
    """Build the (unfitted) feature pipeline.

    Parameters
    ----------
    tokenizer : Tokenizer
        Segments words; its stop words are passed to the word vectorizers.
    word_ngrams, char_ngrams : (int, int)
        n-gram ranges; ``char_ngrams=None`` leaves character n-grams out.
    title_weight, char_weight : float
        Weights of the title block and the character block relative to body words.
    min_df : int
        Terms in fewer documents are ignored (also keeps rare personal data out).
    max_features : int or None
        Vocabulary cap per block, so memory stays bounded on large exports.
    places : bool
        Add the problem's place of each ticket as indicator columns (district, street,
        community; :class:`nlp.places.PlaceFeatures`): the evidence routing to a platform needs,
        resolved through the gazetteer so that a street never seen in training still names
        its district.
    place_weight : float
        Weight of the place block.
    """

    def words(ngrams: tuple[int, int]) -> WordNgramTfidf:
        # The same matrix as TfidfVectorizer(tokenizer=..., token_pattern=None, lowercase=False),
        # built in bulk (see nlp.ngrams); normalisation already folded case.
        return WordNgramTfidf(
            tokenizer,
            ngrams,
            stop_words=list(tokenizer.stop_words) or None,
            min_df=min_df,
            max_features=max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )

    blocks: list[tuple[str, Any, Any]] = [("words", words(word_ngrams), "doc"), ("title", words((1, 1)), "title")]
    weights = {"words": 1.0, "title": title_weight}
    if char_ngrams is not None:
        # The same matrix as TfidfVectorizer(analyzer="char"), built in bulk (see nlp.ngrams).
        chars = CharNgramTfidf(
            char_ngrams, min_df=min_df, max_features=max_features, sublinear_tf=True, dtype=np.float32
        )
        blocks.append(("chars", chars, "doc"))
        weights["chars"] = char_weight
    if places:
        # The cleaned document holds title and body; the title column is only its headline.
        blocks.append(("places", PlaceFeatures(title_col="", text_col="doc"), ["doc"]))
        weights["places"] = place_weight
    vectors = ColumnTransformer(blocks, transformer_weights=weights, sparse_threshold=1.0)
    return Pipeline([("text", TicketText()), ("vectors", vectors)])
