"""What must happen, in the same transaction, when a meeting or a case changes.

The booking service (and any other service that changes a meeting, a case, a department or a
representative) calls these functions *before* it commits. They add the follow-up work to the
same unit of work, so either everything is committed or nothing is:
- feed_cache: invalidate exactly the feeds that show the changed thing,
- invitations: enqueue the CalDAV/iMIP work for the worker (outbox).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from booking.models import Case, Department, Meeting, Representative
from booking.services.feeds import invalidate as feed_cache
from booking.services.feeds import tokens as feed_tokens
from booking.services.invitations import delivery as invitations

MeetingChange = Literal["booked", "rescheduled", "cancelled", "updated", "attendees"]


def meeting_changed(db: Session, meeting: Meeting, change: MeetingChange, now: datetime) -> None:
    """Call after changing a meeting (book, reschedule, cancel, attendee change), before commit."""
    meeting.updated_at = now
    db.flush()
    feed_cache.invalidate_meeting(db, meeting)
    invitations.enqueue_for_meeting(db, meeting, change, now)


def case_changed(db: Session, case: Case, now: datetime) -> set[str]:
    """Call after editing a case's details (what feeds and invitations show of it); returns
    the keys of the feeds that show it."""
    for meeting in case.meetings:
        meeting.updated_at = now
    db.flush()
    return feed_cache.invalidate_case(db, case)


def representative_changed(db: Session, representative: Representative, now: datetime) -> None:
    """Call after changing a representative (name, department, active) shown in feeds."""
    db.flush()
    feed_cache.invalidate_representative(db, representative)


def department_changed(db: Session, department: Department) -> None:
    """Call after changing a department (its name is in feeds' names and meeting texts)."""
    feed_cache.invalidate_department(db, department)


def case_anonymised(db: Session, case: Case, now: datetime) -> None:
    """Call after removing a case's personal data (retention): no stored feed may keep it,
    and the customer's feed of the case stops (its token is revoked)."""
    feed_cache.drop_bodies(db, case_changed(db, case, now))
    feed_tokens.revoke_if_active(db, "case", case.id, now)
