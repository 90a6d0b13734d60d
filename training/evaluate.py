"""Evaluation reports: the same figures for cross-validated training and ``hotline evaluate``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from nlp.bundle import Bundle
from nlp.places import resolve_ticket
from nlp.scoring import auto_routed, score
from nlp.tasks import PLATFORM, UNIT
from training.calibrate import coverage_curve

__all__ = [
    "classification_report",
    "department_report",
    "evaluate_bundle",
    "format_report",
    "platform_by_place",
    "transfer_report",
]


def classification_report(y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence[Any]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."""
    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": int(np.asarray(y_true).shape[0]),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4),
        "per_class": {
            str(label): {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusion": {
            "labels": [str(label) for label in labels],
            "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
    }


def binary_report(y_true: ArrayLike, positive_proba: np.ndarray) -> dict[str, Any]:
    """Classification report at 0.5 plus ROC AUC and Brier score (calibration)."""
    y = np.asarray(y_true, dtype=int)
    report = classification_report(y, (positive_proba >= 0.5).astype(int), [0, 1])
    if len(set(y.tolist())) == 2:
        report["roc_auc"] = round(float(roc_auc_score(y, positive_proba)), 4)
    report["brier"] = round(float(brier_score_loss(y, positive_proba, pos_label=1)), 4)
    return report


def department_report(
    y_true: ArrayLike, proba: np.ndarray, classes: Sequence[Any], route_threshold: float | None
) -> dict[str, Any]:
    """Multi-class report plus top-3 (and, beyond 5 classes, top-5) accuracy, auto-routing coverage/precision and the curve."""
    classes_arr = np.asarray(classes, dtype=object)
    y = np.asarray(y_true, dtype=object)
    # Labels the model never saw count as errors and are listed too.
    labels = list(classes) + sorted(set(y.tolist()) - set(classes))
    report = classification_report(y, classes_arr[proba.argmax(axis=1)], labels)
    ranked = classes_arr[np.argsort(-proba, axis=1)]
    report["top3_accuracy"] = round(float((ranked[:, :3] == y[:, None]).any(axis=1).mean()), 4)
    if len(classes) > 5:  # the unit's list has five candidates (unit_top5)
        report["top5_accuracy"] = round(float((ranked[:, :5] == y[:, None]).any(axis=1).mean()), 4)
    confidence = proba.max(axis=1)
    auto = auto_routed(confidence, route_threshold)
    correct = classes_arr[proba.argmax(axis=1)] == y
    report["route_threshold"] = route_threshold
    report["auto_coverage"] = round(float(auto.mean()), 4)
    report["auto_precision"] = round(float(correct[auto].mean()), 4) if auto.any() else None
    report["coverage_curve"] = coverage_curve(y, proba, classes)
    return report


def _fmt(value: float | None) -> str:
    return "none (all manual)" if value is None else f"{value:.4f}"


def format_report(reports: dict[str, dict[str, Any]]) -> str:
    """A short plain-text summary of per-task reports, for the terminal."""
    lines = []
    for task, report in reports.items():
        line = f"{task:<14} n={report['n']:<6} accuracy={report['accuracy']:.3f}  macro-F1={report['macro_f1']:.3f}"
        if "roc_auc" in report:
            line += f"  AUC={report['roc_auc']:.3f}"
        if "top3_accuracy" in report:
            line += f"  top-3={report['top3_accuracy']:.3f}"
        if task == UNIT and "top5_accuracy" in report:
            line += f"  top-5={report['top5_accuracy']:.3f}"
        lines.append(line)
        if "auto_coverage" in report:
            precision = report["auto_precision"]
            lines.append(
                f"{'':<14} route=auto: threshold={_fmt(report['route_threshold'])}  coverage={report['auto_coverage']:.3f}  "
                f"precision={'n/a' if precision is None else f'{precision:.3f}'}"
            )
            curve = "  ".join(
                f"{row['threshold']:.2f}:{row['coverage']:.2f}/{'-' if row['precision'] is None else format(row['precision'], '.3f')}"
                for row in report["coverage_curve"]
            )
            lines.append(f"{'':<14} coverage/precision by threshold: {curve}")
        if "by_place" in report:
            lines.append(
                f"{'':<14} accuracy by how the place was given: "
                + "  ".join(f"{how}={v['accuracy']:.3f} (n={v['n']})" for how, v in report["by_place"].items())
            )
        if "transfers" in report:
            t = report["transfers"]
            lines.append(
                f"{'':<14} transfers in the history: {t['transfers']} of {t['n']}; the model would have avoided "
                f"{t['avoided']} and caused {t['caused']}"
                + (
                    f" (routed automatically: avoided {t['auto']['avoided']}, caused {t['auto']['caused']})"
                    if "auto" in t
                    else ""
                )
            )
        weakest = sorted(report["per_class"].items(), key=lambda kv: kv[1]["f1"])[:3]
        if len(report["per_class"]) > 2:
            lines.append(f"{'':<14} weakest classes: " + ", ".join(f"{k} F1={v['f1']:.2f}" for k, v in weakest))
    return "\n".join(lines)


def platform_by_place(y_true: ArrayLike, y_pred: ArrayLike, how_given: ArrayLike) -> dict[str, dict[str, Any]]:
    """Platform accuracy by how the ticket gave its place (district, street, landmark, none, two places ...)."""
    frame = pd.DataFrame({"right": np.asarray(y_true) == np.asarray(y_pred), "how": np.asarray(how_given, dtype=str)})
    return {
        str(how): {"n": len(group), "accuracy": round(float(group["right"].mean()), 4)}
        for how, group in frame.groupby("how", sort=True)
    }


def transfer_report(
    first_unit: ArrayLike, final_unit: ArrayLike, predicted: ArrayLike, route: ArrayLike | None = None
) -> dict[str, Any]:
    """What the model would have done to transfers, from an export's dispatch history.

    A transfer is a ticket whose first unit is not its final one (it bounced back and was
    sent again). The model *avoids* a transfer when the first unit was wrong and the model
    names the final unit; it *causes* one when the first unit was right and the model is
    wrong. With ``route``, the same counts among the tickets the model would route itself.
    """
    first, final, model = (np.asarray(a, dtype=object) for a in (first_unit, final_unit, predicted))
    known = pd.notna(first) & (first != "")
    first, final, model = first[known], final[known], model[known]
    transferred = first != final
    report: dict[str, Any] = {
        "n": int(known.sum()),
        "transfers": int(transferred.sum()),
        "avoided": int((transferred & (model == final)).sum()),
        "caused": int((~transferred & (model != final)).sum()),
    }
    if route is not None:
        auto = np.asarray(route)[known] == "auto"
        report["auto"] = {
            "n": int(auto.sum()),
            "avoided": int((auto & transferred & (model == final)).sum()),
            "caused": int((auto & ~transferred & (model != final)).sum()),
        }
    return report


def evaluate_bundle(bundle: Bundle, frame: pd.DataFrame, tasks: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The report of each of ``tasks`` for ``bundle`` on the labelled rows of ``frame``.

    ``frame`` has ``title``, ``text`` and one label column per task (missing where a row has
    no label). Tickets are scored as ``predict`` scores them (:func:`nlp.scoring.score`:
    seed-term rules included). With a ``first_unit`` column (the dispatch history), the unit's
    report has a ``transfers`` entry (:func:`transfer_report`); with ``place_given`` (how each
    ticket gave its place), the platform's report has ``by_place`` (:func:`platform_by_place`).
    """
    scores = score(bundle, frame["title"].tolist(), frame["text"].tolist())
    reports: dict[str, dict[str, Any]] = {}
    for task in tasks:
        rows = frame[task].notna().to_numpy()
        scored = scores.tasks[task]
        if scored.binary:
            reports[task] = binary_report(frame.loc[rows, task].astype(int).to_numpy(), scored.positive()[rows])
        else:
            y = frame.loc[rows, task].astype(str).to_numpy()
            threshold = bundle.route_threshold(task)
            reports[task] = department_report(y, scored.proba[rows], list(scored.classes), threshold)
    if PLATFORM in reports:
        rows = frame[PLATFORM].notna().to_numpy()
        predicted = scores.tasks[PLATFORM].decision()[rows]
        labelled = frame[rows]
        how = (
            labelled["place_given"].fillna("none").tolist()
            if "place_given" in labelled.columns
            else [resolve_ticket(t, x).how_given for t, x in zip(labelled["title"], labelled["text"], strict=True)]
        )
        reports[PLATFORM]["by_place"] = platform_by_place(labelled[PLATFORM].astype(str), predicted, how)
    if UNIT in reports and "first_unit" in frame.columns:
        rows = frame[UNIT].notna().to_numpy()
        route = scores.route[rows] if scores.route is not None else None
        reports[UNIT]["transfers"] = transfer_report(
            frame.loc[rows, "first_unit"], frame.loc[rows, UNIT].astype(str), scores.tasks[UNIT].decision()[rows], route
        )
    return reports
