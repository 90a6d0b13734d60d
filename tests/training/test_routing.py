"""Training and predicting the two levels of dispatch (platform, unit) on the demo city's tickets."""

from __future__ import annotations

import pandas as pd
import pytest

from demo.corpus import generate
from demo.units import CITY, catalogue
from nlp.bundle import Bundle, load_bundle
from nlp.errors import InputError
from nlp.predict import predict
from training.evaluate import evaluate_bundle, format_report
from training.fit import TrainConfig, platform_of_units
from training.train import train_frame

TASKS = ["department", "platform", "unit"]


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Bundle, pd.DataFrame]:
    frame, _ = generate(n=2500, weeks=4, seed=5)
    out = tmp_path_factory.mktemp("routed") / "model"
    train_frame(frame, TASKS, out, data={"sha256": "0" * 64}, config=TrainConfig(folds=3), progress=False)
    unseen, _ = generate(n=400, weeks=2, seed=6)
    return load_bundle(out), unseen


def test_bundle_routes_on_the_unit_and_shares_the_platform_head(routed: tuple[Bundle, pd.DataFrame]) -> None:
    bundle, _ = routed
    assert bundle.routing_task() == "unit" and bundle.route_threshold("unit") is not None
    unit_head = bundle.pipelines["unit"].steps[-1][1]
    assert bundle.pipelines["platform"].steps[-1][1] is unit_head.platform_head_  # learned once
    platforms = set(catalogue()["platform"])
    assert set(bundle.task_meta("platform")["labels"]) <= platforms and CITY in platforms


def test_predictions_name_a_unit_of_the_predicted_platform(routed: tuple[Bundle, pd.DataFrame]) -> None:
    bundle, unseen = routed
    out = predict(bundle, unseen)
    assert {"platform", "platform_proba", "unit", "unit_proba", "unit_top5", "route"} <= set(out.columns)
    assert all(len(top) == 5 for top in out["unit_top5"])
    assert (out["platform"] == unseen["platform"]).mean() > 0.85
    assert (out["unit"] == unseen["unit"]).mean() > 0.6  # ~250 units from 2,500 tickets
    platform_of = dict(zip(catalogue()["name"], catalogue()["platform"], strict=True))
    auto = out["route"] == "auto"
    assert auto.any()
    assert (out.loc[auto, "unit"] == unseen.loc[auto, "unit"]).mean() > 0.9  # confident means right
    # A confidently routed unit belongs to the predicted platform.
    assert all(platform_of[u] == p for u, p in zip(out.loc[auto, "unit"], out.loc[auto, "platform"], strict=True))


def test_the_place_decides_the_platform_and_content_can_override_it(routed: tuple[Bundle, pd.DataFrame]) -> None:
    bundle, _ = routed
    # 横塘街道 is in 虎丘区 although the caller never says so (resolved through the gazetteer).
    assert predict(bundle, ["横塘街道有个工地晚上施工太吵，睡不着"])["platform"].tolist() == ["虎丘区"]
    # City matters stay at city level wherever the caller is.
    out = predict(bundle, ["在吴中区，苏康码一直打不开，显示异常"])
    assert out["platform"].tolist() == [CITY] and out["unit"].tolist() == ["市大数据管理局"]
    # A street names a district, but the provident fund stays at city level and a power cut
    # goes to the power company (the level head decides before the district head).
    out = predict(
        bundle,
        ["元和街道这边，想提取公积金用于支付房租，请问需要什么材料？", "横塘街道这边，频繁停电，冰箱里的东西都坏了"],
    )
    assert out["platform"].tolist() == [CITY, CITY]
    assert out["unit"].tolist() == ["市住房公积金管理中心", "国网苏州供电公司"]


def test_evaluation_reports_places_and_transfers(routed: tuple[Bundle, pd.DataFrame]) -> None:
    bundle, unseen = routed
    reports = evaluate_bundle(bundle, unseen, TASKS)
    by_place = reports["platform"]["by_place"]
    assert set(by_place) == set(unseen["place_given"]) and sum(v["n"] for v in by_place.values()) == len(unseen)
    # Naming the street is evidence: those tickets are routed to the right platform more often.
    assert by_place["street"]["accuracy"] >= by_place["two_places"]["accuracy"] - 0.05
    unit = reports["unit"]
    assert unit["accuracy"] <= unit["top3_accuracy"] <= unit["top5_accuracy"] < 1.0
    assert f"top-5={unit['top5_accuracy']:.3f}" in format_report(reports)
    transfers = reports["unit"]["transfers"]
    assert transfers["transfers"] == int((unseen["first_unit"] != unseen["unit"]).sum())
    auto = transfers["auto"]  # routed automatically, the model is right often enough to avoid more than it causes
    assert 0 < auto["n"] <= len(unseen) and auto["avoided"] >= auto["caused"]


def test_a_unit_without_a_platform_is_explained() -> None:
    frame = pd.DataFrame({"unit": ["a", "b"], "platform": ["p", None]})
    with pytest.raises(InputError, match="expected the platform of every unit"):
        platform_of_units(frame)
    assert platform_of_units(frame, {"b": "q"}) == {"a": "p", "b": "q"}
