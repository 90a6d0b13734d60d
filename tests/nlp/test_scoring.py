from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nlp.bundle import Bundle
from nlp.scoring import AUTO_MIN_CONFIDENCE, Scores, TaskScores, score


def _score(bundle: Bundle, tickets: pd.DataFrame, **options: bool) -> Scores:
    return score(bundle, tickets["title"].tolist(), tickets["text"].tolist(), **options)


def test_every_task_gives_the_pipelines_own_probabilities(bundle: Bundle, unseen: pd.DataFrame) -> None:
    tickets = unseen[["title", "text"]].head(80)
    scores = _score(bundle, tickets, keep_features=True)
    assert list(scores.tasks) == bundle.tasks and len(scores) == 80
    for task, pipeline in bundle.pipelines.items():
        expected = pipeline.predict_proba(tickets)
        assert np.abs(scores.tasks[task].proba - expected).max() < 1e-9
        assert list(scores.tasks[task].classes) == list(pipeline.classes_)
        # The kept matrix is what the head saw: scikit-learn's own feature step gives the same.
        reference = pipeline.steps[0][1].transform(tickets)
        assert abs(scores.features[task] - reference).max() < 1e-6


def test_tasks_sharing_a_feature_step_share_one_matrix(bundle: Bundle, unseen: pd.DataFrame) -> None:
    scores = _score(bundle, unseen.head(5), keep_features=True)
    assert len({id(m) for m in scores.features.values()}) == 1
    assert _score(bundle, unseen.head(5)).features == {}


def test_batches_give_what_one_batch_gives(
    bundle: Bundle, unseen: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = unseen.head(50)
    whole = _score(bundle, sample, keep_features=True)
    monkeypatch.setattr("nlp.scoring.SCORE_BATCH", 7)  # 50 tickets in 8 batches
    batched = _score(bundle, sample, keep_features=True)
    for task in whole.tasks:
        assert np.array_equal(whole.tasks[task].proba, batched.tasks[task].proba)
        assert abs(whole.features[task] - batched.features[task]).max() == 0
    assert whole.route is not None and batched.route is not None
    assert list(whole.route) == list(batched.route)
    assert len({id(m) for m in batched.features.values()}) == 1


def test_seed_terms_make_a_binary_task_positive(bundle: Bundle) -> None:
    tasks = {**bundle.meta["tasks"], "covid": {**bundle.meta["tasks"]["covid"], "seeds": ["狂犬"]}}
    seeded = Bundle(pipelines=bundle.pipelines, meta={**bundle.meta, "tasks": tasks})
    titles, texts = ["", ""], ["被狗咬了要打狂犬疫苗去哪里", "被狗咬了要打疫苗去哪里"]
    plain, rule = score(bundle, titles, texts).tasks["covid"], score(seeded, titles, texts).tasks["covid"]
    assert rule.positive()[0] == 1.0 and rule.proba[0, 0] == 0.0 and plain.positive()[0] < 1.0
    assert rule.positive()[1] == plain.positive()[1]  # no seed, the classifier decides


def test_route_follows_the_routing_task_threshold(bundle: Bundle, unseen: pd.DataFrame) -> None:
    scores = _score(bundle, unseen.head(100))
    threshold = bundle.route_threshold("department")
    assert bundle.routing_task() == "department" and threshold is not None
    confident = scores.tasks["department"].proba.max(axis=1).round(4) >= threshold
    assert scores.route is not None and list(scores.route == "auto") == list(confident)


def test_a_ticket_below_even_odds_stays_manual_whatever_the_stored_threshold(
    bundle: Bundle, unseen: pd.DataFrame
) -> None:
    # A bundle calibrated before the floor may store a threshold under 0.5.
    tasks = {**bundle.meta["tasks"], "department": {**bundle.meta["tasks"]["department"], "route_threshold": 0.0}}
    low = Bundle(pipelines=bundle.pipelines, meta={**bundle.meta, "tasks": tasks})
    # Tickets that say nothing of their matter sit next to ordinary ones.
    vague = pd.DataFrame({"title": ["", "", ""], "text": ["你好", "有个问题想反映一下", "请问这个归谁管"]})
    scores = _score(low, pd.concat([unseen.head(100)[["title", "text"]], vague], ignore_index=True))
    confidence = scores.tasks["department"].proba.max(axis=1).round(4)
    assert (confidence <= AUTO_MIN_CONFIDENCE).any() and (confidence > AUTO_MIN_CONFIDENCE).any()
    assert scores.route is not None and list(scores.route == "auto") == list(confidence > AUTO_MIN_CONFIDENCE)


def test_task_scores_rank_and_decide() -> None:
    scored = TaskScores("department", np.array(["a", "b", "c"], dtype=object), np.array([[0.2, 0.5, 0.3]]))
    labels, probs = scored.top(2)
    assert labels.tolist() == [["b", "c"]] and probs.tolist() == [[0.5, 0.3]]
    assert scored.decision().tolist() == ["b"]
    binary = TaskScores("covid", np.array([0, 1]), np.array([[0.4, 0.6], [0.7, 0.3]]))
    assert binary.decision().tolist() == [1, 0] and binary.positive().tolist() == [0.6, 0.3]
    with pytest.raises(ValueError, match="expected k >= 1, got 0"):
        scored.top(0)


@pytest.mark.parametrize("n_classes", [3, 40, 900])
def test_top_classes_are_a_stable_sorts_first_k_and_leave_the_scores_alone(n_classes: int) -> None:
    # Most units of a ticket are 0 (platforms not evaluated) and rounded values tie: the first
    # of equal values comes first, as a stable sort of the whole row puts it.
    rng = np.random.default_rng(n_classes)
    proba = np.round(rng.random((300, n_classes)) ** 6, 2)
    proba[rng.random(proba.shape) < 0.7] = 0.0
    proba[:5] = 0.0  # nothing plausible at all
    before = proba.copy()
    k = min(5, n_classes)
    order, probs = TaskScores("unit", np.arange(n_classes).astype(object), proba).top_indices(k)
    expected = np.argsort(-before, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(probs, np.take_along_axis(before, expected, axis=1))
    np.testing.assert_array_equal(proba, before)


def test_titles_and_texts_must_pair(bundle: Bundle) -> None:
    with pytest.raises(ValueError, match="expected as many titles as texts, got 1 and 2"):
        score(bundle, ["a"], ["b", "c"])
