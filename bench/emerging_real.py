"""Weekly causal digests of a real message board: which topics each week flags, ranked.

    .venv/bin/python -m bench.emerging_real --data-root ../shared/data [--year 2019] [--terms 伊景园,搅拌站]

Runs ``hotline digest --tickets`` on ``teddy2020c/hot_topic_messages.csv`` (a provincial
capital's "问政" board, about 82 messages a week in 2019) for every ISO week of ``--year``,
as the Monday job would: each digest reads only messages filed before the end of its week and
the weeks are mined once (``--cache``). It prints, per week, the flagged topics in the order
of the digest (by heat): rank, status, tickets this week like the topic, share against the
baseline, q-value and keywords. ``--terms`` also prints the weekly number of messages whose
title or text contains each term, to judge by hand where a surge starts.

The data stay where they are: nothing is copied into the repository, and the digests go to a
temporary folder (or ``--keep``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from cli.main import main as hotline

COLUMNS = [
    "--id-col",
    "留言编号",
    "--title-col",
    "留言主题",
    "--text-col",
    "留言详情",
    "--time-col",
    "留言时间",
    "--reporter-col",
    "留言用户",
    "--likes-col",
    "点赞数",
    "--dislikes-col",
    "反对数",
]


def _weeks(year: int) -> list[str]:
    last = date(year, 12, 28).isocalendar().week  # 28 December is always in the year's last ISO week
    return [f"{year}-W{w:02d}" for w in range(1, last + 1)]


def _term_counts(path: Path, terms: list[str], weeks: list[str]) -> pd.DataFrame:
    frame = pd.read_csv(path, usecols=["留言主题", "留言详情", "留言时间"])
    text = frame["留言主题"].fillna("") + frame["留言详情"].fillna("")
    week = pd.to_datetime(frame["留言时间"], errors="coerce", format="mixed").dt.strftime("%G-W%V")  # two formats
    counts = pd.DataFrame({t: text.str.contains(t, regex=False) for t in terms}).groupby(week).sum()
    counts.insert(0, "messages", week.value_counts())
    return counts.reindex(weeks, fill_value=0).astype(int)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True, help="folder holding teddy2020c/ (../shared/data)")
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--history", type=int, default=8, help="weeks in a digest's history (default 8, as the CLI)")
    parser.add_argument("--terms", default="", help="comma-separated terms whose weekly message counts to print")
    parser.add_argument("--keep", help="folder for the week cache and the digests (default: a temporary one)")
    args = parser.parse_args()
    path = Path(args.data_root) / "teddy2020c" / "hot_topic_messages.csv"
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-emerging-real-"))
    weeks = _weeks(args.year)
    try:
        for week in weeks:
            out = folder / week
            command = ["digest", "--tickets", str(path), "--week", week, "--out", str(out)]
            command += ["--history", str(args.history), "--cache", str(folder / "weeks"), *COLUMNS]
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                code = hotline(command)
            if code:
                print(f"{week}: no digest (exit status {code})")
                continue
            digest = json.loads((out / "digest.json").read_text(encoding="utf-8"))
            flagged = [(rank, t) for rank, t in enumerate(digest["topics"], start=1) if t["emerging"]]
            print(f"{week}: {digest['n_tickets']} messages, {digest['n_topics']} topics, {len(flagged)} flagged")
            for rank, t in flagged:
                now = t["weekly_counts"][week]
                q = t["trend_q_value"] if t["status"] == "growing" else t["q_value"]  # the test that decided
                print(
                    f"  #{rank:<2} {t['status']:<8} {now:>3} like it (x{t['share_ratio']:.1f} its share, "
                    f"q {q:.2g})  {' '.join(t['keywords'][:6])}"
                )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if args.terms:
        counts = _term_counts(path, [t for t in args.terms.split(",") if t], weeks)
        print("\nmessages a week containing each term:")
        print(counts[counts.iloc[:, 1:].sum(axis=1) > 0].to_string())
    print(f"reproduce: .venv/bin/python -m bench.emerging_real --data-root {args.data_root} --year {args.year}")


if __name__ == "__main__":
    main()
