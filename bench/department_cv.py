"""Repeated stratified cross-validation of the department head on the Teddy full file.

    .venv/bin/python -m bench.department_cv --data-root ../shared/data [--partial seg] [--head svc]
        [--c 0.5] [--char-ngrams 2 3] [--folds 5] [--repeats 2]

Each repeat shuffles the de-duplicated messages into ``--folds`` stratified folds (seed = the
repeat's number); the head is fitted on the training folds only. The feature step (vocabulary
and IDF, no labels) is fitted once on every message: refitting it per fold costs as much as
the heads on this 2-core machine and changes every variant alike, so comparisons hold. Every
row trains, but only *complete* rows (original title and detail, as unseen messages come) are
scored: the rows rebuilt from ``seg_text`` or titles (``--partial``) are judged by what they
add to complete messages, not by how easy they are themselves. Prints, per repeat and as mean
and standard deviation over repeats: accuracy, macro-F1, top-3 accuracy, and the coverage and
precision of auto-routing at the threshold training would choose (precision >= 0.97 with the
Wilson margin).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from nlp.features import make_features
from nlp.tokenize import cached_tokens, default_tokenizer
from training.calibrate import choose_route_threshold
from training.ensemble import HEADS
from training.evaluate import department_report
from training.fit import TrainConfig
from training.recipes import PARTIAL_MODES, teddy_department


def vectorise(frame: Any, char_ngrams: tuple[int, int] | None) -> tuple[Any, Any]:
    """The feature step fitted on every message (no labels), and the messages' matrix."""
    tickets = frame[["title", "text"]].reset_index(drop=True)
    with cached_tokens():
        features = make_features(default_tokenizer(), char_ngrams=char_ngrams).fit(tickets)
        return features, features.transform(tickets)


def cross_validate(
    frame: Any,
    vectors: tuple[Any, Any],
    new_head: Callable[[Any], Any],
    *,
    folds: int,
    repeats: int,
    train_rows: int | None = None,
) -> list[np.ndarray]:
    """Out-of-fold probabilities (classes sorted) of each repeat; ``train_rows`` subsamples each training part.

    ``vectors`` is what :func:`vectorise` returns; ``new_head`` makes a head from the feature step.
    """
    features, x = vectors
    y = frame["department"].to_numpy()
    classes = sorted(set(y))
    runs = []
    for repeat in range(repeats):
        oof = np.zeros((len(y), len(classes)))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=repeat)
        for train_idx, test_idx in splitter.split(x, y):
            if train_rows is not None and train_rows < len(train_idx):
                rng = np.random.default_rng(repeat)
                train_idx = _stratified_subset(train_idx, y, train_rows, rng)
            head = new_head(features).fit(x[train_idx], y[train_idx])
            oof[test_idx] = head.predict_proba(x[test_idx])
        runs.append(oof)
    return runs


def _stratified_subset(rows: np.ndarray, y: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` of ``rows`` with each class in its share (at least 10 rows each, for calibration)."""
    chosen = []
    for label in np.unique(y[rows]):
        members = rows[y[rows] == label]
        take = max(10, round(size * len(members) / len(rows)))
        chosen.append(rng.choice(members, size=min(take, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


def summarise(frame: Any, runs: list[np.ndarray]) -> list[dict[str, Any]]:
    """Figures of each repeat on the complete rows."""
    scored = frame["complete"].to_numpy(dtype=bool)
    y = frame["department"].to_numpy()[scored]
    classes = sorted(set(frame["department"]))
    out = []
    for proba in runs:
        route = choose_route_threshold(y, proba[scored], classes)
        report = department_report(y, proba[scored], classes, route.get("route_threshold"))
        out.append({**report, "auto_coverage": route["auto_coverage"], "auto_precision": route["auto_precision"]})
    return out


def print_figures(figures: list[dict[str, Any]]) -> None:
    keys = ("accuracy", "macro_f1", "top3_accuracy", "auto_coverage", "auto_precision")
    for i, row in enumerate(figures):
        print(f"  repeat {i}: " + "  ".join(f"{k} {row[k] or 0:.4f}" for k in keys))
    for k in keys:
        values = np.array([row[k] or 0.0 for row in figures])
        print(f"  {k:<15} mean {values.mean():.4f}  sd {values.std(ddof=1) if len(values) > 1 else 0:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--partial", choices=PARTIAL_MODES, default="seg")
    parser.add_argument("--head", choices=sorted(HEADS), default="svc")
    parser.add_argument("--c", type=float, default=TrainConfig.c)
    parser.add_argument("--char-ngrams", type=int, nargs=2, default=(1, 3))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--train-rows", type=int, help="train on this many messages of each training part (stratified)")
    args = parser.parse_args()
    frame, _ = teddy_department(args.data_root, partial=args.partial)
    config = TrainConfig(c=args.c, char_ngrams=tuple(args.char_ngrams))
    started = time.perf_counter()
    runs = cross_validate(
        frame,
        vectorise(frame, config.char_ngrams),
        lambda features: HEADS[args.head](config, features),
        folds=args.folds,
        repeats=args.repeats,
        train_rows=args.train_rows,
    )
    print(
        f"department, Teddy full file, partial rows as {args.partial!r}: {len(frame)} messages "
        f"({int(frame['complete'].sum())} complete, scored), head {args.head}, C {args.c}, "
        f"char n-grams {tuple(args.char_ngrams)}, training messages per fold {args.train_rows or 'all'}, {args.repeats} x {args.folds}-fold CV ({time.perf_counter() - started:.0f} s)"
    )
    print_figures(summarise(frame, runs))
    print(
        f"reproduce: .venv/bin/python -m bench.department_cv --data-root {args.data_root} --partial {args.partial} "
        f"--head {args.head} --c {args.c} --char-ngrams {args.char_ngrams[0]} {args.char_ngrams[1]} "
        f"--folds {args.folds} --repeats {args.repeats}"
        + (f" --train-rows {args.train_rows}" if args.train_rows else "")
    )


if __name__ == "__main__":
    main()
