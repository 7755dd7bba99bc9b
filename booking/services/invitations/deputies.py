"""A decline brings in the department's deputy, and the coordinator is told.

Part of the answer's unit of work (``booking.services.invitations.replies.record_reply``): the
deputy is invited (the invitation work goes into the outbox through ``meeting_changed``), the
decliner is taken off, and the coordinator's mail is queued, all before the one commit.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import Attendee, Meeting, Representative
from booking.services import audit
from booking.services.errors import ServiceError
from booking.services.invitations import outbox
from booking.services.invitations.texts import local_when
from booking.services.mail.render import render
from booking.services.meetings.attendees import assign_attendee, release_attendee
from booking.services.meetings.events import meeting_changed

log = logging.getLogger(__name__)


class UnitOfWorkLost(Exception):
    """Inviting ``representative_id`` lost a race with a concurrent booking, and the database's
    refusal rolled the whole unit of work back (the answer too): do it again without them."""

    def __init__(self, representative_id: int) -> None:
        super().__init__(representative_id)
        self.representative_id = representative_id


def candidates(db: Session, attendee: Attendee) -> list[Representative]:
    """The department's other active representatives not already at the meeting, deputies
    first."""
    taken = {a.representative_id for a in attendee.meeting.attendees if a.active}
    reps = db.scalars(
        select(Representative)
        .where(
            Representative.department_id == attendee.department_id,
            Representative.active.is_(True),
        )
        .order_by(Representative.is_deputy.desc(), Representative.id)
    ).all()
    return [r for r in reps if r.id not in taken and r.id != attendee.representative_id]


def bring_deputy(
    db: Session, attendee: Attendee, now: datetime, *, skip: Collection[int] = ()
) -> Representative | None:
    """Invite the first free candidate in place of ``attendee`` (who declined) and take the
    decliner off; returns the deputy, or None when nobody is free. No commit.

    Raises UnitOfWorkLost when the database refused a candidate and rolled everything back.
    """
    meeting = attendee.meeting
    db.flush()
    unit = db.get_transaction()
    chosen: Representative | None = None
    for candidate in candidates(db, attendee):
        if candidate.id in skip:
            continue
        try:
            assign_attendee(db, meeting, candidate, required=True, now=now)
        except ServiceError as exc:
            if db.get_transaction() is not unit:
                raise UnitOfWorkLost(candidate.id) from exc
            log.info("deputy %s not available: %s", candidate.name, exc.message)
            continue
        chosen = candidate
        break
    if chosen is None:
        return None
    release_attendee(db, attendee)
    audit.record(
        db,
        audit.Actor.system("rsvp"),
        "attendee",
        attendee.id,
        "deputy",
        after={
            "deputy_id": chosen.id,
            "deputy": chosen.name,
            "declined": attendee.representative.name,
        },
        case_id=meeting.case_id,
        note=f"{attendee.representative.name} declined; {chosen.name} invited",
        at=now,
    )
    meeting_changed(db, meeting, "attendees", now)
    return chosen


def tell_coordinator(
    db: Session, meeting: Meeting, attendee: Attendee, deputy: Representative | None, now: datetime
) -> None:
    """Queue the mail that tells the case's coordinator (or the forum) of the decline."""
    case = meeting.case
    to = case.received_by.email if case.received_by else case.forum.organizer_email
    if not to:
        return
    mail = render(
        "invitations/declined",
        name=attendee.representative.name,
        department=attendee.department.name,
        when=local_when(meeting),
        reference=case.reference,
        deputy=deputy.name if deputy is not None else None,
    )
    outbox.enqueue_email(
        db, now, to=to, subject=mail.subject, text=mail.text, meeting_id=meeting.id
    )
