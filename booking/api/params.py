"""Validation of query parameters at the edge, with messages that say what to fix."""

from __future__ import annotations

from datetime import date

from booking.api.errors import ApiError
from booking.services.inputs import FIRST_YEAR, LAST_YEAR, day_problem


def parse_date(raw: str | None, name: str, default: date | None = None) -> date:
    if raw is None or raw == "":
        if default is None:
            raise ApiError(
                400,
                "missing_parameter",
                f"Query parameter '{name}' is required (a date as YYYY-MM-DD).",
                {name: "required"},
            )
        return default
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or day_problem(value) is not None:
        raise ApiError(
            400,
            "bad_parameter",
            f"Query parameter '{name}' must be a date as YYYY-MM-DD between "
            f"{FIRST_YEAR} and {LAST_YEAR}, got {raw[:40]!r}.",
            {name: raw[:40]},
        )
    return value


def parse_int(raw: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400,
            "bad_parameter",
            f"Query parameter '{name}' must be an integer between {lo} and {hi}, got {raw!r}.",
            {name: raw},
        ) from None
    if not lo <= value <= hi:
        raise ApiError(
            400,
            "bad_parameter",
            f"Query parameter '{name}' must be between {lo} and {hi}, got {value}.",
            {name: value},
        )
    return value
