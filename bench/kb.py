"""Knowledge-base suggestion benchmark: quality on the demo KB and the public policy questions, speed at scale.

    .venv/bin/python -m bench.kb --data-root ../shared/data [--sizes 40000,200000] [--policy-queries 1000]
    .venv/bin/python -m bench.kb --only scale --sizes 200000 [--profile]   # where a query's time goes

1. Demo knowledge base (:mod:`demo.kb`, built with its calibration queries, scored on its test
   queries, whose situations the build never saw): hit@1, hit@3 and MRR@10 on answerable queries
   (an abstention is a miss), abstention on unanswerable and expired-topic queries, and the
   suggestions shown that were not valid when asked (must be 0) — for the learned fusion and the
   baselines (plain BM25, plain character TF-IDF, reciprocal-rank fusion).
2. Public policy questions (``covid/policy_questions_train.csv``): every question is an entry;
   a question whose document (``docid``) has others is a query, itself left out, and a hit is an
   entry of the same document. Built without labelled queries (calibrated on queries generated
   from the entries). Retrieval figures, and the share of queries answered (not abstained).
3. Scale: the demo KB plus generated entries (:func:`demo.kb.synthetic_entries`) at each size,
   built in a child process: build time, peak memory, p50/p99 query latency in-process, and
   hit@1 of the demo queries among that many entries. ``--profile`` prints the functions
   that take the queries' time (cProfile, a second pass over the queries) before the figures.
Targets (issue 17): hit@1 >= 0.85, hit@3 >= 0.95, abstention >= 80 %, never an expired entry;
p99 < 20 ms at 200 k entries; a 1 M build < 10 min.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from demo.kb import CONFUSABLE, DemoKb, demo_kb, synthetic_entries
from kb.entries import validate_entries
from kb.index import FUSIONS, KbIndex, build_index, to_moment

_K = 10
_PARTS = ("demo", "policy", "scale")


def evaluate(index: KbIndex, queries: pd.DataFrame) -> dict[str, Any]:
    """Figures of ``index`` on queries ``text, asked_at, gold`` (``gold`` empty: unanswerable)."""
    ids = index.entries["id"].to_numpy()
    hit1, hit3, rr, abstained, invalid, seconds = [], [], [], [], 0, []
    for text, asked, gold in zip(queries["text"], queries["asked_at"], queries["gold"], strict=True):
        at = to_moment(asked)
        started = time.perf_counter()
        shown = index.suggested(index.rank(text, at=at), _K)
        seconds.append(time.perf_counter() - started)
        invalid += int(((index.start[shown.rows] > at) | (index.end[shown.rows] <= at)).sum()) if at else 0
        got = ids[shown.rows].tolist()
        if gold:
            hit1.append(got[:1] == [gold])
            hit3.append(gold in got[:3])
            rr.append(1 / (got.index(gold) + 1) if gold in got else 0.0)
        else:
            abstained.append(not got)
    return {
        "hit@1": np.mean(hit1),
        "hit@3": np.mean(hit3),
        "MRR@10": np.mean(rr),
        "abstain": np.mean(abstained) if abstained else float("nan"),
        "invalid": invalid,
        "p50_ms": np.percentile(seconds, 50) * 1000,
        "p99_ms": np.percentile(seconds, 99) * 1000,
    }


# Why an answerable query's right entry was not in the first three suggestions (or not first).
MISS_CAUSES = (
    "abstained, right entry ranked 1st",
    "abstained, right entry ranked 2nd-3rd",
    "abstained, right entry ranked 4th+ or not found",
    "right entry not among the candidates",
    "superseded version of it ranked above",
    "confusable twin ranked above",
    "other entries ranked above",
    "left out of the list (under the list floor)",
)


def miss_causes(
    index: KbIndex, queries: pd.DataFrame, within: int = 3, twins: dict[str, set[str]] | None = None
) -> Counter[str]:
    """Count the answerable queries whose right entry is not among the first ``within`` shown, by cause.

    Only counts (never a query's text, so that it can run on real data). The causes, first that
    applies: the index abstained (and where the right entry ranked among the candidates); the right
    entry is not a candidate; an entry with the same question (another version) ranks above it; one
    of its confusable twins (``twins``: entry id to the ids of the entries it is easily mistaken
    for, renting vs buying) ranks above it; other entries rank above it; it ranked high enough but
    scored under the list floor. Unanswerable queries that got suggestions are counted as
    ``suggested on unanswerable (kind)``.
    """
    ids = index.entries["id"].to_numpy()
    row_of = {entry_id: row for row, entry_id in enumerate(ids)}
    questions = index.entries["question"].to_numpy()
    twins = twins or {}
    kinds = queries["kind"] if "kind" in queries.columns else pd.Series("unanswerable", index=queries.index)
    causes: Counter[str] = Counter()
    for text, asked, gold, kind in zip(queries["text"], queries["asked_at"], queries["gold"], kinds, strict=True):
        ranked = index.rank(text, at=to_moment(asked))
        shown = index.suggested(ranked, _K)
        if not gold:
            if len(shown.rows):
                causes[f"suggested on unanswerable ({kind})"] += 1
            continue
        row = row_of[gold]
        if row in shown.rows[:within]:
            continue
        order = ranked.rows.tolist()
        rank = order.index(row) if row in order else len(order)
        above = ranked.rows[:rank]
        if not len(shown.rows):
            cause = 0 if rank == 0 else 1 if rank < 3 else 2
        elif row not in order:
            cause = 3
        elif (questions[above] == questions[row]).any():
            cause = 4
        elif rank >= within and twins.get(gold, set()) & set(ids[above]):
            cause = 5
        else:
            cause = 6 if rank >= within else 7
        causes[MISS_CAUSES[cause]] += 1
    return causes


def _demo(seed: int = 0) -> tuple[DemoKb, pd.DataFrame]:
    """The demo knowledge base and its entries, validated as a build reads them."""
    kb = demo_kb(seed=seed)
    return kb, validate_entries(kb.entries.drop(columns="topic"))


def demo_misses() -> pd.DataFrame:
    """Miss causes of hit@3 and hit@1 on the demo test queries, for every fusion (counts)."""
    kb, entries = _demo()
    ids_of = kb.entries.groupby("topic")["id"].agg(set).to_dict()
    twins = {entry_id: ids_of[b] for pair in CONFUSABLE for a, b in (pair, pair[::-1]) for entry_id in ids_of[a]}
    columns = {}
    for fusion in FUSIONS:
        index = build_index(entries, calibration=kb.calibration, fusion=fusion)
        for within in (3, 1):
            columns[f"{fusion} @{within}"] = miss_causes(index, kb.test, within, twins)
    answerable = int((kb.test["gold"] != "").sum())
    extra = sorted(set().union(*columns.values()) - set(MISS_CAUSES))
    frame = pd.DataFrame(columns).reindex(list(MISS_CAUSES) + extra).fillna(0).astype(int)
    frame.loc[f"answerable queries missed (of {answerable})"] = frame.loc[list(MISS_CAUSES)].sum()
    return frame


def demo_tradeoff(
    targets: tuple[float, ...] = (0.75, 0.80, 0.85, 0.90), seeds: tuple[int, ...] = (0,)
) -> list[dict[str, Any]]:
    """The learned fusion's figures on the demo test queries for several abstain targets (calibration).

    With several seeds (demo knowledge bases), each seed's row, then their mean per target.
    """
    rows = []
    for seed in seeds:
        kb, entries = _demo(seed)
        for target in targets:
            index = build_index(entries, calibration=kb.calibration, abstain_target=target)
            figures = evaluate(index, kb.test)
            rows.append(
                {"seed": seed, "abstain_target": target}
                | {k: figures[k] for k in ("hit@1", "hit@3", "MRR@10", "abstain")}
            )
    if len(seeds) > 1:
        means = pd.DataFrame(rows).drop(columns="seed").groupby("abstain_target", as_index=False).mean()
        rows += [{"seed": "mean", **row} for row in means.to_dict("records")]
    return rows


def demo_figures() -> list[dict[str, Any]]:
    kb, entries = _demo()
    rows = []
    for fusion in FUSIONS:
        index = build_index(entries, calibration=kb.calibration, fusion=fusion)
        figures = evaluate(index, kb.test)
        by_kind = {
            str(kind): evaluate(index, part)["hit@1"]
            for kind, part in kb.test.groupby("kind")
            if (part["gold"] != "").all()
        }
        rows.append({"fusion": fusion, **figures, **{f"hit@1 {k}": v for k, v in by_kind.items()}})
    return rows


def policy_figures(data_root: Path, n_queries: int, seed: int = 0) -> list[dict[str, Any]]:
    raw = pd.read_csv(data_root / "covid" / "policy_questions_train.csv", dtype=str, keep_default_na=False)
    entries = validate_entries(raw[["id", "question", "answer", "docid"]])
    siblings = entries.groupby("docid")["id"].transform("size")
    candidates = np.flatnonzero(siblings.to_numpy() > 1)
    picked = np.random.default_rng(seed).choice(candidates, size=min(n_queries, len(candidates)), replace=False)
    docid = entries["docid"].to_numpy()
    rows = []
    for fusion in FUSIONS:
        started = time.perf_counter()
        index = build_index(entries, fusion=fusion, seed=seed)
        build = time.perf_counter() - started
        hit1, hit3, rr, answered, seconds = [], [], [], [], []
        for row in picked:
            t0 = time.perf_counter()
            ranked = index.rank(str(entries["question"].iat[row]), exclude=[int(row)])
            seconds.append(time.perf_counter() - t0)
            same = docid[ranked.rows[:_K]] == docid[row]
            hit1.append(bool(same[:1].any()))
            hit3.append(bool(same[:3].any()))
            rr.append(1 / (int(np.argmax(same)) + 1) if same.any() else 0.0)
            answered.append(len(index.suggested(ranked, _K).rows) > 0)
        rows.append(
            {
                "fusion": fusion,
                "hit@1": np.mean(hit1),
                "hit@3": np.mean(hit3),
                "MRR@10": np.mean(rr),
                "answered": np.mean(answered),
                "build_s": build,
                "p50_ms": np.percentile(seconds, 50) * 1000,
                "p99_ms": np.percentile(seconds, 99) * 1000,
            }
        )
    return rows


# Builds one size in a child process, so that its peak memory is its own.
_CHILD = """
import json, re, sys, time
from pathlib import Path
import pandas as pd
from bench.kb import evaluate, scale_entries
from demo.kb import demo_kb
from kb.entries import validate_entries
from kb.index import build_index
n = int(sys.argv[1])
kb = demo_kb(seed=0)
entries = scale_entries(kb, n)
started = time.perf_counter()
index = build_index(validate_entries(entries), calibration=kb.calibration)
build = time.perf_counter() - started
queries = pd.concat([kb.test] * 3, ignore_index=True)
figures = evaluate(index, queries)
if len(sys.argv) > 2:
    import cProfile, pstats
    profile = cProfile.Profile()
    profile.runcall(evaluate, index, queries)
    pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(15)
peak = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024**2
print(json.dumps({"entries": n, "build_s": build, "peak_gib": peak, **{k: float(v) for k, v in figures.items()}}))
"""


def scale_entries(kb: Any, n: int) -> pd.DataFrame:
    """The demo entries and generated ones, ``n`` in all."""
    generated = synthetic_entries(max(n - len(kb.entries), 0), seed=1)
    return pd.concat([kb.entries.drop(columns="topic"), generated], ignore_index=True).fillna("")


def scale_figures(sizes: list[int], profile: bool = False) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        command = [sys.executable, "-c", _CHILD, str(n), *(["profile"] if profile else [])]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"scale {n} failed:\n{done.stderr[-3000:]}")
        *printed, last = done.stdout.strip().splitlines()
        if profile:
            print(f"-- profile of the queries at {n} entries --", *printed, sep="\n")
        rows.append(json.loads(last))
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    frame = pd.DataFrame(rows)
    return frame.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, help="folder holding covid/ (for example ../shared/data)")
    parser.add_argument("--policy-queries", type=int, default=1000, help="policy questions used as queries")
    parser.add_argument("--sizes", default="40000,200000", help="entry counts for the scale runs ('' for none)")
    parser.add_argument(
        "--only", choices=_PARTS, action="append", help=f"run only this part (repeatable; default: all of {_PARTS})"
    )
    parser.add_argument("--profile", action="store_true", help="print where the scale runs' query time goes")
    parser.add_argument(
        "--misses", action="store_true", help="with the demo part: why answerable queries missed (counts by cause)"
    )
    parser.add_argument(
        "--tradeoff-seeds", default="0", help="with --misses: demo knowledge bases of these seeds for the trade-off"
    )
    args = parser.parse_args()
    parts = set(args.only or _PARTS)
    print("command:", " ".join(["python -m bench.kb", *sys.argv[1:]]))
    if "demo" in parts:
        print("\n== demo knowledge base (test queries; abstention counts as a miss) ==")
        print(_table(demo_figures()))
        if args.misses:
            print("\n== demo misses by cause (answerable queries not in the first 3 / not first; counts) ==")
            print(demo_misses().to_string())
            print("\n== demo: abstain target on the calibration queries against the test figures (learned) ==")
            seeds = tuple(int(s) for s in re.split(r"[,\s]+", args.tradeoff_seeds) if s)
            print(_table(demo_tradeoff(seeds=seeds)))
    if args.data_root and "policy" in parts:
        print(f"\n== public policy questions: leave one out, hit = same document ({args.policy_queries} queries) ==")
        print(_table(policy_figures(args.data_root, args.policy_queries)))
    sizes = [int(s) for s in re.split(r"[,\s]+", args.sizes) if s]
    if sizes and "scale" in parts:
        print("\n== scale: demo entries + generated ones (demo test queries x3; latency in-process) ==")
        print(_table(scale_figures(sizes, args.profile)))


if __name__ == "__main__":
    main()
