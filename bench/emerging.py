"""Emerging topics on the demo stream at every volume: recall of the injected surges, false flags.

    .venv/bin/python -m bench.emerging [--volumes 100,1000,40000] [--weeks 12] [--seed 0]
    .venv/bin/python -m bench.digest_scale --keep DIR          # 9 weeks of 330,000, mined and cached
    .venv/bin/python -m bench.emerging --volumes 330000 --weeks 9 --store DIR/tickets.duckdb

For each volume (tickets a week), it generates ``weeks`` weeks of the demo stream
(:func:`demo.corpus.generate`, four injected emerging topics), ingests them into a
ticket store week by week, and builds the digest of every week after the first (history 8,
as the CLI), each week mined once and cached as the weekly job does. Then:

* **recall**: an injected topic is found in its first week (the first with any of its
  tickets, told apart by their titles, which no base topic shares) when a flagged topic of that
  week's digest (``emerging``: new, growing or emerging) has one of the injected tickets among
  its examples; its rank by heat is printed. The first week of a surge holds 2-14 % of the
  week's tickets, and at least 7 (``demo.corpus.SURGE_FLOOR``: at 100 a week a surge goes
  from nothing to about 7, as issue 18's example): the injected count is printed next to it,
  and the recall in the first two weeks too;
* **false flags**: flagged topics whose examples hold no injected ticket, per week.

Each digest runs in this process (the mining is the same as the CLI's; the first digest of
a volume mines every week, the later ones only their new week). At 330,000 a week, generating
and mining twelve weeks takes hours on 2 cores: ``--store`` evaluates the weeks that
``bench.digest_scale --keep`` generated (seed 7, nine weeks, the four surges scaled into them)
and mined already, so that only the digests run, each from cached weeks.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from demo.corpus import generate
from demo.topics import emerging_topics
from nlp.tokenize import default_tokenizer
from trends.digest import DigestParams, build_digest, week_label
from trends.store import TicketStore
from trends.summary import SummaryCache, mining_identity

START = date(2022, 3, 7)


def _generated(path: Path, volume: int, weeks: int, seed: int) -> TicketStore:
    """A store of ``weeks`` generated weeks of ``volume`` tickets, ingested a week at a time as a city would."""
    frame, _ = generate(n=volume * weeks, weeks=weeks, seed=seed, start=START)
    store = TicketStore(path)
    week_of = frame["created_at"].dt.strftime("%G-W%V")
    for label in sorted(week_of.unique()):
        store.upsert(frame[week_of == label], source="generated")
    return store


def _injected(store: TicketStore, weeks: int) -> tuple[dict[str, str], dict[str, list[int]]]:
    """Ids of the injected tickets (by their titles, which no base topic shares) and their weekly counts."""
    titles = {topic.key: topic.titles for topic in emerging_topics()}
    ids: dict[str, str] = {}
    counts = {key: [0] * weeks for key in titles}
    for k in range(weeks):
        since = datetime.combine(START + timedelta(weeks=k), datetime.min.time())
        rows = store.tickets(since=since, until=since + timedelta(weeks=1))
        for key, endings in titles.items():  # a title may carry a prefix (投诉：, 咨询：)
            hit = rows["title"].fillna("").str.endswith(endings)
            ids.update(dict.fromkeys(rows.loc[hit, "id"].astype(str), key))
            counts[key][k] = int(hit.sum())
    return ids, counts


def _evaluate(store: TicketStore, weeks: int, volume: int) -> None:
    injected, counts = _injected(store, weeks)
    params = DigestParams(top=20)
    tokenizer = default_tokenizer()
    cache = SummaryCache(store.summary_folder, mining_identity(tokenizer, params.topics))
    labels = [week_label(START + timedelta(weeks=k)) for k in range(weeks)]
    flagged: dict[str, list[tuple[int, dict]]] = {}
    started = time.perf_counter()
    for label in labels[1:]:  # the first week has nothing to compare with
        digest = build_digest(store, label, tokenizer, params=params, cache=cache).to_json_dict()
        flagged[label] = [(rank, t) for rank, t in enumerate(digest["topics"], start=1) if t["emerging"]]
    digested = time.perf_counter() - started

    def found(label: str, key: str) -> tuple[int, dict] | None:
        return next((f for f in flagged.get(label, []) if key in {injected.get(i) for i in f[1]["example_ids"]}), None)

    print(f"  {len(flagged)} digests in {digested:.0f} s")
    hits = hits_two = present = 0
    for key, weekly in counts.items():
        if not any(weekly):
            continue
        present += 1
        first = next(k for k, n in enumerate(weekly) if n)
        hit = found(labels[first], key)
        hit_two = hit or (found(labels[first + 1], key) if first + 1 < weeks else None)
        hits += hit is not None
        hits_two += hit_two is not None
        shown = f"{hit[1]['status']} at rank {hit[0]}" if hit else "not flagged"
        later = "" if hit or not hit_two else f"; flagged the week after ({hit_two[1]['status']}, rank {hit_two[0]})"
        print(
            f"  {key:<15} starts {labels[first]} with {weekly[first]:>6,} tickets "
            f"({weekly[first] / volume:.1%} of the week): {shown}{later}"
        )
    per_week = [
        sum(1 for _r, t in topics if not {injected.get(i) for i in t["example_ids"]} - {None})
        for topics in flagged.values()
    ]
    print(f"  recall in the first week: {hits}/{present}; within two weeks: {hits_two}/{present}")
    print(
        f"  false emerging flags: {sum(per_week)} in {len(per_week)} weeks, {sum(per_week) / len(per_week):.2f} a week "
        f"(most in one week: {max(per_week)}); flagged topics in all: {sum(len(f) for f in flagged.values())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volumes", default="100,1000,40000,330000", help="tickets a week, comma-separated")
    parser.add_argument("--weeks", type=int, default=12, help="weeks of the stream (default 12: every surge fits)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="folder to keep the stores and week caches in (default: a temporary one)")
    parser.add_argument(
        "--store",
        help="evaluate this store of generated weeks instead (bench.digest_scale --keep DIR leaves DIR/tickets.duckdb "
        "with its weeks mined: pass its --tickets as --volumes and its --history + 1 as --weeks)",
    )
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-emerging-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"emerging topics on the demo stream, {args.store or f'seed {args.seed}'} (2 cores)")
    try:
        for volume in (int(v) for v in args.volumes.split(",")):
            print(f"\n{volume:,} tickets a week, {args.weeks} weeks")
            if args.store:
                store = TicketStore(args.store)
            else:
                started = time.perf_counter()
                store = _generated(folder / f"tickets-{volume}.duckdb", volume, args.weeks, args.seed)
                print(f"  generated and ingested in {time.perf_counter() - started:.0f} s")
            _evaluate(store, args.weeks, volume)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    again = f" --store {args.store}" if args.store else f" --seed {args.seed}"
    print(f"reproduce: .venv/bin/python -m bench.emerging --volumes {args.volumes} --weeks {args.weeks}{again}")


if __name__ == "__main__":
    main()
