"""From labelled tickets to a saved bundle: the one training entry point every recipe uses."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nlp.bundle import Bundle, save_bundle
from nlp.errors import InputError
from nlp.tasks import UNIT
from nlp.tickets import Tickets
from nlp.tokenize import Tokenizer, default_tokenizer
from training.evaluate import transfer_report
from training.fit import FitResult, TrainConfig, check_labels, fit_tasks

__all__ = ["MIN_ROWS", "bundle_identity", "git_commit", "train_bundle", "train_frame"]

MIN_ROWS = 20


def git_commit() -> str | None:
    """The commit of the code that trains, or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def bundle_identity(data_sha256: str) -> dict[str, Any]:
    """Bundle id (time and data hash), creation time and git commit of a bundle made now."""
    created = datetime.now(UTC)
    return {
        "bundle_id": f"hotline-{created:%Y%m%d-%H%M%S}-{data_sha256[:7]}",
        "created_at": created.isoformat(timespec="seconds"),
        "git_commit": git_commit(),
    }


def train_bundle(tickets: Tickets, out: str | Path, **options: Any) -> tuple[Bundle, FitResult, list[str]]:
    """Train every task whose labels the export ``tickets`` carries; see :func:`train_frame`."""
    data = {
        "source": tickets.path.name,
        "sha256": tickets.sha256,
        "rows": len(tickets.frame),
        "rows_rejected": len(tickets.rejected),
    }
    if len(tickets.frame) < MIN_ROWS:
        raise InputError(
            f"{tickets.path}: {len(tickets.frame)} usable rows; at least {MIN_ROWS} labelled tickets are needed to train"
        )
    return train_frame(tickets.frame, tickets.label_tasks, out, data=data, **options)


def train_frame(
    frame: pd.DataFrame,
    tasks: Sequence[str],
    out: str | Path,
    *,
    data: dict[str, Any],
    config: TrainConfig | None = None,
    tokenizer: Tokenizer | None = None,
    drop_rare: bool = False,
    recipe: str = "tickets",
    rules: dict[str, list[str]] | None = None,
    progress: bool = True,
) -> tuple[Bundle, FitResult, list[str]]:
    """Train ``tasks`` on ``frame`` (``title``, ``text``, label columns) and save the bundle to ``out``.

    Parameters
    ----------
    data : dict
        What the rows came from (file names, hashes, row counts), recorded in the sidecar.
    rules : dict, optional
        Seed terms per binary task: a ticket that contains one is positive by rule.

    Returns
    -------
    bundle : Bundle
        The saved bundle.
    result : FitResult
        Pipelines and cross-validated reports.
    notes : list of str
        What was left out of training and why.
    """
    config = config or TrainConfig()
    tokenizer = tokenizer or default_tokenizer()
    if len(frame) < MIN_ROWS:
        raise InputError(f"{len(frame)} usable rows; at least {MIN_ROWS} labelled tickets are needed to train")
    frame, notes = check_labels(frame, tasks, config, drop_rare=drop_rare)
    result = fit_tasks(frame, tasks, tokenizer, config, progress=progress)
    _report_transfers(frame, result)
    for task, seeds in (rules or {}).items():  # applied by nlp.predict before the classifier
        if task in result.task_meta:
            result.task_meta[task]["seeds"] = list(seeds)
    meta: dict[str, Any] = {
        **bundle_identity(str(data.get("sha256", "0000000"))),
        "recipe": recipe,
        "data": {**data, "label_counts": {task: _counts(frame[task]) for task in tasks}},
        "params": config.as_dict(),
        "tokenizer": {
            "backend": tokenizer.backend,
            "user_words": len(tokenizer.user_words),
            "stop_words": len(tokenizer.stop_words),
        },
        "tasks": result.task_meta,
        "notes": notes,
    }
    bundle = Bundle(pipelines=result.pipelines, meta=meta)
    save_bundle(bundle, out)  # also completes bundle.meta with versions and the payload hash
    return bundle, result, notes


def _report_transfers(frame: pd.DataFrame, result: FitResult) -> None:
    """With a dispatch history (``first_unit``), what the held-out unit predictions would have done to its transfers."""
    if "first_unit" not in frame.columns or UNIT not in result.held_out:
        return
    proba = result.held_out[UNIT]
    rows = ~np.isnan(proba).any(axis=1)
    classes = np.asarray(result.task_meta[UNIT]["labels"], dtype=object)
    predicted = classes[proba[rows].argmax(axis=1)]
    report = transfer_report(frame["first_unit"].to_numpy()[rows], frame[UNIT].astype(str).to_numpy()[rows], predicted)
    result.reports[UNIT]["transfers"] = report
    result.task_meta[UNIT]["metrics"]["transfers"] = report


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.dropna().value_counts().sort_index().items()}
