"""Builders for feed tests: cases and meetings written straight through the models.

The booking service (issue 3) is built in parallel; until it lands these helpers create what a
booking creates (case, meeting with UID/SEQUENCE/slot, attendees) and call the same hook,
``meeting_events.meeting_changed``, that the booking service calls before its commit.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import vobject
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from booking.domain.vocabulary import CaseCategory, MeetingStatus, SessionStatus
from booking.models import Attendee, Case, Department, Forum, Meeting, Representative, Session, Slot
from booking.services.feeds import tokens as feed_tokens
from booking.services.meetings import events as meeting_events

SECRET = "test-secret"
_refs = itertools.count(1)


def forum(db: Db, slug: str = "mora") -> Forum:
    found = db.scalar(select(Forum).where(Forum.slug == slug))
    assert found is not None
    return found


def department(db: Db, slug: str) -> Department:
    found = db.scalar(select(Department).where(Department.slug == slug))
    assert found is not None
    return found


def free_slots(db: Db, forum_slug: str = "mora") -> list[Slot]:
    return list(
        db.scalars(
            select(Slot)
            .join(Session)
            .join(Forum)
            .where(Forum.slug == forum_slug, Session.status == SessionStatus.SCHEDULED)
            .where(~Slot.meeting.has())
            .order_by(Slot.starts_at)
        )
    )


def first_rep(dept: Department) -> Representative:
    return next(r for r in dept.representatives if not r.is_deputy)


def book(
    db: Db,
    now: datetime,
    *,
    forum_slug: str = "mora",
    departments: tuple[str, ...] = ("stadsbyggnad", "miljokontoret"),
    slot: Slot | None = None,
    starts_at: datetime | None = None,
    confidential: bool = False,
    consent: bool = True,
    commit: bool = True,
    **case_fields: Any,
) -> Meeting:
    """A booked case with one meeting (in ``slot``, or the first free one, or at ``starts_at``)."""
    the_forum = forum(db, forum_slug)
    depts = [department(db, s) for s in departments]
    reps = [first_rep(d) for d in depts]  # loaded before any new object is pending
    n = next(_refs)
    fields: dict[str, Any] = {
        "org_name": f"Företaget {n} AB",
        "contact_name": "Kim Kontakt",
        "contact_email": "kim@foretaget.example",
        "contact_phone": "070-1234567",
        "description": "Vill öppna en restaurang",
        "category": CaseCategory.NEW_ESTABLISHMENT,
    }
    fields.update(case_fields)
    case = Case(
        forum=the_forum,
        reference=f"{forum_slug.upper()}-2026-{n:04d}",
        confidential=confidential,
        consent_to_share=consent,
        departments=depts,
        **fields,
    )
    db.add(case)
    if starts_at is None:
        slot = slot or free_slots(db, forum_slug)[0]
        start, end = slot.starts_at, slot.ends_at
    else:
        start, end = starts_at, starts_at + timedelta(hours=1)
    meeting = Meeting(
        case=case,
        uid=f"meeting-{n}-{forum_slug}@forum.test",
        sequence=0,
        slot_id=slot.id if slot is not None and starts_at is None else None,
        starts_at=start,
        ends_at=end,
        status=MeetingStatus.BOOKED,
        created_at=now,
        updated_at=now,
        convener_id=reps[0].id,
    )
    meeting.attendees = [
        Attendee(representative=rep, department=d, active=True)
        for rep, d in zip(reps, depts, strict=True)
    ]
    db.add(meeting)
    db.flush()
    meeting_events.meeting_changed(db, meeting, "booked", now)
    if commit:
        db.commit()
    return meeting


def reschedule(db: Db, meeting: Meeting, slot: Slot, now: datetime) -> None:
    meeting.slot_id = slot.id
    meeting.starts_at, meeting.ends_at = slot.starts_at, slot.ends_at
    meeting.sequence += 1
    meeting_events.meeting_changed(db, meeting, "rescheduled", now)
    db.commit()


def cancel(db: Db, meeting: Meeting, now: datetime, reason: str = "Kunden återkallade") -> None:
    meeting.status = MeetingStatus.CANCELLED
    meeting.slot_id = None
    meeting.cancelled_at = now
    meeting.cancel_reason = reason
    meeting.sequence += 1
    for attendee in meeting.attendees:
        attendee.active = False
    meeting_events.meeting_changed(db, meeting, "cancelled", now)
    db.commit()


def token(db: Db, kind: str, subject_id: int, now: datetime) -> str:
    return feed_tokens.ensure(db, kind, subject_id, SECRET, now)


def url(db: Db, kind: str, subject_id: int, now: datetime) -> str:
    return feed_tokens.feed_path(kind, token(db, kind, subject_id, now))


def feeds_showing(db: Db, meeting: Meeting, dept_slug: str, now: datetime) -> dict[str, str]:
    """The private feeds (by kind) that show the meeting: one attending department's, its
    first representative's, the forum's and the customer's."""
    dept = department(db, dept_slug)
    return {
        "department": url(db, "department", dept.id, now),
        "representative": url(db, "representative", first_rep(dept).id, now),
        "forum": url(db, "forum", meeting.case.forum_id, now),
        "case": url(db, "case", meeting.case_id, now),
    }


def parse_both(data: bytes) -> Calendar:
    """Parse with icalendar and with vobject (an independent parser); both must agree on UIDs."""
    cal = Calendar.from_ical(data)
    ical_uids = sorted(str(e["UID"]) for e in cal.walk("VEVENT"))
    vcal = vobject.readOne(data.decode("utf-8"), validate=True)
    v_uids = sorted(e.uid.value for e in getattr(vcal, "vevent_list", []))
    assert ical_uids == v_uids
    return cal


def get_feed(client: FlaskClient, path: str, **headers: str) -> bytes:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response.data


def events(cal: Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def slot_on(db: Db, local_day: str, forum_slug: str = "mora", index: int = 0) -> Slot:
    from datetime import date

    wanted = date.fromisoformat(local_day)
    found = [
        s
        for s in free_slots(db, forum_slug)
        if s.starts_at.astimezone(ZoneInfo("Europe/Stockholm")).date() == wanted
    ]
    assert found, f"no free slot on {local_day} in {forum_slug}"
    return found[index]


def unfolded(data: bytes) -> str:
    return data.replace(b"\r\n ", b"").decode("utf-8")
