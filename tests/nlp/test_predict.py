from __future__ import annotations

import json

import numpy as np
import pandas as pd

from nlp.bundle import Bundle
from nlp.predict import predict


def test_output_columns_and_order(bundle: Bundle, unseen: pd.DataFrame) -> None:
    sample = unseen.head(50)
    out = predict(bundle, sample)
    assert list(out.columns) == [
        "consultation", "consultation_proba", "covid", "covid_proba",
        "department", "department_proba", "department_top3", "route",
    ]  # fmt: skip
    assert len(out) == 50
    # Rows keep their order: predicting one ticket alone gives the same as in the batch.
    alone = predict(bundle, sample.iloc[[17]])
    assert alone.iloc[0].to_dict() == out.iloc[17].to_dict()


def test_top3_is_sorted_and_consistent(bundle: Bundle, unseen: pd.DataFrame) -> None:
    out = predict(bundle, unseen.head(30))
    for _, row in out.iterrows():
        probs = [p for _label, p in row["department_top3"]]
        assert probs == sorted(probs, reverse=True) and len(probs) == 3
        assert row["department_top3"][0] == [row["department"], row["department_proba"]]
        json.dumps(row["department_top3"], ensure_ascii=False)


def test_route_follows_the_stored_threshold(bundle: Bundle, unseen: pd.DataFrame) -> None:
    out = predict(bundle, unseen)
    threshold = bundle.route_threshold()
    assert threshold is not None
    assert ((out["department_proba"] >= threshold) == (out["route"] == "auto")).all()
    manual = Bundle(
        pipelines=bundle.pipelines,
        meta={**bundle.meta, "tasks": {**bundle.meta["tasks"], "department": {"route_threshold": None}}},
    )
    assert set(predict(manual, unseen.head(20))["route"]) == {"manual"}


def test_predictions_are_right_on_unseen_tickets(bundle: Bundle, unseen: pd.DataFrame) -> None:
    out = predict(bundle, unseen)
    assert (out["department"] == unseen["department"]).mean() > 0.85
    assert (out["covid"] == unseen["covid"]).mean() > 0.93
    assert (out["consultation"] == unseen["consultation"]).mean() > 0.88
    auto = out["route"] == "auto"
    assert (out.loc[auto, "department"] == unseen.loc[auto, "department"]).mean() > 0.93


def test_covid_tickets_without_the_word_covid(bundle: Bundle) -> None:
    out = predict(
        bundle,
        ["我的苏康码突然变成黄码了，怎么转绿？", "小区被划为封控区，团购的菜送不进来", "楼上邻居半夜拖动家具太吵了"],
    )
    assert list(out["covid"]) == [1, 1, 0]


def test_empty_batch(bundle: Bundle) -> None:
    assert len(predict(bundle, pd.DataFrame({"text": []}))) == 0


def test_top_k_is_honoured(bundle: Bundle, unseen: pd.DataFrame) -> None:
    out = predict(bundle, unseen.head(10), top_k=5)
    assert "department_top5" in out.columns and "department_top3" not in out.columns
    assert all(len(row) == 5 for row in out["department_top5"])
    assert [row[:3] for row in out["department_top5"]] == list(predict(bundle, unseen.head(10))["department_top3"])


def test_tasks_with_their_own_feature_steps_get_their_own_pipelines_answers(
    bundle: Bundle, unseen: pd.DataFrame
) -> None:
    # The public recipe fits each task on its own data set, so each has its own feature step;
    # predict shares the batch's cleaning and segmentation between them (nlp.fastpath).
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    from demo.corpus import generate
    from nlp.features import make_features
    from nlp.tokenize import default_tokenizer

    corpus, _ = generate(n=500, weeks=2, seed=3)
    covid = Pipeline(
        [
            ("features", make_features(default_tokenizer(), char_ngrams=(1, 3))),
            ("classifier", CalibratedClassifierCV(LinearSVC(), cv=3)),
        ]
    ).fit(corpus[["title", "text"]], corpus["covid"].astype(int))
    apart = Bundle(pipelines={**bundle.pipelines, "covid": covid}, meta=bundle.meta)
    tickets = unseen[["title", "text"]].head(120)
    out = predict(apart, tickets)
    expected = covid.predict_proba(tickets)[:, 1].round(4)
    assert np.abs(out["covid_proba"].to_numpy() - expected).max() < 1e-9
    assert out.drop(columns=["covid", "covid_proba"]).equals(
        predict(bundle, tickets).drop(columns=["covid", "covid_proba"])
    )
