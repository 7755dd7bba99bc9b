"""The one owner of a case's status and of what it implies for the case's meeting.

Case and meeting never disagree: booking, cancelling, replies and the status menu all write a
case's status through ``set_status`` here, and a status that implies a meeting change is
checked by ``check_meeting_allows`` before anything is written:
- "held" only once the meeting has ended (compared with the injected clock's ``now``),
- "confirmed"/"held" need a meeting,
- "cancelled" cancels the live meeting through the same code as the cancel button
  (booking.services.meetings.changes.cancel_live_meeting: slot and time freed, everyone told).
No commit here: the calling use case commits once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session as Db

from booking.domain import cases as case_rules
from booking.domain.vocabulary import LIVE_MEETING, CaseStatus, MeetingStatus
from booking.models import Case, Meeting
from booking.services import audit
from booking.services.errors import Conflict
from booking.services.meetings.events import meeting_changed


def check_transition(case: Case, new: CaseStatus) -> None:
    """Raise Conflict (reason status_transition) unless the life cycle allows the move."""
    try:
        case_rules.check_transition(case.status.value, new.value)
    except case_rules.TransitionError as exc:
        raise Conflict(
            str(exc),
            {"status": case.status.value, "requested": new.value},
            reason="status_transition",
        ) from None


def set_status(
    db: Db, case: Case, new: CaseStatus, actor: audit.Actor, now: datetime, note: str = ""
) -> None:
    """Write the case's status (audited); the only place that does. No commit."""
    if case.status == new:
        return
    check_transition(case, new)
    before = case.status
    case.status = new
    case.updated_at = now
    if new == CaseStatus.CLOSED:
        case.closed_at = now
    audit.record(
        db,
        actor,
        "case",
        case.id,
        "status",
        before={"status": before},
        after={"status": new},
        case_id=case.id,
        note=note,
        at=now,
    )


def to_cancel(meetings: list[Meeting], now: datetime) -> Meeting | None:
    """The meeting a cancelled case must cancel: a live one, or one marked held that has not
    ended yet (it cannot have taken place; data from before held was checked)."""
    return next(
        (
            m
            for m in meetings
            if m.status in LIVE_MEETING or (m.status == MeetingStatus.HELD and m.ends_at > now)
        ),
        None,
    )


def meeting_to_follow(
    case: Case, target: CaseStatus, meetings: list[Meeting], now: datetime
) -> Meeting | None:
    """For "confirmed" and "held": the meeting that follows the case, after checking that the
    change is possible (a meeting exists; held only once it has ended). None for other targets."""
    if target not in (CaseStatus.CONFIRMED, CaseStatus.HELD):
        return None
    live = next((m for m in meetings if m.status in LIVE_MEETING), None)
    held = next((m for m in meetings if m.status == MeetingStatus.HELD), None)
    meeting = live or held
    if meeting is None:
        raise Conflict(f"The case has no meeting to mark {target.value}.", {}, reason="no_meeting")
    if target == CaseStatus.HELD and meeting.ends_at > now:
        raise Conflict(
            f"The meeting ends {meeting.ends_at.isoformat()}; it can be marked held only "
            "once it has ended.",
            {"ends_at": meeting.ends_at.isoformat(), "meeting_id": meeting.id},
            reason="meeting_not_over",
        )
    return meeting


def set_meeting_status(
    db: Db, meeting: Meeting, status: MeetingStatus, actor: audit.Actor, now: datetime
) -> None:
    """Follow the case's status (confirmed, held) on its meeting; no commit."""
    if meeting.status == status:
        return
    before = {"status": meeting.status}
    meeting.status = status
    audit.record(
        db,
        actor,
        "meeting",
        meeting.id,
        "status",
        before=before,
        after={"status": status},
        case_id=meeting.case_id,
        at=now,
    )
    meeting_changed(db, meeting, "updated", now)
