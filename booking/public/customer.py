"""The customer's case page ``/c/<token>``: meetings, the agreed timeline, the case's ICS feed.

The token comes from the confirmation and minutes e-mails
(booking.services.invitations.links). The customer sees their own case in full, but only
follow-up points marked as shown to them.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template

from booking.domain.vocabulary import MeetingStatus
from booking.models import Case
from booking.public import public_bp
from booking.services.feeds import tokens as feed_tokens
from booking.services.followup import minutes_access
from booking.services.followup import points as followups
from booking.services.followup.common import local_date
from booking.services.invitations import links as invitations
from booking.web_support import get_db, now, settings

STATUS_LABELS = {
    "open": "Pågår / In progress",
    "done": "Klar / Done",
    "overdue": "Försenad / Overdue",
}


def _case(token: str) -> Case:
    case = invitations.case_by_customer_token(get_db(), token)
    if case is None or case.anonymised_at is not None:
        abort(404)
    return case


def _feed_url(case: Case) -> str | None:
    """The case's ICS feed (none when its token was revoked)."""
    try:
        token = feed_tokens.ensure(get_db(), "case", case.id, settings().secret_key, now())
    except Exception:  # a revoked feed (NotFound) or an unknown kind: show no link
        get_db().rollback()
        return None
    path: str = feed_tokens.feed_path("case", token)
    return f"{settings().public_base_url}{path}"


@public_bp.get("/c/<token>")
def customer_case(token: str) -> str:
    db = get_db()
    case = _case(token)
    today = local_date(now(), settings().forum_timezone)
    meetings: list[dict[str, Any]] = []
    for meeting in case.meetings:
        approved = minutes_access.current_approved(db, meeting.id)
        meetings.append(
            {
                "meeting": meeting,
                "cancelled": meeting.status == MeetingStatus.CANCELLED,
                "departments": sorted({a.department.name for a in meeting.attendees if a.active}),
                "minutes": approved,
            }
        )
    return render_template(
        "public/customer.html",
        case=case,
        meetings=meetings,
        rows=followups.timeline(db, case.id, today, customer_view=True),
        status_labels=STATUS_LABELS,
        feed_url=_feed_url(case),
    )
