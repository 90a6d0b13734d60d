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
    noisy = frame["text"].str.contains("楼上|装修|噪音|吵|扰民") & (frame["covid"] == 0)  # not COVID tickets
    assert noisy.sum() >= 3
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


def test_transfer_report_counts_avoided_and_caused_transfers() -> None:
    from training.evaluate import transfer_report

    first = ["a", "b", "a", "c", None, "a"]
    final = ["a", "a", "a", "a", "a", "b"]
    model = ["a", "a", "b", "c", "b", "b"]
    report = transfer_report(first, final, model, route=["auto", "auto", "manual", "auto", "auto", "auto"])
    # Row 5 has no first unit: left out. Transfers: rows 2, 4 and 6 (first != final).
    assert report == {
        "n": 5,
        "transfers": 3,
        "avoided": 2,  # rows 2 and 6: first unit wrong, the model names the final one
        "caused": 1,  # row 3: first unit right, the model wrong
        "auto": {"n": 4, "avoided": 2, "caused": 0},
    }


def test_platform_accuracy_by_how_the_place_was_given() -> None:
    from training.evaluate import platform_by_place

    report = platform_by_place(["x", "x", "y", "y"], ["x", "y", "y", "y"], ["street", "street", "none", "district"])
    assert report == {
        "district": {"n": 1, "accuracy": 1.0},
        "none": {"n": 1, "accuracy": 1.0},
        "street": {"n": 2, "accuracy": 0.5},
    }
