"""Term statistics as JSON: ``GET /api/v1/statistics?term=2027-spring`` (viewer role and up)."""

from __future__ import annotations

from typing import Any

from flask import request

from booking.api import api_bp
from booking.api.auth import requires
from booking.api.errors import ApiError
from booking.domain.terms import TermError, parse_term, term_of
from booking.models import Forum
from booking.services import statistics
from booking.services.followup_common import local_date
from booking.web_support import get_db, now, settings


@api_bp.get("/statistics")
@requires("read")
def get_statistics() -> dict[str, Any]:
    """The statistics page's figures. Without ``term`` the current term; ``forum`` narrows."""
    raw = request.args.get("term", "")
    try:
        term = parse_term(raw) if raw else term_of(local_date(now(), settings().forum_timezone))
    except TermError as exc:
        raise ApiError(400, "bad_parameter", str(exc), {"term": raw}) from None
    forum_id = None
    slug = request.args.get("forum", "")
    if slug:
        forum = get_db().query(Forum).filter(Forum.slug == slug).one_or_none()
        if forum is None:
            raise ApiError(404, "not_found", f"No forum with slug {slug!r}.", {"forum": slug})
        forum_id = forum.id
    return statistics.compute(get_db(), term, forum_id=forum_id, timezone=settings().forum_timezone)
