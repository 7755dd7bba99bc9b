"""iMIP only (no CalDAV server configured): every attendee and the customer get an e-mail."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from caldav_servers import SmtpSink, calendar_parts, plain_text, smtp_sink_fixture  # noqa: F401
from flask.testing import FlaskClient
from icalendar import Calendar
from invitation_data import (
    book_meeting,
    cancel,
    close_workers,
    make_worker,
    make_world,
    reschedule,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import PartStat
from booking.models import Attendee, AuditEvent, OutboxMessage


@pytest.fixture(autouse=True)
def _close_workers() -> Any:
    yield
    close_workers()


def _calendar(message: object) -> tuple[str, Calendar]:
    parts = calendar_parts(message)  # type: ignore[arg-type]
    assert len(parts) == 1
    method, payload = parts[0]
    return method, Calendar.from_ical(payload)


def test_every_attendee_gets_one_imip_request(
    app: object, db: Session, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    worker = make_worker(app, smtp_sink.port)
    report = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]
    assert report.errors == []

    for user in ("anna", "oskar", "lars"):
        mails = smtp_sink.to(world.reps[user].email)
        assert len(mails) == 1, user
        method, cal = _calendar(mails[0])
        assert method == "REQUEST"
        assert cal["METHOD"] == "REQUEST"
        event = next(iter(cal.walk("VEVENT")))
        assert str(event["UID"]) == meeting.uid
        assert int(event["SEQUENCE"]) == 0
        assert str(event["ORGANIZER"]).lower() == "mailto:forum@mora.example"
        attendees = event["ATTENDEE"]
        assert len(attendees) == 3
        # Anna convenes: she chairs (ROLE=CHAIR), the others are required participants.
        roles = {str(a).lower(): a.params["ROLE"] for a in attendees}
        assert roles.pop(f"mailto:{world.reps['anna'].email}") == "CHAIR"
        assert set(roles.values()) == {"REQ-PARTICIPANT"}
        assert {a.params["RSVP"] for a in attendees} == {"TRUE"}
        assert "/r/" in str(event["DESCRIPTION"])
        assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
        assert any(c.name == "VTIMEZONE" for c in cal.subcomponents)
        text_types = {p.get_content_type() for p in mails[0].walk()}
        assert {"text/plain", "text/html", "text/calendar"} <= text_types
        assert "Inbjudan / Invitation" in str(mails[0]["Subject"])
    db.expire_all()
    states = {a.delivery_state for a in db.scalars(select(Attendee)).all()}
    assert states == {"delivered"}
    assert {a.delivery_transport for a in db.scalars(select(Attendee)).all()} == {"imip"}
    # Running again sends nothing more (idempotent).
    worker.tick(clock.now() + timedelta(minutes=1), force=True)  # type: ignore[attr-defined]
    assert len([m for m in smtp_sink.messages if "kund" not in m[1][0]]) == 3


def test_customer_confirmation_names_departments_convener_place_and_link(
    app: object, db: Session, clock: FixedClock, smtp_sink: SmtpSink, client: FlaskClient
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    make_worker(app, smtp_sink.port).tick(clock.now(), force=True)  # type: ignore[attr-defined]
    mails = smtp_sink.to("kund@foretag.example")
    assert len(mails) == 1
    method, cal = _calendar(mails[0])
    event = next(iter(cal.walk("VEVENT")))
    assert method == "REQUEST" and str(event["UID"]) == meeting.uid
    assert int(event["SEQUENCE"]) == meeting.sequence
    description = str(event["DESCRIPTION"])
    for name in ("Stadsbyggnadsförvaltningen", "Miljökontoret", "Mora Brandkår"):
        assert name in description
    assert "Anna Lind" in description  # the convener
    assert "Fredsgatan 16" in str(event["LOCATION"])
    assert re.search(r"http://forum\.test/c/[\w-]{20,}", description)
    body = plain_text(mails[0])
    assert "Sammankallande / Convener: Anna Lind" in body

    # A reschedule sends a new REQUEST (same UID, SEQUENCE 1); a cancellation a CANCEL.
    reschedule(db, meeting, world.slots[2], clock.now())
    cancel(db, meeting, clock.now())
    make_worker(app, smtp_sink.port).tick(clock.now(), force=True)  # type: ignore[attr-defined]
    mails = smtp_sink.to("kund@foretag.example")
    methods = [_calendar(m)[0] for m in mails]
    assert methods == ["REQUEST", "CANCEL"]  # the superseded REQUEST (seq 1) is not sent
    _, cancel_cal = _calendar(mails[-1])
    event = next(iter(cancel_cal.walk("VEVENT")))
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"


def test_reply_through_rsvp_link_is_recorded(
    app: object, db: Session, clock: FixedClock, smtp_sink: SmtpSink, client: FlaskClient
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    make_worker(app, smtp_sink.port).tick(clock.now(), force=True)  # type: ignore[attr-defined]
    mail = smtp_sink.to(world.reps["oskar"].email)[0]
    link = re.search(r"http://forum\.test(/r/[\w-]+)", plain_text(mail))
    assert link
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert "Acceptera" in page.text or "Accept" in page.text
    assert "0 av 3 har svarat" in page.text
    answered = client.post(link.group(1), data={"answer": "accept", "note": "Kommer"})
    assert answered.status_code == 200
    assert "1 av 3 har svarat" in answered.text
    db.expire_all()
    oskar = db.scalar(
        select(Attendee).where(
            Attendee.meeting_id == meeting.id,
            Attendee.representative_id == world.reps["oskar"].id,
        )
    )
    assert oskar is not None
    assert oskar.partstat == PartStat.ACCEPTED
    assert oskar.reply_channel == "link" and oskar.replied_at == clock.now()
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "reply")).all()
    assert len(audit) == 1 and audit[0].after == {
        "partstat": "ACCEPTED",
        "channel": "link",
        "name": "Oskar Falk",
    }
    assert client.get("/r/not-a-token").status_code == 404
    assert client.post("/r/not-a-token", data={"answer": "accept"}).status_code == 404


def test_smtp_down_retries_with_backoff_then_delivers(
    app: object, db: Session, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    book_meeting(db, world, clock.now(), contact_email="")
    port = smtp_sink.port
    smtp_sink.stop()
    worker = make_worker(app, port)
    report = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]
    assert report.retried == 1 and report.delivered == 0
    db.expire_all()
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation.deliver"))
    assert message is not None and message.status == "pending" and message.attempts == 1
    assert message.next_attempt_at > clock.now()
    assert "SMTP" in message.last_error
    failed = db.scalars(select(Attendee).where(Attendee.delivery_state == "failed")).all()
    assert len(failed) == 1 and "SMTP" in failed[0].delivery_error

    smtp_sink.start()
    clock.set(clock.now() + timedelta(minutes=5))
    report = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]
    assert report.delivered == 1
    assert len(smtp_sink.messages) == 3
    db.expire_all()
    assert {a.delivery_state for a in db.scalars(select(Attendee)).all()} == {"delivered"}


def test_imip_reply_mail_is_applied_and_optional_attendee_is_opt_participant(
    app: object, db: Session, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    from email.message import EmailMessage

    from booking.ical import itip
    from booking.ical.serialize import to_bytes
    from booking.services.invitations import answers

    world = make_world(db)
    meeting = book_meeting(db, world, clock.now(), contact_email="")
    optional = Attendee(
        representative_id=world.reps["sara"].id,
        department_id=world.reps["sara"].department_id,
        required=False,
        invited_at=clock.now(),
    )
    meeting.attendees.append(optional)
    db.commit()
    make_worker(app, smtp_sink.port).tick(clock.now(), force=True)  # type: ignore[attr-defined]
    _, cal = _calendar(smtp_sink.to(world.reps["sara"].email)[0])
    roles = {str(a): a.params["ROLE"] for a in next(iter(cal.walk("VEVENT")))["ATTENDEE"]}
    assert roles["mailto:sara@mora.example"] == "OPT-PARTICIPANT"
    assert roles["mailto:anna@mora.example"] == "CHAIR"  # the convener
    assert roles["mailto:oskar@mora.example"] == "REQ-PARTICIPANT"

    # Anna's mail client answers with an iMIP REPLY; the mail system pipes it to the service.
    anna = next(a for a in meeting.attendees if a.representative_id == world.reps["anna"].id)
    reply = itip.reply(meeting, anna, "DECLINED", organizer_default="x@x", now=clock.now())
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "anna@mora.example", "forum@mora.example", "Avböjt"
    mail.set_content("Jag kan inte.")
    mail.add_alternative(
        to_bytes(reply), maintype="text", subtype="calendar", params={"method": "REPLY"}
    )
    report = answers.import_imip_reply(db, mail.as_bytes(), clock.now())
    assert report.applied == 1
    db.expire_all()
    anna = db.get(Attendee, anna.id)
    assert anna is not None
    assert (anna.partstat, anna.reply_channel) == (PartStat.DECLINED, "email")
