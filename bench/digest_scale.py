"""Digest at city scale: weeks of Suzhou's volume (default 330,000 generated tickets a week).

    .venv/bin/python -m bench.digest_scale [--tickets 330000] [--history 8] [--keep DIR]

What it does, as a deployment would:

1. generates ``history + 1`` weeks of tickets and ingests them into a ticket store
   (DuckDB, as ``hotline ingest`` does), one week at a time;
2. **first digest** (empty cache): ``hotline digest --store`` of the second-to-last week, which
   mines every week of its history and caches each week's summary;
3. **weekly digest** (the Monday job): ``hotline digest --store`` of the last week, which mines
   only the new week and reads the earlier ones from the cache;
4. the same digest again (every week cached, as when the service serves a digest a second time
   after a restart).

Each digest runs in its own process, exactly as the CLI runs it; the figures are that
process's wall time and peak resident memory. Target (issue 7): a week of 330,000 tickets
digested in < 60 s with < 4 GiB. ``--history 1`` digests a week with no history at all.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import run_hotline
from demo.corpus import generate
from trends.digest import week_label
from trends.store import TicketStore


def _digest(store: Path, week: str, history: int, out: Path) -> dict[str, float]:
    return run_hotline(["digest", "--store", str(store), "--week", week, "--history", str(history), "--out", str(out)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=330_000, help="tickets per week (default 330,000)")
    parser.add_argument("--history", type=int, default=8, help="weeks in a digest's history (default 8, as the CLI)")
    parser.add_argument("--keep", help="folder to keep the store and digests in (default: a temporary one)")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="digest-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    store = TicketStore(folder / "tickets.duckdb")
    weeks = args.history + 1
    start = date(2022, 3, 7)
    try:
        started = time.perf_counter()
        frame, _ = generate(n=args.tickets * weeks, weeks=weeks, seed=7, start=start)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        week_of = frame["created_at"].dt.strftime("%G-W%V")
        for label in sorted(week_of.unique()):
            store.upsert(frame[week_of == label], source="generated")
        ingested = time.perf_counter() - started
        del frame, week_of
        previous, last = (week_label(start + timedelta(weeks=k)) for k in (weeks - 2, weeks - 1))
        first = _digest(store.path, previous, args.history, folder / "first")
        weekly = _digest(store.path, last, args.history, folder / "weekly")
        again = _digest(store.path, last, args.history, folder / "again")
        digest = json.loads((folder / "weekly" / "digest.json").read_text(encoding="utf-8"))
        entries = [e for e in store.summary_folder.iterdir() if e.is_dir()]
        cache_mb = sum(f.stat().st_size for e in entries for f in e.iterdir()) / 1e6 / max(len(entries), 1)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"digest scale: {args.tickets:,} generated tickets a week, history {args.history} weeks (2 cores)")
    print(f"  generate {args.tickets * weeks:,} tickets   {generated:.0f} s;  ingest into the store  {ingested:.0f} s")
    print(
        f"  weekly digest of {last}: {digest['n_tickets']:,} tickets, {digest['n_topics']} topics, "
        f"{sum(t['emerging'] for t in digest['topics'])} emerging in the top {len(digest['topics'])}"
    )
    print("                                   time (digest)  time (process)  peak memory")
    runs = (
        ("first digest (empty cache)", first),
        ("weekly digest (earlier weeks cached)", weekly),
        ("same week again (all weeks cached)", again),
    )
    for name, figures in runs:
        print(
            f"  {name:<36} {figures['seconds']:>8.1f} s  {figures['process_seconds']:>10.1f} s  "
            f"{figures['peak_gib']:>7.2f} GiB"
        )
    print(f"  week cache: {len(entries)} weeks, {cache_mb:.0f} MB a week on average")
    print(f"reproduce: .venv/bin/python -m bench.digest_scale --tickets {args.tickets} --history {args.history}")


if __name__ == "__main__":
    main()
