"""Personal data left unmasked, ordinary numbers altered, and the cost of masking (issue 19).

    .venv/bin/python -m bench.pii [--seed 0] [--rounds 8] [--n 20000] [--repeat 5] [--data-root ../shared/data]

Masks the generated cases of ``demo/pii.py`` (personal data in the many forms callers
write it; ordinary numbers that must stay) with ``mask_pii`` (stored, shown, logged text) and
``clean`` (model text), and prints: forms tried, left unmasked (target 0), ordinary numbers
altered (target <= 2 %). Then the time of ``clean_many`` (a batch, as training and ``predict``
clean) and of ``mask_pii`` (one text at a time, as the store and the prediction log mask) per
text, on ``--n`` generated tickets (titles and bodies) and, with ``--data-root``, on the real
Teddy messages repeated to ``--n``; best of ``--repeat`` runs (a shared machine only slows a run
down). The script uses only the public functions of ``nlp.text``, so an older version can be
timed the same way (put its folder first on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from demo.corpus import generate
from demo.pii import digits_of, leaked, ordinary_cases, pii_cases
from nlp.text import clean, clean_many, mask_pii


def _best_us_per_text(work: Callable[[], object], texts: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best * 1e6 / texts


def _mask_each(texts: list[str]) -> list[str]:
    return [mask_pii(t) for t in texts]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds", type=int, default=8, help="rounds of the case templates (8: 616 forms, 320 ordinary)"
    )
    parser.add_argument("--n", type=int, default=20_000, help="tickets to time masking on")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data-root", type=Path, help="the shared data folder (times the Teddy messages too)")
    args = parser.parse_args(argv)

    pii, ordinary = pii_cases(args.seed, args.rounds), ordinary_cases(args.seed, args.rounds)
    print(
        f"personal data: {len(pii)} forms tried ({', '.join(f'{k} {n}' for k, n in Counter(c.kind for c in pii).items())})"
    )
    for name, mask in (("mask_pii", mask_pii), ("clean", clean)):
        left = [c for c in pii if leaked(c, mask(c.text))]
        print(f"  left unmasked by {name}: {len(left)}")
        for case in left[:10]:
            print(f"    {case.kind} ({case.form}): {case.text!r} -> {mask(case.text)!r}")
    for name, mask in (("mask_pii", mask_pii), ("clean", clean)):
        altered = [c for c in ordinary if digits_of(mask(c.text)) != digits_of(c.text)]
        print(
            f"ordinary numbers altered by {name}: {len(altered)} of {len(ordinary)} ({len(altered) / len(ordinary):.1%})"
        )
        for case in altered[:10]:
            print(f"    {case.form}: {case.text!r} -> {mask(case.text)!r}")

    frame, _ = generate(n=args.n, weeks=8, seed=args.seed)
    corpora = {"generated tickets": frame["title"].tolist() + frame["text"].tolist()}
    if args.data_root is not None:
        from bench.throughput import teddy_tickets

        teddy = teddy_tickets(args.data_root, args.n)
        corpora["Teddy messages"] = teddy["title"].tolist() + teddy["text"].tolist()
    for corpus, texts in corpora.items():
        batch = _best_us_per_text(partial(clean_many, texts), len(texts), args.repeat)
        single = _best_us_per_text(partial(_mask_each, texts), len(texts), args.repeat)
        print(
            f"{corpus} ({len(texts)} titles and bodies): clean_many {batch:.1f} us/text, mask_pii {single:.1f} us/text"
        )


if __name__ == "__main__":
    main()
