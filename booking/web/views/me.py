"""A representative's own meetings and the feed links to subscribe to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import render_template

from booking.services.errors import ServiceError
from booking.services.feeds import tokens as feed_tokens
from booking.services.meetings import overview as overview_service
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.paging import one_page, page_arg
from booking.web.policy import case_visibility
from booking.web_support import get_db, now, settings


@dataclass(frozen=True)
class FeedLink:
    label: str
    https: str
    webcal: str


def _links(kind: str, subject_id: int, label: str) -> FeedLink | None:
    cfg = settings()
    try:
        token = feed_tokens.ensure(get_db(), kind, subject_id, cfg.secret_key, now())
    except ServiceError:  # revoked by an administrator: no link until it is re-issued
        get_db().rollback()
        return None
    https = cfg.public_base_url + feed_tokens.feed_path(kind, token)
    webcal = "webcal://" + https.split("://", 1)[1]
    return FeedLink(label, https, webcal)


# The page lists the coming meetings up to this many; the feed holds them all.
SHOWN = 100


@web_bp.get("/me/meetings")
@requires("my_meetings")
def my_meetings() -> Any:
    user = current_user()
    assert user is not None
    db = get_db()
    reps = overview_service.representative_for_user(db, user.id)
    page = page_arg()
    invitations, more = one_page(
        overview_service.meetings_of_representatives(
            db, [r.id for r in reps], now() - timedelta(days=1), limit=SHOWN + 1,
            offset=(page - 1) * SHOWN,
        ),
        SHOWN,
    )  # fmt: skip
    seen = {a.id: case_visibility(user, a.meeting.case, participant=True) for a in invitations}
    links: list[FeedLink] = []
    for rep in reps:
        own = _links("representative", rep.id, rep.name)
        department = _links("department", rep.department_id, rep.department.name)
        links += [link for link in (own, department) if link is not None]
    return render_template(
        "web/me/meetings.html",
        reps=reps,
        invitations=invitations,
        seen=seen,
        links=links,
        now=now(),
        more=more,
        shown=SHOWN,
        page=page,
    )
