"""Weekly counts of predictions as digest history: where tickets went, week over week.

``hotline aggregate`` writes one long table, ``week, dimension, value, tickets`` (see
:mod:`batch.aggregate`). The digest's topic emergence needs each past week's tickets themselves
(a topic's history counts the tickets close to its centre), so counts cannot replace them
there; what counts answer without re-reading any ticket is the "by platform / by unit" view: how
many tickets each platform, unit or department got this week and in the weeks before, and the
shares of consultations and COVID demands. :func:`counts_section` builds that section of the
digest; :func:`counts_markdown` and :func:`counts_html` render it.
"""

from __future__ import annotations

import html
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.errors import InputError
from trends.markup import markdown_text

__all__ = ["COLUMNS", "DIMENSIONS", "counts_html", "counts_markdown", "counts_section", "read_counts"]

COLUMNS = ("week", "dimension", "value", "tickets")
DIMENSIONS = ("platform", "unit", "department", "consultation", "covid", "topic")
SHARES = ("consultation", "covid")  # binary dimensions, shown as the share of positives


def read_counts(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the weekly counts written by ``hotline aggregate`` (a Parquet folder or file)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such counts folder; pass the --output of 'hotline aggregate'")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise InputError(
            f"{path}: could not be read as Parquet counts ({exc}); pass the --output of 'hotline aggregate'"
        ) from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: expected weekly counts with columns {', '.join(COLUMNS)}, missing {', '.join(missing)}; "
            "pass the --output of 'hotline aggregate'"
        )
    frame = frame[list(COLUMNS)].astype({"week": str, "dimension": str, "value": str})
    frame["tickets"] = frame["tickets"].astype("int64")
    return frame


def _weeks(week: str, history: int) -> list[str]:
    from trends.digest import parse_week, week_label

    monday = parse_week(week)
    return [week_label(monday - timedelta(weeks=k)) for k in range(history - 1, -1, -1)]


def counts_section(counts: pd.DataFrame, week: str, *, history: int = 8, top: int = 10) -> dict[str, Any]:
    """The digest's section of weekly counts: the ``history`` weeks up to ``week`` (this one last).

    Returns
    -------
    dict
        ``weeks``; ``scored`` (tickets scored each week); ``shares`` (consultation and COVID share
        each week); ``tables``: per dimension, the ``top`` values of this week with their
        ``weekly_counts``, ``this_week``, ``previous_week`` and ``change``.
    """
    weeks = _weeks(week, history)
    window = counts[counts["week"].isin(weeks)]
    if not (window["week"] == weeks[-1]).any():
        covered = sorted(counts["week"].unique())
        span = f"{covered[0]} to {covered[-1]}" if covered else "no week"
        raise InputError(f"the weekly counts have no tickets in {weeks[-1]} (they cover {span}); aggregate that week")

    def by_week(rows: pd.DataFrame) -> dict[str, int]:
        totals = rows.groupby("week")["tickets"].sum()
        return {w: int(totals.get(w, 0)) for w in weeks}

    scored = by_week(window[(window["dimension"] == "all") & (window["value"] == "scored")])
    section: dict[str, Any] = {"weeks": weeks, "scored": scored, "shares": {}, "tables": {}}
    for dimension in SHARES:
        positive = by_week(window[(window["dimension"] == dimension) & (window["value"] == "1")])
        if any(window["dimension"] == dimension):
            section["shares"][dimension] = {w: positive[w] / scored[w] if scored[w] else 0.0 for w in weeks}
    for dimension in DIMENSIONS:
        if dimension in SHARES:
            continue
        rows = window[window["dimension"] == dimension]
        if rows.empty:
            continue
        table = rows.pivot_table(index="value", columns="week", values="tickets", aggfunc="sum", fill_value=0)
        table = table.reindex(columns=weeks, fill_value=0)
        table = table.sort_values([weeks[-1], *reversed(weeks[:-1])], ascending=False, kind="stable").head(top)
        section["tables"][dimension] = [
            {
                "value": str(value),
                "weekly_counts": {w: int(row[w]) for w in weeks},
                "this_week": int(row[weeks[-1]]),
                "previous_week": int(row[weeks[-2]]) if len(weeks) > 1 else 0,
                "change": int(row[weeks[-1]]) - (int(row[weeks[-2]]) if len(weeks) > 1 else 0),
            }
            for value, row in table.iterrows()
        ]
    return section


def counts_markdown(section: dict[str, Any]) -> list[str]:
    """Markdown lines of the section: shares, then one table per dimension."""
    weeks = section["weeks"]
    lines = ["", "## Where tickets went, week over week", ""]
    lines.append("Tickets scored per week: " + " ".join(str(section["scored"][w]) for w in weeks))
    for dimension, shares in section["shares"].items():
        lines.append(f"{dimension} share per week: " + " ".join(f"{shares[w]:.0%}" for w in weeks))
    for dimension, rows in section["tables"].items():
        lines += ["", f"### By {dimension}", "", f"| {dimension} | this week | previous week | change | last weeks |"]
        lines.append("|---|---|---|---|---|")
        for row in rows:
            trend = " ".join(str(v) for v in row["weekly_counts"].values())
            lines.append(
                f"| {markdown_text(str(row['value']))} | {row['this_week']} | {row['previous_week']} | {row['change']:+d} | {trend} |"
            )
    return lines


def counts_html(section: dict[str, Any]) -> str:
    """The section as HTML tables."""
    e = html.escape
    weeks = section["weeks"]
    head = "".join(f"<th>{e(w)}</th>" for w in weeks)
    parts = ["<h2>Where tickets went, week over week</h2>"]
    parts.append(
        "<table><tr><th></th>"
        + head
        + "</tr><tr><td>scored</td>"
        + "".join(f"<td>{section['scored'][w]}</td>" for w in weeks)
        + "</tr>"
        + "".join(
            f"<tr><td>{e(d)} share</td>" + "".join(f"<td>{s[w]:.0%}</td>" for w in weeks) + "</tr>"
            for d, s in section["shares"].items()
        )
        + "</table>"
    )
    for dimension, rows in section["tables"].items():
        body = "".join(
            f"<tr><td>{e(r['value'])}</td>"
            + "".join(f"<td>{r['weekly_counts'][w]}</td>" for w in weeks)
            + f"<td>{r['change']:+d}</td></tr>"
            for r in rows
        )
        parts.append(
            f"<h3>By {e(dimension)}</h3><table><tr><th>{e(dimension)}</th>{head}<th>change</th></tr>{body}</table>"
        )
    return "\n".join(parts)
