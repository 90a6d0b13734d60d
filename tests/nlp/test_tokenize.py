from __future__ import annotations

import pickle
import warnings

import joblib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.lexicon import load_words
from nlp.tokenize import BACKENDS, Tokenizer, _content, default_tokenizer

SENTENCES = [
    "我的苏康码变黄码了，核酸检测结果还没出来",
    "姑苏区平江街道物业费上涨，请12345帮忙",
    "公积金提取和社保卡补办怎么办理？",
    "吴中区郭巷街道工地夜间施工噪音扰民",
]


# Sentences where the backends could part ways: user words, dates and codes with hyphens,
# decimals and percentages, Latin letters, digits glued to ideographs, long unknown names.
AGREEMENT = [
    *SENTENCES,
    "2015-8-31晚上在园区星海街看到COVID-19检测点，排队1-2小时",
    "电话0512-68881234无人接听，房价上涨3.5%，物业费2.8元/平方米",
    "苏E·12345的车辆违停在金鸡湖大道88号，APP扫码失败",
    "伊景园滨河苑捆绑销售车位，开发商要求每户另付10万元",
    "相城区黄桥街道某小区电梯坏了3天，业主群@物业没人理",
    "请问新冠疫苗第三针(加强针)在哪里打？60岁以上老人可以吗？",
    "我是从上海返苏人员，需要落地检吗？行程卡带星号怎么办",
]


def test_mixed_runs_are_split_as_jieba_does_and_symbols_dropped() -> None:
    tokens = ["2015-8-31", "苏康码", "，", " ", "3.5%", "COVID-19", "①"]
    assert _content(tokens, split_mixed=True) == ["2015", "8", "31", "苏康码", "3.5%", "COVID", "19", "①"]
    assert _content(tokens, split_mixed=False) == ["2015-8-31", "苏康码", "3.5%", "COVID-19", "①"]


@pytest.mark.parametrize("sentence", AGREEMENT)
def test_backends_give_the_same_tokens(sentence: str) -> None:
    tokens = {backend: default_tokenizer(backend)(sentence) for backend in BACKENDS}
    assert tokens["rjieba"] == tokens["jieba"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_user_words_are_kept_whole(backend: str) -> None:
    tokens = default_tokenizer(backend)("我的苏康码变黄码了，去核酸检测，在姑苏区交物业费")
    for word in ("苏康码", "黄码", "核酸检测", "姑苏区", "物业费"):
        assert word in tokens


@pytest.mark.parametrize(
    ("text", "word"), [("去核酸检测", "核酸检测"), ("在姑苏区交物业费", "姑苏区"), ("返乡报备和落地检", "落地检")]
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_without_user_words_jieba_splits_them(text: str, word: str, backend: str) -> None:
    # The dictionary matters: plain jieba cuts these hotline words (even into "区交").
    assert word not in Tokenizer(backend=backend)(text)
    assert word in default_tokenizer(backend)(text)


def test_punctuation_and_whitespace_are_dropped() -> None:
    assert default_tokenizer()("你好 ， 世界！！") == ["你好", "世界"]


def test_content_tokens_drop_stop_words() -> None:
    tokenizer = default_tokenizer()
    assert "的" in tokenizer("我的苏康码")
    assert tokenizer.content_tokens("我的苏康码") == ["苏康码"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dump", [pickle.dumps, lambda t: pickle.dumps(t, protocol=2)])
def test_pickle_round_trip_gives_identical_tokens(dump: object, backend: str) -> None:
    tokenizer = default_tokenizer(backend)
    loaded = pickle.loads(dump(tokenizer))  # type: ignore[operator]
    assert loaded == tokenizer and loaded.backend == backend
    for sentence in SENTENCES:
        assert loaded(sentence) == tokenizer(sentence)


def test_state_is_data_only() -> None:
    used = default_tokenizer()
    used("苏康码变黄码")  # a used tokenizer remembers its segmenter, which must not be pickled
    state = used.__getstate__()
    assert set(state) == {"user_words", "stop_words", "backend"}
    assert all(isinstance(w, str) for w in state["user_words"])


def test_a_changed_dictionary_rebuilds_the_segmenter() -> None:
    tokenizer = Tokenizer(backend="rjieba")
    assert "变黄了" not in tokenizer("我的苏康码变黄了")
    tokenizer.user_words = ("变黄了",)
    assert "变黄了" in tokenizer("我的苏康码变黄了")


def test_fitted_vectorizer_round_trips_through_joblib(tmp_path) -> None:
    tokenizer = default_tokenizer()
    vectorizer = TfidfVectorizer(
        tokenizer=tokenizer, token_pattern=None, lowercase=False, stop_words=list(tokenizer.stop_words)
    )
    matrix = vectorizer.fit_transform(SENTENCES)
    joblib.dump(vectorizer, tmp_path / "v.joblib")
    loaded = joblib.load(tmp_path / "v.joblib")
    assert (loaded.transform(SENTENCES) != matrix).nnz == 0
    assert "苏康码" in loaded.vocabulary_


def test_stop_words_are_single_tokens_so_vectorizers_do_not_warn() -> None:
    tokenizer = default_tokenizer()
    assert [w for w in tokenizer.stop_words if tokenizer(w) != [w]] == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TfidfVectorizer(
            tokenizer=tokenizer, token_pattern=None, lowercase=False, stop_words=list(tokenizer.stop_words)
        ).fit(SENTENCES)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="expected backend in"):
        Tokenizer(backend="nope")("文本")


def test_shipped_lists_are_clean() -> None:
    words = load_words("user_words")
    assert "苏康码" in words and len(words) == len(set(words))
    with pytest.raises(ValueError, match="expected a shipped word list"):
        load_words("missing")


_TRICKY = "苏康码核酸中心㐀䶵鿿豈﨑𠀀䷀\ufa6e。，、！? +#&._%-\r\n \tabcAZ019①é😀·"


@pytest.mark.parametrize("backend", BACKENDS)
@given(text=st.text(alphabet=st.sampled_from(_TRICKY), max_size=30))
@settings(max_examples=300, deadline=None)
def test_texts_without_mixed_runs_skip_the_slow_filter_exactly(backend: str, text: str) -> None:
    tokenizer = default_tokenizer(backend)
    segmenter = tokenizer._segmenter()
    raw = segmenter.cut(text) if backend == "rjieba" else segmenter.lcut(text)
    assert tokenizer(text) == _content(raw, split_mixed=backend == "rjieba")


@pytest.mark.parametrize("backend", BACKENDS)
def test_tags_cover_the_text_and_tell_names_from_clause_words(backend: str) -> None:
    text = "居民可以出小区，去苏康码窗口"
    tagged = default_tokenizer(backend).tag(text)
    assert "".join(word for word, _ in tagged) == text
    flags = dict(tagged)
    assert flags["小区"].startswith("n") and flags["可以"] == "c" and flags["苏康码"] == "x"  # a user word
