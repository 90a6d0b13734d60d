"""Alternative department heads, measured against the plain calibrated SVM (``bench/department_cv.py``).

Both stay linear in the shared feature matrix, so a bundle pickles them as it does the plain
head and :mod:`nlp.fastpath` compiles them (a :class:`BlockEnsemble` is a
``CalibratedClassifierCV`` whose calibrated members are those of its blocks; an
:class:`NBLinearSVC` has ``coef_`` and ``intercept_`` over the original features).

- :class:`BlockEnsemble`: one calibrated SVM per block of feature columns (word blocks, the
  character block), probabilities averaged: each model is regularised on its own block
  instead of letting the larger block dominate one shared weight vector.
- :class:`NBLinearSVC`: one-vs-rest SVMs on features scaled by their naive-Bayes log-count
  ratio (Wang and Manning 2012, "NB-SVM"), folded back into ``coef_``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from training.fit import TrainConfig, make_head

__all__ = ["HEADS", "BlockEnsemble", "NBLinearSVC", "feature_blocks"]


class BlockEnsemble(CalibratedClassifierCV):
    """Calibrated classifiers fitted on column blocks of ``X``, their probabilities averaged.

    Parameters
    ----------
    estimator : estimator
        The linear classifier fitted on each block (cloned).
    method, cv :
        As :class:`~sklearn.calibration.CalibratedClassifierCV`.
    blocks : sequence of sequence of (int, int)
        Each member's column ranges ``[start, stop)``; the member sees the other columns as
        zeros, so its weights there are zero and it scores the full matrix as it is.
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        method: str = "sigmoid",
        cv: Any = None,
        blocks: Sequence[Sequence[tuple[int, int]]] = (),
    ) -> None:
        super().__init__(estimator, method=method, cv=cv)
        self.blocks = blocks

    def fit(self, X: Any, y: Any, **fit_params: Any) -> BlockEnsemble:
        if not self.blocks:
            raise ValueError("expected at least one block of columns, got none: pass blocks=[[(start, stop)], ...]")
        X = sparse.csr_matrix(X)
        members = []
        for ranges in self.blocks:
            keep = np.zeros(X.shape[1])
            for start, stop in ranges:
                if not 0 <= start < stop <= X.shape[1]:
                    raise ValueError(f"expected column ranges within [0, {X.shape[1]}), got ({start}, {stop})")
                keep[start:stop] = 1.0
            member = CalibratedClassifierCV(clone(self.estimator), method=self.method, cv=self.cv)
            members.append(member.fit(X @ sparse.diags(keep), y, **fit_params))
        self.classes_ = members[0].classes_
        self.n_features_in_ = X.shape[1]
        # Every member calibrates as many folds, so the mean over all is the mean of the members.
        self.calibrated_classifiers_ = [c for m in members for c in m.calibrated_classifiers_]
        return self


class NBLinearSVC(ClassifierMixin, BaseEstimator):
    """One-vs-rest linear SVMs on naive-Bayes-scaled features, as one linear model of ``X``.

    For class ``k`` the features are scaled by ``r_k = log(p_k / |p_k|) - log(q_k / |q_k|)``,
    ``p_k`` (``q_k``) the feature sums over rows of (not of) class ``k`` plus ``alpha``; the
    SVM's weights ``w_k`` on the scaled features are the weights ``r_k * w_k`` on ``X``.

    Parameters
    ----------
    C : float
        Inverse regularisation of each SVM.
    alpha : float
        Smoothing of the feature sums.
    class_weight : dict, "balanced" or None
        Passed to each binary SVM.
    """

    def __init__(self, C: float = 0.5, alpha: float = 1.0, class_weight: Any = "balanced") -> None:
        self.C = C
        self.alpha = alpha
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any) -> NBLinearSVC:
        X, y = validate_data(self, X, y, accept_sparse="csr")
        self.classes_ = unique_labels(y)
        if len(self.classes_) < 2:
            raise ValueError(f"expected at least 2 classes, got {len(self.classes_)}")
        coefs, intercepts = [], []
        for k in self.classes_ if len(self.classes_) > 2 else self.classes_[1:]:
            positive = np.asarray(y == k)
            p = np.asarray(X[positive].sum(axis=0)).ravel() + self.alpha
            q = np.asarray(X[~positive].sum(axis=0)).ravel() + self.alpha
            ratio = np.log(p / p.sum()) - np.log(q / q.sum())
            svm = LinearSVC(C=self.C, class_weight=self.class_weight).fit(X @ sparse.diags(ratio), positive)
            coefs.append(svm.coef_.ravel() * ratio)
            intercepts.append(svm.intercept_[0])
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.array(intercepts)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return np.asarray(self.classes_[index])


def feature_blocks(features: Any) -> dict[str, tuple[int, int]]:
    """Column range of each block of a fitted :func:`nlp.features.make_features` pipeline."""
    vectors = features.steps[-1][1]
    return {
        name: (s.start, s.stop)
        for name, s in vectors.output_indices_.items()
        if name != "remainder" and s.stop > s.start
    }


def word_char_ensemble(config: TrainConfig, features: Any) -> BlockEnsemble:
    """A word model (body words and title) and a character model, calibrated apart and averaged."""
    blocks = feature_blocks(features)
    words = [blocks[name] for name in ("words", "title") if name in blocks]
    members = [words] + ([[blocks["chars"]]] if "chars" in blocks else [])
    svm = LinearSVC(C=config.c, class_weight="balanced")
    return BlockEnsemble(svm, method="sigmoid", cv=config.calibration_folds, blocks=members)


def nb_svm(config: TrainConfig, features: Any) -> CalibratedClassifierCV:
    """NB-scaled one-vs-rest SVMs with sigmoid-calibrated probabilities."""
    return CalibratedClassifierCV(NBLinearSVC(C=config.c), method="sigmoid", cv=config.calibration_folds)


HEADS: dict[str, Callable[[TrainConfig, Any], Any]] = {
    "svc": lambda config, features: make_head(config),
    "ensemble": word_char_ensemble,
    "nbsvm": nb_svm,
}
"""Department heads by name: a factory of the training config and the fitted feature step."""
