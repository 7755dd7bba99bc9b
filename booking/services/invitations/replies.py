"""All must reply: record answers (CalDAV, e-mail, link, phone, web) and count them.

Answers arrive through five channels and all go through ``record_reply``: audited, with the
channel and an optional note. A decline brings in the department's deputy (when configured,
booking.services.invitations.deputies) and tells the coordinator; the case is confirmed once
every required department has an accepting representative. Answers in calendar data are read
by booking.services.invitations.answers, reminders sent by booking.services.invitations.reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain import rsvp as rules
from booking.domain.vocabulary import LIVE_MEETING, CaseStatus, MeetingStatus, PartStat
from booking.models import Attendee, Meeting, Representative
from booking.services import audit
from booking.services.cases.registry import apply_transition
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.inputs import strip_controls
from booking.services.invitations import deputies
from booking.services.policies import policies_of

if TYPE_CHECKING:
    from config import Settings


@dataclass(frozen=True)
class RsvpPolicy:
    deputy_on_decline: bool = True
    reminder_working_days: tuple[int, ...] = (5, 2)

    @classmethod
    def from_settings(cls, settings: Settings) -> RsvpPolicy:
        return cls(
            deputy_on_decline=settings.deputy_on_decline,
            reminder_working_days=settings.reminder_working_days,
        )


# ---------------------------------------------------------------- recording an answer


def record_reply(
    db: Session,
    attendee: Attendee,
    partstat: str | PartStat,
    channel: str,
    now: datetime,
    *,
    actor: audit.Actor,
    note: str = "",
    policy: RsvpPolicy | None = None,
) -> Attendee:
    """Record one answer; a decline brings in a deputy and tells the coordinator; the case is
    confirmed if due. One unit of work, one commit: the answer, the deputy's invitation (in the
    outbox) and the coordinator's mail are stored together or not at all."""
    policy = policy or policies_of(db).rsvp
    value = str(partstat.value if isinstance(partstat, PartStat) else partstat).upper()
    if value not in rules.ANSWERED:
        raise Invalid(
            f"Unknown answer {partstat!r}; use ACCEPTED, DECLINED or TENTATIVE.",
            {"partstat": str(partstat)},
        )
    if channel not in rules.CHANNELS:
        raise Invalid(f"Unknown channel {channel!r}; use {', '.join(rules.CHANNELS)}.")
    meeting = attendee.meeting
    note = strip_controls(note).strip()
    lost: set[int] = set()  # candidates a concurrent booking took (the unit of work was lost)
    while True:
        _check_open(attendee)  # again after a lost unit of work: the meeting may have changed
        _record(db, attendee, value, channel, note, now, actor)
        if value == "DECLINED":
            try:
                _after_decline(db, attendee, now, policy, skip=lost)
            except deputies.UnitOfWorkLost as lost_race:
                lost.add(lost_race.representative_id)
                continue
        break
    update_confirmation(db, meeting, now)
    db.commit()
    return attendee


def _check_open(attendee: Attendee) -> None:
    meeting = attendee.meeting
    if meeting.status not in LIVE_MEETING:
        raise Conflict(
            f"The meeting is {meeting.status.value}; answers are closed.",
            {"status": meeting.status.value},
            reason="answers_closed",
        )
    if not attendee.active:
        raise Conflict(
            f"{attendee.representative.name} is no longer invited to this meeting.",
            {"name": attendee.representative.name},
            reason="no_longer_invited",
        )


def _record(
    db: Session,
    attendee: Attendee,
    value: str,
    channel: str,
    note: str,
    now: datetime,
    actor: audit.Actor,
) -> None:
    before = {"partstat": attendee.partstat, "channel": attendee.reply_channel}
    attendee.partstat = PartStat(value)
    attendee.replied_at = now
    attendee.reply_channel = channel
    attendee.reply_note = note
    audit.record(
        db,
        actor,
        "attendee",
        attendee.id,
        "reply",
        before=before,
        after={"partstat": value, "channel": channel, "name": attendee.representative.name},
        case_id=attendee.meeting.case_id,
        note=note,
        at=now,
    )


def _after_decline(
    db: Session, attendee: Attendee, now: datetime, policy: RsvpPolicy, *, skip: set[int]
) -> None:
    """Bring in the department's deputy (when due) and tell the coordinator. No commit."""
    deputy: Representative | None = None
    if policy.deputy_on_decline and attendee.required:
        deputy = deputies.bring_deputy(db, attendee, now, skip=skip)
    deputies.tell_coordinator(db, attendee.meeting, attendee, deputy, now)


def record_phone_reply(
    db: Session,
    attendee_id: int,
    partstat: str,
    note: str,
    now: datetime,
    *,
    actor: audit.Actor,
    policy: RsvpPolicy | None = None,
) -> Attendee:
    """The coordinator records an answer given by phone; a note is required (audited)."""
    attendee = db.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"Attendee {attendee_id} not found.")
    if not note.strip():
        raise Invalid(
            "Say who answered and when in the note.", {"note": "required"}, reason="note_required"
        )
    return record_reply(db, attendee, partstat, "phone", now, actor=actor, note=note, policy=policy)


def record_own_reply(
    db: Session,
    user_id: int,
    attendee_id: int,
    partstat: str,
    note: str,
    now: datetime,
    *,
    actor: audit.Actor,
    policy: RsvpPolicy | None = None,
) -> Attendee:
    """A signed-in representative answers their own invitation on "Mina möten" or the case
    page (channel "web"). Someone else's invitation is answered as if it did not exist."""
    attendee = db.get(Attendee, attendee_id)
    if attendee is None or attendee.representative.user_id != user_id:
        raise NotFound(f"You have no invitation with id {attendee_id}.", {"attendee": attendee_id})
    return record_reply(db, attendee, partstat, "web", now, actor=actor, note=note, policy=policy)


def update_confirmation(db: Session, meeting: Meeting, now: datetime) -> bool:
    """Mark the meeting and case confirmed when every required department has accepted.

    No commit: part of the caller's unit of work."""
    db.flush()  # the refresh reads the attendees as this unit of work has them
    db.refresh(meeting)
    if meeting.status != MeetingStatus.BOOKED:
        return meeting.status == MeetingStatus.CONFIRMED
    required_departments = [d.id for d in meeting.case.departments] or [
        a.department_id for a in meeting.attendees if a.active and a.required
    ]
    if not rules.is_confirmed(required_departments, _answers(meeting)):
        return False
    if meeting.case.status == CaseStatus.BOOKED:
        apply_transition(
            db,
            meeting.case_id,
            CaseStatus.CONFIRMED,
            audit.Actor.system("rsvp"),
            now=now,
            note="alla förvaltningar har tackat ja / every department accepted",
        )
    return True


def _answers(meeting: Meeting) -> list[rules.AttendeeAnswer]:
    return [
        rules.AttendeeAnswer(a.department_id, a.required, a.partstat.value)
        for a in meeting.attendees
        if a.active
    ]


def reply_count(meeting: Meeting) -> rules.ReplyCount:
    """ "x of y replied" (required, active attendees)."""
    return rules.reply_count(_answers(meeting))


def meetings_awaiting_replies(db: Session, forum_id: int | None = None) -> list[Meeting]:
    """Live meetings where some required attendee has not answered (for the coordinator)."""
    query = select(Meeting).where(Meeting.status.in_(LIVE_MEETING)).order_by(Meeting.starts_at)
    meetings = db.scalars(query).all()
    return [
        m
        for m in meetings
        if (forum_id is None or m.case.forum_id == forum_id) and not reply_count(m).all_replied
    ]
