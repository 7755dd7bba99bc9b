"""Who chairs a meeting and who keeps its minutes, chosen or changed at any time before the
minutes are approved.

A convener or minute-taker chosen before the meeting ends is invited (an optional attendee when
they are not already there) and the meeting's SEQUENCE rises, so every calendar learns who chairs
(ROLE=CHAIR, booking.ical.itip.attendee_prop) and who keeps the minutes (a line in the
description). One who loses the role and was in the meeting only as an optional attendee is taken
off and told why. After the meeting has ended nobody is invited any more: the fields change and
the new convener finds the minutes on their to-do list.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session as Db

from booking.domain.vocabulary import LIVE_MEETING, MeetingStatus, MinutesStatus
from booking.models import Case, Meeting, Minutes, Representative
from booking.services import audit
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.invitations.delivery import send_again
from booking.services.meetings.attendees import assign_attendee, release_attendee
from booking.services.meetings.events import meeting_changed
from booking.services.meetings.snapshots import meeting_snapshot


def _representative(db: Db, representative_id: int | None, role: str) -> Representative | None:
    if representative_id is None:
        return None
    rep = db.get(Representative, representative_id)
    if rep is None:
        raise NotFound(
            f"No representative with id {representative_id}.",
            {role: representative_id},
            reason="unknown_id",
        )
    if not rep.active:
        raise Invalid(
            f"{rep.name} is not an active representative.",
            {role: representative_id, "names": [rep.name]},
            reason="inactive",
        )
    return rep


def _minutes_approved(db: Db, meeting: Meeting) -> bool:
    approved = (MinutesStatus.APPROVED, MinutesStatus.SUPERSEDED)
    return bool(
        db.scalar(
            select(exists().where(Minutes.meeting_id == meeting.id, Minutes.status.in_(approved)))
        )
    )


def changeable_meeting(db: Db, case: Case) -> Meeting | None:
    """The meeting whose convener and minute-taker may still change: the live one, or else
    the latest held one whose minutes are not approved yet."""
    live = next((m for m in case.meetings if m.status in LIVE_MEETING), None)
    if live is not None:
        return live
    held = [m for m in case.meetings if m.status == MeetingStatus.HELD]
    latest = max(held, key=lambda m: m.starts_at, default=None)
    if latest is None or _minutes_approved(db, latest):
        return None
    return latest


def _check_changeable(db: Db, meeting: Meeting) -> None:
    if meeting.slot_id is None:
        raise Conflict(
            "The meeting is cancelled; it has no convener or minute-taker to change.",
            {"meeting_id": meeting.id},
            reason="answers_closed",
        )
    if _minutes_approved(db, meeting):
        raise Conflict(
            "The minutes are approved; the convener and minute-taker can no longer change.",
            {"meeting_id": meeting.id},
            reason="roles_locked",
        )


def _holds_no_role(meeting: Meeting, representative_id: int) -> bool:
    return representative_id not in {meeting.convener_id, meeting.minute_taker_id}


def set_roles(
    db: Db,
    meeting: Meeting,
    convener_id: int | None,
    minute_taker_id: int | None,
    actor: audit.Actor,
    now: datetime,
) -> bool:
    """Give the meeting its convener and minute-taker (None: decide later). Commits.
    Returns False when nothing changed."""
    _check_changeable(db, meeting)
    convener = _representative(db, convener_id, "convener_id")
    minute_taker = _representative(db, minute_taker_id, "minute_taker_id")
    if (meeting.convener_id, meeting.minute_taker_id) == (convener_id, minute_taker_id):
        return False
    before = meeting_snapshot(meeting)
    previous = {meeting.convener_id, meeting.minute_taker_id} - {None}
    meeting.convener_id, meeting.minute_taker_id = convener_id, minute_taker_id
    upcoming = meeting.ends_at > now and meeting.status in LIVE_MEETING
    if upcoming:
        for rep in dict.fromkeys(r for r in (convener, minute_taker) if r is not None):
            assign_attendee(db, meeting, rep, required=False, now=now)
        for attendee in meeting.attendees:
            if (
                attendee.active
                and not attendee.required
                and attendee.representative_id in previous
                and _holds_no_role(meeting, attendee.representative_id)
            ):
                release_attendee(db, attendee)
        meeting.sequence += 1  # ROLE=CHAIR and the description changed (RFC 5546)
        # Whoever gains or loses a task gets the new version; the others keep theirs.
        affected = previous | {convener_id, minute_taker_id}
        send_again(a for a in meeting.attendees if a.representative_id in affected)
    audit.record(
        db,
        actor,
        "meeting",
        meeting.id,
        "roles",
        before=before,
        after=meeting_snapshot(meeting),
        case_id=meeting.case_id,
        at=now,
    )
    if upcoming:
        meeting_changed(db, meeting, "attendees", now)
    db.commit()
    return True
