from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from demo.corpus import generate
from nlp.features import clean_tickets
from nlp.ngrams import CharNgramTfidf, WordNgramTfidf
from nlp.tokenize import Tokenizer, default_tokenizer


@pytest.fixture(scope="module")
def docs() -> list[str]:
    frame, _ = generate(n=400, weeks=2, seed=5)
    cleaned = clean_tickets(frame["title"].tolist(), frame["text"].tolist())["doc"]
    return [*cleaned, "", "  多个   空格\t和 2015-8-31 COVID-19 ", "单"]


def _same_matrix(ours, theirs, docs: list[str]) -> None:
    mine = ours.fit(docs).transform(docs)
    reference = theirs.fit_transform(docs)
    names = ours.get_feature_names_out()
    assert sorted(names) == sorted(theirs.vocabulary_)  # the same vocabulary ...
    order = np.array([theirs.vocabulary_[n] for n in names])
    assert mine.shape == reference.shape
    assert abs(mine - reference[:, order]).max() < 1e-6  # ... and the same weights, column for column


@pytest.mark.parametrize("ngram_range", [(1, 1), (2, 3), (1, 3)])
@pytest.mark.parametrize("min_df", [1, 2])
def test_char_ngrams_equal_scikit_learn(docs: list[str], ngram_range: tuple[int, int], min_df: int) -> None:
    reference = TfidfVectorizer(
        analyzer="char", ngram_range=ngram_range, lowercase=False, min_df=min_df, sublinear_tf=True, dtype=np.float32
    )
    _same_matrix(CharNgramTfidf(ngram_range, min_df=min_df), reference, docs)


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 2)])
def test_word_ngrams_equal_scikit_learn(docs: list[str], ngram_range: tuple[int, int]) -> None:
    tokenizer = default_tokenizer()
    stop = list(tokenizer.stop_words)
    reference = _scikit_learn_words(tokenizer, ngram_range, dtype=np.float32)
    _same_matrix(WordNgramTfidf(tokenizer, ngram_range, stop_words=stop), reference, docs)


def _scikit_learn_words(
    tokenizer: Tokenizer, ngram_range: tuple[int, int], dtype: type = np.float64
) -> TfidfVectorizer:
    """scikit-learn's vectorizer with the options WordNgramTfidf reproduces."""
    return TfidfVectorizer(
        tokenizer=tokenizer,
        token_pattern=None,
        lowercase=False,
        stop_words=list(tokenizer.stop_words),
        ngram_range=ngram_range,
        min_df=2,
        sublinear_tf=True,
        dtype=dtype,
    )


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_word_ngrams_of_unseen_text_equal_scikit_learn(docs: list[str], ngram_range: tuple[int, int]) -> None:
    """Tokens never seen in fitting and stop words, next to known tokens, as scikit-learn treats them."""
    tokenizer = default_tokenizer()
    stop = list(tokenizer.stop_words)
    reference = _scikit_learn_words(tokenizer, ngram_range).fit(docs[:150])
    ours = WordNgramTfidf(tokenizer, ngram_range, stop_words=stop, dtype=np.float64).fit(docs[:150])
    order = np.array([reference.vocabulary_[n] for n in ours.get_feature_names_out()])
    unseen = [*docs[150:], "我们的苏康码变黄了，怎么办"]
    assert abs(ours.transform(unseen) - reference.transform(unseen)[:, order]).max() < 1e-12


def test_unseen_text_and_chunks(docs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    vectorizer = CharNgramTfidf((2, 3)).fit(docs[:200])
    whole = vectorizer.transform(docs)
    monkeypatch.setattr("nlp.ngrams.NGRAM_BATCH", 7)  # many small chunks give the same rows
    assert abs(vectorizer.transform(docs) - whole).max() == 0
    unseen = vectorizer.transform(["☃☄☃", docs[0]])  # n-grams never seen in fitting count for nothing
    assert unseen.shape == (2, len(vectorizer.codes_)) and unseen[0].nnz == 0 and unseen[1].nnz > 0


@pytest.mark.parametrize("make", [lambda: CharNgramTfidf((1, 3)), lambda: WordNgramTfidf(default_tokenizer(), (1, 2))])
def test_binary_search_and_hash_lookup_give_the_same_columns(
    docs: list[str], make: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    vectorizer = make().fit(docs[:200])
    batch = [*docs[150:], "☃☄☃ 从未见过的词语组合"]  # known and unknown n-grams, past either end of the vocabulary
    monkeypatch.setattr("nlp.ngrams.SEARCH_SORTED_UP_TO", 0)  # hash index only
    hashed = vectorizer.transform(batch)
    monkeypatch.setattr("nlp.ngrams.SEARCH_SORTED_UP_TO", 10**9)  # binary search only
    searched = vectorizer.transform(batch)
    assert hashed.nnz > 0 and (hashed != searched).nnz == 0
    if isinstance(vectorizer, CharNgramTfidf):
        assert (vectorizer.transform_counts(vectorizer.ngram_counts(batch)) != hashed).nnz == 0


def test_shared_counts_give_each_block_its_own_matrix(docs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks fitted on different documents, one counting of the batch's n-grams between them.
    monkeypatch.setattr("nlp.ngrams.NGRAM_BATCH", 50)  # several chunks
    blocks = [CharNgramTfidf((1, 3)).fit(docs[:150]), CharNgramTfidf((1, 3), min_df=1).fit(docs[150:])]
    batch = [*docs, "☃☄☃", "哈哈哈哈哈", ""]  # unseen characters, repeated n-grams, an empty text
    counts = blocks[0].ngram_counts(batch)
    for block in blocks:
        shared = block.transform_counts(counts)
        assert shared.shape == (len(batch), len(block.codes_))
        assert abs(shared - block.transform(batch)).max() == 0


def test_pickle_keeps_the_vocabulary_and_drops_the_index(docs: list[str]) -> None:
    vectorizer = WordNgramTfidf(default_tokenizer(), (1, 2), min_df=2).fit(docs)
    before = vectorizer.transform(docs)  # builds the hash indexes
    state = vectorizer.__getstate__()
    assert set(vectorizer.__dict__["_derived"]) == {"codes", "stop_words", "tokens"}
    assert "_derived" not in state and {"codes_", "idf_"} <= set(state)
    loaded = pickle.loads(pickle.dumps(vectorizer))
    assert abs(loaded.transform(docs) - before).max() == 0
    assert loaded.tokens_.dtype == object and loaded.tokens_.tolist() == vectorizer.tokens_.tolist()


def test_tokens_pickle_as_one_string_and_older_pickles_still_load(docs: list[str]) -> None:
    vectorizer = WordNgramTfidf(default_tokenizer(), (1, 2), min_df=2).fit([*docs, "长长的词语 一 二"])
    state = vectorizer.__getstate__()
    assert "tokens_" not in state and isinstance(state["_packed_tokens"][0], str)
    older = dict(state)  # a bundle written before tokens were packed holds the array itself
    del older["_packed_tokens"]
    older["tokens_"] = vectorizer.tokens_.copy()
    restored = WordNgramTfidf.__new__(WordNgramTfidf)
    restored.__setstate__(older)
    assert restored.tokens_.tolist() == vectorizer.tokens_.tolist()
    assert abs(restored.transform(docs) - vectorizer.transform(docs)).max() == 0


def test_bad_parameters_and_inputs_say_what_was_expected(docs: list[str]) -> None:
    with pytest.raises(ValueError, match=r"expected ngram_range within \(1, 3\)"):
        CharNgramTfidf((2, 4)).fit(docs)
    with pytest.raises(ValueError, match=r"expected ngram_range within \(1, 2\)"):
        WordNgramTfidf(default_tokenizer(), (1, 3)).fit(docs)
    with pytest.raises(TypeError, match="expected an iterable of documents, got one str"):
        CharNgramTfidf().fit("一段话")
    with pytest.raises(ValueError, match="expected some n-gram in at least 2 documents"):
        CharNgramTfidf().fit(["甲乙", "丙丁"])


def test_refitting_forgets_the_earlier_vocabulary(docs: list[str]) -> None:
    vectorizer = WordNgramTfidf(default_tokenizer(), (1, 2), min_df=1).fit(docs[:50])
    vectorizer.transform(docs[:5])  # builds the lookup indexes of the first fit
    refitted = vectorizer.fit(docs[200:])
    fresh = WordNgramTfidf(default_tokenizer(), (1, 2), min_df=1).fit(docs[200:])
    assert abs(refitted.transform(docs) - fresh.transform(docs)).max() == 0
