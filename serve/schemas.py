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
    "IndexOut",
    "PendingOut",
    "Prediction",
    "RankedOut",
    "ReloadOut",
    "Scored",
    "SuggestIn",
    "SuggestOut",
    "SuggestionOut",
    "Term",
    "TicketIn",
    "plausible_time",
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

# Validity windows are compared in seconds through pandas, whose timestamps end in 1677 and 2262;
# a hotline question is asked well inside these years (whatever its UTC offset).
_YEARS = range(1900, 2200)


def plausible_time(value: datetime) -> datetime:
    """``value`` if its year is 1900–2199, else ValueError saying so."""
    if value.year not in _YEARS:
        raise ValueError(f"expected a time between 1900 and 2199, got {value.isoformat()}")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty text, got only whitespace")
    return value


class TicketIn(BaseModel):
    """One ticket as the routing service sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    ticket_id: Text | None = Field(None, max_length=200, description="the caller's id, echoed back and logged")
    title: Text | None = Field(None, description="ticket title, if any")
    text: Text = Field(description="ticket body; must contain a non-space character")
    channel: Text | None = Field(None, max_length=100, description="电话, 微信, 网站 ...")
    created_at: datetime | None = Field(
        None, description="ISO 8601 time the ticket was filed (with ?suggest=true: entries valid then; default now)"
    )

    _text_not_blank = field_validator("text")(_not_blank)


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


class SuggestIn(BaseModel):
    """A consultation to find knowledge-base answers for."""

    model_config = ConfigDict(extra="forbid")

    text: Text = Field(description="what the caller asks; must contain a non-space character")
    title: Text | None = Field(None, description="ticket title, if any (searched with the text)")
    asked_at: Annotated[datetime, AfterValidator(plausible_time)] | None = Field(
        None,
        description="ISO 8601 date or date-time the question is asked (local time unless it has an offset): only "
        "entries valid then are suggested; default now",
    )
    k: int = Field(5, ge=1, le=20, description="most suggestions to return (1 to 20)")

    _text_not_blank = field_validator("text")(_not_blank)


class SuggestionOut(BaseModel):
    """One knowledge-base entry suggested as the answer, with why."""

    id: str = Field(description="the entry's id in the knowledge base")
    question: str
    answer: str
    department: str = Field(description="the unit that keeps the entry (empty when the entry names none)")
    score: float = Field(description="the index's confidence that the entry answers the question (0 to 1)")
    shared_terms: list[str] = Field(description="words of the question (masked) that the entry also holds")
    source: Literal["kb", "answered_ticket"] = Field(
        description="kb: a knowledge-base entry; answered_ticket: a past ticket and its reply"
    )


class IndexOut(BaseModel):
    """The knowledge-base index that answered."""

    version: str = Field(description="kb- and the first 12 hex digits of the index payload's SHA-256")
    sha256: str = Field(description="SHA-256 of the index payload, as its signed sidecar records it")
    entries: int = Field(description="entries in the index (every version, valid now or not)")
    source: str = Field(description="kb or answered_ticket")


class SuggestOut(BaseModel):
    suggestions: list[SuggestionOut] = Field(
        description="entries valid at asked_at that answer the question, best first; empty when abstained"
    )
    abstained: bool = Field(description="true when no entry is confident enough to show (then suggestions is [])")
    index: IndexOut = Field(description="the knowledge base")
    answered_index: IndexOut | None = Field(
        None, description="the index of past answered tickets, when the service has one loaded (else absent)"
    )


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
        "enough to route without an operator: its probability reaches the bundle's threshold and exceeds 0.5",
    )
    flags: dict[str, Scored] = Field(default_factory=dict, description="analysts' flags carried by the bundle")
    model_version: str
    explanation: list[Term] | None = Field(
        None, description="with ?explain=true: terms that pushed the department most"
    )
    # Left out of the answer unless set, so that without ?suggest=true the answer is as before.
    suggestions: list[SuggestionOut] | None = Field(
        None,
        exclude_if=lambda value: value is None,
        description="with ?suggest=true, on tickets predicted as consultations only: knowledge-base entries valid "
        "at created_at, best first ([] when the index abstains); absent on other tickets and without ?suggest=true",
    )


class BatchOut(BaseModel):
    predictions: list[Prediction]
    model_version: str


class ReloadOut(BaseModel):
    model_version: str = Field(description="the bundle now serving")
    previous: str | None = Field(description="the bundle served before the reload")
    kb_version: str | None = Field(
        None, description="the knowledge-base index now serving (only when the service has one configured)"
    )
    kb_previous: str | None = Field(None, description="the index served before the reload (idem)")
    answered_version: str | None = Field(
        None, description="the index of past answered tickets now serving (only when one is configured)"
    )
    answered_previous: str | None = Field(None, description="the one served before the reload (idem)")


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
