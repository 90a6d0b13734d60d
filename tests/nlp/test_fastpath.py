from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from nlp.bundle import Bundle
from nlp.fastpath import FastFeatures, FastHead, fast_features, fast_head


def test_fast_path_equals_the_pipeline(bundle: Bundle, unseen: pd.DataFrame) -> None:
    tickets = unseen[["title", "text"]].head(200)
    for pipeline in bundle.pipelines.values():
        features, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
        fast_f, fast_c = fast_features(features), fast_head(classifier)
        assert isinstance(fast_f, FastFeatures) and isinstance(fast_c, FastHead)
        matrix = features.transform(tickets)
        assert abs(fast_f.transform(tickets) - matrix).max() == 0
        np.testing.assert_allclose(fast_c.predict_proba(matrix), pipeline.predict_proba(tickets), rtol=0, atol=1e-12)


def test_fast_path_is_compiled_once(bundle: Bundle) -> None:
    classifier = bundle.pipelines["department"].steps[-1][1]
    assert fast_head(classifier) is fast_head(classifier)


def test_unrecognised_heads_fall_back_to_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)), np.repeat([0, 1, 2], 20)
    isotonic = CalibratedClassifierCV(LogisticRegression(), method="isotonic", cv=3).fit(X, y)
    assert fast_head(isotonic) is isotonic
    plain = LogisticRegression().fit(X, y)
    assert fast_head(plain) is plain


def test_feature_steps_fitted_apart_share_work_and_give_their_own_matrices(unseen: pd.DataFrame) -> None:
    # A bundle trained on several data sets has a feature step per task: they clean, segment
    # and cut characters once per batch between them, and each still gives its own matrix.
    from demo.corpus import generate
    from nlp.features import make_features
    from nlp.tokenize import Tokenizer, default_tokenizer

    corpus, _ = generate(n=400, weeks=2, seed=5)
    fitted = [
        make_features(default_tokenizer()).fit(corpus.iloc[:200]),  # characters (2, 3)
        make_features(default_tokenizer(), char_ngrams=(1, 3)).fit(corpus.iloc[200:]),
        make_features(default_tokenizer(), min_df=3).fit(corpus),  # characters (2, 3) again
        make_features(Tokenizer(user_words=["电瓶被偷"], stop_words=["的"]), char_ngrams=None).fit(corpus),
    ]
    tickets = unseen[["title", "text"]].head(300)
    shared: dict[object, object] = {}
    for features in fitted:
        fast = fast_features(features)
        assert isinstance(fast, FastFeatures)
        matrix = fast.transform_lists(tickets["title"].tolist(), tickets["text"].tolist(), shared)
        assert abs(matrix - features.transform(tickets)).max() == 0
    kinds = sorted(key[1] for key in shared if isinstance(key, tuple))
    # Tokens of documents and of titles for each of the two tokenizers, characters (2, 3) and
    # (1, 3) of documents.
    assert kinds == ["chars", "chars", "tokens", "tokens", "tokens", "tokens"]
