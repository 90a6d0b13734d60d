"""Digest at city scale: one week of Suzhou's volume (default 330,000 generated tickets).

    .venv/bin/python -m bench.digest_scale [--tickets 330000] [--history 1]

Prints the time and peak memory (this process, resident) of building the digest of the last
week. ``--history 1`` mines the target week alone; larger values mine earlier weeks at the same
volume too. Target (issue 7): < 60 s and < 4 GiB for a week of 330,000 tickets;
``--tickets 41250 --history 8`` digests 330,000 tickets spread over the eight weeks of the
default history instead.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date, timedelta

from nlp.tokenize import default_tokenizer
from training.demo_corpus import generate
from trends.digest import DigestParams, build_digest, week_label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=330_000, help="tickets per week")
    parser.add_argument("--history", type=int, default=1, help="weeks mined (the target week included)")
    args = parser.parse_args()
    start = date(2022, 3, 7)
    started = time.perf_counter()
    frame, _ = generate(n=args.tickets * args.history, weeks=args.history, seed=7, start=start)
    generated = time.perf_counter() - started
    week = week_label(start + timedelta(weeks=args.history - 1))
    tokenizer = default_tokenizer()
    tokenizer("预热")  # load the dictionary outside the timing
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    digest = build_digest(frame, week, tokenizer, params=DigestParams(history=args.history))
    elapsed = time.perf_counter() - started
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"digest scale: {len(frame)} generated tickets ({generated:.0f} s to generate), week {week}, history {args.history}"
    )
    print(f"  tickets in the week   {digest['n_tickets']}")
    print(f"  topics                {digest['n_topics']}  (emerging {sum(t['emerging'] for t in digest['topics'])})")
    print(f"  digest time           {elapsed:.1f} s")
    print(f"  peak resident memory  {peak_gib:.2f} GiB (before the digest: {before / 1024**2:.2f} GiB)")
    print(f"reproduce: .venv/bin/python -m bench.digest_scale --tickets {args.tickets} --history {args.history}")


if __name__ == "__main__":
    main()
