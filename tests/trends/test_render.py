"""Rendering a digest: ticket-derived text never becomes markup."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from nlp.tokenize import Tokenizer
from trends.counts import counts_markdown
from trends.digest import build_digest
from trends.markup import markdown_text as _md
from trends.render import to_markdown
from trends.schema import Digest


@pytest.fixture(scope="module")
def digest(stream: tuple[pd.DataFrame, list[dict[str, object]]], tokenizer: Tokenizer) -> Digest:
    frame, trends = stream
    return build_digest(frame, str(trends[0]["start_week"]), tokenizer)


def test_markup_in_ticket_text_is_shown_as_written() -> None:
    escaped = _md("<script>alert(1)</script> | *粗体* [链接](http://x) `code` #标签")
    assert "<script>" not in escaped and "&lt;script&gt;" in escaped
    # Every Markdown character is backslashed: none is left bare.
    assert not re.search(r"(?<!\\)[|*\[\]`#]", escaped)
    assert r"\| \*粗体\* \[链接\](http://x) \`code\` \#标签" in escaped


def test_digest_markdown_escapes_topic_labels_and_places(digest: Digest) -> None:
    digest = digest.model_copy(deep=True)
    topic = digest.topics[0]
    topic.label = "<script>alert(1)</script>|停车"
    topic.locations = ["[横塘](http://evil)"]
    text = to_markdown(digest)
    assert "<script>" not in text and "[横塘](" not in text
    assert r"\[横塘\](http://evil)" in text
    assert r"&lt;script&gt;alert(1)&lt;/script&gt;\|停车" in text


def test_weekly_counts_markdown_escapes_the_counted_values() -> None:
    section = {
        "weeks": ["2022-W14", "2022-W15"],
        "scored": {"2022-W14": 1, "2022-W15": 2},
        "shares": {},
        "tables": {
            "topic": [
                {
                    "value": "<b>停车|收费</b>",
                    "this_week": 2,
                    "previous_week": 1,
                    "change": 1,
                    "weekly_counts": {"2022-W14": 1, "2022-W15": 2},
                }
            ]
        },
    }
    row = counts_markdown(section)[-1]
    assert "<b>" not in row and row.startswith(r"| &lt;b&gt;停车\|收费&lt;/b&gt; | 2 | 1 | +1 |")


def test_top_topics_table_shows_the_share_ratio_heat_uses(digest: Digest) -> None:
    digest = digest.model_copy(deep=True)
    topic = digest.topics[0]
    topic.share_ratio, topic.growth = 3.4, 9.9  # the count grew more than the share: the share is what counts
    row = next(line for line in to_markdown(digest).splitlines() if line.startswith("| 1 |"))
    assert "×3.4" in row and "×9.9" not in row
