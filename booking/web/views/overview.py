"""The coming forum afternoons: slots free or booked, replies at a glance."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, render_template, request

from booking.domain.vocabulary import PartStat, Role
from booking.models import Meeting
from booking.services.meetings import overview as overview_service
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.forum_filter import chosen_forums
from booking.web.labels import case_title
from booking.web.policy import can, case_visibility
from booking.web_support import get_db, now

DEFAULT_WEEKS = 6
MAX_WEEKS = 12


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name, "")
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400)
    return min(max(value, low), high)


def participant_case_ids(meetings: list[Meeting]) -> set[int]:
    """Cases the logged-in representative takes part in (they may see those in more detail)."""
    user = current_user()
    if user is None or user.role != Role.REPRESENTATIVE or not meetings:
        return set()
    return overview_service.cases_with_user(get_db(), user.id, [m.id for m in meetings])


@web_bp.get("/overview")
@requires("view_overview")
def overview() -> Any:
    db = get_db()
    forums = overview_service.forums(db)
    chosen, selected = chosen_forums(forums)
    today = now().date()
    start = _date_arg("from", today)
    weeks = _int_arg("weeks", DEFAULT_WEEKS, 1, MAX_WEEKS)
    end = start + timedelta(weeks=weeks) - timedelta(days=1)
    data = overview_service.coming_sessions(db, [f.id for f in selected], start, end)
    meetings = [slot.meeting for s in data.sessions for slot in s.slots if slot.meeting]
    user = current_user()
    participant = participant_case_ids(meetings)
    labels = {
        m.id: case_title(
            m.case, case_visibility(user, m.case, participant=m.case_id in participant)
        )
        for m in meetings
    }
    return render_template(
        "web/overview.html",
        forums=forums,
        chosen=chosen,
        data=data,
        labels=labels,
        start=start,
        end=end,
        weeks=weeks,
        previous_start=start - timedelta(weeks=weeks),
        next_start=end + timedelta(days=1),
        can_open_case=can(user, "view_cases"),
        participant=participant,
        PartStat=PartStat,
    )
