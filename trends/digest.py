"""The weekly hot-issue digest: topics of a week, linked to earlier weeks, ranked by heat.

No look-ahead: the digest of week W reads only tickets filed before the end of W (as it
would be written on the Monday after), and mines each week of the history on its own.

Linking: a topic continues an earlier one (and keeps its id) when the cosine similarity of
their c-TF-IDF keyword weights is at least ``LINK_SIMILARITY``, looking back up to
``LINK_GAP`` weeks; each earlier topic continues at most once. A topic's weekly counts add
up every topic of that week at least that similar to it, so that a topic the clustering split
in two one week (or merged) keeps its history.

History (the weekly counts behind growth and emergence): the whole window is put in one
TF-IDF space (only tickets up to the end of the week: no look-ahead; inverse document
frequencies of the window, terms of a single ticket dropped); a week's count is the number of
its tickets at least as close to the topic's centre as the topic's own typical member (the
10th percentile of the members' similarity, and at least ``MIN_HISTORY_SIMILARITY``), every
week by the same rule, this one included. A member is compared with the centre built without
it (leave one out), as a ticket of another week is: otherwise a small topic's own members,
which pull the centre towards themselves, inflate this week's count against the earlier
weeks' and make steady topics look like surges. This counts "tickets like these" in each week
whatever the clustering did in earlier weeks. Terms are hashed into a fixed space
(:mod:`trends.summary`), so each week's counts are computed once and cached: a weekly digest
mines only the new week.

Heat (how hot a topic is this week)::

    heat = ln(1 + tickets) + ln(1 + reporters) + 0.5 ln(1 + likes + dislikes)
           + recency + 0.5 ln(max(share_ratio, 1))

where ``reporters`` counts distinct reporters (tickets when the data has none), ``recency`` is the
mean of exp(-age / 7 days) over the topic's tickets, age measured from the end of the week, and
``share_ratio`` is the topic's share of this week's tickets over its share in the baseline weeks,
with the prior of :mod:`trends.emergence` (``Emergence.ratio``; 1 without a baseline): growth
relative to the week's volume, so a topic that grows only because the week is busier gains no
heat from it, and a topic never seen before gets a large but finite term.

Emergence (is it suddenly growing): :mod:`trends.emergence`. A topic's share of this week's
tickets (its count in the history, see History, over the week's tickets) is compared with its
share in the previous ``EmergenceParams.baseline_weeks`` (4) weeks the data covers, by a Gamma-Poisson count model
with a weak prior for topics silent in the baseline; p-values are adjusted across the week's
topics (Benjamini-Hochberg) and a topic must also at least double its share and gain a
minimum number of tickets. Each topic gets a ``status`` (``new``, ``growing``, ``emerging``,
``fading``, ``steady``), its ``p_value`` and ``q_value``; ``emerging`` is true for the first three.
The digest's ``method`` block says the same in words (:data:`METHOD_EMERGENCE`).

Kept for reference (they no longer decide)::

    baseline = mean weekly count over the same baseline weeks the data covers (0 when new)
    b = max(baseline, BASELINE_FLOOR)
    growth = tickets / max(baseline, 1)
    z = (tickets - b) / sqrt(b)
    is_new = nothing like the topic in any earlier week the data covers (and there was one)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize as unit_rows

from nlp.bundle import Bundle
from nlp.errors import InputError
from nlp.text import mask_pii
from nlp.tokenize import Tokenizer
from trends.emergence import Emergence, EmergenceParams, assess
from trends.schema import Department, Digest, Example, History, Period, TopicEntry
from trends.sources import FrameSource, TicketSource
from trends.summary import N_FEATURES, SummaryCache, WeekSummary, summarise_week
from trends.topics import Topic, TopicParams

__all__ = ["DigestParams", "build_digest", "empty_week", "parse_week", "week_label"]

LINK_SIMILARITY = 0.35
LINK_GAP = 2
BASELINE_FLOOR = 2.0
MIN_HISTORY_SIMILARITY = 0.2
MEMBER_PERCENTILE = 10

# The rule of trends.emergence in an analyst's words, for the digest's ``method`` block.
METHOD_EMERGENCE = {
    "emerging": (
        "A topic is emerging when its share of this week's tickets is far above its share in the previous "
        "{baseline} weeks: so far that chance would rarely produce it (a count model that allows for topics "
        "barely seen before), at least {ratio:g} times that share, and at least {excess} tickets more than "
        "expected (or one ticket in {per:,} of the week's, when that is more). Because shares are compared, a "
        "busy week does not make every topic emerge, and a quiet week can still show a surge of a few tickets."
    ),
    "false_discoveries": (
        "Every topic of the week is tested, so some would pass by chance: the chances are adjusted together "
        "(Benjamini-Hochberg) and a topic passes when its adjusted chance (q_value) is at most {fdr:g}. Among "
        "the topics flagged, about {fdr:.0%} are expected to be chance; p_value is the unadjusted chance."
    ),
    "new": "A topic is new when nothing like it was seen in any earlier week and it passes the test above.",
    "growing": (
        "A topic is growing when its share rose week on week {rises} times in a row up to this week (over the "
        "last {weeks} weeks) and this week's share passes the same test against its share in the week the rise began."
    ),
    "fading": "A topic is fading when its share fell to at most 1/{ratio:g} of its earlier share, beyond chance.",
    "status": "new, growing and emerging topics are flagged (emerging: true); the others are fading or steady.",
}


@dataclass(frozen=True)
class DigestParams:
    history: int = 8
    top: int = 20
    examples: int = 3
    topics: TopicParams = field(default_factory=TopicParams)
    emergence: EmergenceParams = field(default_factory=EmergenceParams)


_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.ASCII | re.IGNORECASE)  # ASCII digits only: ２０２２ is no year here


def parse_week(text: str) -> date:
    """Monday of an ISO week written ``2019-W34``, between the years 1970 and 2999."""
    match = _WEEK.fullmatch(text.strip())
    try:
        if match is None or not 1970 <= int(match.group(1)) <= 2999:
            raise ValueError(text)
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise InputError(f"expected a week such as 2019-W34 (years 1970 to 2999), got {text!r}") from None


def empty_week(week: str) -> InputError:
    """The error for a week without tickets (``week`` as ``2019-W34``)."""
    monday = parse_week(week)
    return InputError(
        f"no tickets filed in {week} ({monday} to {monday + timedelta(days=6)}); pick a week the data covers"
    )


def week_label(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _similarity(a: dict[str, float], b: dict[str, float]) -> float:
    shared = set(a) & set(b)
    if not shared:
        return 0.0
    dot = sum(a[t] * b[t] for t in shared)
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def _link(weeks: list[list[Topic]]) -> list[list[str]]:
    """Give each topic an id, continuing the most similar topic of the previous ``LINK_GAP`` weeks."""
    ids: list[list[str]] = []
    counter = 0
    for w, topics in enumerate(weeks):
        taken: set[str] = set()
        week_ids = []
        for topic in topics:  # largest first: big topics claim their continuation first
            best, best_id = LINK_SIMILARITY, None
            for back in range(1, LINK_GAP + 1):
                if w - back < 0:
                    break
                for earlier, earlier_id in zip(weeks[w - back], ids[w - back], strict=True):
                    score = _similarity(topic.keyword_weights, earlier.keyword_weights)
                    if earlier_id not in taken and score > best:
                        best, best_id = score, earlier_id
            if best_id is None:
                counter += 1
                best_id = f"T{counter:04d}"
            taken.add(best_id)
            week_ids.append(best_id)
        ids.append(week_ids)
    return ids


def _weigh(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """TF-IDF rows of unit length from sublinear term counts."""
    if not counts.shape[0]:  # a week without tickets
        return counts
    weighted = counts.copy()
    weighted.data *= idf[weighted.indices]
    return unit_rows(weighted)


def _histories(
    weeks: list[WeekSummary], topics: list[Topic], ids: list[str], *, chunk: int = 20_000
) -> dict[str, dict[str, int]]:
    """Tickets per week like each of the last week's topics, counted in one TF-IDF space of the window."""
    frequency = sum((w.document_frequency() for w in weeks), start=np.zeros(N_FEATURES, dtype=np.int64))
    total = sum(w.size for w in weeks)
    idf = (np.log((1 + total) / (1 + frequency)) + 1).astype(np.float32)
    idf[frequency < 2] = 0  # a term of one ticket in the whole window links nothing
    current = weeks[-1]
    matrix = _weigh(current.term_counts, idf)
    row_of = {ticket_id: i for i, ticket_id in enumerate(current.ticket_ids)}
    members = [np.array([row_of[i] for i in topic.ticket_ids]) for topic in topics]
    sums = [sp.csr_matrix(matrix[rows].sum(axis=0)) for rows in members]  # sparse: a dense row is 4 MB
    centres = unit_rows(sp.vstack(sums).tocsr()).T.tocsc()
    # A member helped build its topic's centre, so it is closer to it than a like ticket of another week
    # would be: each member is compared with the centre built without it (leave one out), which keeps this
    # week's count like-for-like with the earlier weeks' (a small topic's count is otherwise inflated).
    own = [_leave_one_out(matrix[rows], total_sum) for rows, total_sum in zip(members, sums, strict=True)]
    full = [np.asarray((matrix[rows] @ centres[:, [t]]).todense()).ravel() for t, rows in enumerate(members)]
    thresholds = np.array([max(MIN_HISTORY_SIMILARITY, float(np.percentile(o, MEMBER_PERCENTILE))) for o in own])
    out: dict[str, dict[str, int]] = {topic_id: {} for topic_id in ids}
    for week in weeks:
        close = np.zeros(len(topics), dtype=np.int64)
        weighted = matrix if week is current else _weigh(week.term_counts, idf)
        for start in range(0, weighted.shape[0], chunk):  # bounded memory: chunk x topics similarities
            similarity = (weighted[start : start + chunk] @ centres).toarray()
            close += (similarity >= thresholds).sum(axis=0)
        if week is current:  # members by their leave-one-out similarity instead
            close += np.array(
                [int((o >= c).sum()) - int((f >= c).sum()) for o, f, c in zip(own, full, thresholds, strict=True)],
                dtype=np.int64,
            )
        # Every week, this one included, is counted by the same rule: a like-for-like history.
        for topic_id, n in zip(ids, close.tolist(), strict=True):
            out[topic_id][week.label] = n
    return out


def _leave_one_out(rows: sp.csr_matrix, total: sp.csr_matrix) -> np.ndarray:
    """Cosine of each of ``rows`` with the sum of the others (``total``: the sum of all, one sparse row)."""
    dots = (rows @ total.T).toarray().ravel()
    norms = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()  # 1, or 0 for a ticket without terms
    rest = float(total.multiply(total).sum()) - 2 * dots + norms
    return np.where(rest > 1e-12, (dots - norms) / np.sqrt(np.maximum(rest, 1e-12)), 0.0)


def _heat(rows: pd.DataFrame, end: datetime, share_ratio: float) -> float:
    """How hot a topic of ``rows`` is in the week ending ``end`` (the formula of the module docstring)."""
    reporters = rows["reporter"].nunique() if "reporter" in rows and rows["reporter"].notna().any() else len(rows)
    engagement = 0.0
    for column in ("likes", "dislikes"):
        if column in rows:
            engagement += float(pd.to_numeric(rows[column], errors="coerce").fillna(0).sum())
    age_days = (end - pd.to_datetime(rows["created_at"])).dt.total_seconds() / 86400
    recency = float(np.exp(-age_days / 7).mean())
    return (
        math.log1p(len(rows))
        + math.log1p(reporters)
        + 0.5 * math.log1p(engagement)
        + recency
        + 0.5 * math.log(max(share_ratio, 1.0))
    )


def _week_summary(
    source: TicketSource,
    since: datetime,
    tokenizer: Tokenizer,
    params: TopicParams,
    cache: SummaryCache | None,
    *,
    tickets: pd.DataFrame | None = None,
) -> WeekSummary:
    """The summary of the week starting ``since``: from ``cache`` if its tickets are unchanged, else mined."""
    until = since + timedelta(weeks=1)
    label = week_label(since.date())
    key = source.content_key(since, until)
    if key is None:
        return WeekSummary.empty(label)

    def mine() -> WeekSummary:
        rows = tickets if tickets is not None else source.tickets(since=since, until=until)
        return summarise_week(label, rows, tokenizer, params)

    if cache is None:
        return mine()
    summary = cache.get(label, key)
    if summary is None:
        with cache.mining(label):
            summary = cache.get(label, key)  # another digest may have mined it while this one waited
            if summary is None:
                summary = mine()
                cache.put(summary, key)
    return summary


def build_digest(
    tickets: pd.DataFrame | TicketSource,
    week: str,
    tokenizer: Tokenizer,
    *,
    params: DigestParams | None = None,
    bundle: Bundle | None = None,
    cache: SummaryCache | None = None,
) -> Digest:
    """The digest of ``week`` from ``tickets`` (``id``, ``created_at``, ``title``, ``text``; optional
    ``reporter``, ``likes``, ``dislikes``, ``district``), a frame or a :class:`TicketSource`.

    Each week of the window is summarised on its own (:func:`trends.summary.summarise_week`),
    or read from ``cache`` when that week's tickets have not changed since it was summarised.
    The steps, in order: the window of weeks, each week's topics, their ids across weeks, this
    week's topics' weekly counts, their emergence, one entry per topic (with the model's views
    when ``bundle`` is given), the ranking.

    Returns
    -------
    Digest
        Topics ranked by heat: the ``params.top`` hottest and every flagged one (``emerging``) below them.
    """
    params = params or DigestParams()
    source = FrameSource(tickets) if isinstance(tickets, pd.DataFrame) else tickets
    window = _window(source, week, params.history)
    summaries = _summaries(source, window, tokenizer, params.topics, cache)
    topics = summaries[-1].topics
    ids = _link([s.topics for s in summaries])[-1]
    counts = _histories(summaries, topics, ids) if topics else {}
    covered = _covered(summaries, window.labels)
    verdicts = _assess(window.labels, covered, ids, counts, [w.size for w in summaries], params.emergence)
    current = window.current.set_index(window.current["id"].astype(str))
    entries = [
        _entry(topic, topic_id, verdict, counts[topic_id], covered, current, window, params)
        for topic, topic_id, verdict in zip(topics, ids, verdicts, strict=True)
    ]
    if bundle is not None and entries:
        _add_model_views(entries, topics, current, bundle)
    return _digest(window, summaries, _ranked(entries), params)


@dataclass(frozen=True)
class _Window:
    """The weeks a digest reads: ``history`` weeks ending with the digest's, and that week's tickets."""

    monday: date
    end: datetime  # the Monday after: no ticket filed from then on is read
    starts: list[datetime]
    labels: list[str]
    current: pd.DataFrame


def _window(source: TicketSource, week: str, history: int) -> _Window:
    monday = parse_week(week)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time())
    starts = [end - timedelta(weeks=k) for k in range(history, 0, -1)]
    current = source.tickets(since=starts[-1], until=end)
    if current.empty:  # before any mining
        raise empty_week(week)
    return _Window(monday, end, starts, [week_label(d.date()) for d in starts], current)


def _summaries(
    source: TicketSource, window: _Window, tokenizer: Tokenizer, params: TopicParams, cache: SummaryCache | None
) -> list[WeekSummary]:
    """Each week of the window summarised (its topics and term counts), the digest's week last."""
    summaries = [_week_summary(source, since, tokenizer, params, cache) for since in window.starts[:-1]]
    summaries.append(_week_summary(source, window.starts[-1], tokenizer, params, cache, tickets=window.current))
    return summaries


def _covered(summaries: list[WeekSummary], labels: list[str]) -> list[str]:
    """The weeks before the digest's that the data covers: weeks before the first ticket are unknown, not zero."""
    first_week_with_data = next(i for i, w in enumerate(summaries) if w.size)
    return labels[first_week_with_data:-1]


def _assess(
    labels: list[str],
    covered: list[str],
    ids: list[str],
    counts: dict[str, dict[str, int]],
    totals: list[int],
    params: EmergenceParams,
) -> list[Emergence]:
    """The emergence verdict of each of the week's topics (:func:`trends.emergence.assess`)."""
    return assess(
        np.array([[counts[topic_id][label] for label in labels] for topic_id in ids]).reshape(-1, len(labels)),
        np.array(totals),
        covered=len(covered) + 1,  # the weeks the data covers, the digest's included
        params=params,
    )


def _entry(
    topic: Topic,
    topic_id: str,
    verdict: Emergence,
    history: dict[str, int],
    covered: list[str],
    current: pd.DataFrame,
    window: _Window,
    params: DigestParams,
) -> TopicEntry:
    """A topic's entry: its figures, verdict, places and masked examples."""
    previous = [history[label] for label in covered[-params.emergence.baseline_weeks :]]
    baseline = float(np.mean(previous)) if previous else 0.0
    floor = max(baseline, BASELINE_FLOOR)
    now = history[window.labels[-1]]
    growth = now / max(baseline, 1.0)
    z = (now - floor) / math.sqrt(floor)
    is_new = bool(covered) and all(history[label] == 0 for label in covered)
    rows = current.loc[topic.ticket_ids]
    shown = topic.example_ids[: params.examples]
    has_reporters = "reporter" in rows and rows["reporter"].notna().any()
    has_districts = "district" in rows and rows["district"].notna().any()
    return TopicEntry(
        id=topic_id,
        label=mask_pii(topic.label),
        keywords=topic.keywords,
        size=topic.size,
        reporters=int(rows["reporter"].nunique()) if has_reporters else topic.size,
        heat=round(_heat(rows, window.end, verdict.ratio), 3),
        growth=round(growth, 2),
        z=round(z, 2),
        baseline=round(baseline, 2),
        is_new=bool(is_new),
        emerging=verdict.emerging,
        **_verdict_fields(verdict),
        locations=topic.locations,
        example_ids=shown,
        examples=[
            Example(
                id=i,
                title=mask_pii(str(current.at[i, "title"] or "")),
                text=mask_pii(str(current.at[i, "text"]))[:160],
            )
            for i in shown
        ],
        weekly_counts=history,
        districts={str(k): int(v) for k, v in rows["district"].value_counts().head(3).items()}
        if has_districts
        else None,
    )


def _ranked(entries: list[TopicEntry]) -> list[TopicEntry]:
    """The entries by heat, hottest first (ties keep the clustering's order, largest first)."""
    return sorted(entries, key=lambda t: -t.heat)


def _digest(window: _Window, summaries: list[WeekSummary], ranked: list[TopicEntry], params: DigestParams) -> Digest:
    """The digest: the top topics by heat, and every flagged topic even below them (a surge must not be cut off)."""
    return Digest(
        week=week_label(window.monday),
        period=Period(start=window.monday.isoformat(), end=(window.monday + timedelta(days=6)).isoformat()),
        n_tickets=len(window.current),
        history=History(weeks=window.labels, tickets=[w.size for w in summaries]),
        topics=[t for rank, t in enumerate(ranked) if rank < params.top or t.emerging],
        n_topics=len(ranked),
        method={
            "heat": (
                "ln(1+tickets) + ln(1+reporters) + 0.5 ln(1+likes+dislikes) + recency + 0.5 ln(max(share_ratio,1)): "
                "share_ratio is the topic's share of this week's tickets over its share in the previous "
                f"{params.emergence.baseline_weeks} weeks (with a prior of {params.emergence.prior_shape:g} ticket, so "
                "a topic never seen before gets a large but finite ratio; 1 with no earlier week), so a topic that "
                "grows only because the whole week is busier gains no heat from it; "
                "recency is the mean of exp(-age/7 days) over its tickets"
            ),
            **_method_emergence(params.emergence),
            "growth": "tickets / max(mean of previous weeks, 1): count growth, shown for reference (heat uses share_ratio)",
            "z": "(tickets - b) / sqrt(b), b = max(mean of previous weeks, 2): an older surprise score, shown for reference",
            "linking": f"cosine of c-TF-IDF keywords >= {LINK_SIMILARITY}, up to {LINK_GAP} weeks back",
            "look_ahead": "none: only tickets filed before the end of the week",
        },
    )


def _verdict_fields(verdict: Emergence) -> dict[str, Any]:
    """A topic's emergence verdict as digest fields (shares in percent of the week's tickets)."""
    return {
        "status": verdict.status,
        "share_pct": round(100 * verdict.share, 4),
        "baseline_share_pct": round(100 * verdict.baseline_share, 4),
        "expected": round(verdict.expected, 2),
        "share_ratio": round(verdict.ratio, 2),
        "p_value": float(f"{verdict.p_value:.3g}"),
        "q_value": float(f"{verdict.q_value:.3g}"),
        "trend_q_value": float(f"{verdict.trend_q_value:.3g}"),
    }


def _method_emergence(params: EmergenceParams) -> dict[str, str]:
    """:data:`METHOD_EMERGENCE` with the digest's own settings filled in."""
    values = {
        "baseline": params.baseline_weeks,
        "ratio": params.min_ratio,
        "excess": f"{params.min_excess:g}",
        "per": round(1 / params.excess_share),
        "fdr": params.fdr,
        "rises": params.growth_weeks,
        "weeks": params.growth_weeks + 1,
    }
    return {key: text.format(**values) for key, text in METHOD_EMERGENCE.items()}


def _add_model_views(entries: list[TopicEntry], topics: list[Topic], current: pd.DataFrame, bundle: Bundle) -> None:
    """Departments and COVID share of each topic, from the model's predictions."""
    from nlp.predict import predict

    predictions = predict(bundle, current[["title", "text"]].fillna("")).set_index(current.index)
    for entry, topic in zip(entries, topics, strict=True):
        rows = predictions.loc[topic.ticket_ids]
        if "department" in rows:
            shares = rows["department"].value_counts(normalize=True).head(3)
            entry.departments = [Department(label=str(k), share=round(float(v), 3)) for k, v in shares.items()]
        if "covid" in rows:
            entry.covid_share = round(float(rows["covid"].mean()), 3)
