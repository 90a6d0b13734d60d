"""Service settings: one object, read from ``HOTLINE_*`` environment variables by entry points only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything the service can be configured with.

    Each field can be set as ``HOTLINE_<FIELD>`` (for example ``HOTLINE_MODEL_DIR``).
    """

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="forbid", protected_namespaces=())

    model_dir: Path = Field(Path("models/demo"), description="bundle directory loaded at start and on reload")
    kb_index: Path | None = Field(
        None,
        description="knowledge-base index directory ('hotline kb build --out') loaded at start and reloaded with "
        "the model; none: /v1/suggest and ?suggest=true answer 503",
    )
    answered_index: Path | None = Field(
        None,
        description="index of past answered tickets ('hotline kb build --answered-tickets --out'), suggested beside "
        "the knowledge base as similar answered tickets (source answered_ticket) and reloaded with it; none: the "
        "knowledge base alone",
    )
    api_token: str | None = Field(None, description="bearer token required by /v1/predict*; none: open")
    admin_token: str | None = Field(None, description="bearer token required by /v1/admin/*; none: admin disabled")
    max_text_chars: int = Field(20_000, ge=1, description="longest title or text accepted (413 beyond)")
    max_batch: int = Field(1_000, ge=1, description="most tickets per batch call (413 beyond)")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="largest request body (413 beyond)")
    prediction_log: Path | None = Field(
        Path("predictions.sqlite3"), description="SQLite file of every prediction; none: off"
    )
    store: Path | None = Field(None, description="ticket store (DuckDB) for digests; none: digests off")
    digest_wait_seconds: float = Field(
        10.0, ge=0, description="how long a digest request waits for a build before answering 202 (ask again later)"
    )
    log_level: str = Field("info", description="logging level of the service")
