"""The weekly hot-issue digest: ``GET /v1/digest/{week}`` (JSON) and ``GET /digest/{week}`` (HTML page)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Depends
from fastapi.responses import HTMLResponse, JSONResponse

from nlp.errors import InputError
from serve.deps import ApiToken, DigestsDep, HolderDep, SettingsDep, token_router
from serve.digests import DigestFailed, DigestPending
from serve.errors import ApiError
from serve.schemas import PendingOut
from trends.render import to_html
from trends.schema import Digest
from trends.store import StoreBusy, StoreMissing

__all__ = ["iso_week", "router"]

router = token_router(
    ApiToken,
    401,
    404,
    422,
    503,
    tag="digest",
    other={202: {"model": PendingOut, "description": "the digest is being built; ask again after Retry-After"}},
)

# ASCII digits only: Python's int() would read full-width ones (２０２２) as 2022.
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})", re.ASCII | re.IGNORECASE)

_PENDING_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{seconds}">
<title>{week} digest: being prepared</title></head>
<body><p>The digest of {week} is being prepared. This page reloads itself every {seconds} seconds
until it is ready; building a week for the first time can take a minute.</p></body></html>
"""


def iso_week(week: str) -> str:
    """The path's week as ``2022-W13``, if it is a week that exists and can be mined (else 422).

    A week must have its seven days in the calendar: ``9999-W52`` ends after the last date.
    """
    found = _WEEK.fullmatch(week)
    if found:
        try:
            monday = date.fromisocalendar(int(found[1]), int(found[2]), 1)
            monday + timedelta(weeks=1)  # the following Monday bounds the week's tickets
            return f"{found[1]}-W{found[2]}"
        except (ValueError, OverflowError):
            pass
    message = (
        f"expected an ISO week such as 2022-W13 (ASCII digits, a week its year has, before 9999-W52), got {week!r}"
    )
    raise ApiError(422, "bad_week", message, [{"field": "week", "message": message}])


Week = Annotated[str, Depends(iso_week)]


def _digest(week: str, settings: SettingsDep, digests: DigestsDep, holder: HolderDep) -> Digest:
    """The digest, or DigestPending when its build takes longer than the configured wait."""
    if digests is None:
        raise ApiError(
            404,
            "digests_off",
            "this service has no ticket store: set HOTLINE_STORE to a store made by 'hotline ingest'",
        )
    try:
        return digests.get(week, holder.current, wait=settings.digest_wait_seconds)
    except StoreMissing as exc:  # the service's configuration, not the request
        raise ApiError(503, "store_missing", str(exc)) from exc
    except InputError as exc:  # the week is well-formed (iso_week): it has no tickets
        raise ApiError(404, "bad_week", str(exc)) from exc
    except DigestFailed as exc:
        raise ApiError(503, "digest_failed", str(exc)) from exc
    except StoreBusy as exc:
        raise ApiError(503, "store_busy", str(exc)) from exc


# Optional parts a digest lacks are left out, as in digest.json (not sent as null).
@router.get(
    "/v1/digest/{week}",
    response_model=Digest,
    response_model_exclude_none=True,
    summary="The weekly hot-issue digest (JSON)",
)
def digest_json(week: Week, settings: SettingsDep, digests: DigestsDep, holder: HolderDep) -> Any:
    try:
        return _digest(week, settings, digests, holder)
    except DigestPending as wait:
        body = PendingOut(status="building", week=wait.week, retry_after_seconds=wait.retry_after, message=str(wait))
        return JSONResponse(body.model_dump(), status_code=202, headers={"Retry-After": str(wait.retry_after)})


@router.get("/digest/{week}", summary="The weekly hot-issue digest (HTML page)")
def digest_html(week: Week, settings: SettingsDep, digests: DigestsDep, holder: HolderDep) -> HTMLResponse:
    try:
        return HTMLResponse(to_html(_digest(week, settings, digests, holder)))
    except DigestPending as wait:
        # Analysts open this page in a browser: it reloads itself until the digest is there.
        page = _PENDING_PAGE.format(week=html.escape(wait.week), seconds=wait.retry_after)
        return HTMLResponse(page, status_code=202, headers={"Retry-After": str(wait.retry_after)})
