"""The API contract: request and response models (``/v1``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "BatchIn",
    "BatchOut",
    "DepartmentOut",
    "ErrorBody",
    "ErrorOut",
    "PendingOut",
    "Prediction",
    "Scored",
    "Term",
    "TicketIn",
]


class TicketIn(BaseModel):
    """One ticket as the routing service sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    ticket_id: str | None = Field(None, max_length=200, description="the caller's id, echoed back and logged")
    title: str | None = Field(None, description="ticket title, if any")
    text: str = Field(description="ticket body; must contain a non-space character")
    channel: str | None = Field(None, max_length=100, description="电话, 微信, 网站 ...")
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


class DepartmentOut(BaseModel):
    label: str
    proba: float
    top3: list[Candidate]


class Term(BaseModel):
    term: str
    weight: float


class Prediction(BaseModel):
    ticket_id: str | None
    consultation: Scored | None = None
    covid: Scored | None = None
    department: DepartmentOut | None = None
    route: Literal["auto", "manual"] | None = Field(
        None, description="auto: confident enough to route without an operator"
    )
    flags: dict[str, Scored] = Field(default_factory=dict, description="analysts' flags carried by the bundle")
    model_version: str
    explanation: list[Term] | None = Field(
        None, description="with ?explain=true: terms that pushed the department most"
    )


class BatchOut(BaseModel):
    predictions: list[Prediction]
    model_version: str


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
