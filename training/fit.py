"""Fitting the task heads: cross-validated evaluation, threshold choice, then the final fit.

For each of ``folds`` splits the feature pipeline is fitted on the training part, every head
is fitted on the rows labelled for its task, and the held-out part is predicted. The
out-of-fold predictions give the evaluation and the auto-routing threshold (so the
threshold is chosen on tickets the model did not see). The final pipelines are then fitted
on all rows and share one fitted feature step.

Large exports (a task with more than ``holdout_above`` labelled rows) are fitted once instead
of ``folds + 1`` times: one stratified split gives a fitting part, a calibration part and an
evaluation part (``holdout_fraction`` each); each head's linear SVM is fitted on the first, its sigmoid
calibrated on the second, and the evaluation and threshold come from the third. A few
percent of a large export is plenty for both, and the shipped heads are the ones evaluated.
The router's heads (the platform's and each platform's units') are each calibrated on a
bounded stratified sample of their own rows (:class:`nlp.calibration.CalibrationHoldout`),
since most units are too rare for a few percent of the export to hold them.
There the SVM is fitted by stochastic gradient descent (the same hinge loss and
regularisation, ``alpha = 1 / (C n)``, a fixed number of epochs, classes on every core):
liblinear's solver takes minutes per head at a million rows, SGD seconds, at the same
accuracy on held-out tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from tqdm.auto import tqdm

from nlp.calibration import CalibrationHoldout
from nlp.errors import InputError
from nlp.features import make_features
from nlp.routing import PlatformHead, TwoLevelRouter
from nlp.tasks import DEPARTMENT, PLATFORM, UNIT, is_binary
from nlp.tokenize import Tokenizer, cached_tokens
from training.calibrate import choose_route_threshold
from training.evaluate import binary_report, department_report

__all__ = [
    "FitResult",
    "TrainConfig",
    "check_labels",
    "fit_tasks",
    "fitted_once",
    "make_head",
    "make_router",
    "platform_of_units",
]


@dataclass(frozen=True)
class TrainConfig:
    """Training parameters, recorded in the bundle sidecar.

    Attributes
    ----------
    folds : int
        Cross-validation folds for the out-of-fold evaluation and threshold.
    target_precision : float
        Precision the auto-routed department predictions must reach.
    c : float
        Inverse regularisation strength of the linear SVMs.
    calibration_folds : int
        Folds of the sigmoid calibration inside each head.
    min_label_count : int
        A label needs this many examples to be cross-validated and calibrated.
    char_ngrams : (int, int) or None
        Character n-gram range of the shared features; None for words only.
    holdout_above : int
        A task with more labelled rows than this is trained once, with a held-out split (see
        the module docstring).
    holdout_fraction : float
        Share of the rows in each of the calibration and evaluation parts of that split.
    sgd_epochs : int
        Passes over the data of the SVMs fitted by gradient descent (large exports).
    seed : int
        Seed of the fold split.
    shared_features : bool
        Tasks labelled on disjoint rows share one feature step, fitted on all their texts,
        instead of a feature step each (see :func:`fit_tasks`).
    """

    folds: int = 5
    target_precision: float = 0.97
    c: float = 0.5
    calibration_folds: int = 3
    min_label_count: int = 10
    char_ngrams: tuple[int, int] | None = (2, 3)
    holdout_above: int = 50_000
    holdout_fraction: float = 0.05
    sgd_epochs: int = 15
    seed: int = 0
    shared_features: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FitResult:
    """Fitted pipelines, their out-of-fold reports and per-task metadata for the sidecar.

    ``held_out`` has, per task, every row's probabilities from the model that did not see
    it (columns: the task's labels; NaN where a row had no label), when cross-validated.
    """

    pipelines: dict[str, Pipeline]
    reports: dict[str, dict[str, Any]]
    task_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    held_out: dict[str, np.ndarray] = field(default_factory=dict)


def make_head(config: TrainConfig) -> CalibratedClassifierCV:
    """A class-weighted linear SVM with sigmoid-calibrated probabilities."""
    svm = LinearSVC(C=config.c, class_weight="balanced")
    return CalibratedClassifierCV(svm, method="sigmoid", cv=config.calibration_folds)


def make_router(head: Any, unit_platforms: dict[str, str], config: TrainConfig) -> TwoLevelRouter:
    """The unit task's head: the platform, then the unit within it (see :mod:`nlp.routing`)."""
    # A unit needs as many tickets as the calibration has folds to get a calibrated probability.
    return TwoLevelRouter(head=head, unit_platforms=unit_platforms, min_unit_count=max(3, config.calibration_folds))


def platform_of_units(frame: pd.DataFrame, catalogue: dict[str, str] | None = None) -> dict[str, str]:
    """The platform of each unit: the catalogue's, else the one most of the unit's tickets carry.

    Raises
    ------
    InputError
        When a unit of ``frame`` has no platform in either.
    """
    mapping: dict[str, str] = {}
    if PLATFORM in frame.columns:
        pairs = frame[[UNIT, PLATFORM]].dropna().astype(str)
        if len(pairs):
            mapping = {
                str(k): str(v)
                for k, v in pairs.groupby(UNIT)[PLATFORM].agg(lambda s: s.value_counts().index[0]).items()
            }
    mapping.update(catalogue or {})
    missing = sorted(set(frame[UNIT].dropna().astype(str)) - set(mapping))
    if missing:
        raise InputError(
            f"expected the platform of every unit, got none for {len(missing)} units ({', '.join(missing[:3])}, ...): "
            "add a platform column to the export or pass a unit catalogue (--units) that lists them"
        )
    return mapping


def check_labels(
    frame: pd.DataFrame, tasks: Sequence[str], config: TrainConfig, *, drop_rare: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Refuse labels too rare to train on, or blank them when ``drop_rare`` is set.

    Returns
    -------
    frame : DataFrame
        The frame, with rare labels set to missing when ``drop_rare`` is set.
    notes : list of str
        What was left out, for the training summary.
    """
    frame = frame.copy()
    notes = []
    for task in tasks:
        counts = frame[task].dropna().value_counts()
        if len(counts) < 2:
            raise InputError(
                f"label column for {task!r} has {len(counts)} distinct value(s) ({', '.join(map(str, counts.index))}); at least 2 are needed: add examples of the other class or leave the column out"
            )
        rare = counts[counts < config.min_label_count]
        if rare.empty or task == UNIT:  # hundreds of units, many rare: the router leaves those out itself
            continue
        listed = ", ".join(f"{label!r} ({n})" for label, n in rare.items())
        if not drop_rare or len(counts) - len(rare) < 2:
            raise InputError(
                f"task {task!r}: labels with fewer than {config.min_label_count} examples cannot be cross-validated and calibrated: {listed}; "
                "add examples, merge them into another label, or pass --drop-rare-labels to leave those rows out of this task"
            )
        frame.loc[frame[task].isin(rare.index), task] = None
        notes.append(f"{task}: left out {int(rare.sum())} rows with rare labels {listed}")
    return frame, notes


def _strata(frame: pd.DataFrame, tasks: Sequence[str]) -> np.ndarray:
    key = DEPARTMENT if DEPARTMENT in tasks else tasks[0]
    return frame[key].astype(object).where(frame[key].notna(), "__missing__").astype(str).to_numpy()


def _labels(frame: pd.DataFrame, task: str) -> tuple[np.ndarray, np.ndarray]:
    """Which rows are labelled for ``task``, and their labels (int or str)."""
    mask = frame[task].notna().to_numpy()
    values = frame.loc[mask, task]
    y = values.astype(int).to_numpy() if is_binary(task) else values.astype(str).to_numpy()
    return mask, y


def _labels_by_row(mask: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The labels of :func:`_labels` placed at their rows (unlabelled rows hold a filler), for indexing by row."""
    by_row = np.zeros(len(mask), dtype=y.dtype)
    by_row[mask] = y
    return by_row


def fit_tasks(
    frame: pd.DataFrame,
    tasks: Sequence[str],
    tokenizer: Tokenizer,
    config: TrainConfig,
    *,
    progress: bool = True,
    catalogue: dict[str, str] | None = None,
) -> FitResult:
    """Cross-validate, choose thresholds and fit the final pipelines for ``tasks``.

    Parameters
    ----------
    frame : DataFrame
        Tickets with ``title``, ``text`` and one label column per task (missing allowed).
    tasks : sequence of str
        Tasks to train; each needs labels that passed :func:`check_labels`.
    tokenizer : Tokenizer
    config : TrainConfig
    progress : bool
        Show a progress bar over the folds.
    catalogue : dict, optional
        The platform of each unit (the unit catalogue); units it lacks take the platform
        their tickets carry.

    Notes
    -----
    Tasks labelled on disjoint rows (a recipe that takes each task from another data set) are
    fitted apart, each on its own rows with its own feature step, unless
    ``config.shared_features``: then one feature step is fitted on every row's text and each
    head on its own rows, so that prediction cleans, segments and looks n-grams up once per
    ticket instead of once per feature step. Tasks that share rows share one feature step.
    An export is large (fitted once, with a held-out split) when one of its tasks has more
    than ``config.holdout_above`` labelled rows.
    """
    if not tasks:
        raise InputError(
            "no label column found; pass at least one of --consultation-col, --covid-col, --department-col naming a column of the file"
        )
    groups = _disjoint_groups(frame, tasks)
    if len(groups) > 1 and not config.shared_features:
        return _merge(
            frame,
            [
                (rows, fit_tasks(frame[rows], group, tokenizer, config, progress=progress, catalogue=catalogue))
                for group, rows in groups
            ],
        )
    run = _Run(tokenizer, config, platform_of_units(frame, catalogue) if UNIT in tasks else {}, progress)
    if fitted_once(frame, tasks, config):
        return _fit_holdout(frame, tasks, run)
    with cached_tokens():  # each text is segmented once, not once per fold
        return _fit_tasks(frame, tasks, run)


def fitted_once(frame: pd.DataFrame, tasks: Sequence[str], config: TrainConfig) -> bool:
    """Whether ``tasks`` are a large export, fitted once with a held-out split (see the module
    docstring): one of them has more than ``config.holdout_above`` labelled rows."""
    return max(int(frame[task].notna().sum()) for task in tasks) > config.holdout_above


@dataclass(frozen=True)
class _Run:
    """What both fitting paths of one training run share."""

    tokenizer: Tokenizer
    config: TrainConfig
    mapping: dict[str, str]  # the platform of each unit, for the router
    progress: bool  # show a progress bar


def _routes(tasks: Sequence[str]) -> bool:
    """Whether the tasks route to platforms or units: then the ticket's place is a feature."""
    return PLATFORM in tasks or UNIT in tasks


def _fit_heads(
    x: Any,
    labels: dict[str, tuple[np.ndarray, np.ndarray]],
    new_head: Callable[[], Any],
    mapping: dict[str, str],
    config: TrainConfig,
) -> dict[str, Any]:
    """One fitted head per task on its labelled rows of ``x`` (``labels``: task to rows and labels).

    The unit's head is the two-level router; a bundle with units takes its platform head
    from the router (the same object), so the platform is learned once.
    """
    heads: dict[str, Any] = {}
    for task, (rows, y) in labels.items():
        if task == PLATFORM and UNIT in labels:
            continue
        if task == UNIT:
            head = make_router(new_head(), mapping, config)
        elif task == PLATFORM:  # the same two decisions as the router's platform head
            head = PlatformHead(head=new_head())
        else:
            head = new_head()
        heads[task] = head.fit(x[rows], y)
    if PLATFORM in labels and UNIT in heads:
        heads[PLATFORM] = heads[UNIT].platform_head_
    return heads


def _disjoint_groups(frame: pd.DataFrame, tasks: Sequence[str]) -> list[tuple[list[str], np.ndarray]]:
    """Tasks grouped so that no two groups share a labelled row, with each group's rows."""
    groups: list[tuple[list[str], np.ndarray]] = []
    for task in tasks:
        rows = frame[task].notna().to_numpy()
        overlapping = [g for g in groups if (g[1] & rows).any()]
        for g in overlapping:
            groups.remove(g)
            rows = rows | g[1]
        groups.append(([t for g in overlapping for t in g[0]] + [task], rows))
    return groups


def _merge(frame: pd.DataFrame, parts: list[tuple[np.ndarray, FitResult]]) -> FitResult:
    merged = FitResult(pipelines={}, reports={})
    for rows, part in parts:
        merged.pipelines.update(part.pipelines)
        merged.reports.update(part.reports)
        merged.task_meta.update(part.task_meta)
        for task, proba in part.held_out.items():  # back to the whole frame's rows
            full = np.full((len(frame), proba.shape[1]), np.nan)
            full[rows] = proba
            merged.held_out[task] = full
    return merged


def _fit_tasks(frame: pd.DataFrame, tasks: Sequence[str], run: _Run) -> FitResult:
    """Cross-validated fit (exports up to ``holdout_above`` rows): out-of-fold predictions choose thresholds."""
    tokenizer, config, mapping = run.tokenizer, run.config, run.mapping
    features = make_features(tokenizer, char_ngrams=config.char_ngrams, places=_routes(tasks))
    tickets = frame[["title", "text"]].reset_index(drop=True)
    frame = frame.reset_index(drop=True)
    labels = {task: _labels(frame, task) for task in tasks}
    by_row = {task: _labels_by_row(mask, y) for task, (mask, y) in labels.items()}
    oof: dict[str, np.ndarray] = {}
    classes: dict[str, list[Any]] = {}
    for task, (_mask, y) in labels.items():
        classes[task] = sorted(set(y.tolist()))
        oof[task] = np.full((len(frame), len(classes[task])), np.nan)

    splitter = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    steps = tqdm(total=config.folds + 1, desc="training", unit="fit", disable=not run.progress or None, leave=False)
    for train_idx, test_idx in splitter.split(tickets, _strata(frame, tasks)):
        fold_features = clone(features)
        x_train = fold_features.fit_transform(tickets.iloc[train_idx])
        x_test = fold_features.transform(tickets.iloc[test_idx])
        fold = {
            task: (mask[train_idx], by_row[task][train_idx][mask[train_idx]]) for task, (mask, _y) in labels.items()
        }
        heads = _fit_heads(x_train, fold, lambda: make_head(config), mapping, config)
        for task, (mask, _y) in labels.items():
            head = heads[task]
            test_rows = mask[test_idx]
            proba = head.predict_proba(x_test[test_rows])
            # Align the head's columns with all classes (a fold can miss a rare class).
            columns = [classes[task].index(c) for c in head.classes_]
            block = np.zeros((int(test_rows.sum()), len(classes[task])))
            block[:, columns] = proba
            oof[task][test_idx[test_rows]] = block
        steps.update(1)

    result = FitResult(pipelines={}, reports={}, held_out=oof)
    for task, (mask, y) in labels.items():
        _summarise(result, task, y, oof[task][mask], classes[task], config)
        result.task_meta[task]["n_train"] = int(mask.sum())

    final_features = features.fit(tickets)
    x_all = final_features.transform(tickets)
    for task, head in _fit_heads(x_all, labels, lambda: make_head(config), mapping, config).items():
        result.pipelines[task] = Pipeline([("features", final_features), ("classifier", head)])
    steps.update(1)
    steps.close()
    return result


def _summarise(
    result: FitResult, task: str, y: np.ndarray, proba: np.ndarray, classes: list[Any], config: TrainConfig
) -> None:
    """The report and sidecar entry of ``task`` from held-out probabilities (columns: ``classes``)."""
    if is_binary(task):
        result.reports[task] = binary_report(y, proba[:, classes.index(1)])
        result.task_meta[task] = {"labels": [0, 1], "decision_threshold": 0.5}
    else:
        route = choose_route_threshold(y, proba, classes, target_precision=config.target_precision)
        result.reports[task] = department_report(y, proba, classes, route.get("route_threshold"))
        result.task_meta[task] = {"labels": [str(c) for c in classes], **route}
    result.task_meta[task]["metrics"] = {k: v for k, v in result.reports[task].items() if k not in ("confusion",)}


def _split(rows: np.ndarray, size: int, strata: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        kept, taken = train_test_split(rows, test_size=size, stratify=strata[rows], random_state=seed)
    except ValueError:  # a stratum too small to be split: split at random
        kept, taken = train_test_split(rows, test_size=size, random_state=seed)
    return np.sort(kept), np.sort(taken)


def _sgd(config: TrainConfig, rows: int) -> SGDClassifier:
    """The linear SVM of large exports, fitted by stochastic gradient descent (see the module docstring)."""
    return SGDClassifier(
        loss="hinge",
        alpha=1.0 / (config.c * rows),
        class_weight="balanced",
        max_iter=config.sgd_epochs,
        tol=None,
        n_jobs=-1,
        random_state=config.seed,
    )


def _fit_holdout(frame: pd.DataFrame, tasks: Sequence[str], run: _Run) -> FitResult:
    """One fit on a large export: a held-out split chooses thresholds, a bounded sample calibrates."""
    tokenizer, config, mapping = run.tokenizer, run.config, run.mapping
    frame = frame.reset_index(drop=True)
    tickets = frame[["title", "text"]]
    strata = _strata(frame, tasks)
    size = max(1, int(len(frame) * config.holdout_fraction))
    rest, evaluation = _split(np.arange(len(frame)), size, strata, config.seed)
    fitting, calibration = _split(rest, size, strata, config.seed + 1)
    steps = tqdm(total=2 + len(tasks), desc="training", unit="step", disable=not run.progress or None, leave=False)
    features = make_features(tokenizer, char_ngrams=config.char_ngrams, places=_routes(tasks))
    # Each ticket is featurised once: the fitting rows while the features learn, the others after.
    x_fitting = features.fit_transform(tickets.iloc[fitting])
    steps.update(1)
    others = np.setdiff1d(np.arange(len(frame)), fitting, assume_unique=True)
    order = np.argsort(np.concatenate([fitting, others]), kind="stable")
    x_all = sparse.vstack([x_fitting, features.transform(tickets.iloc[others])], format="csr")[order]
    del x_fitting
    steps.update(1)
    result = FitResult(pipelines={}, reports={})
    heads: dict[str, Any] = {}
    # The router (or, without units, the platform head) fits several heads, each an SVM calibrated
    # on a bounded stratified sample of its own rows (the fixed split above serves single heads only).
    levelled = UNIT if UNIT in tasks else PLATFORM if PLATFORM in tasks else None
    if levelled is not None:
        mask, y = _labels(frame, levelled)
        rows = np.sort(np.concatenate([fitting, calibration]))
        rows = rows[mask[rows]]
        holdout = CalibrationHoldout(random_state=config.seed)
        sgd_head = CalibratedClassifierCV(_sgd(config, len(rows)), method="sigmoid", cv=holdout)
        levels: Any = make_router(sgd_head, mapping, config) if levelled == UNIT else PlatformHead(head=sgd_head)
        heads[levelled] = levels.fit(x_all[rows], _labels_by_row(mask, y)[rows])
        if levelled == UNIT and PLATFORM in tasks:
            heads[PLATFORM] = heads[UNIT].platform_head_
    for task in tasks:
        mask, y = _labels(frame, task)
        y_all = _labels_by_row(mask, y)
        fit_rows, cal_rows, eval_rows = (rows[mask[rows]] for rows in (fitting, calibration, evaluation))
        head = heads.get(task)
        if head is None:
            svm = _sgd(config, len(fit_rows)).fit(x_all[fit_rows], y_all[fit_rows])
            # A frozen SVM: calibration fits one sigmoid per class on the calibration rows (the
            # splitter only orders the rows; nothing is refitted).
            head = CalibratedClassifierCV(FrozenEstimator(svm), method="sigmoid", cv=2).fit(
                x_all[cal_rows], y_all[cal_rows]
            )
        classes = list(head.classes_)
        _summarise(result, task, y_all[eval_rows], head.predict_proba(x_all[eval_rows]), classes, config)
        result.task_meta[task].update(
            n_train=len(fit_rows), n_calibration=len(cal_rows), n_evaluation=len(eval_rows), evaluation="holdout"
        )
        result.pipelines[task] = Pipeline([("features", features), ("classifier", head)])
        steps.update(1)
    steps.close()
    return result
