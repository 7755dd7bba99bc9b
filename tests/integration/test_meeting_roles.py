"""The convener and the minute-taker are chosen or changed on a booked meeting, and told.

Issue 13: "Make both settable and changeable on the case page at any time before approval; tell
the person (invitation with ROLE=CHAIR for the convener, a line in the invitation for the
minute-taker)." Delivered by the real worker to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from caldav_servers import (  # noqa: F401
    SmtpSink,
    calendar_parts,
    plain_text,
    smtp_sink_fixture,
)
from icalendar import Calendar
from invitation_data import book_meeting, close_workers, make_worker, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import MeetingStatus, MinutesStatus
from booking.models import Attendee, AuditEvent, Meeting, Minutes
from booking.services.audit import Actor
from booking.services.errors import Conflict, Invalid
from booking.services.meetings.roles import changeable_meeting, set_roles

COORDINATOR = Actor.system("test-coordinator")


@pytest.fixture(autouse=True)
def _close_workers() -> Any:
    yield
    close_workers()


def _event(mail: Any) -> Any:
    (_, payload), *_ = calendar_parts(mail)
    return next(iter(Calendar.from_ical(payload).walk("VEVENT")))


def _roles(event: Any) -> dict[str, str]:
    attendees = event["ATTENDEE"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    return {str(a).removeprefix("mailto:"): str(a.params["ROLE"]) for a in attendees}


def _active(db: Session, meeting: Meeting) -> set[int]:
    return set(
        db.scalars(
            select(Attendee.representative_id).where(
                Attendee.meeting_id == meeting.id, Attendee.active.is_(True)
            )
        )
    )


def test_a_new_convener_chairs_and_a_minute_taker_is_invited_and_told(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())  # anna (convener), oskar, lars
    worker = make_worker(app, smtp_sink.port)
    worker.tick(clock.now(), force=True)
    anna, lars, sara, nils = (world.reps[u] for u in ("anna", "lars", "sara", "nils"))

    assert set_roles(db, meeting, lars.id, sara.id, COORDINATOR, clock.now())
    worker.tick(clock.now(), force=True)
    db.expire_all()
    assert meeting.sequence == 1
    assert sara.id in _active(db, meeting)  # not in the meeting before: invited, optional
    to_lars, to_sara = smtp_sink.to(lars.email)[-1], smtp_sink.to(sara.email)[-1]
    roles = _roles(_event(to_lars))
    assert roles[lars.email] == "CHAIR"
    assert roles[anna.email] == "REQ-PARTICIPANT"
    assert roles[sara.email] == "OPT-PARTICIPANT"
    description = str(_event(to_sara)["DESCRIPTION"])
    assert "Sammankallande / Convener: Lars Björk" in description
    assert "Protokollförare / Minute-taker: Sara Nyberg" in description
    assert "Du för mötesprotokollet." in plain_text(to_sara)

    # Sara hands the minutes over to Nils: she is taken off and told why; he is invited.
    assert set_roles(db, meeting, lars.id, nils.id, COORDINATOR, clock.now())
    worker.tick(clock.now(), force=True)
    db.expire_all()
    assert sara.id not in _active(db, meeting) and nils.id in _active(db, meeting)
    cancel = smtp_sink.to(sara.email)[-1]
    assert calendar_parts(cancel)[0][0] == "CANCEL"
    assert "Någon annan är nu sammankallande eller protokollförare" in plain_text(cancel)
    # Anna was a required attendee all along: losing the chair does not take her off.
    assert anna.id in _active(db, meeting)
    entries = db.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == meeting.id, AuditEvent.action == "roles")
    ).all()
    assert [e.after["minute_taker_id"] for e in entries] == [sara.id, nils.id]


def test_no_change_is_no_new_version(db: Session, clock: FixedClock) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    assert not set_roles(db, meeting, meeting.convener_id, None, COORDINATOR, clock.now())
    assert meeting.sequence == 0


def test_roles_change_after_the_meeting_but_not_after_approval(
    db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    meeting.status = MeetingStatus.HELD
    db.commit()
    after_meeting = meeting.ends_at + timedelta(hours=1)
    sara = world.reps["sara"]
    assert changeable_meeting(db, meeting.case) is meeting
    # After the meeting nobody is invited any more; the fields change, the version does not.
    assert set_roles(db, meeting, sara.id, None, COORDINATOR, after_meeting)
    assert (meeting.convener_id, meeting.sequence) == (sara.id, 0)
    assert sara.id not in _active(db, meeting)

    db.add(Minutes(meeting_id=meeting.id, version=1, status=MinutesStatus.APPROVED))
    db.commit()
    assert changeable_meeting(db, meeting.case) is None
    with pytest.raises(Conflict) as refused:
        set_roles(db, meeting, world.reps["anna"].id, None, COORDINATOR, after_meeting)
    assert refused.value.reason == "roles_locked"
    db.rollback()
    assert db.get(Meeting, meeting.id).convener_id == sara.id  # type: ignore[union-attr]


def test_an_inactive_representative_cannot_chair(db: Session, clock: FixedClock) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    frida = world.reps["frida"]
    frida.active = False
    db.commit()
    with pytest.raises(Invalid) as refused:
        set_roles(db, meeting, frida.id, None, COORDINATOR, clock.now())
    assert refused.value.reason == "inactive"
    db.rollback()
    assert db.get(Meeting, meeting.id).convener_id == world.reps["anna"].id  # type: ignore[union-attr]
