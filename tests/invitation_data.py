"""Test data for the invitation tests: a forum, departments with a representative and a deputy,
and booked meetings (made with the models, as the booking service would leave them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseCategory, CaseStatus, MeetingStatus
from booking.models import (
    Attendee,
    Case,
    Department,
    Forum,
    Meeting,
    Representative,
    SessionSeries,
    Slot,
)
from booking.models import Session as ForumSession
from booking.services.meetings.events import meeting_changed
from booking.services.scheduling.sessions import extend_sessions

ORGANIZER = "forum@mora.example"
# user name on the CalDAV server → (department slug, name, e-mail, is_deputy)
PEOPLE = {
    "anna": ("bygg", "Anna Lind", "anna@mora.example", False),
    "sara": ("bygg", "Sara Nyberg", "sara@mora.example", True),
    "oskar": ("miljo", "Oskar Falk", "oskar@mora.example", False),
    "nils": ("miljo", "Nils Åberg", "nils@mora.example", True),
    "lars": ("brand", "Lars Björk", "lars@mora.example", False),
    "frida": ("brand", "Frida Lund", "frida@mora.example", True),
}
DEPARTMENTS = {
    "bygg": "Stadsbyggnadsförvaltningen",
    "miljo": "Miljökontoret",
    "brand": "Mora Brandkår",
}


@dataclass
class World:
    forum: Forum
    departments: dict[str, Department]
    reps: dict[str, Representative]
    slots: list[Slot] = field(default_factory=list)
    cases: int = 0


def make_world(db: Session, *, slots: int = 4, start: date = date(2026, 12, 15)) -> World:
    forum = Forum(
        slug="mora",
        name="Forum Mora",
        municipality="Mora kommun",
        location="Mora kommunhus, Siljan, Fredsgatan 16, Mora",
        organizer_email=ORGANIZER,
    )
    db.add(forum)
    db.flush()
    # Weekly here (the demo is biweekly) so that benchmarks find enough slots.
    series = SessionSeries(
        forum_id=forum.id,
        anchor_date=start,
        interval_days=7,
        start_time=time(13, 0),
        end_time=time(16, 30),
        meeting_minutes=60,
        buffer_minutes=15,
    )
    db.add(series)
    departments = {}
    for slug, name in DEPARTMENTS.items():
        dept = Department(slug=slug, name=name, forums=[forum], capacity_per_session=50)
        db.add(dept)
        departments[slug] = dept
    db.flush()
    reps = {}
    for user, (slug, name, mail, deputy) in PEOPLE.items():
        rep = Representative(
            department_id=departments[slug].id,
            name=name,
            email=mail,
            calendar_address=f"mailto:{mail}",
            is_deputy=deputy,
        )
        db.add(rep)
        reps[user] = rep
    world = World(forum, departments, reps)
    db.flush()
    # The sessions the worker's horizon job would make, so it finds nothing to change.
    extend_sessions(db, forum, start - timedelta(days=15), 24, commit=False)
    world.slots = list(
        db.scalars(
            select(Slot)
            .join(ForumSession)
            .where(ForumSession.forum_id == forum.id, ForumSession.local_date >= start)
            .order_by(Slot.starts_at)
        )
    )
    assert len(world.slots) >= slots, "not enough slots in the horizon"
    db.commit()
    return world


def book_meeting(
    db: Session,
    world: World,
    now: datetime,
    *,
    people: tuple[str, ...] = ("anna", "oskar", "lars"),
    slot_index: int | None = None,
    contact_email: str = "kund@foretag.example",
    confidential: bool = False,
) -> Meeting:
    """A booked meeting, committed with its outbox work (as the booking service does)."""
    world.cases += 1
    depts = sorted({world.reps[p].department_id for p in people})
    case = Case(
        forum_id=world.forum.id,
        reference=f"F-2026-{world.cases:04d}-{uuid.uuid4().hex[:4]}",
        org_name="Bageri Dalarna AB",
        contact_name="Kim Kund",
        contact_email=contact_email,
        category=CaseCategory.NEW_ESTABLISHMENT,
        description="Nytt bageri med servering i centrum.",
        consent_to_share=True,
        confidential=confidential,
        status=CaseStatus.BOOKED,
        received_at=now,
    )
    case.departments = [d for d in world.departments.values() if d.id in depts]
    db.add(case)
    db.flush()
    slot = world.slots[slot_index if slot_index is not None else world.cases - 1]
    meeting = Meeting(
        case_id=case.id,
        uid=f"{uuid.uuid4()}@forum.test",
        sequence=0,
        slot_id=slot.id,
        status=MeetingStatus.BOOKED,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        location=world.forum.location,
        convener_id=world.reps[people[0]].id,
        created_at=now,
        updated_at=now,
    )
    db.add(meeting)
    db.flush()
    for p in people:
        rep = world.reps[p]
        meeting.attendees.append(
            Attendee(
                representative_id=rep.id,
                department_id=rep.department_id,
                required=True,
                invited_at=now,
            )
        )
    db.flush()
    meeting_changed(db, meeting, "booked", now)
    db.commit()
    return meeting


def reschedule(db: Session, meeting: Meeting, slot: Slot, now: datetime) -> None:
    """What the booking service does on a reschedule (new time, SEQUENCE+1, answers reset)."""
    meeting.slot_id = slot.id
    meeting.starts_at, meeting.ends_at = slot.starts_at, slot.ends_at
    meeting.sequence += 1
    for attendee in meeting.attendees:
        if attendee.active:
            attendee.partstat = attendee.partstat.__class__("NEEDS-ACTION")
            attendee.replied_at = None
    meeting_changed(db, meeting, "rescheduled", now)
    db.commit()


def cancel(
    db: Session, meeting: Meeting, now: datetime, reason: str = "Kunden drog tillbaka"
) -> None:
    meeting.slot_id = None
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    meeting.cancelled_at = now
    meeting.sequence += 1
    meeting_changed(db, meeting, "cancelled", now)
    db.commit()


def make_worker(
    app: object,
    smtp_port: int,
    *,
    caldav_url: str = "",
    caldav_user: str = "forum",
    caldav_password: str = "",
    remote_user: bool = True,
    calendar_url: str = "",
    features: str = "",
    deputy_on_decline: bool = True,
    lease_seconds: int = 300,
    mailbox_factory: object = None,
) -> object:
    """A worker wired to real adapters (as `flask forum worker` is), for the given servers."""
    from booking.adapters.caldav_gateway import CalDavConfig, CalDavGateway
    from booking.adapters.mailer import SmtpConfig, SmtpMailer
    from booking.services.invitations.outbox import OutboxPolicy
    from booking.services.invitations.replies import RsvpPolicy
    from booking.services.worker import Worker, WorkerSetup

    def calendar_factory() -> CalDavGateway | None:
        if not caldav_url:
            return None
        return CalDavGateway(
            CalDavConfig(
                url=caldav_url,
                username=caldav_user,
                password=caldav_password,
                remote_user_header=remote_user,
                calendar_url=calendar_url,
                features=features,
                timeout=5,
            )
        )

    ext = app.extensions  # type: ignore[attr-defined]
    setup = WorkerSetup(
        calendar_factory=calendar_factory,
        mailer=SmtpMailer(SmtpConfig(host="127.0.0.1", port=smtp_port, timeout=5)),
        policies=replace(
            ext["policies"],
            outbox=OutboxPolicy(lease_seconds=lease_seconds, backoff_base_seconds=1),
            rsvp=RsvpPolicy(deputy_on_decline=deputy_on_decline),
        ),
        mailbox_factory=mailbox_factory,  # type: ignore[arg-type]
    )
    worker = Worker(ext["session_factory"], setup)
    WORKERS.append(worker)
    return worker


WORKERS: list[object] = []


def close_workers() -> None:
    """Close the CalDAV sessions of the workers a test made (no leaked sockets)."""
    while WORKERS:
        WORKERS.pop().close()  # type: ignore[attr-defined]
