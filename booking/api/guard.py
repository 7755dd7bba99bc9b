"""Checks on every API request before a view runs: what no view could handle well.

* A control character (NUL included) in the path or the query string: 400. PostgreSQL cannot
  store NUL, and no id, slug, date or search term holds one.
* A JSON body nested deeper than ``MAX_JSON_DEPTH`` levels, or too deep for the parser: 400.
  No request body of this API is more than a few levels deep.
"""

from __future__ import annotations

from typing import Any

from flask import request

from booking.api import api_bp
from booking.api.errors import ApiError
from booking.web_support import control_characters_in_request

MAX_JSON_DEPTH = 32


def depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of parsed JSON, counting no further than ``limit + 1``."""
    level, current = 0, [value]
    while current and level <= limit:
        level += 1
        nested: list[Any] = []
        for item in current:
            if isinstance(item, dict):
                nested.extend(v for v in item.values() if isinstance(v, dict | list))
            elif isinstance(item, list):
                nested.extend(v for v in item if isinstance(v, dict | list))
        current = nested
    return level


def _too_deep() -> ApiError:
    return ApiError(
        400,
        "bad_request",
        f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels).",
        {"max_depth": MAX_JSON_DEPTH},
    )


@api_bp.before_request
def _refuse_what_no_view_handles() -> None:
    where = control_characters_in_request()
    if where is not None:
        raise ApiError(
            400,
            "bad_parameter",
            "The address must not contain control characters (such as %00).",
            {where: "control character"},
        )
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE") or not request.is_json:
        return
    try:
        body = request.get_json(silent=True)  # parsed once; views get the cached value
    except RecursionError:
        raise _too_deep() from None
    if isinstance(body, dict | list) and depth(body) > MAX_JSON_DEPTH:
        raise _too_deep()
