"""``hotline promote``: put a trained bundle where the service loads it, behind a quality gate.

1. The candidate is loaded and checked as the service checks it (sidecar, payload hash, a
   smoke prediction), so a bundle that would be refused at reload is refused here.
2. With labelled tickets (``--against FILE``), the candidate and the bundle it replaces are
   evaluated on them, task by task, as ``hotline evaluate`` does; the candidate is refused when
   a task both have scores lower by more than ``tolerance`` (department: macro-F1; binary
   tasks: F1 of the positive class), unless ``force``.
3. The replaced bundle is copied to ``<target>.previous/``: promoting that folder rolls back.
4. The candidate's two files are copied in as :func:`nlp.bundle.save_bundle` writes them: the
   payload, then the sidecar, each to a temporary name renamed into place. A service that
   reloads in between finds a payload that does not match the sidecar's hash, refuses it and
   keeps serving the old model.

The service then loads it on ``POST /v1/admin/reload`` or ``kill -HUP``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.bundle import SIDECAR, Bundle, copy_bundle, load_bundle, read_sidecar
from nlp.errors import BundleError, InputError
from nlp.predict import smoke_check
from nlp.tasks import is_binary
from training.evaluate import evaluate_bundle

__all__ = ["Comparison", "PromoteRefused", "PromoteResult", "promote"]


class PromoteRefused(InputError):
    """The candidate scored worse than the bundle it would replace; nothing was changed."""


@dataclass(frozen=True)
class Comparison:
    """One task's headline figure for the serving bundle and the candidate on the same tickets."""

    task: str
    metric: str
    current: float
    candidate: float

    @property
    def change(self) -> float:
        return self.candidate - self.current


@dataclass
class PromoteResult:
    """What a promotion did."""

    candidate_id: str
    replaced_id: str | None = None
    previous_dir: Path | None = None
    comparisons: list[Comparison] = field(default_factory=list)


def _headline(task: str, report: dict[str, Any]) -> tuple[str, float]:
    if is_binary(task):
        return "F1 of class 1", float(report["per_class"].get("1", {}).get("f1", 0.0))
    return "macro-F1", float(report["macro_f1"])


def compare(current: Bundle, candidate: Bundle, labelled: pd.DataFrame) -> list[Comparison]:
    """Headline figures of both bundles on the tasks both have and ``labelled`` labels."""
    tasks = [t for t in candidate.tasks if t in current.pipelines and t in labelled and labelled[t].notna().any()]
    if not tasks:
        raise InputError(
            f"the labelled tickets have no label for a task both bundles have ({', '.join(candidate.tasks)}); "
            "name the label columns with --<task>-col"
        )
    before, after = evaluate_bundle(current, labelled, tasks), evaluate_bundle(candidate, labelled, tasks)
    out = []
    for task in tasks:
        metric, old = _headline(task, before[task])
        _, new = _headline(task, after[task])
        out.append(Comparison(task, metric, old, new))
    return out


def promote(
    candidate_dir: str | os.PathLike[str],
    target_dir: str | os.PathLike[str],
    *,
    labelled: pd.DataFrame | None = None,
    tolerance: float = 0.01,
    force: bool = False,
) -> PromoteResult:
    """Check the candidate, compare it with the serving bundle, keep that one, and copy the candidate in.

    The candidate is first copied to a staging folder next to the target, and checked there:
    promoting ``<target>.previous`` (a rollback) then swaps the two bundles.

    Raises
    ------
    BundleError
        The candidate (or the bundle in ``target_dir``) cannot be loaded or cannot predict.
    PromoteRefused
        A task scored lower than the serving bundle by more than ``tolerance`` (without ``force``).
    """
    source, target = Path(candidate_dir), Path(target_dir)
    read_sidecar(source)  # a clear error for a folder that is no bundle, before anything is copied
    if source.resolve() == target.resolve():
        raise InputError(f"{source}: the candidate is already the bundle in {target}; pass another --model")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.staging-"))
    try:
        copy_bundle(source, staging)
        candidate = load_bundle(staging)
        smoke_check(candidate)
        result = PromoteResult(candidate_id=candidate.bundle_id)
        current = _serving(target, force)
        if current is not None:
            result.replaced_id = current.bundle_id
            if labelled is not None:
                result.comparisons = compare(current, candidate, labelled)
                _refuse_if_worse(result.comparisons, candidate, current, tolerance, force)
            result.previous_dir = target.with_name(f"{target.name}.previous")
            copy_bundle(target, result.previous_dir)
        copy_bundle(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    read_sidecar(target)  # the copy's payload hash matches the staged bundle, which loaded and answered
    return result


def _serving(target: Path, force: bool) -> Bundle | None:
    """The bundle in ``target``, None if there is none (or, with ``force``, if it cannot be loaded)."""
    if not (target / SIDECAR).exists():
        return None
    try:
        return load_bundle(target)
    except BundleError as exc:
        if force:
            return None  # replaced without comparison, and not kept: it cannot be loaded anyway
        raise PromoteRefused(
            f"{target}: the serving bundle cannot be loaded, so nothing can be compared or kept ({exc}); "
            "--force replaces it"
        ) from exc


def _refuse_if_worse(
    comparisons: list[Comparison], candidate: Bundle, current: Bundle, tolerance: float, force: bool
) -> None:
    worse = [c for c in comparisons if c.change < -tolerance]
    if worse and not force:
        listed = "; ".join(f"{c.task} {c.metric} {c.current:.4f} -> {c.candidate:.4f}" for c in worse)
        raise PromoteRefused(
            f"{candidate.bundle_id} scores lower than the serving {current.bundle_id} by more than {tolerance}: "
            f"{listed}; nothing was changed (--force promotes it anyway)"
        )
