"""The alternative department heads: linear in the features, compiled by the fast path, pickled in bundles."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from nlp.fastpath import FastHead, fast_head
from nlp.features import make_features
from nlp.tokenize import default_tokenizer
from training.ensemble import BlockEnsemble, NBLinearSVC, feature_blocks, word_char_ensemble
from training.fit import TrainConfig


def _data(seed: int = 0, n: int = 300) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Three classes told apart by columns 0-5 (counts); columns 6-29 are noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = rng.poisson(0.3, size=(n, 30)).astype(float)
    for k in range(3):
        x[y == k, 2 * k : 2 * k + 2] += rng.poisson(2.0, size=(int((y == k).sum()), 2))
    return sparse.csr_matrix(x), np.array(["a", "b", "c"])[y]


def test_block_members_see_only_their_columns_and_are_averaged() -> None:
    x, y = _data()
    ensemble = BlockEnsemble(LinearSVC(), cv=3, blocks=[[(0, 6)], [(6, 30)]]).fit(x, y)
    assert len(ensemble.calibrated_classifiers_) == 6 and list(ensemble.classes_) == ["a", "b", "c"]
    first, second = ensemble.calibrated_classifiers_[0].estimator, ensemble.calibrated_classifiers_[3].estimator
    assert np.all(first.coef_[:, 6:] == 0) and np.all(second.coef_[:, :6] == 0)
    # The informative block alone classifies well; the average of both still does.
    informative = BlockEnsemble(LinearSVC(), cv=3, blocks=[[(0, 6)]]).fit(x, y)
    test_x, test_y = _data(seed=1)
    assert (informative.predict(test_x) == test_y).mean() > 0.9
    assert (ensemble.predict(test_x) == test_y).mean() > 0.85
    members = [CalibratedClassifierCV(LinearSVC(), cv=3).fit(x @ sparse.diags(m), y) for m in _masks()]
    expected = np.mean([m.predict_proba(test_x) for m in members], axis=0)
    assert np.abs(ensemble.predict_proba(test_x) - expected).max() < 1e-9


def _masks() -> list[np.ndarray]:
    first = np.zeros(30)
    first[:6] = 1.0
    return [first, 1.0 - first]


def test_block_ranges_are_checked() -> None:
    x, y = _data()
    with pytest.raises(ValueError, match="expected at least one block"):
        BlockEnsemble(LinearSVC()).fit(x, y)
    with pytest.raises(ValueError, match=r"expected column ranges within \[0, 30\), got \(6, 40\)"):
        BlockEnsemble(LinearSVC(), blocks=[[(6, 40)]]).fit(x, y)


def test_nb_svm_is_one_linear_model_of_the_raw_features() -> None:
    x, y = _data()
    model = NBLinearSVC(C=0.5).fit(x, y)
    assert model.coef_.shape == (3, 30)
    test_x, test_y = _data(seed=1)
    assert (model.predict(test_x) == test_y).mean() > 0.9
    # Class b's weights are its SVM's weights on the NB-scaled features, folded back.
    positive = y == "b"
    p, q = np.asarray(x[positive].sum(axis=0)).ravel() + 1, np.asarray(x[~positive].sum(axis=0)).ravel() + 1
    ratio = np.log(p / p.sum()) - np.log(q / q.sum())
    svm = LinearSVC(C=0.5, class_weight="balanced").fit(x @ sparse.diags(ratio), positive)
    assert np.allclose(model.decision_function(test_x)[:, 1], svm.decision_function(test_x @ sparse.diags(ratio)))
    binary = NBLinearSVC().fit(x, np.where(y == "a", "a", "z"))
    assert binary.decision_function(test_x).shape == (300,) and set(binary.predict(test_x)) == {"a", "z"}


@pytest.mark.parametrize("kind", ["ensemble", "nbsvm"])
def test_the_fast_path_compiles_them_and_gives_their_own_probabilities(kind: str) -> None:
    x, y = _data()
    head = (
        BlockEnsemble(LinearSVC(), cv=3, blocks=[[(0, 6)], [(6, 30)]])
        if kind == "ensemble"
        else CalibratedClassifierCV(NBLinearSVC(), cv=3)
    ).fit(x, y)
    head = pickle.loads(pickle.dumps(head))  # as a bundle stores it
    test_x, _ = _data(seed=2)
    fast = fast_head(head)
    assert isinstance(fast, FastHead)
    assert np.abs(fast.predict_proba(test_x) - head.predict_proba(test_x)).max() < 1e-9


def test_word_char_ensemble_takes_its_blocks_from_the_fitted_features() -> None:
    texts = [f"{w}的问题请尽快处理{i}" for i in range(20) for w in ("路灯不亮", "噪音扰民")]
    frame = {"title": [""] * len(texts), "text": texts}
    features = make_features(default_tokenizer(), char_ngrams=(1, 2), min_df=1).fit(pd.DataFrame(frame))
    blocks = feature_blocks(features)
    assert set(blocks) == {"words", "title", "chars"}
    width = features.transform(pd.DataFrame(frame)).shape[1]
    assert sorted(blocks.values())[0][0] == 0 and max(stop for _, stop in blocks.values()) == width
    head = word_char_ensemble(TrainConfig(), features)
    assert head.blocks == [[blocks["words"], blocks["title"]], [blocks["chars"]]]
