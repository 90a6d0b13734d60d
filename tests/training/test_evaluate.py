from __future__ import annotations

import copy

import pandas as pd

from nlp.bundle import Bundle
from nlp.predict import predict
from training.evaluate import evaluate_bundle


def _with_seeds(bundle: Bundle, task: str, seeds: list[str]) -> Bundle:
    seeded = copy.copy(bundle)
    seeded.meta = copy.deepcopy(bundle.meta)
    seeded.meta["tasks"][task]["seeds"] = seeds
    return seeded


def test_binary_tasks_are_evaluated_as_predict_scores_them(bundle: Bundle, unseen: pd.DataFrame) -> None:
    frame = unseen[["title", "text", "covid", "department"]].head(200).reset_index(drop=True)
    noisy = frame["text"].str.contains("楼上|装修|噪音")
    assert noisy.sum() >= 3 and not frame.loc[noisy, "covid"].any()  # not COVID tickets
    plain = evaluate_bundle(bundle, frame, ["covid"])["covid"]
    # A seed term that every noise ticket carries makes them COVID-positive by rule, in predict and in evaluate.
    frame.loc[noisy, "text"] = frame.loc[noisy, "text"] + " 楼上噪音"
    seeded = _with_seeds(bundle, "covid", ["楼上噪音"])
    report = evaluate_bundle(seeded, frame, ["covid"])["covid"]
    flagged = (predict(seeded, frame[["title", "text"]])["covid"] == 1) & (frame["covid"] == 0)
    assert flagged.sum() >= noisy.sum()
    false_positives = report["confusion"]["matrix"][0][1]
    assert false_positives == flagged.sum() > plain["confusion"]["matrix"][0][1]


def test_department_report_has_the_routing_figures(bundle: Bundle, unseen: pd.DataFrame) -> None:
    report = evaluate_bundle(bundle, unseen, ["department"])["department"]
    assert report["n"] == len(unseen) and report["accuracy"] > 0.8
    assert report["route_threshold"] == bundle.route_threshold() and 0 < report["auto_coverage"] <= 1
