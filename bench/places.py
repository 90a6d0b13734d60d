"""Speed of the place resolver and of PlaceFeatures (issue 14), one core.

    .venv/bin/python -m bench.places [--n 50000] [--repeat 3] [--data-root ../shared/data]

Prints, for N generated tickets (``hotline demo-data``'s generator) and, with
``--data-root``, the real ``teddy2020c`` messages repeated to N (about 440 characters):
the time to build the matcher, tickets per second of ``resolve_ticket``, of
``PlaceFeatures.transform`` on titles and bodies, and of the same on one document per ticket
as the feature pipeline gives it (resolved in bulk; best of ``--repeat``), and the share of tickets in which a
place was found. The real messages come from another, anonymised city (A市): every
Suzhou place found there is a false match or a name shared with that city, so that share
bounds the false-match rate on text that names no Suzhou place. The names found most
often there are printed (names of the gazetteer, no text of the messages).

Platform accuracy on real tickets cannot be measured here: no real Suzhou tickets are
available (the Teddy messages name A市 and A3区).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from bench.throughput import teddy_tickets
from demo.corpus import generate
from nlp.places import PlaceFeatures, PlaceResolver, find_places, resolve_ticket


def _timed(run: object, repeat: int) -> tuple[float, float]:
    """Best wall-clock and CPU seconds of ``repeat`` runs (CPU time is steadier on a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()  # type: ignore[operator]
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(wall), min(cpu)


def _measure(name: str, tickets: pd.DataFrame, repeat: int) -> None:
    titles = tickets["title"].fillna("").astype(str).tolist()
    texts = tickets["text"].fillna("").astype(str).tolist()
    chars = sum(map(len, titles)) + sum(map(len, texts))
    n = len(tickets)
    wall, cpu = _timed(lambda: [resolve_ticket(t, x) for t, x in zip(titles, texts, strict=True)], repeat)
    found = [resolve_ticket(t, x) for t, x in zip(titles, texts, strict=True)]
    print(
        f"{name}: {n} tickets, {chars / n:.0f} characters each: resolve_ticket {n / wall:,.0f} tickets/s "
        f"({n / cpu:,.0f} per CPU second, {chars / cpu / 1e6:.1f} M characters); "
        f"a place found in {sum(bool(f.matches) for f in found) / n:.1%}"
    )
    features = PlaceFeatures().fit(tickets)
    wall, cpu = _timed(lambda: features.transform(tickets), repeat)
    print(
        f"{name}: PlaceFeatures.transform {n / wall:,.0f} tickets/s ({n / cpu:,.0f} per CPU second), "
        f"{len(features.vocabulary_)} columns"
    )
    # The feature pipeline's case: one document (title and body) per ticket, resolved in bulk.
    documents = pd.DataFrame({"doc": [f"{t} {x}" if t else x for t, x in zip(titles, texts, strict=True)]})
    in_bulk = PlaceFeatures(title_col="", text_col="doc").fit(documents)
    wall, cpu = _timed(lambda: in_bulk.transform(documents), repeat)
    print(
        f"{name}: PlaceFeatures.transform of one document per ticket (in bulk, as the feature pipeline) "
        f"{n / wall:,.0f} tickets/s ({n / cpu:,.0f} per CPU second)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-root", type=Path)
    args = parser.parse_args()

    started = time.perf_counter()
    PlaceResolver()
    print(f"building the matcher (gazetteer, landmarks, automaton): {time.perf_counter() - started:.2f} s")
    generated, _ = generate(n=args.n, weeks=4, seed=0)
    _measure("generated", generated, args.repeat)
    if args.data_root is not None:
        real = teddy_tickets(args.data_root, args.n)
        _measure("teddy2020c (another city)", real, args.repeat)
        distinct = real.drop_duplicates(subset=["title", "text"])
        names: Counter[str] = Counter()
        for title, text in zip(distinct["title"].tolist(), distinct["text"].tolist(), strict=True):
            names.update({m.name for m in find_places(f"{title}\n{text}")})
        print(
            f"teddy2020c: Suzhou names found most often in {len(distinct)} distinct messages: {names.most_common(15)}"
        )


if __name__ == "__main__":
    main()
