"""All must reply: remind those who have not answered, on working days before the meeting."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from booking.domain import rsvp as rules
from booking.domain.vocabulary import LIVE_MEETING, PartStat
from booking.holiday_calendar import non_working_days
from booking.models import Attendee, Meeting
from booking.services.invitations import outbox
from booking.services.invitations.links import rsvp_link
from booking.services.invitations.ports import InvitationConfig
from booking.services.invitations.texts import local_when
from booking.services.mail.render import render


def send_due_reminders(
    db: Session,
    now: datetime,
    config: InvitationConfig,
    *,
    offsets: Iterable[int] = (5, 2),
) -> int:
    """E-mail everyone who has not answered when a reminder offset is reached. Returns how many."""
    offsets = tuple(offsets)
    meetings = db.scalars(
        select(Meeting)
        .where(Meeting.status.in_(LIVE_MEETING), Meeting.starts_at > now)
        .options(selectinload(Meeting.attendees))
    ).all()
    sent = 0
    closed_cache: dict[int, set[date]] = {}
    for meeting in meetings:
        for attendee in meeting.attendees:
            if not attendee.active or attendee.partstat != PartStat.NEEDS_ACTION:
                continue
            year = meeting.starts_at.year
            closed = closed_cache.setdefault(
                year, set(non_working_days([year - 1, year], include_half_days=False))
            )
            due = rules.due_offsets(
                now=now,
                meeting_start=meeting.starts_at,
                invited_at=attendee.invited_at,
                offsets=offsets,
                already_sent=attendee.reminders_sent or [],
                timezone=meeting.case.forum.timezone,
                closed=closed,
            )
            if not due:
                continue
            _remind(db, meeting, attendee, now, config)
            attendee.reminders_sent = sorted({*(attendee.reminders_sent or []), *due})
            sent += 1
    db.commit()
    return sent


def _remind(
    db: Session, meeting: Meeting, attendee: Attendee, now: datetime, config: InvitationConfig
) -> None:
    mail = render(
        "invitations/reminder",
        name=attendee.representative.name,
        when=local_when(meeting),
        reference=meeting.case.reference,
        link=rsvp_link(attendee, config),
    )
    outbox.enqueue_email(
        db,
        now,
        to=attendee.representative.email,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        meeting_id=meeting.id,
    )
