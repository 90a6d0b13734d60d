from __future__ import annotations

from demo.probes import covid_probe


def test_three_kinds_labelled_and_deterministic() -> None:
    probe = covid_probe(n_each=20, seed=4)
    assert probe["kind"].value_counts().to_dict() == {"covid": 20, "look_alike": 20, "ordinary": 20}
    assert (probe["covid"] == (probe["kind"] == "covid")).all()
    assert probe["id"].is_unique and not probe["text"].str.contains(r"\{").any()  # every slot filled
    assert probe.equals(covid_probe(n_each=20, seed=4))
    assert not probe["text"].equals(covid_probe(n_each=20, seed=5)["text"])


def test_covid_demands_never_name_covid() -> None:
    texts = covid_probe(n_each=30)
    assert not texts.loc[texts["kind"] == "covid", "text"].str.contains("疫情|新冠").any()
