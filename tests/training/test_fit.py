from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from demo.corpus import generate
from nlp.errors import InputError
from nlp.tokenize import default_tokenizer
from training.fit import TrainConfig, check_labels, fit_tasks

FAST = TrainConfig(folds=3, char_ngrams=None)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    frame, _ = generate(n=1200, weeks=4, seed=7)
    return frame


@pytest.mark.parametrize("task", ["consultation", "covid", "department"])
def test_each_task_learns_and_beats_shuffled_labels(frame: pd.DataFrame, unseen: pd.DataFrame, task: str) -> None:
    """A head trained on the labels predicts unseen tickets; one trained on shuffled labels cannot."""
    tokenizer = default_tokenizer()
    real = fit_tasks(frame, [task], tokenizer, FAST, progress=False).pipelines[task]
    shuffled = frame.assign(**{task: np.random.default_rng(0).permutation(frame[task].to_numpy())})
    noise = fit_tasks(shuffled, [task], tokenizer, FAST, progress=False).pipelines[task]
    tickets = unseen[["title", "text"]]
    truth = unseen[task].astype(str) if task == "department" else unseen[task]
    acc_real = (pd.Series(real.predict(tickets)).astype(truth.dtype) == truth.to_numpy()).mean()
    acc_noise = (pd.Series(noise.predict(tickets)).astype(truth.dtype) == truth.to_numpy()).mean()
    assert acc_real > 0.85
    assert acc_real > acc_noise + 0.05


def test_out_of_fold_report_and_threshold(frame: pd.DataFrame) -> None:
    result = fit_tasks(frame, ["department"], default_tokenizer(), FAST, progress=False)
    meta = result.task_meta["department"]
    assert meta["route_threshold"] is not None and meta["auto_precision"] >= 0.97
    report = result.reports["department"]
    assert report["n"] == len(frame) and 0.8 < report["accuracy"] < 1.0
    assert report["top3_accuracy"] >= report["accuracy"]


def test_rows_missing_one_label_still_train_the_others(frame: pd.DataFrame) -> None:
    partial = frame.astype({"covid": "Int8"}).copy()
    partial.loc[partial.index[:300], "covid"] = pd.NA
    result = fit_tasks(partial, ["covid", "department"], default_tokenizer(), FAST, progress=False)
    assert result.task_meta["covid"]["n_train"] == len(frame) - 300
    assert result.task_meta["department"]["n_train"] == len(frame)


def test_rare_labels_are_refused_or_dropped(frame: pd.DataFrame) -> None:
    rare = frame.copy()
    rare.loc[rare.index[:3], "department"] = "市档案馆"
    with pytest.raises(InputError, match=r"fewer than 10 examples.*'市档案馆' \(3\).*--drop-rare-labels"):
        check_labels(rare, ["department"], TrainConfig())
    kept, notes = check_labels(rare, ["department"], TrainConfig(), drop_rare=True)
    assert kept["department"].isna().sum() == 3 and "市档案馆" in notes[0]


def test_single_class_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="1 distinct value"):
        check_labels(frame.assign(covid=1), ["covid"], TrainConfig())


def test_no_tasks_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="no label column"):
        fit_tasks(frame, [], default_tokenizer(), FAST)


def test_large_exports_train_once_with_a_holdout(frame: pd.DataFrame, unseen: pd.DataFrame) -> None:
    """Above holdout_above rows: one fit, evaluated on held-out rows; heads still calibrated and fast-pathed."""
    from nlp.fastpath import FastHead, fast_head

    config = TrainConfig(holdout_above=1000, holdout_fraction=0.1, char_ngrams=None)
    result = fit_tasks(frame, ["covid", "department"], default_tokenizer(), config, progress=False)
    meta = result.task_meta["department"]
    assert meta["evaluation"] == "holdout" and meta["n_evaluation"] == meta["n_calibration"] == 120
    assert meta["n_train"] == len(frame) - 240
    assert result.reports["department"]["n"] == 120
    pipeline = result.pipelines["department"]
    tickets = unseen[["title", "text"]]
    accuracy = (pipeline.predict(tickets) == unseen["department"].astype(str).to_numpy()).mean()
    assert accuracy > 0.85
    features, head = pipeline.steps[0][1], pipeline.steps[1][1]
    x = features.transform(tickets)
    compiled = fast_head(head)
    assert isinstance(compiled, FastHead)
    np.testing.assert_allclose(compiled.predict_proba(x), head.predict_proba(x), atol=1e-6)  # float32 SGD weights
    assert result.pipelines["covid"].steps[0][1] is features  # one shared feature step


def test_tasks_on_disjoint_rows_get_their_own_features(frame: pd.DataFrame) -> None:
    """A recipe taking each task from another data set: each head's vocabulary is its own rows'."""
    split = frame.copy()
    split.loc[: len(frame) // 2, "covid"] = None  # covid labels on the second half only
    split.loc[len(frame) // 2 + 1 :, "department"] = None  # department on the first half only
    result = fit_tasks(split, ["covid", "department"], default_tokenizer(), FAST, progress=False)
    covid_features = result.pipelines["covid"].steps[0][1]
    department_features = result.pipelines["department"].steps[0][1]
    assert covid_features is not department_features
    assert np.isnan(result.held_out["covid"][: len(frame) // 2]).all()
    assert not np.isnan(result.held_out["covid"][len(frame) // 2 + 1 :]).any()
    shared = fit_tasks(frame, ["covid", "department"], default_tokenizer(), FAST, progress=False)
    assert shared.pipelines["covid"].steps[0][1] is shared.pipelines["department"].steps[0][1]


def test_shared_features_fit_one_step_on_every_tasks_texts(frame: pd.DataFrame) -> None:
    """With ``shared_features``, tasks on disjoint rows share one feature step that knows both halves' words."""
    half = len(frame) // 2
    split = frame.copy()
    split.loc[: half - 1, "covid"] = None
    split.loc[half:, "department"] = None
    # A word only the covid half uses: a feature step fitted on the department half alone lacks it.
    split.loc[half:, "text"] = split.loc[half:, "text"] + " 榴莲芒果"
    config = TrainConfig(folds=3, char_ngrams=None, shared_features=True, holdout_above=half + 10)
    result = fit_tasks(split, ["covid", "department"], default_tokenizer(), config, progress=False)
    step = result.pipelines["department"].steps[0][1]
    assert result.pipelines["covid"].steps[0][1] is step
    assert _knows(step, "榴莲")
    apart = fit_tasks(split, ["covid", "department"], default_tokenizer(), replace(config, shared_features=False))
    assert not _knows(apart.pipelines["department"].steps[0][1], "榴莲")
    # Cross-validated (each task has fewer labelled rows than holdout_above, the frame more):
    # every labelled row has an out-of-fold probability, every other row none.
    assert "evaluation" not in result.task_meta["department"]
    assert not np.isnan(result.held_out["department"][:half]).any()
    assert np.isnan(result.held_out["department"][half:]).all()
    predicted = result.pipelines["department"].predict(split[["title", "text"]].head(half))
    assert (predicted == split["department"].head(half).astype(str)).mean() > 0.85


def _knows(step: Any, word: str) -> bool:
    """Whether a fitted feature step has a term holding ``word``."""
    return any(word in str(term) for term in step.steps[1][1].get_feature_names_out())
