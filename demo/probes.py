"""A hotline-style COVID probe set: the check of the COVID head on the tickets it is for.

The public COVID texts are policy questions and Weibo posts; hotline tickets are citizens'
demands. This module writes tickets of the second kind (templates in ``demo/data/probes.csv``),
for evaluation only (no recipe trains on them): COVID demands that never say 疫情 or 新冠 (a health code turned yellow,
waiting for 核酸 results, supplies in a sealed compound ...), look-alikes that share words
with them but are not about COVID (狂犬疫苗, 流感, 道路隔离带, 乘车码, 健康证, a fever),
and ordinary demands. Deterministic for a seed.
"""

from __future__ import annotations

import random
from operator import itemgetter

import pandas as pd

from demo.data import grouped, read_pools, read_rows

__all__ = ["covid_probe"]

KINDS = (("covid", 1), ("look_alike", 0), ("ordinary", 0))  # kind of probe, its COVID label


def covid_probe(*, n_each: int = 60, seed: int = 0) -> pd.DataFrame:
    """Probe tickets: ``id``, ``title`` (empty), ``text``, ``covid`` (1/0) and ``kind``.

    ``kind`` is ``covid`` (COVID demands without 疫情/新冠), ``look_alike`` or ``ordinary``;
    ``n_each`` tickets of each kind.
    """
    rng = random.Random(seed)
    names = read_pools("names")
    places, sites = names["probe_place"], names["probe_site"]
    templates_of = grouped(read_rows("probes"), itemgetter("kind"), "text")
    rows = []
    for kind, label in KINDS:
        templates = templates_of[kind]
        for i in range(n_each):
            template = templates[i % len(templates)]
            text = template.format(place=rng.choice(places), site=rng.choice(sites))
            rows.append({"id": f"probe-{kind}-{i}", "title": "", "text": text, "covid": label, "kind": kind})
    return pd.DataFrame(rows)
