"""The weekly digest as typed data: what :func:`trends.digest.build_digest` returns.

The renderers (:mod:`trends.render`) read it, ``digest.json`` is its JSON, and the service
answers ``GET /v1/digest/{week}`` with it (its ``response_model``). Optional parts (a topic's
districts, the model's views, the weekly counts) are absent from the JSON when the digest has
none: :meth:`Digest.to_json_dict` leaves them out, as the route does.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Department", "Digest", "Example", "History", "Period", "TopicEntry"]


class _Strict(BaseModel):
    # A digest is built here, never parsed from users: an unknown or missing field is a bug.
    model_config = ConfigDict(extra="forbid")


class Example(_Strict):
    """An example ticket of a topic, masked (text cut to 160 characters)."""

    id: str
    title: str
    text: str


class Department(_Strict):
    label: str
    share: float = Field(description="share of the topic's tickets the model sends to this department")


class TopicEntry(_Strict):
    """One topic of the week, with its history and emergence verdict (see :mod:`trends.digest`)."""

    id: str = Field(description="stable across weeks while the topic continues (T0001, ...)")
    label: str
    keywords: list[str]
    size: int = Field(description="tickets this week")
    reporters: int
    heat: float
    growth: float
    z: float
    baseline: float
    is_new: bool
    emerging: bool = Field(description="true for the statuses new, growing and emerging")
    status: str = Field(description="new, growing, emerging, fading or steady")
    share_pct: float
    baseline_share_pct: float
    expected: float
    share_ratio: float
    p_value: float
    q_value: float
    trend_q_value: float
    locations: list[str]
    example_ids: list[str]
    examples: list[Example]
    weekly_counts: dict[str, int] = Field(description="tickets like this topic's in each week of the history")
    districts: dict[str, int] | None = Field(None, description="the three districts with most of its tickets")
    departments: list[Department] | None = Field(None, description="with a model: its three main departments")
    covid_share: float | None = Field(None, description="with a model: share of COVID-related tickets")


class Period(_Strict):
    start: str = Field(description="the Monday, ISO date")
    end: str = Field(description="the Sunday, ISO date")


class History(_Strict):
    weeks: list[str]
    tickets: list[int]


class Digest(_Strict):
    """The hot-issue digest of one ISO week."""

    week: str = Field(description="ISO week, 2022-W15")
    period: Period
    n_tickets: int
    history: History = Field(description="tickets per week of the history, this week last")
    topics: list[TopicEntry] = Field(description="the top topics by heat, and every flagged topic below them")
    n_topics: int = Field(description="topics found this week, listed or not")
    method: dict[str, str] = Field(description="how to read the figures, in words")
    counts: dict[str, Any] | None = Field(
        None, description="weekly counts of 'hotline aggregate': where tickets went, week over week"
    )

    def to_json_dict(self) -> dict[str, Any]:
        """The digest as JSON values, without the optional parts it does not have."""
        return self.model_dump(mode="json", exclude_none=True)
