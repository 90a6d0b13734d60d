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
