"""The API contract: request and response models (``/v1``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "BatchIn",
    "BatchOut",
    "ErrorBody",
    "ErrorOut",
    "PendingOut",
    "Prediction",
    "RankedOut",
    "ReloadOut",
    "Scored",
    "Term",
    "TicketIn",
]


def _encodable(value: str) -> str:
    # JSON may carry a lone surrogate ("\\ud800", or the raw bytes ED A0 80 that json reads as one):
    # a str Python holds but no UTF-8 file, log or tokenizer can take.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"expected valid Unicode text, got the lone surrogate {value[exc.start]!r} at character {exc.start}; "
            "send text encoded as UTF-8"
        ) from None
    return value


Text = Annotated[str, AfterValidator(_encodable)]


class TicketIn(BaseModel):
    """One ticket as the routing service sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    ticket_id: Text | None = Field(None, max_length=200, description="the caller's id, echoed back and logged")
    title: Text | None = Field(None, description="ticket title, if any")
    text: Text = Field(description="ticket body; must contain a non-space character")
    channel: Text | None = Field(None, max_length=100, description="电话, 微信, 网站 ...")
    created_at: datetime | None = Field(None, description="ISO 8601 time the ticket was filed")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("expected a non-empty text, got only whitespace")
        return value


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tickets: list[TicketIn] = Field(description="tickets to score, answered in the same order")


class Scored(BaseModel):
    value: int = Field(description="1 = consultation / COVID-related / flagged, 0 otherwise")
    proba: float = Field(description="probability of 1")


class Candidate(BaseModel):
    label: str
    proba: float


class RankedOut(BaseModel):
    """A multi-class decision: the most probable label and the runners-up."""

    label: str
    proba: float = Field(description="probability of label")
    top: list[Candidate] = Field(description="the most probable labels, best first (3; the unit 5)")
    top3: list[Candidate] = Field(description="the first three of top (kept for clients of the first release)")


class Term(BaseModel):
    term: str
    weight: float


class Prediction(BaseModel):
    ticket_id: str | None
    consultation: Scored | None = None
    covid: Scored | None = None
    department: RankedOut | None = Field(None, description="department group (bundles trained on groups)")
    platform: RankedOut | None = Field(
        None, description="dispatch platform: one of the 10 district platforms, or 市级 (city level)"
    )
    unit: RankedOut | None = Field(None, description="handling unit (bundles trained on units)")
    route: Literal["auto", "manual"] | None = Field(
        None,
        description="auto: the routing decision (the unit, else the platform, else the department) is confident "
        "enough to route without an operator",
    )
    flags: dict[str, Scored] = Field(default_factory=dict, description="analysts' flags carried by the bundle")
    model_version: str
    explanation: list[Term] | None = Field(
        None, description="with ?explain=true: terms that pushed the department most"
    )


class BatchOut(BaseModel):
    predictions: list[Prediction]
    model_version: str


class ReloadOut(BaseModel):
    model_version: str = Field(description="the bundle now serving")
    previous: str | None = Field(description="the bundle served before the reload")


class ErrorBody(BaseModel):
    code: str = Field(description="validation_error, payload_too_large, unauthorized, not_ready, ...")
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)
    request_id: str | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


class PendingOut(BaseModel):
    """A digest still being built: ask again after ``retry_after_seconds`` (also the Retry-After header)."""

    status: str = Field(description="always 'building'")
    week: str
    retry_after_seconds: int
    message: str
