"""Writing a digest for people: Markdown and a self-contained HTML page (charts inline as SVG).

The page loads nothing from the network: styles are inline, charts are SVG drawn here, and
every text shown was masked when the digest was built.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from nlp.atomic import write_atomic
from trends.counts import counts_html, counts_markdown
from trends.markup import markdown_text as _md
from trends.schema import Digest, TopicEntry

__all__ = ["sparkline_svg", "to_html", "to_markdown", "write_digest"]


def sparkline_svg(counts: dict[str, int], *, width: int = 160, height: int = 36, highlight_last: bool = True) -> str:
    """Weekly counts as an inline SVG bar chart (the last week highlighted), with a title per bar."""
    values = list(counts.values())
    top = max(values) or 1
    bar = width / max(len(values), 1)
    bars = []
    for i, (week, value) in enumerate(counts.items()):
        h = max(1.0, (height - 4) * value / top) if value else 1.0
        colour = "#d9480f" if highlight_last and i == len(values) - 1 else "#868e96"
        bars.append(
            f'<rect x="{i * bar + 1:.1f}" y="{height - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{html.escape(week)}: {value}</title></rect>"
        )
    return (
        f'<svg class="trend" role="img" aria-label="weekly tickets" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>'
    )


def _badges(topic: TopicEntry) -> str:
    """The flag (new, growing or emerging); ``new`` also on an unflagged topic never seen before."""
    if topic.emerging:
        return f'<span class="badge {topic.status}">{topic.status}</span>'
    return '<span class="badge new">new</span>' if topic.is_new else ""


def _surge(topic: TopicEntry) -> str:
    """This week's share against the baseline share, and the adjusted chance of that by chance."""
    return f"×{topic.share_ratio:.1f} its share of the previous weeks (q {topic.q_value:.2g})"


def _topic_html(rank: int, topic: TopicEntry) -> str:
    e = html.escape
    departments = ", ".join(f"{e(d.label)} {d.share:.0%}" for d in topic.departments or []) or "—"
    covid = f"{topic.covid_share:.0%}" if topic.covid_share is not None else "—"
    examples = "".join(f"<li><b>{e(x.title)}</b> {e(x.text)}</li>" for x in topic.examples)
    return f"""
<section class="topic" id="{e(topic.id)}">
  <h3>{rank}. {e(topic.label)} {_badges(topic)}</h3>
  <div class="row">
    {sparkline_svg(topic.weekly_counts)}
    <dl>
      <dt>tickets</dt><dd>{topic.size} (reporters {topic.reporters})</dd>
      <dt>heat</dt><dd>{topic.heat:.2f}</dd>
      <dt>tickets vs before</dt><dd>×{topic.growth:.1f} (baseline {topic.baseline:.1f}/week)</dd>
      <dt>share</dt><dd>{_surge(topic)}</dd>
      <dt>where</dt><dd>{e(", ".join(topic.locations) or "—")}</dd>
      <dt>departments</dt><dd>{departments}</dd>
      <dt>COVID share</dt><dd>{covid}</dd>
    </dl>
  </div>
  <p class="keywords">{" · ".join(e(k) for k in topic.keywords)}</p>
  <ul class="examples">{examples}</ul>
</section>"""


_STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;max-width:980px;margin:2em auto;color:#212529;padding:0 1em}
h1{font-size:1.6em} h2{border-bottom:2px solid #dee2e6;padding-bottom:.2em;margin-top:1.6em}
.topic{border:1px solid #dee2e6;border-radius:6px;padding:.6em 1em;margin:.8em 0}
.topic h3{margin:.2em 0 .5em;font-size:1.1em}
.row{display:flex;gap:1.5em;align-items:flex-start}
dl{display:grid;grid-template-columns:auto 1fr;gap:.1em .8em;margin:0;font-size:.9em} dt{color:#868e96}
.keywords{color:#495057;font-size:.9em} .examples{font-size:.85em;color:#495057}
.badge{font-size:.7em;padding:.1em .5em;border-radius:3px;color:#fff;vertical-align:middle}
.badge.new{background:#1c7ed6} .badge.emerging{background:#d9480f} .badge.growing{background:#e67700}
.summary{color:#495057} .method{font-size:.8em;color:#868e96}
"""


def to_html(digest: Digest) -> str:
    """The digest as one self-contained HTML page: emerging topics first, then the top topics by heat."""
    e = html.escape
    topics = digest.topics
    emerging = [t for t in topics if t.emerging]
    history = dict(zip(digest.history.weeks, digest.history.tickets, strict=True))
    emerging_html = (
        "".join(_topic_html(i, t) for i, t in enumerate(emerging, start=1)) or "<p>No topic is surging this week.</p>"
    )
    top_html = "".join(_topic_html(i, t) for i, t in enumerate(topics, start=1))
    method = "".join(f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in digest.method.items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Hot issues {e(digest.week)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>12345 hot-issue digest, {e(digest.week)}</h1>
<p class="summary">{digest.period.start} to {digest.period.end}: {digest.n_tickets} tickets,
{digest.n_topics} topics, {len(emerging)} emerging. Tickets per week: {sparkline_svg(history, width=240)}</p>
<h2>Emerging this week</h2>{emerging_html}
<h2>Top topics by heat</h2>{top_html}
{counts_html(digest.counts) if digest.counts is not None else ""}
<h2>How to read this</h2><ul class="method">{method}</ul>
</body></html>
"""


def to_markdown(digest: Digest) -> str:
    """The digest as Markdown, for e-mail and chat (text from tickets is escaped, :func:`trends.markup.markdown_text`)."""
    lines = [f"# 12345 hot-issue digest, {digest.week}", ""]
    lines.append(f"{digest.period.start} to {digest.period.end}: {digest.n_tickets} tickets, {digest.n_topics} topics.")
    emerging = [t for t in digest.topics if t.emerging]
    lines += ["", "## Emerging this week", ""]
    lines += [
        f"- **{_md(t.label)}** ({t.status}): {t.size} tickets, {_surge(t)}; "
        f"{_md(', '.join(t.locations)) or 'no place named'}"
        for t in emerging
    ] or ["No topic is surging this week."]
    lines += [
        "",
        "## Top topics by heat",
        "",
        "| # | topic | tickets | share vs before | new | status | where | keywords | last weeks |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, t in enumerate(digest.topics, start=1):
        trend = " ".join(str(v) for v in t.weekly_counts.values())
        lines.append(
            f"| {i} | {_md(t.label)} | {t.size} | ×{t.share_ratio:.1f} | {'yes' if t.is_new else ''} | {t.status} "
            f"| {_md(', '.join(t.locations))} | {_md(' '.join(t.keywords[:5]))} | {trend} |"
        )
    if digest.counts is not None:  # weekly counts of 'hotline aggregate' (--history-counts)
        lines += counts_markdown(digest.counts)
    lines += ["", "## How to read this", ""] + [f"- {k}: {v}" for k, v in digest.method.items()]
    return "\n".join(lines) + "\n"


def write_digest(digest: Digest, out: str | Path) -> list[Path]:
    """Write ``digest.json``, ``digest.md`` and ``digest.html`` into ``out`` (each atomically)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "digest.json": json.dumps(digest.to_json_dict(), ensure_ascii=False, indent=2),
        "digest.md": to_markdown(digest),
        "digest.html": to_html(digest),
    }
    for name, text in files.items():
        write_atomic(out / name, text)
    return [out / name for name in files]
