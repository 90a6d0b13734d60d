"""Flags that analysts define: a few seed terms become a classifier that finds more.

``hotline flag train --name NAME --seeds FILE --tickets FILE --out DIR``

1. Weak labels: a ticket is positive when its cleaned title or body contains a seed term.
2. The seed terms are cut out of the texts the classifier learns from, so it has to learn
   the *context* of the seeds (没水, 来水, 供水 ... for 停水) rather than the seeds
   themselves; the out-of-fold report says how well that context predicts the seeds.
3. At prediction time a ticket is flagged when a seed matches (the rule; ``proba`` 1.0)
   or when the classifier's probability reaches 0.5. The seeds are stored in the bundle
   sidecar and applied by :func:`nlp.predict.predict`, the one prediction path of the CLI,
   the API and the digest.
4. Review: the tickets the classifier flags that no seed matched are written out, most
   probable first, for an analyst to confirm; confirmed terms make the next seed list.

With ``--model BASE`` the new bundle is BASE plus the flag (the built-in tasks keep their
pipelines, metrics and threshold); without it the bundle carries the flag alone.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.bundle import Bundle, load_bundle, save_bundle
from nlp.errors import InputError
from nlp.predict import predict
from nlp.seeds import seed_hits, seed_pattern
from nlp.tasks import flag_task
from nlp.text import mask_pii, normalize
from nlp.tickets import Tickets
from nlp.tokenize import default_tokenizer
from training.fit import FitResult, TrainConfig, fit_tasks
from training.train import bundle_identity

__all__ = ["FlagResult", "read_seeds", "train_flag"]

MIN_HITS = 10
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass
class FlagResult:
    """The saved bundle, the fit's report, and the tickets to review."""

    bundle: Bundle
    fit: FitResult
    seed_hits: int
    review: pd.DataFrame


def read_seeds(path: str | Path) -> list[str]:
    """Seed terms, one per line (``#`` starts a comment), normalised as ticket text is."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such seed file; write one seed term per line")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        lines = path.read_text(encoding="gb18030").splitlines()
    seeds = []
    for line in lines:
        term = normalize(line.split("#", 1)[0])
        if term and term not in seeds:
            seeds.append(term)
    if not seeds:
        raise InputError(f"{path}: no seed terms; write one term per line (for example 停水)")
    return seeds


def _without_seeds(texts: pd.Series, seeds: list[str]) -> pd.Series:
    pattern = seed_pattern(seeds)
    assert pattern is not None, "read_seeds refuses an empty seed list"
    return pd.Series([pattern.sub(" ", normalize(t)) for t in texts], index=texts.index)


def train_flag(
    name: str,
    seeds: list[str],
    tickets: Tickets,
    out: str | Path,
    *,
    base: str | Path | None = None,
    config: TrainConfig | None = None,
    progress: bool = True,
) -> FlagResult:
    """Train the flag ``name`` from ``seeds`` on ``tickets`` and save the bundle to ``out``."""
    if not _NAME.match(name):
        raise InputError(
            f"expected a flag name of lower-case letters, digits and _ (such as water_outage), got {name!r}"
        )
    task = flag_task(name)
    frame = tickets.frame
    hits = seed_hits(seeds, frame["title"].tolist(), frame["text"].tolist())
    n_hits = int(hits.sum())
    if n_hits < MIN_HITS or n_hits > len(frame) - MIN_HITS:
        raise InputError(
            f"the seeds match {n_hits} of {len(frame)} tickets; a flag needs at least {MIN_HITS} tickets on each side: "
            "add seed terms (or more tickets) if few match, make the terms more specific if nearly all do"
        )
    training = pd.DataFrame(
        {
            "title": _without_seeds(frame["title"], seeds),
            "text": _without_seeds(frame["text"], seeds),
            task: hits.astype(int),
        }
    )
    tokenizer = default_tokenizer()
    fit = fit_tasks(training, [task], tokenizer, config or TrainConfig(), progress=progress)
    meta_task = {**fit.task_meta[task], "seeds": seeds, "seed_hits": n_hits, "weak_labels": "seed terms"}
    if base is not None:
        base_bundle = load_bundle(base)
        if task in base_bundle.pipelines:
            raise InputError(
                f"{base} already carries the flag {name!r}; pick another name or train from a bundle without it"
            )
        pipelines = {**base_bundle.pipelines, task: fit.pipelines[task]}
        meta = copy.deepcopy(base_bundle.meta)
        meta["base_bundle"] = base_bundle.bundle_id
    else:
        pipelines = dict(fit.pipelines)
        meta = {"recipe": "flag", "params": (config or TrainConfig()).as_dict(), "tasks": {}, "notes": []}
        meta["tokenizer"] = {"backend": tokenizer.backend, "user_words": len(tokenizer.user_words)}
    meta.update(bundle_identity(tickets.sha256))
    meta.setdefault("flags", {})[name] = {"source": tickets.path.name, "sha256": tickets.sha256, "rows": len(frame)}
    meta["tasks"][task] = meta_task
    for key in ("producer", "schema", "versions", "payload"):
        meta.pop(key, None)  # save_bundle writes these anew
    bundle = Bundle(pipelines=pipelines, meta=meta)
    save_bundle(bundle, out)
    if task in fit.held_out:
        # Out-of-fold: a weak negative that is really a positive was never fitted as negative
        # by the model that scores it, so the review can surface it.
        proba = fit.held_out[task][:, 1]
    else:  # a large export, fitted once: the final model's own probabilities
        single = Bundle(pipelines={task: bundle.pipelines[task]}, meta=bundle.meta)
        proba = predict(single, frame[["title", "text"]])[f"{task}_proba"].to_numpy()
    return FlagResult(bundle=bundle, fit=fit, seed_hits=n_hits, review=_review(task, frame, hits, proba))


def _review(task: str, frame: pd.DataFrame, hits: Any, proba: Any) -> pd.DataFrame:
    """Tickets the classifier flags that no seed matched, most probable first, personal data masked."""
    found = (proba >= 0.5) & ~hits
    review = pd.DataFrame(
        {
            "id": frame["id"].to_numpy()[found],
            f"{task}_proba": proba[found].round(4),
            "title": [mask_pii(t) for t in frame["title"].to_numpy()[found]],
            "text": [mask_pii(t)[:200] for t in frame["text"].to_numpy()[found]],
        }
    )
    return review.sort_values(f"{task}_proba", ascending=False, kind="stable").reset_index(drop=True)
