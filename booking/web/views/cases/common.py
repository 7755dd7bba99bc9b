"""Shared by the case pages: the case or 404, its live meeting, what the viewer may see of it."""

from __future__ import annotations

from flask import abort

from booking.domain.visibility import Visibility
from booking.domain.vocabulary import LIVE_MEETING, CaseStatus, Role
from booking.i18n import long_date, time_range
from booking.models import Case, Department, Meeting
from booking.services.directory.admin import list_departments
from booking.services.meetings import overview as overview_service
from booking.web.auth import current_user
from booking.web.policy import can, case_visibility
from booking.web_support import get_db

PAGE_SIZE = 50
# Statuses a coordinator sets by hand; booked/received follow booking and cancelling.
MANUAL_STATUSES = (CaseStatus.CONFIRMED, CaseStatus.HELD, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED)


def case_or_404(case_id: int) -> Case:
    case = overview_service.case_page(get_db(), case_id)
    if case is None:
        abort(404)
    return case


def live_meeting_of(case: Case) -> Meeting | None:
    return next((m for m in case.meetings if m.status in LIVE_MEETING), None)


def seen_of(case: Case) -> Visibility:
    """What the logged-in user may see of the case; 403 when they may not open it at all."""
    user = current_user()
    assert user is not None
    if can(user, "view_cases"):
        return case_visibility(user, case)
    if user.role == Role.REPRESENTATIVE and overview_service.user_is_invited(
        get_db(), user.id, case.id
    ):
        return case_visibility(user, case, participant=True)
    abort(403)


def all_departments() -> list[Department]:
    return list_departments(get_db())


def representative_choices() -> list[tuple[int, str]]:
    """Everyone who may chair or keep the minutes, as (id, "name, department"): active
    representatives of active departments. Named from the department at hand, not through
    each person's ``department`` (a query per department: 108 on a county's case page)."""
    return [
        (r.id, f"{r.name}, {d.name}")
        for d in all_departments()
        if d.active
        for r in d.representatives
        if r.active
    ]


def when_text(meeting: Meeting) -> str:
    return f"{long_date(meeting.starts_at)} {time_range(meeting.starts_at, meeting.ends_at)}"
