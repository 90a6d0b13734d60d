"""How well one week's topics match the demo generator's own topics, for settings side by side.

    .venv/bin/python -m bench.topic_quality [--tickets 330000] [--seeds 7,8] [--svd-fit-rows 50000,0]

The generator labels every ticket with the topic it wrote it from (``topic``), so the mining
of :func:`trends.topics.find_topics` can be scored against it: per seed, one week of
``--tickets`` generated tickets is mined once per setting, and the script prints the topics
found, the time, the share of tickets in a topic, the adjusted Rand index against the
generator's topics (over the tickets in a topic), how many generator topics keep at least 90 %
of their tickets in one found topic, and how many found topics repeat another's label (one
topic split in two, as an analyst would see it). ``--svd-fit-rows 0`` fits the SVD on every
ticket (no sample).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from demo.corpus import generate
from nlp.tokenize import default_tokenizer
from trends.topics import TopicParams, find_topics

KEPT = 0.9  # share of a generator topic's tickets that one found topic must hold for it to count as kept


def _scores(frame: pd.DataFrame, params: TopicParams) -> str:
    started = time.perf_counter()
    topics = find_topics(frame, default_tokenizer(), params)
    seconds = time.perf_counter() - started
    found = pd.Series(-1, index=frame["id"].to_numpy())
    for i, topic in enumerate(topics):
        found[topic.ticket_ids] = i
    labels = found.loc[frame["id"].to_numpy()].to_numpy()
    truth = frame["topic"].to_numpy()
    covered = labels >= 0
    pairs = pd.DataFrame({"truth": truth[covered], "found": labels[covered]})
    largest = pairs.groupby("truth")["found"].agg(lambda s: s.value_counts().iloc[0])
    kept = int((largest / pd.Series(truth).value_counts().reindex(largest.index) >= KEPT).sum())
    ari = adjusted_rand_score(truth[covered], labels[covered]) if covered.any() else float("nan")
    repeated = int(pd.Series([t.label for t in topics]).duplicated().sum())
    return (
        f"{len(topics):6d} {seconds:8.1f} {covered.mean():8.3f} {ari:7.4f} "
        f"{kept:4d}/{frame['topic'].nunique():<4d} {repeated:8d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=330_000, help="tickets in the week (default 330,000)")
    parser.add_argument("--seeds", default="7,8", help="generator seeds, comma-separated")
    parser.add_argument("--svd-fit-rows", default="50000,0", help="settings to compare; 0: fit on every ticket")
    args = parser.parse_args()
    settings = [int(x) for x in args.svd_fit_rows.split(",")]
    print(f"topics of one generated week of {args.tickets:,} tickets against the generator's topics (1 core)")
    print(
        f"{'seed':>4s} {'svd_fit_rows':>12s} {'topics':>6s} {'seconds':>8s} {'covered':>8s} {'ARI':>7s} kept 90% repeated"
    )
    for seed in (int(s) for s in args.seeds.split(",")):
        frame, _ = generate(n=args.tickets, weeks=1, seed=seed)
        for rows in settings:
            params = TopicParams(svd_fit_rows=rows or np.iinfo(np.int64).max)
            print(f"{seed:4d} {rows or 'all':>12} {_scores(frame, params)}", flush=True)
    print(
        f"reproduce: .venv/bin/python -m bench.topic_quality --tickets {args.tickets} --seeds {args.seeds}"
        f" --svd-fit-rows {args.svd_fit_rows}"
    )


if __name__ == "__main__":
    main()
