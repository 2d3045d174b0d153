"""Parsing the instants of query strings: ISO 8601 with a time zone, or a 422.

Naive times are refused rather than guessed: "08:00" means two different instants in
UTC and in Europe/Paris, and a wrong guess shows an investigator the wrong hour of
footage. Clients send `Z` or an offset (`2026-11-01T09:00:00+01:00`).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException, status

from beffroi.clock import utc_ms

INSTANT_HELP = "ISO 8601 with a time zone (Z or an offset), e.g. 2026-11-01T08:00:00Z"


def parse_instant(name: str, value: str) -> int:
    """UTC milliseconds of an ISO 8601 instant; 422 with the reason in words."""
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise unprocessable(
            f"{name}: not an ISO 8601 date-time: {value!r} (e.g. 2026-11-01T08:00:00Z)"
        ) from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise unprocessable(
            f"{name}: timezone required: add Z or an offset such as +01:00 to {value!r}"
        )
    return utc_ms(dt)


def unprocessable(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)
